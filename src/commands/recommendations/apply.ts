/**
 * `carbonctl recommendations apply <id>`: record that a recommendation was applied and what it
 * realized (SPEC §8): the given savings, or the estimate × the realized share of the actual
 * request, or the whole estimate when the change was made as recommended. carbonctl does not
 * change the cluster itself; it prints the command that does.
 */
import type { Context } from '../../context.js';
import {
  assertTransition,
  realizedSavings,
  type ApplyInput,
  type RealizedSavings,
} from '../../core/recommendation-lifecycle.js';
import type { StoredRecommendation } from '../../core/recommendation-model.js';
import { parseCpuQuantity, parseMassGrams, parseMemoryQuantity } from '../../core/units.js';
import { formatHumanNumber, formatMass, formatPercent } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import { cleanExternal } from '../../output/sanitize.js';
import { optionalString, parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';
import {
  asUsageError,
  confirmChange,
  describeConfig,
  idArgument,
  money,
  openWriteLedger,
  recommendationSettings,
  targetLabel,
} from './common.js';
import { RECOMMENDATIONS_APPLY_OPTIONS } from './index.js';

/** The flags of `apply` as the core's input (quantities parsed, usage errors naming the flag). */
export function applyInputFrom(opts: Record<string, unknown>): ApplyInput {
  const input: ApplyInput = {};
  const cpu = optionalString(opts, 'actualCpuRequest');
  if (cpu !== undefined)
    input.actualCpuRequestCores = parseFlag('--actual-cpu-request', cpu, parseCpuQuantity);
  const memory = optionalString(opts, 'actualMemoryRequest');
  if (memory !== undefined)
    input.actualMemoryRequestBytes = parseFlag(
      '--actual-memory-request',
      memory,
      parseMemoryQuantity,
    );
  const co2e = optionalString(opts, 'realizedCo2e');
  if (co2e !== undefined)
    input.realizedCo2eGrams = parseFlag('--realized-co2e', co2e, parseMassGrams);
  if (typeof opts.realizedCost === 'number') input.realizedCost = opts.realizedCost;
  return input;
}

/** The realized savings as JSON (money as a 4-decimal string with the currency). */
export function realizedJson(realized: RealizedSavings) {
  return {
    share: realized.share,
    source: realized.source,
    monthly_co2e_g: realized.monthlyCo2eGrams,
    monthly_kwh: realized.monthlyKwh,
    monthly_cost: money(realized.monthlyCost, realized.currency),
  };
}

function describeRealized(realized: RealizedSavings): string {
  const share =
    realized.share === null ? '' : ` (${formatPercent(realized.share * 100)} of the estimate)`;
  return (
    `${formatMass(realized.monthlyCo2eGrams)}, ${formatHumanNumber(realized.monthlyKwh)} kWh and ` +
    `${money(realized.monthlyCost, realized.currency) ?? '–'} per month${share}`
  );
}

function question(recommendation: StoredRecommendation, preview: RealizedSavings): string {
  return (
    `Record ${recommendation.id} (${recommendation.type} of ${targetLabel(recommendation)}: ` +
    `${describeConfig(recommendation.current)} → ${describeConfig(preview.applied)}) as applied, ` +
    `saving ${describeRealized(preview)}?`
  );
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const id = idArgument(invocation, 'apply');
  const input = applyInputFrom(invocation.opts);
  const settings = await recommendationSettings(context, invocation, RECOMMENDATIONS_APPLY_OPTIONS);
  const ledger = openWriteLedger(context, settings, { create: false });
  const target = asUsageError(() => ledger.recommendations.resolve(id));
  // Refuse what cannot work before asking: a wrong status, a flag that does not fit the type.
  const preview = asUsageError(() => {
    assertTransition(target.id, target.status, 'apply');
    return realizedSavings(target, input);
  }, 'See `carbonctl recommendations show <id>` for its type, status and configuration.');
  await confirmChange(context, invocation, 'apply', question(target, preview));
  const { recommendation, realized } = asUsageError(() =>
    ledger.recommendations.apply(target.id, input, context.now()),
  );
  const data = {
    id: recommendation.id,
    status: recommendation.status,
    applied_at: recommendation.appliedAt,
    applied: { config: recommendation.applied },
    realized: realizedJson(realized),
    apply_command: recommendation.applyCommand,
  };
  return {
    data,
    human: () => {
      const lines = [
        `Recorded ${recommendation.id} as applied: it saves ${describeRealized(realized)}.`,
      ];
      if (recommendation.applyCommand !== null) {
        lines.push(
          'If the change is not made yet, run:',
          `  ${cleanExternal(recommendation.applyCommand)}`,
        );
      }
      return [{ text: lines.join('\n') + '\n' }];
    },
  };
}

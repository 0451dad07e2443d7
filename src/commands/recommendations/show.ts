/**
 * `carbonctl recommendations show <id>`: one recommendation with its numbers, the metrics
 * snapshot behind it (window, samples, p50/p95/p99/max, replicas, restarts, OOM kills) and
 * the exact `kubectl` command that applies it (SPEC §8).
 */
import type { Context } from '../../context.js';
import type { MetricsSnapshot, StoredRecommendation } from '../../core/recommendation-model.js';
import { formatCpuQuantity, formatMemoryQuantity } from '../../core/units.js';
import { formatHumanNumber, formatMass, formatPercent } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import { cleanExternal } from '../../output/sanitize.js';
import type { TableData } from '../../output/table.js';
import { LEDGER_OPTION } from '../options.js';
import type { Invocation } from '../spec.js';
import {
  asUsageError,
  describeConfig,
  idArgument,
  ledgerExists,
  money,
  noRecommendationsYet,
  openRecommendationReader,
  recommendationJson,
  recommendationSettings,
  targetLabel,
} from './common.js';

/** The snapshot in the JSON of `show` (snake_case like the rest of the contract). */
export function snapshotJson(snapshot: MetricsSnapshot) {
  return {
    window: { from: snapshot.windowFrom, to: snapshot.windowTo },
    samples: snapshot.samples,
    unit: snapshot.unit,
    p50: snapshot.p50,
    p95: snapshot.p95,
    p99: snapshot.p99,
    max: snapshot.max,
    replicas: snapshot.replicas,
    restarts: snapshot.restarts,
    oom_kills: snapshot.oomKills,
  };
}

/** The JSON of `show`: the list item plus the snapshot and the commands. */
export function showJson(recommendation: StoredRecommendation) {
  return {
    ...recommendationJson(recommendation),
    metrics_snapshot: snapshotJson(recommendation.snapshot),
    apply_command: recommendation.applyCommand,
    revert_command: recommendation.revertCommand,
  };
}

/** A snapshot statistic for people, in its unit. */
function statistic(value: number | null, unit: MetricsSnapshot['unit']): string {
  if (value === null) return '–';
  switch (unit) {
    case 'cores':
      return formatCpuQuantity(value);
    case 'bytes':
      return formatMemoryQuantity(value);
    case 'fraction':
      return formatPercent(value * 100);
    case 'g_per_kwh':
      return `${formatHumanNumber(value)} g/kWh`;
  }
}

/** Field/value rows for people; the JSON carries the same numbers at full precision. */
export function recommendationDetailTable(r: StoredRecommendation): TableData {
  const currency = r.savings.currency;
  const s = r.snapshot;
  const rows: Array<[string, string | null]> = [
    ['ID', r.id],
    ['Type', r.type],
    ['Target', targetLabel(r)],
    ['Kind', r.target.workloadKind],
    ['Title', r.title],
    ['Description', r.description],
    ['Status', r.status],
    ['Priority', r.priority],
    ['Risk', r.risk],
    ['Current', describeConfig(r.current)],
    ['Recommended', describeConfig(r.recommended)],
    ['Applied', r.applied === null ? null : describeConfig(r.applied)],
    ['Current cost', `${money(r.currentHourlyCost, currency) ?? '–'}/h`],
    ['Saves CO2e', `${formatMass(r.savings.monthlyCo2eGrams)}/month`],
    ['Saves energy', `${formatHumanNumber(r.savings.monthlyKwh)} kWh/month`],
    ['Saves cost', `${money(r.savings.monthlyCost, currency) ?? '–'}/month`],
    ['Window', `${s.windowFrom} → ${s.windowTo}`],
    ['Samples', formatHumanNumber(s.samples)],
    [
      'p50 / p95 / p99 / max',
      [s.p50, s.p95, s.p99, s.max].map((v) => statistic(v, s.unit)).join(' / '),
    ],
    ['Replicas', s.replicas === null ? null : String(s.replicas)],
    ['Restarts', s.restarts === null ? null : String(s.restarts)],
    ['OOM kills', s.oomKills === null ? null : String(s.oomKills)],
    ['Created', r.createdAt],
    ['Updated', r.updatedAt],
    ['Last seen', r.lastSeenAt],
    ['Applied at', r.appliedAt],
    ['Ignored because', r.ignoredReason],
  ];
  return {
    columns: [
      { key: 'field', header: 'Field' },
      { key: 'value', header: 'Value' },
    ],
    rows: rows.filter(([, value]) => value !== null).map(([field, value]) => ({ field, value })),
  };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const id = idArgument(invocation, 'show');
  const settings = await recommendationSettings(context, invocation, [LEDGER_OPTION]);
  if (!ledgerExists(settings)) throw noRecommendationsYet(settings.ledger ?? '');
  const ledger = openRecommendationReader(context, settings);
  const recommendation = asUsageError(() => ledger.recommendations.resolve(id));
  return {
    data: { data: showJson(recommendation) },
    human: () => {
      const lines: string[] = [];
      if (recommendation.applyCommand !== null) {
        lines.push('To apply it:', `  ${cleanExternal(recommendation.applyCommand)}`);
      } else {
        lines.push('There is no command for this one: make the change by hand.');
      }
      if (recommendation.status === 'active' || recommendation.status === 'stale') {
        lines.push(
          `Then record it with: carbonctl recommendations apply ${recommendation.id}` +
            (recommendation.type.startsWith('RIGHTSIZING') ? ' [--actual-…-request <q>]' : ''),
        );
      }
      return [
        { table: recommendationDetailTable(recommendation) },
        { text: lines.join('\n') + '\n' },
      ];
    },
  };
}

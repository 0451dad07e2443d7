/**
 * `carbonctl recommendations ignore <id> [--reason <text>]`: keep a recommendation out of the
 * active list; re-generation never brings it back (only `restore` does).
 */
import type { Context } from '../../context.js';
import { assertTransition } from '../../core/recommendation-lifecycle.js';
import type { CommandResult } from '../../output/render.js';
import { optionalString } from '../parse.js';
import type { Invocation } from '../spec.js';
import {
  asUsageError,
  confirmChange,
  idArgument,
  openWriteLedger,
  recommendationSettings,
  targetLabel,
} from './common.js';
import { RECOMMENDATIONS_IGNORE_OPTIONS } from './index.js';

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const id = idArgument(invocation, 'ignore');
  const reasonText = optionalString(invocation.opts, 'reason')?.trim();
  const reason = reasonText === undefined || reasonText === '' ? null : reasonText;
  const settings = await recommendationSettings(
    context,
    invocation,
    RECOMMENDATIONS_IGNORE_OPTIONS,
  );
  const ledger = openWriteLedger(context, settings, { create: false });
  const target = asUsageError(() => ledger.recommendations.resolve(id));
  asUsageError(() => assertTransition(target.id, target.status, 'ignore'));
  await confirmChange(
    context,
    invocation,
    'ignore',
    `Ignore ${target.id} (${target.type} of ${targetLabel(target)})? Re-generation will keep it ignored.`,
  );
  const recommendation = asUsageError(() =>
    ledger.recommendations.ignore(target.id, reason, context.now()),
  );
  return {
    data: {
      id: recommendation.id,
      status: recommendation.status,
      ignored_reason: recommendation.ignoredReason,
      updated_at: recommendation.updatedAt,
    },
    human: () => [
      {
        text:
          `Ignored ${recommendation.id}${reason === null ? '' : ` (${reason})`}; ` +
          `\`carbonctl recommendations restore ${recommendation.id}\` brings it back.\n`,
      },
    ],
  };
}

/**
 * `carbonctl recommendations restore <id>`: bring an ignored or applied recommendation back to
 * active. For an applied one its realized savings stop accruing, and the command that puts the
 * original configuration back is printed (SPEC §8).
 */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output/render.js';
import { cleanExternal } from '../../output/sanitize.js';
import { LEDGER_OPTION } from '../options.js';
import type { Invocation } from '../spec.js';
import {
  asUsageError,
  describeConfig,
  idArgument,
  openWriteLedger,
  recommendationSettings,
} from './common.js';

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const id = idArgument(invocation, 'restore');
  const settings = await recommendationSettings(context, invocation, [LEDGER_OPTION]);
  const ledger = openWriteLedger(context, settings, { create: false });
  const { recommendation, previousStatus } = asUsageError(() =>
    ledger.recommendations.restore(id, context.now()),
  );
  const wasApplied = previousStatus === 'applied';
  const data = {
    id: recommendation.id,
    status: recommendation.status,
    previous_status: previousStatus,
    updated_at: recommendation.updatedAt,
    // Only an applied change has anything in the cluster to put back.
    revert_command: wasApplied ? recommendation.revertCommand : null,
    original_config: wasApplied ? recommendation.current : null,
  };
  return {
    data,
    human: () => {
      const lines = [`Restored ${recommendation.id} to active (it was ${previousStatus}).`];
      if (wasApplied) {
        lines.push(
          recommendation.revertCommand === null
            ? `There is no command for this one: put back ${describeConfig(recommendation.current)} by hand.`
            : `To put the original configuration back (${describeConfig(recommendation.current)}), run:\n  ${cleanExternal(recommendation.revertCommand)}`,
        );
      }
      return [{ text: lines.join('\n') + '\n' }];
    },
  };
}

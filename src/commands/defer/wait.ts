/** `carbonctl wait`: sleep until the cleanest forecast window for a job, then exit 0. */
import type { Context } from '../../context.js';
import type { CommandResult } from '../../output/render.js';
import { settingOverrides } from '../options.js';
import type { Invocation } from '../spec.js';
import { WAIT_OPTIONS } from './index.js';
import { deferUntilWindow, parseDeferOptions, type DeferOutcome } from './window.js';

/** The JSON of a wait (also the `wait` part of `run`'s record). */
export function waitJson(outcome: DeferOutcome) {
  const plan = outcome.plan;
  return {
    requested_at: outcome.requestedAt.toISOString(),
    started_at: outcome.startedAt.toISOString(),
    waited_seconds: (outcome.startedAt.getTime() - outcome.requestedAt.getTime()) / 1000,
    reason: outcome.reason,
    planned_start: plan?.start.toISOString() ?? null,
    planned_end: plan?.end.toISOString() ?? null,
    mean_intensity: plan?.meanIntensity ?? null,
    now_mean_intensity: outcome.firstPlan?.nowMeanIntensity ?? null,
    saving_percent:
      plan && outcome.firstPlan && outcome.firstPlan.nowMeanIntensity > 0
        ? ((outcome.firstPlan.nowMeanIntensity - plan.meanIntensity) /
            outcome.firstPlan.nowMeanIntensity) *
          100
        : null,
    threshold_g_per_kwh: plan?.thresholdGPerKwh ?? null,
    revisions: outcome.revisions,
    provider: outcome.provider.name,
    region: outcome.provider.regionLabel,
  };
}

/** Command entry: the plan goes to stderr while waiting; `-o json` prints the outcome after. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const options = parseDeferOptions(invocation.opts);
  const resolved = await context.settings({
    flags: settingOverrides(invocation.command, WAIT_OPTIONS),
  });
  const outcome = await deferUntilWindow(options, resolved.settings, context);
  // Table output stays empty on stdout, so `carbonctl wait … && job` keeps the job's stdout clean.
  return { data: waitJson(outcome), human: () => [] };
}

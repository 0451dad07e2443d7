/**
 * The waiting part shared by `wait` and `run`: validate the flags, then read the forecast,
 * plan the start (core/carbon-aware.ts), sleep through the sleeper port until the start or the
 * next re-check, and repeat until it is time. Never sleeps past the latest start; SIGINT and
 * SIGTERM end the wait with 130/143.
 */
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import {
  planStart,
  type StartPlan,
  type StartReason,
  type StartThreshold,
} from '../../core/carbon-aware.js';
import type { IntensityProvider } from '../../core/ports.js';
import { durationToMillis, parseDuration } from '../../core/units.js';
import { DataSourceError, SignalledError, UsageError, type HandledSignal } from '../../errors.js';
import { optionalString, parseFlag } from '../parse.js';
import { intensityProvider } from '../shared/intensity.js';
import type { MISSING_FORECAST_POLICIES } from './index.js';

/** Validated flags of the wait. */
export interface DeferOptions {
  windowMs: number;
  withinMs: number;
  maxWaitMs: number;
  recheckMs: number;
  threshold: StartThreshold | null;
  onMissingForecast: (typeof MISSING_FORECAST_POLICIES)[number];
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** The forecast horizon of the providers (GB: 48 h). */
const MAX_HORIZON_MS = 48 * HOUR_MS;
const DEFAULT_RECHECK_MS = 30 * MINUTE_MS;

function durationMs(flag: string, text: string): number {
  const spec = parseFlag(flag, text, parseDuration);
  if (spec.unit === 'months' || spec.unit === 'years') {
    throw new UsageError(`${flag} ${text} is too long (forecasts reach 48h ahead)`);
  }
  return durationToMillis(spec);
}

/** Parse and check the shared flags. */
export function parseDeferOptions(opts: Record<string, unknown>): DeferOptions {
  const forText = optionalString(opts, 'for');
  const withinText = optionalString(opts, 'within');
  if (forText === undefined || withinText === undefined) {
    throw new UsageError(
      `${forText === undefined ? '--for' : '--within'} is required: how long the job runs and the horizon it must finish in`,
      { hint: 'e.g. --for 2h --within 12h' },
    );
  }
  const windowMs = durationMs('--for', forText);
  const withinMs = durationMs('--within', withinText);
  if (windowMs < MINUTE_MS) throw new UsageError(`--for ${forText} is shorter than a minute`);
  if (withinMs > MAX_HORIZON_MS) {
    throw new UsageError(`--within ${withinText} is beyond the 48 h forecast horizon`, {
      hint: 'Use --within 48h or less.',
    });
  }
  if (windowMs > withinMs) {
    throw new UsageError(`--for ${forText} is longer than --within ${withinText}`, {
      hint: 'The job must fit in the horizon: give a longer --within.',
    });
  }
  const maxWaitText = optionalString(opts, 'maxWait');
  const slackMs = withinMs - windowMs;
  const maxWaitMs =
    maxWaitText === undefined ? slackMs : Math.min(durationMs('--max-wait', maxWaitText), slackMs);
  const recheckText = optionalString(opts, 'recheck');
  const recheckMs =
    recheckText === undefined ? DEFAULT_RECHECK_MS : durationMs('--recheck', recheckText);
  if (recheckMs < MINUTE_MS) {
    throw new UsageError(`--recheck ${recheckText ?? ''} is shorter than a minute`, {
      hint: 'Forecasts change every half-hour; e.g. --recheck 30min.',
    });
  }
  const threshold = opts.threshold as number | undefined;
  const percentile = opts.percentile as number | undefined;
  return {
    windowMs,
    withinMs,
    maxWaitMs,
    recheckMs,
    threshold:
      threshold !== undefined
        ? { kind: 'absolute', gPerKwh: threshold }
        : percentile !== undefined
          ? { kind: 'percentile', percentile }
          : null,
    onMissingForecast:
      (opts.onMissingForecast as DeferOptions['onMissingForecast'] | undefined) ?? 'run-now',
  };
}

/** Why the job started when it did. */
export type DeferReason = StartReason | 'deadline' | 'no_forecast' | 'no_forecast_provider';

/** How the wait went. */
export interface DeferOutcome {
  reason: DeferReason;
  requestedAt: Date;
  startedAt: Date;
  /** The first plan: its `nowMeanIntensity` is the baseline of "starting immediately". */
  firstPlan: StartPlan | null;
  /** The plan the wait ended on (after any revisions). */
  plan: StartPlan | null;
  /** How often a re-check moved the planned start. */
  revisions: number;
  provider: IntensityProvider;
}

/** A short UTC time for messages: `2026-11-21 17:00 UTC`. */
export function shortUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function describeWait(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes} min`;
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

function describePlan(plan: StartPlan, now: Date, windowMs: number): string {
  const expected =
    `expected ${plan.meanIntensity.toFixed(1)} g/kWh vs ${plan.nowMeanIntensity.toFixed(1)} ` +
    `starting now (${plan.savingPercent.toFixed(1)}% less)`;
  const why =
    plan.reason === 'threshold'
      ? `the first start at or below ${plan.thresholdGPerKwh?.toFixed(1) ?? ''} g/kWh`
      : `the cleanest ${describeWait(windowMs)} window`;
  if (plan.start.getTime() <= now.getTime()) return `now is ${why}: ${expected}`;
  return `start ${shortUtc(plan.start)} (in ${describeWait(plan.start.getTime() - now.getTime())}), ${why}: ${expected}`;
}

/**
 * Waits for the planned start. Forecast failures: on the first read they follow
 * `--on-missing-forecast`; during the wait the last plan stands (with a warning).
 */
export async function deferUntilWindow(
  options: DeferOptions,
  settings: Settings,
  context: Context,
): Promise<DeferOutcome> {
  const requestedAt = context.now();
  const provider = await intensityProvider(context, settings);
  const outcome = (reason: DeferReason, extra: Partial<DeferOutcome> = {}): DeferOutcome => ({
    reason,
    requestedAt,
    startedAt: context.now(),
    firstPlan: null,
    plan: null,
    revisions: 0,
    provider,
    ...extra,
  });
  if (provider.name === 'static' || provider.name === 'fixed') {
    context.io.notice(
      `the ${provider.name} intensity provider has no forecast: starting now (use --provider uk or electricitymaps to wait for a cleaner window)`,
    );
    return outcome('no_forecast_provider');
  }
  const latestStartMs = requestedAt.getTime() + options.maxWaitMs;
  const horizonEnd = new Date(requestedAt.getTime() + options.withinMs);
  const horizonHours = Math.min(48, Math.max(1, Math.ceil(options.withinMs / HOUR_MS)));

  let received: HandledSignal | null = null;
  const controller = new AbortController();
  const unsubscribe = context.onSignal((signal) => {
    received ??= signal;
    controller.abort();
  });
  const interrupted = (signal: HandledSignal): SignalledError =>
    new SignalledError(signal, `${signal} while waiting for the cleanest window: not started`);

  let firstPlan: StartPlan | null = null;
  let plan: StartPlan | null = null;
  let revisions = 0;
  try {
    for (;;) {
      const now = context.now();
      if (now.getTime() >= latestStartMs && plan !== null) {
        context.io.info(
          `Latest start (${shortUtc(new Date(latestStartMs))}) reached: starting now.`,
        );
        return outcome('deadline', { firstPlan, plan, revisions });
      }
      let next: StartPlan | null = null;
      let failure: DataSourceError | null = null;
      try {
        const slots = await provider.forecast(now, horizonHours);
        next = planStart({
          slots,
          now,
          windowMinutes: options.windowMs / MINUTE_MS,
          latestStart: new Date(Math.max(latestStartMs, now.getTime())),
          horizonEnd,
          threshold: options.threshold,
        });
        if (next === null) {
          failure = new DataSourceError(
            provider.name,
            `the forecast does not cover a ${describeWait(options.windowMs)} job starting now`,
          );
        }
      } catch (error) {
        if (!(error instanceof DataSourceError)) throw error;
        failure = error;
      }
      if (received !== null) throw interrupted(received);
      if (next === null) {
        if (plan === null) {
          if (options.onMissingForecast === 'fail') {
            throw (
              failure ??
              new DataSourceError(provider.name, 'no forecast', {
                hint: 'Retry later, or pass --on-missing-forecast run-now.',
              })
            );
          }
          context.io.warn(
            `no forecast (${failure?.message ?? 'unavailable'}): starting now (--on-missing-forecast run-now)`,
          );
          return outcome('no_forecast');
        }
        context.io.warn(
          `could not re-read the forecast (${failure?.message ?? 'unavailable'}): keeping the plan for ${shortUtc(plan.start)}`,
        );
      } else {
        if (plan === null) {
          context.io.info(`Plan: ${describePlan(next, now, options.windowMs)}.`);
        } else if (next.start.getTime() !== plan.start.getTime()) {
          revisions += 1;
          context.io.info(`Forecast revised: ${describePlan(next, now, options.windowMs)}.`);
        }
        plan = next;
        firstPlan ??= next;
      }
      if (plan.start.getTime() <= now.getTime()) {
        return outcome(plan.reason, { firstPlan, plan, revisions });
      }
      const wakeMs = Math.min(
        plan.start.getTime(),
        now.getTime() + options.recheckMs,
        latestStartMs,
      );
      await context.sleep(wakeMs - now.getTime(), controller.signal);
      if (received !== null) throw interrupted(received);
      if (wakeMs >= latestStartMs) {
        context.io.info(
          `Latest start (${shortUtc(new Date(latestStartMs))}) reached: starting now.`,
        );
        return outcome('deadline', { firstPlan, plan, revisions });
      }
      if (wakeMs === plan.start.getTime()) {
        context.io.info(`Starting: the planned window begins (${shortUtc(plan.start)}).`);
        return outcome(plan.reason, { firstPlan, plan, revisions });
      }
    }
  } finally {
    unsubscribe();
  }
}

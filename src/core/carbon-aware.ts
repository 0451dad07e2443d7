/**
 * Carbon-aware execution (`carbonctl wait` / `carbonctl run`): when to start a job of a given
 * length so that it runs in the cleanest forecast window before a deadline, and what deferring
 * it saved. Pure: the forecast slots, the clock reading and the factors are arguments.
 */
import { bestWindow, meanIntensityBetween } from './intensity.js';
import {
  computeFootprint,
  type Activity,
  type Footprint,
  type MethodologyFactors,
} from './methodology.js';
import type { IntensitySlot } from './ports.js';
import type { RecommendationFinding, RecommendationTarget } from './recommendation-model.js';
import { quantileOf, recommendationId } from './recommendations.js';

/** When to accept a window before the cleanest one: an absolute g/kWh, or a percentile of the candidates. */
export type StartThreshold =
  { kind: 'absolute'; gPerKwh: number } | { kind: 'percentile'; percentile: number };

/** What the planner is asked. */
export interface StartPlanInput {
  slots: readonly IntensitySlot[];
  now: Date;
  /** Length of the job in minutes (the window to find). */
  windowMinutes: number;
  /** The job must start no later than this. */
  latestStart: Date;
  /** The job's window must end by this instant (the forecast horizon of `--within`). */
  horizonEnd: Date;
  threshold: StartThreshold | null;
}

/** Why a start was chosen. */
export type StartReason = 'now_is_best' | 'best_window' | 'threshold';

/** The planned start: its window, expected mean intensity and the saving versus starting now. */
export interface StartPlan {
  /** When to start (never before `now`). */
  start: Date;
  end: Date;
  /** Expected mean intensity of the window (g/kWh, forecast). */
  meanIntensity: number;
  /** Expected mean intensity of the same job started now (g/kWh, forecast). */
  nowMeanIntensity: number;
  /** (now − planned) / now × 100. */
  savingPercent: number;
  reason: StartReason;
  /** The threshold in g/kWh that was applied (a percentile resolved to its value), or null. */
  thresholdGPerKwh: number | null;
  /** The cleanest window's mean, for the message when a threshold picked an earlier one. */
  bestMeanIntensity: number;
}

/** One candidate start (a slot boundary, or now) and the mean forecast over the job's window. */
export interface CandidateWindow {
  start: Date;
  meanIntensity: number;
}

/**
 * Slots usable for a plan: only those ending by `min(horizonEnd, latestStart + window)`, so that
 * no window found can start after `latestStart` or end after `horizonEnd`.
 */
function usableSlots(input: StartPlanInput): IntensitySlot[] {
  const limitMs = Math.min(
    input.horizonEnd.getTime(),
    input.latestStart.getTime() + input.windowMinutes * 60_000,
  );
  return input.slots.filter((slot) => slot.to.getTime() <= limitMs);
}

/**
 * Every candidate start from the slot containing `now` onwards whose whole window the slots
 * cover, with its mean forecast (the same means `bestWindow` compares). The first candidate is
 * "start now" (its start is clamped to `now`).
 */
export function candidateWindows(
  slots: readonly IntensitySlot[],
  windowMinutes: number,
  now: Date,
): CandidateWindow[] {
  const nowMs = now.getTime();
  const starts = [
    ...new Set(slots.filter((s) => s.to.getTime() > nowMs).map((s) => s.from.getTime())),
  ].sort((a, b) => a - b);
  const candidates: CandidateWindow[] = [];
  for (const startMs of starts) {
    // bestWindow's "now" window is the window starting at the slot containing its `now`.
    const found = bestWindow(slots, windowMinutes, new Date(Math.max(startMs, nowMs)));
    if (found === null) continue;
    candidates.push({
      start: new Date(Math.max(startMs, nowMs)),
      meanIntensity: found.nowMeanIntensity,
    });
  }
  return candidates;
}

/**
 * When to start: the earliest candidate at or below the threshold (if one is given), else the
 * cleanest window (`bestWindow`, ties to the earliest). Null when the slots do not cover a
 * window starting now (no usable forecast).
 */
export function planStart(input: StartPlanInput): StartPlan | null {
  const slots = usableSlots(input);
  const nowMs = input.now.getTime();
  const windowMs = input.windowMinutes * 60_000;
  const best = bestWindow(slots, input.windowMinutes, input.now);
  if (best === null) return null;
  const nowMean = best.nowMeanIntensity;
  const plan = (startMs: number, mean: number, reason: StartReason, threshold: number | null) => {
    const start = new Date(Math.max(startMs, nowMs));
    const chosenReason: StartReason = start.getTime() <= nowMs ? 'now_is_best' : reason;
    return {
      start,
      end: new Date(start.getTime() + windowMs),
      meanIntensity: mean,
      nowMeanIntensity: nowMean,
      savingPercent: nowMean > 0 ? ((nowMean - mean) / nowMean) * 100 : 0,
      reason: chosenReason,
      thresholdGPerKwh: threshold,
      bestMeanIntensity: best.meanIntensity,
    };
  };
  if (input.threshold !== null) {
    const candidates = candidateWindows(slots, input.windowMinutes, input.now);
    const limit =
      input.threshold.kind === 'absolute'
        ? input.threshold.gPerKwh
        : quantileOf(
            candidates.map((c) => c.meanIntensity).sort((a, b) => a - b),
            input.threshold.percentile / 100,
          );
    const first = candidates.find((c) => c.meanIntensity <= limit);
    if (first !== undefined && first.start.getTime() <= Math.max(best.start.getTime(), nowMs)) {
      return plan(first.start.getTime(), first.meanIntensity, 'threshold', limit);
    }
    return plan(best.start.getTime(), best.meanIntensity, 'best_window', limit);
  }
  return plan(best.start.getTime(), best.meanIntensity, 'best_window', null);
}

/**
 * Time-weighted mean intensity over `[from, to)` from `actual ?? forecast` (usable values only),
 * or null unless the slots cover it without gaps: {@link meanIntensityBetween} of the
 * accounting's intensity maths, for a run that starts and ends mid-slot.
 */
export function meanIntensityOver(
  slots: readonly IntensitySlot[],
  from: Date,
  to: Date,
): { meanIntensity: number; usedForecast: boolean } | null {
  const fromMs = from.getTime();
  const result = meanIntensityBetween(slots, fromMs, Math.max(to.getTime(), fromMs + 1));
  return result === null ? null : { meanIntensity: result.mean, usedForecast: result.usedForecast };
}

/** The footprint of a run as it happened, of the same run started now, and the difference. */
export interface RunSavings {
  footprint: Footprint;
  baselineFootprint: Footprint;
  /** Location-based gCO2e avoided by deferring (negative when the run was dirtier). */
  savedGrams: number;
}

/**
 * What deferring saved: the activity's footprint at the intensity it ran at versus at the
 * intensity of starting immediately (same energy, SPEC §2 maths via computeFootprint).
 */
export function runSavings(
  activity: Activity,
  factors: MethodologyFactors,
  intensities: { actualGPerKwh: number; baselineGPerKwh: number },
): RunSavings {
  const footprint = computeFootprint(activity, intensities.actualGPerKwh, factors);
  const baselineFootprint = computeFootprint(activity, intensities.baselineGPerKwh, factors);
  return {
    footprint,
    baselineFootprint,
    savedGrams: baselineFootprint.scope2LocationGrams - footprint.scope2LocationGrams,
  };
}

/**
 * Busy and idle core-seconds of a run: busy is the measured (or given) CPU time; with
 * `cores` reserved for `wallSeconds`, idle is the reserved time the job did not use.
 */
export function runActivity(input: {
  busySeconds: number;
  cores: number | null;
  wallSeconds: number;
}): Activity {
  const reserved = input.cores === null ? 0 : input.cores * input.wallSeconds;
  return {
    busySeconds: input.busySeconds,
    idleSeconds: Math.max(0, reserved - input.busySeconds),
    memoryGiBHours: 0,
  };
}

/** Hours in the 730-hour month the savings ledger counts in (SPEC §8). */
const HOURS_PER_MONTH = 730;
const HOUR_MS = 3_600_000;

/**
 * A one-off amount as the savings ledger's monthly rate over `[from, to)`: the ledger books
 * rate / 730 per hour in effect, so `amount × 730 h / duration` books exactly `amount` over the
 * run and nothing after it.
 */
export function monthlyRateOver(amount: number, durationMs: number): number {
  if (!(durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${durationMs}`);
  return (amount * HOURS_PER_MONTH * HOUR_MS) / durationMs;
}

/** A finished `carbonctl run`, as the savings ledger records it. */
export interface CarbonAwareRunInput {
  /** Name the run is recorded under (e.g. `nightly-build`). */
  name: string;
  /** Label for the cluster column (`local` unless told otherwise). */
  cluster: string;
  requestedAt: Date;
  startedAt: Date;
  endedAt: Date;
  /** Forecast mean of the job started at once (the baseline). */
  nowMeanIntensity: number;
  /** Forecast mean of the planned window. */
  plannedMeanIntensity: number;
  /** Mean intensity while it ran (provider actuals, else the plan). */
  actualMeanIntensity: number;
  savings: RunSavings;
  currency: string;
}

/** The savings-ledger entry of a run: one-off amounts as rates over the run (see monthlyRateOver). */
export interface CarbonAwareRunEntry {
  appliedAt: string;
  endedAt: string;
  monthlyCo2eGrams: number;
  monthlyKwh: number;
  monthlyCost: number;
  currency: string;
}

/**
 * The ledger records of a run: a CARBON_AWARE_SHIFT recommendation for the job (applied, one per
 * name, refreshed by each run) and the run's savings entry. Deferring moves the same energy to a
 * cleaner time, so kWh and cost saved are 0; a run that turned out dirtier than starting at once
 * books 0 (the ledger holds savings, not penalties; the signed figure is in the details).
 */
export function carbonAwareRunRecord(input: CarbonAwareRunInput): {
  finding: RecommendationFinding;
  entry: CarbonAwareRunEntry;
} {
  const target: RecommendationTarget = {
    cluster: input.cluster,
    kind: 'workload',
    namespace: null,
    workload: input.name,
    workloadKind: 'Job',
    container: null,
    host: null,
  };
  const startMs = input.startedAt.getTime();
  // The ledger needs a non-empty interval; an instant run lasts one millisecond.
  const endMs = Math.max(input.endedAt.getTime(), startMs + 1);
  const saved = Math.max(0, input.savings.savedGrams);
  const finding: RecommendationFinding = {
    id: recommendationId('CARBON_AWARE_SHIFT', target),
    type: 'CARBON_AWARE_SHIFT',
    target,
    title: `Run ${input.name} in the cleanest window (carbonctl run)`,
    description:
      `carbonctl run started ${input.name} at ${input.startedAt.toISOString().slice(0, 16)}Z ` +
      `at ${input.actualMeanIntensity.toFixed(1)} g/kWh instead of ${input.nowMeanIntensity.toFixed(1)} g/kWh ` +
      `starting at once, saving ${input.savings.savedGrams.toFixed(3)} gCO2e`,
    current: { intensity_g_per_kwh: input.nowMeanIntensity },
    recommended: { intensity_g_per_kwh: input.plannedMeanIntensity },
    currentHourlyCost: 0,
    savings: {
      monthlyCo2eGrams: 0,
      monthlyKwh: 0,
      monthlyCost: 0,
      hourlyCost: 0,
      currency: input.currency,
    },
    priority: 'low',
    risk: 'low',
    snapshot: {
      windowFrom: input.startedAt.toISOString(),
      windowTo: new Date(endMs).toISOString(),
      samples: 1,
      unit: 'g_per_kwh',
      p50: input.actualMeanIntensity,
      p95: null,
      p99: null,
      max: null,
      replicas: null,
      restarts: null,
      oomKills: null,
    },
    applyCommand: null,
    revertCommand: null,
  };
  return {
    finding,
    entry: {
      appliedAt: input.startedAt.toISOString(),
      endedAt: new Date(endMs).toISOString(),
      monthlyCo2eGrams: monthlyRateOver(saved, endMs - startMs),
      monthlyKwh: 0,
      monthlyCost: 0,
      currency: input.currency,
    },
  };
}

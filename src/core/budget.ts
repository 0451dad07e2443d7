/**
 * Carbon budgets (SPEC §9), as pure functions: limits and percent used, pass/fail, regression
 * against a baseline, the share of an hour that lies inside a measuring window, and the
 * month-end projection at the current rate. Every input (clock, zone, measurements) is an
 * argument; nothing here reads the clock or the environment.
 */
import { DateTime } from 'luxon';
import {
  addToFootprintTotal,
  computeFootprint,
  emptyFootprintTotal,
  energyWeightedIntensity,
  type Activity,
  type FootprintTotal,
  type MethodologyFactors,
} from './methodology.js';
import { InvalidInputError, assertValidZone } from './units.js';

/** The quantities a budget can limit. */
export type BudgetMetric = 'co2e' | 'energy' | 'cost';

/** The metrics, in the order checks are reported. */
export const BUDGET_METRICS: readonly BudgetMetric[] = ['co2e', 'energy', 'cost'];

/** What was measured: CO2e (location-based Scope 2 + Scope 3 embodied), energy incl. PUE, cost. */
export interface BudgetMeasurement {
  co2eGrams: number;
  energyKwh: number;
  cost: number;
}

/** Limits; an absent or null limit is not checked. */
export interface BudgetLimits {
  co2eGrams?: number | null;
  energyKwh?: number | null;
  cost?: number | null;
}

/** One limit compared with its measurement. */
export interface LimitCheck {
  metric: BudgetMetric;
  measured: number;
  limit: number;
  /** measured / limit × 100; null when the limit is 0 and something was used (an infinite share). */
  percentUsed: number | null;
  /** True when the measurement is above the limit (equal is still within budget). */
  exceeded: boolean;
}

const HOUR_MS = 3_600_000;

/** The measured value of one metric. */
export function measurementOf(measured: BudgetMeasurement, metric: BudgetMetric): number {
  switch (metric) {
    case 'co2e':
      return measured.co2eGrams;
    case 'energy':
      return measured.energyKwh;
    case 'cost':
      return measured.cost;
  }
}

/** The limit of one metric, or null when none is set. */
export function limitOf(limits: BudgetLimits, metric: BudgetMetric): number | null {
  const value =
    metric === 'co2e' ? limits.co2eGrams : metric === 'energy' ? limits.energyKwh : limits.cost;
  return value ?? null;
}

/** measured / limit in percent; a zero limit is 0 % when nothing was used, otherwise null (∞). */
export function percentUsed(measured: number, limit: number): number | null {
  if (limit > 0) return (measured / limit) * 100;
  return measured > 0 ? null : 0;
}

/** Compare each set limit with the measurement, in BUDGET_METRICS order. */
export function checkLimits(measured: BudgetMeasurement, limits: BudgetLimits): LimitCheck[] {
  const checks: LimitCheck[] = [];
  for (const metric of BUDGET_METRICS) {
    const limit = limitOf(limits, metric);
    if (limit === null) continue;
    if (!Number.isFinite(limit) || limit < 0) {
      // Parsers and the config schema reject these; reaching here is a programming error.
      throw new RangeError(`${metric} limit must be a finite number ≥ 0, got ${limit}`);
    }
    const value = measurementOf(measured, metric);
    checks.push({
      metric,
      measured: value,
      limit,
      percentUsed: percentUsed(value, limit),
      exceeded: value > limit,
    });
  }
  return checks;
}

/**
 * The headline "percent used": the largest share over the checks (the binding limit). Null
 * when there are no checks, or when a zero limit was overrun (an infinite share).
 */
export function bindingPercentUsed(checks: readonly LimitCheck[]): number | null {
  if (checks.length === 0) return null;
  let largest = 0;
  for (const check of checks) {
    if (check.percentUsed === null) return null;
    largest = Math.max(largest, check.percentUsed);
  }
  return largest;
}

/** A measurement compared with a recorded baseline. */
export interface BaselineComparison {
  metric: BudgetMetric;
  baselineValue: number;
  measuredValue: number;
  /** (measured − baseline) / baseline × 100; negative is an improvement; null for growth from 0. */
  increasePercent: number | null;
  maxIncreasePercent: number;
  /** True when the increase is above the allowed one (growth from a zero baseline always is). */
  exceeded: boolean;
}

/** Regression check: is `measured` more than `maxIncreasePercent` above `baseline`? */
export function compareWithBaseline(
  metric: BudgetMetric,
  measuredValue: number,
  baselineValue: number,
  maxIncreasePercent: number,
): BaselineComparison {
  if (!Number.isFinite(baselineValue) || baselineValue < 0) {
    throw new RangeError(`baseline value must be a finite number ≥ 0, got ${baselineValue}`);
  }
  let increasePercent: number | null;
  let exceeded: boolean;
  if (baselineValue > 0) {
    increasePercent = ((measuredValue - baselineValue) / baselineValue) * 100;
    exceeded = increasePercent > maxIncreasePercent;
  } else {
    increasePercent = measuredValue > 0 ? null : 0;
    exceeded = measuredValue > 0;
  }
  return { metric, baselineValue, measuredValue, increasePercent, maxIncreasePercent, exceeded };
}

const PERCENT_RE = /^(\d+(?:\.\d*)?|\.\d+)\s*%?$/;

/** Parses `10%`, `10`, `12.5 %` into a percentage (10, 12.5); non-negative and finite. */
export function parsePercent(text: string): number {
  const match = PERCENT_RE.exec(text.trim());
  const value = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidInputError('a percentage (expected e.g. 10% or 12.5)', { value: text });
  }
  return value;
}

/** A half-open time range `[from, to)`. */
export interface Window {
  from: Date;
  to: Date;
}

export { coveringHours } from './hours.js';

/**
 * The share of an hour's measured usage that falls inside `window`, assuming usage is spread
 * evenly over the part of the hour that had happened by `observedUntil` (normally now).
 *
 * Why: hourly usage is exact per clock hour; a window that starts or ends mid-hour needs part of
 * an hour. Only the observed part of the current hour can hold usage, so for `--since 10:03`
 * at 10:20 the hour from 10:00 counts 17/20 of its usage, not 17/60.
 * 1 for an hour wholly inside the window, 0 for one wholly outside it.
 */
export function hourShareInWindow(hourStart: Date, window: Window, observedUntil: Date): number {
  const start = hourStart.getTime();
  const observedEnd = Math.min(start + HOUR_MS, observedUntil.getTime());
  if (observedEnd <= start) return 0;
  const insideFrom = Math.max(start, window.from.getTime());
  const insideTo = Math.min(observedEnd, window.to.getTime());
  if (insideTo <= insideFrom) return 0;
  return (insideTo - insideFrom) / (observedEnd - start);
}

/** Activity of one hour and the location-based grid intensity that applies to it. */
export interface HourActivity {
  hourStart: Date;
  activity: Activity;
  intensityGPerKwh: number;
}

/** Totals of a measurement over hours, with the energy-weighted mean intensity. */
export interface HoursFootprint extends BudgetMeasurement {
  busySeconds: number;
  idleSeconds: number;
  memoryGiBHours: number;
  energyItKwh: number;
  scope2LocationGrams: number;
  scope2MarketGrams: number;
  scope3EmbodiedGrams: number;
  /** Σ(energy × intensity) / Σ energy; null when no energy was used. */
  meanIntensityGPerKwh: number | null;
  /** Union of the estimation reasons (e.g. `intensity_forecast`), sorted. */
  estimationReasons: string[];
}

/**
 * The budget view of a footprint total: CO2e is location-based Scope 2 plus Scope 3 embodied,
 * like `total_kgco2e`, with the energy-weighted mean intensity and the estimation reasons.
 */
export function hoursFootprintOf(
  total: FootprintTotal,
  estimationReasons: Iterable<string>,
): HoursFootprint {
  return {
    co2eGrams: total.totalGrams,
    energyKwh: total.energyKwh,
    cost: total.cost,
    busySeconds: total.busySeconds,
    idleSeconds: total.idleSeconds,
    memoryGiBHours: total.memoryGiBHours,
    energyItKwh: total.energyItKwh,
    scope2LocationGrams: total.scope2LocationGrams,
    scope2MarketGrams: total.scope2MarketGrams,
    scope3EmbodiedGrams: total.scope3EmbodiedGrams,
    meanIntensityGPerKwh: energyWeightedIntensity(total.scope2LocationGrams, total.energyKwh),
    estimationReasons: [...new Set(estimationReasons)].sort(),
  };
}

/**
 * The footprint of a sequence of hours, each at its own intensity (SPEC §2 time-resolved
 * intensity).
 */
export function footprintOfHours(
  hours: readonly HourActivity[],
  factors: MethodologyFactors,
): HoursFootprint {
  const total = emptyFootprintTotal();
  const reasons: string[] = [];
  for (const hour of hours) {
    const footprint = computeFootprint(hour.activity, hour.intensityGPerKwh, factors);
    addToFootprintTotal(total, hour.activity, footprint);
    reasons.push(...footprint.estimationReasons);
  }
  return hoursFootprintOf(total, reasons);
}

/** Adds footprints (e.g. of several clusters); the mean intensity is re-weighted by energy. */
export function addFootprints(parts: readonly HoursFootprint[]): HoursFootprint {
  const total = emptyFootprintTotal();
  for (const part of parts) {
    total.totalGrams += part.co2eGrams;
    total.energyKwh += part.energyKwh;
    total.cost += part.cost;
    total.busySeconds += part.busySeconds;
    total.idleSeconds += part.idleSeconds;
    total.memoryGiBHours += part.memoryGiBHours;
    total.energyItKwh += part.energyItKwh;
    total.scope2LocationGrams += part.scope2LocationGrams;
    total.scope2MarketGrams += part.scope2MarketGrams;
    total.scope3EmbodiedGrams += part.scope3EmbodiedGrams;
  }
  return hoursFootprintOf(
    total,
    parts.flatMap((part) => part.estimationReasons),
  );
}

/** Adds measurements (e.g. of several clusters). */
export function addMeasurements(parts: readonly BudgetMeasurement[]): BudgetMeasurement {
  return parts.reduce<BudgetMeasurement>(
    (sum, part) => ({
      co2eGrams: sum.co2eGrams + part.co2eGrams,
      energyKwh: sum.energyKwh + part.energyKwh,
      cost: sum.cost + part.cost,
    }),
    { co2eGrams: 0, energyKwh: 0, cost: 0 },
  );
}

/** The calendar month containing `now` in `zone`, as UTC instants `[from, to)`. */
export function monthContaining(now: Date, zone: string): Window {
  assertValidZone(zone);
  const start = DateTime.fromJSDate(now, { zone }).startOf('month');
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate() };
}

/**
 * The value at the end of a period at the rate so far: used × period length / elapsed, where
 * elapsed runs from the period start to `dataEnd` (the end of the data, which may lag `now`:
 * dividing by the time to `now` would understate the rate when tracking runs behind).
 * Null when no time has elapsed (nothing to extrapolate from).
 */
export function projectPeriodEnd(used: number, period: Window, dataEnd: Date): number | null {
  const total = period.to.getTime() - period.from.getTime();
  const elapsed = Math.min(total, dataEnd.getTime() - period.from.getTime());
  if (total <= 0 || elapsed <= 0) return null;
  return used * (total / elapsed);
}

/** Where a named budget stands this period. */
export type BudgetState = 'ok' | 'at_risk' | 'exceeded';

/** `exceeded` when already above the limit, `at_risk` when the projection is, else `ok`. */
export function budgetState(used: number, projected: number | null, limit: number): BudgetState {
  if (used > limit) return 'exceeded';
  if (projected !== null && projected > limit) return 'at_risk';
  return 'ok';
}

/**
 * Exact hourly increases of Prometheus counters, computed from samples.
 *
 * Why not PromQL `increase()`: it extrapolates towards the edges of the window (a 20-minute CI
 * pod comes out ~12 % too high) and Prometheus 2.x and 3.x disagree on whether a sample exactly on
 * the window's left edge belongs to it (reference/prometheus.md §1.6, §5.1). Here the hourly
 * value is the sum of differences of consecutive samples whose interval lies in the hour, so the
 * hours of a month add up exactly to the counter's total increase, on any backend.
 *
 * Model. Samples sit on a grid of `stepSeconds`. The step interval ending at sample time `t` is
 * `(t − step, t]` and belongs to the UTC hour containing `t − step`. For each sample:
 * - the first sample ever seen of a series counts from 0 (a pod or VM that just started);
 * - a sample within `stalenessSeconds` of the previous one continues the series: the difference
 *   (or, when the value dropped, the new value: a counter reset) is the increase, spread evenly
 *   over the step intervals between the two samples (missed scrapes), all of them covered;
 * - after a longer gap the hours in between get nothing and are not covered; the new sample's
 *   own interval gets its value only when the counter reset (a reboot: usage since restart),
 *   because an increase across an unobserved gap cannot be placed in time.
 */
import { HOUR_SECONDS } from './usage.js';

/** The last usable sample of a counter series, carried from one chunk of samples to the next. */
export interface CounterCarry {
  timeSeconds: number;
  value: number;
}

/** Grid and staleness settings shared by all series of one fetch. */
export interface CounterOptions {
  /** Distance between grid points (the query step / scrape interval), seconds. */
  stepSeconds: number;
  /** Longest distance between two samples that still counts as one continuous series, seconds. */
  stalenessSeconds: number;
}

/** Covered step intervals of one series: `(ends[i] − step, ends[i]]` increased by `increases[i]`. */
export interface StepIntervals {
  /** Interval end times in seconds, strictly ascending. */
  ends: number[];
  /** Counter increase within each interval, ≥ 0. */
  increases: number[];
}

/** Increase and coverage of one hour. */
export interface HourTotal {
  /** Sum of the increases of the covered step intervals of the hour. */
  increase: number;
  /** Number of covered step intervals in the hour (hour coverage = coveredSteps × step / 3600). */
  coveredSteps: number;
}

/**
 * Turns a counter's samples (ascending times, seconds) into covered step intervals, continuing
 * from `carry` (the previous chunk's last sample, or null for a series not seen before).
 * Non-finite values are skipped as if the sample were missing.
 */
export function counterIntervals(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  carry: CounterCarry | null,
  options: CounterOptions,
): { intervals: StepIntervals; carry: CounterCarry | null } {
  const { stepSeconds, stalenessSeconds } = options;
  const ends: number[] = [];
  const increases: number[] = [];
  let last = carry;

  for (let index = 0; index < times.length; index++) {
    const time = times[index] as number;
    const value = values[index] as number;
    if (!Number.isFinite(value)) continue;

    if (last === null) {
      // First sample ever seen: the series started counting from 0 since the previous scrape.
      ends.push(time);
      increases.push(Math.max(0, value));
      last = { timeSeconds: time, value };
      continue;
    }

    const gapSeconds = time - last.timeSeconds;
    // A repeated or out-of-order timestamp carries no new information.
    if (gapSeconds <= 0) continue;
    const reset = value < last.value;

    if (gapSeconds <= stalenessSeconds) {
      const steps = Math.max(1, Math.round(gapSeconds / stepSeconds));
      if (reset) {
        // Usage since the restart happened after it, i.e. just before this sample; the
        // intervals of the short outage are covered with nothing in them.
        for (let step = steps - 1; step >= 1; step--) {
          ends.push(time - step * stepSeconds);
          increases.push(0);
        }
        ends.push(time);
        increases.push(value);
      } else {
        const share = (value - last.value) / steps;
        for (let step = steps - 1; step >= 0; step--) {
          ends.push(time - step * stepSeconds);
          increases.push(share);
        }
      }
    } else if (reset) {
      ends.push(time);
      increases.push(value);
    }
    last = { timeSeconds: time, value };
  }

  return { intervals: { ends, increases }, carry: last };
}

/** Start (seconds) of the UTC hour an interval ending at `endSeconds` belongs to. */
export function hourOfInterval(endSeconds: number, stepSeconds: number): number {
  return Math.floor((endSeconds - stepSeconds) / HOUR_SECONDS) * HOUR_SECONDS;
}

/**
 * Sums covered step intervals per UTC hour, keeping hours in `[fromSeconds, toSeconds)` only.
 * Hours without covered intervals are absent (never an interpolated zero).
 */
export function sumByHour(
  intervals: StepIntervals,
  stepSeconds: number,
  fromSeconds: number,
  toSeconds: number,
): Map<number, HourTotal> {
  const hours = new Map<number, HourTotal>();
  const { ends, increases } = intervals;
  for (let index = 0; index < ends.length; index++) {
    const hour = hourOfInterval(ends[index] as number, stepSeconds);
    if (hour < fromSeconds || hour >= toSeconds) continue;
    let total = hours.get(hour);
    if (total === undefined) {
      total = { increase: 0, coveredSteps: 0 };
      hours.set(hour, total);
    }
    total.increase += increases[index] as number;
    total.coveredSteps += 1;
  }
  return hours;
}

/**
 * Merges the intervals of several series that make up one entity (a pod's containers, a host's
 * busy and idle modes): increases of the same interval add up, and an interval covered by any
 * series is covered once — the entity ran during it.
 */
export function mergeIntervals(lists: readonly StepIntervals[]): StepIntervals {
  const nonEmpty = lists.filter((list) => list.ends.length > 0);
  if (nonEmpty.length === 0) return { ends: [], increases: [] };
  if (nonEmpty.length === 1) {
    const only = nonEmpty[0] as StepIntervals;
    return { ends: only.ends.slice(), increases: only.increases.slice() };
  }
  const cursors = nonEmpty.map(() => 0);
  const ends: number[] = [];
  const increases: number[] = [];
  for (;;) {
    let next = Infinity;
    for (let list = 0; list < nonEmpty.length; list++) {
      const cursor = cursors[list] as number;
      const series = nonEmpty[list] as StepIntervals;
      if (cursor < series.ends.length) next = Math.min(next, series.ends[cursor] as number);
    }
    if (next === Infinity) break;
    let sum = 0;
    for (let list = 0; list < nonEmpty.length; list++) {
      const cursor = cursors[list] as number;
      const series = nonEmpty[list] as StepIntervals;
      if (cursor < series.ends.length && series.ends[cursor] === next) {
        sum += series.increases[cursor] as number;
        cursors[list] = cursor + 1;
      }
    }
    ends.push(next);
    increases.push(sum);
  }
  return { ends, increases };
}

/**
 * Reads a gauge (samples in ascending time order) at ascending query times: the latest sample at
 * or before the time and no older than `maxAgeSeconds`, else NaN. Calls must not go back in time.
 */
export class GaugeCursor {
  private index = 0;
  private lastTime = Number.NaN;
  private lastValue = Number.NaN;

  constructor(
    private readonly times: ArrayLike<number>,
    private readonly values: ArrayLike<number>,
    private readonly maxAgeSeconds: number,
    /** A value known from before these samples (the previous chunk), with its time. */
    carry: { timeSeconds: number; value: number } | null = null,
  ) {
    if (carry !== null) {
      this.lastTime = carry.timeSeconds;
      this.lastValue = carry.value;
    }
  }

  /** The gauge's value at `timeSeconds`, or NaN when no recent enough sample exists. */
  valueAt(timeSeconds: number): number {
    while (this.index < this.times.length && (this.times[this.index] as number) <= timeSeconds) {
      const value = this.values[this.index] as number;
      if (Number.isFinite(value)) {
        this.lastTime = this.times[this.index] as number;
        this.lastValue = value;
      }
      this.index++;
    }
    if (Number.isNaN(this.lastTime) || timeSeconds - this.lastTime > this.maxAgeSeconds) return Number.NaN;
    return this.lastValue;
  }

  /** The first finite sample at or after `timeSeconds` (a value reported a little late), or NaN. */
  firstValueFrom(timeSeconds: number): number {
    for (let index = this.index; index < this.times.length; index++) {
      const value = this.values[index] as number;
      if ((this.times[index] as number) >= timeSeconds && Number.isFinite(value)) return value;
    }
    return Number.NaN;
  }

  /** The latest finite sample consumed so far, to carry into the next chunk; null if none. */
  carry(): { timeSeconds: number; value: number } | null {
    // Consume everything so the carry is the chunk's last sample, not the last one asked for.
    this.valueAt(Infinity);
    return Number.isNaN(this.lastTime) ? null : { timeSeconds: this.lastTime, value: this.lastValue };
  }
}

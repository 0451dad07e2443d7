/**
 * Exact hourly increases of Prometheus counters, computed from samples.
 *
 * Why not PromQL `increase()`: it extrapolates towards the edges of the window and ignores what a
 * series counted before its first sample in the window, so short-lived pods (CI jobs) come out too
 * high or too low depending on scrape timing; and Prometheus 2.x and 3.x disagree on whether a
 * sample exactly on the window's left edge belongs to it (reference/prometheus.md §1.6, §5.1).
 * Here the hourly value is the sum of differences of consecutive samples whose interval lies in
 * the hour, so the hours of a month add up exactly to the counter's total increase, on any backend.
 *
 * Model. Samples sit on a grid of `stepSeconds` (the scrape interval). The step interval ending at
 * sample time `t` is `(t − step, t]` and belongs to the UTC hour containing `t − step`. For each
 * sample (SPEC §2, gaps):
 * - the first sample ever seen of a series counts from 0 (a pod or VM that just started),
 *   unless the series was already running when the data itself begins (see {@link DataStart});
 * - a sample one step after the previous one: the difference (or, when the value dropped, the new
 *   value: a counter reset) is the increase of its step, which is `sampled`;
 * - after a gap (missed scrapes, an exporter or Prometheus outage) without a reset and no longer
 *   than `maxGapSeconds`: a counter is cumulative, so the increase across the gap is real usage;
 *   it is spread evenly over the gap's steps, all flagged `estimated` (the last one is also
 *   `sampled`);
 * - after a gap with a reset (machine off and back): the usage before the reset is unknowable;
 *   the gap's steps are `missing` (nothing booked, never invented) and the new sample's own step
 *   gets its value (usage since the restart);
 * - after a gap longer than `maxGapSeconds` without a reset: the steps are `missing` and the
 *   increase is not booked (it cannot be placed in time); the gap is reported through coverage.
 */
import { HOUR_SECONDS } from './usage.js';

/** The last usable sample of a counter series, carried from one chunk of samples to the next. */
export interface CounterCarry {
  timeSeconds: number;
  value: number;
}

/** Grid and gap settings shared by all series of one fetch. */
export interface CounterOptions {
  /** Distance between grid points (the query step = the scrape interval), seconds. */
  stepSeconds: number;
  /** How near a data start a series' first sample must be to count as already running, seconds. */
  stalenessSeconds: number;
  /** Longest gap without a reset whose increase is interpolated, seconds (SPEC §2 `maxGapHours`). */
  maxGapSeconds: number;
}

/** A step interval was ended by a sample of the series. */
export const STEP_SAMPLED = 1;
/** A step interval's increase is a share of an increase across a gap (SPEC §2 `gap_interpolated`). */
export const STEP_ESTIMATED = 2;
/** A step interval inside a gap that books nothing (a reset, or longer than `maxGapSeconds`). */
export const STEP_MISSING = 4;

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
 * Receives one step interval `(endSeconds − step, endSeconds]`, the counter's increase booked in
 * it, and how it is known ({@link STEP_SAMPLED}, {@link STEP_ESTIMATED}, {@link STEP_MISSING}).
 */
export type IntervalVisitor = (endSeconds: number, increase: number, flags: number) => void;

/**
 * Walks a counter's samples (ascending times, seconds), continuing from `carry` (the previous
 * chunk's last sample, or null for a series not seen before), and reports every covered step
 * interval to `visit` in time order. Non-finite values are skipped as if the sample were missing.
 *
 * `carryUntilSeconds`: samples after it are a look-ahead. They still produce intervals (a gap
 * straddling the chunk end is spread correctly over the hours before it), but the returned carry
 * is the last sample at or before it, where the next chunk continues.
 */
export function visitCounterIntervals(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  carry: CounterCarry | null,
  options: CounterOptions,
  visit: IntervalVisitor,
  carryUntilSeconds = Infinity,
): CounterCarry | null {
  const { stepSeconds, maxGapSeconds } = options;
  let last = carry;
  let carryAtLimit: CounterCarry | null | undefined;

  for (let index = 0; index < times.length; index++) {
    const time = times[index] as number;
    const value = values[index] as number;
    if (!Number.isFinite(value)) continue;
    if (time > carryUntilSeconds && carryAtLimit === undefined) carryAtLimit = last;

    if (last === null) {
      // First sample ever seen: the series started counting from 0 since the previous scrape.
      visit(time, Math.max(0, value), STEP_SAMPLED);
      last = { timeSeconds: time, value };
      continue;
    }

    const gapSeconds = time - last.timeSeconds;
    // A repeated or out-of-order timestamp carries no new information.
    if (gapSeconds <= 0) continue;
    const reset = value < last.value;
    const steps = Math.max(1, Math.round(gapSeconds / stepSeconds));

    if (steps === 1) {
      visit(time, reset ? value : value - last.value, STEP_SAMPLED);
    } else if (reset) {
      // Machine off and back: usage before the restart is unknowable; since the restart, it is
      // the new value, just before this sample.
      for (let step = steps - 1; step >= 1; step--)
        visit(time - step * stepSeconds, 0, STEP_MISSING);
      visit(time, value, STEP_SAMPLED);
    } else if (gapSeconds <= maxGapSeconds) {
      // The counter kept counting: its increase across the gap is real usage, spread evenly.
      const share = (value - last.value) / steps;
      for (let step = steps - 1; step >= 1; step--)
        visit(time - step * stepSeconds, share, STEP_ESTIMATED);
      visit(time, share, STEP_SAMPLED | STEP_ESTIMATED);
    } else {
      // Too long to place the increase in time: reported as missing, not invented.
      for (let step = steps - 1; step >= 0; step--)
        visit(time - step * stepSeconds, 0, STEP_MISSING);
    }
    last = { timeSeconds: time, value };
  }

  return carryAtLimit === undefined ? last : carryAtLimit;
}

/**
 * Where the data of one fetch begins, to tell a series that *started* at its first sample from
 * one that was already running when Prometheus's data begins (a first run whose window reaches
 * back before retention or before Prometheus was installed). The first sample of a running series
 * holds everything it counted since boot or container start — usage from before the data, which
 * cannot be placed in time — so it is only the base the next sample is measured from.
 *
 * Rule: when the earliest sample of the fetch lies after the start of the range read (more than
 * one step in) AND the metric as a whole (without the caller's filters) has no sample in the
 * staleness window ending `stalenessSeconds` before it, the data begins there: every series whose
 * first sample comes within `stalenessSeconds` of that moment was already running. A series appearing later started then and counts from 0. When
 * data exists from the start of the range read, or the unfiltered metric has samples before the
 * filtered series appear (a CI pod starting inside a `budget check` window), series without a
 * sample in the base look-back are new, as before.
 *
 * The unfiltered check needs a query, so the caller does it: `candidate` proposes a moment,
 * `decide` records the answer, once per fetch.
 */
export class DataStart {
  private decided = false;
  private beganSeconds: number | null = null;

  /**
   * @param readFromSeconds start of the range read (the first chunk's query start, look-back included)
   * @param options the grid and staleness of the fetch
   */
  constructor(
    private readonly readFromSeconds: number,
    private readonly options: CounterOptions,
  ) {}

  /**
   * Looks at a chunk's series (chunks in time order). Returns the earliest sample time when it is
   * the first data seen and lies inside the range read: the caller must then check whether the
   * unfiltered metric had samples just before it and call {@link decide}. Otherwise null.
   */
  candidate(
    list: ReadonlyArray<{ times: ArrayLike<number>; values: ArrayLike<number> }>,
  ): number | null {
    if (this.decided) return null;
    let earliest = Infinity;
    for (const { times, values } of list) {
      for (let index = 0; index < times.length; index++) {
        if (!Number.isFinite(values[index])) continue;
        earliest = Math.min(earliest, times[index] as number);
        break;
      }
    }
    if (earliest === Infinity) return null;
    if (earliest <= this.readFromSeconds + this.options.stepSeconds) {
      this.decide(null);
      return null;
    }
    return earliest;
  }

  /** Records where the data begins (the candidate), or null when it continues from before. */
  decide(beganSeconds: number | null): void {
    this.decided = true;
    this.beganSeconds = beganSeconds;
  }

  /** Where the data begins inside the range read, or null (unknown yet, or data from before). */
  get beganAtSeconds(): number | null {
    return this.beganSeconds;
  }

  /**
   * The carry for a series seen for the first time: its first sample when the series was already
   * running as the data began (so that sample is a base, not usage), else null (count from 0).
   */
  initialCarry(times: ArrayLike<number>, values: ArrayLike<number>): CounterCarry | null {
    const began = this.beganSeconds;
    if (began === null) return null;
    for (let index = 0; index < times.length; index++) {
      const value = values[index] as number;
      if (!Number.isFinite(value)) continue;
      const time = times[index] as number;
      return time <= began + this.options.stalenessSeconds ? { timeSeconds: time, value } : null;
    }
    return null;
  }
}

/** {@link visitCounterIntervals}, collecting the intervals into arrays. */
export function counterIntervals(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  carry: CounterCarry | null,
  options: CounterOptions,
  carryUntilSeconds = Infinity,
): { intervals: StepIntervals; carry: CounterCarry | null } {
  const ends: number[] = [];
  const increases: number[] = [];
  const next = visitCounterIntervals(
    times,
    values,
    carry,
    options,
    (end, increase, flags) => {
      if ((flags & STEP_MISSING) !== 0) return;
      ends.push(end);
      increases.push(increase);
    },
    carryUntilSeconds,
  );
  return { intervals: { ends, increases }, carry: next };
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
  private aheadIndex = 0;
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
    if (Number.isNaN(this.lastTime) || timeSeconds - this.lastTime > this.maxAgeSeconds)
      return Number.NaN;
    return this.lastValue;
  }

  /**
   * The first finite sample at or after `timeSeconds` (a value reported a little late), or NaN.
   * Like {@link valueAt}, calls must not go back in time; the scan resumes where the last one stopped.
   */
  firstValueFrom(timeSeconds: number): number {
    let index = Math.max(this.index, this.aheadIndex);
    while (
      index < this.times.length &&
      ((this.times[index] as number) < timeSeconds || !Number.isFinite(this.values[index]))
    ) {
      index++;
    }
    this.aheadIndex = index;
    return index < this.times.length ? (this.values[index] as number) : Number.NaN;
  }

  /**
   * The latest finite sample at or before `untilSeconds` (the chunk end), to carry into the next
   * chunk; null if none. Consumes the samples up to there: call it last.
   */
  carry(untilSeconds = Infinity): { timeSeconds: number; value: number } | null {
    while (this.index < this.times.length && (this.times[this.index] as number) <= untilSeconds) {
      const value = this.values[this.index] as number;
      if (Number.isFinite(value)) {
        this.lastTime = this.times[this.index] as number;
        this.lastValue = value;
      }
      this.index++;
    }
    return Number.isNaN(this.lastTime)
      ? null
      : { timeSeconds: this.lastTime, value: this.lastValue };
  }
}

/** Per UTC hour: channel sums and how its steps are known. */
export interface StepHour {
  sums: number[];
  /** Steps that book usage (sampled or interpolated): the entity ran. */
  coveredSteps: number;
  /** Steps ended by a real sample. */
  sampledSteps: number;
  /** Steps whose usage is interpolated across a gap (SPEC §2 `gap_interpolated`). */
  estimatedSteps: number;
  /** Steps inside a gap that book nothing (reset, or longer than the interpolation limit). */
  missingSteps: number;
}

/**
 * Per-step totals of one entity on a chunk's time grid, in a few channels (e.g. busy and idle),
 * plus how each step is known (covered by any series, sampled, interpolated, missing). One
 * instance is reused for every entity of a chunk, so processing allocates nothing per sample.
 */
export class StepAccumulator {
  /** 1 where step `i` — the interval ending at `gridStart + i × step` — books usage. */
  readonly covered: Uint8Array;
  /** Per step, the OR of the {@link STEP_SAMPLED} / {@link STEP_ESTIMATED} / {@link STEP_MISSING} flags seen. */
  readonly flags: Uint8Array;
  /** Per channel, the sum of increases per step. */
  readonly sums: Float64Array[];
  private low = Infinity;
  private high = -1;

  constructor(
    readonly gridStartSeconds: number,
    readonly stepSeconds: number,
    readonly steps: number,
    channels: number,
  ) {
    this.covered = new Uint8Array(steps);
    this.flags = new Uint8Array(steps);
    this.sums = Array.from({ length: channels }, () => new Float64Array(steps));
  }

  /** Clears what the previous entity left (only the range it touched). */
  reset(): void {
    if (this.high < 0) return;
    this.covered.fill(0, this.low, this.high + 1);
    this.flags.fill(0, this.low, this.high + 1);
    for (const sums of this.sums) sums.fill(0, this.low, this.high + 1);
    this.low = Infinity;
    this.high = -1;
  }

  /**
   * Adds an interval's increase to a channel. Intervals outside the grid are dropped: before it
   * they belong to hours already handed over (or before the window).
   */
  add(channel: number, endSeconds: number, increase: number, flags = STEP_SAMPLED): void {
    const index = Math.round((endSeconds - this.gridStartSeconds) / this.stepSeconds);
    if (index < 0 || index >= this.steps) return;
    this.flags[index] = (this.flags[index] as number) | flags;
    if (index < this.low) this.low = index;
    if (index > this.high) this.high = index;
    if ((flags & STEP_MISSING) !== 0) return;
    this.covered[index] = 1;
    const sums = this.sums[channel] as Float64Array;
    sums[index] = (sums[index] as number) + increase;
  }

  /** End time (seconds) of step `index`. */
  endOf(index: number): number {
    return this.gridStartSeconds + index * this.stepSeconds;
  }

  /**
   * Range of step indexes whose intervals lie in `[fromSeconds, toSeconds)` and that the current
   * entity touched; `first > last` when there are none.
   */
  activeRange(fromSeconds: number, toSeconds: number): { first: number; last: number } {
    // Step i covers (end − step, end]: inside the window when from < end ≤ to.
    const first = Math.floor((fromSeconds - this.gridStartSeconds) / this.stepSeconds) + 1;
    const last = Math.floor((toSeconds - this.gridStartSeconds) / this.stepSeconds);
    return { first: Math.max(0, first, this.low), last: Math.min(this.steps - 1, last, this.high) };
  }

  /** How step `index` counts for an hour's quality (sampled, estimated, missing). */
  tally(hour: StepHour, index: number): void {
    const flags = this.flags[index] as number;
    if (this.covered[index] === 1) {
      hour.coveredSteps += 1;
      if ((flags & STEP_SAMPLED) !== 0) hour.sampledSteps += 1;
      if ((flags & STEP_ESTIMATED) !== 0) hour.estimatedSteps += 1;
    } else if ((flags & STEP_MISSING) !== 0) {
      hour.missingSteps += 1;
    }
  }

  /**
   * Per UTC hour in `[fromSeconds, toSeconds)` with any covered or missing step: channel sums and
   * how its steps are known.
   */
  hours(fromSeconds: number, toSeconds: number): Map<number, StepHour> {
    const result = new Map<number, StepHour>();
    const { first, last } = this.activeRange(fromSeconds, toSeconds);
    for (let index = first; index <= last; index++) {
      if (this.flags[index] === 0) continue;
      const hour = hourOfInterval(this.endOf(index), this.stepSeconds);
      let total = result.get(hour);
      if (total === undefined) {
        total = emptyStepHour(this.sums.length);
        result.set(hour, total);
      }
      if (this.covered[index] === 1) {
        for (let channel = 0; channel < this.sums.length; channel++) {
          total.sums[channel] =
            (total.sums[channel] as number) +
            ((this.sums[channel] as Float64Array)[index] as number);
        }
      }
      this.tally(total, index);
    }
    return result;
  }
}

/** An hour with no steps yet. */
export function emptyStepHour(channels: number): StepHour {
  return {
    sums: Array.from({ length: channels }, () => 0),
    coveredSteps: 0,
    sampledSteps: 0,
    estimatedSteps: 0,
    missingSteps: 0,
  };
}

import { describe, expect, it } from 'vitest';
import type { StepIntervals } from '../../../src/core/counters.js';
import {
  DataStart,
  GaugeCursor,
  STEP_ESTIMATED,
  STEP_MISSING,
  STEP_SAMPLED,
  StepAccumulator,
  counterIntervals,
  hourOfInterval,
  mergeIntervals,
  sumByHour,
  visitCounterIntervals,
} from '../../../src/core/counters.js';

// A 15-minute grid keeps hand computations short: four steps per hour. Hour 0 = [0, 3600).
const options = { stepSeconds: 900, stalenessSeconds: 1800, maxGapSeconds: 1800 };

function hourly(
  times: number[],
  values: number[],
  carry: { timeSeconds: number; value: number } | null,
  from = 0,
  to = 4 * 3600,
) {
  const { intervals } = counterIntervals(times, values, carry, options);
  return Object.fromEntries(
    [...sumByHour(intervals, options.stepSeconds, from, to)].map(([hour, total]) => [hour, total]),
  );
}

describe('counterIntervals + sumByHour', () => {
  it('sums differences of consecutive samples inside each hour, the base sample counting nothing in the window', () => {
    // Carry-less first sample at t=0 counts from 0 but its interval (-900, 0] is in hour -3600.
    // Hour 0: (0,900] +10, (900,1800] +15, (1800,2700] +0, (2700,3600] +15 = 40 over 4 steps.
    // Hour 3600: (3600,4500] +10 = 10 over 1 step.
    expect(hourly([0, 900, 1800, 2700, 3600, 4500], [10, 20, 35, 35, 50, 60], null)).toEqual({
      0: { increase: 40, coveredSteps: 4 },
      3600: { increase: 10, coveredSteps: 1 },
    });
  });

  it('treats a drop as a counter reset and counts the new value', () => {
    // Carry (-900, 90). Increments: (−900,0] +10 (hour −3600), (0,900] +10, (900,1800] reset → +5,
    // (1800,2700] +10. Hour 0 = 10 + 5 + 10 = 25 over 3 steps.
    expect(
      hourly([0, 900, 1800, 2700], [100, 110, 5, 15], { timeSeconds: -900, value: 90 }),
    ).toEqual({
      0: { increase: 25, coveredSteps: 3 },
    });
  });

  it('spreads the increase across a missed scrape shorter than the staleness window', () => {
    // Carry (0, 0); samples 900 → 10, 2700 → 30 (1800 missing, gap 1800 ≤ staleness):
    // (0,900] +10, then 20 spread over (900,1800] and (1800,2700] → hour 0 = 30 over 3 steps.
    expect(hourly([900, 2700], [10, 30], { timeSeconds: 0, value: 0 })).toEqual({
      0: { increase: 30, coveredSteps: 3 },
    });
  });

  it('splits a spread increase at the hour boundary by step', () => {
    // Carry (2700, 100); next sample at 4500 = 140: 40 over (2700,3600] and (3600,4500] → 20 + 20.
    expect(hourly([4500], [140], { timeSeconds: 2700, value: 100 })).toEqual({
      0: { increase: 20, coveredSteps: 1 },
      3600: { increase: 20, coveredSteps: 1 },
    });
  });

  it('after a gap longer than the staleness window counts nothing for the unobserved time', () => {
    // 0 → 100 (carry), 900 → 110: +10 in hour 0. Then nothing until 9000 → 200 (gap 8100 > 1800,
    // no drop: the increase cannot be placed), 9900 → 210: +10 in hour 7200 (interval (9000,9900]).
    // Hour 3600 has no samples at all and therefore no entry.
    expect(hourly([900, 9000, 9900], [110, 200, 210], { timeSeconds: 0, value: 100 })).toEqual({
      0: { increase: 10, coveredSteps: 1 },
      7200: { increase: 10, coveredSteps: 1 },
    });
  });

  it('after a long gap with a reset (a reboot) counts the usage since the restart', () => {
    // 0 → 5000 (carry), 900 → 5010: +10. Off, back at 8100 with 7 (< 5010: reset) → +7 in the
    // interval (7200,8100] of hour 7200, then 9000 → 12: +5.
    expect(hourly([900, 8100, 9000], [5010, 7, 12], { timeSeconds: 0, value: 5000 })).toEqual({
      0: { increase: 10, coveredSteps: 1 },
      7200: { increase: 12, coveredSteps: 2 },
    });
  });

  it('books nothing for the steps of an outage before a reset, and the restart usage on the last step', () => {
    // Carry (0, 500); back at 2700 with 30 after a 2700 s outage: usage before the reset is
    // unknowable (SPEC §2), so (0,900] and (900,1800] book nothing and are missing.
    const seen: Array<[number, number, number]> = [];
    visitCounterIntervals(
      [2700],
      [30],
      { timeSeconds: 0, value: 500 },
      { stepSeconds: 900, stalenessSeconds: 3600, maxGapSeconds: 3600 },
      (end, increase, flags) => seen.push([end, increase, flags]),
    );
    expect(seen).toEqual([
      [900, 0, STEP_MISSING],
      [1800, 0, STEP_MISSING],
      [2700, 30, STEP_SAMPLED],
    ]);
    const { intervals } = counterIntervals(
      [2700],
      [30],
      { timeSeconds: 0, value: 500 },
      { stepSeconds: 900, stalenessSeconds: 3600, maxGapSeconds: 3600 },
    );
    expect(intervals).toEqual({ ends: [2700], increases: [30] });
  });

  it('interpolates one missed scrape at a 300 s interval: the increase is booked, flagged, not dropped', () => {
    // The case: samples every 300 s, one missing (a 600 s gap). The counter kept
    // counting: 60 core-seconds between 300 and 900 are real usage, 30 per step, both flagged
    // estimated; the step ending at the resumed sample is also sampled.
    const seen: Array<[number, number, number]> = [];
    visitCounterIntervals(
      [300, 900, 1200],
      [100, 160, 190],
      { timeSeconds: 0, value: 70 },
      { stepSeconds: 300, stalenessSeconds: 300, maxGapSeconds: 86_400 },
      (end, increase, flags) => seen.push([end, increase, flags]),
    );
    expect(seen).toEqual([
      [300, 30, STEP_SAMPLED],
      [600, 30, STEP_ESTIMATED],
      [900, 30, STEP_SAMPLED | STEP_ESTIMATED],
      [1200, 30, STEP_SAMPLED],
    ]);
    // Total = 190 − 70 = 120: nothing lost.
    expect(seen.reduce((sum, [, increase]) => sum + increase, 0)).toBe(120);
  });

  it('reports a gap longer than the interpolation limit as missing, not invented', () => {
    const seen: Array<[number, number, number]> = [];
    visitCounterIntervals(
      [900, 4500],
      [10, 50],
      { timeSeconds: 0, value: 0 },
      { stepSeconds: 900, stalenessSeconds: 900, maxGapSeconds: 1800 },
      (end, increase, flags) => seen.push([end, increase, flags]),
    );
    // (0,900] sampled +10; the 3600 s gap exceeds 1800 s: its four steps book nothing.
    expect(seen).toEqual([
      [900, 10, STEP_SAMPLED],
      [1800, 0, STEP_MISSING],
      [2700, 0, STEP_MISSING],
      [3600, 0, STEP_MISSING],
      [4500, 0, STEP_MISSING],
    ]);
  });

  it('counts a series that appears mid-hour from zero', () => {
    // No carry: first sample 2700 → 5 covers (1800,2700]; 3600 → 12 adds 7. Hour 0 = 12 over 2 steps.
    expect(hourly([2700, 3600], [5, 12], null)).toEqual({ 0: { increase: 12, coveredSteps: 2 } });
  });

  it('assigns a sample exactly on the hour to the hour that ends there', () => {
    // (2700,3600] ends on the boundary and belongs to hour 0, not hour 3600.
    expect(hourOfInterval(3600, 900)).toBe(0);
    expect(hourOfInterval(4500, 900)).toBe(3600);
    expect(hourly([3600], [42], { timeSeconds: 2700, value: 40 })).toEqual({
      0: { increase: 2, coveredSteps: 1 },
    });
  });

  it('gives the same hours whether a series is processed in one piece or in chunks with a carry', () => {
    const times = [0, 900, 1800, 2700, 3600, 4500, 5400, 6300, 7200];
    const values = [0, 3, 9, 2, 8, 8, 20, 21, 30];
    const whole = counterIntervals(times, values, null, options).intervals;
    const first = counterIntervals(times.slice(0, 4), values.slice(0, 4), null, options);
    const second = counterIntervals(times.slice(4), values.slice(4), first.carry, options);
    expect(second.carry).toEqual({ timeSeconds: 7200, value: 30 });
    expect({
      ends: [...first.intervals.ends, ...second.intervals.ends],
      increases: [...first.intervals.increases, ...second.intervals.increases],
    }).toEqual(whole);
  });

  it('adds up over hours to the total increase with resets (telescoping)', () => {
    // Values 0, 3, 9, reset to 2, 8, 8, 20, 21, 30: total increase = 9 + 2 + (30 − 2) = 39.
    const { intervals } = counterIntervals(
      [0, 900, 1800, 2700, 3600, 4500, 5400, 6300, 7200],
      [0, 3, 9, 2, 8, 8, 20, 21, 30],
      null,
      options,
    );
    const total = [...sumByHour(intervals, 900, -3600, 3 * 3600).values()].reduce(
      (sum, hour) => sum + hour.increase,
      0,
    );
    expect(total).toBe(39);
  });

  it('skips non-finite and repeated samples', () => {
    // NaN at 900 is ignored, so 1800 continues from 0 → +4 spread over two steps; the repeated 1800 is dropped.
    const { intervals, carry } = counterIntervals(
      [900, 1800, 1800],
      [Number.NaN, 4, 99],
      { timeSeconds: 0, value: 0 },
      options,
    );
    expect(intervals).toEqual({ ends: [900, 1800], increases: [2, 2] });
    expect(carry).toEqual({ timeSeconds: 1800, value: 4 });
  });

  it('keeps only hours inside the window', () => {
    const intervals: StepIntervals = { ends: [900, 4500, 8100], increases: [1, 2, 4] };
    expect([...sumByHour(intervals, 900, 3600, 7200).entries()]).toEqual([
      [3600, { increase: 2, coveredSteps: 1 }],
    ]);
  });
});

describe('look-ahead past the chunk end', () => {
  it('spreads a gap straddling the chunk end but carries the last sample before it', () => {
    // Chunk ends at 3600. Samples 2700 → 100, then nothing until 5400 → 160 (gap 2700 ≤ staleness
    // 3600): 60 spread over (2700,3600], (3600,4500], (4500,5400] = 20 each. The carry stays at
    // 2700 so the next chunk repeats the spread and keeps the steps after 3600.
    const lookahead = { stepSeconds: 900, stalenessSeconds: 3600, maxGapSeconds: 3600 };
    const first = counterIntervals(
      [2700, 5400],
      [100, 160],
      { timeSeconds: 1800, value: 90 },
      lookahead,
      3600,
    );
    expect(first.carry).toEqual({ timeSeconds: 2700, value: 100 });
    expect([...sumByHour(first.intervals, 900, 0, 3600)]).toEqual([
      [0, { increase: 30, coveredSteps: 2 }],
    ]);
    const second = counterIntervals([5400], [160], first.carry, lookahead, 7200);
    expect([...sumByHour(second.intervals, 900, 3600, 7200)]).toEqual([
      [3600, { increase: 40, coveredSteps: 2 }],
    ]);
    // 30 + 40 = 70 = 160 − 90: nothing lost or counted twice at the chunk boundary.
  });

  it('visits intervals in time order', () => {
    const seen: Array<[number, number]> = [];
    visitCounterIntervals(
      [900, 2700],
      [5, 9],
      { timeSeconds: 0, value: 1 },
      options,
      (end, increase) => seen.push([end, increase]),
    );
    expect(seen).toEqual([
      [900, 4],
      [1800, 2],
      [2700, 2],
    ]);
  });
});

describe('StepAccumulator', () => {
  it('sums channels per step, unions coverage and groups by hour', () => {
    // Grid from 0 every 900 s, 9 steps (0 … 7200).
    const steps = new StepAccumulator(0, 900, 9, 2);
    steps.add(0, 900, 1);
    steps.add(1, 900, 10);
    steps.add(0, 1800, 2);
    steps.add(1, 4500, 20);
    steps.add(0, -900, 99); // before the grid: an hour already handed over
    steps.add(0, 9000, 99); // after the grid
    const hour = (sums: number[], coveredSteps: number) => ({
      sums,
      coveredSteps,
      sampledSteps: coveredSteps,
      estimatedSteps: 0,
      missingSteps: 0,
    });
    expect([...steps.hours(0, 7200)]).toEqual([
      [0, hour([3, 10], 2)],
      [3600, hour([0, 20], 1)],
    ]);
    // Only hours inside the window: the step ending at 900 is in hour 0, outside [3600, 7200).
    expect([...steps.hours(3600, 7200)]).toEqual([[3600, hour([0, 20], 1)]]);
    expect(steps.activeRange(0, 7200)).toEqual({ first: 1, last: 5 });
  });

  it('starts clean after reset', () => {
    const steps = new StepAccumulator(0, 900, 9, 1);
    steps.add(0, 1800, 5);
    steps.reset();
    expect(steps.hours(0, 7200).size).toBe(0);
    expect([...steps.covered]).toEqual(new Array(9).fill(0));
    steps.add(0, 2700, 7);
    expect([...steps.hours(0, 7200)]).toEqual([
      [0, { sums: [7], coveredSteps: 1, sampledSteps: 1, estimatedSteps: 0, missingSteps: 0 }],
    ]);
  });

  it('tells sampled, interpolated and missing steps apart per hour', () => {
    const steps = new StepAccumulator(0, 900, 9, 1);
    steps.add(0, 900, 4, STEP_SAMPLED);
    steps.add(0, 1800, 2, STEP_ESTIMATED);
    steps.add(0, 2700, 2, STEP_SAMPLED | STEP_ESTIMATED);
    steps.add(0, 4500, 0, STEP_MISSING);
    steps.add(0, 5400, 3, STEP_SAMPLED);
    expect([...steps.hours(0, 7200)]).toEqual([
      [0, { sums: [8], coveredSteps: 3, sampledSteps: 2, estimatedSteps: 2, missingSteps: 0 }],
      [3600, { sums: [3], coveredSteps: 1, sampledSteps: 1, estimatedSteps: 0, missingSteps: 1 }],
    ]);
    expect(steps.covered[4]).toBe(0);
  });
});

describe('mergeIntervals', () => {
  it('adds increases of the same step and covers each step once', () => {
    const app: StepIntervals = { ends: [900, 1800, 2700], increases: [1, 2, 3] };
    const sidecar: StepIntervals = { ends: [1800, 3600], increases: [10, 20] };
    expect(mergeIntervals([app, sidecar, { ends: [], increases: [] }])).toEqual({
      ends: [900, 1800, 2700, 3600],
      increases: [1, 12, 3, 20],
    });
  });

  it('returns a copy for a single list and nothing for none', () => {
    const only: StepIntervals = { ends: [900], increases: [5] };
    const merged = mergeIntervals([only]);
    expect(merged).toEqual(only);
    expect(merged.ends).not.toBe(only.ends);
    expect(mergeIntervals([])).toEqual({ ends: [], increases: [] });
  });
});

describe('GaugeCursor', () => {
  it('reads the latest sample no older than the maximum age', () => {
    const cursor = new GaugeCursor([100, 200, 500], [1, 2, 5], 150);
    expect(cursor.valueAt(50)).toBeNaN(); // nothing yet
    expect(cursor.valueAt(100)).toBe(1);
    expect(cursor.valueAt(250)).toBe(2);
    expect(cursor.valueAt(351)).toBeNaN(); // 200 is 151 s old
    expect(cursor.valueAt(500)).toBe(5);
  });

  it('starts from a carried value and carries its last sample on', () => {
    const cursor = new GaugeCursor([300], [3], 150, { timeSeconds: 200, value: 2 });
    expect(cursor.valueAt(250)).toBe(2);
    expect(cursor.carry()).toEqual({ timeSeconds: 300, value: 3 });
  });

  it('carries the last sample at or before the chunk end, ignoring the look-ahead', () => {
    const cursor = new GaugeCursor([100, 200, 300], [1, 2, 3], 150);
    expect(cursor.carry(250)).toEqual({ timeSeconds: 200, value: 2 });
  });

  it('finds a value reported after the time asked for', () => {
    const cursor = new GaugeCursor([400, 430], [Number.NaN, 7], 150);
    expect(cursor.valueAt(100)).toBeNaN();
    expect(cursor.firstValueFrom(100)).toBe(7);
  });
});

describe('DataStart: series already running when the data begins', () => {
  const options = { stepSeconds: 15, stalenessSeconds: 300, maxGapSeconds: 300 };
  // The range read starts at 0 (an hour before the window); a 1 h look-back.
  const series = (times: number[], values: number[]) => ({ times, values });

  it('data from the start of the range read: no question asked, every new series counts from 0', () => {
    const start = new DataStart(0, options);
    expect(start.candidate([series([15, 30], [100, 101])])).toBeNull();
    expect(start.beganAtSeconds).toBeNull();
    expect(start.initialCarry([2000], [5])).toBeNull();
  });

  it('data beginning inside the range read: the caller is asked once, and its answer applies', () => {
    const start = new DataStart(0, options);
    // A chunk with nothing, then the first samples at 7200 s.
    expect(start.candidate([series([], [])])).toBeNull();
    expect(start.candidate([series([7215, 7230], [5e6, 5e6 + 4]), series([7200], [NaN])])).toBe(
      7215,
    );
    start.decide(7215);
    // Decided: later chunks are not candidates.
    expect(start.candidate([series([9000], [1])])).toBeNull();
    // Present when the data began (within 300 s of it): the first sample is the base.
    expect(start.initialCarry([NaN, 7230], [NaN, 5e6])).toEqual({ timeSeconds: 7230, value: 5e6 });
    expect(start.initialCarry([7515], [9])).toEqual({ timeSeconds: 7515, value: 9 });
    // Appearing later: it started then, and counts from 0.
    expect(start.initialCarry([7530], [9])).toBeNull();
  });

  it('a base carry makes the first sample count nothing and the next one count its increase', () => {
    const start = new DataStart(0, options);
    start.candidate([series([7215], [5e6])]);
    start.decide(7215);
    const times = [7215, 7230, 7245];
    const values = [5e6, 5e6 + 4, 5e6 + 10];
    const { intervals } = counterIntervals(
      times,
      values,
      start.initialCarry(times, values),
      options,
    );
    // 5e6 core-seconds since boot are not usage of the 02:00 hour; the two steps are 4 and 6.
    expect(intervals).toEqual({ ends: [7230, 7245], increases: [4, 6] });
  });

  it('the unfiltered metric had samples before: the caller decides null and new series count from 0', () => {
    const start = new DataStart(0, options);
    expect(start.candidate([series([7215], [9])])).toBe(7215);
    start.decide(null);
    expect(start.initialCarry([7215], [9])).toBeNull();
  });
});

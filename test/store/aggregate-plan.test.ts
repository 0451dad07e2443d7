import { describe, expect, it } from 'vitest';
import {
  addDayMask,
  countDistinctHours,
  DAY_MASK_FACTOR,
  planBuckets,
} from '../../src/store/aggregate.js';
import { InternalError } from '../../src/errors.js';

const s = (iso: string): number => Date.parse(iso) / 1000;

describe('planBuckets', () => {
  it('splits Europe/London months into UTC rollup days and hourly edges around the DST change', () => {
    // Local March 2025 = [03-01T00:00Z, 03-31T23:00Z) (BST starts 30 March); April starts 23:00Z.
    const plan = planBuckets({}, [
      {
        label: '2025-04',
        start: new Date('2025-03-31T23:00:00Z'),
        end: new Date('2025-04-30T23:00:00Z'),
      },
      {
        label: '2025-03',
        start: new Date('2025-03-01T00:00:00Z'),
        end: new Date('2025-03-31T23:00:00Z'),
      },
    ]);
    // Reported in start order whatever order the caller gave.
    expect(plan.labels).toEqual(['2025-03', '2025-04']);
    // Whole days: March 1-30 and April 1-29, merged into ranges; March 31 and April 30 are edges.
    expect(plan.daySegments).toEqual([
      [s('2025-03-01T00:00:00Z'), s('2025-03-31T00:00:00Z')],
      [s('2025-04-01T00:00:00Z'), s('2025-04-30T00:00:00Z')],
    ]);
    // March's 23 hours of 31 March touch April's first hour (23:00Z): one merged segment.
    expect(plan.hourSegments).toEqual([
      [s('2025-03-31T00:00:00Z'), s('2025-04-01T00:00:00Z')],
      [s('2025-04-30T00:00:00Z'), s('2025-04-30T23:00:00Z')],
    ]);
    const hourMap = new Map(plan.hourMap);
    expect(hourMap.get(s('2025-03-31T22:00:00Z'))).toBe(0);
    expect(hourMap.get(s('2025-03-31T23:00:00Z'))).toBe(1);
    expect(hourMap.get(s('2025-04-30T22:00:00Z'))).toBe(1);
    expect(hourMap.has(s('2025-04-30T23:00:00Z'))).toBe(false);
    // 23 + 1 + 23 edge hours.
    expect(plan.hourMap).toHaveLength(47);
    const dayMap = new Map(plan.dayMap);
    expect(dayMap.get(s('2025-03-30T00:00:00Z'))).toBe(0);
    expect(dayMap.get(s('2025-04-01T00:00:00Z'))).toBe(1);
    expect(plan.dayMap).toHaveLength(30 + 29);
  });

  it('gives an hour row to the period holding its start when a boundary falls mid-hour', () => {
    // Asia/Kolkata (+05:30): local 2025-01-02 starts at 2025-01-01T18:30Z, so the 18:00Z hour
    // row belongs to the first day and 19:00Z to the second.
    const plan = planBuckets({}, [
      {
        label: 'd1',
        start: new Date('2025-01-01T12:00:00Z'),
        end: new Date('2025-01-01T18:30:00Z'),
      },
      {
        label: 'd2',
        start: new Date('2025-01-01T18:30:00Z'),
        end: new Date('2025-01-02T03:00:00Z'),
      },
    ]);
    const hourMap = new Map(plan.hourMap);
    expect(hourMap.get(s('2025-01-01T18:00:00Z'))).toBe(0);
    expect(hourMap.get(s('2025-01-01T19:00:00Z'))).toBe(1);
    expect(plan.daySegments).toEqual([]);
    // 12:00..18:00 is 7 hours, 19:00..02:00 is 8 hours.
    expect(plan.hourMap).toHaveLength(15);
  });

  it('uses constants instead of maps for a single open-ended period', () => {
    const plan = planBuckets({ from: new Date('2025-01-01T06:00:00Z') }, undefined);
    expect(plan.labels).toEqual([null]);
    expect(plan.dayMap).toBeNull();
    expect(plan.hourMap).toBeNull();
    expect(plan.hourSegments).toEqual([[s('2025-01-01T06:00:00Z'), s('2025-01-02T00:00:00Z')]]);
    expect(plan.daySegments[0]?.[0]).toBe(s('2025-01-02T00:00:00Z'));
    expect(plan.daySegments[0]?.[1]).toBeGreaterThan(s('9999-01-01T00:00:00Z'));
  });

  it('intersects periods with the filter range and drops empty ones', () => {
    const plan = planBuckets(
      { from: new Date('2025-01-01T12:00:00Z'), to: new Date('2025-01-02T00:00:00Z') },
      [
        {
          label: 'before',
          start: new Date('2024-12-31T00:00:00Z'),
          end: new Date('2025-01-01T00:00:00Z'),
        },
        {
          label: 'jan1',
          start: new Date('2025-01-01T00:00:00Z'),
          end: new Date('2025-01-02T00:00:00Z'),
        },
      ],
    );
    expect(plan.hourSegments).toEqual([[s('2025-01-01T12:00:00Z'), s('2025-01-02T00:00:00Z')]]);
    expect(plan.hourMap).toBeNull();
    expect(plan.hourBucket).toBe(1);
    expect(plan.daySegments).toEqual([]);
  });

  it('refuses overlapping periods', () => {
    expect(() =>
      planBuckets({}, [
        {
          label: 'a',
          start: new Date('2025-01-01T00:00:00Z'),
          end: new Date('2025-01-03T00:00:00Z'),
        },
        {
          label: 'b',
          start: new Date('2025-01-02T00:00:00Z'),
          end: new Date('2025-01-04T00:00:00Z'),
        },
      ]),
    ).toThrow(InternalError);
  });
});

describe('distinct hours from day masks', () => {
  it('counts the union of hours per day', () => {
    const state = new Map<number, number>();
    // Day 10: hours 0 and 1, then hours 1 and 2 → {0,1,2}; day 11: all 24 hours.
    addDayMask(state, 10 * DAY_MASK_FACTOR + 0b011);
    addDayMask(state, 10 * DAY_MASK_FACTOR + 0b110);
    addDayMask(state, 11 * DAY_MASK_FACTOR + 0xffffff);
    expect(countDistinctHours(state)).toBe(3 + 24);
  });
});

/**
 * Period comparisons (`usage --compare`, `report summary --compare`, the HTML report's
 * headline): which range is "the previous period" and "the same period a year earlier", and
 * how a measure changed between two ranges, with groups that appeared or vanished named as
 * such. Pure: ranges are instants, the zone is an argument.
 */
import { DateTime } from 'luxon';
import type { Granularity, TimeRange } from './periods.js';
import { assertValidZone } from './units.js';

/** `--compare` values: the period just before, or the same period one year earlier. */
export type CompareMode = 'previous' | 'year';

/** Every `--compare` value, in the order help lists them. */
export const COMPARE_MODES: readonly CompareMode[] = ['previous', 'year'];

// Largest first: a range of whole years steps back by years, not by 365 days.
const CALENDAR_UNITS: ReadonlyArray<{
  granularity: Granularity;
  unit: 'year' | 'quarter' | 'month' | 'week' | 'day';
}> = [
  { granularity: 'yearly', unit: 'year' },
  { granularity: 'quarterly', unit: 'quarter' },
  { granularity: 'monthly', unit: 'month' },
  { granularity: 'weekly', unit: 'week' },
  { granularity: 'daily', unit: 'day' },
];

/**
 * The calendar unit a range is made of: the largest of year, quarter, month, ISO week and day
 * whose boundaries both ends fall on, with how many of them it spans; null when the range does
 * not start and end on local midnights.
 */
export function calendarShape(
  range: TimeRange,
  zone: string,
): { granularity: Granularity; count: number } | null {
  assertValidZone(zone);
  const from = DateTime.fromJSDate(range.from, { zone });
  const to = DateTime.fromJSDate(range.to, { zone });
  for (const { granularity, unit } of CALENDAR_UNITS) {
    if (
      from.startOf(unit).toMillis() !== from.toMillis() ||
      to.startOf(unit).toMillis() !== to.toMillis()
    )
      continue;
    const count = Math.round(to.diff(from, `${unit}s`).get(`${unit}s`));
    if (count >= 1 && from.plus({ [`${unit}s`]: count }).toMillis() === to.toMillis())
      return { granularity, count };
  }
  return null;
}

/**
 * The range to compare `range` with. `previous`: the same number of calendar units just
 * before when the range is made of whole years, quarters, months, ISO weeks or days (so March
 * compares with February, however long each is), else a range of the same length ending where
 * this one starts. `year`: both ends moved one calendar year back in the zone (29 February
 * maps to 28 February).
 */
export function comparisonRange(range: TimeRange, zone: string, mode: CompareMode): TimeRange {
  assertValidZone(zone);
  const from = DateTime.fromJSDate(range.from, { zone });
  if (mode === 'year') {
    return {
      from: from.minus({ years: 1 }).toJSDate(),
      to: DateTime.fromJSDate(range.to, { zone }).minus({ years: 1 }).toJSDate(),
    };
  }
  const shape = calendarShape(range, zone);
  if (shape !== null) {
    const unit = CALENDAR_UNITS.find((entry) => entry.granularity === shape.granularity)?.unit;
    if (unit !== undefined)
      return { from: from.minus({ [`${unit}s`]: shape.count }).toJSDate(), to: range.from };
  }
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: range.from };
}

/**
 * The relative change from `previous` to `current` in percent: (current − previous) /
 * previous × 100. Null when there is nothing to compare with (previous is 0 and current is
 * not: "new"); 0 when both are 0.
 */
export function changePercent(current: number, previous: number): number | null {
  if (previous === 0) return current === 0 ? 0 : null;
  return ((current - previous) / Math.abs(previous)) * 100;
}

/**
 * How a group fared between two periods: `new` (no rows before), `vanished` (no rows now),
 * `continuing` (rows in both).
 */
export type ComparisonStatus = 'new' | 'vanished' | 'continuing';

/** One group present in either period, with both values. */
export interface GroupComparison<T> {
  key: string | null;
  current: T | null;
  previous: T | null;
  status: ComparisonStatus;
}

/**
 * Pairs the groups of two periods by key: every group of the current period in its order,
 * then the groups only the previous period had (vanished), in theirs.
 */
export function pairGroups<T>(
  current: ReadonlyArray<{ key: string | null; value: T }>,
  previous: ReadonlyArray<{ key: string | null; value: T }>,
): Array<GroupComparison<T>> {
  const before = new Map<string | null, T>();
  for (const entry of previous) before.set(entry.key, entry.value);
  const paired: Array<GroupComparison<T>> = current.map((entry) => {
    const earlier = before.get(entry.key);
    before.delete(entry.key);
    return {
      key: entry.key,
      current: entry.value,
      previous: earlier ?? null,
      status: earlier === undefined ? 'new' : 'continuing',
    };
  });
  for (const entry of previous) {
    if (!before.has(entry.key)) continue;
    paired.push({ key: entry.key, current: null, previous: entry.value, status: 'vanished' });
  }
  return paired;
}

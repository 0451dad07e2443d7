/**
 * Reporting periods (SPEC §1.4, §7): turning the period flags into a half-open `[from, to)`
 * range, and cutting ranges into calendar buckets in the reporting time zone, correctly
 * across daylight-saving changes. Pure: `now` and the zone are always arguments.
 */
import { DateTime } from 'luxon';
import {
  InvalidInputError,
  assertValidZone,
  parseDuration,
  parseTimeInput,
  subtractDuration,
} from './units.js';

/** Report/bucket granularities (SPEC §7 `--granularity`). */
export type Granularity = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

/** All granularities, finest first. */
export const GRANULARITIES: readonly Granularity[] = [
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'yearly',
];

/** True when `text` names a granularity (for validating flags). */
export function isGranularity(text: string): text is Granularity {
  return (GRANULARITIES as readonly string[]).includes(text);
}

/** The period flags as the commands received them (raw strings where the user typed them). */
export interface PeriodSelector {
  from?: string;
  to?: string;
  last?: string;
  lastMonth?: boolean;
  thisMonth?: boolean;
  ytd?: boolean;
  years?: number[];
  date?: string;
  /** `YYYY-MM`. */
  month?: string;
  year?: number;
}

/** A half-open time range `[from, to)`. */
export interface TimeRange {
  from: Date;
  to: Date;
}

const SELECTOR_HELP =
  'give one of --from/--to, --last, --last-month, --this-month, --ytd, --years, --date, --month or --year';
const EXPECTED_YEAR = 'a year (expected four digits, e.g. 2025)';

function checkYear(year: number, flag: string): number {
  if (!Number.isInteger(year) || year < 1970 || year > 9999) {
    throw new InvalidInputError(EXPECTED_YEAR, { flag, value: String(year) });
  }
  return year;
}

function yearStart(year: number, zone: string): DateTime {
  return DateTime.fromObject({ year, month: 1, day: 1 }, { zone });
}

/** The flags present in a selector, each as the flag name used in messages. */
function selectorsGiven(selector: PeriodSelector): string[] {
  const given: string[] = [];
  if (selector.from !== undefined) given.push('--from');
  else if (selector.to !== undefined) given.push('--to');
  if (selector.last !== undefined) given.push('--last');
  if (selector.lastMonth === true) given.push('--last-month');
  if (selector.thisMonth === true) given.push('--this-month');
  if (selector.ytd === true) given.push('--ytd');
  if (selector.years !== undefined && selector.years.length > 0) given.push('--years');
  if (selector.date !== undefined) given.push('--date');
  if (selector.month !== undefined) given.push('--month');
  if (selector.year !== undefined) given.push('--year');
  return given;
}

function rangeFromSelector(selector: PeriodSelector, now: Date, zone: string): TimeRange | null {
  const nowInZone = DateTime.fromJSDate(now, { zone });
  if (selector.from !== undefined || selector.to !== undefined) {
    if (selector.from === undefined) {
      throw new InvalidInputError('usable without --from', {
        flag: '--to',
        value: selector.to,
        message: `--to needs --from (or use --last <duration>): ${SELECTOR_HELP}`,
      });
    }
    const from = withFlag('--from', selector.from, () => parseTimeInput(selector.from ?? '', zone));
    const to =
      selector.to === undefined
        ? now
        : withFlag('--to', selector.to, () =>
            parseTimeInput(selector.to ?? '', zone, { endOfDay: true }),
          );
    return { from, to };
  }
  if (selector.last !== undefined) {
    const duration = withFlag('--last', selector.last, () => parseDuration(selector.last ?? ''));
    return { from: subtractDuration(now, duration, zone), to: now };
  }
  if (selector.lastMonth === true) {
    const thisMonth = nowInZone.startOf('month');
    return { from: thisMonth.minus({ months: 1 }).toJSDate(), to: thisMonth.toJSDate() };
  }
  if (selector.thisMonth === true) {
    return { from: nowInZone.startOf('month').toJSDate(), to: now };
  }
  if (selector.ytd === true) {
    return { from: nowInZone.startOf('year').toJSDate(), to: now };
  }
  if (selector.years !== undefined && selector.years.length > 0) {
    const years = [...new Set(selector.years.map((year) => checkYear(year, '--years')))].sort(
      (a, b) => a - b,
    );
    const first = years[0] ?? 0;
    const last = years[years.length - 1] ?? 0;
    if (last - first + 1 !== years.length) {
      throw new InvalidInputError('contiguous years', {
        flag: '--years',
        value: years.join(' '),
        message: `--years ${years.join(' ')} leaves gaps: give consecutive years (e.g. --years 2024 --years 2025), or run one report per year`,
      });
    }
    return { from: yearStart(first, zone).toJSDate(), to: yearStart(last + 1, zone).toJSDate() };
  }
  if (selector.date !== undefined) {
    const text = selector.date;
    if (!/^\s*\d{4}-\d{2}-\d{2}\s*$/.test(text)) {
      throw new InvalidInputError('a date (expected YYYY-MM-DD)', { flag: '--date', value: text });
    }
    return {
      from: withFlag('--date', text, () => parseTimeInput(text, zone)),
      to: withFlag('--date', text, () => parseTimeInput(text, zone, { endOfDay: true })),
    };
  }
  if (selector.month !== undefined) {
    const match = /^\s*(\d{4})-(\d{2})\s*$/.exec(selector.month);
    const start =
      match === null
        ? null
        : DateTime.fromObject(
            { year: Number(match[1]), month: Number(match[2]), day: 1 },
            { zone },
          );
    if (start === null || !start.isValid) {
      throw new InvalidInputError('a month (expected YYYY-MM, e.g. 2025-03)', {
        flag: '--month',
        value: selector.month,
      });
    }
    return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate() };
  }
  if (selector.year !== undefined) {
    const year = checkYear(selector.year, '--year');
    return { from: yearStart(year, zone).toJSDate(), to: yearStart(year + 1, zone).toJSDate() };
  }
  return null;
}

// Re-throws a parser's error with the flag it came from, so the message is complete.
function withFlag<T>(flag: string, value: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidInputError && error.flag === undefined && error.value === value) {
      throw new InvalidInputError(error.expected, { flag, value });
    }
    throw error;
  }
}

/**
 * The half-open range a selector means, in `zone` (SPEC §1.4): a date-only `to` is the end
 * of that day; `--last` ends at `now`; `--last-month` is the previous calendar month;
 * `--ytd` runs from 1 January to `now`; `--years` (contiguous) are whole years. With no
 * selector, `fallback.last` (e.g. `24h`) ending at `now`. Conflicting selectors, a range
 * that is empty (from ≥ to) or no selector without a fallback throw InvalidInputError with a
 * complete message (`flag` set). Ranges are not clipped to `now`.
 */
export function resolvePeriod(
  selector: PeriodSelector,
  now: Date,
  zone: string,
  fallback?: { last: string },
): TimeRange {
  assertValidZone(zone);
  const given = selectorsGiven(selector);
  if (given.length > 1) {
    throw new InvalidInputError('a single period selector', {
      flag: given[0],
      message: `${given.join(' and ')} cannot be combined: ${SELECTOR_HELP}`,
    });
  }
  let range = rangeFromSelector(selector, now, zone);
  if (range === null) {
    if (fallback === undefined) {
      throw new InvalidInputError('a period', { message: `no period given: ${SELECTOR_HELP}` });
    }
    range = { from: subtractDuration(now, parseDuration(fallback.last), zone), to: now };
  }
  if (range.from.getTime() >= range.to.getTime()) {
    const flag = given[0] ?? '--last';
    throw new InvalidInputError('a non-empty period', {
      flag,
      message:
        `the period ${formatOffsetIso(range.from, zone)} → ${formatOffsetIso(range.to, zone)} is empty ` +
        `(its start is not before its end): check ${flag === '--from' ? '--from and --to' : flag}`,
    });
  }
  return range;
}

/**
 * Checks an explicit window `[from, to)` that a command has clipped to `end` (for `track`, the
 * last complete hour): a reversed window, an empty one, or one that starts at or after `end`
 * throws InvalidInputError with a complete message naming `flags` (e.g. `--from and --to`).
 */
export function assertNonEmptyWindow(
  range: TimeRange,
  end: Date,
  zone: string,
  flags: string,
): TimeRange {
  if (range.from.getTime() < range.to.getTime()) return range;
  const shown = `${formatOffsetIso(range.from, zone)} → ${formatOffsetIso(range.to, zone)}`;
  const reason =
    range.from.getTime() >= end.getTime()
      ? `it starts at or after ${formatOffsetIso(end, zone)}, the last complete hour`
      : 'its start is not before its end';
  throw new InvalidInputError('a non-empty window', {
    flag: flags,
    message: `the window ${shown} is empty (${reason}): check ${flags}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Buckets

/** One calendar bucket in the reporting zone, `[start, end)`, with its SPEC §7 label. */
export interface Bucket {
  label: string;
  start: Date;
  end: Date;
}

const LUXON_UNIT = {
  hourly: 'hour',
  daily: 'day',
  weekly: 'week', // luxon's week is the ISO week (Monday start) unless locale weeks are asked for
  monthly: 'month',
  quarterly: 'quarter',
  yearly: 'year',
} as const satisfies Record<Granularity, string>;

function bucketStartOf(instant: DateTime, granularity: Granularity): DateTime {
  return instant.startOf(LUXON_UNIT[granularity]);
}

function nextBucketStart(start: DateTime, granularity: Granularity): DateTime {
  // Hours step in elapsed time (a DST day has 23 or 25 of them); the others step on the
  // calendar and re-snap, for zones where some midnights do not exist.
  if (granularity === 'hourly') return start.plus({ hours: 1 }).startOf('hour');
  const unit = LUXON_UNIT[granularity];
  return start.plus({ [`${unit}s`]: 1 }).startOf(unit);
}

// True when this local wall-clock hour occurs twice (the hour repeated when DST ends).
function isRepeatedLocalHour(start: DateTime): boolean {
  const key = start.toFormat("yyyy-MM-dd'T'HH");
  return (
    start.minus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH") === key ||
    start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH") === key
  );
}

function labelOf(start: DateTime, granularity: Granularity): string {
  switch (granularity) {
    case 'hourly': {
      const label = start.toFormat("yyyy-MM-dd'T'HH");
      // The hour repeated when DST ends would otherwise get the same label twice; the offset
      // keeps every period unique (e.g. 2025-10-26T01+01:00 then 2025-10-26T01+00:00).
      return isRepeatedLocalHour(start) ? `${label}${start.toFormat('ZZ')}` : label;
    }
    case 'daily':
      return start.toFormat('yyyy-MM-dd');
    case 'weekly':
      // ISO week-year, not the calendar year: 2024-12-30 is in 2025-W01.
      return start.toFormat("kkkk-'W'WW");
    case 'monthly':
      return start.toFormat('yyyy-MM');
    case 'quarterly':
      return `${start.toFormat('yyyy')}-Q${start.quarter}`;
    case 'yearly':
      return start.toFormat('yyyy');
  }
}

/** The whole calendar bucket (not clipped) of `granularity` in `zone` that contains `instant`. */
export function bucketOf(instant: Date, granularity: Granularity, zone: string): Bucket {
  assertValidZone(zone);
  const start = bucketStartOf(DateTime.fromJSDate(instant, { zone }), granularity);
  return {
    label: labelOf(start, granularity),
    start: start.toJSDate(),
    end: nextBucketStart(start, granularity).toJSDate(),
  };
}

/**
 * The calendar buckets of `granularity` in `zone` that overlap `[from, to)`, in order, each
 * clipped to the range (so the first and last may be partial). Empty when from ≥ to.
 */
export function enumerateBuckets(
  from: Date,
  to: Date,
  granularity: Granularity,
  zone: string,
): Bucket[] {
  assertValidZone(zone);
  const buckets: Bucket[] = [];
  const fromMs = from.getTime();
  const toMs = to.getTime();
  let cursor = bucketStartOf(DateTime.fromJSDate(from, { zone }), granularity);
  while (cursor.toMillis() < toMs) {
    const next = nextBucketStart(cursor, granularity);
    if (next.toMillis() <= cursor.toMillis()) {
      throw new RangeError(`bucket did not advance at ${cursor.toISO() ?? '?'} in ${zone}`); // defensive: luxon bug
    }
    buckets.push({
      label: labelOf(cursor, granularity),
      start: new Date(Math.max(cursor.toMillis(), fromMs)),
      end: new Date(Math.min(next.toMillis(), toMs)),
    });
    cursor = next;
  }
  return buckets;
}

/** ISO 8601 with the zone's offset at that instant, seconds precision: `2025-01-01T00:00:00+00:00`. */
export function formatOffsetIso(date: Date, zone: string): string {
  assertValidZone(zone);
  return DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

/**
 * A range for people, in the zone: `1 Jul 2026 – 30 Sep 2026` (the last day the half-open range
 * touches) when it runs from midnight to midnight, else with times (`1 Jul 2026 09:00 – 2 Jul
 * 2026 17:30`).
 */
export function formatHumanRange(range: TimeRange, zone: string): string {
  assertValidZone(zone);
  // A fixed locale: the month abbreviations must not depend on the machine's.
  const from = DateTime.fromJSDate(range.from, { zone }).setLocale('en-US');
  const to = DateTime.fromJSDate(range.to, { zone }).setLocale('en-US');
  const wholeDays =
    from.startOf('day').toMillis() === from.toMillis() &&
    to.startOf('day').toMillis() === to.toMillis();
  if (wholeDays) {
    const last = to.minus({ days: 1 });
    const first = from.toFormat('d LLL yyyy');
    return last.hasSame(from, 'day') ? first : `${first} – ${last.toFormat('d LLL yyyy')}`;
  }
  return `${from.toFormat('d LLL yyyy HH:mm')} – ${to.toFormat('d LLL yyyy HH:mm')}`;
}

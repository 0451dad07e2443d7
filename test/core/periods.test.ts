import { describe, it, expect } from 'vitest';
import { InvalidInputError } from '../../src/core/units.js';
import {
  bucketOf,
  enumerateBuckets,
  formatOffsetIso,
  isGranularity,
  resolvePeriod,
  type PeriodSelector,
} from '../../src/core/periods.js';

const HOUR = 3_600_000;
const LONDON = 'Europe/London';

function iso(range: { from: Date; to: Date }): [string, string] {
  return [range.from.toISOString(), range.to.toISOString()];
}

function invalid(
  selector: PeriodSelector,
  now: Date,
  zone = 'UTC',
  fallback?: { last: string },
): InvalidInputError {
  try {
    resolvePeriod(selector, now, zone, fallback);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('resolvePeriod', () => {
  const now = new Date('2025-03-15T12:34:56Z');

  it('reads --from/--to dates as whole days, a date-only --to including its day', () => {
    expect(iso(resolvePeriod({ from: '2025-01-01', to: '2025-01-31' }, now, 'UTC'))).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-02-01T00:00:00.000Z',
    ]);
    // London in summer is UTC+1: 1 July ends at 2 July 00:00 BST = 1 July 23:00Z.
    expect(
      iso(
        resolvePeriod(
          { from: '2025-06-01', to: '2025-07-01' },
          new Date('2025-08-01T00:00:00Z'),
          LONDON,
        ),
      ),
    ).toEqual(['2025-05-31T23:00:00.000Z', '2025-07-01T23:00:00.000Z']);
  });

  it('takes timestamps as given and runs an open --from to now', () => {
    expect(
      iso(resolvePeriod({ from: '2025-03-01T06:00:00Z', to: '2025-03-01T18:00:00Z' }, now, LONDON)),
    ).toEqual(['2025-03-01T06:00:00.000Z', '2025-03-01T18:00:00.000Z']);
    expect(iso(resolvePeriod({ from: '2025-03-01' }, now, 'UTC'))).toEqual([
      '2025-03-01T00:00:00.000Z',
      now.toISOString(),
    ]);
  });

  it('ends --last at now', () => {
    // 2025-03-15T12:34:56Z − 7 days = 2025-03-08T12:34:56Z.
    expect(iso(resolvePeriod({ last: '7d' }, now, 'UTC'))).toEqual([
      '2025-03-08T12:34:56.000Z',
      now.toISOString(),
    ]);
    expect(iso(resolvePeriod({ last: '6h' }, now, 'UTC'))).toEqual([
      '2025-03-15T06:34:56.000Z',
      now.toISOString(),
    ]);
  });

  it('takes --last-month as the previous calendar month in the zone', () => {
    // In London, March 2025 runs from 1 March 00:00 GMT to 1 April 00:00 BST (= 31 March 23:00Z).
    expect(
      iso(resolvePeriod({ lastMonth: true }, new Date('2025-04-15T08:00:00Z'), LONDON)),
    ).toEqual(['2025-03-01T00:00:00.000Z', '2025-03-31T23:00:00.000Z']);
    // In January, last month is December of the previous year.
    expect(
      iso(resolvePeriod({ lastMonth: true }, new Date('2025-01-10T00:00:00Z'), 'UTC')),
    ).toEqual(['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    // 2025-05-31T23:30Z is already 1 June 00:30 in London, so "last month" there is May.
    expect(
      iso(resolvePeriod({ lastMonth: true }, new Date('2025-05-31T23:30:00Z'), LONDON)),
    ).toEqual(['2025-04-30T23:00:00.000Z', '2025-05-31T23:00:00.000Z']);
  });

  it('takes --this-month and --ytd up to now', () => {
    expect(iso(resolvePeriod({ thisMonth: true }, now, 'UTC'))).toEqual([
      '2025-03-01T00:00:00.000Z',
      now.toISOString(),
    ]);
    expect(iso(resolvePeriod({ ytd: true }, now, 'UTC'))).toEqual([
      '2025-01-01T00:00:00.000Z',
      now.toISOString(),
    ]);
    // Tokyo is UTC+9: 1 January 00:00 JST = 31 December 15:00Z.
    expect(resolvePeriod({ ytd: true }, now, 'Asia/Tokyo').from.toISOString()).toBe(
      '2024-12-31T15:00:00.000Z',
    );
  });

  it('takes --years as whole years, sorted and de-duplicated', () => {
    expect(iso(resolvePeriod({ years: [2025, 2024, 2025] }, now, 'UTC'))).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
  });

  it('refuses --years with gaps', () => {
    const error = invalid({ years: [2023, 2025] }, now);
    expect(error.flag).toBe('--years');
    expect(error.message).toContain('2023 2025');
  });

  it('takes --date, --month and --year as calendar periods in the zone', () => {
    // 30 March 2025 in London has 23 hours (clocks go forward at 01:00 GMT).
    const day = resolvePeriod({ date: '2025-03-30' }, now, LONDON);
    expect(iso(day)).toEqual(['2025-03-30T00:00:00.000Z', '2025-03-30T23:00:00.000Z']);
    // October 2025 in London: 1 Oct 00:00 BST (30 Sep 23:00Z) to 1 Nov 00:00 GMT: 31 × 24 + 1 = 745 h.
    const month = resolvePeriod({ month: '2025-10' }, now, LONDON);
    expect(month.from.toISOString()).toBe('2025-09-30T23:00:00.000Z');
    expect((month.to.getTime() - month.from.getTime()) / HOUR).toBe(745);
    expect(iso(resolvePeriod({ year: 2024 }, now, 'UTC'))).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ]);
  });

  it.each([
    [{ month: '2025-13' }, '--month'],
    [{ month: '2025-1' }, '--month'],
    [{ date: '2025-02-30' }, '--date'],
    [{ date: '2025-02-01T10:00' }, '--date'],
    [{ year: 25.5 }, '--year'],
    [{ years: [99] }, '--years'],
  ] satisfies Array<[PeriodSelector, string]>)('refuses %j naming %s', (selector, flag) => {
    const error = invalid(selector, now);
    expect(error.flag).toBe(flag);
    expect(error.message.startsWith(flag)).toBe(true);
  });

  it('names the flag in parse errors', () => {
    expect(invalid({ from: '2025-13-01' }, now).message).toBe(
      '--from 2025-13-01 is not a date (expected YYYY-MM-DD or an ISO 8601 timestamp)',
    );
    expect(invalid({ from: '2025-01-01', to: 'soon' }, now).message).toMatch(
      /^--to soon is not a date/,
    );
    const last = invalid({ last: '5m' }, now);
    expect(last.flag).toBe('--last');
    expect(last.message).toMatch(/^--last 5m is not a duration .*"min" for minutes/);
  });

  it('refuses conflicting selectors', () => {
    const error = invalid({ from: '2025-01-01', last: '7d' }, now);
    expect(error.message).toContain('--from and --last cannot be combined');
    expect(invalid({ lastMonth: true, ytd: true }, now).message).toContain(
      '--last-month and --ytd cannot be combined',
    );
  });

  it('refuses --to without --from', () => {
    expect(invalid({ to: '2025-01-01' }, now).message).toContain('--to needs --from');
  });

  it('refuses an empty or reversed range', () => {
    expect(invalid({ from: '2025-02-01', to: '2025-01-01' }, now).message).toContain('is empty');
    // A --from later than now, with no --to, is empty too.
    expect(invalid({ from: '2025-04-01' }, now).flag).toBe('--from');
  });

  it('uses the fallback when no selector is given, and refuses without one', () => {
    expect(iso(resolvePeriod({}, now, 'UTC', { last: '24h' }))).toEqual([
      '2025-03-14T12:34:56.000Z',
      now.toISOString(),
    ]);
    expect(invalid({ lastMonth: false, years: [] }, now).message).toContain('no period given');
  });

  it('refuses an unknown zone', () => {
    expect(invalid({ last: '1h' }, now, 'Nowhere/Special').expected).toContain('a time zone');
  });
});

describe('enumerateBuckets', () => {
  it('counts 745 local hours in October and 743 in March 2025 in London', () => {
    const october = resolvePeriod({ month: '2025-10' }, new Date('2026-01-01T00:00:00Z'), LONDON);
    const octoberHours = enumerateBuckets(october.from, october.to, 'hourly', LONDON);
    expect(octoberHours).toHaveLength(745);
    const march = resolvePeriod({ month: '2025-03' }, new Date('2026-01-01T00:00:00Z'), LONDON);
    expect(enumerateBuckets(march.from, march.to, 'hourly', LONDON)).toHaveLength(743);
  });

  it('labels hours in local time, unique even in the repeated hour', () => {
    const from = new Date('2025-10-25T23:00:00Z'); // 26 Oct 00:00 BST
    const to = new Date('2025-10-26T03:00:00Z'); // 26 Oct 03:00 GMT
    expect(enumerateBuckets(from, to, 'hourly', LONDON).map((bucket) => bucket.label)).toEqual([
      '2025-10-26T00',
      '2025-10-26T01+01:00',
      '2025-10-26T01+00:00',
      '2025-10-26T02',
    ]);
  });

  it('makes a 23-hour day of 2025-03-30 in London', () => {
    const day = resolvePeriod({ date: '2025-03-30' }, new Date('2026-01-01T00:00:00Z'), LONDON);
    const hours = enumerateBuckets(day.from, day.to, 'hourly', LONDON);
    expect(hours).toHaveLength(23);
    // 01:00 GMT jumps to 02:00 BST: local hour 01 does not exist.
    expect(hours.map((bucket) => bucket.label).slice(0, 3)).toEqual([
      '2025-03-30T00',
      '2025-03-30T02',
      '2025-03-30T03',
    ]);
    const [daily] = enumerateBuckets(day.from, day.to, 'daily', LONDON);
    expect(daily?.label).toBe('2025-03-30');
    expect(((daily?.end.getTime() ?? 0) - (daily?.start.getTime() ?? 0)) / HOUR).toBe(23);
  });

  it('labels ISO weeks with the ISO week-year', () => {
    // 2024-12-30 (Monday) starts ISO week 2025-W01.
    const weeks = enumerateBuckets(
      new Date('2024-12-30T00:00:00Z'),
      new Date('2025-01-13T00:00:00Z'),
      'weekly',
      'UTC',
    );
    expect(weeks.map((bucket) => bucket.label)).toEqual(['2025-W01', '2025-W02']);
    // 2021-01-01 (Friday) is in 2020-W53, which began on Monday 2020-12-28; the bucket is clipped to the range.
    const [week] = enumerateBuckets(
      new Date('2021-01-01T00:00:00Z'),
      new Date('2021-01-04T00:00:00Z'),
      'weekly',
      'UTC',
    );
    expect(week).toEqual({
      label: '2020-W53',
      start: new Date('2021-01-01T00:00:00Z'),
      end: new Date('2021-01-04T00:00:00Z'),
    });
  });

  it('clips the first and last months to the range', () => {
    const months = enumerateBuckets(
      new Date('2025-01-15T00:00:00Z'),
      new Date('2025-03-10T00:00:00Z'),
      'monthly',
      'UTC',
    );
    expect(
      months.map((bucket) => [bucket.label, bucket.start.toISOString(), bucket.end.toISOString()]),
    ).toEqual([
      ['2025-01', '2025-01-15T00:00:00.000Z', '2025-02-01T00:00:00.000Z'],
      ['2025-02', '2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z'],
      ['2025-03', '2025-03-01T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
    ]);
  });

  it('makes quarters and years in the zone', () => {
    const year = resolvePeriod({ year: 2025 }, new Date('2026-06-01T00:00:00Z'), LONDON);
    const quarters = enumerateBuckets(year.from, year.to, 'quarterly', LONDON);
    expect(quarters.map((bucket) => bucket.label)).toEqual([
      '2025-Q1',
      '2025-Q2',
      '2025-Q3',
      '2025-Q4',
    ]);
    // Q2 starts 1 April 00:00 BST = 31 March 23:00Z; Q4 starts 1 October 00:00 BST = 30 September 23:00Z.
    expect(quarters[1]?.start.toISOString()).toBe('2025-03-31T23:00:00.000Z');
    expect(quarters[3]?.start.toISOString()).toBe('2025-09-30T23:00:00.000Z');
    expect(
      enumerateBuckets(
        new Date('2024-06-01T00:00:00Z'),
        new Date('2026-01-01T00:00:00Z'),
        'yearly',
        'UTC',
      ).map((bucket) => bucket.label),
    ).toEqual(['2024', '2025']);
  });

  it('tiles the range without gaps or overlaps', () => {
    const from = new Date('2025-02-17T05:30:00Z');
    const to = new Date('2025-11-03T17:00:00Z');
    for (const granularity of [
      'hourly',
      'daily',
      'weekly',
      'monthly',
      'quarterly',
      'yearly',
    ] as const) {
      const buckets = enumerateBuckets(from, to, granularity, LONDON);
      expect(buckets[0]?.start).toEqual(from);
      expect(buckets[buckets.length - 1]?.end).toEqual(to);
      for (let index = 1; index < buckets.length; index += 1) {
        expect(buckets[index]?.start).toEqual(buckets[index - 1]?.end);
      }
      expect(new Set(buckets.map((bucket) => bucket.label)).size).toBe(buckets.length);
    }
  });

  it('handles a zone whose midnight does not exist on a DST day (America/Havana)', () => {
    // Cuba springs forward at 00:00 on 2025-03-09 (UTC−5 → UTC−4), so that day starts at 01:00 local = 05:00Z
    // and lasts 23 h, until 10 March 00:00 CDT = 04:00Z.
    const days = enumerateBuckets(
      new Date('2025-03-08T05:00:00Z'),
      new Date('2025-03-11T04:00:00Z'),
      'daily',
      'America/Havana',
    );
    expect(
      days.map((bucket) => [bucket.label, bucket.start.toISOString(), bucket.end.toISOString()]),
    ).toEqual([
      ['2025-03-08', '2025-03-08T05:00:00.000Z', '2025-03-09T05:00:00.000Z'],
      ['2025-03-09', '2025-03-09T05:00:00.000Z', '2025-03-10T04:00:00.000Z'],
      ['2025-03-10', '2025-03-10T04:00:00.000Z', '2025-03-11T04:00:00.000Z'],
    ]);
  });

  it('is empty for an empty range', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    expect(enumerateBuckets(at, at, 'daily', 'UTC')).toEqual([]);
    expect(enumerateBuckets(at, new Date('2024-01-01T00:00:00Z'), 'daily', 'UTC')).toEqual([]);
  });
});

describe('bucketOf', () => {
  it('gives the whole calendar bucket containing an instant', () => {
    expect(bucketOf(new Date('2025-01-01T13:45:00Z'), 'hourly', 'UTC')).toEqual({
      label: '2025-01-01T13',
      start: new Date('2025-01-01T13:00:00Z'),
      end: new Date('2025-01-01T14:00:00Z'),
    });
    // Wednesday 2025-01-01 is in ISO week 2025-W01, Monday 2024-12-30 to Monday 2025-01-06.
    expect(bucketOf(new Date('2025-01-01T13:45:00Z'), 'weekly', 'UTC')).toEqual({
      label: '2025-W01',
      start: new Date('2024-12-30T00:00:00Z'),
      end: new Date('2025-01-06T00:00:00Z'),
    });
    expect(bucketOf(new Date('2025-05-20T00:00:00Z'), 'quarterly', 'UTC').label).toBe('2025-Q2');
  });

  it('uses the local calendar of the zone', () => {
    // 2025-06-30T23:30Z is 1 July 00:30 BST: July, Q3, and the day 2025-07-01.
    const instant = new Date('2025-06-30T23:30:00Z');
    expect(bucketOf(instant, 'monthly', LONDON).label).toBe('2025-07');
    expect(bucketOf(instant, 'quarterly', LONDON).label).toBe('2025-Q3');
    expect(bucketOf(instant, 'daily', LONDON)).toEqual({
      label: '2025-07-01',
      start: new Date('2025-06-30T23:00:00Z'),
      end: new Date('2025-07-01T23:00:00Z'),
    });
  });

  it('finds the second of the repeated hours when DST ends', () => {
    expect(bucketOf(new Date('2025-10-26T01:30:00Z'), 'hourly', LONDON)).toEqual({
      label: '2025-10-26T01+00:00',
      start: new Date('2025-10-26T01:00:00Z'),
      end: new Date('2025-10-26T02:00:00Z'),
    });
  });
});

describe('formatOffsetIso', () => {
  it('writes the zone offset at that instant, to the second', () => {
    expect(formatOffsetIso(new Date('2025-01-01T00:00:00Z'), 'UTC')).toBe(
      '2025-01-01T00:00:00+00:00',
    );
    expect(formatOffsetIso(new Date('2025-07-01T00:00:00Z'), LONDON)).toBe(
      '2025-07-01T01:00:00+01:00',
    );
    expect(formatOffsetIso(new Date('2025-01-01T00:00:00.999Z'), LONDON)).toBe(
      '2025-01-01T00:00:00+00:00',
    );
    expect(formatOffsetIso(new Date('2025-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe(
      '2025-01-01T05:30:00+05:30',
    );
  });
});

describe('isGranularity', () => {
  it('accepts the six granularities only', () => {
    expect(isGranularity('quarterly')).toBe(true);
    expect(isGranularity('fortnightly')).toBe(false);
  });
});

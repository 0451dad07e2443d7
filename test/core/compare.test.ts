import { describe, expect, it } from 'vitest';
import {
  calendarShape,
  changePercent,
  comparisonRange,
  pairGroups,
} from '../../src/core/compare.js';

const range = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });
const iso = (r: { from: Date; to: Date }) => [r.from.toISOString(), r.to.toISOString()];

describe('comparisonRange', () => {
  it('compares a month with the calendar month before, however long each is', () => {
    const march = range('2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z');
    expect(iso(comparisonRange(march, 'UTC', 'previous'))).toEqual([
      '2025-02-01T00:00:00.000Z',
      '2025-03-01T00:00:00.000Z',
    ]);
  });

  it('steps back by local months across a daylight-saving change', () => {
    // April 2025 in London starts at 2025-03-31T23:00Z; March starts at 2025-03-01T00:00Z (GMT).
    const april = range('2025-03-31T23:00:00Z', '2025-04-30T23:00:00Z');
    expect(iso(comparisonRange(april, 'Europe/London', 'previous'))).toEqual([
      '2025-03-01T00:00:00.000Z',
      '2025-03-31T23:00:00.000Z',
    ]);
  });

  it('compares two whole months with the two months before', () => {
    const octNov = range('2026-10-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(calendarShape(octNov, 'UTC')).toEqual({ granularity: 'monthly', count: 2 });
    expect(iso(comparisonRange(octNov, 'UTC', 'previous'))).toEqual([
      '2026-08-01T00:00:00.000Z',
      '2026-10-01T00:00:00.000Z',
    ]);
  });

  it('compares a whole year with the year before and a quarter with the quarter before', () => {
    expect(
      iso(
        comparisonRange(range('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), 'UTC', 'previous'),
      ),
    ).toEqual(['2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    expect(
      iso(
        comparisonRange(range('2025-04-01T00:00:00Z', '2025-07-01T00:00:00Z'), 'UTC', 'previous'),
      ),
    ).toEqual(['2025-01-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
  });

  it('shifts a range that is not whole calendar units by its own length', () => {
    // 36 hours ending at noon: the 36 hours before.
    const odd = range('2025-03-10T00:00:00Z', '2025-03-11T12:00:00Z');
    expect(calendarShape(odd, 'UTC')).toBeNull();
    expect(iso(comparisonRange(odd, 'UTC', 'previous'))).toEqual([
      '2025-03-08T12:00:00.000Z',
      '2025-03-10T00:00:00.000Z',
    ]);
  });

  it('moves both ends one calendar year back for year-on-year, 29 February to 28 February', () => {
    expect(
      iso(comparisonRange(range('2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z'), 'UTC', 'year')),
    ).toEqual(['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z']);
    expect(
      iso(comparisonRange(range('2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z'), 'UTC', 'year')),
    ).toEqual(['2023-02-28T00:00:00.000Z', '2023-03-01T00:00:00.000Z']);
  });
});

describe('changePercent', () => {
  it('is the relative change in percent', () => {
    expect(changePercent(150, 100)).toBe(50);
    expect(changePercent(75, 100)).toBe(-25);
    expect(changePercent(0, 40)).toBe(-100);
  });

  it('is null when there was nothing before, and 0 when both are nothing', () => {
    expect(changePercent(5, 0)).toBeNull();
    expect(changePercent(0, 0)).toBe(0);
  });
});

describe('pairGroups', () => {
  it('keeps the current order, marks new groups, and appends vanished ones', () => {
    const paired = pairGroups(
      [
        { key: 'b', value: 2 },
        { key: 'c', value: 3 },
        { key: null, value: 9 },
      ],
      [
        { key: 'a', value: 1 },
        { key: 'b', value: 4 },
        { key: 'd', value: 5 },
      ],
    );
    expect(paired).toEqual([
      { key: 'b', current: 2, previous: 4, status: 'continuing' },
      { key: 'c', current: 3, previous: null, status: 'new' },
      { key: null, current: 9, previous: null, status: 'new' },
      { key: 'a', current: null, previous: 1, status: 'vanished' },
      { key: 'd', current: null, previous: 5, status: 'vanished' },
    ]);
  });
});

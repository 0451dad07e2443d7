import { describe, it, expect } from 'vitest';
import {
  InvalidInputError,
  addDuration,
  durationToMillis,
  formatCpuQuantity,
  formatMemoryQuantity,
  parseCpuQuantity,
  parseDuration,
  parseEnergyKwh,
  parseMassGrams,
  parseMemoryQuantity,
  parseNonNegativeNumber,
  parseTimeInput,
  subtractDuration,
} from '../../src/core/units.js';

function expectInvalid(fn: () => unknown, expectedFragment: string): InvalidInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const invalid = error as InvalidInputError;
    expect(invalid.expected).toContain(expectedFragment);
    return invalid;
  }
  throw new Error('expected an InvalidInputError');
}

describe('InvalidInputError', () => {
  it('builds a sentence from the flag, the value and what was expected', () => {
    const error = new InvalidInputError('a date (expected YYYY-MM-DD or an ISO 8601 timestamp)', {
      flag: '--start',
      value: '2025-13-01',
    });
    expect(error.message).toBe(
      '--start 2025-13-01 is not a date (expected YYYY-MM-DD or an ISO 8601 timestamp)',
    );
    expect(error.flag).toBe('--start');
    expect(error.value).toBe('2025-13-01');
  });
});

describe('parseNonNegativeNumber', () => {
  it('accepts plain decimals and exponents', () => {
    expect(parseNonNegativeNumber('0')).toBe(0);
    expect(parseNonNegativeNumber('1.5')).toBe(1.5);
    expect(parseNonNegativeNumber(' 2e3 ')).toBe(2000);
    expect(parseNonNegativeNumber('.5')).toBe(0.5);
  });

  it.each(['NaN', 'Infinity', '-1', '1e400', '12abc', '', '   ', '0x10', '+3', '1,5'])(
    'rejects %j',
    (text) => {
      const error = expectInvalid(() => parseNonNegativeNumber(text), 'a non-negative number');
      expect(error.value).toBe(text);
    },
  );
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30, 'seconds'],
    ['30min', 30, 'minutes'],
    ['6h', 6, 'hours'],
    ['6hours', 6, 'hours'],
    ['1.5h', 1.5, 'hours'],
    ['7d', 7, 'days'],
    ['2w', 2, 'weeks'],
    ['2weeks', 2, 'weeks'],
    ['3mo', 3, 'months'],
    ['1y', 1, 'years'],
    ['2 years', 2, 'years'],
    ['6H', 6, 'hours'],
  ] as const)('parses %s as %d %s', (text, amount, unit) => {
    expect(parseDuration(text)).toEqual({ amount, unit, text });
  });

  it('rejects a bare m and says why', () => {
    const error = expectInvalid(() => parseDuration('5m'), '"min" for minutes');
    expect(error.expected).toContain('"mo" for months');
  });

  it.each(['0h', '-1h', 'NaNh', 'h', '6', '6 parsecs', '', '1.5mo', '1e400d'])(
    'rejects %j',
    (text) => {
      expect(() => parseDuration(text)).toThrow(InvalidInputError);
    },
  );

  it('explains the accepted forms', () => {
    expectInvalid(() => parseDuration('soon'), 'e.g. 30min, 6h, 7d, 2w, 3mo, 1y');
  });
});

describe('durationToMillis', () => {
  it('converts fixed-length units', () => {
    expect(durationToMillis(parseDuration('30min'))).toBe(30 * 60 * 1000); // 1,800,000
    expect(durationToMillis(parseDuration('6h'))).toBe(21_600_000); // 6 × 3,600,000
    expect(durationToMillis(parseDuration('2w'))).toBe(1_209_600_000); // 14 × 86,400,000
  });

  it('refuses calendar units', () => {
    expect(() => durationToMillis(parseDuration('3mo'))).toThrow(InvalidInputError);
    expect(() => durationToMillis(parseDuration('1y'))).toThrow(InvalidInputError);
  });
});

describe('subtractDuration and addDuration', () => {
  it('steps months on the calendar of the zone', () => {
    // 2025-03-31 00:00 London (BST, UTC+1) minus 1 month = 2025-02-28 00:00 GMT (luxon clamps the day).
    const end = new Date('2025-03-30T23:00:00Z');
    expect(subtractDuration(end, parseDuration('1mo'), 'Europe/London').toISOString()).toBe(
      '2025-02-28T00:00:00.000Z',
    );
  });

  it('keeps the local clock time across a DST change for days', () => {
    // 2025-04-02 12:00 BST (11:00Z) − 7d = 2025-03-26 12:00 GMT (12:00Z): 167 elapsed hours.
    const end = new Date('2025-04-02T11:00:00Z');
    const start = subtractDuration(end, parseDuration('7d'), 'Europe/London');
    expect(start.toISOString()).toBe('2025-03-26T12:00:00.000Z');
    expect((end.getTime() - start.getTime()) / 3_600_000).toBe(167);
  });

  it('uses elapsed time for hours', () => {
    // Across the spring-forward gap, 3 h is still 3 elapsed hours.
    const start = new Date('2025-03-30T00:00:00Z');
    expect(addDuration(start, parseDuration('3h'), 'Europe/London').toISOString()).toBe(
      '2025-03-30T03:00:00.000Z',
    );
  });

  it('adds years', () => {
    expect(
      addDuration(new Date('2024-02-29T00:00:00Z'), parseDuration('1y'), 'UTC').toISOString(),
    ).toBe('2025-02-28T00:00:00.000Z');
  });

  it('rejects an unknown zone', () => {
    expectInvalid(
      () => addDuration(new Date(0), parseDuration('1h'), 'Mars/Olympus'),
      'a time zone',
    );
  });
});

describe('parseMassGrams', () => {
  it.each([
    ['500g', 500],
    ['2kg', 2000],
    ['0.1t', 100_000],
    ['500', 500],
    ['2kgCO2e', 2000],
    ['3 tCO2e', 3_000_000],
    ['1.5KG', 1500],
    ['750gco2e', 750],
  ])('parses %s as %d g', (text, grams) => {
    expect(parseMassGrams(text)).toBeCloseTo(grams, 9);
  });

  it.each(['-1kg', '2lb', 'kg', 'NaNg', 'Infinity', '1e400g', ''])('rejects %j', (text) => {
    expectInvalid(() => parseMassGrams(text), 'a mass');
  });
});

describe('parseEnergyKwh', () => {
  it.each([
    ['1.5', 1.5],
    ['1.5kWh', 1.5],
    ['500Wh', 0.5],
    ['2MWh', 2000],
    ['0.001GWh', 1000],
  ])('parses %s as %d kWh', (text, kwh) => {
    expect(parseEnergyKwh(text)).toBeCloseTo(kwh, 9);
  });

  it.each(['-1kWh', '3J', 'kWh', ''])('rejects %j', (text) => {
    expectInvalid(() => parseEnergyKwh(text), 'an energy');
  });
});

describe('Kubernetes quantities', () => {
  it('parses CPU quantities into cores', () => {
    expect(parseCpuQuantity('500m')).toBe(0.5);
    expect(parseCpuQuantity('2')).toBe(2);
    expect(parseCpuQuantity('0.25')).toBe(0.25);
    expect(parseCpuQuantity('250000000n')).toBeCloseTo(0.25, 12);
    expect(parseCpuQuantity('1500u')).toBeCloseTo(0.0015, 12);
  });

  it.each(['500M', '-1', 'two', '', '1Gi'])('rejects CPU quantity %j', (text) => {
    expectInvalid(() => parseCpuQuantity(text), 'a CPU quantity');
  });

  it('parses memory quantities into bytes', () => {
    expect(parseMemoryQuantity('512Mi')).toBe(536_870_912); // 512 × 1,048,576
    expect(parseMemoryQuantity('1Gi')).toBe(1_073_741_824); // 2^30
    expect(parseMemoryQuantity('1G')).toBe(1e9);
    expect(parseMemoryQuantity('1e9')).toBe(1e9);
    expect(parseMemoryQuantity('128974848')).toBe(128_974_848);
    expect(parseMemoryQuantity('129M')).toBe(129_000_000);
    expect(parseMemoryQuantity('128974848000m')).toBeCloseTo(128_974_848, 3);
  });

  it.each(['1gi', '-1Gi', '1GB', ''])('rejects memory quantity %j', (text) => {
    expectInvalid(() => parseMemoryQuantity(text), 'a memory quantity');
  });

  it('formats cores as millicores, rounding up but ignoring float noise', () => {
    // 0.425 × 1.2 = 0.51 in decimal, 0.51 × 1000 = 510.00000000000006 in binary floating point.
    expect(formatCpuQuantity(0.425 * 1.2)).toBe('510m');
    expect(formatCpuQuantity(2)).toBe('2000m');
    expect(formatCpuQuantity(0.0104)).toBe('11m'); // 10.4m rounds up
    expect(formatCpuQuantity(0)).toBe('0m');
  });

  it('formats bytes with the largest exact binary suffix, else whole Mi rounded up', () => {
    expect(formatMemoryQuantity(268_435_456)).toBe('256Mi'); // 256 × 2^20
    expect(formatMemoryQuantity(1.5 * 2 ** 30)).toBe('1536Mi');
    expect(formatMemoryQuantity(2 ** 30)).toBe('1Gi');
    expect(formatMemoryQuantity(300_000_000)).toBe('287Mi'); // 300e6 / 1,048,576 = 286.10 → 287
    expect(formatMemoryQuantity(1536)).toBe('2Ki'); // 1.5 Ki rounds up to 2Ki
    expect(formatMemoryQuantity(0)).toBe('0');
  });

  it('round-trips its own formats', () => {
    expect(parseMemoryQuantity(formatMemoryQuantity(268_435_456))).toBe(268_435_456);
    expect(parseCpuQuantity(formatCpuQuantity(0.51))).toBe(0.51);
  });
});

describe('parseTimeInput', () => {
  it('reads a date as the start of that day in the zone', () => {
    // Midnight in London on 1 July is 23:00Z the day before (BST, UTC+1).
    expect(parseTimeInput('2025-07-01', 'Europe/London').toISOString()).toBe(
      '2025-06-30T23:00:00.000Z',
    );
    expect(parseTimeInput('2025-01-01', 'UTC').toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('with endOfDay reads a date as the start of the next day (half-open ranges)', () => {
    expect(parseTimeInput('2025-01-31', 'UTC', { endOfDay: true }).toISOString()).toBe(
      '2025-02-01T00:00:00.000Z',
    );
    // 2025-03-30 is 23 h long in London: it ends at 2025-03-30T23:00Z (00:00 BST on the 31st).
    expect(parseTimeInput('2025-03-30', 'Europe/London', { endOfDay: true }).toISOString()).toBe(
      '2025-03-30T23:00:00.000Z',
    );
  });

  it('reads timestamps with an offset as given and without one in the zone', () => {
    expect(parseTimeInput('2025-01-01T10:00:00+02:00', 'Europe/London').toISOString()).toBe(
      '2025-01-01T08:00:00.000Z',
    );
    expect(parseTimeInput('2025-07-01T10:00', 'Europe/London').toISOString()).toBe(
      '2025-07-01T09:00:00.000Z',
    );
    expect(parseTimeInput('2025-07-01T10:00:00Z', 'Europe/London').toISOString()).toBe(
      '2025-07-01T10:00:00.000Z',
    );
    expect(parseTimeInput('2025-07-01 10:00', 'UTC').toISOString()).toBe(
      '2025-07-01T10:00:00.000Z',
    );
    // endOfDay only affects date-only input.
    expect(parseTimeInput('2025-07-01T10:00Z', 'UTC', { endOfDay: true }).toISOString()).toBe(
      '2025-07-01T10:00:00.000Z',
    );
  });

  it.each([
    '2025-13-01',
    '2025-02-30',
    '2025-1-1',
    'yesterday',
    '2025',
    '2025-01-01T25:00',
    '2025-01-01T24:00',
    '',
  ])('rejects %j', (text) => {
    const error = expectInvalid(
      () => parseTimeInput(text, 'UTC'),
      'a date (expected YYYY-MM-DD or an ISO 8601 timestamp)',
    );
    expect(error.message).toBe(
      `${text === '' ? '""' : text} is not a date (expected YYYY-MM-DD or an ISO 8601 timestamp)`,
    );
  });
});

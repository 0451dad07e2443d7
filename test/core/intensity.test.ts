import { describe, it, expect } from 'vitest';
import type { IntensitySlot } from '../../src/core/ports.js';
import {
  bestWindow,
  decideHourIntensity,
  hourlyIntensity,
  hourlyIntensityIndex,
  intensityIndex,
  isUsableIntensity,
} from '../../src/core/intensity.js';

const MINUTE = 60_000;

/** Consecutive slots of `minutes` from `startIso`, with the given forecast/actual values. */
function slots(
  startIso: string,
  minutes: number,
  values: ReadonlyArray<{ forecast?: number | null; actual?: number | null }>,
): IntensitySlot[] {
  const startMs = Date.parse(startIso);
  return values.map((value, index) => ({
    from: new Date(startMs + index * minutes * MINUTE),
    to: new Date(startMs + (index + 1) * minutes * MINUTE),
    forecast: value.forecast ?? null,
    actual: value.actual ?? null,
    index: null,
  }));
}

function forecastSlots(startIso: string, values: number[]): IntensitySlot[] {
  return slots(
    startIso,
    30,
    values.map((forecast) => ({ forecast })),
  );
}

describe('intensityIndex', () => {
  it.each([
    [29, 'very low'],
    [30, 'low'],
    [99, 'low'],
    [99.5, 'low'],
    [100, 'moderate'],
    [179.9, 'moderate'],
    [180, 'high'],
    [249, 'high'],
    [250, 'very high'],
  ] as const)('2025: %d g/kWh is %s (boundaries go to the higher band)', (value, band) => {
    expect(intensityIndex(value, 2025)).toBe(band);
  });

  it('matches the bands of real API responses', () => {
    // reference/carbon-intensity-apis.md §1.6 (nmpowell fixtures).
    expect(intensityIndex(124, 2023)).toBe('moderate');
    expect(intensityIndex(244, 2023)).toBe('high');
    expect(intensityIndex(318, 2023)).toBe('very high');
    expect(intensityIndex(187, 2024)).toBe('moderate');
    expect(intensityIndex(190, 2024)).toBe('high');
    expect(intensityIndex(273, 2024)).toBe('very high');
  });

  it('tightens year by year', () => {
    // 2017: 150 is in 100–199 (low); 2030: 150 is the very-high lower bound.
    expect(intensityIndex(150, 2017)).toBe('low');
    expect(intensityIndex(150, 2030)).toBe('very high');
  });

  it('clamps years outside 2017–2030', () => {
    expect(intensityIndex(99, 2010)).toBe('very low'); // 2017 table: very low < 100
    expect(intensityIndex(100, 2010)).toBe('low');
    expect(intensityIndex(149, 2040)).toBe('high'); // 2030 table: high 130–150
    expect(intensityIndex(4, 2040)).toBe('very low');
    expect(intensityIndex(5, 2040)).toBe('low');
  });

  it('puts zero and negative values in the lowest band and refuses NaN', () => {
    expect(intensityIndex(0, 2025)).toBe('very low');
    expect(intensityIndex(-3, 2025)).toBe('very low');
    expect(() => intensityIndex(Number.NaN, 2025)).toThrow(RangeError);
  });
});

describe('hourlyIntensity', () => {
  const hour = new Date('2025-01-01T12:00:00Z');

  it('averages the two half-hour actuals', () => {
    // (100 + 200) / 2 = 150
    const result = hourlyIntensity(
      slots('2025-01-01T12:00:00Z', 30, [
        { actual: 100, forecast: 90 },
        { actual: 200, forecast: 210 },
      ]),
      hour,
    );
    expect(result).toEqual({ intensityGPerKwh: 150, kind: 'actual' });
  });

  it('uses the forecast where the actual is missing and says so', () => {
    // (100 + 300) / 2 = 200
    const result = hourlyIntensity(
      slots('2025-01-01T12:00:00Z', 30, [{ actual: 100 }, { actual: null, forecast: 300 }]),
      hour,
    );
    expect(result).toEqual({ intensityGPerKwh: 200, kind: 'forecast' });
  });

  it('reads one hourly slot (Electricity Maps)', () => {
    expect(hourlyIntensity(slots('2025-01-01T12:00:00Z', 60, [{ actual: 321 }]), hour)).toEqual({
      intensityGPerKwh: 321,
      kind: 'actual',
    });
  });

  it('weights by time when slots do not align with the hour', () => {
    // [11:30, 12:30) at 100 covers 30 min of the hour, [12:30, 13:30) at 400 the other 30: (100×30 + 400×30)/60 = 250.
    expect(
      hourlyIntensity(slots('2025-01-01T11:30:00Z', 60, [{ actual: 100 }, { actual: 400 }]), hour),
    ).toEqual({
      intensityGPerKwh: 250,
      kind: 'actual',
    });
    // [12:00, 12:15) at 80 and [12:15, 13:15) at 160: (80×15 + 160×45)/60 = (1200 + 7200)/60 = 140.
    const uneven: IntensitySlot[] = [
      {
        from: new Date('2025-01-01T12:00:00Z'),
        to: new Date('2025-01-01T12:15:00Z'),
        actual: 80,
        forecast: null,
        index: null,
      },
      {
        from: new Date('2025-01-01T12:15:00Z'),
        to: new Date('2025-01-01T13:15:00Z'),
        actual: 160,
        forecast: null,
        index: null,
      },
    ];
    expect(hourlyIntensity(uneven, hour)?.intensityGPerKwh).toBeCloseTo(140, 12);
  });

  it('returns null when the hour is not fully covered, never 0', () => {
    expect(hourlyIntensity(slots('2025-01-01T12:00:00Z', 30, [{ actual: 100 }]), hour)).toBeNull();
    expect(hourlyIntensity(slots('2025-01-01T12:30:00Z', 30, [{ actual: 100 }]), hour)).toBeNull();
    expect(
      hourlyIntensity(
        slots('2025-01-01T12:00:00Z', 30, [{ actual: 100 }, { actual: null, forecast: null }]),
        hour,
      ),
    ).toBeNull();
    expect(hourlyIntensity([], hour)).toBeNull();
  });

  it('treats values outside (0, 2000] g/kWh as unusable: the forecast, else a gap (SPEC §2)', () => {
    // An actual of 0 or 1e12 falls through to the half-hour's forecast (flagged forecast).
    expect(
      hourlyIntensity(
        slots('2025-01-01T12:00:00Z', 30, [
          { actual: 0, forecast: 180 },
          { actual: 1e12, forecast: 220 },
        ]),
        hour,
      ),
    ).toEqual({ intensityGPerKwh: 200, kind: 'forecast' });
    // Negative and absurd values everywhere: no value for the hour, never a 0.
    expect(
      hourlyIntensity(
        slots('2025-01-01T12:00:00Z', 30, [
          { actual: -5, forecast: 0 },
          { actual: 2000.5, forecast: Number.NaN },
        ]),
        hour,
      ),
    ).toBeNull();
    expect(isUsableIntensity(2000)).toBe(true);
    expect(isUsableIntensity(0.001)).toBe(true);
    for (const bad of [0, -1, 2000.01, 1e12, Number.NaN, Infinity, '150', null, undefined])
      expect(isUsableIntensity(bad)).toBe(false);
  });

  it('indexes every hour of a window at once, the same values as hour by hour', () => {
    const day = slots(
      '2025-01-01T10:00:00Z',
      30,
      [100, 200, 300, 0, 150, 250].map((value) => ({ actual: value, forecast: 120 })),
    );
    const from = Date.parse('2025-01-01T10:00:00Z');
    const index = hourlyIntensityIndex(day, from, from + 4 * 3_600_000);
    expect([...index.keys()]).toEqual([from, from + 3_600_000, from + 2 * 3_600_000]);
    for (const [hourMs, value] of index)
      expect(value).toEqual(hourlyIntensity(day, new Date(hourMs)));
    // 12:00–13:00: (300 + forecast 120 for the unusable 0) / 2 = 210, flagged forecast.
    expect(index.get(from + 3_600_000)).toEqual({ intensityGPerKwh: 210, kind: 'forecast' });
  });

  it('decides each hour by the SPEC §2 chain: provider, else static only when allowed, else nothing', () => {
    const provider = { intensityGPerKwh: 180, kind: 'forecast' as const };
    expect(
      decideHourIntensity({
        provider,
        fixedKind: null,
        staticAnnualGPerKwh: 250,
        allowEstimates: false,
      }),
    ).toEqual({ gPerKwh: 180, kind: 'forecast', reasons: ['intensity_forecast'] });
    expect(
      decideHourIntensity({
        provider: null,
        fixedKind: null,
        staticAnnualGPerKwh: 250,
        allowEstimates: false,
      }),
    ).toBeNull();
    expect(
      decideHourIntensity({
        provider: null,
        fixedKind: null,
        staticAnnualGPerKwh: 250,
        allowEstimates: true,
      }),
    ).toEqual({ gPerKwh: 250, kind: 'static', reasons: ['intensity_static_annual'] });
    expect(
      decideHourIntensity({
        provider: { intensityGPerKwh: 300, kind: 'actual' },
        fixedKind: 'fixed',
        staticAnnualGPerKwh: null,
        allowEstimates: false,
      }),
    ).toEqual({ gPerKwh: 300, kind: 'fixed', reasons: [] });
  });

  it('ignores order and duplicated slots', () => {
    const base = slots('2025-01-01T12:00:00Z', 30, [{ actual: 100 }, { actual: 200 }]);
    const [first, second] = base;
    if (first === undefined || second === undefined) throw new Error('fixture');
    // Unsorted with a duplicate of the first half-hour: still (100 + 200) / 2 = 150.
    expect(hourlyIntensity([second, first, { ...first }], hour)?.intensityGPerKwh).toBe(150);
  });
});

describe('bestWindow', () => {
  // Half-hours from 10:00Z: 300, 250, 100, 120, 400, 90.
  const day = forecastSlots('2025-01-01T10:00:00Z', [300, 250, 100, 120, 400, 90]);

  it('finds the lowest-mean window and the saving versus starting now', () => {
    // 1 h windows starting 10:00 (now): (300+250)/2 = 275; 10:30: 175; 11:00: (100+120)/2 = 110;
    // 11:30: 260; 12:00: 245; 12:30: not covered. Best 11:00–12:00 at 110; saving (275−110)/275 = 60 %.
    const result = bestWindow(day, 60, new Date('2025-01-01T10:10:00Z'));
    expect(result).not.toBeNull();
    expect(result?.start.toISOString()).toBe('2025-01-01T11:00:00.000Z');
    expect(result?.end.toISOString()).toBe('2025-01-01T12:00:00.000Z');
    expect(result?.meanIntensity).toBeCloseTo(110, 12);
    expect(result?.nowMeanIntensity).toBeCloseTo(275, 12);
    expect(result?.savingPercent).toBeCloseTo(60, 12);
  });

  it('does not start in the past', () => {
    // now 11:40 is in the 11:30 slot: candidates 11:30 (260, now) and 12:00 (245).
    // saving (260 − 245)/260 = 5.769 %.
    const result = bestWindow(day, 60, new Date('2025-01-01T11:40:00Z'));
    expect(result?.start.toISOString()).toBe('2025-01-01T12:00:00.000Z');
    expect(result?.nowMeanIntensity).toBeCloseTo(260, 12);
    expect(result?.savingPercent).toBeCloseTo(((260 - 245) / 260) * 100, 12);
  });

  it('breaks ties by the earliest start', () => {
    // 1 h means: 10:00 150, 10:30 100, 11:00 150, 11:30 150, 12:00 100 → 10:30 wins over 12:00.
    const result = bestWindow(
      forecastSlots('2025-01-01T10:00:00Z', [200, 100, 100, 200, 100, 100]),
      60,
      new Date('2025-01-01T10:00:00Z'),
    );
    expect(result?.start.toISOString()).toBe('2025-01-01T10:30:00.000Z');
    expect(result?.meanIntensity).toBe(100);
  });

  it('weights a window that ends inside a slot by time', () => {
    // 45 min from 10:00: (300×30 + 100×15)/45 = 10500/45 = 233.33; from 10:30: 100; from 11:00: not covered.
    const result = bestWindow(
      forecastSlots('2025-01-01T10:00:00Z', [300, 100, 100]),
      45,
      new Date('2025-01-01T10:00:00Z'),
    );
    expect(result?.nowMeanIntensity).toBeCloseTo(233.333333, 5);
    expect(result?.start.toISOString()).toBe('2025-01-01T10:30:00.000Z');
    expect(result?.meanIntensity).toBe(100);
  });

  it('prefers forecasts over actuals, so windows compare like with like', () => {
    // Slot 1: forecast 100 (actual 500 ignored); slot 2: no forecast, actual 200 → mean 150.
    const mixed = slots('2025-01-01T10:00:00Z', 30, [
      { forecast: 100, actual: 500 },
      { forecast: null, actual: 200 },
    ]);
    expect(bestWindow(mixed, 60, new Date('2025-01-01T10:00:00Z'))?.meanIntensity).toBe(150);
  });

  it('uses the first slot as "now" when all slots are later', () => {
    const result = bestWindow(day, 60, new Date('2025-01-01T08:00:00Z'));
    expect(result?.nowMeanIntensity).toBeCloseTo(275, 12);
    expect(result?.start.toISOString()).toBe('2025-01-01T11:00:00.000Z');
  });

  it('skips windows that span a gap', () => {
    // 10:00 300, 10:30 250, [11:00 missing], 11:30 50, 12:00 50: windows 10:00 (275, now), 11:30 (50).
    const gappy = [
      ...forecastSlots('2025-01-01T10:00:00Z', [300, 250]),
      ...forecastSlots('2025-01-01T11:30:00Z', [50, 50]),
    ];
    const result = bestWindow(gappy, 60, new Date('2025-01-01T10:00:00Z'));
    expect(result?.start.toISOString()).toBe('2025-01-01T11:30:00.000Z');
    expect(result?.meanIntensity).toBe(50);
  });

  it('gives a 0 % saving when now is already the best', () => {
    const result = bestWindow(
      forecastSlots('2025-01-01T10:00:00Z', [50, 60, 70, 80]),
      60,
      new Date('2025-01-01T10:00:00Z'),
    );
    expect(result?.start.toISOString()).toBe('2025-01-01T10:00:00.000Z');
    expect(result?.savingPercent).toBe(0);
  });

  it('returns null when the slots cannot hold the window', () => {
    expect(bestWindow(day, 4 * 60, new Date('2025-01-01T10:00:00Z'))).toBeNull(); // 3 h of slots
    expect(bestWindow(day, 60, new Date('2025-01-01T14:00:00Z'))).toBeNull(); // all in the past
    expect(bestWindow([], 60, new Date('2025-01-01T10:00:00Z'))).toBeNull();
  });

  it('refuses a non-positive window', () => {
    expect(() => bestWindow(day, 0, new Date('2025-01-01T10:00:00Z'))).toThrow(RangeError);
  });
});

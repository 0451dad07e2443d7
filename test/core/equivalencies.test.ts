import { describe, it, expect } from 'vitest';
import {
  EQUIVALENCY_FACTORS,
  computeEquivalencies,
  topEquivalencies,
} from '../../src/core/equivalencies.js';

function valueOf(grams: number, key: string): number {
  const found = computeEquivalencies(grams).find((equivalency) => equivalency.key === key);
  if (found === undefined) throw new Error(`no equivalency ${key}`);
  return found.value;
}

describe('EQUIVALENCY_FACTORS', () => {
  it('has at least 15 factors, each with a unit, description and source, and unique keys', () => {
    expect(EQUIVALENCY_FACTORS.length).toBeGreaterThanOrEqual(15);
    const keys = new Set(EQUIVALENCY_FACTORS.map((factor) => factor.key));
    expect(keys.size).toBe(EQUIVALENCY_FACTORS.length);
    for (const factor of EQUIVALENCY_FACTORS) {
      expect(factor.unit.length).toBeGreaterThan(0);
      expect(factor.description.length).toBeGreaterThan(0);
      expect(factor.source.length).toBeGreaterThan(10);
      expect(factor.gramsPerUnit).toBeGreaterThan(0);
    }
  });

  it('starts with the five SPEC §2 factors', () => {
    expect(
      EQUIVALENCY_FACTORS.slice(0, 5).map((factor) => [factor.key, factor.gramsPerUnit]),
    ).toEqual([
      ['miles_driven', 400],
      ['smartphone_charges', 8.22],
      ['trees_day', 59.6],
      ['streaming_hours', 55],
      ['kettles_boiled', 70],
    ]);
  });
});

describe('computeEquivalencies', () => {
  it('gives the SPEC values for 1000 g', () => {
    expect(valueOf(1000, 'miles_driven')).toBeCloseTo(2.5, 12); // 1000 / 400
    expect(valueOf(1000, 'smartphone_charges')).toBeCloseTo(121.7, 1); // 1000 / 8.22 = 121.655
    expect(valueOf(1000, 'trees_day')).toBeCloseTo(16.8, 1); // 1000 / 59.6 = 16.779
    expect(valueOf(1000, 'streaming_hours')).toBeCloseTo(18.2, 1); // 1000 / 55 = 18.18
    expect(valueOf(1000, 'kettles_boiled')).toBeCloseTo(14.3, 1); // 1000 / 70 = 14.29
  });

  it('derives the metric factors from the imperial ones', () => {
    // 1000 g / (400 / 1.609344 g per km) = 4.02336 km; 1000 g / (8887 / 3.785411784 g per L) = 0.42595 L.
    expect(valueOf(1000, 'km_driven')).toBeCloseTo(4.02336, 9);
    expect(valueOf(1000, 'litres_gasoline')).toBeCloseTo(0.42595, 5);
    // 1 t / 0.81 t per flight = 1.2345679 flights.
    expect(valueOf(1_000_000, 'flights_nyc_london')).toBeCloseTo(1.2345679, 9);
    // 1 t / (8.30 t / 365) = 43.976 home-days.
    expect(valueOf(1_000_000, 'homes_energy_days')).toBeCloseTo(43.976, 3);
  });

  it('lists every factor in the fixed order and scales linearly', () => {
    const values = computeEquivalencies(2000);
    expect(values.map((value) => value.key)).toEqual(
      EQUIVALENCY_FACTORS.map((factor) => factor.key),
    );
    expect(values[0]).toMatchObject({ key: 'miles_driven', value: 5, unit: 'miles' });
  });

  it('gives zeros for zero grams and refuses negative or non-finite amounts', () => {
    expect(computeEquivalencies(0).every((value) => value.value === 0)).toBe(true);
    expect(() => computeEquivalencies(-1)).toThrow(RangeError);
    expect(() => computeEquivalencies(Number.NaN)).toThrow(RangeError);
  });
});

describe('topEquivalencies', () => {
  it('prefers values in 1–100, closest to 10 on a log scale', () => {
    // 1000 g: kettles 14.29 (|log10 − 1| = 0.155), trees_day 16.78 (0.225), streaming 18.18 (0.260),
    // streaming_hours_global 27.78 (0.444), km 4.02 (0.395), miles 2.5 (0.602); charges 121.7 is outside 1–100.
    expect(topEquivalencies(1000, 4).map((value) => value.key)).toEqual([
      'kettles_boiled',
      'trees_day',
      'streaming_hours',
      'km_driven',
    ]);
  });

  it('falls back to wider ranges when fewer values are readable', () => {
    // 10 g: in 1–100 only smartphone_charges 1.217 (|log| dist 0.915);
    // next tier 0.1–1000: trees 0.168, streaming 0.182, kettles 0.143, global streaming 0.278 ...
    const top = topEquivalencies(10, 2);
    expect(top[0]?.key).toBe('smartphone_charges');
    // streaming_hours_global 10/36 = 0.2778 is the closest to 10 of the 0.1–1000 tier (|log10 − 1| = 1.556).
    expect(top[1]?.key).toBe('streaming_hours_global');
  });

  it('is deterministic for zero grams (list order)', () => {
    expect(topEquivalencies(0, 3).map((value) => value.key)).toEqual([
      'miles_driven',
      'smartphone_charges',
      'trees_day',
    ]);
  });

  it('returns at most the number of factors', () => {
    expect(topEquivalencies(1000, 100)).toHaveLength(EQUIVALENCY_FACTORS.length);
    expect(topEquivalencies(1000, 0)).toEqual([]);
  });
});

import { describe, it, expect } from 'vitest';
import {
  DEFAULT_METHODOLOGY_FACTORS,
  METHODOLOGY_VERSION,
  computeEnergy,
  computeFootprint,
  effectivePue,
  energyWeightedIntensity,
  powerModelFor,
  scope2MarketBasis,
  type MethodologyFactors,
} from '../../src/core/methodology.js';

const ada = powerModelFor('ada');

function factors(overrides: Partial<MethodologyFactors> = {}): MethodologyFactors {
  return { ...DEFAULT_METHODOLOGY_FACTORS, ...overrides };
}

describe('computeEnergy — SPEC §2 conformance examples (ada profile, PUE 1)', () => {
  it('1000 busy + 5000 idle core-seconds', () => {
    // busy 1000 s × 12 W = 12,000 J / 3.6e6 = 0.0033333 kWh; idle 5000 s × 1 W = 5,000 J = 0.0013889 kWh.
    const energy = computeEnergy(
      { busySeconds: 1000, idleSeconds: 5000, memoryGiBHours: 0 },
      ada,
      1,
    );
    expect(energy.busyKwh).toBeCloseTo(0.0033333, 7);
    expect(energy.idleKwh).toBeCloseTo(0.0013889, 7);
    expect(energy.totalKwh).toBeCloseTo(0.0047222, 7);
    expect(energy.itKwh).toBeCloseTo(0.0047222, 7);
  });

  it('1 core fully busy for 1 h = 0.012 kWh', () => {
    // 3600 s × 12 W = 43,200 J / 3.6e6 = 0.012 kWh.
    expect(
      computeEnergy({ busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 }, ada, 1).totalKwh,
    ).toBeCloseTo(0.012, 12);
  });

  it('4 cores for 1 h at 50 % busy = 0.026 kWh', () => {
    // 4 × 3600 × 0.5 = 7200 busy s × 12 W = 86,400 J; 7200 idle s × 1 W = 7,200 J; 93,600 J / 3.6e6 = 0.026.
    expect(
      computeEnergy({ busySeconds: 7200, idleSeconds: 7200, memoryGiBHours: 0 }, ada, 1).totalKwh,
    ).toBeCloseTo(0.026, 12);
  });

  it('an idle 24 h single-core workspace = 0.024 kWh', () => {
    // 86,400 s × 1 W = 86,400 J / 3.6e6 = 0.024 kWh.
    expect(
      computeEnergy({ busySeconds: 0, idleSeconds: 86_400, memoryGiBHours: 0 }, ada, 1).totalKwh,
    ).toBeCloseTo(0.024, 12);
  });
});

describe('computeEnergy — PUE and memory', () => {
  it('multiplies every term by PUE but keeps itKwh without it', () => {
    // 1 busy core-hour = 0.012 kWh IT; × 1.5 = 0.018 kWh at the meter.
    const energy = computeEnergy(
      { busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 },
      ada,
      1.5,
    );
    expect(energy.itKwh).toBeCloseTo(0.012, 12);
    expect(energy.busyKwh).toBeCloseTo(0.018, 12);
    expect(energy.totalKwh).toBeCloseTo(0.018, 12);
  });

  it('adds memory at memoryWattsPerGiB', () => {
    // 10 GiB-h × 3600 s/h × 0.392 W/GiB = 14,112 J = 0.00392 kWh IT; × PUE 1.2 = 0.004704 kWh.
    const power = powerModelFor('ada', { memoryWattsPerGiB: 0.392 });
    const energy = computeEnergy(
      { busySeconds: 0, idleSeconds: 0, memoryGiBHours: 10 },
      power,
      1.2,
    );
    expect(energy.memoryKwh).toBeCloseTo(0.004704, 12);
    expect(energy.itKwh).toBeCloseTo(0.00392, 12);
    expect(energy.totalKwh).toBeCloseTo(0.004704, 12);
  });

  it('ignores memory when memoryWattsPerGiB is 0 (the default)', () => {
    expect(
      computeEnergy({ busySeconds: 0, idleSeconds: 0, memoryGiBHours: 1000 }, ada, 1).totalKwh,
    ).toBe(0);
  });

  it('uses the profile watts (aws: 3.5 busy / 0.74 idle)', () => {
    // 3600 × 3.5 + 3600 × 0.74 = 12,600 + 2,664 = 15,264 J = 0.00424 kWh IT; × 1.135 = 0.0048124 kWh.
    const energy = computeEnergy(
      { busySeconds: 3600, idleSeconds: 3600, memoryGiBHours: 0 },
      powerModelFor('aws'),
      1.135,
    );
    expect(energy.itKwh).toBeCloseTo(0.00424, 12);
    expect(energy.totalKwh).toBeCloseTo(0.0048124, 12);
  });

  it.each([
    [{ busySeconds: -1, idleSeconds: 0, memoryGiBHours: 0 }],
    [{ busySeconds: Number.NaN, idleSeconds: 0, memoryGiBHours: 0 }],
    [{ busySeconds: 0, idleSeconds: Number.POSITIVE_INFINITY, memoryGiBHours: 0 }],
  ])('rejects impossible activity %j', (activity) => {
    expect(() => computeEnergy(activity, ada, 1)).toThrow(RangeError);
  });

  it('rejects a non-positive PUE', () => {
    expect(() =>
      computeEnergy({ busySeconds: 1, idleSeconds: 1, memoryGiBHours: 0 }, ada, 0),
    ).toThrow(RangeError);
  });
});

describe('computeFootprint', () => {
  it('reproduces the SPEC §2 calculate example at 185 g/kWh', () => {
    // 0.0033333 kWh × 185 = 0.61667 g; 0.0013889 kWh × 185 = 0.25694 g; total 0.87361 g.
    const footprint = computeFootprint(
      { busySeconds: 1000, idleSeconds: 5000, memoryGiBHours: 0 },
      185,
      factors(),
    );
    expect(footprint.busyGrams).toBeCloseTo(0.61667, 5);
    expect(footprint.idleGrams).toBeCloseTo(0.25694, 5);
    expect(footprint.scope2LocationGrams).toBeCloseTo(0.87361, 5);
    expect(footprint.totalGrams).toBeCloseTo(0.87361, 5);
  });

  it('uses the market factor when set', () => {
    // 300,000 busy s × 12 W = 3.6e6 J = 1 kWh: location 1 × 200 = 200 g, market 1 × 100 = 100 g.
    const footprint = computeFootprint(
      { busySeconds: 300_000, idleSeconds: 0, memoryGiBHours: 0 },
      200,
      factors({ marketFactorGPerKwh: 100 }),
    );
    expect(footprint.energy.totalKwh).toBeCloseTo(1, 12);
    expect(footprint.scope2LocationGrams).toBeCloseTo(200, 9);
    expect(footprint.scope2MarketGrams).toBeCloseTo(100, 9);
    expect(footprint.estimationReasons).toEqual([]);
  });

  it('uses the location-based grid average for market when no market factor is set: a basis, not an estimate', () => {
    const footprint = computeFootprint(
      { busySeconds: 300_000, idleSeconds: 0, memoryGiBHours: 0 },
      200,
      factors(),
    );
    expect(footprint.scope2MarketGrams).toBeCloseTo(200, 9);
    expect(footprint.estimationReasons).toEqual([]);
    expect(scope2MarketBasis(null)).toBe('location_grid_average');
    expect(scope2MarketBasis(0)).toBe('contractual_factor');
  });

  it('a market factor of 0 (100 % certified renewable) is used, not treated as missing', () => {
    const footprint = computeFootprint(
      { busySeconds: 300_000, idleSeconds: 0, memoryGiBHours: 0 },
      200,
      factors({ marketFactorGPerKwh: 0 }),
    );
    expect(footprint.scope2MarketGrams).toBe(0);
    expect(footprint.estimationReasons).toEqual([]);
  });

  it('adds embodied Scope 3 per core-hour to the total', () => {
    // (3600 + 3600) s / 3600 = 2 core-hours × 5 g = 10 g Scope 3.
    // Energy: 43,200 + 3,600 J = 0.013 kWh × 100 g/kWh = 1.3 g location; total 11.3 g.
    const footprint = computeFootprint(
      { busySeconds: 3600, idleSeconds: 3600, memoryGiBHours: 0 },
      100,
      factors({ embodiedGramsPerCoreHour: 5 }),
    );
    expect(footprint.scope3EmbodiedGrams).toBeCloseTo(10, 12);
    expect(footprint.scope2LocationGrams).toBeCloseTo(1.3, 12);
    expect(footprint.totalGrams).toBeCloseTo(11.3, 12);
  });

  it('prices core-hours, memory GiB-hours and energy', () => {
    // 2 core-hours × 0.031611 = 0.063222; 4 GiB-h × 0.004237 = 0.016948; 0.013 kWh × 0.25 = 0.00325.
    // Sum: 0.063222 + 0.016948 + 0.00325 = 0.08342.
    const footprint = computeFootprint(
      { busySeconds: 3600, idleSeconds: 3600, memoryGiBHours: 4 },
      100,
      factors({
        cost: { currency: 'USD', perCoreHour: 0.031611, perGiBHour: 0.004237, perKwh: 0.25 },
      }),
    );
    expect(footprint.cost).toBeCloseTo(0.08342, 12);
  });

  it('attributes memory emissions separately', () => {
    // 10 GiB-h × 0.392 W = 0.00392 kWh × 250 g/kWh = 0.98 g.
    const footprint = computeFootprint(
      { busySeconds: 0, idleSeconds: 0, memoryGiBHours: 10 },
      250,
      factors({ power: powerModelFor('ada', { memoryWattsPerGiB: 0.392 }) }),
    );
    expect(footprint.memoryGrams).toBeCloseTo(0.98, 12);
    expect(footprint.scope2LocationGrams).toBeCloseTo(0.98, 12);
  });

  it('refuses a negative or missing intensity rather than computing 0', () => {
    expect(() =>
      computeFootprint(
        { busySeconds: 1, idleSeconds: 0, memoryGiBHours: 0 },
        Number.NaN,
        factors(),
      ),
    ).toThrow(RangeError);
    expect(() =>
      computeFootprint({ busySeconds: 1, idleSeconds: 0, memoryGiBHours: 0 }, -5, factors()),
    ).toThrow(RangeError);
  });
});

describe('powerModelFor and effectivePue', () => {
  it('takes the profile watts, with overrides', () => {
    expect(powerModelFor('aws')).toEqual({
      profile: 'aws',
      busyWattsPerCore: 3.5,
      idleWattsPerCore: 0.74,
      // CCF's 0.392 W per GB of memory (reference/methodology.md §2.2)
      memoryWattsPerGiB: 0.392,
    });
    expect(powerModelFor('ada').memoryWattsPerGiB).toBe(0);
    expect(powerModelFor('gcp', { memoryWattsPerGiB: 0 }).memoryWattsPerGiB).toBe(0);
    expect(powerModelFor('ada', { busyWattsPerCore: 15 })).toMatchObject({
      busyWattsPerCore: 15,
      idleWattsPerCore: 1,
    });
    expect(powerModelFor('custom', { busyWattsPerCore: 10, idleWattsPerCore: 2 })).toMatchObject({
      profile: 'custom',
      busyWattsPerCore: 10,
      idleWattsPerCore: 2,
    });
  });

  it('requires both watts for custom', () => {
    expect(() => powerModelFor('custom', { busyWattsPerCore: 10 })).toThrow(RangeError);
  });

  it('defaults PUE from cloud profiles only when none is configured', () => {
    expect(effectivePue('aws', null)).toBe(1.135);
    expect(effectivePue('gcp', undefined)).toBe(1.1);
    expect(effectivePue('azure', null)).toBe(1.185);
    expect(effectivePue('ada', null)).toBe(1);
    expect(effectivePue('custom', null)).toBe(1);
    expect(effectivePue('aws', 1.3)).toBe(1.3);
  });
});

describe('defaults and helpers', () => {
  it('match SPEC §1.3', () => {
    expect(DEFAULT_METHODOLOGY_FACTORS).toEqual({
      power: { profile: 'ada', busyWattsPerCore: 12, idleWattsPerCore: 1, memoryWattsPerGiB: 0 },
      pue: 1,
      embodiedGramsPerCoreHour: 0,
      marketFactorGPerKwh: null,
      cost: { currency: 'USD', perCoreHour: 0.031611, perGiBHour: 0.004237, perKwh: 0 },
    });
    expect(METHODOLOGY_VERSION).toMatch(/^carbonctl-\d{4}\.\d+$/);
  });

  it('weights intensity by energy, and has none without energy', () => {
    // Hour A: 1 kWh at 100 g; hour B: 3 kWh at 300 g → (100 + 900) / 4 = 250 g/kWh (plain mean would be 200).
    expect(energyWeightedIntensity(100 + 900, 4)).toBe(250);
    expect(energyWeightedIntensity(0, 0)).toBeNull();
  });
});

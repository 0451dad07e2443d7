import { describe, it, expect } from 'vitest';
import {
  bindingPercentUsed,
  budgetState,
  checkLimits,
  compareWithBaseline,
  coveringHours,
  footprintOfHours,
  hourShareInWindow,
  monthContaining,
  parsePercent,
  percentUsed,
  projectPeriodEnd,
} from '../../src/core/budget.js';
import { DEFAULT_METHODOLOGY_FACTORS } from '../../src/core/methodology.js';
import { InvalidInputError } from '../../src/core/units.js';

const t = (iso: string): Date => new Date(iso);

describe('checkLimits and percent used', () => {
  it('compares each set limit and finds the binding one', () => {
    const checks = checkLimits(
      { co2eGrams: 612, energyKwh: 3.3, cost: 0.5 },
      { co2eGrams: 500, energyKwh: 4, cost: null },
    );
    expect(checks.map((c) => c.metric)).toEqual(['co2e', 'energy']);
    // 612 / 500 = 122.4 %; 3.3 / 4 = 82.5 %.
    expect(checks[0]).toMatchObject({ measured: 612, limit: 500, exceeded: true });
    expect(checks[0]!.percentUsed).toBeCloseTo(122.4, 10);
    expect(checks[1]).toMatchObject({ exceeded: false });
    expect(checks[1]!.percentUsed).toBeCloseTo(82.5, 10);
    expect(bindingPercentUsed(checks)).toBeCloseTo(122.4, 10);
  });

  it('treats a measurement equal to its limit as within budget', () => {
    const [check] = checkLimits({ co2eGrams: 500, energyKwh: 0, cost: 0 }, { co2eGrams: 500 });
    expect(check!.exceeded).toBe(false);
    expect(check!.percentUsed).toBe(100);
  });

  it('gives a zero limit 0 % when nothing was used and an infinite (null) share otherwise', () => {
    expect(percentUsed(0, 0)).toBe(0);
    expect(percentUsed(5, 0)).toBeNull();
    const checks = checkLimits(
      { co2eGrams: 5, energyKwh: 1, cost: 0 },
      { co2eGrams: 0, energyKwh: 10 },
    );
    expect(checks[0]!.exceeded).toBe(true);
    expect(bindingPercentUsed(checks)).toBeNull();
    expect(bindingPercentUsed([])).toBeNull();
  });
});

describe('compareWithBaseline', () => {
  it('allows an increase up to the threshold and fails above it', () => {
    // (412 − 380) / 380 = 8.421 % ≤ 10 %.
    const within = compareWithBaseline('co2e', 412, 380, 10);
    expect(within.increasePercent).toBeCloseTo(8.4210526, 6);
    expect(within.exceeded).toBe(false);
    // (420 − 380) / 380 = 10.526 % > 10 %.
    const over = compareWithBaseline('co2e', 420, 380, 10);
    expect(over.increasePercent).toBeCloseTo(10.5263158, 6);
    expect(over.exceeded).toBe(true);
    // An improvement is a negative increase.
    expect(compareWithBaseline('energy', 1.5, 2, 0).increasePercent).toBeCloseTo(-25, 10);
  });

  it('treats growth from a zero baseline as a regression', () => {
    expect(compareWithBaseline('co2e', 0, 0, 10)).toMatchObject({
      increasePercent: 0,
      exceeded: false,
    });
    expect(compareWithBaseline('co2e', 1, 0, 10)).toMatchObject({
      increasePercent: null,
      exceeded: true,
    });
  });
});

describe('parsePercent', () => {
  it('reads percentages with or without the sign', () => {
    expect(parsePercent('10%')).toBe(10);
    expect(parsePercent(' 12.5 % ')).toBe(12.5);
    expect(parsePercent('7')).toBe(7);
    expect(parsePercent('0')).toBe(0);
  });

  it('rejects negatives, words and doubled signs', () => {
    for (const bad of ['-5%', 'ten', '10%%', '', '1e3%']) {
      expect(() => parsePercent(bad), bad).toThrow(InvalidInputError);
    }
  });
});

describe('hours and windows', () => {
  it('covers a window with whole hours', () => {
    expect(
      coveringHours({ from: t('2026-03-01T09:50:00Z'), to: t('2026-03-01T10:20:00Z') }),
    ).toEqual({
      from: t('2026-03-01T09:00:00Z'),
      to: t('2026-03-01T11:00:00Z'),
    });
    const aligned = { from: t('2026-03-01T09:00:00Z'), to: t('2026-03-01T10:00:00Z') };
    expect(coveringHours(aligned)).toEqual(aligned);
  });

  it('shares a partly observed current hour by its observed part', () => {
    const now = t('2026-03-01T10:20:00Z');
    const window = { from: t('2026-03-01T10:03:00Z'), to: now };
    // Observed 10:00–10:20 (20 min), of which 10:03–10:20 (17 min) is in the window: 17/20.
    expect(hourShareInWindow(t('2026-03-01T10:00:00Z'), window, now)).toBeCloseTo(0.85, 12);
  });

  it('shares past hours by their overlap with the window', () => {
    const now = t('2026-03-01T12:00:00Z');
    const window = { from: t('2026-03-01T08:30:00Z'), to: t('2026-03-01T09:15:00Z') };
    // 08:30–09:00 of 60 min = 0.5; 09:00–09:15 of 60 min = 0.25.
    expect(hourShareInWindow(t('2026-03-01T08:00:00Z'), window, now)).toBeCloseTo(0.5, 12);
    expect(hourShareInWindow(t('2026-03-01T09:00:00Z'), window, now)).toBeCloseTo(0.25, 12);
    expect(hourShareInWindow(t('2026-03-01T07:00:00Z'), window, now)).toBe(0);
    expect(hourShareInWindow(t('2026-03-01T10:00:00Z'), window, now)).toBe(0);
  });

  it('gives whole hours inside the window a share of 1 and future hours none', () => {
    const now = t('2026-03-01T10:20:00Z');
    const window = { from: t('2026-03-01T08:30:00Z'), to: now };
    expect(hourShareInWindow(t('2026-03-01T09:00:00Z'), window, now)).toBe(1);
    expect(hourShareInWindow(t('2026-03-01T11:00:00Z'), window, now)).toBe(0);
  });
});

describe('footprintOfHours', () => {
  it('applies each hour’s own intensity and weights the mean by energy', () => {
    const total = footprintOfHours(
      [
        {
          hourStart: t('2026-03-01T09:00:00Z'),
          activity: { busySeconds: 1000, idleSeconds: 5000, memoryGiBHours: 0 },
          intensityGPerKwh: 185,
        },
        {
          hourStart: t('2026-03-01T10:00:00Z'),
          activity: { busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 },
          intensityGPerKwh: 100,
        },
      ],
      { ...DEFAULT_METHODOLOGY_FACTORS, embodiedGramsPerCoreHour: 10 },
    );
    // Hour 1: (1000 × 12 + 5000 × 1) J / 3.6e6 = 0.0047222 kWh × 185 = 0.8736111 g.
    // Hour 2: 3600 × 12 / 3.6e6 = 0.012 kWh × 100 = 1.2 g.
    expect(total.energyKwh).toBeCloseTo(0.0167222, 7);
    expect(total.scope2LocationGrams).toBeCloseTo(2.0736111, 7);
    // Embodied: (6000 + 3600) s / 3600 = 2.6667 core-h × 10 g = 26.667 g, added to CO2e.
    expect(total.scope3EmbodiedGrams).toBeCloseTo(26.6666667, 6);
    expect(total.co2eGrams).toBeCloseTo(2.0736111 + 26.6666667, 6);
    // 2.0736111 / 0.0167222 = 124.0033 g/kWh (not the plain mean 142.5).
    expect(total.meanIntensityGPerKwh).toBeCloseTo(124.0033, 3);
    // Cost: 2.6667 core-h × 0.031611 USD = 0.084296 USD.
    expect(total.cost).toBeCloseTo(0.084296, 6);
    expect(total.busySeconds).toBe(4600);
    expect(total.estimationReasons).toEqual([]);
  });

  it('has no mean intensity without energy', () => {
    expect(footprintOfHours([], DEFAULT_METHODOLOGY_FACTORS).meanIntensityGPerKwh).toBeNull();
  });
});

describe('month-end projection', () => {
  const november = { from: t('2026-11-01T00:00:00Z'), to: t('2026-12-01T00:00:00Z') };

  it('extrapolates the rate so far to the whole month', () => {
    // 100 g in 10 of 30 days → 300 g.
    expect(projectPeriodEnd(100, november, t('2026-11-11T00:00:00Z'))).toBeCloseTo(300, 10);
  });

  it('has nothing to extrapolate at the month start and stops at the month end', () => {
    expect(projectPeriodEnd(0, november, t('2026-11-01T00:00:00Z'))).toBeNull();
    expect(projectPeriodEnd(80, november, t('2026-12-05T00:00:00Z'))).toBe(80);
  });

  it('finds the calendar month in the reporting zone across a DST change', () => {
    // BST starts on 2026-03-29, so April begins at 2026-03-31T23:00Z in London.
    expect(monthContaining(t('2026-03-29T12:00:00Z'), 'Europe/London')).toEqual({
      from: t('2026-03-01T00:00:00Z'),
      to: t('2026-03-31T23:00:00Z'),
    });
  });

  it('names the state of a budget', () => {
    expect(budgetState(120, 300, 100)).toBe('exceeded');
    expect(budgetState(50, 150, 100)).toBe('at_risk');
    expect(budgetState(50, 90, 100)).toBe('ok');
    expect(budgetState(50, null, 100)).toBe('ok');
  });
});

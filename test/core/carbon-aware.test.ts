import { describe, expect, it } from 'vitest';
import {
  candidateWindows,
  carbonAwareRunRecord,
  meanIntensityOver,
  monthlyRateOver,
  planStart,
  runActivity,
  runSavings,
  type StartPlanInput,
} from '../../src/core/carbon-aware.js';
import { DEFAULT_METHODOLOGY_FACTORS } from '../../src/core/methodology.js';
import type { IntensitySlot } from '../../src/core/ports.js';
import { savingsReport } from '../../src/core/recommendation-lifecycle.js';

const HALF_HOUR = 1_800_000;
const at = (hhmm: string): Date => new Date(`2026-11-21T${hhmm}:00Z`);

/** Half-hour forecast slots from `start`, one per value. */
function slots(start: string, values: number[]): IntensitySlot[] {
  return values.map((value, index) => {
    const from = new Date(at(start).getTime() + index * HALF_HOUR);
    return {
      from,
      to: new Date(from.getTime() + HALF_HOUR),
      forecast: value,
      actual: null,
      index: null,
    };
  });
}

// 12:00 200, 12:30 200, 13:00 100, 13:30 100, 14:00 50, 14:30 50, 15:00 300, 15:30 300.
const FORECAST = slots('12:00', [200, 200, 100, 100, 50, 50, 300, 300]);

function input(overrides: Partial<StartPlanInput> = {}): StartPlanInput {
  return {
    slots: FORECAST,
    now: at('12:05'),
    windowMinutes: 60,
    latestStart: at('23:00'),
    horizonEnd: at('23:59'),
    threshold: null,
    ...overrides,
  };
}

describe('planStart', () => {
  it('picks the cleanest 1 h window: 14:00, mean 50 vs 200 starting now, 75 % less', () => {
    const plan = planStart(input());
    expect(plan).not.toBeNull();
    expect(plan?.start).toEqual(at('14:00'));
    expect(plan?.end).toEqual(at('15:00'));
    expect(plan?.meanIntensity).toBe(50);
    expect(plan?.nowMeanIntensity).toBe(200); // (200 + 200) / 2, the window from the 12:00 slot
    expect(plan?.savingPercent).toBeCloseTo(75, 10); // (200 − 50) / 200
    expect(plan?.reason).toBe('best_window');
  });

  it('starts now when now is already the cleanest', () => {
    const plan = planStart(input({ slots: slots('12:00', [50, 50, 100, 100, 200, 200]) }));
    expect(plan?.start).toEqual(at('12:05'));
    expect(plan?.reason).toBe('now_is_best');
    expect(plan?.savingPercent).toBe(0);
  });

  it('with --threshold 150 starts at the first window at or below it: 12:30, (200 + 100) / 2 = 150', () => {
    const plan = planStart(input({ threshold: { kind: 'absolute', gPerKwh: 150 } }));
    expect(plan?.start).toEqual(at('12:30'));
    expect(plan?.meanIntensity).toBe(150);
    expect(plan?.reason).toBe('threshold');
    expect(plan?.thresholdGPerKwh).toBe(150);
    expect(plan?.bestMeanIntensity).toBe(50);
  });

  it('falls back to the cleanest window when the threshold is never reached', () => {
    const plan = planStart(input({ threshold: { kind: 'absolute', gPerKwh: 10 } }));
    expect(plan?.start).toEqual(at('14:00'));
    expect(plan?.reason).toBe('best_window');
  });

  it('resolves --percentile against the candidate means', () => {
    // Candidate means (1 h): 12:00 200, 12:30 150, 13:00 100, 13:30 75, 14:00 50, 14:30 175,
    // 15:00 300 (15:30 is not covered). Sorted: 50 75 100 150 175 200 300; p50 = rank 3 = 150.
    expect(
      candidateWindows(FORECAST, 60, at('12:05')).map((c) => [
        c.start.toISOString(),
        c.meanIntensity,
      ]),
    ).toEqual([
      ['2026-11-21T12:05:00.000Z', 200],
      ['2026-11-21T12:30:00.000Z', 150],
      ['2026-11-21T13:00:00.000Z', 100],
      ['2026-11-21T13:30:00.000Z', 75],
      ['2026-11-21T14:00:00.000Z', 50],
      ['2026-11-21T14:30:00.000Z', 175],
      ['2026-11-21T15:00:00.000Z', 300],
    ]);
    const median = planStart(input({ threshold: { kind: 'percentile', percentile: 50 } }));
    expect(median?.thresholdGPerKwh).toBe(150);
    expect(median?.start).toEqual(at('12:30'));
    expect(median?.reason).toBe('threshold');
    // p25 = rank 1.5 = (75 + 100) / 2 = 87.5 → first at or below: 13:30 (75).
    const quartile = planStart(input({ threshold: { kind: 'percentile', percentile: 25 } }));
    expect(quartile?.thresholdGPerKwh).toBe(87.5);
    expect(quartile?.start).toEqual(at('13:30'));
  });

  it('never plans a start after the latest start', () => {
    // Latest start 13:00: only windows ending by 14:00 count → 13:00, mean 100.
    const plan = planStart(input({ latestStart: at('13:00') }));
    expect(plan?.start).toEqual(at('13:00'));
    expect(plan?.meanIntensity).toBe(100);
  });

  it('keeps the whole window inside the horizon', () => {
    // Horizon ends 14:30: the 14:00 window would end 15:00, so 13:30 (75) is the best.
    const plan = planStart(input({ horizonEnd: at('14:30') }));
    expect(plan?.start).toEqual(at('13:30'));
    expect(plan?.meanIntensity).toBe(75);
  });

  it('is null when the forecast cannot hold the job', () => {
    expect(planStart(input({ windowMinutes: 600 }))).toBeNull();
    expect(planStart(input({ slots: [] }))).toBeNull();
  });
});

describe('meanIntensityOver', () => {
  const mixed: IntensitySlot[] = [
    { from: at('12:00'), to: at('12:30'), forecast: 90, actual: 100, index: null },
    { from: at('12:30'), to: at('13:00'), forecast: 200, actual: null, index: null },
  ];

  it('weights actual ?? forecast by time: 12:15–12:45 = (100·15 + 200·15) / 30 = 150', () => {
    expect(meanIntensityOver(mixed, at('12:15'), at('12:45'))).toEqual({
      meanIntensity: 150,
      usedForecast: true,
    });
    expect(meanIntensityOver(mixed, at('12:00'), at('12:30'))).toEqual({
      meanIntensity: 100,
      usedForecast: false,
    });
  });

  it('takes the slot of an instant run, and is null over a gap', () => {
    expect(meanIntensityOver(mixed, at('12:10'), at('12:10'))?.meanIntensity).toBe(100);
    expect(meanIntensityOver(mixed, at('12:45'), at('13:15'))).toBeNull();
    expect(meanIntensityOver([mixed[1]!], at('12:15'), at('12:45'))).toBeNull();
  });
});

describe('run footprint and savings', () => {
  it('1 busy core-hour at 12 W = 0.012 kWh: 0.6 g at 50 vs 2.4 g at 200, saving 1.8 g', () => {
    const result = runSavings(
      { busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 },
      DEFAULT_METHODOLOGY_FACTORS,
      { actualGPerKwh: 50, baselineGPerKwh: 200 },
    );
    expect(result.footprint.energy.totalKwh).toBeCloseTo(0.012, 12);
    expect(result.footprint.scope2LocationGrams).toBeCloseTo(0.6, 12);
    expect(result.baselineFootprint.scope2LocationGrams).toBeCloseTo(2.4, 12);
    expect(result.savedGrams).toBeCloseTo(1.8, 12);
  });

  it('counts reserved but unused core time as idle', () => {
    expect(runActivity({ busySeconds: 100, cores: 2, wallSeconds: 120 })).toEqual({
      busySeconds: 100,
      idleSeconds: 140, // 2 × 120 − 100
      memoryGiBHours: 0,
    });
    expect(runActivity({ busySeconds: 100, cores: null, wallSeconds: 120 }).idleSeconds).toBe(0);
    expect(runActivity({ busySeconds: 300, cores: 2, wallSeconds: 120 }).idleSeconds).toBe(0);
  });

  it('turns a one-off saving into the ledger rate that books exactly it over the run', () => {
    expect(monthlyRateOver(1.8, 3_600_000)).toBeCloseTo(1314, 9); // 1.8 g × 730 h / 1 h
    expect(() => monthlyRateOver(1, 0)).toThrow(RangeError);
  });

  function record(savedFrom: { actual: number; baseline: number }) {
    return carbonAwareRunRecord({
      name: 'nightly',
      cluster: 'local',
      requestedAt: at('12:05'),
      startedAt: at('14:00'),
      endedAt: at('15:00'),
      nowMeanIntensity: savedFrom.baseline,
      plannedMeanIntensity: 50,
      actualMeanIntensity: savedFrom.actual,
      savings: runSavings(
        { busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 },
        DEFAULT_METHODOLOGY_FACTORS,
        { actualGPerKwh: savedFrom.actual, baselineGPerKwh: savedFrom.baseline },
      ),
      currency: 'USD',
    });
  }

  it('records the run as an applied CARBON_AWARE_SHIFT whose savings report shows 1.8 g in its month', () => {
    const { finding, entry } = record({ actual: 50, baseline: 200 });
    expect(finding.type).toBe('CARBON_AWARE_SHIFT');
    expect(finding.target.workload).toBe('nightly');
    expect(finding.id).toMatch(/^[0-9a-f]{12}$/);
    expect(record({ actual: 60, baseline: 300 }).finding.id).toBe(finding.id); // one per job name
    expect(entry).toMatchObject({
      appliedAt: '2026-11-21T14:00:00.000Z',
      endedAt: '2026-11-21T15:00:00.000Z',
      monthlyKwh: 0,
      monthlyCost: 0,
    });
    const report = savingsReport({
      active: [],
      entries: [
        {
          recommendationId: finding.id,
          type: finding.type,
          cluster: 'local',
          namespace: null,
          appliedAt: entry.appliedAt,
          endedAt: entry.endedAt,
          share: null,
          monthlyCo2eGrams: entry.monthlyCo2eGrams,
          monthlyKwh: 0,
          monthlyCost: 0,
          currency: 'USD',
          source: 'given',
        },
      ],
      period: { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') },
      now: at('20:00'),
      zone: 'UTC',
    });
    const shift = report.byType.find((t) => t.type === 'CARBON_AWARE_SHIFT');
    expect(shift?.realizedInPeriod.co2eGrams).toBeCloseTo(1.8, 9);
    expect(shift?.realizedMonthly.count).toBe(0); // a finished run is no ongoing rate
    expect(report.months[0]?.total.co2eGrams).toBeCloseTo(1.8, 9);
  });

  it('books no saving when the run was dirtier than starting at once', () => {
    expect(record({ actual: 250, baseline: 200 }).entry.monthlyCo2eGrams).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import {
  coveragePercent,
  dataQuality,
  esrsE1Totals,
  expandPathTemplate,
  hoursInPeriod,
  pathPlaceholders,
  reportColumns,
  reportCsvRecord,
  reportMeasures,
  reportRecord,
  reportRow,
  splitBusyIdle,
  type PeriodAggregate,
} from '../../src/core/report.js';
import { InvalidInputError } from '../../src/core/units.js';
import { renderCsv } from '../../src/output/csv.js';

/** Two entity-hours: 0.012 kWh at 100 g/kWh and 0.024 kWh at 250 g/kWh (PUE 1.2 on IT 0.03 kWh). */
function aggregate(overrides: Partial<PeriodAggregate> = {}): PeriodAggregate {
  return {
    hours: 2,
    busySeconds: 7200,
    idleSeconds: 3600,
    memoryGiBHours: 0,
    energyItKwh: 0.03,
    energyKwh: 0.036,
    scope2LocationGrams: 0.012 * 100 + 0.024 * 250, // 1.2 + 6 = 7.2 g
    scope2MarketGrams: 0.036 * 300, // 10.8 g
    scope3Grams: 3 * 2, // 3 core-hours × 2 g
    cost: 0.094833,
    intensityWeightedSum: 0.012 * 100 + 0.024 * 250,
    coverageSum: 1.5,
    estimatedRows: 1,
    rowCount: 2,
    estimationReasons: ['intensity_forecast'],
    intensityProviders: ['uk'],
    methodologyVersions: ['carbonctl-2026.1'],
    pueMin: 1.2,
    pueMax: 1.2,
    currency: 'EUR',
    ...overrides,
  };
}

describe('report columns', () => {
  it('are exactly the SPEC §7 columns in order, with the group-by dimension’s own columns', () => {
    const measures = [
      'energy_it_kwh',
      'pue',
      'energy_kwh',
      'scope2_location_kgco2e',
      'scope2_market_kgco2e',
      'scope3_embodied_kgco2e',
      'total_kgco2e',
      'avg_intensity_g_per_kwh',
      'cpu_busy_core_hours',
      'cpu_idle_core_hours',
      'cost',
      'currency',
      'coverage_percent',
      'is_estimated',
      'estimation_reasons',
      'intensity_source',
      'methodology_version',
    ];
    expect(reportColumns('none')).toEqual(['period', 'period_start', 'period_end', ...measures]);
    expect(reportColumns('owner')).toEqual([
      'period',
      'period_start',
      'period_end',
      'owner',
      ...measures,
    ]);
    expect(reportColumns('workload')).toEqual([
      'period',
      'period_start',
      'period_end',
      'workload',
      'workload_kind',
      ...measures,
    ]);
  });
});

describe('reportMeasures', () => {
  it('converts units and weights the intensity by energy, not by hours', () => {
    const measures = reportMeasures(aggregate(), 4, 'USD');
    expect(measures.energy_kwh).toBe(0.036);
    expect(measures.energy_it_kwh).toBe(0.03);
    expect(measures.pue).toBe(1.2);
    expect(measures.scope2_location_kgco2e).toBeCloseTo(0.0072, 15);
    expect(measures.scope2_market_kgco2e).toBeCloseTo(0.0108, 15);
    expect(measures.scope3_embodied_kgco2e).toBeCloseTo(0.006, 15);
    // total = location + Scope 3 = 7.2 g + 6 g = 13.2 g.
    expect(measures.total_kgco2e).toBeCloseTo(0.0132, 15);
    // (0.012×100 + 0.024×250) / 0.036 = 7.2 / 0.036 = 200 g/kWh; the plain mean would be 175.
    expect(measures.avg_intensity_g_per_kwh).toBeCloseTo(200, 10);
    expect(measures.cpu_busy_core_hours).toBe(2);
    expect(measures.cpu_idle_core_hours).toBe(1);
    expect(measures.cost).toBe(0.094833);
    expect(measures.currency).toBe('EUR');
    // 2 of 4 hours have rows, whose mean sample coverage is 1.5/2: 0.5 × 0.75 = 37.5 %.
    expect(measures.coverage_percent).toBeCloseTo(37.5, 12);
    expect(measures.is_estimated).toBe(true);
    expect(measures.estimation_reasons).toEqual(['intensity_forecast']);
    expect(measures.intensity_source).toBe('uk');
    expect(measures.methodology_version).toBe('carbonctl-2026.1');
  });

  it('gives the energy-weighted PUE when it varied, and no cost when currencies are mixed', () => {
    const measures = reportMeasures(
      aggregate({ pueMin: 1, pueMax: 1.5, currency: null }),
      2,
      'USD',
    );
    expect(measures.pue).toBeCloseTo(1.2, 12); // 0.036 / 0.03
    expect(measures.cost).toBeNull();
    expect(measures.currency).toBeNull();
  });

  it('fills a period without data with zeros, no intensity and 0 % coverage', () => {
    const measures = reportMeasures(null, 24, 'USD');
    expect(measures).toMatchObject({
      energy_kwh: 0,
      total_kgco2e: 0,
      avg_intensity_g_per_kwh: null,
      pue: null,
      cost: 0,
      currency: 'USD',
      coverage_percent: 0,
      is_estimated: false,
      estimation_reasons: [],
      hours_in_period: 24,
      hours_with_data: 0,
    });
  });
});

describe('hoursInPeriod and coverage', () => {
  it('counts the UTC hours whose start falls in the period: 745 in October and 743 in March in London', () => {
    // Europe/London October 2025: BST until 26 Oct (UTC+1), so 2025-09-30T23Z → 2025-11-01T00Z.
    expect(hoursInPeriod(new Date('2025-09-30T23:00:00Z'), new Date('2025-11-01T00:00:00Z'))).toBe(
      745,
    );
    // March 2025: GMT until 30 Mar, so 2025-03-01T00Z → 2025-03-31T23Z.
    expect(hoursInPeriod(new Date('2025-03-01T00:00:00Z'), new Date('2025-03-31T23:00:00Z'))).toBe(
      743,
    );
    // A half-hour zone (India, UTC+5:30): the local day holds the UTC hours starting 18:30Z+ → 24.
    expect(hoursInPeriod(new Date('2025-01-01T18:30:00Z'), new Date('2025-01-02T18:30:00Z'))).toBe(
      24,
    );
  });

  it('never exceeds 100 % and is 0 without rows', () => {
    expect(coveragePercent({ hours: 30, coverageSum: 30, rowCount: 30 }, 24)).toBe(100);
    expect(coveragePercent(null, 24)).toBe(0);
    expect(coveragePercent({ hours: 12, coverageSum: 24, rowCount: 24 }, 24)).toBe(50);
  });

  it('reports the data quality of a whole range', () => {
    const quality = dataQuality(aggregate(), {
      from: new Date('2025-01-01T00:00:00Z'),
      to: new Date('2025-01-01T04:00:00Z'),
    });
    expect(quality).toEqual({
      coverage_percent: 37.5,
      estimated_share: 0.5,
      hours_in_period: 4,
      hours_with_data: 2,
      entity_hours: 2,
      estimated_entity_hours: 1,
      estimation_reasons: ['intensity_forecast'],
    });
  });
});

describe('esrsE1Totals', () => {
  it('reports MWh and tCO2e, location- and market-based totals with Scope 3', () => {
    const totals = esrsE1Totals(
      aggregate({
        energyKwh: 1500,
        scope2LocationGrams: 300e6,
        scope2MarketGrams: 120e6,
        scope3Grams: 5e6,
      }),
    );
    expect(totals).toEqual({
      energy_consumption_mwh: 1.5,
      scope2_location_tco2e: 300,
      scope2_market_tco2e: 120,
      scope3_tco2e: 5,
      total_tco2e: 305,
      total_market_tco2e: 125,
    });
    expect(esrsE1Totals(null).total_tco2e).toBe(0);
  });
});

describe('report rows', () => {
  const period = {
    label: '2025-10',
    start: new Date('2025-09-30T23:00:00Z'),
    end: new Date('2025-11-01T00:00:00Z'),
  };

  it('carry the period with the zone’s offsets and the group columns first', () => {
    const row = reportRow(
      period,
      'Europe/London',
      'workload',
      { value: 'shop/web', workloadKind: 'Deployment' },
      aggregate(),
      'USD',
    );
    expect(row.period_start).toBe('2025-10-01T00:00:00+01:00');
    expect(row.period_end).toBe('2025-11-01T00:00:00+00:00');
    expect(row.hours_in_period).toBe(745);
    const record = reportRecord(row);
    expect(Object.keys(record)).toEqual([
      ...reportColumns('workload'),
      'hours_with_data',
      'hours_in_period',
    ]);
    expect(record.workload).toBe('shop/web');
    expect(record.workload_kind).toBe('Deployment');
  });

  it('become CSV cells with neutralised text and untouched (unquoted) negative numbers', () => {
    const row = reportRow(
      period,
      'UTC',
      'owner',
      { value: '=HYPERLINK("http://x","y")' },
      aggregate({ cost: -1.5, estimationReasons: ['a', 'b'] }),
      'USD',
    );
    const csv = renderCsv(
      {
        columns: reportColumns('owner').map((key) => ({ key, header: key })),
        rows: [reportCsvRecord(row)],
      },
      { header: false },
    );
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
    expect(csv).toContain(',-1.5,EUR,');
    expect(csv).toContain(',true,a;b,uk,carbonctl-2026.1\n');
  });
});

describe('splitBusyIdle', () => {
  it('splits energy and carbon by the power each part drew, adding up exactly', () => {
    // busy 3600 s × 12 W = 43200 J, idle 3600 s × 1 W = 3600 J: busy share 12/13.
    const split = splitBusyIdle(
      {
        busySeconds: 3600,
        idleSeconds: 3600,
        memoryGiBHours: 0,
        energyKwh: 0.013,
        scope2LocationGrams: 2.6,
      },
      { busyWattsPerCore: 12, idleWattsPerCore: 1, memoryWattsPerGiB: 0 },
    );
    expect(split.busyKwh).toBeCloseTo(0.012, 15);
    expect(split.idleKwh).toBeCloseTo(0.001, 15);
    expect(split.busyGrams).toBeCloseTo(2.4, 12);
    expect(split.busyGrams + split.idleGrams).toBe(2.6);
  });
});

describe('output path placeholders', () => {
  const range = (from: string, to: string) => ({ from: new Date(from), to: new Date(to) });

  it('name a calendar period by its label, anything else by its first and last day', () => {
    expect(
      pathPlaceholders(range('2025-10-01T00:00:00+01:00', '2025-11-01T00:00:00Z'), 'Europe/London'),
    ).toEqual({
      period: '2025-10',
      year: '2025',
      month: '2025-10',
      date: '2025-10-01',
    });
    expect(
      pathPlaceholders(range('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), 'UTC').period,
    ).toBe('2025');
    expect(
      pathPlaceholders(range('2025-04-01T00:00:00Z', '2025-07-01T00:00:00Z'), 'UTC').period,
    ).toBe('2025-Q2');
    expect(
      pathPlaceholders(range('2024-12-30T00:00:00Z', '2025-01-06T00:00:00Z'), 'UTC').period,
    ).toBe('2025-W01');
    expect(
      pathPlaceholders(range('2025-03-14T00:00:00Z', '2025-03-15T00:00:00Z'), 'UTC').period,
    ).toBe('2025-03-14');
    expect(
      pathPlaceholders(range('2025-03-14T00:00:00Z', '2025-04-02T00:00:00Z'), 'UTC').period,
    ).toBe('2025-03-14_2025-04-01');
  });

  it('fill a template and reject unknown placeholders', () => {
    const values = { period: '2025-10', year: '2025', month: '2025-10', date: '2025-10-01' };
    expect(expandPathTemplate('reports/{year}/carbon-{period}.csv', values)).toBe(
      'reports/2025/carbon-2025-10.csv',
    );
    expect(() => expandPathTemplate('carbon-{quarter}.csv', values)).toThrow(InvalidInputError);
    expect(() => expandPathTemplate('carbon-{quarter}.csv', values)).toThrow(
      /\{quarter\}, which is not a placeholder/,
    );
  });
});

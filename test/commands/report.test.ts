import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/store/ledger.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { fillLedger, fixtureRow } from '../helpers/ledger-fixture.js';
import { makeReadOnly } from '../io/read-only.js';
import {
  REPORT_GRANULARITY_CHOICES,
  REPORT_GROUP_BY_CHOICES,
} from '../../src/commands/report/index.js';
import { GRANULARITIES } from '../../src/core/periods.js';
import { REPORT_GROUP_BYS } from '../../src/core/report.js';
import { hourRow, tinyLedgerRows, writeLedger } from './ledger-readers.js';

const GOLDEN_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'golden');

/** Compares with a golden file byte for byte; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

type Row = Record<string, unknown> & { period: string; energy_kwh: number };
interface ExportDocument {
  metadata: Record<string, unknown> & { data_quality: { coverage_percent: number } };
  esrs_e1: Record<string, number>;
  rows: Row[];
  totals: Record<string, number>;
}

let dir: string;
/** The hand-computable ledger (see tinyLedgerRows). */
let tiny: string;
/** A generated year: 4 hosts every hour from 2024-12-31 to 2026-01-02, plus one `lab` host in June 2025 only. */
let year: string;

beforeAll(() => {
  dir = tempDir();
  tiny = join(dir, 'tiny.db');
  writeLedger(tiny, tinyLedgerRows());
  year = join(dir, 'year.db');
  const ledger = openLedger(year, { clock: () => new Date('2026-11-21T00:00:00Z') });
  try {
    fillLedger(ledger, {
      entities: 4,
      from: new Date('2024-12-31T00:00:00Z'),
      hours: 367 * 24,
      seed: 7,
    });
    // 24 hours of a host in another cluster on 10 June 2025, 2 cores fully busy at 150 g/kWh.
    const lab = Array.from({ length: 24 }, (_, hour) =>
      fixtureRow('lab', 'nodes', 99, new Date(Date.UTC(2025, 5, 10, hour)), 7200, 0, 150),
    );
    ledger.commitChunk('lab', 'nodes', lab, new Date(Date.UTC(2025, 5, 11)));
  } finally {
    ledger.close();
  }
});

afterAll(() => removeDir(dir));

/** Runs an export of `ledger` to stdout and parses it (JSON) or returns the text (CSV). */
async function exportJson(ledger: string, args: string[]): Promise<ExportDocument> {
  const result = await run(
    ['report', 'export', '--ledger', ledger, '--format', 'json', '--out', '-', ...args],
    { dir },
  );
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ExportDocument;
}

function sumBy(rows: Row[], key: string, field: string): Map<unknown, number> {
  const sums = new Map<unknown, number>();
  for (const row of rows) sums.set(row[key], (sums.get(row[key]) ?? 0) + (row[field] as number));
  return sums;
}

const SUMMED = [
  'energy_it_kwh',
  'energy_kwh',
  'scope2_location_kgco2e',
  'scope2_market_kgco2e',
  'scope3_embodied_kgco2e',
  'total_kgco2e',
  'cpu_busy_core_hours',
  'cpu_idle_core_hours',
  'cost',
];

describe('report export: golden files', () => {
  const args = ['--from', '2026-10-01', '--to', '2026-11-30', '--group-by', 'owner'];

  it('writes exactly the SPEC §7 CSV for a fixed ledger', async () => {
    const result = await run(
      ['report', 'export', '--ledger', tiny, ...args, '--format', 'csv', '--out', '-'],
      { dir },
    );
    expect(result.code).toBe(0);
    expectGolden('report-monthly-owner.csv', result.stdout);
  });

  it('writes the JSON document with metadata, ESRS E1 block, rows and totals', async () => {
    const result = await run(
      ['report', 'export', '--ledger', tiny, ...args, '--format', 'json', '--out', '-'],
      { dir },
    );
    expect(result.code).toBe(0);
    // The streamed document is byte-identical to JSON.stringify of the parsed one.
    const document = JSON.parse(result.stdout) as ExportDocument;
    expect(result.stdout).toBe(JSON.stringify(document, null, 2) + '\n');
    expect(document.metadata.generated_at).toBe('2026-11-21T12:00:00.000Z'); // the test clock
    expectGolden(
      'report-monthly-owner.json',
      result.stdout.replace(/"version": "[^"]*"/, '"version": "<version>"'),
    );
  });

  it('adds up the hand-computed figures', async () => {
    const document = await exportJson(tiny, args);
    // 2 months × 3 owners (alice, bob, none): every period once per group, gaps as zero rows.
    expect(document.rows.map((row) => `${row.period}/${String(row.owner)}`)).toEqual([
      '2026-10/null',
      '2026-10/alice',
      '2026-10/bob',
      '2026-11/null',
      '2026-11/alice',
      '2026-11/bob',
    ]);
    const [octoberPod, octoberAlice, octoberBob, novemberPod, novemberAlice, novemberBob] =
      document.rows;
    expect(octoberAlice?.energy_kwh).toBeCloseTo(0.012, 15); // 3600 busy s × 12 W
    expect(octoberAlice?.avg_intensity_g_per_kwh).toBe(100);
    expect(octoberBob).toMatchObject({
      energy_kwh: 0,
      coverage_percent: 0,
      avg_intensity_g_per_kwh: null,
      is_estimated: false,
    });
    expect(octoberPod?.energy_kwh).toBe(0);
    // November alice: 0.013 kWh @100 + 0.013 kWh @200 → 3.9 g; energy-weighted 150 g/kWh.
    expect(novemberAlice?.scope2_location_kgco2e).toBeCloseTo(0.0039, 15);
    expect(novemberAlice?.avg_intensity_g_per_kwh).toBeCloseTo(150, 10);
    // 2 of the 720 November hours have alice rows, each fully covered: 2/720 = 0.2778 %.
    expect(novemberAlice?.coverage_percent).toBeCloseTo((2 / 720) * 100, 12);
    expect(novemberBob?.cpu_busy_core_hours).toBe(3);
    expect(novemberPod?.energy_kwh).toBeCloseTo(0.0065, 15);
    expect(novemberPod?.estimation_reasons).toEqual([]);
    expect(novemberPod?.is_estimated).toBe(false);
    // Totals: 0.012 + 0.026 + 0.036 + 0.0065 = 0.0805 kWh; 1.2 + 3.9 + 3.6 + 0.65 = 9.35 g.
    expect(document.totals.energy_kwh).toBeCloseTo(0.0805, 14);
    expect(document.esrs_e1.energy_consumption_mwh).toBeCloseTo(0.0000805, 16);
    expect(document.esrs_e1.scope2_location_tco2e).toBeCloseTo(0.00000935, 17);
    expect(document.esrs_e1.total_tco2e).toBeCloseTo(0.00000935, 17);
    // 4 distinct UTC hours have rows, of October's 744 + November's 720 (a date-only --to is the end of that day).
    expect(document.metadata.data_quality.coverage_percent).toBeCloseTo((4 / 1464) * 100, 12);
  });
});

describe('report export: invariants on a generated year', () => {
  it.each(['UTC', 'Europe/London'])(
    'monthly rows sum to the yearly export for every group-by (%s)',
    async (zone) => {
      for (const groupBy of REPORT_GROUP_BY_CHOICES) {
        const monthly = await exportJson(year, [
          '--years',
          '2025',
          '--tz',
          zone,
          '--group-by',
          groupBy,
        ]);
        const yearly = await exportJson(year, [
          '--years',
          '2025',
          '--tz',
          zone,
          '--group-by',
          groupBy,
          '--granularity',
          'yearly',
        ]);
        const key = groupBy === 'none' ? 'period' : groupBy === 'workload' ? 'workload' : groupBy;
        const groups = new Set(yearly.rows.map((row) => row[key]));
        expect(monthly.rows).toHaveLength(12 * groups.size);
        for (const field of SUMMED) {
          // group-by none: one yearly row, the sum of all twelve monthly ones.
          const monthlySums =
            groupBy === 'none'
              ? new Map([['2025', monthly.rows.reduce((sum, r) => sum + (r[field] as number), 0)]])
              : sumBy(monthly.rows, key, field);
          for (const row of yearly.rows) {
            const expected = row[field] as number;
            const actual = monthlySums.get(row[key]) ?? Number.NaN;
            expect(
              Math.abs(actual - expected),
              `${groupBy} ${field} ${String(row[key])}`,
            ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
          }
          expect(monthly.totals[field]).toBeCloseTo(yearly.totals[field] ?? Number.NaN, 9);
        }
      }
    },
  );

  it('keeps hourly, daily and monthly rows consistent across the March DST change (743 local hours)', async () => {
    const args = ['--from', '2025-03-01', '--to', '2025-03-31', '--tz', 'Europe/London'];
    const hourly = await exportJson(year, [...args, '--granularity', 'hourly']);
    const daily = await exportJson(year, [...args, '--granularity', 'daily']);
    const monthly = await exportJson(year, [...args, '--granularity', 'monthly']);
    expect(hourly.rows).toHaveLength(743);
    expect(daily.rows).toHaveLength(31);
    expect(daily.rows[29]?.hours_in_period).toBe(23); // 30 March: clocks go forward
    expect(monthly.rows).toHaveLength(1);
    expect(monthly.rows[0]?.hours_in_period).toBe(743);
    expect(monthly.rows[0]?.coverage_percent).toBe(100);
    for (const field of SUMMED) {
      const byDay = new Map<string, number>();
      for (const row of hourly.rows)
        byDay.set(
          row.period.slice(0, 10),
          (byDay.get(row.period.slice(0, 10)) ?? 0) + (row[field] as number),
        );
      for (const row of daily.rows)
        expect(byDay.get(row.period)).toBeCloseTo(row[field] as number, 9);
      const dailySum = daily.rows.reduce((sum, row) => sum + (row[field] as number), 0);
      expect(dailySum).toBeCloseTo(monthly.rows[0]?.[field] as number, 9);
    }
  });

  it('gives London’s October 745 hours, the repeated hour labelled by its offset', async () => {
    const hourly = await exportJson(year, [
      '--from',
      '2025-10-01',
      '--to',
      '2025-10-31',
      '--tz',
      'Europe/London',
      '--granularity',
      'hourly',
    ]);
    expect(hourly.rows).toHaveLength(745);
    expect(new Set(hourly.rows.map((row) => row.period)).size).toBe(745);
    const labels = hourly.rows.map((row) => row.period);
    expect(
      labels.slice(labels.indexOf('2025-10-26T00'), labels.indexOf('2025-10-26T00') + 4),
    ).toEqual(['2025-10-26T00', '2025-10-26T01+01:00', '2025-10-26T01+00:00', '2025-10-26T02']);
    const monthly = await exportJson(year, [
      '--from',
      '2025-10-01',
      '--to',
      '2025-10-31',
      '--tz',
      'Europe/London',
    ]);
    expect(monthly.rows[0]).toMatchObject({
      period: '2025-10',
      period_start: '2025-10-01T00:00:00+01:00',
      period_end: '2025-11-01T00:00:00+00:00',
      hours_in_period: 745,
    });
    // 4 hosts × 745 hours, each 14,400 core-seconds (4 cores): 4 × 745 × 4 = 11,920 core-hours.
    expect(
      (monthly.rows[0]?.cpu_busy_core_hours as number) +
        (monthly.rows[0]?.cpu_idle_core_hours as number),
    ).toBeCloseTo(11_920, 9);
  });

  it('labels weeks by ISO week-year and quarters by year', async () => {
    const weekly = await exportJson(year, ['--years', '2025', '--granularity', 'weekly']);
    expect(weekly.rows).toHaveLength(53);
    expect(weekly.rows[0]).toMatchObject({
      period: '2025-W01',
      period_start: '2025-01-01T00:00:00+00:00',
      period_end: '2025-01-06T00:00:00+00:00',
    });
    expect(weekly.rows[52]).toMatchObject({
      period: '2026-W01',
      period_start: '2025-12-29T00:00:00+00:00',
      period_end: '2026-01-01T00:00:00+00:00',
    });
    const quarterly = await exportJson(year, ['--years', '2025', '--granularity', 'quarterly']);
    expect(quarterly.rows.map((row) => row.period)).toEqual([
      '2025-Q1',
      '2025-Q2',
      '2025-Q3',
      '2025-Q4',
    ]);
  });

  it('writes every period exactly once per group, with zero rows where a group has no data', async () => {
    const document = await exportJson(year, ['--years', '2025', '--group-by', 'cluster']);
    const keys = document.rows.map((row) => `${row.period}/${String(row.cluster)}`);
    expect(keys).toHaveLength(24);
    expect(new Set(keys).size).toBe(24);
    const lab = document.rows.filter((row) => row.cluster === 'lab');
    expect(lab.filter((row) => row.energy_kwh > 0).map((row) => row.period)).toEqual(['2025-06']);
    // 24 busy hours × 2 cores × 12 W = 0.576 kWh at 150 g/kWh; 24 of June's 720 hours covered.
    expect(lab[5]).toMatchObject({
      period: '2025-06',
      cpu_busy_core_hours: 48,
      avg_intensity_g_per_kwh: 150,
    });
    expect(lab[5]?.energy_kwh).toBeCloseTo(0.576, 12);
    expect(lab[5]?.coverage_percent).toBeCloseTo((24 / 720) * 100, 12);
    expect(lab[0]).toMatchObject({ period: '2025-01', energy_kwh: 0, coverage_percent: 0 });
  });

  it('gives identical bytes when exporting again', async () => {
    for (const format of ['csv', 'json']) {
      const first = join(dir, `again-1.${format}`);
      const second = join(dir, `again-2.${format}`);
      const args = [
        'report',
        'export',
        '--ledger',
        year,
        '--years',
        '2025',
        '--group-by',
        'owner',
        '--tz',
        'Europe/London',
        '--format',
        format,
      ];
      expect((await run([...args, '--out', first], { dir })).code).toBe(0);
      expect((await run([...args, '--out', second], { dir })).code).toBe(0);
      expect(readFileSync(second)).toEqual(readFileSync(first));
    }
  });
});

describe('report export: files, cron and failures', () => {
  const base = () => [
    'report',
    'export',
    '--ledger',
    tiny,
    '--from',
    '2026-11-01',
    '--to',
    '2026-11-30',
  ];

  it('fills {period} placeholders, creates the directory and prints what it wrote', async () => {
    const result = await run(
      [
        'report',
        'export',
        '--ledger',
        tiny,
        '--last-month',
        '--out',
        join(dir, 'reports', 'carbon-{period}.csv'),
        '-o',
        'json',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    const path = join(dir, 'reports', 'carbon-2026-10.csv');
    const content = readFileSync(path);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      path,
      format: 'csv',
      rows: 1,
      bytes: content.length,
      period: { label: '2026-10' },
    });
    expect(data.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(result.stderr).toMatch(
      /warning: coverage of 2026-10-01T00:00:00\+00:00 → 2026-11-01T00:00:00\+00:00 is 0\.134%/,
    );
  });

  it('refuses to overwrite without --force (exit 2) and replaces with it', async () => {
    const path = join(dir, 'exists.csv');
    writeFileSync(path, 'keep me');
    const refused = await run([...base(), '--out', path], { dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists\.csv already exists/);
    expect(refused.stderr).toMatch(/--force/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    const forced = await run([...base(), '--out', path, '--force'], { dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toMatch(/^period,period_start,period_end,energy_it_kwh,/);
  });

  it('leaves no partial or temporary file in a read-only directory and exits non-zero', async () => {
    const target = join(dir, 'readonly');
    mkdirSync(target);
    const undo = makeReadOnly(target);
    try {
      const result = await run([...base(), '--out', join(target, 'carbon.csv')], { dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/carbon\.csv cannot be written: .* is not writable/);
      expect(readdirSync(target)).toEqual([]);
    } finally {
      undo();
    }
  });

  it('exits 5 with --strict when coverage is below the threshold, writing nothing', async () => {
    const path = join(dir, 'strict.csv');
    const result = await run([...base(), '--strict', '--out', path], { dir });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      /coverage of .* is 0\.417% \(3 of 720 hours have data\), below 95%; nothing was written \(--strict\)/,
    );
    expect(existsSync(path)).toBe(false);
    const lenient = await run([...base(), '--strict', '--min-coverage', '0.1', '--out', path], {
      dir,
    });
    expect(lenient.code).toBe(0);
    expect(existsSync(path)).toBe(true);
  });

  it('passes --strict on a complete year and writes JSON to a .json path', async () => {
    const path = join(dir, 'complete.json');
    const result = await run(
      ['report', 'export', '--ledger', year, '--years', '2025', '--strict', '--out', path],
      { dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const document = JSON.parse(readFileSync(path, 'utf8')) as ExportDocument;
    expect(document.metadata.data_quality.coverage_percent).toBe(100);
    expect(document.rows).toHaveLength(12);
  });

  it('takes a single cluster’s sums as the whole-range totals, exactly', async () => {
    const single = await exportJson(year, ['--years', '2025', '--cluster', 'default', '--strict']);
    const both = await exportJson(year, ['--years', '2025']);
    expect(single.metadata.data_quality.coverage_percent).toBe(100);
    expect(
      (single.metadata.boundaries as { organisational: { clusters: string[] } }).organisational
        .clusters,
    ).toEqual(['default']);
    expect(
      (both.metadata.boundaries as { organisational: { clusters: string[] } }).organisational
        .clusters,
    ).toEqual(['default', 'lab']);
    // The lab host adds 24 h × 2 cores × 12 W = 0.576 kWh to the two-cluster totals.
    expect((both.totals.energy_kwh ?? 0) - (single.totals.energy_kwh ?? 0)).toBeCloseTo(0.576, 9);
    expect(single.totals.energy_kwh).toBeCloseTo(
      single.rows.reduce((sum, row) => sum + row.energy_kwh, 0),
      9,
    );
  });

  it('neutralises formula injection in label cells', async () => {
    const hostile = join(dir, 'hostile.db');
    writeLedger(hostile, [
      hourRow({
        entityId: 'h',
        hour: '2026-11-05T00:00:00Z',
        busySeconds: 3600,
        idleSeconds: 0,
        intensity: 100,
        labels: { owner: '=HYPERLINK("http://x","y")', project: '@SUM(A1)' },
      }),
    ]);
    const result = await run(
      [
        'report',
        'export',
        '--ledger',
        hostile,
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-30',
        '--group-by',
        'owner',
        '--format',
        'csv',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[1]).toMatch(
      /^2026-11,2026-11-01T00:00:00\+00:00,2026-12-01T00:00:00\+00:00,"'=HYPERLINK\(""http:\/\/x"",""y""\)",0\.012,1,/,
    );
    const byProject = await run(
      [
        'report',
        'export',
        '--ledger',
        hostile,
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-30',
        '--group-by',
        'project',
      ],
      { dir },
    );
    expect(byProject.stdout.split('\n')[1]).toContain(",'@SUM(A1),");
  });

  it('writes JSON to stdout for -o json, and refuses -o json with a CSV on stdout', async () => {
    const json = await run([...base(), '-o', 'json'], { dir });
    expect(json.code).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout))).toEqual(['metadata', 'esrs_e1', 'rows', 'totals']);
    const clash = await run([...base(), '-o', 'json', '--format', 'csv'], { dir });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/-o json and --format csv contradict each other/);
  });

  it('rejects unknown placeholders and bad flags with exit 2', async () => {
    const placeholder = await run([...base(), '--out', join(dir, 'x-{quarter}.csv')], { dir });
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr).toMatch(/\{quarter\}, which is not a placeholder/);
    const granularity = await run([...base(), '--granularity', 'fortnightly'], { dir });
    expect(granularity.code).toBe(2);
    const years = await run(
      ['report', 'export', '--ledger', tiny, '--years', '2024', '--years', '2026'],
      { dir },
    );
    expect(years.code).toBe(2);
    expect(years.stderr).toMatch(/leaves gaps/);
  });

  it('exports an empty selection with a notice and exit 0', async () => {
    const result = await run(
      [
        'report',
        'export',
        '--ledger',
        tiny,
        '--years',
        '2024',
        '--owner',
        'nobody',
        '--format',
        'csv',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/notice: No data in the ledger for 2024-01-01T00:00:00\+00:00/);
    // group-by none: every month still appears, with zeros and 0 % coverage.
    expect(result.stdout.trim().split('\n')).toHaveLength(13);
  });
});

describe('report summary', () => {
  it('previews rows, period, totals, coverage and estimation share', async () => {
    const result = await run(
      [
        'report',
        'summary',
        '--ledger',
        tiny,
        '--from',
        '2026-10-01',
        '--to',
        '2026-11-30',
        '--group-by',
        'owner',
        '--out',
        join(dir, 'r-{period}.csv'),
        '-o',
        'json',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      period: {
        from: '2026-10-01T00:00:00+00:00',
        to: '2026-12-01T00:00:00+00:00',
        label: '2026-10-01_2026-11-30',
      },
      granularity: 'monthly',
      group_by: 'owner',
      rows: 6,
      periods: 2,
      groups: 3,
      output: { path: join(dir, 'r-2026-10-01_2026-11-30.csv'), format: 'csv', exists: false },
    });
    expect(data.totals.energy_kwh).toBeCloseTo(0.0805, 14);
    // No row is estimated: without a market factor, market-based uses the grid average (a basis).
    expect(data.data_quality.estimated_share).toBe(0);
    expect(data.data_quality.hours_with_data).toBe(4);
    expect(data.esrs_e1.energy_consumption_mwh).toBeCloseTo(0.0000805, 16);
  });

  it('prints a readable table off a terminal', async () => {
    const result = await run(
      ['report', 'summary', '--ledger', tiny, '--from', '2026-11-01', '--to', '2026-11-30'],
      { dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Report summary\nitem\s+value\n/);
    expect(result.stdout).toMatch(/\nrows\s+1 \(1 monthly periods × 1 group\)\n/);
    expect(result.stdout).toMatch(/\nenergy \(kWh\)\s+0\.0685\n/);
    expect(result.stdout).toMatch(/\nestimated share\s+0%\n/);
  });
});

describe('report flags', () => {
  it('have flag choices that match the core lists (the index keeps literal copies for start-up speed)', () => {
    expect([...REPORT_GRANULARITY_CHOICES]).toEqual([...GRANULARITIES]);
    expect([...REPORT_GROUP_BY_CHOICES]).toEqual([...REPORT_GROUP_BYS]);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/context.js';
import type { HeatmapData } from '../../src/commands/heatmap/heatmap.js';
import type { HistoryData } from '../../src/commands/history/history.js';
import { tinyLedgerRows, writeLedger } from './ledger-readers.js';

let dir: string;
let ledgerPath: string;

beforeAll(() => {
  dir = tempDir();
  ledgerPath = join(dir, 'ledger.db');
  writeLedger(ledgerPath, tinyLedgerRows());
});

afterAll(() => removeDir(dir));

const json = async <T>(command: string, args: string[]): Promise<T> => {
  const result = await run([command, '--ledger', ledgerPath, ...args, '-o', 'json'], { dir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
};

describe('history', () => {
  it('shows a day as 24 hourly busy/idle bars with the SPEC §6 JSON shape', async () => {
    const data = await json<HistoryData>('history', [
      '--view',
      'day',
      '--date',
      '2026-11-02',
      '--data',
      'electricity',
    ]);
    expect(data.view).toBe('day');
    expect(data.data_type).toBe('electricity');
    expect(data.labels).toHaveLength(24);
    expect(data.labels[0]).toBe('00:00');
    expect(data.labels[10]).toBe('10:00');
    // 10:00: alice busy 3600 s × 12 W = 0.012 kWh + pod 1800 × 12 = 0.006 → 0.018 kWh busy;
    // idle 3600 × 1 W + 1800 × 1 W = 0.0015 kWh.
    expect(data.busy[10]).toBeCloseTo(0.018, 12);
    expect(data.idle[10]).toBeCloseTo(0.0015, 12);
    // 11:00: alice only, 0.012 busy + 0.001 idle.
    expect(data.busy[11]).toBeCloseTo(0.012, 12);
    expect(data.idle[11]).toBeCloseTo(0.001, 12);
    expect(data.busy.reduce((a, b) => a + b, 0)).toBeCloseTo(0.03, 12);
  });

  it('splits carbon in busy and idle at each hour’s intensity', async () => {
    const data = await json<HistoryData>('history', ['--date', '2026-11-02']);
    expect(data.view).toBe('day'); // inferred from --date
    expect(data.data_type).toBe('carbon');
    // 10:00 @100 g/kWh: busy 0.018 kWh → 1.8 g, idle 0.0015 → 0.15 g. 11:00 @200: 2.4 g and 0.2 g.
    expect(data.busy[10]).toBeCloseTo(1.8, 10);
    expect(data.idle[10]).toBeCloseTo(0.15, 10);
    expect(data.busy[11]).toBeCloseTo(2.4, 10);
    expect(data.idle[11]).toBeCloseTo(0.2, 10);
  });

  it('shows a month by day and a year by month, bucketed in the reporting zone', async () => {
    const month = await json<HistoryData>('history', ['--month', '2026-11']);
    expect(month.view).toBe('month');
    expect(month.labels).toHaveLength(30);
    expect(month.labels[1]).toBe('2026-11-02');
    // 2 November: alice 3.9 g + pod 0.65 g = 4.55 g; 3 November: bob 3.6 g (all busy).
    expect(month.busy[1]! + month.idle[1]!).toBeCloseTo(4.55, 10);
    expect(month.busy[2]).toBeCloseTo(3.6, 10);
    expect(month.idle[2]).toBe(0);
    const utc = await json<HistoryData>('history', ['--view', 'year', '--year', '2026']);
    expect(utc.labels).toEqual([
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
      '2026-12',
    ]);
    expect(utc.busy[9]! + utc.idle[9]!).toBeCloseTo(1.2, 10); // the 2026-10-31T23Z hour
    expect(utc.busy[10]! + utc.idle[10]!).toBeCloseTo(8.15, 10);
    // Berlin is UTC+1 in November: 2026-10-31T23:00Z is 1 November 00:00 there.
    const berlin = await json<HistoryData>('history', [
      '--view',
      'year',
      '--year',
      '2026',
      '--tz',
      'Europe/Berlin',
    ]);
    expect(berlin.busy[9]! + berlin.idle[9]!).toBe(0);
    expect(berlin.busy[10]! + berlin.idle[10]!).toBeCloseTo(9.35, 10);
  });

  it('labels the repeated hour of a DST change with its offset, 25 bars that day', async () => {
    const result = await run(
      [
        'history',
        '--ledger',
        ledgerPath,
        '--date',
        '2026-10-25',
        '--tz',
        'Europe/London',
        '-o',
        'json',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /notice: No usage in the ledger for 2026-10-25T00:00:00\+01:00 → 2026-10-26T00:00:00\+00:00 \(Europe\/London\)/,
    );
    const data = JSON.parse(result.stdout) as HistoryData;
    expect(data.labels).toHaveLength(25);
    expect(data.busy).toEqual(new Array(25).fill(0));
    expect(data.labels.slice(0, 4)).toEqual(['00:00', '01:00+01:00', '01:00+00:00', '02:00']);
  });

  it('defaults to this month, and refuses a view that contradicts the date flag', async () => {
    const data = await json<HistoryData>('history', []);
    expect(data.view).toBe('month');
    expect(data.period).toEqual({
      from: '2026-11-01T00:00:00+00:00',
      to: '2026-12-01T00:00:00+00:00',
    });
    const wrong = await run(
      ['history', '--ledger', ledgerPath, '--view', 'day', '--month', '2026-11'],
      { dir },
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--view day does not go with --month/);
  });

  it('draws stacked bars without colour off a terminal', async () => {
    const result = await run(['history', '--ledger', ledgerPath, '--month', '2026-11'], { dir });
    expect(result.code).toBe(0);
    expect(result.stdout.includes('\u001b[')).toBe(false);
    expect(result.stdout).toMatch(
      /^Emissions by day, 2026-11-01T00:00:00\+00:00 → 2026-12-01T00:00:00\+00:00 \(UTC\)\n/,
    );
    // The largest day (4.55 g) gets the full 40 cells: 4.2 g busy → round(4.2/4.55×40) = 37 █, then 3 ░.
    expect(result.stdout).toMatch(/\n2026-11-02 █{37}░{3} 4\.55 gCO2e\n/);
    expect(result.stdout).toMatch(/\ntotal\s+8\.15\n/);
  });
});

describe('heatmap', () => {
  it('gives one value per day of the year and the maximum', async () => {
    const data = await json<HeatmapData>('heatmap', ['--year', '2026']);
    expect(data.year).toBe(2026);
    expect(data.days).toHaveLength(365);
    expect(data.days[0]).toEqual({ date: '2026-01-01', value: 0 });
    const day = data.days.find((d) => d.date === '2026-11-02')!;
    expect(day.value).toBeCloseTo(4.55, 10);
    expect(data.max).toBeCloseTo(4.55, 10);
    const electricity = await json<HeatmapData>('heatmap', [
      '--year',
      '2026',
      '--data',
      'electricity',
    ]);
    expect(electricity.max).toBeCloseTo(0.036, 12); // bob's 3 November
  });

  it('draws a calendar with month labels and a legend, starting on the right weekday', async () => {
    const result = await run(['heatmap', '--ledger', ledgerPath, '--year', '2026'], { dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Emissions per day in 2026 (UTC), gCO2e');
    expect(lines[1]).toMatch(/^ {4}Jan {2}Feb/);
    // 1 January 2026 is a Thursday: the first column is blank Monday to Wednesday, a cell from Thursday.
    expect(lines[2]).toMatch(/^Mon {2}·/);
    expect(lines[5]).toMatch(/^ {4}·/);
    // 2 November 2026 is a Monday, week 45 from the first column: the maximum, a full shade.
    expect([...(lines[2] ?? '')][4 + 44]).toBe('█');
    expect(result.stdout).toMatch(/less · ░ ▒ ▓ █ more {3}\(max 4\.55 gCO2e\/day\)/);
  });

  it('rejects a year that is not four digits', async () => {
    const result = await run(['heatmap', '--ledger', ledgerPath, '--year', '26'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--year 26 is not a year/);
  });
});

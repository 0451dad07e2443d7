import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageComparedRow, UsageData } from '../../src/commands/usage/usage.js';
import type { ReportSummaryData } from '../../src/commands/report/summary.js';
import { formatChangePercent } from '../../src/output/format.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { hourRow, tinyLedgerRows, writeLedger } from './ledger-readers.js';

let dir: string;
let ledger: string;

beforeAll(() => {
  dir = tempDir();
  ledger = join(dir, 'ledger.db');
  // The tiny ledger (see ledger-readers.ts) plus carol in November 2025, for year-on-year.
  writeLedger(ledger, [
    ...tinyLedgerRows(),
    hourRow({
      entityId: 'host-c',
      hour: '2025-11-05T12:00:00Z',
      busySeconds: 3600,
      idleSeconds: 0,
      intensity: 250,
      labels: { owner: 'carol', host: 'host-c' },
    }),
  ]);
});

afterAll(() => removeDir(dir));

async function json<T>(args: string[]): Promise<T> {
  const result = await run([...args, '--ledger', ledger, '-o', 'json'], { dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

const NOVEMBER = ['--from', '2026-11-01', '--to', '2026-11-30'];

describe('usage --compare', () => {
  it('adds the previous calendar month per owner, with new groups named as such', async () => {
    const data = await json<UsageData>([
      'usage',
      '--by',
      'owner',
      ...NOVEMBER,
      '--compare',
      'previous',
    ]);
    expect(data.comparison).toMatchObject({
      mode: 'previous',
      period: { from: '2026-10-01T00:00:00+00:00', to: '2026-11-01T00:00:00+00:00' },
      workspace_count: 1,
    });
    // October: host-a (alice) 1 h busy at 100 g/kWh → 0.012 kWh, 1.2 g.
    expect(data.comparison?.total_carbon_gco2eq).toBeCloseTo(1.2, 12);
    // November 8.15 g against 1.2 g: (8.15 − 1.2) / 1.2 = +579.17 %.
    expect(data.comparison?.change_percent).toBeCloseTo(579.1666666667, 8);
    const rows = data.rows as UsageComparedRow[];
    expect(rows.map((row) => [row.owner, row.status])).toEqual([
      ['alice', 'continuing'],
      ['bob', 'new'],
      [null, 'new'],
    ]);
    const [alice, bob] = rows;
    // alice: 3.9 g now, 1.2 g before → +225 %.
    expect(alice?.previous_carbon_gco2eq).toBeCloseTo(1.2, 12);
    expect(alice?.previous_energy_kwh).toBeCloseTo(0.012, 12);
    expect(alice?.previous_cost).toBeCloseTo(0.031611, 12);
    expect(alice?.change_percent).toBeCloseTo(225, 9);
    expect(bob).toMatchObject({ previous_carbon_gco2eq: 0, change_percent: null, status: 'new' });
  });

  it('lists groups that vanished with zeros now and −100 %', async () => {
    const data = await json<UsageData>([
      'usage',
      '--by',
      'owner',
      '--from',
      '2026-12-01',
      '--to',
      '2026-12-31',
      '--compare',
      'previous',
    ]);
    const rows = data.rows as UsageComparedRow[];
    expect(rows.every((row) => row.status === 'vanished')).toBe(true);
    const alice = rows.find((row) => row.owner === 'alice');
    expect(alice).toMatchObject({
      entity_count: 0,
      energy_kwh: 0,
      carbon_gco2eq: 0,
      change_percent: -100,
    });
    expect(alice?.previous_carbon_gco2eq).toBeCloseTo(3.9, 12);
  });

  it('compares with the same month a year earlier', async () => {
    const data = await json<UsageData>([
      'usage',
      '--by',
      'owner',
      ...NOVEMBER,
      '--compare',
      'year',
    ]);
    expect(data.comparison?.period).toEqual({
      from: '2025-11-01T00:00:00+00:00',
      to: '2025-12-01T00:00:00+00:00',
    });
    // carol: 0.012 kWh × 250 g/kWh = 3 g in November 2025, none now.
    const carol = (data.rows as UsageComparedRow[]).find((row) => row.owner === 'carol');
    expect(carol?.status).toBe('vanished');
    expect(carol?.previous_carbon_gco2eq).toBeCloseTo(3, 12);
    expect(data.comparison?.change_percent).toBeCloseTo(((8.15 - 3) / 3) * 100, 8);
  });

  it('shows before and change columns in the table, and keeps the JSON without --compare unchanged', async () => {
    const result = await run(
      ['usage', '--ledger', ledger, '--by', 'owner', ...NOVEMBER, '--compare', 'previous'],
      {
        dir,
      },
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/before \(gCO2e\)\s+change$/);
    expect(lines.find((line) => line.startsWith('alice'))).toMatch(/1\.2\s+\+225%$/);
    expect(lines.find((line) => line.startsWith('bob'))).toMatch(/0\s+new$/);
    expect(lines.find((line) => line.startsWith('total'))).toMatch(/\+579%$/);
    const plain = await json<UsageData>(['usage', '--by', 'owner', ...NOVEMBER]);
    expect(plain.comparison).toBeUndefined();
    expect(Object.keys(plain.rows[0] ?? {})).not.toContain('change_percent');
  });

  it('rejects an unknown comparison', async () => {
    const result = await run(['usage', '--ledger', ledger, '--compare', 'decade'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('decade');
  });
});

describe('report summary --compare', () => {
  it('sets each total beside the previous period with its change, and each group', async () => {
    const data = await json<ReportSummaryData>([
      'report',
      'summary',
      ...NOVEMBER,
      '--group-by',
      'owner',
      '--compare',
      'previous',
    ]);
    const comparison = data.comparison!;
    expect(comparison.period.label).toBe('2026-10');
    // 0.0685 kWh against 0.012 kWh: +470.83 %.
    expect(comparison.totals.energy_kwh.previous).toBeCloseTo(0.012, 12);
    expect(comparison.totals.energy_kwh.change_percent).toBeCloseTo(
      ((0.0685 - 0.012) / 0.012) * 100,
      8,
    );
    expect(comparison.totals.total_kgco2e.current).toBeCloseTo(0.00815, 14);
    expect(comparison.totals.total_kgco2e.previous).toBeCloseTo(0.0012, 14);
    expect(comparison.groups.map((group) => [group.owner, group.status])).toEqual([
      ['alice', 'continuing'],
      ['bob', 'new'],
      [null, 'new'],
    ]);
    expect(comparison.groups[0]?.change_percent).toBeCloseTo(225, 9);
    expect(comparison.groups[0]?.previous_total_kgco2e).toBeCloseTo(0.0012, 14);
  });

  it('names vanished groups a year on', async () => {
    const data = await json<ReportSummaryData>([
      'report',
      'summary',
      ...NOVEMBER,
      '--group-by',
      'owner',
      '--compare',
      'year',
    ]);
    const carol = data.comparison?.groups.find((group) => group.owner === 'carol');
    expect(carol).toMatchObject({ total_kgco2e: 0, change_percent: -100, status: 'vanished' });
    expect(carol?.previous_total_kgco2e).toBeCloseTo(0.003, 14);
  });
});

describe('formatChangePercent', () => {
  it('signs and rounds a change, and says new when there was nothing before', () => {
    expect(formatChangePercent(12.345)).toBe('+12.3%');
    expect(formatChangePercent(-4.5)).toBe('−4.5%');
    expect(formatChangePercent(0.0001)).toBe('+0.0001%');
    expect(formatChangePercent(0)).toBe('0%');
    expect(formatChangePercent(null)).toBe('new');
  });
});

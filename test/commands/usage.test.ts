import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/context.js';
import type { UsageData } from '../../src/commands/usage/usage.js';
import { hourRow, tinyLedgerRows, writeLedger } from './ledger-readers.js';

let dir: string;
let ledgerPath: string;

beforeAll(() => {
  dir = tempDir();
  ledgerPath = join(dir, 'ledger.db');
  writeLedger(ledgerPath, tinyLedgerRows());
});

afterAll(() => removeDir(dir));

const usage = async (args: string[]): Promise<UsageData> => {
  const result = await run(['usage', '--ledger', ledgerPath, ...args, '-o', 'json'], { dir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as UsageData;
};

describe('usage', () => {
  it('sums this month per owner by default, sorted by carbon, with the SPEC §6 JSON shape', async () => {
    const data = await usage([]);
    expect(data.by).toBe('owner');
    expect(data.period).toEqual({
      from: '2026-11-01T00:00:00+00:00',
      to: '2026-11-21T12:00:00+00:00',
    });
    // The October hour of host-a is outside this month: 3 entities, not counting it twice.
    expect(data.workspace_count).toBe(3);
    // busy 3600+3600 (alice) + 10800 (bob) + 1800 (pod) = 19800 s; idle 7200 + 0 + 1800 = 9000 s.
    expect(data.total_cpu_seconds).toEqual({
      busy_seconds: 19800,
      idle_seconds: 9000,
      total_seconds: 28800,
    });
    // 0.026 + 0.036 + 0.0065 kWh; 3.9 + 3.6 + 0.65 g.
    expect(data.total_energy_kwh).toBeCloseTo(0.0685, 12);
    expect(data.total_carbon_gco2eq).toBeCloseTo(8.15, 10);
    expect(Object.keys(data.carbon_equivalencies.top_equivalencies)).toHaveLength(3);
    expect(data.carbon_equivalencies.total_gco2eq).toBe(data.total_carbon_gco2eq);
    expect(data.rows.map((row) => row.owner)).toEqual(['alice', 'bob', null]);
    const alice = data.rows[0]!;
    expect(Object.keys(alice)).toEqual([
      'owner',
      'entity_count',
      'cpu_busy_core_hours',
      'cpu_idle_core_hours',
      'energy_kwh',
      'carbon_gco2eq',
      'cost',
    ]);
    expect(alice.entity_count).toBe(1);
    expect(alice.cpu_busy_core_hours).toBe(2);
    expect(alice.cpu_idle_core_hours).toBe(2);
    expect(alice.energy_kwh).toBeCloseTo(0.026, 12); // 2 × (3600×12 + 3600×1)/3.6e6
    expect(alice.carbon_gco2eq).toBeCloseTo(3.9, 10); // 0.013×100 + 0.013×200
    expect(alice.cost).toBeCloseTo(4 * 0.031611, 12); // 4 core-hours
  });

  it('orders by energy or cost when asked', async () => {
    // energy: bob 0.036 > alice 0.026 > pod 0.0065; cost: alice 0.126444 > bob 0.094833 > pod 0.031611.
    expect((await usage(['--sort', 'energy'])).rows.map((row) => row.owner)).toEqual([
      'bob',
      'alice',
      null,
    ]);
    expect((await usage(['--sort', 'cost'])).rows.map((row) => row.owner)).toEqual([
      'alice',
      'bob',
      null,
    ]);
  });

  it('keeps the totals of every row when --top cuts the list', async () => {
    const data = await usage(['--top', '1']);
    expect(data.rows).toHaveLength(1);
    expect(data.group_count).toBe(3);
    expect(data.total_carbon_gco2eq).toBeCloseTo(8.15, 10);
  });

  it('groups Ada-style by {project}_{machine}, and by workload with its kind', async () => {
    const groups = await usage(['--by', 'group']);
    expect(groups.rows.map((row) => row.group)).toEqual(['astro_small', 'astro_large', null]);
    const workloads = await usage(['--by', 'workload', '--cluster', 'k8s']);
    expect(workloads.rows).toEqual([
      {
        workload: 'shop/web',
        workload_kind: 'Deployment',
        entity_count: 1,
        cpu_busy_core_hours: 0.5,
        cpu_idle_core_hours: 0.5,
        energy_kwh: expect.closeTo(0.0065, 12) as number,
        carbon_gco2eq: expect.closeTo(0.65, 10) as number,
        cost: expect.closeTo(0.031611, 12) as number,
      },
    ]);
  });

  it('defaults to namespaces when the selection only has Kubernetes data', async () => {
    const data = await usage(['--cluster', 'k8s']);
    expect(data.by).toBe('namespace');
    expect(data.rows.map((row) => row.namespace)).toEqual(['shop']);
  });

  it('filters by owner and by period flags in the reporting zone', async () => {
    const bob = await usage(['--owner', 'bob']);
    expect(bob.rows).toHaveLength(1);
    expect(bob.total_energy_kwh).toBeCloseTo(0.036, 12);
    // In Berlin (UTC+1), 2026-10-31T23:00Z is already 1 November: the October hour joins November.
    const berlin = await usage(['--tz', 'Europe/Berlin', '--owner', 'alice']);
    expect(berlin.total_energy_kwh).toBeCloseTo(0.026 + 0.012, 12);
    const october = await usage(['--from', '2026-10-01', '--to', '2026-10-31']);
    expect(october.total_energy_kwh).toBeCloseTo(0.012, 12);
  });

  it('says "no data" on stderr and exits 0 for an empty window', async () => {
    const result = await run(['usage', '--ledger', ledgerPath, '--years', '2024', '-o', 'json'], {
      dir,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/notice: No usage in the ledger for 2024-01-01T00:00:00\+00:00/);
    const data = JSON.parse(result.stdout);
    expect(data.rows).toEqual([]);
    expect(data.workspace_count).toBe(0);
    expect(data.total_carbon_gco2eq).toBe(0);
  });

  it('prints a plain table with totals when stdout is not a terminal', async () => {
    const result = await run(['usage', '--ledger', ledgerPath], { dir });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/│|┌/);
    expect(result.stdout.includes('\u001b[')).toBe(false);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(
      'Usage by owner, 2026-11-01T00:00:00+00:00 → 2026-11-21T12:00:00+00:00 (UTC)',
    );
    expect(lines[1]).toMatch(
      /^owner\s+entities\s+busy CPU \(core-h\)\s+idle CPU \(core-h\)\s+energy \(kWh\)\s+carbon \(gCO2e\)\s+cost \(USD\)$/,
    );
    expect(lines[2]).toMatch(/^alice\s+1\s+2\s+2\s+0\.026\s+3\.9\s+0\.126$/);
    expect(result.stdout).toMatch(/\n\(none\)\s+1\s+0\.5\s+0\.5\s+0\.0065\s+0\.65\s+0\.0316\n/);
    expect(result.stdout).toMatch(/\ntotal\s+3\s+5\.5\s+2\.5\s+0\.0685\s+8\.15\s+0\.253\n/);
    expect(result.stdout).toMatch(/That is about:\n {2}≈ /);
  });

  it('writes CSV with full precision and neutralises formula-like labels', async () => {
    const hostile = join(dir, 'hostile.db');
    writeLedger(hostile, [
      hourRow({
        entityId: 'h',
        hour: '2026-11-05T00:00:00Z',
        busySeconds: 3600,
        idleSeconds: 0,
        intensity: 100,
        labels: { owner: '=HYPERLINK("http://x","y")' },
      }),
    ]);
    const result = await run(['usage', '--ledger', hostile, '-o', 'csv'], { dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'owner,entity_count,cpu_busy_core_hours,cpu_idle_core_hours,energy_kwh,carbon_gco2eq,cost,currency\n' +
        `"'=HYPERLINK(""http://x"",""y"")",1,1,0,0.012,1.2,0.031611,USD\n`,
    );
  });

  it('fails with exit 3 and points at `carbonctl track` when the ledger does not exist', async () => {
    const result = await run(['usage', '--ledger', join(dir, 'missing.db')], { dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/does not exist yet/);
    expect(result.stderr).toMatch(/carbonctl track/);
  });

  it('rejects a bad period flag with exit 2 naming the flag', async () => {
    const result = await run(['usage', '--ledger', ledgerPath, '--from', '2026-13-01'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from 2026-13-01 is not a date/);
  });
});

describe('usage complete_count (Ada)', () => {
  it('counts the entities none of whose hours is estimated', async () => {
    const own = tempDir();
    const path = join(own, 'ledger.db');
    const labels = { owner: 'alice', project: 'astro', machine: 'small' };
    writeLedger(path, [
      hourRow({
        entityId: 'host-a',
        hour: '2026-11-02T10:00:00Z',
        busySeconds: 3600,
        idleSeconds: 0,
        intensity: 100,
        labels: { ...labels, host: 'host-a' },
      }),
      hourRow({
        entityId: 'host-b',
        hour: '2026-11-02T10:00:00Z',
        busySeconds: 3600,
        idleSeconds: 0,
        intensity: 100,
        labels: { ...labels, host: 'host-b' },
      }),
      // host-b's second hour was priced at a forecast intensity: estimated.
      hourRow({
        entityId: 'host-b',
        hour: '2026-11-02T11:00:00Z',
        busySeconds: 3600,
        idleSeconds: 0,
        intensity: 100,
        kind: 'forecast',
        labels: { ...labels, host: 'host-b' },
      }),
    ]);
    try {
      const result = await run(['usage', '--ledger', path, '-o', 'json'], { dir: own });
      const data = JSON.parse(result.stdout) as UsageData;
      expect(data.workspace_count).toBe(2);
      expect(data.complete_count).toBe(1);
    } finally {
      removeDir(own);
    }
  });
});

describe('usage --shape ada', () => {
  it('gives Ada’s per-workspace rows with the busy/idle split recomputed per hour', async () => {
    const result = await run(
      [
        'usage',
        '--ledger',
        ledgerPath,
        '--by',
        'host',
        '--owner',
        'alice',
        '--shape',
        'ada',
        '-o',
        'json',
      ],
      { dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout) as { rows: Array<Record<string, unknown>> };
    // host-a: two hours of 3600 busy + 3600 idle s at 100 and 200 g/kWh. Busy 3600 × 12 W / 3.6e6
    // = 0.012 kWh per hour, idle 0.001: 0.024 + 0.002 = 0.026 kWh; busy 0.012 × (100 + 200) = 3.6 g,
    // idle 0.001 × 300 = 0.3 g.
    expect(data.rows).toHaveLength(1);
    const row = data.rows[0] as {
      energy_kwh: { busy: number; idle: number; total: number };
      carbon_gco2eq: { busy: number; idle: number; total: number };
    };
    expect(data.rows[0]).toMatchObject({
      workspace_id: 'host-a',
      hostname: 'host-a',
      owner: 'alice',
      cpu_usage: { busy_seconds: 7200, idle_seconds: 7200, total_seconds: 14400 },
      status: 'tracked',
    });
    expect(row.energy_kwh.busy).toBeCloseTo(0.024, 12);
    expect(row.energy_kwh.idle).toBeCloseTo(0.002, 12);
    expect(row.energy_kwh.total).toBeCloseTo(0.026, 12);
    expect(row.carbon_gco2eq.busy).toBeCloseTo(3.6, 10);
    expect(row.carbon_gco2eq.idle).toBeCloseTo(0.3, 10);
    expect(row.carbon_gco2eq.total).toBeCloseTo(3.9, 10);
  });

  it('needs --by host', async () => {
    const result = await run(['usage', '--ledger', ledgerPath, '--shape', 'ada', '-o', 'json'], {
      dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--shape ada is the per-workspace shape: it needs --by host');
  });
});

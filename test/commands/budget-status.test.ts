import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger } from '../../src/store/ledger.js';
import { run, tempDir } from '../helpers/context.js';
import { fixtureRow } from '../helpers/ledger-fixture.js';

// Until the lead adds `budget` and `clusters` to src/commands/registry.ts, register them for
// these tests; once registered this adds nothing.

const NOW = new Date('2026-11-11T00:00:00Z');

/**
 * A tiny ledger: pods of namespaces team-a and team-b. Every row is 1 busy core-hour
 * (3600 s × 12 W = 0.012 kWh) at 200 g/kWh = 2.4 g, cost 1 × 0.031611 + 4 GiB-h × 0.004237 = 0.048559.
 * team-a: 2026-11-01T00 and 2026-11-05T00 (4.8 g), plus 2026-10-31T23 (October: not counted).
 * team-b: 2026-11-02T00 (2.4 g).
 */
function makeLedger(dir: string, trackedUntil: Date): string {
  const path = join(dir, 'ledger.db');
  const ledger = openLedger(path, { clock: () => NOW });
  const row = (index: number, namespace: string, hour: string) =>
    fixtureRow('default', 'pods', index, new Date(hour), 3600, 0, 200, {
      namespace,
      pod: `${namespace}-pod`,
      workload: 'app',
      workloadKind: 'Deployment',
    });
  ledger.commitChunk(
    'default',
    'pods',
    [
      row(0, 'team-a', '2026-10-31T23:00:00Z'),
      row(0, 'team-a', '2026-11-01T00:00:00Z'),
      row(0, 'team-a', '2026-11-05T00:00:00Z'),
      row(1, 'team-b', '2026-11-02T00:00:00Z'),
    ],
    trackedUntil,
  );
  ledger.close();
  return path;
}

function writeConfig(dir: string, budgets: unknown[]): void {
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ budgets }));
}

const BUDGETS = [
  { name: 'team-a', scope: { namespace: 'team-a' }, max_co2e_g: 10 },
  { name: 'team-b', scope: { namespace: 'team-b' }, max_co2e_g: 1 },
  { name: 'everyone', max_energy_kwh: 1, max_cost: 100 },
];

describe('budget status', () => {
  it('shows month-to-date use, the month-end projection and which budgets will be exceeded', async () => {
    const dir = tempDir();
    const ledger = makeLedger(dir, NOW);
    writeConfig(dir, BUDGETS);
    const result = await run(['budget', 'status', '--ledger', ledger, '-o', 'json'], {
      now: NOW,
      dir,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      month: '2026-11',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
    });
    const [a, b, all] = data.budgets;
    // team-a: 4.8 g in 10 of 30 days → 14.4 g projected > 10 g: will exceed.
    expect(a.used.co2e_g).toBeCloseTo(4.8, 10);
    expect(a.projected.co2e_g).toBeCloseTo(14.4, 10);
    expect(a.metrics).toEqual([
      expect.objectContaining({ metric: 'co2e', limit: 10, status: 'at_risk' }),
    ]);
    expect(a.metrics[0].percent_used).toBeCloseTo(48, 10);
    expect(a.metrics[0].projected_percent).toBeCloseTo(144, 10);
    expect(a.status).toBe('at_risk');
    expect(a.data_until).toBe('2026-11-11T00:00:00.000Z');
    // team-b: 2.4 g > 1 g already.
    expect(b.status).toBe('exceeded');
    // everyone: 3 rows × 0.012 = 0.036 kWh → 0.108 kWh projected; cost 3 × 0.048559 = 0.145677.
    expect(all.used.energy_kwh).toBeCloseTo(0.036, 12);
    expect(all.projected.energy_kwh).toBeCloseTo(0.108, 12);
    expect(all.used.cost).toBeCloseTo(0.145677, 9);
    expect(all.status).toBe('ok');
    expect(data.exceeded).toEqual(['team-b']);
    expect(data.will_exceed).toEqual(['team-a']);
  });

  it('extrapolates from the end of the tracked data, not from now, and warns that it lags', async () => {
    const dir = tempDir();
    const ledger = makeLedger(dir, new Date('2026-11-06T00:00:00Z'));
    writeConfig(dir, BUDGETS);
    const result = await run(
      ['budget', 'status', '--budget', 'team-a', '--ledger', ledger, '-o', 'json'],
      { now: NOW, dir },
    );
    expect(result.code).toBe(0);
    const [a] = JSON.parse(result.stdout).budgets;
    // 4.8 g in the 5 tracked days → 4.8 × 30 / 5 = 28.8 g.
    expect(a.projected.co2e_g).toBeCloseTo(28.8, 10);
    expect(a.data_until).toBe('2026-11-06T00:00:00.000Z');
    expect(result.stderr).toContain('more than a day ago: run `carbonctl track`');
  });

  it('prints a table for people and a CSV with one row per budget and measure', async () => {
    const dir = tempDir();
    const ledger = makeLedger(dir, NOW);
    writeConfig(dir, BUDGETS);
    const table = await run(['budget', 'status', '--ledger', ledger], { now: NOW, dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Budgets for 2026-11 (UTC), month to date:');
    expect(table.stdout).toMatch(
      /team-a\s+namespace=team-a\s+CO2e \(g\)\s+4\.8\s+10\s+48%\s+14\.4\s+144%\s+will exceed/,
    );
    expect(table.stdout).toContain('Exceeded: team-b');
    expect(table.stdout).toContain('Will exceed by month end at the current rate: team-a');
    const csv = await run(['budget', 'status', '--ledger', ledger, '-o', 'csv'], { now: NOW, dir });
    const lines = csv.stdout.trim().split('\n');
    // Header + team-a co2e + team-b co2e + everyone energy and cost.
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^team-a,namespace=team-a,CO2e \(g\),4\.8/);
  });

  it('is a usage error for an unknown budget and a notice when none are configured', async () => {
    const dir = tempDir();
    const ledger = makeLedger(dir, NOW);
    writeConfig(dir, BUDGETS);
    const unknown = await run(['budget', 'status', '--budget', 'nope', '--ledger', ledger], {
      now: NOW,
      dir,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Configured budgets: team-a, team-b, everyone.');
    const empty = tempDir();
    const none = await run(['budget', 'status', '-o', 'json'], { now: NOW, dir: empty });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).budgets).toEqual([]);
    expect(none.stderr).toContain('no budgets are configured');
  });

  it('is a data source error (exit 3) when the ledger does not exist', async () => {
    const dir = tempDir();
    writeConfig(dir, BUDGETS);
    const result = await run(['budget', 'status', '--ledger', join(dir, 'missing.db')], {
      now: NOW,
      dir,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('does not exist yet');
  });
});

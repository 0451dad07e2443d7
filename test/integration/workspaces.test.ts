/**
 * Workspaces and their inventory against a real Prometheus: an inventory CSV fills a missing
 * owner, loses to a label it disagrees with (and `doctor` warns), adds tags, and bounds a
 * workspace's life; `track` books that, and `usage --by tag`, `workspaces` and `doctor` read it.
 *
 * Four node_exporter hosts (job="node"), 1 CPU each, 30 s user + 30 s idle per minute, from
 * 2025-03-03 00:00 to 06:00 UTC (after 15 minutes of pre-roll): 1800 busy + 1800 idle core-s per
 * hour = (1800 × 12 + 1800 × 1) / 3.6e6 = 0.0065 kWh per host-hour.
 * - ws-1: owner alice in its labels, bob in the inventory (labels win), tag teaching
 * - ws-2: no owner label; the inventory says carol; tag research
 * - ws-3: owner dave; created 03:00 in the inventory (an older workspace had the name): 3 hours
 * - ws-4: not in the inventory (owner erin, no tag)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { centi, labelText } from '../helpers/prom-fixtures.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';
import type { UsageData } from '../../src/commands/usage/usage.js';
import type { WorkspaceRecord } from '../../src/commands/workspaces/collect.js';

const binaries = prometheusBinaries();
const FROM = new Date('2025-03-03T00:00:00Z');
const TO = new Date('2025-03-03T06:00:00Z');
const HOST_HOUR_KWH = (1800 * 12 + 1800) / 3.6e6;

function fixture(): string {
  const hosts: Array<Record<string, string>> = [
    { instance: 'ws-1', owner: 'alice', cloud_project_name: 'astro', machine_name: 'small' },
    { instance: 'ws-2', cloud_project_name: 'astro', machine_name: 'large' },
    { instance: 'ws-3', owner: 'dave', cloud_project_name: 'geo', machine_name: 'small' },
    { instance: 'ws-4', owner: 'erin', cloud_project_name: 'geo', machine_name: 'small' },
  ];
  const lines = ['# HELP node_cpu_seconds node_cpu_seconds', '# TYPE node_cpu_seconds counter'];
  const first = FROM.getTime() / 1000 - 900;
  const last = TO.getTime() / 1000;
  for (const host of hosts) {
    for (const mode of ['user', 'idle']) {
      const series = `node_cpu_seconds_total{${labelText({ ...host, cpu: '0', job: 'node', mode })}}`;
      let counter = 1_000_000;
      for (let time = first; time <= last; time += 60) {
        counter += 3000;
        lines.push(`${series} ${centi(counter)} ${time}`);
      }
    }
  }
  return lines.join('\n') + '\n# EOF\n';
}

describe.skipIf(binaries === null)('workspaces and their inventory', () => {
  let prometheus: TestPrometheus;
  let dir: string;
  const now = new Date('2025-03-03T06:30:00Z');

  beforeAll(async () => {
    prometheus = await startPrometheus({ openMetricsText: fixture() });
    dir = tempDir('carbonctl-workspaces-');
    mkdirSync(join(dir, 'config'), { recursive: true });
    const inventory = join(dir, 'inventory.csv');
    writeFileSync(
      inventory,
      [
        'host,owner,project,machine,tag,created,deleted',
        'ws-1,bob,astro,small,teaching,2025-01-01,',
        'ws-2,carol,,,research,,',
        'ws-3,,,,teaching,2025-03-03T03:00:00Z,',
      ].join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        intensity: { provider: 'fixed', fixed: 100 },
        clusters: [
          {
            name: 'lab',
            source: 'nodes',
            prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 },
            workspaces: { selector: 'job="node"', inventory },
          },
        ],
      }),
    );
    const tracked = await run(['track', '--from', FROM.toISOString(), '--to', TO.toISOString()], {
      dir,
      now,
    });
    expect(tracked.code, tracked.stderr).toBe(0);
  });
  afterAll(async () => {
    await prometheus?.close();
    if (dir !== undefined) removeDir(dir);
  });

  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run([...args, '-o', 'json'], { dir, now });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  it('fills a missing owner from the inventory, keeps a label that disagrees, bounds a life', async () => {
    const data = await json<UsageData>(['usage', '--by', 'owner', '--from', '2025-03-03']);
    const byOwner = Object.fromEntries(data.rows.map((row) => [row.owner, row]));
    expect(Object.keys(byOwner).sort()).toEqual(['alice', 'carol', 'dave', 'erin']);
    // ws-2 had no owner label: carol from the inventory. ws-1 stays alice (labels win).
    expect(byOwner.carol?.cpu_busy_core_hours).toBeCloseTo(3, 9);
    expect(byOwner.alice?.cpu_busy_core_hours).toBeCloseTo(3, 9);
    // ws-3 exists from 03:00: 3 hours booked, not 6.
    expect(byOwner.dave?.cpu_busy_core_hours).toBeCloseTo(1.5, 9);
    expect(byOwner.dave?.energy_kwh).toBeCloseTo(3 * HOST_HOUR_KWH, 12);
    expect(data.total_energy_kwh).toBeCloseTo(21 * HOST_HOUR_KWH, 12);
  });

  it('sums usage per inventory tag', async () => {
    const data = await json<UsageData>(['usage', '--by', 'tag', '--from', '2025-03-03']);
    const byTag = new Map(data.rows.map((row) => [row.tag, row]));
    // teaching: ws-1 (6 h) + ws-3 (3 h); research: ws-2 (6 h); no tag: ws-4 (6 h).
    expect(byTag.get('teaching')).toMatchObject({ entity_count: 2 });
    expect(byTag.get('teaching')?.energy_kwh).toBeCloseTo(9 * HOST_HOUR_KWH, 12);
    expect(byTag.get('research')?.energy_kwh).toBeCloseTo(6 * HOST_HOUR_KWH, 12);
    expect(byTag.get(null)?.entity_count).toBe(1);
    // Largest first; research and the untagged ws-4 tie, ordered by name (no tag first).
    expect(data.rows.map((row) => row.tag)).toEqual(['teaching', null, 'research']);
  });

  it('lists the workspaces with owner, tag, state, samples and this month’s use', async () => {
    const { data } = await json<{ data: WorkspaceRecord[] }>(['workspaces']);
    expect(data.map((w) => [w.host, w.owner, w.project, w.tag, w.state])).toEqual([
      ['ws-1', 'alice', 'astro', 'teaching', 'active'],
      ['ws-2', 'carol', 'astro', 'research', 'active'],
      ['ws-3', 'dave', 'geo', 'teaching', 'active'],
      ['ws-4', 'erin', 'geo', null, 'active'],
    ]);
    const ws3 = data.find((w) => w.host === 'ws-3')!;
    expect(ws3).toMatchObject({
      first_sample: '2025-03-03T03:00:00.000Z',
      last_sample: '2025-03-03T06:00:00.000Z',
      created: '2025-03-03T03:00:00.000Z',
      deleted: null,
    });
    expect(ws3.month_energy_kwh).toBeCloseTo(3 * HOST_HOUR_KWH, 12);
    expect(ws3.month_carbon_gco2eq).toBeCloseTo(3 * HOST_HOUR_KWH * 100, 10);
    const teaching = await json<{ data: WorkspaceRecord[] }>(['workspaces', '--tag', 'teaching']);
    expect(teaching.data.map((w) => w.host)).toEqual(['ws-1', 'ws-3']);
    const shown = await json<{ data: WorkspaceRecord }>(['workspaces', 'show', 'ws-2']);
    expect(shown.data.owner).toBe('carol');
    const unknown = await run(['workspaces', 'show', 'ws-9'], { dir, now });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('workspace ws-9 is not in the ledger');
  });

  it('lists the groups with their workspace counts, those unused in the period included', async () => {
    const all = await json<{ groups: Array<Record<string, unknown>> }>([
      'workspaces',
      'groups',
      '--from',
      '2025-03-03',
    ]);
    // astro_small: ws-1; astro_large: ws-2; geo_small: ws-3 and ws-4.
    expect(all.groups.map((g) => [g.group, g.workspace_count, g.active_count])).toEqual([
      ['astro_large', 1, 1],
      ['astro_small', 1, 1],
      ['geo_small', 2, 2],
    ]);
    expect(all.groups[2]?.energy_kwh).toBeCloseTo(9 * HOST_HOUR_KWH, 12);
    // A later period without use: the groups are still listed, with zeros.
    const later = await run(
      ['workspaces', 'groups', '--from', '2025-03-03T06:00:00Z', '-o', 'json'],
      {
        dir,
        now,
      },
    );
    const { groups } = JSON.parse(later.stdout) as { groups: Array<Record<string, unknown>> };
    expect(groups.map((g) => [g.group, g.workspace_count, g.active_count, g.energy_kwh])).toEqual([
      ['astro_large', 1, 0, 0],
      ['astro_small', 1, 0, 0],
      ['geo_small', 2, 0, 0],
    ]);
  });

  it('calls a workspace gone two days after its last sample', async () => {
    const later = new Date('2025-03-06T00:00:00Z');
    const result = await run(['workspaces', '-o', 'json'], { dir, now: later });
    const { data } = JSON.parse(result.stdout) as { data: WorkspaceRecord[] };
    expect(data.every((w) => w.state === 'gone')).toBe(true);
  });

  it('has doctor warn about the label the inventory disagrees with', async () => {
    const result = await run(['doctor', '-o', 'json'], { dir, now });
    const { checks } = JSON.parse(result.stdout) as {
      checks: Array<{ check: string; status: string; detail: string }>;
    };
    const inventory = checks.find((c) => c.check.trim() === 'workspaces.inventory')!;
    expect(inventory.status).toBe('warn');
    expect(inventory.detail).toContain('1 disagreement(s)');
    expect(inventory.detail).toContain('ws-1 owner: labels say alice, inventory bob');
  });
});

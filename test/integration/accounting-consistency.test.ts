/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- JSON documents and SQL rows read back from the CLI and the ledger */
/**
 * One number, one way (issue #9): two clusters on ONE real Prometheus (Debian's, backfilled with
 * promtool), one accounted as workspaces with its own idle modes and prices in EUR, one as pods in
 * USD, priced with a loopback GB Carbon Intensity API. For the same cluster and window, `track` →
 * `usage`, `budget check`, `clusters` (run rate of the last hour) and the recommendation engine's
 * baseline print the same kWh and gCO2e to 1e-9 relative; a named budget's scope filters a cluster
 * but never changes how it is accounted; money is never added across currencies; `source: auto`
 * is decided from the window metered and kept.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFootprint, DEFAULT_METHODOLOGY_FACTORS } from '../../src/core/methodology.js';
import { openLedger } from '../../src/store/ledger.js';
import { run, tempDir } from '../helpers/context.js';
import { hourIntensity, startIntensityServer } from '../helpers/intensity-server.js';
import type { LoopbackServer } from '../helpers/loopback-server.js';
import { writePromFixtureFiles, type PromFixture } from '../helpers/prom-fixtures.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';

const binaries = prometheusBinaries();
const HOUR_MS = 3_600_000;

/** |actual − wanted| ≤ 1e-9 × |wanted| (plus a floor for zeros). */
function same(actual: number, wanted: number, what: string): void {
  expect(Math.abs(actual - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThanOrEqual(
    Math.abs(wanted) * 1e-9 + 1e-15,
  );
}

describe.skipIf(binaries === null)('one accounting pipeline across commands', () => {
  let prometheus: TestPrometheus;
  let uk: LoopbackServer;
  let fixture: PromFixture;
  let dir: string;
  let project: string;
  let now: Date;
  let window: string[];

  const carbonctl = (args: string[], at: Date = now) =>
    run(args, { now: at, dir, env: { CARBONCTL_INTENSITY_URL: uk.url } });
  const json = async (args: string[], at?: Date) => {
    const result = await carbonctl([...args, '-o', 'json'], at);
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as Record<string, unknown> & { [key: string]: any };
  };

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'carbonctl-consistency-'));
    // The truth counts only mode "idle" as idle, like the ws cluster's power.idleModes below.
    const generated = writePromFixtureFiles(join(dataDir, 'fixture.om'), { idleModes: ['idle'] });
    fixture = generated.fixture;
    prometheus = await startPrometheus({ openMetricsFiles: generated.files });
    uk = await startIntensityServer();
    project = fixture.truth.find((row) => row.source === 'nodes')!.labels.project!;
    // A minute after the data ends: the last hour is complete and the clusters are not stale.
    now = new Date(fixture.end.getTime() + 60_000);
    window = ['--from', fixture.start.toISOString(), '--to', fixture.end.toISOString()];
    dir = tempDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        clusters: [
          {
            name: 'ws',
            source: 'nodes',
            prometheus: { url: prometheus.url },
            workspaces: { selector: 'job="node"' },
            power: { idleModes: ['idle'] },
            cost: { currency: 'EUR', perCoreHour: 0.05 },
            pue: 1.25,
          },
          { name: 'k8s', source: 'pods', prometheus: { url: prometheus.url } },
        ],
        budgets: [{ name: 'proj', scope: { project }, max_co2e_g: 1e9 }],
      }),
    );
    const tracked = await carbonctl(['track', ...window, '-o', 'json']);
    expect(tracked.code, tracked.stderr).toBe(0);
  });
  afterAll(async () => {
    await uk?.close();
    await prometheus?.close();
  });

  /** `usage --by cluster` over a range, keyed by cluster. */
  async function usageByCluster(from: Date, to: Date) {
    const data = await json([
      'usage',
      '--by',
      'cluster',
      '--from',
      from.toISOString(),
      '--to',
      to.toISOString(),
    ]);
    return new Map(
      (
        data.rows as Array<{
          cluster: string;
          energy_kwh: number;
          carbon_gco2eq: number;
          cost: number;
        }>
      ).map((row) => [row.cluster, row]),
    );
  }

  it('honours the ws cluster idle modes and PUE in track: the truth with iowait busy, × 1.25', async () => {
    const rows = fixture.truth.filter((row) => row.source === 'nodes');
    let energy = 0;
    let grams = 0;
    for (const row of rows) {
      const footprint = computeFootprint(
        { busySeconds: row.busySeconds, idleSeconds: row.idleSeconds, memoryGiBHours: 0 },
        hourIntensity(row.hourStart),
        { ...DEFAULT_METHODOLOGY_FACTORS, pue: 1.25 },
      );
      energy += footprint.energy.totalKwh;
      grams += footprint.scope2LocationGrams;
    }
    const usage = await usageByCluster(fixture.start, fixture.end);
    // The fixture's own generator truth: only floating-point summation order differs.
    expect(Math.abs(usage.get('ws')!.energy_kwh - energy)).toBeLessThanOrEqual(energy * 1e-6);
    expect(Math.abs(usage.get('ws')!.carbon_gco2eq - grams)).toBeLessThanOrEqual(grams * 1e-6);
  });

  it('track, usage, budget check and the recommendation baseline agree per cluster', async () => {
    const usage = await usageByCluster(fixture.start, fixture.end);
    const generated = await json(['recommendations', 'generate', ...window], now);
    const baselines = new Map(
      (
        generated.baselines as Array<{
          cluster: string;
          energy_kwh: number;
          co2e_g: number;
          cost: number;
          currency: string;
          status: string;
        }>
      ).map((b) => [b.cluster, b]),
    );
    for (const cluster of ['ws', 'k8s']) {
      const fromLedger = usage.get(cluster)!;
      expect(fromLedger.energy_kwh).toBeGreaterThan(0);
      const budget = await json([
        'budget',
        'check',
        '--cluster',
        cluster,
        ...window,
        '--max-co2e',
        '1t',
      ]);
      same(budget.measured.energy_kwh, fromLedger.energy_kwh, `${cluster} budget kWh`);
      // No embodied factor: CO2e (Scope 2 location + Scope 3) = Scope 2 location.
      same(budget.measured.co2e_g, fromLedger.carbon_gco2eq, `${cluster} budget gCO2e`);
      same(budget.measured.cost, fromLedger.cost, `${cluster} budget cost`);
      const baseline = baselines.get(cluster)!;
      expect(baseline.status).toBe('ok');
      same(baseline.energy_kwh, fromLedger.energy_kwh, `${cluster} baseline kWh`);
      same(baseline.co2e_g, fromLedger.carbon_gco2eq, `${cluster} baseline gCO2e`);
      same(baseline.cost, fromLedger.cost, `${cluster} baseline cost`);
    }
    expect(baselines.get('ws')!.currency).toBe('EUR');
    expect(baselines.get('k8s')!.currency).toBe('USD');
  });

  it('the clusters run rate is the last complete hour as the ledger has it (× 730 a month)', async () => {
    const lastHour = new Date(fixture.end.getTime() - HOUR_MS);
    const usage = await usageByCluster(lastHour, fixture.end);
    const listed = await json(['clusters']);
    for (const cluster of listed.data as Array<any>) {
      const fromLedger = usage.get(cluster.id)!;
      expect(cluster.carbon.run_rate_window).toEqual({
        from: lastHour.toISOString(),
        to: fixture.end.toISOString(),
      });
      same(cluster.carbon.hourly_energy_kwh, fromLedger.energy_kwh, `${cluster.id} kWh/h`);
      same(cluster.carbon.hourly_co2e_g, fromLedger.carbon_gco2eq, `${cluster.id} gCO2e/h`);
      same(
        cluster.carbon.monthly_co2e_kg,
        (fromLedger.carbon_gco2eq * 730) / 1000,
        `${cluster.id} kg/month`,
      );
      same(cluster.cost.hourly, fromLedger.cost, `${cluster.id} cost/h`);
    }
    expect(
      (listed.data as Array<any>).map((c) => [c.id, c.metadata.source, c.cost.currency]),
    ).toEqual([
      ['ws', 'nodes', 'EUR'],
      ['k8s', 'pods', 'USD'],
    ]);
  });

  it('a named budget scope filters the clusters it applies to; it never re-reads a pods cluster as workspaces', async () => {
    const checked = await json(['budget', 'check', '--budget', 'proj', ...window]);
    const byProject = await json(['usage', '--by', 'project', '--project', project, ...window]);
    const row = (byProject.rows as Array<{ energy_kwh: number; carbon_gco2eq: number }>)[0]!;
    // Before issue #9 the k8s cluster was re-read as node_exporter too: the whole double again.
    same(checked.measured.co2e_g, row.carbon_gco2eq, 'budget check --budget proj gCO2e');
    same(checked.measured.energy_kwh, row.energy_kwh, 'budget check --budget proj kWh');
    expect((checked.selection.clusters as Array<{ name?: string; cluster?: string }>).length).toBe(
      1,
    );
    // budget status (month-to-date from the ledger) sees the same figure.
    const status = await json(['budget', 'status']);
    const proj = (status.budgets as Array<any>).find((b) => b.name === 'proj');
    same(proj.used.co2e_g, row.carbon_gco2eq, 'budget status proj gCO2e');
  });

  it('never adds two currencies: track totals per currency, budget check refuses the mix', async () => {
    const dry = await json(['track', ...window, '--dry-run']);
    const costs = dry.totals.cost_by_currency as Record<string, number>;
    expect(Object.keys(costs).sort()).toEqual(['EUR', 'USD']);
    const usage = await usageByCluster(fixture.start, fixture.end);
    same(costs.EUR!, usage.get('ws')!.cost, 'EUR total');
    same(costs.USD!, usage.get('k8s')!.cost, 'USD total');
    const table = await carbonctl(['track', ...window, '--dry-run']);
    expect(table.stdout).toMatch(/Currency/);
    expect(table.stdout).toMatch(/currencies are never added/);
    const mixed = await carbonctl(['budget', 'check', ...window, '--max-cost', '100']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('different currencies (EUR, USD)');
  });
});

describe.skipIf(binaries === null)(
  'source: auto is decided from the window metered, and kept',
  () => {
    let prometheus: TestPrometheus;
    let uk: LoopbackServer;
    let fixture: PromFixture;

    beforeAll(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'carbonctl-auto-'));
      const generated = writePromFixtureFiles(join(dataDir, 'fixture.om'), {});
      fixture = generated.fixture;
      prometheus = await startPrometheus({ openMetricsFiles: generated.files });
      uk = await startIntensityServer();
    });
    afterAll(async () => {
      await uk?.close();
      await prometheus?.close();
    });

    it('a backfill of a past window with cAdvisor data tracks pods, even when nothing was scraped in the last hour', async () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'config'), { recursive: true });
      writeFileSync(
        join(dir, 'config', 'config.json'),
        JSON.stringify({ clusters: [{ name: 'auto', prometheus: { url: prometheus.url } }] }),
      );
      // A month after the data: wall-clock "now" has no samples at all (the old 1-hour look-back
      // at now picked node_exporter for this backfill).
      const later = new Date(fixture.end.getTime() + 30 * 24 * HOUR_MS);
      const env = { CARBONCTL_INTENSITY_URL: uk.url };
      const window = ['--from', fixture.start.toISOString(), '--to', fixture.end.toISOString()];
      const first = await run(['track', ...window, '-o', 'json'], { now: later, dir, env });
      expect(first.code, first.stderr).toBe(0);
      const data = JSON.parse(first.stdout);
      expect(data.clusters[0].source).toBe('pods');
      expect(data.pods.length).toBeGreaterThan(0);
      expect(first.stderr).toContain('source auto decided pods');
      const ledger = openLedger(join(dir, 'data', 'ledger.db'), { readonly: true });
      expect(ledger.storedClusterSource('auto')).toMatchObject({
        source: 'pods',
        decidedBy: 'auto',
        window: { from: fixture.start, to: fixture.end },
      });
      ledger.close();

      // The next run (its default window has no data at all) keeps the decision silently.
      const second = await run(['track', '-o', 'json'], { now: later, dir, env });
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout).clusters[0].source).toBe('pods');
      expect(second.stderr).not.toContain('source auto decided');
      // clusters shows the stored decision.
      const listed = await run(['clusters', '-o', 'json'], { now: later, dir, env });
      expect(JSON.parse(listed.stdout).data[0].metadata.source).toBe('pods');

      // doctor too.
      const doctor = await run(['doctor', '-o', 'json'], { now: later, dir, env });
      const accounted = JSON.parse(doctor.stdout).checks.find(
        (c: { check: string }) => c.check.trim() === 'accounted as',
      );
      expect(accounted.detail).toContain(
        `pods (auto, decided ${later.toISOString()} from the data of ${fixture.start.toISOString()}`,
      );

      // An explicit source in the config changes it, and says so.
      writeFileSync(
        join(dir, 'config', 'config.json'),
        JSON.stringify({
          clusters: [{ name: 'auto', source: 'nodes', prometheus: { url: prometheus.url } }],
        }),
      );
      const changed = await run(['track', '--last', '1h', '-o', 'json'], { now: later, dir, env });
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stderr).toContain(
        'accounted as nodes from now on (source in the config); it was pods',
      );
    });
  },
);

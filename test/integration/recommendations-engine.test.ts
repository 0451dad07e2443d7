/**
 * The recommendation engine (SPEC §8) against a real Prometheus backfilled with the week of
 * test/helpers/rec-fixtures.ts and a loopback GB Carbon Intensity API: `collectFindings` finds
 * exactly the engineered findings — no more — with recommended values, savings, priorities and
 * risks checked against hand computation.
 *
 * Intensity: the loopback API answers 100 + 20·(UTC hour) g/kWh for the first half-hour and 10
 * more for the second, so hour h averages 105 + 20h; the week's plain mean is
 * 105 + 20 × 11.5 = 335 g/kWh, and every day's cleanest hour is 00:00 (105 g/kWh).
 * Factors: SPEC defaults (ada 12 W busy / 1 W idle per core, PUE 1, no embodied carbon,
 * 0.031611 USD per core-hour, 0.004237 USD per GiB-hour, memory 0 W).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFindings } from '../../src/commands/recommendations/collect.js';
import { addOptions, LEDGER_OPTION } from '../../src/commands/options.js';
import { createContext, type Context } from '../../src/context.js';
import type { RecommendationFinding } from '../../src/core/recommendation-model.js';
import { recommendationId } from '../../src/core/recommendations.js';
import { DataSourceError } from '../../src/errors.js';
import { IOStreams } from '../../src/io/streams.js';
import { Capture, removeDir, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { answerIntensity } from '../helpers/intensity-server.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';
import { REC_FROM, REC_TO, writeRecFixtureFile } from '../helpers/rec-fixtures.js';

const binaries = prometheusBinaries();
const MIB = 1024 ** 2;
/** SPEC §8: savings per month = hourly × 730. */
const MONTH_HOURS = 730;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

/** |actual − wanted| ≤ 1e-9 relative (floating-point noise from counters and rates only). */
function expectClose(actual: number | undefined, wanted: number, what: string): void {
  expect(actual, what).toBeDefined();
  expect(Math.abs(actual! - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThanOrEqual(
    Math.abs(wanted) * 1e-9 + 1e-9,
  );
}

describe.skipIf(binaries === null)('recommendation engine against a real Prometheus', () => {
  let prometheus: TestPrometheus;
  let intensity: LoopbackServer;
  let dir: string;
  const contexts: Context[] = [];

  beforeAll(async () => {
    dir = tempDir('carbonctl-rec-');
    const file = join(dir, 'fixture.om');
    writeRecFixtureFile(file);
    prometheus = await startPrometheus({ openMetricsFiles: [file], maxBlockDuration: '48h' });
    intensity = await startLoopbackServer(answerIntensity);
  });
  afterAll(async () => {
    for (const context of contexts) await context.dispose();
    await intensity?.close();
    await prometheus?.close();
    if (dir !== undefined) removeDir(dir);
  });

  /** A context whose config has cluster `lab` (workspaces, job="node") and `k8s` (auto → pods). */
  function setup(
    args: string[] = [],
    clusters?: unknown[],
  ): { context: Context; command: Command; stderr: Capture } {
    const home = tempDir('carbonctl-rec-home-');
    mkdirSync(join(home, 'config'), { recursive: true });
    const configFile = join(home, 'config', 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        intensity: { provider: 'uk', url: intensity.url },
        clusters: clusters ?? [
          {
            name: 'lab',
            source: 'nodes',
            prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 },
            workspaces: { selector: 'job="node"' },
          },
          { name: 'k8s', prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 } },
        ],
      }),
    );
    const env = { CARBONCTL_CONFIG: configFile };
    const stderr = new Capture();
    const io = new IOStreams({
      stdout: new Capture(),
      stderr,
      stdin: new PassThrough(),
      stdoutIsTTY: false,
      stderrIsTTY: false,
      stdinIsTTY: false,
      env,
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    const context = createContext({
      io,
      env,
      version: '0.0.0-test',
      now: () => new Date('2026-01-01T00:00:00Z'),
      defaults: () => ({
        configFile,
        ledgerFile: join(home, 'data', 'ledger.db'),
      }),
      httpOptions: { sleep: () => Promise.resolve() },
    });
    contexts.push(context);
    const command = addOptions(new Command('generate'), [
      { flags: '--cluster <name>', description: 'cluster' },
      { flags: '--prometheus-url <url>', description: 'url' },
      { flags: '--allow-estimates', description: 'estimates' },
      LEDGER_OPTION,
    ]);
    command.exitOverride();
    command.parse(args, { from: 'user' });
    return { context, command, stderr };
  }

  let findings: RecommendationFinding[];
  const byKey = (type: string, name: string): RecommendationFinding | undefined =>
    findings.find(
      (f) =>
        f.type === type &&
        [f.target.cluster, f.target.namespace, f.target.workload, f.target.container, f.target.host]
          .filter((part) => part !== null)
          .join('/') === name,
    );

  it('finds exactly the engineered findings, and nothing for the correctly sized ones', async () => {
    const { context, command } = setup();
    const result = await collectFindings(context, command, { from: REC_FROM, to: REC_TO });
    findings = result.findings;
    expect(result.clusters).toEqual(['lab', 'k8s']);
    expect(result.window).toEqual({ from: REC_FROM, to: REC_TO });
    const keys = findings
      .map((f) =>
        [
          f.type,
          f.target.cluster,
          f.target.namespace,
          f.target.workloadKind,
          f.target.workload,
          f.target.container,
          f.target.host,
        ].join(' '),
      )
      .sort();
    // Not here: shop/api and ci/runner-manager (sized right), legacy's rightsizing (idle wins),
    // busy-ws and decoy-ws (busy / excluded by job="node"), etl/midnight-cleanup (runs in the
    // cleanest hour), the pod cgroup and pause containers.
    expect(keys).toEqual(
      [
        'CARBON_AWARE_SHIFT k8s ci Namespace ci  ',
        'CARBON_AWARE_SHIFT k8s etl CronJob nightly-report  ',
        'IDLE_WORKLOAD k8s shop Deployment legacy  ',
        'IDLE_WORKSPACE lab     idle-ws',
        'RIGHTSIZING_CPU k8s shop Deployment web app ',
        'RIGHTSIZING_MEMORY k8s shop Deployment cache app ',
        'RIGHTSIZING_MEMORY k8s shop Deployment web app ',
      ].sort(),
    );
    for (const f of findings) expect(f.id).toBe(recommendationId(f.type, f.target));
  });

  it('rightsizes the over-requested Deployment to p95 × 1.2 with the hand-computed savings', () => {
    const f = byKey('RIGHTSIZING_CPU', 'k8s/shop/web/app')!;
    // p95 of the 2016 five-minute rates = 0.42 cores (the pod cgroup's extra core is not counted).
    expect(f.snapshot.p50).toBeCloseTo(0.3, 9);
    expect(f.snapshot.p95).toBeCloseTo(0.42, 9);
    expect(f.snapshot.p99).toBeCloseTo(0.6, 9);
    expect(f.snapshot.max).toBeCloseTo(0.6, 9);
    // 2 pods × 2016 points of the 5-minute subquery over the week.
    expect(f.snapshot.samples).toBe(4032);
    expect(f.snapshot.replicas).toBe(2);
    expect(f.recommended.cpu_request_cores).toBe(0.504);
    expect(f.current).toEqual({
      cpu_request_cores: 2,
      replicas: 2,
      // Kubeadapt's workload body: both containers, requests and limits as they are.
      containers: [
        {
          name: 'app',
          requests: { cpu: 2, memory: 1024 * MIB },
          limits: { cpu: 1, memory: 400 * MIB },
        },
        {
          name: 'proxy',
          requests: { cpu: 0.1, memory: 64 * MIB },
          limits: { cpu: 0.2, memory: 128 * MIB },
        },
      ],
    });
    // Recommended, CPU and memory of the whole workload together: app 504m (p95 420m × 1.2) and
    // 360Mi (p99 300Mi × 1.2); its memory limit 400Mi is below 360Mi × 1.2 = 432Mi, so it is
    // raised to 432Mi; its CPU limit 1 core stays (not below the 504m request). The proxy is
    // sized right (70m of 100m: 84m is within 1.25×; 50Mi of 64Mi likewise) and keeps its
    // requests; its limits are above the floors (128Mi ≥ ⌈64Mi × 1.2⌉ = 77Mi; 200m ≥ 100m).
    expect(f.recommended.containers).toEqual([
      {
        name: 'app',
        requests: { cpu: 0.504, memory: 360 * MIB },
        limits: { cpu: 1, memory: 432 * MIB },
      },
      {
        name: 'proxy',
        requests: { cpu: 0.1, memory: 64 * MIB },
        limits: { cpu: 0.2, memory: 128 * MIB },
      },
    ]);
    expect(f.description).toBe('CPU request 2000m is 4.8× the p95 usage 420m; recommend 504m');
    // Δ = (2 − 0.504) × 2 = 2.992 idle cores per hour: 2.992 × 3600 × 1 W / 3.6e6 = 0.002992 kWh
    // → 2.18416 kWh/month; × 335 g/kWh × 730 = 731.6936 g/month; 2.992 × 0.031611 × 730 =
    // 69.04348176 USD/month → high.
    expectClose(f.savings.monthlyKwh, 0.002992 * MONTH_HOURS, 'kWh');
    expectClose(f.savings.monthlyCo2eGrams, 731.6936, 'gCO2e');
    expectClose(f.savings.monthlyCost, 69.04348176, 'cost');
    expect(f.priority).toBe('high');
    // 504m is below the p99/max of 600m: peaks throttled → medium.
    expect(f.risk).toBe('medium');
    // Current: 2 cores × 2 × 0.031611 + 1 GiB × 2 × 0.004237 = 0.134918 USD/h.
    expectClose(f.currentHourlyCost, 0.134918, 'current hourly cost');
    expect(f.applyCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=cpu=504m',
    );
    expect(f.revertCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=cpu=2000m',
    );
  });

  it('rightsizes memory to p99 × 1.2, with OOM kills making it high risk', () => {
    const web = byKey('RIGHTSIZING_MEMORY', 'k8s/shop/web/app')!;
    // 300Mi × 1.2 = 360Mi; (1024 − 360) Mi × 2 = 1.296875 GiB × 0.004237 × 730 = 4.01124734375.
    expect(web.recommended.memory_request_bytes).toBe(360 * MIB);
    // The same workload body as the CPU finding: one body per workload, the types as filters.
    expect(web.recommended.containers).toEqual(
      byKey('RIGHTSIZING_CPU', 'k8s/shop/web/app')!.recommended.containers,
    );
    expectClose(web.savings.monthlyCost, 4.01124734375, 'web memory cost');
    expect(web.savings.monthlyCo2eGrams).toBe(0);
    expect(web.priority).toBe('low');
    // Constant working set, a full week of history, no restarts.
    expect(web.risk).toBe('low');
    expect(web.description).toBe(
      'Memory request 1Gi is 3.4× the p99 working set 300Mi; recommend 360Mi',
    );

    const cache = byKey('RIGHTSIZING_MEMORY', 'k8s/shop/cache/app')!;
    // 500Mi × 1.2 = 600Mi; (4096 − 600) Mi = 3.4140625 GiB × 0.004237 × 730 = 10.55973… → medium.
    expect(cache.recommended.memory_request_bytes).toBe(600 * MIB);
    expectClose(cache.savings.monthlyCost, 3.4140625 * 0.004237 * MONTH_HOURS, 'cache cost');
    expect(cache.priority).toBe('medium');
    expect(cache.snapshot.restarts).toBe(1);
    expect(cache.snapshot.oomKills).toBe(1);
    expect(cache.risk).toBe('high');
    expect(cache.applyCommand).toBe(
      'kubectl -n shop set resources deployment/cache -c app --requests=memory=600Mi',
    );
  });

  it('scales the idle workload to zero', () => {
    const f = byKey('IDLE_WORKLOAD', 'k8s/shop/legacy')!;
    // Per hour: busy 0.005 × 3600 = 18 s, idle 3582 s, memory 0.25 GiB-h →
    // (18 × 12 + 3582) / 3.6e6 = 0.001055 kWh × 335 × 730 = 258.00025 g/month;
    // cost (1 × 0.031611 + 0.25 × 0.004237) × 730 = 23.8492825 → medium.
    expectClose(f.savings.monthlyKwh, 0.001055 * MONTH_HOURS, 'kWh');
    expectClose(f.savings.monthlyCo2eGrams, 258.00025, 'gCO2e');
    expectClose(f.savings.monthlyCost, 23.8492825, 'cost');
    expect(f.priority).toBe('medium');
    expect(f.risk).toBe('low');
    expect(f.recommended).toEqual({ replicas: 0, state: 'suspended' });
    expect(f.applyCommand).toBe('kubectl -n shop scale deployment/legacy --replicas=0');
    expect(f.revertCommand).toBe('kubectl -n shop scale deployment/legacy --replicas=1');
    expect(f.description).toBe(
      'Deployment shop/legacy used 5m of its 1000m CPU request per replica (0.5%, idle below 2%) over 7 days; scale it to zero',
    );
  });

  it('suspends the idle workspace, not the busy one', () => {
    const f = byKey('IDLE_WORKSPACE', 'lab/idle-ws')!;
    // 2 CPUs × 604,800 s; busy 0.5 %: 6048 busy and 1,203,552 idle core-seconds, per hour 36
    // and 7164 → (36 × 12 + 7164) / 3.6e6 = 0.00211 kWh × 335 × 730 = 516.0005 g/month;
    // cost 2 × 0.031611 × 730 = 46.15206 → medium.
    expectClose(f.savings.monthlyKwh, 0.00211 * MONTH_HOURS, 'kWh');
    expectClose(f.savings.monthlyCo2eGrams, 516.0005, 'gCO2e');
    expectClose(f.savings.monthlyCost, 46.15206, 'cost');
    expect(f.priority).toBe('medium');
    expect(f.risk).toBe('low');
    expect(f.current).toEqual({ cores: 2, state: 'running' });
    expect(f.snapshot.unit).toBe('fraction');
    expectClose(f.snapshot.p95 ?? undefined, 0.005, 'busy share p95');
    expect(f.description).toBe(
      'Workspace idle-ws (2 cores) was busy 0.5% of its CPU time over 7 days (idle below 2%); suspend or delete it',
    );
  });

  it('shifts the batch work that runs at dirty hours', () => {
    const nightly = byKey('CARBON_AWARE_SHIFT', 'k8s/etl/nightly-report')!;
    // 1.5 cores for 14:00 and 15:00: 0.018 kWh each; per day 0.018 × (385 − 105) + 0.018 ×
    // (405 − 105) = 10.44 g; 7 days = 73.08 g in 168 h → × 730 / 168 = 317.55 g/month.
    expectClose(nightly.savings.monthlyCo2eGrams, 317.55, 'nightly gCO2e');
    expect(nightly.savings.monthlyKwh).toBe(0);
    expect(nightly.savings.monthlyCost).toBe(0);
    expect(nightly.current.run_hours_utc).toEqual([14, 15]);
    expect(nightly.recommended.run_hours_utc).toEqual([0]);
    expectClose(nightly.current.intensity_g_per_kwh, 395, 'run intensity');
    expectClose(nightly.recommended.intensity_g_per_kwh, 105, 'clean intensity');
    expect(nightly.priority).toBe('low');
    expect(nightly.risk).toBe('low');
    // 7 runs × 2 hours.
    expect(nightly.snapshot.samples).toBe(14);

    const ci = byKey('CARBON_AWARE_SHIFT', 'k8s/ci/ci')!;
    // 2 cores for 18:00 on 5 weekdays: 0.024 kWh × (465 − 105) = 8.64 g per run; 43.2 g in
    // 168 h → × 730 / 168 = 187.714… g/month.
    expectClose(ci.savings.monthlyCo2eGrams, (43.2 * MONTH_HOURS) / 168, 'ci gCO2e');
    expect(ci.target.workloadKind).toBe('Namespace');
    expect(ci.description).toBe(
      "Batch pods in namespace ci ran at 18:00–19:00 UTC at 465 g/kWh, 343% above the day's cleanest hour (105 g/kWh); running it then would save 188 gCO2e/month",
    );
  });

  it('sees workloads and hosts with samples anywhere in the window, even when it ends in a scrape gap', async () => {
    // The same week shifted 3 hours later: its last 3 hours have no samples at all (the data
    // ends at REC_TO). Before issue #9 only series with a sample in the last 5 minutes counted,
    // so this window gave no findings and marked the earlier ones stale.
    const shift = 3 * 3_600_000;
    const { context, command } = setup();
    const shifted = await collectFindings(context, command, {
      from: new Date(REC_FROM.getTime() + shift),
      to: new Date(REC_TO.getTime() + shift),
    });
    expect(shifted.failure).toBeUndefined();
    expect(shifted.clusters).toEqual(['lab', 'k8s']);
    const kinds = (list: typeof findings) =>
      [...new Set(list.map((f) => `${f.type} ${f.target.cluster}`))].sort();
    expect(kinds(shifted.findings)).toEqual(kinds(findings));
    expect(shifted.baselines.every((b) => b.status === 'ok' && b.energy_kwh > 0)).toBe(true);
  });

  it('gives the same ids and numbers on a second run, and honours --cluster', async () => {
    const { context, command } = setup(['--cluster', 'lab']);
    const again = await collectFindings(context, command, { from: REC_FROM, to: REC_TO });
    expect(again.clusters).toEqual(['lab']);
    expect(again.findings).toEqual(findings.filter((f) => f.target.cluster === 'lab'));
  });

  it('reports a Prometheus that is down as a data-source error (exit 3) and still analyses the healthy cluster', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { context, command } = setup(
      [],
      [
        { name: 'gone', source: 'pods', prometheus: { url, timeoutSeconds: 2 } },
        { name: 'lab', source: 'nodes', prometheus: { url: prometheus.url } },
      ],
    );
    const result = await collectFindings(context, command, { from: REC_FROM, to: REC_TO });
    expect(result.failure).toBeInstanceOf(DataSourceError);
    expect(result.failure?.exitCode).toBe(3);
    expect(result.failure?.message).toContain('gone');
    // The dead cluster is not "analysed": its findings must not turn stale.
    expect(result.clusters).toEqual(['lab']);
    expect(result.baselines.map((b) => [b.cluster, b.status])).toEqual([
      ['gone', 'failed'],
      ['lab', 'ok'],
    ]);
    expect(result.findings.some((f) => f.target.cluster === 'lab')).toBe(true);
  });

  it('refuses a workspaces selector that tries to smuggle PromQL (config error, exit 2)', async () => {
    const { context, command } = setup(
      [],
      [
        {
          name: 'lab',
          source: 'nodes',
          prometheus: { url: prometheus.url },
          workspaces: { selector: 'job="node"} or vector(1) #' },
        },
      ],
    );
    await expect(
      collectFindings(context, command, { from: REC_FROM, to: REC_TO }),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('workspaces.selector'),
    });
  });

  it('uses --prometheus-url for the selected cluster', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { context, command } = setup(['--cluster', 'lab', '--prometheus-url', url]);
    // The configured URL works; the flag's (closed) one must be the one asked.
    const result = await collectFindings(context, command, { from: REC_FROM, to: REC_TO });
    expect(result.failure).toBeInstanceOf(DataSourceError);
    expect(result.clusters).toEqual([]);
  });

  it('refuses a window shorter than an hour as a usage error', async () => {
    const { context, command } = setup();
    await expect(
      collectFindings(context, command, {
        from: REC_FROM,
        to: new Date(REC_FROM.getTime() + 30 * 60_000),
      }),
    ).rejects.toMatchObject({ exitCode: 2 });
  });
});

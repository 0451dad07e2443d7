/**
 * `carbonctl score` against a real Prometheus backfilled with test/helpers/score-fixtures.ts and
 * a loopback GB Carbon Intensity API: every dimension and the overall score of a Kubernetes
 * cluster and of a node_exporter workspace cluster, derived by hand below.
 *
 * Intensity: hour h of the day averages 105 + 20h g/kWh (test/helpers/intensity-server.ts); the
 * day's cleanest hour is 00:00 at 105, so hours from 03:00 (165) are above 1.5 × 105 = 157.5.
 * Factors: SPEC defaults (ada: 12 W busy, 1 W idle per core; PUE 1; no memory watts).
 * Energy per hour, Wh × 3.6e6 / 3600 = (busy s × 12 + idle s × 1) / 3.6e6 kWh, idle = requested − busy:
 * - web: 1800 s busy of 3600 requested → 1800 × 12 + 1800 = 23,400 J·(1/3.6e6)
 * - api, search: even hours 360 s busy of 1800 → 5,760; odd hours 450 s → 6,750
 * - cache: 720 s of 900 → 8,820; legacy: 18 s of 3600 → 3,798
 * - cleanup (00:00) and nightly (14:00, 15:00): 3600 s busy, 1800 requested → idle 0 → 43,200
 * - nightly also at 13:00: its first samples at 14:00:00 end the step 13:59–14:00 (the counter
 *   convention: a step belongs to the hour it starts in), which holds 0 busy and 0.5 × 60 = 30
 *   requested core-seconds → 30 idle. (cleanup's first step falls on the day before the window.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourIntensity } from '../helpers/intensity-server.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { answerIntensity } from '../helpers/intensity-server.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';
import { SCORE_FROM, SCORE_TO, writeScoreFixtureFile } from '../helpers/score-fixtures.js';

const binaries = prometheusBinaries();
const J = 1 / 3.6e6; // kWh per joule-equivalent unit above (W·s)

interface DimensionJson {
  dimension: string;
  score: number | null;
  status: string;
  effective_weight: number;
  inputs: Record<string, unknown>;
  advice: string;
}
interface ClusterJson {
  cluster: string;
  source: string;
  overall_score: number;
  dimension_scores: Record<string, number | null>;
  dimensions: DimensionJson[];
  energy_kwh: number;
  gate: string | null;
}
interface ScoreJson {
  overall_score: number;
  dimension_scores: Record<string, number | null>;
  cluster: string | null;
  status: string | null;
  clusters: ClusterJson[];
}

function expectClose(actual: number | null | undefined, wanted: number, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThan(
    1e-6,
  );
}

// ---- the hand derivation -------------------------------------------------------------------
const hours = Array.from({ length: 24 }, (_, h) => h);
const intensityOf = (h: number): number =>
  hourIntensity(new Date(SCORE_FROM.getTime() + h * 3_600_000));
/** Energy (kWh) of each workload in hour h. */
const energy = {
  web: () => 23_400 * J,
  api: (h: number) => (h % 2 === 1 ? 6_750 : 5_760) * J,
  search: (h: number) => (h % 2 === 1 ? 6_750 : 5_760) * J,
  cache: () => 8_820 * J,
  legacy: () => 3_798 * J,
  cleanup: (h: number) => (h === 0 ? 43_200 * J : 0),
  nightly: (h: number) => (h === 14 || h === 15 ? 43_200 * J : h === 13 ? 30 * J : 0),
};
const dayEnergy = (name: keyof typeof energy): number =>
  hours.reduce((sum, h) => sum + energy[name](h), 0);
/** (min(cpu ratio, 1) + min(memory ratio, 1)) / 2; the Jobs have no memory at the end: CPU only, capped. */
const efficiency: Record<keyof typeof energy, number> = {
  web: (0.5 + 0.5) / 2,
  api: (9_720 / 43_200 + 0.5) / 2, // mean 0.1125 of 0.5 cores
  search: (9_720 / 43_200 + 0.5) / 2,
  cache: (0.8 + 0.75) / 2,
  legacy: (0.005 + 0.25) / 2,
  cleanup: 1,
  nightly: 1,
};
const names = Object.keys(energy) as Array<keyof typeof energy>;
const totalEnergy = names.reduce((sum, n) => sum + dayEnergy(n), 0);
const resourceEfficiency =
  (100 * names.reduce((sum, n) => sum + dayEnergy(n) * efficiency[n], 0)) / totalEnergy;
const weightedIntensity =
  hours.reduce((sum, h) => sum + names.reduce((s, n) => s + energy[n](h), 0) * intensityOf(h), 0) /
  totalEnergy;
const carbonEfficiency = 100 * (1 - weightedIntensity / 800);
// 5 long-running workloads, legacy idle; namespaces shop, idle, etl: idle is idle.
const waste = 100 * (1 - (1 / 5 + 1 / 3) / 2);
// node-a 0.5, node-b 0.8, idle-ws 0.005 busy (iowait is idle)
const nodeEfficiency = (100 * (0.5 / 0.7 + 1 + 0.005 / 0.7)) / 3;
// search spiky (0.4 ≥ 3 × 0.1) without an HPA; api has one: 1 of 5 scalable workloads
const scaling = 100 * (1 - 1 / 5);
// nightly's hours (13:00 at 365, 14:00 at 385, 15:00 at 405 g/kWh) are above 157.5; cleanup at 105 is not
const carbonAware = 100 * (1 - (2 * 43_200 + 30) / (3 * 43_200 + 30));
// restarts: cache 2, the other four 0
const stability = 100 - 10 * (2 / 5);
const k8sOverall =
  0.25 * resourceEfficiency +
  0.2 * carbonEfficiency +
  0.15 * waste +
  0.15 * nodeEfficiency +
  0.1 * scaling +
  0.1 * carbonAware +
  0.05 * stability;
// The workspaces: every host's energy is the same each hour, so E is the plain mean 105 + 20 × 11.5.
const labCarbon = 100 * (1 - 335 / 800);
const labWaste = 100 * (2 / 3);
const labOverall = 0.4 * labCarbon + 0.3 * labWaste + 0.3 * nodeEfficiency;

describe.skipIf(binaries === null)('score against a real Prometheus', () => {
  let prometheus: TestPrometheus;
  let intensity: LoopbackServer;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('carbonctl-score-');
    const file = join(dir, 'fixture.om');
    writeScoreFixtureFile(file);
    prometheus = await startPrometheus({ openMetricsFiles: [file], maxBlockDuration: '48h' });
    intensity = await startLoopbackServer(answerIntensity);
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        intensity: { provider: 'uk', url: intensity.url },
        clusters: [
          {
            name: 'k8s',
            source: 'pods',
            prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 },
            workspaces: { selector: 'job="node"' },
          },
          {
            name: 'lab',
            source: 'nodes',
            prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 },
            workspaces: { selector: 'job="node"' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await intensity?.close();
    await prometheus?.close();
    if (dir !== undefined) removeDir(dir);
  });

  const window = ['--from', SCORE_FROM.toISOString(), '--to', SCORE_TO.toISOString()];

  it('scores every dimension of a Kubernetes cluster as derived by hand', async () => {
    const result = await run(['score', '--cluster', 'k8s', ...window, '-o', 'json'], { dir });
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout) as ScoreJson;
    expect(data.cluster).toBe('k8s');
    const k8s = data.clusters[0]!;
    expectClose(k8s.energy_kwh, totalEnergy, 'energy');
    const s = data.dimension_scores;
    expectClose(s.resource_efficiency, resourceEfficiency, 'resource_efficiency');
    expectClose(s.carbon_efficiency, carbonEfficiency, 'carbon_efficiency');
    expectClose(s.waste_elimination, waste, 'waste_elimination');
    expectClose(s.node_efficiency, nodeEfficiency, 'node_efficiency');
    expectClose(s.scaling_practices, scaling, 'scaling_practices');
    expectClose(s.carbon_aware_scheduling, carbonAware, 'carbon_aware_scheduling');
    expectClose(s.stability, stability, 'stability');
    expectClose(data.overall_score, k8sOverall, 'overall');
    const byName = Object.fromEntries(k8s.dimensions.map((d) => [d.dimension, d]));
    expect(byName.waste_elimination?.inputs.idle_workload_names).toEqual(['idle/legacy']);
    expect(byName.waste_elimination?.inputs.idle_namespace_names).toEqual(['idle']);
    expect(byName.scaling_practices?.inputs.should_autoscale_names).toEqual(['shop/search']);
    expect(byName.scaling_practices?.advice).toContain('shop/search');
    expect(byName.stability?.inputs.restarts_total).toBe(2);
  });

  it('scores a workspace cluster on the three dimensions that apply, renormalised', async () => {
    const result = await run(['score', '--cluster', 'lab', ...window, '-o', 'json'], { dir });
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout) as ScoreJson;
    const lab = data.clusters[0]!;
    expect(lab.source).toBe('nodes');
    expectClose(data.dimension_scores.carbon_efficiency, labCarbon, 'carbon');
    expectClose(data.dimension_scores.waste_elimination, labWaste, 'waste');
    expectClose(data.dimension_scores.node_efficiency, nodeEfficiency, 'node');
    for (const dimension of [
      'resource_efficiency',
      'scaling_practices',
      'carbon_aware_scheduling',
      'stability',
    ]) {
      expect(data.dimension_scores[dimension]).toBeNull();
      expect(lab.dimensions.find((d) => d.dimension === dimension)?.status).toBe('not_applicable');
    }
    expectClose(data.overall_score, labOverall, 'overall');
  });

  it('gates CI with --min-score: exit 4 below, a JUnit file and GitHub annotations', async () => {
    const junit = join(dir, 'score.xml');
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '');
    // Both clusters score between 60 and 75 (k8s ≈ 60.9, lab ≈ 60.5).
    expect(k8sOverall).toBeGreaterThan(60);
    expect(labOverall).toBeGreaterThan(60);
    const pass = await run(['score', ...window, '--min-score', '60', '-o', 'json'], { dir });
    expect(pass.code).toBe(0);
    expect((JSON.parse(pass.stdout) as ScoreJson).status).toBe('pass');
    const fail = await run(
      ['score', ...window, '--min-score', '75', '--junit', junit, '-o', 'json'],
      { dir, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } },
    );
    expect(fail.code).toBe(4);
    const data = JSON.parse(fail.stdout) as ScoreJson;
    expect(data.status).toBe('fail');
    expect(data.clusters.map((c) => c.gate)).toEqual(['fail', 'fail']);
    expect(fail.stderr).toContain('::error title=Sustainability score::k8s: sustainability score');
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<failure');
    expect(xml).toContain('k8s: overall_score &gt;= 75');
    expect(readFileSync(summary, 'utf8')).toContain('Sustainability score: ❌ fail');
  });

  it('prints a table per cluster with each dimension and how to raise it', async () => {
    const result = await run(['score', '--cluster', 'k8s', ...window], { dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`k8s: overall ${k8sOverall.toFixed(1)}/100`);
    expect(result.stdout).toContain('Add a HorizontalPodAutoscaler to shop/search');
    expect(result.stdout).toContain('Scale to zero or delete idle/legacy');
  });
});

describe.skipIf(binaries === null)('export prometheus --score', () => {
  it('adds the score gauges of every cluster, equal to what score computes', async () => {
    const dir = tempDir('carbonctl-score-export-');
    const file = join(dir, 'fixture.om');
    writeScoreFixtureFile(file);
    const prometheus = await startPrometheus({
      openMetricsFiles: [file],
      maxBlockDuration: '48h',
    });
    const intensity = await startLoopbackServer(answerIntensity);
    try {
      mkdirSync(join(dir, 'config'), { recursive: true });
      writeFileSync(
        join(dir, 'config', 'config.json'),
        JSON.stringify({
          intensity: { provider: 'uk', url: intensity.url },
          clusters: ['k8s', 'lab'].map((name) => ({
            name,
            source: name === 'k8s' ? 'pods' : 'nodes',
            prometheus: { url: prometheus.url, scrapeIntervalSeconds: 60 },
            workspaces: { selector: 'job="node"' },
          })),
        }),
      );
      // A ledger to read the month-to-date gauges from (empty is fine).
      const now = new Date(SCORE_TO.getTime() + 30 * 60_000);
      await run(['track', '--cluster', 'lab', '--last', '1h'], { dir, now });
      // The last 24 h before 00:30 are, in whole complete hours, the fixture's day.
      const result = await run(['export', 'prometheus', '--score', '24h'], { dir, now });
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.code).toBe(0);
      const value = (labels: string): number => {
        const line = result.stdout.split('\n').find((l) => l.startsWith(labels + ' '));
        expect(line, labels).toBeDefined();
        return Number(line!.split(' ')[1]);
      };
      expectClose(value('carbonctl_sustainability_score{cluster="k8s"}'), k8sOverall, 'k8s');
      expectClose(value('carbonctl_sustainability_score{cluster="lab"}'), labOverall, 'lab');
      expectClose(
        value('carbonctl_sustainability_dimension_score{cluster="k8s",dimension="stability"}'),
        stability,
        'stability',
      );
      expect(result.stdout).not.toContain('cluster="lab",dimension="stability"');
    } finally {
      await intensity.close();
      await prometheus.close();
      removeDir(dir);
    }
  });
});

describe('score flags', () => {
  it('refuses a minimum above 100 and --cluster with --all-clusters (exit 2)', async () => {
    const high = await run(['score', '--min-score', '101']);
    expect(high.code).toBe(2);
    expect(high.stderr).toContain('--min-score 101 is above 100');
    const both = await run(['score', '--cluster', 'a', '--all-clusters']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--cluster and --all-clusters cannot be combined');
  });
});

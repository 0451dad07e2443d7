/**
 * `carbonctl recommendations generate` end to end: the real engine against a real Prometheus
 * backfilled with the week of test/helpers/rec-fixtures.ts (the engine's own numbers are
 * checked in recommendations-engine.test.ts), stored by the lifecycle rules across generations:
 * re-generation leaves ignored ones ignored, a cluster analysed over an empty window has its
 * active ones go stale, and they come back when found again; `apply` with an actual request
 * records the realized share of the stored estimate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir, type RunResult } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { answerIntensity } from '../helpers/intensity-server.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';
import { REC_FROM, REC_TO, writeRecFixtureFile } from '../helpers/rec-fixtures.js';

const binaries = prometheusBinaries();

interface ListItem {
  id: string;
  metadata: {
    recommendation_type: string;
    cluster: { id: string; name: string };
    namespace: string | null;
    resource_name: string | null;
    container: string | null;
    status: string;
  };
  current: { config: { cpu_request_cores?: number } };
  recommended: { config: { cpu_request_cores?: number } };
  savings: { estimated_monthly_co2e_g: number; estimated_monthly_kwh: number };
}

function parse<T>(result: RunResult): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe.skipIf(binaries === null)('recommendations generate against a real Prometheus', () => {
  let prometheus: TestPrometheus;
  let intensity: LoopbackServer;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = tempDir('carbonctl-rec-life-');
    const file = join(dir, 'fixture.om');
    writeRecFixtureFile(file);
    prometheus = await startPrometheus({ openMetricsFiles: [file], maxBlockDuration: '48h' });
    intensity = await startLoopbackServer(answerIntensity);
    mkdirSync(join(dir, 'config'), { recursive: true });
    const configFile = join(dir, 'config', 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        intensity: { provider: 'uk', url: intensity.url },
        clusters: [
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
    env = { CARBONCTL_CONFIG: configFile, CARBONCTL_LEDGER: join(dir, 'ledger.db') };
  });

  afterAll(async () => {
    await intensity?.close();
    await prometheus?.close();
    if (dir !== undefined) removeDir(dir);
  });

  const carbonctl = (args: string[]) => run(args, { dir, env });
  const week = ['--from', REC_FROM.toISOString(), '--to', REC_TO.toISOString()];
  const everything = ['--status', 'active,applied,ignored,stale', '-o', 'json'];

  it('keeps the lifecycle across generations', async () => {
    const first = parse<Record<string, unknown>>(
      await carbonctl(['recommendations', 'generate', ...week, '-o', 'json']),
    );
    const found = first.findings as number;
    expect(found).toBeGreaterThan(3);
    expect(first).toMatchObject({
      window: { from: REC_FROM.toISOString(), to: REC_TO.toISOString() },
      clusters: ['lab', 'k8s'],
      created: found,
      refreshed: 0,
      unchanged: 0,
      stale: 0,
      active: found,
    });
    const listed = parse<{ data: ListItem[]; meta: { total: number } }>(
      await carbonctl(['recommendations', '-o', 'json']),
    );
    expect(listed.meta.total).toBe(found);
    // Largest monthly CO2e saving first.
    const co2 = listed.data.map((item) => item.savings.estimated_monthly_co2e_g);
    expect(co2).toEqual([...co2].sort((a, b) => b - a));

    const web = listed.data.find(
      (item) =>
        item.metadata.recommendation_type === 'RIGHTSIZING_CPU' &&
        item.metadata.resource_name === 'web',
    );
    const workspace = listed.data.find(
      (item) => item.metadata.recommendation_type === 'IDLE_WORKSPACE',
    );
    if (web === undefined || workspace === undefined)
      throw new Error('engineered findings missing');
    expect(workspace.metadata.cluster).toEqual({ id: 'lab', name: 'lab' });
    const ignored = listed.data.find((item) => item !== web && item !== workspace);
    if (ignored === undefined) throw new Error('a third finding is needed');
    expect(
      (await carbonctl(['recommendations', 'ignore', ignored.id.slice(0, 6), '--yes'])).code,
    ).toBe(0);

    // The same window again: nothing new, the ignored one is found again and stays ignored.
    const second = parse<Record<string, unknown>>(
      await carbonctl(['recommendations', 'generate', ...week, '-o', 'json']),
    );
    expect(second).toMatchObject({
      created: 0,
      refreshed: 0,
      unchanged: found,
      stale: 0,
      active: found - 1,
    });

    // lab asked about a week with no data (a scrape outage, retention): nothing is analysed, so
    // nothing turns stale (issue #9: no data is not evidence that a finding lapsed).
    const empty = parse<Record<string, unknown>>(
      await carbonctl([
        'recommendations',
        'generate',
        '--cluster',
        'lab',
        '--from',
        '2025-02-01',
        '--to',
        '2025-02-08',
        '-o',
        'json',
      ]),
    );
    expect(empty).toMatchObject({ clusters: [], findings: 0, created: 0, stale: 0 });
    const afterEmpty = parse<{ data: ListItem[] }>(
      await carbonctl(['recommendations', ...everything]),
    );
    const status = (id: string) => afterEmpty.data.find((item) => item.id === id)?.metadata.status;
    expect(status(workspace.id)).toBe('active');
    expect(status(ignored.id)).toBe('ignored');
    expect(status(web.id)).toBe('active');

    // The week again: the same findings, still active.
    const third = parse<Record<string, unknown>>(
      await carbonctl(['recommendations', 'generate', ...week, '-o', 'json']),
    );
    expect(third).toMatchObject({ created: 0, stale: 0, active: found - 1 });

    // Apply the CPU rightsizing with 800m actually set: realized share
    // (current − 0.8) / (current − recommended) of the stored estimate.
    const current = web.current.config.cpu_request_cores;
    const recommended = web.recommended.config.cpu_request_cores;
    if (current === undefined || recommended === undefined) throw new Error('no CPU request');
    expect(current).toBe(2);
    const share = (current - 0.8) / (current - recommended);
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(1);
    const applied = parse<{
      realized: { share: number; monthly_co2e_g: number; monthly_kwh: number };
    }>(
      await carbonctl([
        'recommendations',
        'apply',
        web.id,
        '--actual-cpu-request',
        '800m',
        '--yes',
        '-o',
        'json',
      ]),
    );
    expect(applied.realized.share).toBeCloseTo(share, 12);
    expect(applied.realized.monthly_co2e_g).toBeCloseTo(
      web.savings.estimated_monthly_co2e_g * share,
      9,
    );
    expect(applied.realized.monthly_kwh).toBeCloseTo(web.savings.estimated_monthly_kwh * share, 12);

    // And a later generation leaves it applied.
    const fourth = parse<Record<string, unknown>>(
      await carbonctl(['recommendations', 'generate', ...week, '-o', 'json']),
    );
    expect(fourth).toMatchObject({ created: 0, stale: 0, active: found - 2 });
    const final = parse<{ data: ListItem[] }>(await carbonctl(['recommendations', ...everything]));
    expect(final.data.find((item) => item.id === web.id)?.metadata.status).toBe('applied');
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterInventory } from '../../src/commands/clusters/inventory.js';
import { run, tempDir } from '../helpers/context.js';
import {
  startLoopbackServer,
  type LoopbackServer,
  type RecordedRequest,
} from '../helpers/loopback-server.js';

// Until the lead adds `budget` and `clusters` to src/commands/registry.ts, register them for
// these tests; once registered this adds nothing.

const NOW = new Date('2026-11-21T12:00:00Z');
const TOKEN = 'tok-3f9a1c77e2';

/** A Prometheus API with no series at all. */
function emptyPrometheus(req: RecordedRequest, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  if (req.url.startsWith('/api/v1/query')) {
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
}

function configure(dir: string, config: unknown): void {
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify(config));
}

describe('clusters without a real Prometheus', () => {
  let empty: LoopbackServer;
  beforeAll(async () => {
    empty = await startLoopbackServer(emptyPrometheus);
  });
  afterAll(() => empty.close());

  it('defines the default cluster from --prometheus-url, with the token from the environment', async () => {
    const result = await run(
      ['clusters', '--prometheus-url', empty.url, '--verbose', '-o', 'json'],
      {
        now: NOW,
        env: { CARBONCTL_PROMETHEUS_TOKEN: TOKEN },
      },
    );
    expect(result.code).toBe(0);
    const { data } = JSON.parse(result.stdout) as { data: ClusterInventory[] };
    // No sample in the last 7 days: stale, nothing known, never a made-up zero.
    expect(data).toEqual([
      expect.objectContaining({
        id: 'default',
        metadata: expect.objectContaining({
          status: 'stale',
          is_stale: true,
          last_sample_at: null,
          evaluated_at: null,
        }),
        capacity: {
          cpu_cores: null,
          memory_bytes: null,
          cpu: { total_cores: null, allocatable_cores: null },
          memory: { total_bytes: null, allocatable_bytes: null },
          pods: { allocatable: null },
        },
        carbon: expect.objectContaining({ hourly_co2e_g: null }),
      }),
    ]);
    expect(result.stderr).toContain('cluster default: no samples of kube_node_status_allocatable');
    // Queries were evaluated at the injected clock, with the bearer token, which is never printed.
    const first = empty.requests[0]!;
    expect(first.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(new URLSearchParams(first.body).get('time')).toBe(String(NOW.getTime() / 1000));
    expect(result.stderr).toContain('promql: query at 2026-11-21T12:00:00.000Z: max(timestamp(');
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it('validates the enum filters before querying anything (exit 2)', async () => {
    const before = empty.requests.length;
    for (const [args, message] of [
      [['--provider', 'ibm'], '--provider ibm: unknown value (allowed: aws, gcp, azure, on-prem)'],
      [['list', '--status', 'running'], '--status running: unknown value (allowed: active, stale)'],
      [['--environment', 'prod'], '--environment prod: unknown value (allowed: production)'],
      [['--status', ','], '--status needs at least one of: active, stale'],
    ] as const) {
      const result = await run(['clusters', ...args, '--prometheus-url', empty.url], { now: NOW });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(empty.requests.length).toBe(before);
  });

  it('refuses an unknown cluster name for show and --cluster', async () => {
    const dir = tempDir();
    configure(dir, { clusters: [{ name: 'prod', prometheus: { url: empty.url } }] });
    const show = await run(['clusters', 'show', 'staging'], { now: NOW, dir });
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('cluster staging is not a configured cluster');
    const list = await run(['clusters', '--cluster', 'staging'], { now: NOW, dir });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('--cluster staging is not a configured cluster');
    expect(list.stderr).toContain('Configured clusters: prod.');
  });

  it('exits 3 when Prometheus refuses the credentials, naming the variable to check', async () => {
    const denying = await startLoopbackServer((_req, res) => {
      res.statusCode = 401;
      res.setHeader('content-type', 'text/plain');
      res.end('Unauthorized');
    });
    try {
      const result = await run(['clusters', '--prometheus-url', denying.url], {
        now: NOW,
        env: { CARBONCTL_PROMETHEUS_TOKEN: TOKEN },
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        'refused the bearer token (HTTP 401): check CARBONCTL_PROMETHEUS_TOKEN',
      );
      expect(result.stderr).not.toContain(TOKEN);
    } finally {
      await denying.close();
    }
  });
});

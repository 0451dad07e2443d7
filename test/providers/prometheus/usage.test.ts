import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { EntityHourUsage } from '../../../src/core/usage.js';
import { ConfigError, DataSourceError, InternalError, UsageError } from '../../../src/errors.js';
import { HttpClient } from '../../../src/providers/http.js';
import { PrometheusClient } from '../../../src/providers/prometheus/client.js';
import { matcher } from '../../../src/providers/prometheus/promql.js';
import type { NodeUsageSettings } from '../../../src/providers/prometheus/usage.js';
import {
  DEFAULT_NODE_SETTINGS,
  detectSource,
  fetchNodeUsage,
  fetchPodUsage,
} from '../../../src/providers/prometheus/usage.js';
import type { LoopbackServer, RecordedRequest } from '../../helpers/loopback-server.js';
import { startLoopbackServer } from '../../helpers/loopback-server.js';

const T0 = Date.parse('2025-01-06T00:00:00Z') / 1000;
const HOUR = 3600;
const GIB = 1024 ** 3;

type Series = { metric: Record<string, string>; at: (time: number) => number | null };

/**
 * A scripted Prometheus: range queries return the series whose predicate matches the query text,
 * evaluated at every step (null = no sample); instant queries return the owner metrics.
 */
function fakePrometheus(
  series: Array<{ match: (query: string) => boolean } & Series>,
  owners: Array<{ match: string; metric: Record<string, string> }> = [],
  presence: (timeSeconds: number) => number = () => 1,
) {
  return (request: RecordedRequest, res: ServerResponse): void => {
    const params = new URLSearchParams(request.body);
    const query = params.get('query') ?? '';
    const reply = (data: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data }));
    };
    if (
      request.url.endsWith('/query') &&
      query.startsWith('count(') &&
      query.endsWith('[300s]))')
    ) {
      // The data-start check: the unfiltered metric had samples before (other pods ran), unless
      // the test says this Prometheus began with its data.
      const value = presence(Number(params.get('time')));
      reply({
        resultType: 'vector',
        result:
          value > 0 ? [{ metric: {}, value: [Number(params.get('time')), String(value)] }] : [],
      });
      return;
    }
    if (request.url.endsWith('/query')) {
      reply({
        resultType: 'vector',
        result: owners
          .filter((owner) => query.includes(owner.match))
          .map((owner) => ({ metric: owner.metric, value: [Number(params.get('time')), '1'] })),
      });
      return;
    }
    const start = Number(params.get('start'));
    const end = Number(params.get('end'));
    const step = Number(params.get('step'));
    const result = series
      .filter((candidate) => candidate.match(query))
      .map((candidate) => {
        const values: Array<[number, string]> = [];
        for (let time = start; time <= end; time += step) {
          const value = candidate.at(time);
          if (value !== null) values.push([time, String(value)]);
        }
        return { metric: candidate.metric, values };
      })
      .filter((item) => item.values.length > 0);
    reply({ resultType: 'matrix', result });
  };
}

const servers: LoopbackServer[] = [];
const https: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(https.splice(0).map((http) => http.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function clientFor(
  handler: Parameters<typeof startLoopbackServer>[0],
): Promise<{ client: PrometheusClient; server: LoopbackServer }> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  const http = new HttpClient({ userAgent: 'carbonctl-test', sleep: () => Promise.resolve() });
  https.push(http);
  const client = new PrometheusClient(
    {
      name: 'default',
      url: server.url,
      token: null,
      username: null,
      password: null,
      headers: {},
      caFile: null,
      insecureSkipVerify: false,
      timeoutSeconds: 5,
    },
    { http, maxRetries: 0 },
  );
  return { client, server };
}

const hostLabels = {
  instance: 'h1:9100',
  cloud_project_name: 'proj',
  machine_name: 'm1',
  owner: 'aa1',
};
// Two cores: 0.25 busy and 1.75 idle core-seconds per second → 900 busy and 6300 idle per hour.
const nodeSeries = [
  {
    match: (query: string) => query.includes('mode!~'),
    metric: hostLabels,
    at: (time: number) => 1000 + (time - T0) * 0.25,
  },
  {
    match: (query: string) => query.includes('mode=~'),
    metric: hostLabels,
    at: (time: number) => 5000 + (time - T0) * 1.75,
  },
];

async function collect(
  run: (onHours: (hours: EntityHourUsage[], chunkEnd: Date) => void) => Promise<void>,
) {
  const rows: EntityHourUsage[] = [];
  const chunkEnds: Date[] = [];
  await run((hours, chunkEnd) => {
    for (const row of hours) {
      // Every row of a chunk lies before its end and after the previous chunk's end.
      expect(row.hourStart.getTime()).toBeLessThan(chunkEnd.getTime());
      expect(row.hourStart.getTime()).toBeGreaterThanOrEqual(chunkEnds.at(-1)?.getTime() ?? 0);
    }
    rows.push(...hours);
    chunkEnds.push(chunkEnd);
  });
  return { rows, chunkEnds };
}

const window4h = { from: new Date(T0 * 1000), to: new Date((T0 + 4 * HOUR) * 1000) };

describe('fetchNodeUsage at a 300 s scrape interval (issue #9, gaps)', () => {
  it('books a missed scrape across a chunk boundary, flags both hours and counts the sample missing', async () => {
    // Scrapes every 300 s; the one at T0 + 1 h (the first chunk's end) is missing.
    const missing = T0 + HOUR;
    const series = nodeSeries.map((item) => ({
      ...item,
      at: (time: number) => (time === missing ? null : item.at(time)),
    }));
    const { client } = await clientFor(fakePrometheus(series));
    const qualities: Array<{ sampledSteps: number; expectedSteps: number }> = [];
    const rows: EntityHourUsage[] = [];
    await fetchNodeUsage(
      client,
      { ...DEFAULT_NODE_SETTINGS, stepSeconds: 300 },
      { from: new Date(T0 * 1000), to: new Date((T0 + 2 * HOUR) * 1000) },
      (hours, _end, quality) => {
        rows.push(...hours);
        qualities.push(quality);
      },
    );
    expect(qualities.length).toBeGreaterThan(1); // the gap straddles a chunk boundary
    // Nothing dropped: 2 h × 0.25 busy cores and 1.75 idle cores = 1800 and 12,600 core-s.
    const busy = rows.reduce((sum, row) => sum + row.busySeconds, 0);
    const idle = rows.reduce((sum, row) => sum + row.idleSeconds, 0);
    expect(busy).toBeCloseTo(1800, 9);
    expect(idle).toBeCloseTo(12_600, 9);
    // Each hour holds exactly its own usage (the increase is spread over the gap's two steps).
    for (const row of rows) {
      expect(row.busySeconds).toBeCloseTo(900, 9);
      expect(row.gapInterpolated).toBe(true);
    }
    // 12 scrapes an hour; the missing one ended hour 0's last step: 11 of 12 sampled there.
    expect(rows[0]!.coverage).toBeCloseTo(11 / 12, 12);
    expect(rows[1]!.coverage).toBe(1);
    const sampled = qualities.reduce((sum, q) => sum + q.sampledSteps, 0);
    const expected = qualities.reduce((sum, q) => sum + q.expectedSteps, 0);
    expect(expected - sampled).toBe(1);
  });
});

describe('fetchNodeUsage', () => {
  it('turns per-host counter sums into exact hourly busy and idle seconds', async () => {
    const { client, server } = await clientFor(fakePrometheus(nodeSeries));
    const { rows, chunkEnds } = await collect((onHours) =>
      fetchNodeUsage(
        client,
        { ...DEFAULT_NODE_SETTINGS, selector: 'job="node"' },
        window4h,
        onHours,
      ),
    );

    expect(rows).toHaveLength(4);
    for (const [index, row] of rows.entries()) {
      expect(row).toEqual({
        source: 'nodes',
        entityId: 'h1:9100',
        hourStart: new Date((T0 + index * HOUR) * 1000),
        busySeconds: 900,
        idleSeconds: 6300,
        reservedCoreSeconds: null,
        memoryGiBHours: 0,
        labels: { host: 'h1:9100', project: 'proj', machine: 'm1', owner: 'aa1' },
        coverage: 1,
        gapInterpolated: false,
      });
    }
    // First chunk one hour (data density unknown), then as many hours as the point budget allows.
    expect(chunkEnds.map((end) => (end.getTime() / 1000 - T0) / HOUR)).toEqual([1, 4]);
    const first = new URLSearchParams(server.requests[0]?.body);
    // The first chunk reads an hour before `from` to learn every series' starting value.
    expect(Number(first.get('start'))).toBe(T0 - HOUR);
    expect(first.get('step')).toBe('15');
    const queries = server.requests.map((request) =>
      new URLSearchParams(request.body).get('query'),
    );
    expect(queries).toContain(
      'sum by (instance, cloud_project_name, machine_name, owner) (last_over_time(node_cpu_seconds_total{job="node",mode!~"idle|iowait"}[14999ms]))',
    );
  });

  it('gives identical hours however the window is chunked', async () => {
    const { client } = await clientFor(fakePrometheus(nodeSeries));
    const whole = await collect((onHours) =>
      fetchNodeUsage(client, { ...DEFAULT_NODE_SETTINGS }, window4h, onHours),
    );
    const hourly = await collect((onHours) =>
      fetchNodeUsage(
        client,
        { ...DEFAULT_NODE_SETTINGS, maxChunkHours: 1, prefetch: false },
        window4h,
        onHours,
      ),
    );
    expect(hourly.chunkEnds).toHaveLength(4);
    expect(hourly.rows).toEqual(whole.rows);
  });

  it('escapes idle modes and caller matchers into the query', async () => {
    const { client, server } = await clientFor(fakePrometheus([]));
    const settings: NodeUsageSettings = {
      ...DEFAULT_NODE_SETTINGS,
      idleModes: ['idle', 'io.wait'],
      matchers: [matcher('owner', '=', 'x"} or vector(1) #')],
    };
    const { rows } = await collect((onHours) =>
      fetchNodeUsage(client, settings, window4h, onHours),
    );
    expect(rows).toEqual([]);
    const query = new URLSearchParams(server.requests[0]?.body).get('query');
    expect(query).toContain(
      'node_cpu_seconds_total{owner="x\\"} or vector(1) #",mode!~"idle|io\\\\.wait"}',
    );
  });

  it('hands over finished chunks and then fails cleanly when a later chunk fails', async () => {
    const healthy = fakePrometheus(nodeSeries);
    const { client } = await clientFor((request, res) => {
      const start = Number(new URLSearchParams(request.body).get('start'));
      if (start >= T0 + 2 * HOUR) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: 'error',
            errorType: 'unavailable',
            error: 'storage unavailable',
          }),
        );
        return;
      }
      healthy(request, res);
    });
    const chunkEnds: number[] = [];
    const run = fetchNodeUsage(
      client,
      { ...DEFAULT_NODE_SETTINGS, maxChunkHours: 1 },
      window4h,
      (_, chunkEnd) => {
        chunkEnds.push((chunkEnd.getTime() / 1000 - T0) / HOUR);
      },
    );
    await expect(run).rejects.toThrow(DataSourceError);
    // Chunks [0,1) and [1,2) were complete; the failing third never reached the caller.
    expect(chunkEnds).toEqual([1, 2]);
  });

  it('rejects unaligned windows, bad steps, label names and selectors', async () => {
    const { client } = await clientFor(fakePrometheus([]));
    const noop = (): void => undefined;
    const unaligned = { from: new Date((T0 + 60) * 1000), to: window4h.to };
    await expect(
      fetchNodeUsage(client, { ...DEFAULT_NODE_SETTINGS }, unaligned, noop),
    ).rejects.toThrow(InternalError);
    await expect(
      fetchNodeUsage(client, { ...DEFAULT_NODE_SETTINGS, stepSeconds: 7 }, window4h, noop),
    ).rejects.toThrow(UsageError);
    await expect(
      fetchNodeUsage(client, { ...DEFAULT_NODE_SETTINGS, ownerLabel: 'own er' }, window4h, noop),
    ).rejects.toThrow(ConfigError);
    await expect(
      fetchNodeUsage(
        client,
        { ...DEFAULT_NODE_SETTINGS, selector: 'job="a"} or vector(1) #' },
        window4h,
        noop,
      ),
    ).rejects.toThrow(/workspaces\.selector: label matchers/);
  });
});

describe('fetchPodUsage', () => {
  // Pod shop/web-abc-x starts at 00:30 (first sample 00:30:15) and ends at 01:15:00.
  const podStart = T0 + 1800;
  const podEnd = T0 + HOUR + 900;
  const running = (time: number): boolean => time > podStart && time <= podEnd;
  const pod = { namespace: 'shop', pod: 'web-abc-x' };
  const podSeries = [
    {
      match: (q: string) => q.includes('container_cpu_usage_seconds_total'),
      metric: { ...pod, container: 'app' },
      at: (t: number) => (running(t) ? (t - podStart) * 0.5 : null),
    },
    {
      match: (q: string) => q.includes('container_cpu_usage_seconds_total'),
      metric: { ...pod, container: 'sidecar' },
      at: (t: number) => (running(t) ? (t - podStart) * 0.1 : null),
    },
    // kube-state-metrics keeps reporting the request from before the start to long after the end.
    {
      match: (q: string) => q.includes('kube_pod_container_resource_requests'),
      metric: pod,
      at: (t: number) => (t > podStart - 60 && t < podEnd + 1800 ? 1.5 : null),
    },
    {
      match: (q: string) => q.includes('container_memory_working_set_bytes'),
      metric: pod,
      at: (t: number) => (running(t) ? 2 * GIB : null),
    },
  ];
  const owners: Array<{ match: string; metric: Record<string, string> }> = [
    {
      match: 'kube_pod_owner',
      metric: {
        ...pod,
        owner_kind: 'ReplicaSet',
        owner_name: 'web-abc',
        owner_is_controller: 'true',
      },
    },
    {
      match: 'kube_replicaset_owner',
      metric: {
        namespace: 'shop',
        replicaset: 'web-abc',
        owner_kind: 'Deployment',
        owner_name: 'web',
      },
    },
  ];

  it('charges reserved cores only for the time the pod ran and rolls it up to its Deployment', async () => {
    const { client, server } = await clientFor(fakePrometheus(podSeries, owners));
    const { rows } = await collect((onHours) =>
      fetchPodUsage(client, { selector: '' }, window4h, onHours),
    );

    const labels = {
      namespace: 'shop',
      pod: 'web-abc-x',
      workload: 'web',
      workloadKind: 'Deployment',
    };
    expect(rows).toEqual([
      {
        // 00:30-01:00: 0.6 cores × 1800 s = 1080 busy; 1.5 × 1800 = 2700 reserved; 2 GiB × 0.5 h.
        source: 'pods',
        entityId: 'shop/web-abc-x',
        hourStart: new Date(T0 * 1000),
        busySeconds: 1080,
        idleSeconds: 1620,
        reservedCoreSeconds: 2700,
        memoryGiBHours: 1,
        labels,
        coverage: 0.5,
        gapInterpolated: false,
      },
      {
        // 01:00-01:15: 0.6 × 900 = 540 busy; 1.5 × 900 = 1350 reserved (not the hour the request stayed reported).
        source: 'pods',
        entityId: 'shop/web-abc-x',
        hourStart: new Date((T0 + HOUR) * 1000),
        busySeconds: 540,
        idleSeconds: 810,
        reservedCoreSeconds: 1350,
        memoryGiBHours: 0.5,
        labels,
        coverage: 0.25,
        gapInterpolated: false,
      },
    ]);
    const queries = server.requests.map(
      (request) => new URLSearchParams(request.body).get('query') ?? '',
    );
    expect(queries).toContain(
      'sum by (namespace, pod, container) (last_over_time(container_cpu_usage_seconds_total{container!="",container!="POD"}[14999ms]))',
    );
  });

  it('on a Prometheus whose data begins with this pod, its first sample is a base, not usage', async () => {
    // No cAdvisor samples at all before the pod appears (count() answers nothing): it may have
    // run for days before, so its first value (0.6 cores × 15 s = 9 s) cannot be placed in time.
    // 00:30-01:00 then has 119 of 120 steps: busy 1080 − 9 = 1071, reserved 1.5 × 1785 = 2677.5.
    const { client, server } = await clientFor(fakePrometheus(podSeries, owners, () => 0));
    const { rows } = await collect((onHours) =>
      fetchPodUsage(client, { selector: '' }, window4h, onHours),
    );
    expect(rows[0]).toMatchObject({ busySeconds: 1071, reservedCoreSeconds: 2677.5 });
    expect(rows[0]?.coverage).toBeCloseTo(119 / 240, 12);
    // The check asked about the unfiltered metric a staleness window before the first sample.
    const check = server.requests
      .map((request) => new URLSearchParams(request.body))
      .find((params) => params.get('query')?.startsWith('count('));
    expect(check?.get('query')).toBe(
      'count(last_over_time(container_cpu_usage_seconds_total{container!="",container!="POD"}[300s]))',
    );
    expect(Number(check?.get('time'))).toBe(podStart + 15 - 300);
  });

  it('names a pod without a controller after itself', async () => {
    const { client } = await clientFor(fakePrometheus(podSeries, []));
    const { rows } = await collect((onHours) =>
      fetchPodUsage(client, { selector: '' }, window4h, onHours),
    );
    expect(rows[0]?.labels).toEqual({
      namespace: 'shop',
      pod: 'web-abc-x',
      workload: 'web-abc-x',
      workloadKind: 'Pod',
    });
  });

  it('detects pods when cAdvisor metrics exist in the window, nodes when only node_exporter does, null without data', async () => {
    const { client: withPods } = await clientFor((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [T0, '12'] }] },
        }),
      );
    });
    const queries: string[] = [];
    const { client: nodesOnly } = await clientFor((req, res) => {
      const query =
        new URL(req.url, 'http://x').searchParams.get('query') ??
        new URLSearchParams(req.body).get('query') ??
        '';
      queries.push(query);
      const count = query.includes('node_cpu_seconds_total')
        ? [{ metric: {}, value: [T0, '4'] }]
        : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: count } }));
    });
    const { client: empty } = await clientFor(fakePrometheus([]));
    const window = { from: new Date((T0 - 7200) * 1000), to: new Date(T0 * 1000) };
    expect(await detectSource(withPods, window)).toBe('pods');
    expect(await detectSource(nodesOnly, window)).toBe('nodes');
    // The whole window is looked at: a two-hour look-back ending at the window's end.
    expect(queries[0]).toContain('[7200s]');
    expect(await detectSource(empty, window)).toBeNull();
  });
});

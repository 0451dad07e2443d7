/**
 * `clusters list|show` against two real Prometheus servers (Debian's, backfilled with promtool):
 * `prod`, a Kubernetes cluster (kube-state-metrics + cAdvisor) whose newest sample is 15 s old,
 * and `lab`, a node_exporter fleet whose data ended 27 hours before now — stale, shown with its
 * last known inventory. Every expected number is computed by hand from the series written here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/context.js';
import { startLoopbackServer } from '../helpers/loopback-server.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';
import type { ClusterInventory } from '../../src/commands/clusters/inventory.js';
import { seedShape, shapeMismatches } from '../helpers/shapes.js';

// Until the lead adds `budget` and `clusters` to src/commands/registry.ts, register them for
// these tests; once registered this adds nothing.

const binaries = prometheusBinaries();
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const STEP = 15;
const NOW = new Date('2026-11-21T12:00:00Z');

/** OpenMetrics text: families in order, each series' samples contiguous, `# EOF` at the end. */
class OpenMetrics {
  private families = new Map<string, { type: 'counter' | 'gauge'; lines: string[] }>();

  series(
    family: string,
    type: 'counter' | 'gauge',
    labels: Record<string, string>,
    from: number,
    to: number,
    value: (time: number) => number,
  ): void {
    let entry = this.families.get(family);
    if (entry === undefined) {
      entry = { type, lines: [] };
      this.families.set(family, entry);
    }
    const name = type === 'counter' ? `${family}_total` : family;
    const labelText = Object.entries(labels)
      .map(([key, v]) => `${key}="${v}"`)
      .join(',');
    for (let time = from; time <= to; time += STEP)
      entry.lines.push(`${name}{${labelText}} ${value(time)} ${time}`);
  }

  text(): string {
    const parts: string[] = [];
    for (const [family, { type, lines }] of this.families)
      parts.push(`# TYPE ${family} ${type}`, ...lines);
    return parts.join('\n') + '\n# EOF\n';
  }
}

/** prod: 2 nodes (4 + 8 cores, 16 + 32 GiB, 110 pods each), 4 running pods, one completed. */
function prodData(): string {
  const from = Date.parse('2026-11-21T11:00:00Z') / 1000;
  const to = Date.parse('2026-11-21T11:59:45Z') / 1000;
  const om = new OpenMetrics();
  const allocatable: Array<[string, string, string, number]> = [
    ['n1', 'cpu', 'core', 4],
    ['n1', 'memory', 'byte', 16 * GIB],
    ['n1', 'pods', 'integer', 110],
    ['n2', 'cpu', 'core', 8],
    ['n2', 'memory', 'byte', 32 * GIB],
    ['n2', 'pods', 'integer', 110],
  ];
  for (const [node, resource, unit, value] of allocatable) {
    om.series(
      'kube_node_status_allocatable',
      'gauge',
      { node, resource, unit },
      from,
      to,
      () => value,
    );
  }
  // Capacity before system reservations: 4 + 8 cores, 17 + 34 GiB.
  for (const [node, resource, unit, value] of [
    ['n1', 'cpu', 'core', 4],
    ['n1', 'memory', 'byte', 17 * GIB],
    ['n2', 'cpu', 'core', 8],
    ['n2', 'memory', 'byte', 34 * GIB],
  ] as const) {
    om.series(
      'kube_node_status_capacity',
      'gauge',
      { node, resource, unit },
      from,
      to,
      () => value,
    );
  }
  // The API server's version, and two kubelets one patch behind.
  om.series(
    'kubernetes_build_info',
    'gauge',
    { git_version: 'v1.30.2', job: 'apiserver' },
    from,
    to,
    () => 1,
  );
  for (const node of ['n1', 'n2']) {
    om.series(
      'kubernetes_build_info',
      'gauge',
      { git_version: 'v1.30.1', job: 'kubelet', node },
      from,
      to,
      () => 1,
    );
  }
  // db-0 restarted 3 times, the last one an OOM kill.
  om.series(
    'kube_pod_container_status_restarts',
    'counter',
    { container: 'pg', namespace: 'shop', pod: 'db-0' },
    from,
    to,
    () => 3,
  );
  om.series(
    'kube_pod_container_status_restarts',
    'counter',
    { container: 'app', namespace: 'shop', pod: 'web-aaa-1' },
    from,
    to,
    () => 0,
  );
  om.series(
    'kube_pod_container_status_last_terminated_reason',
    'gauge',
    { container: 'pg', namespace: 'shop', pod: 'db-0', reason: 'OOMKilled' },
    from,
    to,
    () => 1,
  );
  // namespace, pod, container, cores used, working set, cpu request, memory request, owner.
  const pods: Array<[string, string, string, number, number, number, number, string, string]> = [
    ['shop', 'web-aaa-1', 'app', 0.5, 256 * MIB, 0.25, 512 * MIB, 'ReplicaSet', 'web-aaa'],
    ['shop', 'web-bbb-2', 'app', 0.5, 256 * MIB, 0.25, 512 * MIB, 'ReplicaSet', 'web-bbb'],
    ['shop', 'db-0', 'pg', 1, 2 * GIB, 1, 4 * GIB, 'StatefulSet', 'db'],
    ['ci', 'build-1-x', 'build', 2, 1 * GIB, 2, 2 * GIB, 'Job', 'build-1'],
  ];
  for (const [namespace, pod, container, cores, bytes] of pods) {
    om.series(
      'container_cpu_usage_seconds',
      'counter',
      { container, namespace, pod },
      from,
      to,
      (t) => 1000 + cores * (t - from),
    );
    om.series(
      'container_memory_working_set_bytes',
      'gauge',
      { container, namespace, pod },
      from,
      to,
      () => bytes,
    );
  }
  // The pod-level cgroup and the pause container must not count.
  om.series(
    'container_cpu_usage_seconds',
    'counter',
    { container: '', namespace: 'shop', pod: 'db-0' },
    from,
    to,
    (t) => 5000 + 1 * (t - from),
  );
  om.series(
    'container_cpu_usage_seconds',
    'counter',
    { container: 'POD', namespace: 'shop', pod: 'db-0' },
    from,
    to,
    (t) => 10 + 0.01 * (t - from),
  );
  om.series(
    'container_memory_working_set_bytes',
    'gauge',
    { container: '', namespace: 'shop', pod: 'db-0' },
    from,
    to,
    () => 5 * GIB,
  );
  // A completed CI pod whose requests kube-state-metrics still reports.
  const requests = [
    ...pods,
    ['ci', 'build-0-y', 'build', 0, 0, 4, 8 * GIB, 'Job', 'build-0'] as const,
  ];
  for (const [namespace, pod, container, , , cpu, memory, kind, owner] of requests) {
    om.series(
      'kube_pod_container_resource_requests',
      'gauge',
      { container, namespace, pod, resource: 'cpu', unit: 'core' },
      from,
      to,
      () => cpu,
    );
    om.series(
      'kube_pod_container_resource_requests',
      'gauge',
      { container, namespace, pod, resource: 'memory', unit: 'byte' },
      from,
      to,
      () => memory,
    );
    om.series(
      'kube_pod_owner',
      'gauge',
      { namespace, owner_is_controller: 'true', owner_kind: kind, owner_name: owner, pod },
      from,
      to,
      () => 1,
    );
  }
  for (const replicaset of ['web-aaa', 'web-bbb']) {
    om.series(
      'kube_replicaset_owner',
      'gauge',
      { namespace: 'shop', owner_kind: 'Deployment', owner_name: 'web', replicaset },
      from,
      to,
      () => 1,
    );
  }
  om.series(
    'kube_job_owner',
    'gauge',
    { job_name: 'build-1', namespace: 'ci', owner_kind: '<none>', owner_name: '<none>' },
    from,
    to,
    () => 1,
  );
  return om.text();
}

/** lab: node_exporter only, lab-1 (4 CPUs) and lab-2 (2 CPUs), plus a decoy the selector excludes. */
function labData(): string {
  const from = Date.parse('2026-11-20T08:00:00Z') / 1000;
  const to = Date.parse('2026-11-20T09:00:00Z') / 1000;
  const om = new OpenMetrics();
  const hosts: Array<[string, string, number, Record<string, number>, number, number]> = [
    ['lab-1', 'node', 4, { user: 0.5, iowait: 0.1, idle: 0.4 }, 16 * GIB, 12 * GIB],
    ['lab-2', 'node', 2, { user: 0.25, iowait: 0, idle: 0.75 }, 8 * GIB, 2 * GIB],
    ['decoy', 'other', 2, { user: 1, iowait: 0, idle: 0 }, 64 * GIB, 0],
  ];
  for (const [instance, job, cpus, modes] of hosts) {
    for (let cpu = 0; cpu < cpus; cpu++) {
      for (const [mode, rate] of Object.entries(modes)) {
        om.series(
          'node_cpu_seconds',
          'counter',
          { cpu: String(cpu), instance, job, mode },
          from,
          to,
          (t) => 100_000 + rate * (t - from),
        );
      }
    }
  }
  for (const [instance, job, , , total] of hosts) {
    om.series('node_memory_MemTotal_bytes', 'gauge', { instance, job }, from, to, () => total);
  }
  for (const [instance, job, , , , available] of hosts) {
    om.series(
      'node_memory_MemAvailable_bytes',
      'gauge',
      { instance, job },
      from,
      to,
      () => available,
    );
  }
  return om.text();
}

describe.skipIf(binaries === null)('clusters against real Prometheus servers', () => {
  let prod: TestPrometheus;
  let lab: TestPrometheus;
  let dir: string;

  beforeAll(async () => {
    [prod, lab] = await Promise.all([
      startPrometheus({ openMetricsText: prodData() }),
      startPrometheus({ openMetricsText: labData() }),
    ]);
    dir = tempDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        intensity: { provider: 'fixed', fixed: 200 },
        clusters: [
          {
            name: 'prod',
            provider: 'aws',
            region: 'eu-west-1',
            environment: 'production',
            prometheus: { url: prod.url },
          },
          {
            name: 'lab',
            provider: 'on-prem',
            environment: 'staging',
            prometheus: { url: lab.url },
            workspaces: { selector: 'job="node"' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await prod?.close();
    await lab?.close();
  });

  const list = async (...args: string[]) => {
    const result = await run(['clusters', ...args, '-o', 'json'], { now: NOW, dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as { data: ClusterInventory[]; meta: { total: number } };
  };

  it('reports a Kubernetes cluster’s capacity, utilization, counts and run rate', async () => {
    const { data, meta } = await list();
    expect(meta.total).toBe(2);
    const prodCluster = data.find((c) => c.id === 'prod')!;
    expect(prodCluster).toMatchObject({
      id: 'prod',
      kind: 'Cluster',
      metadata: {
        name: 'prod',
        provider: 'aws',
        region: 'eu-west-1',
        environment: 'production',
        status: 'active',
        is_stale: false,
        // Newest sample 11:59:45, 15 s before now.
        last_sample_at: '2026-11-21T11:59:45.000Z',
        staleness_seconds: 15,
        evaluated_at: '2026-11-21T12:00:00.000Z',
        capacity_source: 'kube-state-metrics',
        kubernetes: true,
        node_count: 2,
        namespace_count: 2,
        // Deployment web (two ReplicaSets), StatefulSet db, Job build-1.
        workload_count: 3,
        pod_count: 4,
      },
      // 4 + 8 cores, 16 + 32 GiB, 110 + 110 pods allocatable; 12 cores and 51 GiB in total.
      capacity: {
        cpu_cores: 12,
        memory_bytes: 48 * GIB,
        cpu: { total_cores: 12, allocatable_cores: 12 },
        memory: { total_bytes: 51 * GIB, allocatable_bytes: 48 * GIB },
        pods: { allocatable: 220 },
      },
    });
    // Kubeadapt's version, counts, restarts and OOM kills: the API server's version wins over
    // the kubelets'; 5 pods known to kube-state-metrics (the completed build-0 too), 4 running;
    // Deployment web, StatefulSet db and Job build-1 among the running pods.
    expect(prodCluster.metadata.k8s_version).toBe('v1.30.2');
    expect(prodCluster.utilization.counts).toEqual({
      nodes: 2,
      namespaces: 2,
      workloads: 3,
      deployments: 1,
      statefulsets: 1,
      daemonsets: 0,
      jobs: 1,
      cronjobs: 0,
      pods: 5,
      running_pods: 4,
      containers: 5,
      running_containers: 4,
    });
    // Kubeadapt's documented cluster keys, each with the same JSON type (contract test).
    expect(shapeMismatches(seedShape('kubeadapt-cluster.json'), prodCluster)).toEqual([]);
    expect(prodCluster.utilization.restarts_total).toBe(3);
    expect(prodCluster.utilization.oom_kills_total).toBe(1);
    const u = prodCluster.utilization;
    // Used: 0.5 + 0.5 + 1 + 2 = 4 cores (the pod cgroup and pause container excluded) = 33.3 %.
    expect(u.cpu_used_cores).toBeCloseTo(4, 9);
    expect(u.cpu_used_percent).toBeCloseTo(33.333333, 5);
    // Requested by running pods: 0.25 + 0.25 + 1 + 2 = 3.5 cores (29.17 %); 0.5 + 0.5 + 4 + 2 = 7 GiB (14.58 %).
    expect(u.cpu_requested_cores).toBeCloseTo(3.5, 12);
    expect(u.cpu_requested_percent).toBeCloseTo(29.166667, 5);
    expect(u.memory_requested_bytes).toBe(7 * GIB);
    expect(u.memory_requested_percent).toBeCloseTo(14.583333, 5);
    // Working set: 256 + 256 MiB + 2 + 1 GiB = 3.5 GiB (7.29 %).
    expect(u.memory_used_bytes).toBe(3.5 * GIB);
    expect(u.memory_used_percent).toBeCloseTo(7.2916667, 6);
    expect(u.cpu.requested_cores).toBeCloseTo(3.5, 12);
    expect(u.cpu.used_cores).toBeCloseTo(4, 9);
    expect(u.cpu.utilization_percent).toBeCloseTo(33.333333, 5);
    expect(u.memory).toEqual({
      requested_bytes: 7 * GIB,
      used_bytes: 3.5 * GIB,
      utilization_percent: u.memory_used_percent,
    });
    // Run rate: the last complete hour (11:00–12:00) metered as track accounts it (issue #9:
    // one number). The data begins at 11:00:00 (those samples are bases), so 239 steps of 15 s
    // = 3585 s are covered. Busy = 4 cores × 3585 = 14,340 core-s; each pod uses at least its
    // request, so reserved − busy = 0 idle. 14,340 × 12 W / 3.6e6 = 0.0478 kWh × 200 = 9.56 g/h;
    // × 730 h = 6.9788 kg.
    expect(prodCluster.metadata.source).toBe('pods');
    expect(prodCluster.carbon.run_rate_window).toEqual({
      from: '2026-11-21T11:00:00.000Z',
      to: '2026-11-21T12:00:00.000Z',
    });
    expect(prodCluster.carbon.hourly_energy_kwh).toBeCloseTo(0.0478, 12);
    expect(prodCluster.carbon.hourly_co2e_g).toBeCloseTo(9.56, 9);
    expect(prodCluster.carbon.monthly_co2e_kg).toBeCloseTo(6.9788, 9);
    expect(prodCluster.carbon).toMatchObject({
      intensity_g_per_kwh: 200,
      intensity_provider: 'fixed',
      is_estimated: false,
    });
    // Cost: 14,340 / 3600 core-h × 0.031611 + working set 3.5 GiB × 3585/3600 h × 0.004237
    // = 0.125917… + 0.014768… = 0.140685… USD/h.
    const prodCost = (14_340 / 3600) * 0.031611 + ((3.5 * 3585) / 3600) * 0.004237;
    expect(prodCluster.cost.hourly).toBeCloseTo(prodCost, 12);
    expect(prodCluster.cost.monthly).toBeCloseTo(prodCost * 730, 9);
    expect(prodCluster.cost.currency).toBe('USD');
    expect(prodCluster.cost.current_run_rate_hourly.currency).toBe('USD');
    expect(prodCluster.cost.current_run_rate_hourly.amount).toBeCloseTo(prodCost, 12);
  });

  it('shows a cluster whose data ended long ago as stale, with its last known inventory', async () => {
    const { data } = await list();
    const labCluster = data.find((c) => c.id === 'lab')!;
    expect(labCluster.metadata).toMatchObject({
      status: 'stale',
      is_stale: true,
      last_sample_at: '2026-11-20T09:00:00.000Z',
      // 2026-11-20T09:00 → 2026-11-21T12:00 = 27 h.
      staleness_seconds: 97_200,
      evaluated_at: '2026-11-20T09:00:00.000Z',
      capacity_source: 'node_exporter',
      kubernetes: false,
      // lab-1 and lab-2; the decoy (job="other") is outside workspaces.selector.
      node_count: 2,
      pod_count: null,
      workload_count: null,
    });
    // 4 + 2 CPUs; 16 + 8 GiB.
    expect(labCluster.capacity).toEqual({
      cpu_cores: 6,
      memory_bytes: 24 * GIB,
      cpu: { total_cores: 6, allocatable_cores: 6 },
      memory: { total_bytes: 24 * GIB, allocatable_bytes: 24 * GIB },
      pods: { allocatable: null },
    });
    expect(labCluster.metadata.k8s_version).toBeNull();
    expect(labCluster.utilization).toMatchObject({
      restarts_total: null,
      oom_kills_total: null,
      counts: { nodes: 2, pods: null, workloads: null, running_containers: null },
    });
    // Busy (not idle/iowait): 4 × 0.5 + 2 × 0.25 = 2.5 cores (41.7 %); used memory (16 − 12) + (8 − 2) = 10 GiB.
    expect(labCluster.utilization.cpu_used_cores).toBeCloseTo(2.5, 9);
    expect(labCluster.utilization.cpu_used_percent).toBeCloseTo(41.666667, 5);
    expect(labCluster.utilization.memory_used_bytes).toBe(10 * GIB);
    expect(labCluster.utilization.cpu_requested_cores).toBeNull();
    // The run rate is its last complete hour before the newest sample, 08:00–09:00, metered as
    // track accounts workspaces: busy (user) 4 × 0.5 × 3600 + 2 × 0.25 × 3600 = 9000 core-s,
    // idle (idle + iowait) 4 × 0.5 × 3600 + 2 × 0.75 × 3600 = 12,600 → (9000 × 12 + 12,600 × 1)
    // / 3.6e6 = 0.0335 kWh × 200 = 6.7 g/h.
    expect(labCluster.metadata.source).toBe('nodes');
    expect(labCluster.carbon.hourly_co2e_g).toBeCloseTo(6.7, 9);
    // 6 core-h × 0.031611 = 0.189666 USD/h (workspaces are accounted without memory).
    expect(labCluster.cost.hourly).toBeCloseTo(0.189666, 12);
  });

  it('filters by status, provider and environment', async () => {
    expect((await list('--status', 'stale')).data.map((c) => c.id)).toEqual(['lab']);
    expect((await list('list', '--status', 'active,stale')).data.map((c) => c.id)).toEqual([
      'prod',
      'lab',
    ]);
    expect((await list('--provider', 'aws,gcp')).data.map((c) => c.id)).toEqual(['prod']);
    expect((await list('--environment', 'staging')).data.map((c) => c.id)).toEqual(['lab']);
    const none = await run(['clusters', '--provider', 'azure', '-o', 'json'], { now: NOW, dir });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual({ data: [], meta: { total: 0 } });
    expect(none.stderr).toContain('no configured cluster matches the filters');
  });

  it('filters by region and sorts by run rate', async () => {
    expect((await list('--region', 'eu-west-1')).data.map((c) => c.id)).toEqual(['prod']);
    // lab has no region: it matches no --region filter.
    const region = await run(['clusters', '--region', 'us-east-1'], { now: NOW, dir });
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('--region us-east-1: unknown value (allowed: eu-west-1)');
    // lab costs 0.1897 /h, prod 0.1407 /h: lab first.
    expect((await list('--sort', 'run-rate')).data.map((c) => c.id)).toEqual(['lab', 'prod']);
    expect((await list('--sort', 'name')).data.map((c) => c.id)).toEqual(['lab', 'prod']);
    expect((await list()).data.map((c) => c.id)).toEqual(['prod', 'lab']);
  });

  it('refuses unknown filter values, listing the allowed set (exit 2)', async () => {
    const environment = await run(['clusters', '--environment', 'prod'], { now: NOW, dir });
    expect(environment.code).toBe(2);
    expect(environment.stderr).toContain(
      '--environment prod: unknown value (allowed: production, staging)',
    );
    const status = await run(['clusters', 'list', '--status', 'active,dead'], { now: NOW, dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--status dead: unknown value (allowed: active, stale)');
  });

  it('prints a plain table off a terminal and a CSV with full precision', async () => {
    const table = await run(['clusters'], { now: NOW, dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^Cluster\s+Provider\s+Environment\s+Status\s+Nodes\s+CPU cores\s+Memory \(GiB\)/,
    );
    expect(table.stdout).toMatch(
      /\nprod\s+aws\s+production\s+active\s+2\s+12\s+48\s+29\.2%\s+33\.3%\s+7\.29%\s+4\s+3\s+0\.141\s+9\.56\s+2026-11-21T11:59:45\.000Z\n/,
    );
    expect(table.stdout).toMatch(
      // The stale cluster shows its last known figures and their age (27 h).
      /\nlab\s+on-prem\s+staging\s+stale \(1 d 3 h old\)\s+2\s+6\s+24\s+41\.7%\s+41\.7%\s+0\.19\s+6\.7\s+2026-11-20T09:00:00\.000Z\n/,
    );
    const csv = await run(['clusters', '-o', 'csv'], { now: NOW, dir });
    expect(csv.code).toBe(0);
    const [header, first] = csv.stdout.split('\n');
    expect(header).toBe(
      'Cluster,Provider,Environment,Status,Nodes,CPU cores,Memory (GiB),CPU requested,CPU used,Memory used,Pods,Workloads,Cost (USD/h),gCO2e/h,Last sample',
    );
    expect(first!.startsWith('prod,aws,production,active,2,12,48,29.16666')).toBe(true);
  });

  it('shows one cluster, and refuses an unknown name', async () => {
    const shown = await run(['clusters', 'show', 'lab', '-o', 'json'], { now: NOW, dir });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).data).toMatchObject({
      id: 'lab',
      metadata: { status: 'stale' },
    });
    const table = await run(['clusters', 'show', 'prod'], { now: NOW, dir });
    expect(table.stdout).toMatch(/Workloads\s+3\n/);
    expect(table.stdout).toMatch(/Carbon \(gCO2e\/h\)\s+9\.56\n/);
    const unknown = await run(['clusters', 'show', 'nope'], { now: NOW, dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('cluster nope is not a configured cluster');
    expect(unknown.stderr).toContain('Configured clusters: prod, lab.');
  });

  it('exits 3 when a configured Prometheus is down', async () => {
    const down = tempDir();
    mkdirSync(join(down, 'config'), { recursive: true });
    // A port that was just free: nothing listens there any more.
    const closed = await startLoopbackServer(() => undefined);
    const url = closed.url;
    await closed.close();
    writeFileSync(
      join(down, 'config', 'config.json'),
      JSON.stringify({ clusters: [{ name: 'gone', prometheus: { url } }] }),
    );
    const result = await run(['clusters'], { now: NOW, dir: down });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`Prometheus "gone" at ${url}/`);
  });
});

/**
 * The statistics behind recommendations (SPEC §8), gathered from one Prometheus for a window
 * `[from, to)` with server-side aggregation, so a 14-day lookback costs a few dozen queries and
 * kilobytes of answers rather than every raw sample:
 *
 * - per container of real containers (`container!=""`, `container!="POD"`): CPU usage as 5-minute
 *   rates and memory working set, sampled by a subquery over the window at a fixed resolution, as
 *   p50/p95/p99/configured percentile/max (`quantile_over_time`, `max_over_time`), mean
 *   (`sum_over_time` / `count_over_time`) and the number of points analysed;
 * - requests (`kube_pod_container_resource_requests`), restarts
 *   (`kube_pod_container_status_restarts_total`) and OOM kills
 *   (`kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}`), which pods still run
 *   at the window's end, and owners rolled up pod → ReplicaSet → Deployment / Job → CronJob
 *   (`kube_pod_owner`, `kube_replicaset_owner`, `kube_job_owner`; core/clusters.ts `podWorkload`, via owners.ts);
 * - batch pods' CPU-seconds per UTC hour (`increase(…[1h])` on the hour grid), for pods owned by a
 *   Job or running in a CI namespace;
 * - per node_exporter host: busy and idle core-seconds (`increase` of `node_cpu_seconds_total`,
 *   idle = the configured idle modes), cores, and the busy cores' distribution.
 *
 * Every label value that comes from configuration goes through promql.ts (`matcher`,
 * `safeMatchers`), so no user text reaches a query unescaped.
 */
import { podWorkload, type OwnerReferences } from '../../core/clusters.js';
import { ownerReferences } from './owners.js';
import {
  BATCH_GROUP_KIND,
  CI_NAMESPACE_PATTERN,
  isBatchWorkload,
  type BatchUsageStats,
  type ContainerUsageStats,
  type HostUsageStats,
  type UsageDistribution,
  type WorkloadUsageStats,
} from '../../core/recommendations.js';
import { ConfigError, UsageError } from '../../errors.js';
import type { PrometheusClient, VectorSample } from './client.js';
import {
  anyOfRegex,
  isValidLabelName,
  matcher,
  rangeMs,
  configMatchers,
  selector,
  type MatcherText,
} from './promql.js';

const HOUR_MS = 3_600_000;
/** Default subquery resolution: 5 minutes, the usual rate window (reference/prometheus.md). */
const DEFAULT_RESOLUTION_SECONDS = 300;
/** Keep subqueries under ~10,000 points per series (Prometheus `query.max-samples` is 50 M). */
const MAX_SUBQUERY_POINTS = 10_000;
/** Prometheus's default lookback delta: a series with no sample in the last 5 minutes is gone. */
const DEFAULT_STALENESS_SECONDS = 300;
/** Queries in flight at once against one server (its default `query.max-concurrency` is 20). */
const MAX_CONCURRENT_QUERIES = 4;

/** Real containers only: the pod cgroup (`container=""`) and pause container would double-count. */
const CONTAINER_MATCHERS: readonly MatcherText[] = [
  matcher('container', '!=', ''),
  matcher('container', '!=', 'POD'),
];

/** The window and knobs shared by both sources. */
export interface StatsWindowOptions {
  /** Analysis window `[from, to)`; every statistic is evaluated at `to`. */
  from: Date;
  to: Date;
  /** Scrape interval of cAdvisor / node_exporter, seconds (sets the rate window; default 15). */
  scrapeIntervalSeconds?: number;
  /** Subquery resolution, seconds (default 5 min, coarser for windows over ~35 days). */
  resolutionSeconds?: number;
}

/** cAdvisor + kube-state-metrics: percentiles and limits of the configured percentiles. */
export interface WorkloadStatsOptions extends StatsWindowOptions {
  /** Config `recommendations.cpuPercentile` (0–100]. */
  cpuPercentile: number;
  /** Config `recommendations.memoryPercentile` (0–100]. */
  memoryPercentile: number;
  /** Extra matchers from the config, applied to every pod metric; validated and re-rendered. */
  selector?: string;
  /** Further matchers built by the caller with `matcher()`. */
  matchers?: readonly MatcherText[];
}

/** node_exporter workspaces (config `clusters[].workspaces`, `power.idleModes`). */
export interface HostStatsOptions extends StatsWindowOptions {
  hostLabel: string;
  /** Extra matchers from the config (`workspaces.selector`). */
  selector: string;
  idleModes: readonly string[];
  matchers?: readonly MatcherText[];
}

/** What the pods source yields: long-running workloads and batch work. */
export interface PodStats {
  workloads: WorkloadUsageStats[];
  batch: BatchUsageStats[];
  /** Subquery resolution used, seconds. */
  resolutionSeconds: number;
}

interface Window {
  fromMs: number;
  toMs: number;
  windowMs: number;
  resolutionSeconds: number;
  rateRange: string;
  stalenessRange: string;
  /** `[W−1ms:R]`: exactly W/R points on both Prometheus 2.x (closed) and 3.x (left-open) ranges. */
  subquery: string;
  /** `[W]` for range functions over raw samples. */
  range: string;
}

function resolveWindow(options: StatsWindowOptions): Window {
  const fromMs = options.from.getTime();
  const toMs = options.to.getTime();
  if (!(toMs > fromMs)) {
    throw new UsageError(
      `the analysis window is empty (${options.from.toISOString()} .. ${options.to.toISOString()})`,
      { hint: 'Give a --from before --to, or a positive --lookback.' },
    );
  }
  const windowMs = toMs - fromMs;
  if (windowMs < HOUR_MS) {
    throw new UsageError(
      `the analysis window ${options.from.toISOString()} .. ${options.to.toISOString()} is shorter than an hour`,
      { hint: 'Recommendations need hours to days of history: use e.g. --lookback 14d.' },
    );
  }
  const scrape = options.scrapeIntervalSeconds ?? 15;
  const resolutionSeconds =
    options.resolutionSeconds ??
    Math.max(
      DEFAULT_RESOLUTION_SECONDS,
      Math.ceil(windowMs / 1000 / MAX_SUBQUERY_POINTS / 60) * 60,
    );
  // A rate needs at least two samples in its window: 4 scrapes, and never under 5 minutes.
  const rateSeconds = Math.max(300, 4 * scrape);
  const stalenessSeconds = Math.max(DEFAULT_STALENESS_SECONDS, 2 * scrape);
  return {
    fromMs,
    toMs,
    windowMs,
    resolutionSeconds,
    rateRange: rangeMs(rateSeconds * 1000),
    stalenessRange: rangeMs(stalenessSeconds * 1000),
    subquery: `[${rangeMs(windowMs - 1)}:${rangeMs(resolutionSeconds * 1000)}]`,
    range: rangeMs(windowMs),
  };
}

/** A quantile as a PromQL float literal: 95 → `0.95`. */
function quantileLiteral(percentile: number): string {
  if (!(percentile > 0 && percentile <= 100))
    throw new ConfigError(`a recommendation percentile must be in (0, 100], got ${percentile}`);
  return String(percentile / 100);
}

/** Runs `tasks` with at most `limit` in flight; results in order. */
async function limited<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, () => worker()));
  return results;
}

/** Values of an instant vector keyed by the given labels (non-finite values dropped). */
function keyed(samples: readonly VectorSample[], labels: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const sample of samples) {
    if (!Number.isFinite(sample.value)) continue;
    const parts = labels.map((label) => sample.metric[label]);
    if (parts.some((part) => part === undefined || part === '')) continue;
    map.set(JSON.stringify(parts), sample.value);
  }
  return map;
}

function key(...parts: string[]): string {
  return JSON.stringify(parts);
}

/** The percentile set gathered for a distribution: p50, p95, p99 and the configured one. */
function percentileSet(configured: number): number[] {
  return [...new Set([50, 95, 99, configured])];
}

interface DistributionQueries {
  percentiles: number[];
  /** One query per percentile, then max, count, and (when asked) sum. */
  queries: string[];
}

function distributionQueries(
  inner: string,
  window: Window,
  configured: number,
  withSum: boolean,
): DistributionQueries {
  const sub = `(${inner})${window.subquery}`;
  const percentiles = percentileSet(configured);
  return {
    percentiles,
    queries: [
      ...percentiles.map((p) => `quantile_over_time(${quantileLiteral(p)}, ${sub})`),
      `max_over_time(${sub})`,
      `count_over_time(${sub})`,
      ...(withSum ? [`sum_over_time(${sub})`] : []),
    ],
  };
}

/** Per-series distributions (before any roll-up) from the answers of {@link distributionQueries}. */
interface SeriesDistribution {
  byPercentile: Map<number, number>;
  max: number;
  count: number;
  sum: number | null;
}

function seriesDistributions(
  spec: DistributionQueries,
  answers: readonly VectorSample[][],
  labels: readonly string[],
): Map<string, SeriesDistribution> {
  const percentileMaps = spec.percentiles.map((_, index) => keyed(answers[index] ?? [], labels));
  const maxMap = keyed(answers[spec.percentiles.length] ?? [], labels);
  const countMap = keyed(answers[spec.percentiles.length + 1] ?? [], labels);
  const sumAnswer = answers[spec.percentiles.length + 2];
  const sumMap = sumAnswer === undefined ? null : keyed(sumAnswer, labels);
  const result = new Map<string, SeriesDistribution>();
  for (const [seriesKey, count] of countMap) {
    if (!(count > 0)) continue;
    const byPercentile = new Map<number, number>();
    spec.percentiles.forEach((p, index) => {
      const value = percentileMaps[index]?.get(seriesKey);
      if (value !== undefined) byPercentile.set(p, value);
    });
    result.set(seriesKey, {
      byPercentile,
      max: maxMap.get(seriesKey) ?? Number.NaN,
      count,
      sum: sumMap === null ? null : (sumMap.get(seriesKey) ?? null),
    });
  }
  return result;
}

/**
 * Several series' distributions as one: each percentile and the max of the busiest series (a
 * request is per pod, so the replica that needs most decides), the mean over all points, the
 * points summed.
 */
function combine(
  parts: readonly SeriesDistribution[],
  configured: number,
): UsageDistribution | null {
  if (parts.length === 0) return null;
  const maxOf = (pick: (part: SeriesDistribution) => number | undefined): number => {
    let best = Number.NaN;
    for (const part of parts) {
      const value = pick(part);
      if (value !== undefined && Number.isFinite(value) && !(value <= best)) best = value;
    }
    return best;
  };
  const p50 = maxOf((part) => part.byPercentile.get(50));
  const p95 = maxOf((part) => part.byPercentile.get(95));
  const p99 = maxOf((part) => part.byPercentile.get(99));
  const atPercentile = maxOf((part) => part.byPercentile.get(configured));
  const max = maxOf((part) => part.max);
  if ([p50, p95, p99, atPercentile, max].some((value) => !Number.isFinite(value))) return null;
  const samples = parts.reduce((total, part) => total + part.count, 0);
  let total: number | null = 0;
  for (const part of parts) total = part.sum === null || total === null ? null : total + part.sum;
  const mean = total === null ? null : total / samples;
  return { p50, p95, p99, max, atPercentile, mean, samples };
}

/**
 * Statistics of the long-running workloads (those with a pod running at the window's end) and
 * hourly CPU of the batch work of one Prometheus.
 */
export async function fetchWorkloadStats(
  client: PrometheusClient,
  options: WorkloadStatsOptions,
): Promise<PodStats> {
  const window = resolveWindow(options);
  const user = [
    ...configMatchers(options.selector, 'source selector'),
    ...(options.matchers ?? []),
  ];
  const containers = [...CONTAINER_MATCHERS, ...user];
  const cpuSelector = selector('container_cpu_usage_seconds_total', containers);
  const memorySelector = selector('container_memory_working_set_bytes', containers);
  const byContainer = 'namespace, pod, container';
  const cpu = distributionQueries(
    `sum by (${byContainer}) (rate(${cpuSelector}[${window.rateRange}]))`,
    window,
    options.cpuPercentile,
    true,
  );
  const memory = distributionQueries(
    // Two scrape jobs may report the same container: the largest value, not their sum.
    `max by (${byContainer}) (${memorySelector})`,
    window,
    options.memoryPercentile,
    // The mean working set: the score's memory efficiency (used / requested).
    true,
  );
  const requestsQuery = `max by (${byContainer}, resource) (last_over_time(${selector(
    'kube_pod_container_resource_requests',
    [matcher('resource', '=~', 'cpu|memory'), ...user],
  )}[${window.range}]))`;
  const limitsQuery = `max by (${byContainer}, resource) (last_over_time(${selector(
    'kube_pod_container_resource_limits',
    [matcher('resource', '=~', 'cpu|memory'), ...user],
  )}[${window.range}]))`;
  // Pods with samples anywhere in the window (a window ending in a scrape gap still sees its
  // workloads), and those still running at its end: the replicas, when there are any.
  const runningQuery = `max by (namespace, pod) (last_over_time(${cpuSelector}[${window.range}]))`;
  const runningAtEndQuery = `max by (namespace, pod) (last_over_time(${cpuSelector}[${window.stalenessRange}]))`;
  const restartsSelector = selector('kube_pod_container_status_restarts_total', user);
  const restartsQuery = `max by (${byContainer}) (max_over_time(${restartsSelector}[${window.range}]) - min_over_time(${restartsSelector}[${window.range}]))`;
  const oomQuery = `max by (${byContainer}) (max_over_time(${selector(
    'kube_pod_container_status_last_terminated_reason',
    [matcher('reason', '=', 'OOMKilled'), ...user],
  )}[${window.range}]))`;
  const ownerQuery = (metric: string, by: string, extra: MatcherText[] = []): string =>
    `max by (${by}) (last_over_time(${selector(metric, [...extra, ...user])}[${window.range}]))`;

  const at = new Date(window.toMs);
  const instant = (query: string) => (): Promise<VectorSample[]> => client.vectorQuery(query, at);
  const answers = await limited(
    [
      ...cpu.queries.map(instant),
      ...memory.queries.map(instant),
      instant(requestsQuery),
      instant(runningQuery),
      instant(runningAtEndQuery),
      instant(restartsQuery),
      instant(oomQuery),
      instant(
        ownerQuery('kube_pod_owner', 'namespace, pod, owner_kind, owner_name, owner_is_controller'),
      ),
      instant(ownerQuery('kube_replicaset_owner', 'namespace, replicaset, owner_kind, owner_name')),
      instant(ownerQuery('kube_job_owner', 'namespace, job_name, owner_kind, owner_name')),
      instant(limitsQuery),
    ],
    MAX_CONCURRENT_QUERIES,
  );
  let offset = 0;
  const take = (count: number): VectorSample[][] => {
    const part = answers.slice(offset, offset + count);
    offset += count;
    return part;
  };
  const containerLabels = ['namespace', 'pod', 'container'];
  const cpuSeries = seriesDistributions(cpu, take(cpu.queries.length), containerLabels);
  const memorySeries = seriesDistributions(memory, take(memory.queries.length), containerLabels);
  const [requests, running, runningAtEnd, restarts, oom, podOwners, replicaSetOwners, jobOwners] =
    take(8) as [
      VectorSample[],
      VectorSample[],
      VectorSample[],
      VectorSample[],
      VectorSample[],
      VectorSample[],
      VectorSample[],
      VectorSample[],
    ];
  const [limits] = take(1) as [VectorSample[]];
  const cpuLimits = keyed(
    limits.filter((s) => s.metric['resource'] === 'cpu'),
    containerLabels,
  );
  const memoryLimits = keyed(
    limits.filter((s) => s.metric['resource'] === 'memory'),
    containerLabels,
  );
  const owners = ownerReferences(podOwners, replicaSetOwners, jobOwners);
  const cpuRequests = keyed(
    requests.filter((s) => s.metric['resource'] === 'cpu'),
    containerLabels,
  );
  const memoryRequests = keyed(
    requests.filter((s) => s.metric['resource'] === 'memory'),
    containerLabels,
  );
  const runningPods = keyed(running, ['namespace', 'pod']);
  const endPods = keyed(runningAtEnd, ['namespace', 'pod']);
  const restartsBy = keyed(restarts, containerLabels);
  const oomBy = keyed(oom, containerLabels);

  interface ContainerAccumulator {
    cpu: SeriesDistribution[];
    memory: SeriesDistribution[];
    cpuRequest: number | null;
    memoryRequest: number | null;
    cpuLimit: number | null;
    memoryLimit: number | null;
    restarts: number;
    oomKills: number;
    observedSeconds: number;
  }
  interface WorkloadAccumulator {
    namespace: string;
    name: string;
    kind: string;
    runningPods: Set<string>;
    endPods: Set<string>;
    containers: Map<string, ContainerAccumulator>;
  }
  const workloads = new Map<string, WorkloadAccumulator>();
  const seriesKeys = new Set([...cpuSeries.keys(), ...memorySeries.keys()]);
  for (const seriesKey of [...seriesKeys].sort()) {
    const [namespace, pod, container] = JSON.parse(seriesKey) as [string, string, string];
    const owner = podWorkload(namespace, pod, owners);
    const workloadKey = key(namespace, owner.kind, owner.name);
    let workload = workloads.get(workloadKey);
    if (workload === undefined) {
      workload = {
        namespace,
        name: owner.name,
        kind: owner.kind,
        runningPods: new Set(),
        endPods: new Set(),
        containers: new Map(),
      };
      workloads.set(workloadKey, workload);
    }
    let entry = workload.containers.get(container);
    if (entry === undefined) {
      entry = {
        cpu: [],
        memory: [],
        cpuRequest: null,
        memoryRequest: null,
        cpuLimit: null,
        memoryLimit: null,
        restarts: 0,
        oomKills: 0,
        observedSeconds: 0,
      };
      workload.containers.set(container, entry);
    }
    const cpuPart = cpuSeries.get(seriesKey);
    if (cpuPart !== undefined) {
      entry.cpu.push(cpuPart);
      entry.observedSeconds += cpuPart.count * window.resolutionSeconds;
    }
    const memoryPart = memorySeries.get(seriesKey);
    if (memoryPart !== undefined) entry.memory.push(memoryPart);
    entry.restarts += Math.round(restartsBy.get(seriesKey) ?? 0);
    entry.oomKills += (oomBy.get(seriesKey) ?? 0) >= 1 ? 1 : 0;
    if (runningPods.has(key(namespace, pod))) {
      workload.runningPods.add(pod);
      if (endPods.has(key(namespace, pod))) workload.endPods.add(pod);
      // Requests now: the running pods' (the largest, should a rollout be half done).
      const cpuRequest = cpuRequests.get(seriesKey);
      const memoryRequest = memoryRequests.get(seriesKey);
      if (cpuRequest !== undefined) entry.cpuRequest = Math.max(entry.cpuRequest ?? 0, cpuRequest);
      if (memoryRequest !== undefined)
        entry.memoryRequest = Math.max(entry.memoryRequest ?? 0, memoryRequest);
      const cpuLimit = cpuLimits.get(seriesKey);
      const memoryLimit = memoryLimits.get(seriesKey);
      if (cpuLimit !== undefined) entry.cpuLimit = Math.max(entry.cpuLimit ?? 0, cpuLimit);
      if (memoryLimit !== undefined)
        entry.memoryLimit = Math.max(entry.memoryLimit ?? 0, memoryLimit);
    }
  }

  const windowHours = window.windowMs / HOUR_MS;
  const longRunning: WorkloadUsageStats[] = [];
  for (const workload of workloads.values()) {
    // Batch work is judged per hour below; gone workloads (no pod at the end) get nothing.
    if (isBatchWorkload(workload.kind, workload.namespace)) continue;
    // Replicas: the pods running at the window's end; when it ends in a scrape gap, every pod
    // seen in the window (a rollout inside the window then counts its old pods too).
    const replicas = workload.endPods.size > 0 ? workload.endPods.size : workload.runningPods.size;
    if (replicas === 0) continue;
    const containerStats: ContainerUsageStats[] = [];
    for (const [name, entry] of [...workload.containers].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    )) {
      containerStats.push({
        container: name,
        cpuRequestCores: entry.cpuRequest,
        memoryRequestBytes: entry.memoryRequest,
        cpuLimitCores: entry.cpuLimit,
        memoryLimitBytes: entry.memoryLimit,
        cpu: combine(entry.cpu, options.cpuPercentile),
        memory: combine(entry.memory, options.memoryPercentile),
        restarts: entry.restarts,
        oomKills: entry.oomKills,
        observedHours: Math.min(windowHours, entry.observedSeconds / 3600 / replicas),
      });
    }
    longRunning.push({
      namespace: workload.namespace,
      workload: workload.name,
      workloadKind: workload.kind,
      replicas,
      containers: containerStats,
    });
  }
  longRunning.sort((a, b) =>
    key(a.namespace, a.workloadKind, a.workload) < key(b.namespace, b.workloadKind, b.workload)
      ? -1
      : 1,
  );

  const batch = await fetchBatchHours(client, window, cpuSelector, user, owners);
  return { workloads: longRunning, batch, resolutionSeconds: window.resolutionSeconds };
}

/**
 * CPU-seconds per UTC hour of the pods that may be batch work (owned by a Job, or in a CI
 * namespace), over the whole hours inside the window, grouped by batch target: a CronJob, or per
 * namespace for standalone Jobs and CI pods (their names change every run).
 */
async function fetchBatchHours(
  client: PrometheusClient,
  window: Window,
  cpuSelector: string,
  user: readonly MatcherText[],
  owners: OwnerReferences,
): Promise<BatchUsageStats[]> {
  const firstHourMs = Math.ceil(window.fromMs / HOUR_MS) * HOUR_MS;
  const lastHourEndMs = Math.floor(window.toMs / HOUR_MS) * HOUR_MS;
  if (lastHourEndMs - firstHourMs < HOUR_MS) return [];
  const jobPods = `max by (namespace, pod) (last_over_time(${selector('kube_pod_owner', [
    matcher('owner_kind', '=', 'Job'),
    ...user,
  ])}[1h]))`;
  const ciSelector = selector('container_cpu_usage_seconds_total', [
    ...CONTAINER_MATCHERS,
    matcher('namespace', '=~', CI_NAMESPACE_PATTERN),
    ...user,
  ]);
  // Each point at hour end t is the CPU-seconds of (t − 1h, t]: the hour starting at t − 1h.
  const query =
    `(sum by (namespace, pod) (increase(${cpuSelector}[1h])) and on (namespace, pod) ${jobPods})` +
    ` or sum by (namespace, pod) (increase(${ciSelector}[1h]))`;
  const series = await client.rangeQuery(
    query,
    new Date(firstHourMs + HOUR_MS),
    new Date(lastHourEndMs),
    3600,
  );
  interface BatchAccumulator {
    namespace: string;
    workload: string;
    kind: string;
    hours: Map<number, number>;
    samples: number;
  }
  const groups = new Map<string, BatchAccumulator>();
  for (const item of series) {
    const { namespace, pod } = item.metric;
    if (namespace === undefined || pod === undefined || namespace === '' || pod === '') continue;
    const owner = podWorkload(namespace, pod, owners);
    if (!isBatchWorkload(owner.kind, namespace)) continue;
    const target =
      owner.kind === 'CronJob'
        ? { workload: owner.name, kind: 'CronJob' }
        : { workload: namespace, kind: BATCH_GROUP_KIND };
    const groupKey = key(namespace, target.kind, target.workload);
    let group = groups.get(groupKey);
    if (group === undefined) {
      group = {
        namespace,
        workload: target.workload,
        kind: target.kind,
        hours: new Map(),
        samples: 0,
      };
      groups.set(groupKey, group);
    }
    for (let index = 0; index < item.times.length; index++) {
      const value = item.values[index] as number;
      if (!Number.isFinite(value) || value <= 0) continue;
      const hourStart = (item.times[index] as number) * 1000 - HOUR_MS;
      group.hours.set(hourStart, (group.hours.get(hourStart) ?? 0) + value);
      group.samples += 1;
    }
  }
  return [...groups.values()]
    .filter((group) => group.hours.size > 0)
    .sort((a, b) =>
      key(a.namespace, a.kind, a.workload) < key(b.namespace, b.kind, b.workload) ? -1 : 1,
    )
    .map((group) => ({
      namespace: group.namespace,
      workload: group.workload,
      workloadKind: group.kind,
      busySecondsByHour: group.hours,
      samples: group.samples,
    }));
}

/**
 * Statistics of the node_exporter hosts running at the window's end: busy/idle core-seconds over
 * the window (idle = the configured idle modes), cores, and the distribution of busy cores.
 */
export async function fetchHostStats(
  client: PrometheusClient,
  options: HostStatsOptions,
): Promise<HostUsageStats[]> {
  const window = resolveWindow(options);
  const hostLabel = options.hostLabel;
  if (!isValidLabelName(hostLabel)) {
    throw new ConfigError(
      `workspaces.hostLabel: ${JSON.stringify(hostLabel)} is not a valid Prometheus label name`,
    );
  }
  if (options.idleModes.length === 0) {
    throw new ConfigError('power.idleModes: at least one idle mode is needed');
  }
  const user = [
    ...configMatchers(options.selector, 'workspaces.selector'),
    ...(options.matchers ?? []),
  ];
  const idleRegex = anyOfRegex(options.idleModes);
  const busySelector = selector('node_cpu_seconds_total', [
    matcher('mode', '!~', idleRegex),
    ...user,
  ]);
  const idleSelector = selector('node_cpu_seconds_total', [
    matcher('mode', '=~', idleRegex),
    ...user,
  ]);
  const allSelector = selector('node_cpu_seconds_total', user);
  const busyCores = distributionQueries(
    `sum by (${hostLabel}) (rate(${busySelector}[${window.rateRange}]))`,
    window,
    99,
    true,
  );
  const at = new Date(window.toMs);
  const instant = (query: string) => (): Promise<VectorSample[]> => client.vectorQuery(query, at);
  const answers = await limited(
    [
      instant(`sum by (${hostLabel}) (increase(${busySelector}[${window.range}]))`),
      instant(`sum by (${hostLabel}) (increase(${idleSelector}[${window.range}]))`),
      instant(
        `count by (${hostLabel}) (count by (${hostLabel}, cpu) (last_over_time(${allSelector}[${window.range}])))`,
      ),
      ...busyCores.queries.map(instant),
    ],
    MAX_CONCURRENT_QUERIES,
  );
  const [busy, idle, cores] = answers.slice(0, 3).map((samples) => keyed(samples, [hostLabel])) as [
    Map<string, number>,
    Map<string, number>,
    Map<string, number>,
  ];
  const distributions = seriesDistributions(busyCores, answers.slice(3), [hostLabel]);
  const windowHours = window.windowMs / HOUR_MS;
  const hosts: HostUsageStats[] = [];
  for (const [hostKey, coreCount] of [...cores].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const [host] = JSON.parse(hostKey) as [string];
    const busySeconds = Math.max(0, busy.get(hostKey) ?? 0);
    const idleSeconds = Math.max(0, idle.get(hostKey) ?? 0);
    if (!(coreCount > 0) || busySeconds + idleSeconds <= 0) continue;
    const part = distributions.get(hostKey);
    hosts.push({
      host,
      cores: coreCount,
      busySeconds,
      idleSeconds,
      busyCores: part === undefined ? null : combine([part], 99),
      observedHours: Math.min(windowHours, (busySeconds + idleSeconds) / coreCount / 3600),
    });
  }
  return hosts;
}

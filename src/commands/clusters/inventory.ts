/**
 * One cluster's inventory from its Prometheus (SPEC §10, Kubeadapt's cluster inventory):
 * capacity from kube-state-metrics (`kube_node_status_allocatable`) or, without it, from
 * node_exporter (CPU count from `node_cpu_seconds_total{mode="idle"}`, `node_memory_MemTotal_bytes`);
 * used cores and bytes from the same layer as the capacity (cAdvisor containers against
 * allocatable, node_exporter hosts against their CPUs), the other when that one is missing;
 * requests from kube-state-metrics;
 * counts of nodes, namespaces, workloads and pods; the hourly energy, CO2e and cost run rate; and
 * staleness from the newest sample.
 *
 * Every query is evaluated at one instant: now, or — when the cluster is stale — the time of
 * its newest sample, so a cluster that stopped reporting still shows its last known inventory
 * (flagged `is_stale`). Requests count only pods with running containers when cAdvisor is there
 * (kube-state-metrics keeps reporting completed pods' requests for a while); without cAdvisor,
 * every request it reports.
 */
import type { Context } from '../../context.js';
import type { IntensityRequest } from '../../accounting/intensity.js';
import { cacheLedger } from '../../accounting/ledger.js';
import { meterCluster } from '../../accounting/meter.js';
import { clusterProfile } from '../../accounting/profile.js';
import { AccountingPipeline } from '../../accounting/pipeline.js';
import { knownSource } from '../../accounting/source.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import {
  runRateOf,
  countPodsAndWorkloads,
  countWorkloadKinds,
  kubernetesVersion,
  isStale,
  sharePercent,
  STALE_AFTER_SECONDS,
} from '../../core/clusters.js';
import { ConfigError, UsageError } from '../../errors.js';
import { redactUrl } from '../../providers/http.js';
import type { PrometheusClient, VectorSample } from '../../providers/prometheus/client.js';
import { ownerReferences } from '../../providers/prometheus/owners.js';
import {
  anyOfRegex,
  isValidLabelName,
  matcher,
  rangeMs,
  safeMatchers,
  selector,
  type MatcherText,
} from '../../providers/prometheus/promql.js';
import { lastCompleteHour } from '../../core/hours.js';
import { addToFootprintTotal, emptyFootprintTotal } from '../../core/methodology.js';
import { createPrometheusClient } from '../shared/prometheus.js';

/** How far back a stale cluster's newest sample is looked for. */
const STALE_LOOKBACK = '7d';
/** Subquery resolution for that search: Prometheus's default lookback delta (reference/prometheus.md §1.5), so no sample falls between steps. */
const STALE_LOOKBACK_STEP = '5m';

/** Kubeadapt's object counts (null where the source has no such objects). */
export interface ClusterCounts {
  nodes: number | null;
  namespaces: number | null;
  workloads: number | null;
  deployments: number | null;
  statefulsets: number | null;
  daemonsets: number | null;
  jobs: number | null;
  cronjobs: number | null;
  /** Pods kube-state-metrics knows (running or not) and those running (with cAdvisor samples). */
  pods: number | null;
  running_pods: number | null;
  containers: number | null;
  running_containers: number | null;
}

/** Counts of a cluster without Kubernetes objects. */
function noCounts(nodes: number | null): ClusterCounts {
  return {
    nodes,
    namespaces: null,
    workloads: null,
    deployments: null,
    statefulsets: null,
    daemonsets: null,
    jobs: null,
    cronjobs: null,
    pods: null,
    running_pods: null,
    containers: null,
    running_containers: null,
  };
}

/** Kubeadapt-like cluster object (SPEC §10 JSON). */
export interface ClusterInventory {
  id: string;
  kind: 'Cluster';
  metadata: {
    name: string;
    provider: string;
    region: string | null;
    environment: string;
    status: 'active' | 'stale' | 'failed';
    /** Why the cluster could not be read (status `failed`), else null. */
    error: string | null;
    /** The source the cluster is accounted as (stored decision, config, or the run-rate hour's data). */
    source: 'nodes' | 'pods' | null;
    is_stale: boolean;
    /** Newest sample of the cluster's metrics (ISO), null when none in the last 7 days. */
    last_sample_at: string | null;
    /** Seconds between the newest sample and now. */
    staleness_seconds: number | null;
    /** The instant the figures describe: now, or the newest sample of a stale cluster. */
    evaluated_at: string | null;
    prometheus_url: string;
    /** Where the capacity came from. */
    capacity_source: 'kube-state-metrics' | 'node_exporter' | null;
    kubernetes: boolean;
    node_count: number | null;
    namespace_count: number | null;
    workload_count: number | null;
    pod_count: number | null;
    /** Kubeadapt: the Kubernetes version (`kubernetes_build_info`, else kube-state-metrics' `kube_node_info`). */
    k8s_version: string | null;
  };
  /**
   * Kubeadapt's nested capacity (`cpu{total_cores, allocatable_cores}`, `memory{total_bytes,
   * allocatable_bytes}`, `pods{allocatable}`) beside carbonctl's flat `cpu_cores`/`memory_bytes`
   * (the allocatable figures).
   */
  capacity: {
    cpu_cores: number | null;
    memory_bytes: number | null;
    cpu: { total_cores: number | null; allocatable_cores: number | null };
    memory: { total_bytes: number | null; allocatable_bytes: number | null };
    pods: { allocatable: number | null };
  };
  utilization: {
    /** Kubeadapt's nested utilization (percent of allocatable used). */
    cpu: {
      requested_cores: number | null;
      used_cores: number | null;
      utilization_percent: number | null;
    };
    memory: {
      requested_bytes: number | null;
      used_bytes: number | null;
      utilization_percent: number | null;
    };
    /** Container restarts as kube-state-metrics counts them (since each container started). */
    restarts_total: number | null;
    /** Containers whose last termination was an OOM kill. */
    oom_kills_total: number | null;
    counts: ClusterCounts;
    cpu_requested_cores: number | null;
    cpu_used_cores: number | null;
    memory_requested_bytes: number | null;
    memory_used_bytes: number | null;
    cpu_requested_percent: number | null;
    cpu_used_percent: number | null;
    memory_requested_percent: number | null;
    memory_used_percent: number | null;
  };
  cost: {
    hourly: number | null;
    monthly: number | null;
    currency: string;
    /** Kubeadapt's Money object for the hourly run rate. */
    current_run_rate_hourly: { amount: number | null; currency: string };
  };
  carbon: {
    /** The hour the run rate was metered over (the last complete hour before `evaluated_at`). */
    run_rate_window: { from: string; to: string } | null;
    hourly_co2e_g: number | null;
    monthly_co2e_kg: number | null;
    hourly_energy_kwh: number | null;
    intensity_g_per_kwh: number | null;
    intensity_provider: string | null;
    is_estimated: boolean;
    estimation_reasons: string[];
  };
}

function first(samples: readonly VectorSample[]): number | null {
  const value = samples[0]?.value;
  return value === undefined || !Number.isFinite(value) ? null : value;
}

function byLabel(samples: readonly VectorSample[], label: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const sample of samples) {
    const key = sample.metric[label];
    if (key !== undefined && Number.isFinite(sample.value)) map.set(key, sample.value);
  }
  return map;
}

/** Newest sample time (seconds) of the cluster's metrics at `now`, looking back up to 7 days. */
async function newestSample(
  client: PrometheusClient,
  selectors: readonly string[],
  now: Date,
): Promise<number | null> {
  const newest = async (wrap: (inner: string) => string): Promise<number | null> => {
    const answers = await Promise.all(selectors.map((sel) => client.vectorQuery(wrap(sel), now)));
    const values = answers.map(first).filter((value): value is number => value !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  // Within the lookback delta an instant selector finds the sample itself.
  const recent = await newest((sel) => `max(timestamp(${sel}))`);
  if (recent !== null) return recent;
  // Otherwise a subquery at the lookback resolution finds the last step that still saw one.
  return newest(
    (sel) => `max_over_time(max(timestamp(${sel}))[${STALE_LOOKBACK}:${STALE_LOOKBACK_STEP}])`,
  );
}

/** The carbon block of a cluster without a run rate (no data, or failed). */
function noRunRate(): ClusterInventory['carbon'] {
  return {
    run_rate_window: null,
    hourly_co2e_g: null,
    monthly_co2e_kg: null,
    hourly_energy_kwh: null,
    intensity_g_per_kwh: null,
    intensity_provider: null,
    is_estimated: false,
    estimation_reasons: [],
  };
}

/** The entry of a cluster whose Prometheus could not be read (listed, with the error, exit 3 at the end). */
export function failedInventory(
  cluster: ClusterSettings,
  currency: string,
  error: string,
): ClusterInventory {
  return {
    id: cluster.name,
    kind: 'Cluster',
    metadata: {
      name: cluster.name,
      provider: cluster.provider,
      region: cluster.region,
      environment: cluster.environment,
      status: 'failed',
      error,
      source: null,
      is_stale: false,
      last_sample_at: null,
      staleness_seconds: null,
      evaluated_at: null,
      prometheus_url: redactUrl(cluster.prometheus.url),
      capacity_source: null,
      kubernetes: false,
      node_count: null,
      namespace_count: null,
      workload_count: null,
      pod_count: null,
      k8s_version: null,
    },
    capacity: {
      cpu_cores: null,
      memory_bytes: null,
      cpu: { total_cores: null, allocatable_cores: null },
      memory: { total_bytes: null, allocatable_bytes: null },
      pods: { allocatable: null },
    },
    utilization: {
      cpu: { requested_cores: null, used_cores: null, utilization_percent: null },
      memory: { requested_bytes: null, used_bytes: null, utilization_percent: null },
      restarts_total: null,
      oom_kills_total: null,
      counts: noCounts(null),
      cpu_requested_cores: null,
      cpu_used_cores: null,
      memory_requested_bytes: null,
      memory_used_bytes: null,
      cpu_requested_percent: null,
      cpu_used_percent: null,
      memory_requested_percent: null,
      memory_used_percent: null,
    },
    cost: {
      hourly: null,
      monthly: null,
      currency,
      current_run_rate_hourly: { amount: null, currency },
    },
    carbon: noRunRate(),
  };
}

/** Queries one cluster's Prometheus and assembles its inventory. */
export async function clusterInventory(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  intensity: IntensityRequest,
): Promise<ClusterInventory> {
  const client = await createPrometheusClient(context, cluster);
  const now = context.now();
  let nodeMatchers: MatcherText[];
  try {
    nodeMatchers = safeMatchers(cluster.workspaces.selector);
  } catch (error) {
    if (error instanceof UsageError)
      throw new ConfigError(`clusters "${cluster.name}" workspaces.selector: ${error.message}`);
    throw error;
  }
  const hostLabel = cluster.workspaces.hostLabel;
  if (!isValidLabelName(hostLabel)) {
    throw new ConfigError(
      `clusters "${cluster.name}" workspaces.hostLabel ${JSON.stringify(hostLabel)} is not a valid Prometheus label name`,
    );
  }
  const containerMatchers = [matcher('container', '!=', ''), matcher('container', '!=', 'POD')];
  const allocatable = selector('kube_node_status_allocatable', []);
  const containerCpu = selector('container_cpu_usage_seconds_total', containerMatchers);
  const nodeCpu = selector('node_cpu_seconds_total', nodeMatchers);

  const newestSeconds = await newestSample(client, [allocatable, containerCpu, nodeCpu], now);
  const lastSampleAt = newestSeconds === null ? null : new Date(Math.round(newestSeconds * 1000));
  const stale = isStale(lastSampleAt, now, STALE_AFTER_SECONDS);
  const at = lastSampleAt === null ? null : stale ? lastSampleAt : now;

  const profile = clusterProfile(settings, cluster);
  const rateRange = rangeMs(Math.max(300, 4 * cluster.prometheus.scrapeIntervalSeconds) * 1000);
  const query = (text: string): Promise<VectorSample[]> =>
    at === null ? Promise.resolve([]) : client.vectorQuery(text, at);
  const [
    ksmCapacity,
    ksmNodes,
    nodeCores,
    nodeMemory,
    nodeMemoryUsed,
    nodeHosts,
    nodeUsedCores,
    containerUsedCores,
    containerMemory,
    runningPods,
    runningRequests,
    allRequests,
    podOwners,
    replicaSetOwners,
    jobOwners,
    ksmTotal,
    restartsTotal,
    oomKills,
    knownContainers,
    runningContainers,
    buildInfo,
    nodeInfo,
  ] = await Promise.all([
    query(
      `sum by (resource) (${selector('kube_node_status_allocatable', [matcher('resource', '=~', 'cpu|memory|pods')])})`,
    ),
    query(`count(count by (node) (${allocatable}))`),
    query(
      `count(${selector('node_cpu_seconds_total', [...nodeMatchers, matcher('mode', '=', 'idle')])})`,
    ),
    query(`sum(${selector('node_memory_MemTotal_bytes', nodeMatchers)})`),
    query(
      `sum(${selector('node_memory_MemTotal_bytes', nodeMatchers)} - ${selector('node_memory_MemAvailable_bytes', nodeMatchers)})`,
    ),
    query(`count(count by (${hostLabel}) (${nodeCpu}))`),
    query(
      `sum(rate(${selector('node_cpu_seconds_total', [...nodeMatchers, matcher('mode', '!~', anyOfRegex(profile.idleModes))])}[${rateRange}]))`,
    ),
    query(`sum(rate(${containerCpu}[${rateRange}]))`),
    query(`sum(${selector('container_memory_working_set_bytes', containerMatchers)})`),
    query(`count by (namespace, pod) (${containerCpu})`),
    query(
      `sum by (resource) (${selector('kube_pod_container_resource_requests', [matcher('resource', '=~', 'cpu|memory')])} and on (namespace, pod) ${containerCpu})`,
    ),
    query(
      `sum by (resource) (${selector('kube_pod_container_resource_requests', [matcher('resource', '=~', 'cpu|memory')])})`,
    ),
    query('max by (namespace, pod, owner_kind, owner_name, owner_is_controller) (kube_pod_owner)'),
    query('max by (namespace, replicaset, owner_kind, owner_name) (kube_replicaset_owner)'),
    query('max by (namespace, job_name, owner_kind, owner_name) (kube_job_owner)'),
    query(
      `sum by (resource) (${selector('kube_node_status_capacity', [matcher('resource', '=~', 'cpu|memory')])})`,
    ),
    query('sum(kube_pod_container_status_restarts_total)'),
    query(
      `count(${selector('kube_pod_container_status_last_terminated_reason', [matcher('reason', '=', 'OOMKilled')])} == 1)`,
    ),
    query(
      'count by (namespace, pod, container) (kube_pod_container_info) or count by (namespace, pod, container) (kube_pod_container_resource_requests)',
    ),
    query(`count by (namespace, pod, container) (${containerCpu})`),
    query('count by (git_version, job) (kubernetes_build_info)'),
    query('count by (kubelet_version) (kube_node_info)'),
  ]);

  const ksm = byLabel(ksmCapacity, 'resource');
  const hasKsm = ksm.has('cpu');
  const hasContainers = runningPods.length > 0;
  const capacitySource = hasKsm
    ? 'kube-state-metrics'
    : first(nodeCores) !== null
      ? 'node_exporter'
      : null;
  const cpuCores = hasKsm ? (ksm.get('cpu') ?? null) : first(nodeCores);
  const memoryBytes = hasKsm ? (ksm.get('memory') ?? null) : first(nodeMemory);
  const podsCapacity = hasKsm ? (ksm.get('pods') ?? null) : null;
  // Usage from the same layer as the capacity: containers against kube-state-metrics'
  // allocatable, hosts against node_exporter's CPUs (which also run what is not a container).
  const preferContainers = hasKsm;
  const pick = (containers: VectorSample[], hosts: VectorSample[]): number | null =>
    preferContainers ? (first(containers) ?? first(hosts)) : (first(hosts) ?? first(containers));
  const usedCores = pick(hasContainers ? containerUsedCores : [], nodeUsedCores);
  const usedMemory = pick(hasContainers ? containerMemory : [], nodeMemoryUsed);
  const requests = byLabel(hasContainers ? runningRequests : allRequests, 'resource');
  const kubernetes = hasKsm || hasContainers;
  const requestedCores = kubernetes ? (requests.get('cpu') ?? 0) : null;
  const requestedBytes = kubernetes ? (requests.get('memory') ?? 0) : null;

  let counts: { pods: number; namespaces: number; workloads: number } | null = null;
  const nodeCount = hasKsm ? first(ksmNodes) : first(nodeHosts);
  let objectCounts = noCounts(nodeCount);
  if (kubernetes) {
    const owners = ownerReferences(podOwners, replicaSetOwners, jobOwners);
    const podKeys = hasContainers
      ? runningPods
          .filter((s) => (s.metric.namespace ?? '') !== '' && (s.metric.pod ?? '') !== '')
          .map((s) => `${s.metric.namespace}/${s.metric.pod}`)
      : [...owners.pods.keys()];
    counts = countPodsAndWorkloads(podKeys, owners);
    const containerKey = (sample: VectorSample): string =>
      JSON.stringify([sample.metric.namespace, sample.metric.pod, sample.metric.container]);
    const running = new Set(runningContainers.map(containerKey));
    const allContainers = new Set([...knownContainers.map(containerKey), ...running]);
    const allPods = new Set([...owners.pods.keys(), ...podKeys]);
    objectCounts = {
      nodes: nodeCount,
      namespaces: counts.namespaces,
      workloads: counts.workloads,
      ...countWorkloadKinds(podKeys, owners),
      pods: allPods.size,
      running_pods: hasContainers ? counts.pods : null,
      containers: allContainers.size,
      running_containers: hasContainers ? running.size : null,
    };
  }
  const ksmTotals = byLabel(ksmTotal, 'resource');
  const k8sVersion = kubernetesVersion(
    buildInfo.map((sample) => ({
      gitVersion: sample.metric.git_version ?? '',
      job: sample.metric.job ?? '',
      count: sample.value,
    })),
    nodeInfo.map((sample) => ({
      version: sample.metric.kubelet_version ?? '',
      count: sample.value,
    })),
  );

  // Run rate: the last complete hour before the instant described, metered and priced by the
  // same pipeline as `track` (so it equals the ledger's figures for that hour), × 730 a month.
  const factors = profile.factors;
  let carbon = noRunRate();
  let cost: ClusterInventory['cost'] = {
    hourly: null,
    monthly: null,
    currency: factors.cost.currency,
    current_run_rate_hourly: { amount: null, currency: factors.cost.currency },
  };
  const ledger = cacheLedger(context, settings);
  let source: 'nodes' | 'pods' | null = knownSource(profile, ledger);
  if (at !== null) {
    const window = lastCompleteHour(at);
    const pipeline = new AccountingPipeline(context, ledger, false);
    source = (await pipeline.source(client, profile, window)).source;
    const intensities = await pipeline.intensities(profile, window, intensity);
    const total = emptyFootprintTotal();
    const reasons = new Set<string>();
    await meterCluster(client, { profile, source, window, intensities }, (priced) => {
      for (const hour of priced) {
        addToFootprintTotal(total, hour.usage, hour.footprint);
        for (const reason of hour.row.estimationReasons) reasons.add(reason);
      }
    });
    const rate = runRateOf(total, 1);
    const estimationReasons = [...reasons].sort();
    carbon = {
      run_rate_window: { from: window.from.toISOString(), to: window.to.toISOString() },
      hourly_co2e_g: rate.co2eGramsPerHour,
      monthly_co2e_kg: rate.co2eKgPerMonth,
      hourly_energy_kwh: rate.energyKwhPerHour,
      intensity_g_per_kwh: rate.intensityGPerKwh,
      intensity_provider: intensities.provider,
      is_estimated: estimationReasons.length > 0,
      estimation_reasons: estimationReasons,
    };
    cost = {
      hourly: rate.costPerHour,
      monthly: rate.costPerMonth,
      currency: factors.cost.currency,
      current_run_rate_hourly: { amount: rate.costPerHour, currency: factors.cost.currency },
    };
    if (cpuCores === null)
      context.io.warn(
        `cluster ${cluster.name}: no capacity metrics (kube_node_status_allocatable or node_cpu_seconds_total) at ${at.toISOString()}`,
      );
  } else {
    context.io.warn(
      `cluster ${cluster.name}: no samples of kube_node_status_allocatable, container_cpu_usage_seconds_total or node_cpu_seconds_total in the last ${STALE_LOOKBACK}`,
    );
  }

  return {
    id: cluster.name,
    kind: 'Cluster',
    metadata: {
      name: cluster.name,
      provider: cluster.provider,
      region: cluster.region,
      environment: cluster.environment,
      status: stale ? 'stale' : 'active',
      error: null,
      source,
      is_stale: stale,
      last_sample_at: lastSampleAt?.toISOString() ?? null,
      staleness_seconds:
        lastSampleAt === null ? null : Math.max(0, (now.getTime() - lastSampleAt.getTime()) / 1000),
      evaluated_at: at?.toISOString() ?? null,
      prometheus_url: redactUrl(cluster.prometheus.url),
      capacity_source: capacitySource,
      kubernetes,
      node_count: nodeCount,
      namespace_count: counts?.namespaces ?? null,
      workload_count: counts?.workloads ?? null,
      pod_count: counts?.pods ?? null,
      k8s_version: k8sVersion,
    },
    capacity: {
      cpu_cores: cpuCores,
      memory_bytes: memoryBytes,
      cpu: { total_cores: ksmTotals.get('cpu') ?? cpuCores, allocatable_cores: cpuCores },
      memory: {
        total_bytes: ksmTotals.get('memory') ?? memoryBytes,
        allocatable_bytes: memoryBytes,
      },
      pods: { allocatable: podsCapacity },
    },
    utilization: {
      cpu: {
        requested_cores: requestedCores,
        used_cores: usedCores,
        utilization_percent: sharePercent(usedCores, cpuCores),
      },
      memory: {
        requested_bytes: requestedBytes,
        used_bytes: usedMemory,
        utilization_percent: sharePercent(usedMemory, memoryBytes),
      },
      restarts_total: kubernetes ? (first(restartsTotal) ?? 0) : null,
      oom_kills_total: kubernetes ? (first(oomKills) ?? 0) : null,
      counts: objectCounts,
      cpu_requested_cores: requestedCores,
      cpu_used_cores: usedCores,
      memory_requested_bytes: requestedBytes,
      memory_used_bytes: usedMemory,
      cpu_requested_percent: sharePercent(requestedCores, cpuCores),
      cpu_used_percent: sharePercent(usedCores, cpuCores),
      memory_requested_percent: sharePercent(requestedBytes, memoryBytes),
      memory_used_percent: sharePercent(usedMemory, memoryBytes),
    },
    cost,
    carbon,
  };
}

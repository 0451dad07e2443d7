/**
 * The sustainability score (GreenKube's seven dimensions and weights): an overall 0–100 score of a
 * cluster and one score per dimension, each with the inputs it was computed from and one line on
 * how to raise it. Pure: the metered workloads and hosts, intensities and rules come in as
 * arguments.
 *
 * Dimensions (weight):
 * - resource_efficiency (0.25): energy-weighted mean over workloads of
 *   (min(cpu used / requested, 1) + min(memory used / requested, 1)) / 2; a workload with only one
 *   of the two requests is scored on that one, one with neither is left out.
 * - carbon_efficiency (0.20): 100 × (1 − E / 800), E = energy-weighted mean of intensity × PUE.
 * - waste_elimination (0.15): pods — 100 × (1 − (idle workloads / workloads + idle namespaces /
 *   namespaces) / 2); hosts — 100 × (1 − idle hosts / hosts).
 * - node_efficiency (0.15): mean over nodes of min(utilization / 0.7, 1).
 * - scaling_practices (0.10): 100 × (1 − workloads that should autoscale / scalable workloads); a
 *   workload should autoscale when its CPU peak is at least 3 × its median and no
 *   HorizontalPodAutoscaler targets it.
 * - carbon_aware_scheduling (0.10): 100 × (1 − share of batch energy run in hours above 1.5 × the
 *   cleanest hour of the same UTC day).
 * - stability (0.05): 100 − 10 × mean restarts per workload, at least 0.
 *
 * A dimension without data scores a neutral 50 and says so. For node_exporter workspaces only
 * carbon_efficiency, waste_elimination (idle hosts) and node_efficiency (utilization) apply; the
 * others are `not_applicable` and the weights of those that apply are renormalised to sum to 1
 * (0.40, 0.30, 0.30).
 */
import type { UsageSource } from './usage.js';

/** The seven dimensions, in GreenKube's order. */
export const SCORE_DIMENSIONS = [
  'resource_efficiency',
  'carbon_efficiency',
  'waste_elimination',
  'node_efficiency',
  'scaling_practices',
  'carbon_aware_scheduling',
  'stability',
] as const;

/** One of the seven dimensions. */
export type ScoreDimension = (typeof SCORE_DIMENSIONS)[number];

/** GreenKube's weights (they sum to 1). */
export const SCORE_WEIGHTS: Readonly<Record<ScoreDimension, number>> = Object.freeze({
  resource_efficiency: 0.25,
  carbon_efficiency: 0.2,
  waste_elimination: 0.15,
  node_efficiency: 0.15,
  scaling_practices: 0.1,
  carbon_aware_scheduling: 0.1,
  stability: 0.05,
});

/** The dimensions that apply to node_exporter workspaces (no requests, replicas or restarts). */
export const WORKSPACE_DIMENSIONS: ReadonlySet<ScoreDimension> = new Set([
  'carbon_efficiency',
  'waste_elimination',
  'node_efficiency',
]);

/** A dimension without data scores this (neutral). */
export const NEUTRAL_SCORE = 50;
/** carbon_efficiency reaches 0 at this intensity × PUE, g/kWh. */
export const CARBON_EFFICIENCY_CEILING_G_PER_KWH = 800;
/** node_efficiency: a node at this utilization or above scores 100. */
export const NODE_TARGET_UTILIZATION = 0.7;
/** carbon_aware_scheduling: an hour above this multiple of the day's cleanest hour is a dirty hour. */
export const DIRTY_HOUR_RATIO = 1.5;
/** scaling_practices: a CPU peak at least this multiple of the median is spiky enough to autoscale. */
export const SPIKE_RATIO = 3;
/** stability: points lost per mean restart. */
export const POINTS_PER_RESTART = 10;

/** A workload as the score sees it: metered energy and CPU, plus what kube-state-metrics said. */
export interface ScoreWorkload {
  namespace: string;
  workload: string;
  kind: string;
  /** Metered energy over the window, kWh (the weight). */
  energyKwh: number;
  /** Metered busy CPU core-seconds and requested (reserved) core-seconds. */
  busyCoreSeconds: number;
  reservedCoreSeconds: number;
  /** Mean working set per replica summed over containers, bytes; null when not known. */
  memoryUsedBytes: number | null;
  /** Memory requests per replica summed over containers, bytes; null when none is set. */
  memoryRequestBytes: number | null;
  /** Restarts in the window (all containers and replicas); null when not running at the window's end. */
  restarts: number | null;
  /** Median and peak CPU cores (per replica, summed over containers); null when not known. */
  cpuP50Cores: number | null;
  cpuMaxCores: number | null;
  /** A HorizontalPodAutoscaler targets it. */
  hasAutoscaler: boolean;
  /** Batch work (Jobs, CronJobs, CI pods): not rightsized, not scaled, shifted in time. */
  batch: boolean;
  /** Scalable by replicas (Deployment, StatefulSet, ReplicaSet). */
  scalable: boolean;
}

/** A node_exporter host (a workspace, or a Kubernetes node) with its metered CPU time. */
export interface ScoreHost {
  host: string;
  busyCoreSeconds: number;
  idleCoreSeconds: number;
}

/** Everything one cluster's score depends on. */
export interface ScoreInput {
  source: UsageSource;
  /** Metered energy and location-based grams of the cluster over the window. */
  energyKwh: number;
  scope2LocationGrams: number;
  pue: number;
  /** Pods clusters: workloads; nodes clusters: empty. */
  workloads: readonly ScoreWorkload[];
  /** node_exporter hosts (the workspaces, or a Kubernetes cluster's nodes). */
  hosts: readonly ScoreHost[];
  /** Batch energy per UTC hour (kWh), keyed by the hour's start (epoch ms). */
  batchEnergyByHour: ReadonlyMap<number, number>;
  /** The window's hourly intensity (g/kWh), keyed by the hour's start (epoch ms). */
  hourlyIntensity: ReadonlyMap<number, number>;
  /** Busy share below which a host or workload is idle (config recommendations.idleBusyFraction). */
  idleBusyFraction: number;
}

/** How a dimension came out. */
export type DimensionStatus = 'scored' | 'no_data' | 'not_applicable';

/** One dimension's result. */
export interface DimensionScore {
  dimension: ScoreDimension;
  /** GreenKube's weight. */
  weight: number;
  /** The weight used in the overall score (renormalised over the dimensions that apply). */
  effective_weight: number;
  status: DimensionStatus;
  /** 0–100; 50 without data; null when not applicable. */
  score: number | null;
  /** The figures the score was computed from. */
  inputs: Record<string, number | string | null | string[]>;
  /** How it was computed, in words. */
  explanation: string;
  /** One line on how to raise it. */
  advice: string;
}

/** A cluster's score. */
export interface ClusterScore {
  overall_score: number;
  dimension_scores: Record<ScoreDimension, number | null>;
  dimensions: DimensionScore[];
}

const clamp = (value: number, low = 0, high = 100): number => Math.min(high, Math.max(low, value));
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

type Partial = Omit<DimensionScore, 'dimension' | 'weight' | 'effective_weight'>;

function noData(
  explanation: string,
  advice: string,
  inputs: DimensionScore['inputs'] = {},
): Partial {
  return { status: 'no_data', score: NEUTRAL_SCORE, inputs, explanation, advice };
}

/** `ns/name` of a workload. */
function workloadName(workload: Pick<ScoreWorkload, 'namespace' | 'workload'>): string {
  return `${workload.namespace}/${workload.workload}`;
}

/** A workload's (min(cpu ratio, 1) + min(memory ratio, 1)) / 2 over the ratios it has; null without requests. */
export function workloadEfficiency(workload: ScoreWorkload): number | null {
  const parts: number[] = [];
  if (workload.reservedCoreSeconds > 0)
    parts.push(Math.min(workload.busyCoreSeconds / workload.reservedCoreSeconds, 1));
  if (
    workload.memoryRequestBytes !== null &&
    workload.memoryRequestBytes > 0 &&
    workload.memoryUsedBytes !== null
  )
    parts.push(Math.min(workload.memoryUsedBytes / workload.memoryRequestBytes, 1));
  if (parts.length === 0) return null;
  return parts.reduce((sum, part) => sum + part, 0) / parts.length;
}

/** resource_efficiency. */
export function resourceEfficiency(workloads: readonly ScoreWorkload[]): Partial {
  let weighted = 0;
  let energy = 0;
  let counted = 0;
  let worst: { name: string; efficiency: number; energyKwh: number } | null = null;
  for (const workload of workloads) {
    const efficiency = workloadEfficiency(workload);
    if (efficiency === null || workload.energyKwh <= 0) continue;
    counted += 1;
    weighted += efficiency * workload.energyKwh;
    energy += workload.energyKwh;
    const waste = (1 - efficiency) * workload.energyKwh;
    if (worst === null || waste > (1 - worst.efficiency) * worst.energyKwh)
      worst = { name: workloadName(workload), efficiency, energyKwh: workload.energyKwh };
  }
  if (counted === 0 || energy <= 0)
    return noData(
      'no workload with CPU or memory requests used energy in the window',
      'Set CPU and memory requests on your workloads so their efficiency can be measured.',
    );
  const mean = weighted / energy;
  return {
    status: 'scored',
    score: clamp(mean * 100),
    inputs: {
      workloads: counted,
      energy_kwh: energy,
      energy_weighted_efficiency: mean,
      least_efficient_workload: worst?.name ?? null,
    },
    explanation:
      'energy-weighted mean over workloads of (min(cpu used/requested, 1) + min(memory used/requested, 1)) / 2',
    advice:
      worst === null
        ? 'Keep requests close to use.'
        : `Lower the requests of ${worst.name} (uses ${(worst.efficiency * 100).toFixed(1)} % of what it requests): see \`carbonctl recommendations\`.`,
  };
}

/** carbon_efficiency: 100 × (1 − E/800), E = energy-weighted intensity × PUE. */
export function carbonEfficiency(
  energyKwh: number,
  scope2LocationGrams: number,
  pue: number,
): Partial {
  if (!(energyKwh > 0))
    return noData(
      'no metered energy in the window',
      'Track usage for this cluster first (`carbonctl track`).',
    );
  // Scope 2 grams = energy (with PUE) × intensity, so grams / energy is the energy-weighted intensity.
  const intensity = scope2LocationGrams / energyKwh;
  const effective = intensity * pue;
  return {
    status: 'scored',
    score: clamp(100 * (1 - effective / CARBON_EFFICIENCY_CEILING_G_PER_KWH)),
    inputs: {
      energy_kwh: energyKwh,
      energy_weighted_intensity_g_per_kwh: intensity,
      pue,
      intensity_times_pue_g_per_kwh: effective,
      ceiling_g_per_kwh: CARBON_EFFICIENCY_CEILING_G_PER_KWH,
    },
    explanation: '100 × (1 − E / 800), E = energy-weighted mean intensity × PUE (g/kWh)',
    advice:
      'Run in a cleaner region or at cleaner hours (`carbonctl intensity --best-window`), or lower the PUE.',
  };
}

/** waste_elimination for pods: idle workloads and idle namespaces. */
export function wasteOfWorkloads(
  workloads: readonly ScoreWorkload[],
  idleBusyFraction: number,
): Partial {
  const candidates = workloads.filter((w) => !w.batch && w.reservedCoreSeconds > 0);
  if (candidates.length === 0)
    return noData(
      'no long-running workload with CPU requests in the window',
      'Set CPU requests so idle workloads can be recognised.',
    );
  const idle = candidates.filter(
    (w) => w.busyCoreSeconds / w.reservedCoreSeconds < idleBusyFraction,
  );
  const idleNames = new Set(idle.map(workloadName));
  const namespaces = new Map<string, boolean>();
  for (const workload of workloads) {
    const allIdle = namespaces.get(workload.namespace) ?? true;
    namespaces.set(workload.namespace, allIdle && idleNames.has(workloadName(workload)));
  }
  const idleNamespaces = [...namespaces].filter(([, allIdle]) => allIdle).map(([ns]) => ns);
  const share = (idle.length / candidates.length + idleNamespaces.length / namespaces.size) / 2;
  return {
    status: 'scored',
    score: clamp(100 * (1 - share)),
    inputs: {
      workloads: candidates.length,
      idle_workloads: idle.length,
      namespaces: namespaces.size,
      idle_namespaces: idleNamespaces.length,
      idle_workload_names: idle.map(workloadName).sort(),
      idle_namespace_names: idleNamespaces.sort(),
      idle_busy_fraction: idleBusyFraction,
    },
    explanation:
      '100 × (1 − (idle workloads / workloads + idle namespaces / namespaces) / 2); idle = busy below idleBusyFraction of the CPU requested',
    advice:
      idle.length === 0
        ? 'No idle workloads: keep scaling unused ones to zero.'
        : `Scale to zero or delete ${idle.map(workloadName).sort().slice(0, 3).join(', ')}${idle.length > 3 ? ` and ${idle.length - 3} more` : ''}.`,
  };
}

/** A host's busy share of its CPU time, or null without CPU time. */
function utilization(host: ScoreHost): number | null {
  const total = host.busyCoreSeconds + host.idleCoreSeconds;
  return total > 0 ? host.busyCoreSeconds / total : null;
}

/** waste_elimination for workspaces: idle hosts. */
export function wasteOfHosts(hosts: readonly ScoreHost[], idleBusyFraction: number): Partial {
  const measured = hosts.filter((host) => utilization(host) !== null);
  if (measured.length === 0)
    return noData('no host with CPU time in the window', 'Check node_exporter is scraped.');
  const idle = measured.filter((host) => (utilization(host) as number) < idleBusyFraction);
  return {
    status: 'scored',
    score: clamp(100 * (1 - idle.length / measured.length)),
    inputs: {
      hosts: measured.length,
      idle_hosts: idle.length,
      idle_host_names: idle.map((host) => host.host).sort(),
      idle_busy_fraction: idleBusyFraction,
    },
    explanation: '100 × (1 − idle hosts / hosts); idle = busy below idleBusyFraction of CPU time',
    advice:
      idle.length === 0
        ? 'No idle hosts: keep suspending unused ones.'
        : `Suspend or delete idle ${idle
            .map((host) => host.host)
            .sort()
            .slice(0, 3)
            .join(', ')}${idle.length > 3 ? ` and ${idle.length - 3} more` : ''}.`,
  };
}

/** node_efficiency: mean over nodes of min(utilization / 0.7, 1). */
export function nodeEfficiency(hosts: readonly ScoreHost[]): Partial {
  const utilizations = hosts
    .map((host) => ({ host: host.host, utilization: utilization(host) }))
    .filter((entry): entry is { host: string; utilization: number } => entry.utilization !== null);
  if (utilizations.length === 0)
    return noData(
      'no node_exporter CPU time in the window (node_cpu_seconds_total)',
      'Scrape node_exporter on the nodes so their utilization can be measured.',
    );
  const mean =
    utilizations.reduce(
      (sum, entry) => sum + Math.min(entry.utilization / NODE_TARGET_UTILIZATION, 1),
      0,
    ) / utilizations.length;
  const lowest = utilizations.reduce((low, entry) =>
    entry.utilization < low.utilization ? entry : low,
  );
  const meanUtilization =
    utilizations.reduce((sum, entry) => sum + entry.utilization, 0) / utilizations.length;
  return {
    status: 'scored',
    score: clamp(mean * 100),
    inputs: {
      nodes: utilizations.length,
      mean_utilization: meanUtilization,
      target_utilization: NODE_TARGET_UTILIZATION,
      least_utilized_node: lowest.host,
    },
    explanation: 'mean over nodes of min(CPU utilization / 0.7, 1)',
    advice: `Consolidate work onto fewer nodes; ${lowest.host} is ${(lowest.utilization * 100).toFixed(1)} % busy.`,
  };
}

/** scaling_practices: spiky scalable workloads without an autoscaler. */
export function scalingPractices(workloads: readonly ScoreWorkload[]): Partial {
  const scalable = workloads.filter(
    (w) => w.scalable && !w.batch && w.cpuMaxCores !== null && w.cpuP50Cores !== null,
  );
  if (scalable.length === 0)
    return noData(
      'no scalable workload (Deployment, StatefulSet) with CPU statistics in the window',
      'Run long-lived services as Deployments so autoscaling can be assessed.',
    );
  const spiky = (w: ScoreWorkload): boolean => {
    const p50 = w.cpuP50Cores as number;
    const max = w.cpuMaxCores as number;
    return p50 > 0 ? max >= SPIKE_RATIO * p50 : max > 0;
  };
  const needing = scalable.filter((w) => !w.hasAutoscaler && spiky(w));
  const names = needing.map(workloadName).sort();
  return {
    status: 'scored',
    score: clamp(100 * (1 - needing.length / scalable.length)),
    inputs: {
      scalable_workloads: scalable.length,
      with_autoscaler: scalable.filter((w) => w.hasAutoscaler).length,
      should_autoscale: needing.length,
      should_autoscale_names: names,
      spike_ratio: SPIKE_RATIO,
    },
    explanation:
      '100 × (1 − workloads that should autoscale / scalable workloads); should autoscale = CPU peak ≥ 3 × median and no HorizontalPodAutoscaler',
    advice:
      names.length === 0
        ? 'Spiky workloads have autoscalers: keep it that way.'
        : `Add a HorizontalPodAutoscaler to ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}.`,
  };
}

/** carbon_aware_scheduling: share of batch energy in hours above 1.5 × the day's cleanest hour. */
export function carbonAwareScheduling(
  batchEnergyByHour: ReadonlyMap<number, number>,
  hourlyIntensity: ReadonlyMap<number, number>,
): Partial {
  const cleanest = new Map<number, number>();
  for (const [hour, intensity] of hourlyIntensity) {
    const day = Math.floor(hour / DAY_MS);
    cleanest.set(day, Math.min(cleanest.get(day) ?? Infinity, intensity));
  }
  let total = 0;
  let dirty = 0;
  for (const [hour, energy] of batchEnergyByHour) {
    const intensity = hourlyIntensity.get(hour);
    const floor = cleanest.get(Math.floor(hour / DAY_MS));
    if (intensity === undefined || floor === undefined || energy <= 0) continue;
    total += energy;
    if (intensity > DIRTY_HOUR_RATIO * floor) dirty += energy;
  }
  if (total <= 0)
    return noData(
      'no batch work (Jobs, CronJobs, CI pods) in the window',
      'Run deferrable work as Jobs so its timing can be assessed.',
    );
  const share = dirty / total;
  return {
    status: 'scored',
    score: clamp(100 * (1 - share)),
    inputs: {
      batch_energy_kwh: total,
      dirty_hours_energy_kwh: dirty,
      dirty_share: share,
      dirty_hour_ratio: DIRTY_HOUR_RATIO,
    },
    explanation:
      "100 × (1 − share of batch energy used in hours above 1.5 × the intensity of the same UTC day's cleanest hour)",
    advice:
      share === 0
        ? 'Batch work already runs in clean hours.'
        : 'Schedule batch jobs in the cleanest hours (`carbonctl run --for 1h --within 24h -- <job>`).',
  };
}

/** stability: 100 − 10 × mean restarts. */
export function stability(workloads: readonly ScoreWorkload[]): Partial {
  const known = workloads.filter(
    (w): w is ScoreWorkload & { restarts: number } => w.restarts !== null,
  );
  if (known.length === 0)
    return noData(
      'no running workload with restart counts (kube_pod_container_status_restarts_total)',
      'Scrape kube-state-metrics so restarts can be counted.',
    );
  const total = known.reduce((sum, w) => sum + w.restarts, 0);
  const mean = total / known.length;
  const worst = known.reduce((a, b) => (b.restarts > a.restarts ? b : a));
  return {
    status: 'scored',
    score: clamp(100 - POINTS_PER_RESTART * mean),
    inputs: { workloads: known.length, restarts_total: total, mean_restarts: mean },
    explanation: '100 − 10 × mean restarts per running workload in the window',
    advice:
      total === 0
        ? 'No restarts: nothing to fix.'
        : `Find why ${workloadName(worst)} restarted ${worst.restarts} time(s) (OOM kills, failing probes).`,
  };
}

const NOT_APPLICABLE: Partial = {
  status: 'not_applicable',
  score: null,
  inputs: {},
  explanation: 'not applicable to node_exporter workspaces (no requests, replicas or restarts)',
  advice: 'Not applicable to workspaces.',
};

/** The seven dimensions and the overall score of one cluster. */
export function sustainabilityScore(input: ScoreInput): ClusterScore {
  const workspaces = input.source === 'nodes';
  const parts: Record<ScoreDimension, Partial> = {
    resource_efficiency: workspaces ? NOT_APPLICABLE : resourceEfficiency(input.workloads),
    carbon_efficiency: carbonEfficiency(input.energyKwh, input.scope2LocationGrams, input.pue),
    waste_elimination: workspaces
      ? wasteOfHosts(input.hosts, input.idleBusyFraction)
      : wasteOfWorkloads(input.workloads, input.idleBusyFraction),
    node_efficiency: nodeEfficiency(input.hosts),
    scaling_practices: workspaces ? NOT_APPLICABLE : scalingPractices(input.workloads),
    carbon_aware_scheduling: workspaces
      ? NOT_APPLICABLE
      : carbonAwareScheduling(input.batchEnergyByHour, input.hourlyIntensity),
    stability: workspaces ? NOT_APPLICABLE : stability(input.workloads),
  };
  return combineDimensions(parts);
}

/** Weighs the dimensions that apply (renormalising their weights) into the overall score. */
export function combineDimensions(parts: Readonly<Record<ScoreDimension, Partial>>): ClusterScore {
  const applicable = SCORE_DIMENSIONS.filter((d) => parts[d].status !== 'not_applicable');
  const weightSum = applicable.reduce((sum, d) => sum + SCORE_WEIGHTS[d], 0);
  const dimensions: DimensionScore[] = SCORE_DIMENSIONS.map((dimension) => {
    const part = parts[dimension];
    const applies = part.status !== 'not_applicable';
    return {
      dimension,
      weight: SCORE_WEIGHTS[dimension],
      effective_weight: applies && weightSum > 0 ? SCORE_WEIGHTS[dimension] / weightSum : 0,
      ...part,
    };
  });
  const overall = dimensions.reduce((sum, d) => sum + (d.score ?? 0) * d.effective_weight, 0);
  const scores = Object.fromEntries(dimensions.map((d) => [d.dimension, d.score])) as Record<
    ScoreDimension,
    number | null
  >;
  return { overall_score: overall, dimension_scores: scores, dimensions };
}

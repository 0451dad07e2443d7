/**
 * The cluster inventory of `carbonctl clusters` (SPEC §10), as pure functions: staleness,
 * utilisation shares, workload counting through owner references, enum-list filters, and the
 * hourly energy/CO2e/cost run rate of the capacity at its current utilisation.
 */
import { energyWeightedIntensity, type FootprintTotal } from './methodology.js';
import { InvalidInputError } from './units.js';

/** SPEC §10: a cluster whose newest sample is older than this is stale. */
export const STALE_AFTER_SECONDS = 180;

/** Hours in a month for monthly run rates: 8,760 h / 12 (SPEC §8 "hourly × 730"). */
export const HOURS_PER_MONTH = 730;

/** True when there is no sample, or the newest one is more than `thresholdSeconds` before `now`. */
export function isStale(
  lastSampleAt: Date | null,
  now: Date,
  thresholdSeconds: number = STALE_AFTER_SECONDS,
): boolean {
  if (lastSampleAt === null) return true;
  return (now.getTime() - lastSampleAt.getTime()) / 1000 > thresholdSeconds;
}

/** part / whole × 100, or null when either is unknown or the whole is 0. */
export function sharePercent(part: number | null, whole: number | null): number | null {
  if (part === null || whole === null || whole <= 0) return null;
  return (part / whole) * 100;
}

/**
 * Parses a comma-separated list of enum values (`aws,gcp`), trimmed and de-duplicated. An
 * unknown value throws an InvalidInputError whose message names the flag and the allowed set.
 */
export function parseEnumList<T extends string>(
  text: string,
  allowed: readonly T[],
  flag: string,
): T[] {
  const values = [
    ...new Set(
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    ),
  ];
  if (values.length === 0) {
    throw new InvalidInputError(`a list of ${allowed.join(', ')}`, {
      flag,
      value: text,
      message: `${flag} needs at least one of: ${allowed.join(', ')}`,
    });
  }
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0) {
    throw new InvalidInputError(`one of ${allowed.join(', ')}`, {
      flag,
      value: unknown.join(','),
      message: `${flag} ${unknown.join(',')}: unknown value${unknown.length > 1 ? 's' : ''} (allowed: ${allowed.join(', ')})`,
    });
  }
  return values as T[];
}

/** Owner references as kube-state-metrics reports them. */
export interface OwnerReferences {
  /** `namespace/pod` → its controller (`kube_pod_owner`). */
  pods: ReadonlyMap<string, { kind: string; name: string }>;
  /** `namespace/replicaset` → its Deployment (`kube_replicaset_owner`). */
  replicaSets: ReadonlyMap<string, { kind: string; name: string }>;
  /** `namespace/job` → its CronJob (`kube_job_owner`). */
  jobs: ReadonlyMap<string, { kind: string; name: string }>;
}

/**
 * The workload a pod belongs to: ReplicaSet rolls up to its Deployment and Job to its CronJob
 * (so a rollout is still one workload); a pod without a controller is its own workload (kind
 * `Pod`), as in the ledger.
 */
export function podWorkload(
  namespace: string,
  pod: string,
  owners: OwnerReferences,
): { kind: string; name: string } {
  const owner = owners.pods.get(`${namespace}/${pod}`);
  if (owner === undefined) return { kind: 'Pod', name: pod };
  const parents =
    owner.kind === 'ReplicaSet' ? owners.replicaSets : owner.kind === 'Job' ? owners.jobs : null;
  const parent = parents?.get(`${namespace}/${owner.name}`);
  const resolved = parent ?? owner;
  return { kind: resolved.kind, name: resolved.name };
}

/** {@link podWorkload} of a `namespace/pod` key as `Kind/namespace/name`. */
export function workloadOf(podKey: string, owners: OwnerReferences): string {
  const slash = podKey.indexOf('/');
  const namespace = podKey.slice(0, slash);
  const { kind, name } = podWorkload(namespace, podKey.slice(slash + 1), owners);
  return `${kind}/${namespace}/${name}`;
}

/** Distinct namespaces and workloads of a set of running pods (`namespace/pod` keys). */
export function countPodsAndWorkloads(
  podKeys: Iterable<string>,
  owners: OwnerReferences,
): { pods: number; namespaces: number; workloads: number } {
  const pods = new Set(podKeys);
  const namespaces = new Set<string>();
  const workloads = new Set<string>();
  for (const pod of pods) {
    namespaces.add(pod.slice(0, pod.indexOf('/')));
    workloads.add(workloadOf(pod, owners));
  }
  return { pods: pods.size, namespaces: namespaces.size, workloads: workloads.size };
}

/** Kubeadapt's workload counts by kind, over a set of running pods (`namespace/pod` keys). */
export interface WorkloadKindCounts {
  deployments: number;
  statefulsets: number;
  daemonsets: number;
  /** Distinct Jobs owning the pods (a CronJob's Jobs included). */
  jobs: number;
  cronjobs: number;
}

/** Counts the distinct workloads of each kind the pods roll up to, and the Jobs that own them. */
export function countWorkloadKinds(
  podKeys: Iterable<string>,
  owners: OwnerReferences,
): WorkloadKindCounts {
  const byKind = new Map<string, Set<string>>();
  const jobs = new Set<string>();
  for (const pod of new Set(podKeys)) {
    const slash = pod.indexOf('/');
    const namespace = pod.slice(0, slash);
    const direct = owners.pods.get(pod);
    if (direct?.kind === 'Job') jobs.add(`${namespace}/${direct.name}`);
    const { kind, name } = podWorkload(namespace, pod.slice(slash + 1), owners);
    const names = byKind.get(kind) ?? new Set<string>();
    names.add(`${namespace}/${name}`);
    byKind.set(kind, names);
  }
  const count = (kind: string): number => byKind.get(kind)?.size ?? 0;
  return {
    deployments: count('Deployment'),
    statefulsets: count('StatefulSet'),
    daemonsets: count('DaemonSet'),
    jobs: jobs.size,
    cronjobs: count('CronJob'),
  };
}

/**
 * The cluster's Kubernetes version from `kubernetes_build_info` (`git_version`): the API
 * server's when a series' job names it, else the most common among the components (kubelets),
 * else the newest kubelet's from kube-state-metrics' `kube_node_info` (`kubelet_version`); null
 * when neither metric exists. Ties go to the lexically greatest version, so the answer is stable.
 */
export function kubernetesVersion(
  buildInfo: ReadonlyArray<{ gitVersion: string; job: string; count: number }>,
  kubeletVersions: ReadonlyArray<{ version: string; count: number }>,
): string | null {
  const mostCommon = (entries: ReadonlyArray<{ version: string; count: number }>) =>
    entries
      .filter((entry) => entry.version !== '')
      .sort((a, b) => b.count - a.count || (a.version < b.version ? 1 : -1))[0]?.version ?? null;
  const apiServer = buildInfo.filter((entry) => /apiserver/i.test(entry.job));
  return (
    mostCommon(apiServer.map((entry) => ({ version: entry.gitVersion, count: entry.count }))) ??
    mostCommon(buildInfo.map((entry) => ({ version: entry.gitVersion, count: entry.count }))) ??
    mostCommon(kubeletVersions)
  );
}

/** The hourly run rate of a cluster and its 730-hour month. */
export interface RunRate {
  energyKwhPerHour: number;
  /** Location-based Scope 2 + Scope 3 embodied per hour. */
  co2eGramsPerHour: number;
  costPerHour: number;
  co2eKgPerMonth: number;
  costPerMonth: number;
  /** Energy-weighted intensity of the metered hours, g/kWh; null without energy. */
  intensityGPerKwh: number | null;
}

/**
 * The run rate of a cluster from its metered footprint over `hours` hours (normally its last
 * complete hour, as `track` accounts it): per hour, and × 730 per month (SPEC §8).
 */
export function runRateOf(total: FootprintTotal, hours: number): RunRate {
  if (!(hours > 0)) throw new RangeError(`hours must be positive, got ${hours}`);
  const co2eGramsPerHour = total.totalGrams / hours;
  const costPerHour = total.cost / hours;
  return {
    energyKwhPerHour: total.energyKwh / hours,
    co2eGramsPerHour,
    costPerHour,
    co2eKgPerMonth: (co2eGramsPerHour * HOURS_PER_MONTH) / 1000,
    costPerMonth: costPerHour * HOURS_PER_MONTH,
    intensityGPerKwh: energyWeightedIntensity(total.scope2LocationGrams, total.energyKwh),
  };
}

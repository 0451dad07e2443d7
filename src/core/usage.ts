/**
 * What a Prometheus source yields per accounted entity and UTC hour (SPEC §2): the activity
 * data the methodology turns into energy, emissions and cost. Produced by
 * `src/providers/prometheus/usage.ts`, stored by `track`.
 */

/** The two kinds of Prometheus data carbonctl accounts (SPEC §1.3 `source`). */
export type UsageSource = 'nodes' | 'pods';

/** The usage sources, for validation and help text. */
export const USAGE_SOURCES: readonly UsageSource[] = ['nodes', 'pods'];

/** Who and what an entity is; fields that do not apply to a source are absent. */
export interface EntityLabels {
  /** nodes: the project label (`cloud_project_name` by default). */
  project?: string;
  /** nodes: the machine label (`machine_name` by default). */
  machine?: string;
  /** nodes: the owner label (`owner` by default). */
  owner?: string;
  /** nodes: the host label value (`instance` by default). */
  host?: string;
  /** pods: Kubernetes namespace. */
  namespace?: string;
  /** pods: owning workload after roll-up (Deployment, StatefulSet, CronJob, Job …), or the pod itself. */
  workload?: string;
  /** pods: kind of {@link workload}, e.g. `Deployment`, or `Pod` for a pod without a controller. */
  workloadKind?: string;
  /** pods: pod name. */
  pod?: string;
}

/** Activity of one entity in one UTC hour, from counters' exact increases within that hour. */
export interface EntityHourUsage {
  source: UsageSource;
  /** nodes: the host label value; pods: `${namespace}/${pod}`. */
  entityId: string;
  /** UTC start of the hour. */
  hourStart: Date;
  /** Busy CPU core-seconds in the hour. */
  busySeconds: number;
  /** nodes: core-seconds in the idle modes; pods: max(0, reserved − busy). */
  idleSeconds: number;
  /** pods: request cores × seconds the pod ran in the hour; nodes: null. */
  reservedCoreSeconds: number | null;
  /** pods: working-set GiB × hours the pod ran; nodes: 0 (not measured). */
  memoryGiBHours: number;
  labels: EntityLabels;
  /** 0..1: fraction of the hour's scrape steps ended by a real sample (interpolated steps are not). */
  coverage: number;
  /** Some of the hour's usage is an increase across a gap spread evenly over it (SPEC §2 `gap_interpolated`). */
  gapInterpolated: boolean;
}

/** The window to fetch: whole UTC hours, half-open `[from, to)`. */
export interface UsageFetchOptions {
  from: Date;
  to: Date;
}

/** Seconds in an hour; every bucket in the ledger is one UTC hour. */
export const HOUR_SECONDS = 3600;

/** Bytes in a GiB (2^30), for working-set GiB-hours. */
export const BYTES_PER_GIB = 1024 ** 3;

/** True when `date` falls exactly on a whole UTC hour. */
export function isWholeHour(date: Date): boolean {
  return date.getTime() % (HOUR_SECONDS * 1000) === 0;
}

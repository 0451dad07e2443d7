/**
 * The shared shape of a recommendation (SPEC §8): what the engine (core/recommendations.ts)
 * produces from Prometheus data and what the ledger stores with its lifecycle. Pure types and
 * enum lists only; the rules live in core/recommendations.ts, the lifecycle rules in
 * core/recommendation-lifecycle.ts.
 */

/** The five recommendation types of SPEC §8. */
export type RecommendationType =
  | 'RIGHTSIZING_CPU'
  | 'RIGHTSIZING_MEMORY'
  | 'IDLE_WORKSPACE'
  | 'IDLE_WORKLOAD'
  | 'CARBON_AWARE_SHIFT';

/** Every type, in the order help and tables list them. */
export const RECOMMENDATION_TYPES: readonly RecommendationType[] = [
  'RIGHTSIZING_CPU',
  'RIGHTSIZING_MEMORY',
  'IDLE_WORKSPACE',
  'IDLE_WORKLOAD',
  'CARBON_AWARE_SHIFT',
];

/** Lifecycle states: active → applied | ignored; restore → active; stale when the condition lapses. */
export type RecommendationStatus = 'active' | 'applied' | 'ignored' | 'stale';
/** Every status. */
export const RECOMMENDATION_STATUSES: readonly RecommendationStatus[] = [
  'active',
  'applied',
  'ignored',
  'stale',
];

/** SPEC §8 priority (from monthly savings). */
export type RecommendationPriority = 'high' | 'medium' | 'low';
/** Every priority, highest first. */
export const RECOMMENDATION_PRIORITIES: readonly RecommendationPriority[] = [
  'high',
  'medium',
  'low',
];

/** SPEC §8 risk of applying the change. */
export type RecommendationRisk = 'low' | 'medium' | 'high';
/** Every risk level, lowest first. */
export const RECOMMENDATION_RISKS: readonly RecommendationRisk[] = ['low', 'medium', 'high'];

/**
 * What a recommendation is about. Identity = (type, cluster, kind, namespace, workloadKind,
 * workload, container, host): a Deployment and a StatefulSet of the same name are two targets.
 */
export interface RecommendationTarget {
  cluster: string;
  /** `container` for rightsizing, `workload` for idle workloads and shifts, `host` for workspaces. */
  kind: 'container' | 'workload' | 'host';
  namespace: string | null;
  /** Owning workload name (Deployment, StatefulSet, CronJob, Job, …) for Kubernetes targets. */
  workload: string | null;
  /** e.g. `Deployment`, `StatefulSet`, `DaemonSet`, `CronJob`, `Job`. */
  workloadKind: string | null;
  container: string | null;
  /** Host / instance for workspaces. */
  host: string | null;
}

/**
 * A configuration (current, recommended or applied). Keys are snake_case because they are shown
 * as-is in the Kubeadapt-like JSON; only the keys that matter for the type are set.
 */
export interface RecommendationConfig {
  /** CPU request per replica in cores (e.g. 2 = `2000m`). */
  cpu_request_cores?: number;
  /** Memory request per replica in bytes. */
  memory_request_bytes?: number;
  replicas?: number;
  /** Cores of a host (IDLE_WORKSPACE). */
  cores?: number;
  /** `running` / `suspended` for hosts and workloads. */
  state?: string;
  /** Hours of day (UTC, 0–23) the batch work ran / should run (CARBON_AWARE_SHIFT). */
  run_hours_utc?: number[];
  /** Mean grid intensity of the hours it ran / would run in g/kWh (CARBON_AWARE_SHIFT). */
  intensity_g_per_kwh?: number;
  /**
   * Rightsizing (Kubeadapt's workload body): every container of the workload with its requests
   * and limits per replica, so one apply covers the whole workload.
   */
  containers?: ContainerConfig[];
}

/** One container of a workload body: requests and limits (cores, bytes; null = not set). */
export interface ContainerConfig {
  name: string;
  requests: { cpu: number | null; memory: number | null };
  limits: { cpu: number | null; memory: number | null };
  /** Resources the container has no limit for (flagged: a runaway container can take the node). */
  without_limits?: Array<'cpu' | 'memory'>;
}

/** Estimated savings of applying a recommendation, per month (= hourly × 730). */
export interface RecommendationSavings {
  monthlyCo2eGrams: number;
  monthlyKwh: number;
  monthlyCost: number;
  /** Cost saved per hour (Kubeadapt `estimated_hourly`). */
  hourlyCost: number;
  currency: string;
}

/** The numbers behind a recommendation, shown by `show` (SPEC §8 metrics snapshot). */
export interface MetricsSnapshot {
  /** Analysis window, ISO 8601 UTC. */
  windowFrom: string;
  windowTo: string;
  /** Samples (data points) the statistics are based on. */
  samples: number;
  /** Unit of p50…max: cores (CPU), bytes (memory), fraction (busy share), g_per_kwh (shift). */
  unit: 'cores' | 'bytes' | 'fraction' | 'g_per_kwh';
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  replicas: number | null;
  restarts: number | null;
  oomKills: number | null;
}

/** One finding of the engine: everything except lifecycle state. */
export interface RecommendationFinding {
  /** Stable short id: same type + target → same id across runs (see recommendationId). */
  id: string;
  type: RecommendationType;
  target: RecommendationTarget;
  /** Short title, e.g. `Rightsize CPU of shop/web/app`. */
  title: string;
  /** One sentence with the numbers, e.g. "CPU request 2000m is 4.8× the p95 usage 420m; recommend 510m". */
  description: string;
  current: RecommendationConfig;
  recommended: RecommendationConfig;
  /** Hourly cost of the target as it runs now (Kubeadapt `current.hourly_cost`). */
  currentHourlyCost: number;
  savings: RecommendationSavings;
  priority: RecommendationPriority;
  risk: RecommendationRisk;
  snapshot: MetricsSnapshot;
  /** The exact command that applies it (`kubectl …`), or null when there is none (hosts). */
  applyCommand: string | null;
  /** The command that puts the current configuration back (printed by `restore` of an applied one). */
  revertCommand: string | null;
}

/** A stored recommendation: a finding plus its lifecycle. Times are ISO 8601 UTC. */
export interface StoredRecommendation extends RecommendationFinding {
  status: RecommendationStatus;
  createdAt: string;
  updatedAt: string;
  /** When the last `generate` that saw the condition ran. */
  lastSeenAt: string;
  /** What was actually applied (given on `apply`), else null. */
  applied: RecommendationConfig | null;
  appliedAt: string | null;
  ignoredReason: string | null;
}

/**
 * The recommendation rules of SPEC §8: from per-target usage statistics gathered over an
 * analysis window to `RecommendationFinding`s with stable ids, savings (SPEC §2 methodology,
 * hourly × 730), priority and risk. Pure: the statistics, factors and intensities come in as
 * arguments; nothing here reads the clock, the environment or the network.
 *
 * Rules in one place (each constant below says why it has its value):
 * - RIGHTSIZING_CPU / RIGHTSIZING_MEMORY, per container of a long-running workload: recommended =
 *   configured percentile × headroom, floored (10m / 16Mi), rounded up to a whole millicore / Mi;
 *   fires only when the request is at least {@link WELL_ABOVE_RATIO} × the recommendation and the
 *   capacity freed is at least {@link MIN_CPU_SAVING_CORES} / {@link MIN_MEMORY_SAVING_BYTES};
 *   never an increase.
 * - IDLE_WORKLOAD: a scalable workload whose mean CPU use is below `idleBusyFraction` of its CPU
 *   requests → scale to zero. It replaces the rightsizing findings of that workload (scaling to
 *   zero frees all of what rightsizing would free part of), so it never gets both.
 * - IDLE_WORKSPACE: a host busy less than `idleBusyFraction` of its CPU time → suspend or delete.
 * - CARBON_AWARE_SHIFT: batch work (Job/CronJob pods, bare pods in CI namespaces) whose
 *   energy-weighted intensity is at least {@link SHIFT_THRESHOLD} × that of the cleanest hour of
 *   the same UTC days.
 */
import { HOURS_PER_MONTH } from './clusters.js';
import { computeFootprint, type Activity, type MethodologyFactors } from './methodology.js';
import type {
  ContainerConfig,
  MetricsSnapshot,
  RecommendationConfig,
  RecommendationFinding,
  RecommendationPriority,
  RecommendationRisk,
  RecommendationSavings,
  RecommendationTarget,
  RecommendationType,
} from './recommendation-model.js';
import { formatCpuQuantity, formatMemoryQuantity } from './units.js';
import { BYTES_PER_GIB, HOUR_SECONDS } from './usage.js';

const HOUR_MS = HOUR_SECONDS * 1000;
const MIB = 1024 ** 2;

// ---------------------------------------------------------------------------------------------
// Settings and thresholds

/** The engine's knobs: config `recommendations` (SPEC §1.3) minus the lookback. */
export interface RecommendationRules {
  /** Percentile of CPU usage a request should cover (default 95). */
  cpuPercentile: number;
  /** Percentile of memory working set a request should cover (default 99). */
  memoryPercentile: number;
  /** Multiplier on the percentile (default 1.2 = 20 % headroom). */
  headroom: number;
  /** Busy share below which a host or workload counts as idle (default 0.02). */
  idleBusyFraction: number;
}

/** SPEC §1.3 defaults. */
export const DEFAULT_RECOMMENDATION_RULES: Readonly<RecommendationRules> = Object.freeze({
  cpuPercentile: 95,
  memoryPercentile: 99,
  headroom: 1.2,
  idleBusyFraction: 0.02,
});

/** SPEC §8 floor of a recommended CPU request: 10m. */
export const CPU_FLOOR_CORES = 0.01;
/** SPEC §8 floor of a recommended memory request: 16Mi. */
export const MEMORY_FLOOR_BYTES = 16 * MIB;
/**
 * "Well above": the current request must be at least 1.25 × the recommendation (i.e. the change
 * frees ≥ 20 % of it). Below that the gain is within the noise of a two-week sample and
 * rightsizing would churn on every generate.
 */
export const WELL_ABOVE_RATIO = 1.25;
/** Smallest CPU a rightsizing must free over all replicas (50m): less is not worth a rollout. */
export const MIN_CPU_SAVING_CORES = 0.05;
/** Smallest memory a rightsizing must free over all replicas (64Mi): less is not worth a rollout. */
export const MIN_MEMORY_SAVING_BYTES = 64 * MIB;
/**
 * A run hour is "well above" the day's cleanest hour when its intensity is ≥ 1.2 × it (20 %);
 * smaller differences are within the forecast error of grid-intensity APIs
 * (reference/carbon-intensity-apis.md: forecasts are revised by tens of g/kWh).
 */
export const SHIFT_THRESHOLD = 1.2;
/** Idle findings need at least a day of history: a workload or host created an hour ago is not "idle". */
export const IDLE_MIN_OBSERVED_HOURS = 24;
/** Less history than this (a day) makes any change high risk. */
export const THIN_HISTORY_HOURS = 24;
/** Less history than this (a week, one weekly cycle) makes a change at least medium risk. */
export const SHORT_HISTORY_HOURS = 168;
/** Idle workload/workspace: a peak above this share of the capacity means it is sometimes used (medium risk). */
export const IDLE_PEAK_SHARE = 0.5;

/** SPEC §8 priority thresholds (per month). */
export const PRIORITY_THRESHOLDS = Object.freeze({
  high: { cost: 50, co2eGrams: 10_000 },
  medium: { cost: 10, co2eGrams: 2_000 },
});

/** Long-running controllers: `kubectl set resources` can change their pod template; never batch. */
const RIGHTSIZABLE_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
]);
/** Workload kinds `kubectl scale` can take to zero (a DaemonSet cannot be scaled). */
const SCALABLE_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
]);

/**
 * Namespaces that hold CI work (GitLab/GitHub/Jenkins/Buildkite/Tekton runners and `ci`,
 * `ci-*`, `*-ci`). An RE2 and JavaScript regex body, matched whole (as PromQL `=~` does), so the
 * Prometheus query and {@link isCiNamespace} agree.
 */
export const CI_NAMESPACE_PATTERN =
  'ci|ci-.+|.+-ci|gitlab-runners?|gitlab-runner-.+|actions-runners?|actions-runner-.+|arc-runners|arc-systems|jenkins-agents?|buildkite(-.+)?|tekton-pipelines|argo-workflows|woodpecker|drone';

const CI_NAMESPACE_RE = new RegExp(`^(?:${CI_NAMESPACE_PATTERN})$`);

/** True for a namespace named like a CI runner namespace ({@link CI_NAMESPACE_PATTERN}). */
export function isCiNamespace(namespace: string): boolean {
  return CI_NAMESPACE_RE.test(namespace);
}

/**
 * Workload kind of a batch group: standalone Jobs and bare CI pods have per-run names, so they
 * are grouped per namespace (target workload = the namespace) to keep one stable id.
 */
export const BATCH_GROUP_KIND = 'Namespace';

/**
 * Batch work that could run at another time: pods of Jobs and CronJobs anywhere, and in CI
 * namespaces every pod not kept running by a long-lived controller (bare runner pods, Tekton
 * TaskRun or Argo Workflow pods). A Deployment in a CI namespace (a runner manager) runs all
 * day and is not batch.
 */
export function isBatchWorkload(workloadKind: string, namespace: string): boolean {
  if (workloadKind === 'Job' || workloadKind === 'CronJob' || workloadKind === BATCH_GROUP_KIND)
    return true;
  return isCiNamespace(namespace) && !RIGHTSIZABLE_KINDS.has(workloadKind);
}

// ---------------------------------------------------------------------------------------------
// Statistics in (gathered by providers/prometheus/recommendations.ts)

/** Distribution of a usage series over the window (cores for CPU, bytes for memory). */
export interface UsageDistribution {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Value at the configured percentile (`cpuPercentile` / `memoryPercentile`). */
  atPercentile: number;
  /** Mean over the time the series existed; null when not gathered. */
  mean: number | null;
  /** Data points the distribution is computed from. */
  samples: number;
}

/** One container of a workload, statistics over all of the workload's pods. */
export interface ContainerUsageStats {
  container: string;
  /** CPU request per replica now (end of the window), cores; null when none is set. */
  cpuRequestCores: number | null;
  /** Memory request per replica now, bytes; null when none is set. */
  memoryRequestBytes: number | null;
  /** CPU and memory limits per replica now (`kube_pod_container_resource_limits`); null/absent = none. */
  cpuLimitCores?: number | null;
  memoryLimitBytes?: number | null;
  /** CPU usage (cores) per replica; percentiles are those of the busiest replica. */
  cpu: UsageDistribution | null;
  /** Memory working set (bytes) per replica; percentiles are those of the busiest replica. */
  memory: UsageDistribution | null;
  /** Container restarts in the window, all replicas. */
  restarts: number;
  /** Containers whose last termination in the window was OOMKilled, all replicas. */
  oomKills: number;
  /** History behind the statistics: observed pod-hours / replicas, at most the window. */
  observedHours: number;
}

/** A Kubernetes workload (pods rolled up to their controller) that is running at the window's end. */
export interface WorkloadUsageStats {
  namespace: string;
  workload: string;
  /** `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Pod`, … */
  workloadKind: string;
  /** Pods running at the end of the window. */
  replicas: number;
  containers: ContainerUsageStats[];
}

/** A node_exporter host (workspace) running at the window's end. */
export interface HostUsageStats {
  host: string;
  cores: number;
  /** Busy and idle CPU core-seconds over the window (SPEC §2). */
  busySeconds: number;
  idleSeconds: number;
  /** Busy cores over time (5-minute rates); null when not gathered. */
  busyCores: UsageDistribution | null;
  /** Hours the host ran in the window: (busy + idle) / cores / 3600. */
  observedHours: number;
}

/** Batch work (a CronJob, or a namespace's Jobs / CI pods) and when it ran. */
export interface BatchUsageStats {
  namespace: string;
  workload: string;
  /** `CronJob`, `Job` or {@link BATCH_GROUP_KIND}. */
  workloadKind: string;
  /** Busy CPU core-seconds per UTC hour, keyed by the hour's start in epoch milliseconds. */
  busySecondsByHour: ReadonlyMap<number, number>;
  /** Data points behind the hourly figures (pod-hours). */
  samples: number;
}

/** Everything one cluster's data source returned. */
export interface ClusterUsageStats {
  workloads: WorkloadUsageStats[];
  hosts: HostUsageStats[];
  batch: BatchUsageStats[];
}

/** Everything besides the statistics that the findings of one cluster depend on. */
export interface EngineContext {
  cluster: string;
  /** The analysis window `[from, to)`. */
  window: { from: Date; to: Date };
  rules: RecommendationRules;
  factors: MethodologyFactors;
  /** Plain mean of the window's hourly location-based intensities, g/kWh (for capacity savings). */
  meanIntensityGPerKwh: number;
  /** Hourly location-based intensity, keyed by hour start (epoch ms), for shifts. */
  hourlyIntensityGPerKwh: ReadonlyMap<number, number>;
}

// ---------------------------------------------------------------------------------------------
// Ids, priority, risk

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a 64-bit over the UTF-8 bytes of `text`, as 16 lowercase hex digits. */
export function fnv1a64Hex(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * Stable short id (12 hex digits) of a type and target: the same type + target identity
 * (cluster, kind, namespace, workload, container, host — recommendation-model.ts) gives the same
 * id in every run, so the ledger can follow a recommendation across re-generations.
 */
export function recommendationId(type: RecommendationType, target: RecommendationTarget): string {
  // JSON of a fixed-order array: unambiguous (no separator can be forged by a label value).
  const canonical = JSON.stringify([
    type,
    target.cluster,
    target.kind,
    target.namespace,
    target.workloadKind,
    target.workload,
    target.container,
    target.host,
  ]);
  return fnv1a64Hex(canonical).slice(0, 12);
}

/** SPEC §8: high ≥ 50 cost units or ≥ 10 kgCO2e per month; medium ≥ 10 or ≥ 2 kg; else low. */
export function priorityFor(
  savings: Pick<RecommendationSavings, 'monthlyCost' | 'monthlyCo2eGrams'>,
): RecommendationPriority {
  const { high, medium } = PRIORITY_THRESHOLDS;
  if (savings.monthlyCost >= high.cost || savings.monthlyCo2eGrams >= high.co2eGrams) return 'high';
  if (savings.monthlyCost >= medium.cost || savings.monthlyCo2eGrams >= medium.co2eGrams)
    return 'medium';
  return 'low';
}

/** What the rightsizing risk depends on. */
export interface RightsizingRiskInput {
  resource: 'cpu' | 'memory';
  recommended: number;
  distribution: UsageDistribution;
  restarts: number;
  oomKills: number;
  observedHours: number;
}

/**
 * Risk of a rightsizing (SPEC §8: headroom over p99/max, restarts/OOM kills, samples):
 * - high: under a day of history; memory: any OOM kill, or the recommendation below the observed
 *   maximum (that peak would now be OOM-killed); CPU: the recommendation below the p95 (throttled
 *   more than 5 % of the time — possible when `cpuPercentile` is set below 95).
 * - medium: under a week of history (one weekly cycle); any restart or OOM kill; CPU: below the
 *   observed maximum, which includes below the p99 (peaks get throttled, which slows but does not
 *   kill); memory: less than 10 % headroom over the maximum.
 * - low: otherwise.
 */
export function rightsizingRisk(input: RightsizingRiskInput): RecommendationRisk {
  const { recommended, distribution, observedHours } = input;
  const overP95 = ratio(recommended, distribution.p95);
  const overMax = ratio(recommended, distribution.max);
  if (shorterThan(observedHours, THIN_HISTORY_HOURS)) return 'high';
  if (input.resource === 'memory' && (input.oomKills > 0 || overMax < 1)) return 'high';
  if (input.resource === 'cpu' && overP95 < 1) return 'high';
  if (shorterThan(observedHours, SHORT_HISTORY_HOURS)) return 'medium';
  if (input.restarts > 0 || input.oomKills > 0) return 'medium';
  if (input.resource === 'cpu' && overMax < 1) return 'medium';
  if (input.resource === 'memory' && overMax < 1.1) return 'medium';
  return 'low';
}

/**
 * Risk of suspending an idle host or scaling an idle workload to zero: high under a day of
 * history; medium under a week, after restarts, or when its peak reached
 * {@link IDLE_PEAK_SHARE} of its capacity (someone does use it now and then); else low.
 */
export function idleRisk(input: {
  observedHours: number;
  peakShare: number | null;
  restarts: number;
}): RecommendationRisk {
  if (shorterThan(input.observedHours, THIN_HISTORY_HOURS)) return 'high';
  if (shorterThan(input.observedHours, SHORT_HISTORY_HOURS)) return 'medium';
  if (input.restarts > 0) return 'medium';
  if (input.peakShare !== null && input.peakShare >= IDLE_PEAK_SHARE) return 'medium';
  return 'low';
}

/**
 * Risk of moving batch work in time: low when it ran on two or more days (a pattern the savings
 * can extrapolate), medium for a one-off.
 */
export function shiftRisk(daysWithRuns: number): RecommendationRisk {
  return daysWithRuns >= 2 ? 'low' : 'medium';
}

/**
 * `hours < threshold`, with slack for floating-point noise: history measured from counters over
 * exactly a week can come out as 167.99999999 h and must still count as a week.
 */
function shorterThan(hours: number, threshold: number): boolean {
  return hours < threshold - 1e-6;
}

function ratio(value: number, reference: number): number {
  if (reference <= 0) return Number.POSITIVE_INFINITY;
  return value / reference;
}

// ---------------------------------------------------------------------------------------------
// Recommended values

function ceilTo(value: number, unit: number): number {
  // Slack so binary noise (0.42 × 1.2 = 0.5039999…) does not add a unit (as core/units.ts does).
  return Math.ceil(value / unit - 1e-6) * unit;
}

/** Recommended CPU request in cores: percentile × headroom, ≥ 10m, rounded up to a whole millicore. */
export function recommendedCpuCores(percentileCores: number, headroom: number): number {
  const cores = Math.max(CPU_FLOOR_CORES, percentileCores * headroom);
  // Whole millicores as an integer count, so 0.504 is exactly 504/1000.
  return Math.ceil(cores * 1000 - 1e-6) / 1000;
}

/** Recommended memory request in bytes: percentile × headroom, ≥ 16Mi, rounded up to a whole Mi. */
export function recommendedMemoryBytes(percentileBytes: number, headroom: number): number {
  return ceilTo(Math.max(MEMORY_FLOOR_BYTES, percentileBytes * headroom), MIB);
}

// ---------------------------------------------------------------------------------------------
// Savings

/** Monthly savings of removing `activity` every hour, at `intensity`: SPEC §2 per hour × 730. */
export function monthlySavings(
  hourlyActivity: Activity,
  intensityGPerKwh: number,
  factors: MethodologyFactors,
): RecommendationSavings {
  const footprint = computeFootprint(hourlyActivity, intensityGPerKwh, factors);
  return {
    monthlyCo2eGrams: footprint.totalGrams * HOURS_PER_MONTH,
    monthlyKwh: footprint.energy.totalKwh * HOURS_PER_MONTH,
    monthlyCost: footprint.cost * HOURS_PER_MONTH,
    hourlyCost: footprint.cost,
    currency: factors.cost.currency,
  };
}

/** Cost per hour of an activity (SPEC §2 cost formula). */
function hourlyCostOf(
  activity: Activity,
  intensityGPerKwh: number,
  factors: MethodologyFactors,
): number {
  return computeFootprint(activity, intensityGPerKwh, factors).cost;
}

/**
 * One hour of a container as it runs now, over all replicas: busy = mean use, idle = the rest of
 * the request (reserved capacity, SPEC §2), memory = the request.
 */
function containerHourlyActivity(container: ContainerUsageStats, replicas: number): Activity {
  const busyCores = Math.max(0, container.cpu?.mean ?? 0);
  const idleCores = Math.max(0, (container.cpuRequestCores ?? 0) - busyCores);
  return {
    busySeconds: busyCores * replicas * HOUR_SECONDS,
    idleSeconds: idleCores * replicas * HOUR_SECONDS,
    memoryGiBHours: ((container.memoryRequestBytes ?? 0) * replicas) / BYTES_PER_GIB,
  };
}

function addActivities(parts: readonly Activity[]): Activity {
  return parts.reduce<Activity>(
    (sum, part) => ({
      busySeconds: sum.busySeconds + part.busySeconds,
      idleSeconds: sum.idleSeconds + part.idleSeconds,
      memoryGiBHours: sum.memoryGiBHours + part.memoryGiBHours,
    }),
    { busySeconds: 0, idleSeconds: 0, memoryGiBHours: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// Commands

const SHELL_SAFE = /^[A-Za-z0-9._/=:@%+,-]+$/;

/** Quotes a word for a POSIX shell when it needs it (label values come from outside). */
export function shellQuote(word: string): string {
  if (SHELL_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function resourceRef(workloadKind: string, workload: string): string {
  return shellQuote(`${workloadKind.toLowerCase()}/${workload}`);
}

/** `kubectl -n <ns> set resources <kind>/<name> -c <container> --requests=<resource>=<quantity>`. */
export function kubectlSetRequests(
  namespace: string,
  workloadKind: string,
  workload: string,
  container: string,
  resource: 'cpu' | 'memory',
  quantity: string,
): string {
  return [
    'kubectl',
    '-n',
    shellQuote(namespace),
    'set',
    'resources',
    resourceRef(workloadKind, workload),
    '-c',
    shellQuote(container),
    shellQuote(`--requests=${resource}=${quantity}`),
  ].join(' ');
}

/** `kubectl -n <ns> scale <kind>/<name> --replicas=<n>`. */
export function kubectlScale(
  namespace: string,
  workloadKind: string,
  workload: string,
  replicas: number,
): string {
  return [
    'kubectl',
    '-n',
    shellQuote(namespace),
    'scale',
    resourceRef(workloadKind, workload),
    `--replicas=${replicas}`,
  ].join(' ');
}

// ---------------------------------------------------------------------------------------------
// Text

/** A ratio for people: one decimal below 10 (4.76 → `4.8`), whole above. */
function formatRatio(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** A share as a percentage with up to 2 significant decimals: 0.004 → `0.4%`. */
function formatPercent(share: number): string {
  const percent = share * 100;
  const text =
    percent >= 10 ? percent.toFixed(0) : percent >= 1 ? percent.toFixed(1) : percent.toPrecision(1);
  return `${Number(text)}%`;
}

/** Grams as `318 gCO2e` or `1.03 kgCO2e` (3 significant figures). */
function formatGrams(grams: number): string {
  if (grams >= 1000) return `${Number((grams / 1000).toPrecision(3))} kgCO2e`;
  return `${Number(grams.toPrecision(3))} gCO2e`;
}

/** The window's length as `7 days` or `36 h`. */
function formatWindow(window: { from: Date; to: Date }): string {
  const hours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
  if (hours % 24 === 0) return `${hours / 24} day${hours === 24 ? '' : 's'}`;
  return `${Number(hours.toPrecision(3))} h`;
}

/** Hours of day as ranges: [14, 15, 18] → `14:00–16:00, 18:00–19:00 UTC`. */
export function formatHourRanges(hours: readonly number[]): string {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start: number | null = null;
  let previous = -2;
  const pad = (hour: number): string => `${String(hour % 24).padStart(2, '0')}:00`;
  for (const hour of [...sorted, Number.NaN]) {
    if (start !== null && hour === previous + 1) {
      previous = hour;
      continue;
    }
    if (start !== null) ranges.push(`${pad(start)}–${pad(previous + 1)}`);
    start = hour;
    previous = hour;
  }
  return `${ranges.join(', ')} UTC`;
}

function snapshotOf(
  window: { from: Date; to: Date },
  unit: MetricsSnapshot['unit'],
  distribution: Pick<UsageDistribution, 'p50' | 'p95' | 'p99' | 'max' | 'samples'> | null,
  extra: { replicas: number | null; restarts: number | null; oomKills: number | null },
): MetricsSnapshot {
  return {
    windowFrom: window.from.toISOString(),
    windowTo: window.to.toISOString(),
    samples: distribution?.samples ?? 0,
    unit,
    p50: distribution?.p50 ?? null,
    p95: distribution?.p95 ?? null,
    p99: distribution?.p99 ?? null,
    max: distribution?.max ?? null,
    ...extra,
  };
}

function finding(
  type: RecommendationType,
  target: RecommendationTarget,
  parts: Omit<RecommendationFinding, 'id' | 'type' | 'target' | 'priority'>,
): RecommendationFinding {
  return {
    id: recommendationId(type, target),
    type,
    target,
    ...parts,
    priority: priorityFor(parts.savings),
  };
}

function containerTarget(
  cluster: string,
  workload: WorkloadUsageStats,
  container: string,
): RecommendationTarget {
  return {
    cluster,
    kind: 'container',
    namespace: workload.namespace,
    workload: workload.workload,
    workloadKind: workload.workloadKind,
    container,
    host: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Builders

/** A rightsizing rule's outcome for one container: its request now, the recommendation, the usage. */
interface RequestChange {
  current: number;
  recommended: number;
  usage: UsageDistribution;
}

/**
 * The CPU request change of a container, or null when the rule does not fire: recommended =
 * percentile × headroom; only well above it and freeing at least 50m over all replicas; never
 * an increase.
 */
function cpuRightsizing(
  context: EngineContext,
  workload: WorkloadUsageStats,
  container: ContainerUsageStats,
): RequestChange | null {
  const current = container.cpuRequestCores;
  const usage = container.cpu;
  if (current === null || current <= 0 || usage === null || workload.replicas <= 0) return null;
  if (!RIGHTSIZABLE_KINDS.has(workload.workloadKind)) return null;
  const recommended = recommendedCpuCores(usage.atPercentile, context.rules.headroom);
  if (recommended >= current) return null; // never an increase
  const freedCores = (current - recommended) * workload.replicas;
  if (current < WELL_ABOVE_RATIO * recommended || freedCores < MIN_CPU_SAVING_CORES - 1e-9)
    return null;
  return { current, recommended, usage };
}

/** The memory request change of a container, or null (the same rules, 64Mi minimum freed). */
function memoryRightsizing(
  context: EngineContext,
  workload: WorkloadUsageStats,
  container: ContainerUsageStats,
): RequestChange | null {
  const current = container.memoryRequestBytes;
  const usage = container.memory;
  if (current === null || current <= 0 || usage === null || workload.replicas <= 0) return null;
  if (!RIGHTSIZABLE_KINDS.has(workload.workloadKind)) return null;
  const recommended = recommendedMemoryBytes(usage.atPercentile, context.rules.headroom);
  if (recommended >= current) return null; // never an increase
  const freedBytes = (current - recommended) * workload.replicas;
  if (current < WELL_ABOVE_RATIO * recommended || freedBytes < MIN_MEMORY_SAVING_BYTES) return null;
  return { current, recommended, usage };
}

/**
 * Kubeadapt's workload body: every container of the workload as it is and as recommended, CPU
 * and memory together. Requests follow the rightsizing rules (unchanged where they do not
 * fire). Limits: a CPU limit is never below the recommended CPU request (raised to it if it
 * was); a memory limit is at least the recommended memory request × headroom (raised, or set
 * when there was none, so an OOM kill needs more than the headroom the request already has);
 * no CPU limit is added where there was none (CPU is throttled, not killed), but containers
 * without limits are flagged in `without_limits`.
 */
export function workloadBody(
  context: EngineContext,
  workload: WorkloadUsageStats,
): { current: ContainerConfig[]; recommended: ContainerConfig[] } {
  const current: ContainerConfig[] = [];
  const recommended: ContainerConfig[] = [];
  for (const container of workload.containers) {
    const cpuLimit = container.cpuLimitCores ?? null;
    const memoryLimit = container.memoryLimitBytes ?? null;
    const without: Array<'cpu' | 'memory'> = [
      ...(cpuLimit === null ? (['cpu'] as const) : []),
      ...(memoryLimit === null ? (['memory'] as const) : []),
    ];
    current.push({
      name: container.container,
      requests: { cpu: container.cpuRequestCores, memory: container.memoryRequestBytes },
      limits: { cpu: cpuLimit, memory: memoryLimit },
      ...(without.length > 0 ? { without_limits: without } : {}),
    });
    const cpuRequest =
      cpuRightsizing(context, workload, container)?.recommended ?? container.cpuRequestCores;
    const memoryRequest =
      memoryRightsizing(context, workload, container)?.recommended ?? container.memoryRequestBytes;
    const memoryFloor =
      memoryRequest === null
        ? null
        : Math.ceil((memoryRequest * context.rules.headroom) / MIB) * MIB;
    recommended.push({
      name: container.container,
      requests: { cpu: cpuRequest, memory: memoryRequest },
      limits: {
        cpu: cpuLimit === null ? null : Math.max(cpuLimit, cpuRequest ?? 0),
        memory: memoryFloor === null ? memoryLimit : Math.max(memoryLimit ?? 0, memoryFloor),
      },
      ...(without.length > 0 ? { without_limits: without } : {}),
    });
  }
  return { current, recommended };
}

/** What differs between a CPU and a memory rightsizing finding. */
interface RightsizingSpec {
  type: 'RIGHTSIZING_CPU' | 'RIGHTSIZING_MEMORY';
  resource: 'cpu' | 'memory';
  /** How the title and description name the resource (`CPU`, `memory`). */
  noun: string;
  /** What the percentile is of (`usage`, `working set`). */
  usageNoun: string;
  percentile: number;
  unit: 'cores' | 'bytes';
  format: (value: number) => string;
  usage: UsageDistribution;
  current: RecommendationConfig;
  recommended: RecommendationConfig;
  currentValue: number;
  recommendedValue: number;
  savings: RecommendationSavings;
}

/** The finding of a rightsizing whose numbers are settled: text, cost, risk, snapshot and commands. */
function rightsizingFinding(
  context: EngineContext,
  workload: WorkloadUsageStats,
  container: ContainerUsageStats,
  spec: RightsizingSpec,
): RecommendationFinding {
  const { usage, format, currentValue: current, recommendedValue: recommended } = spec;
  const percentile = `p${spec.percentile}`;
  const usageText = format(usage.atPercentile);
  const comparison =
    usage.atPercentile > 0
      ? `${formatRatio(current / usage.atPercentile)}× the ${percentile} ${spec.usageNoun} ${usageText}`
      : `far above the ${percentile} ${spec.usageNoun} ${usageText}`;
  const target = containerTarget(context.cluster, workload, container.container);
  const label = spec.noun.charAt(0).toUpperCase() + spec.noun.slice(1);
  const body = workloadBody(context, workload);
  const command = (value: number): string =>
    kubectlSetRequests(
      workload.namespace,
      workload.workloadKind,
      workload.workload,
      container.container,
      spec.resource,
      format(value),
    );
  return finding(spec.type, target, {
    title: `Rightsize ${spec.noun} of ${workload.namespace}/${workload.workload}/${container.container}`,
    description: `${label} request ${format(current)} is ${comparison}; recommend ${format(recommended)}`,
    current: { ...spec.current, containers: body.current },
    recommended: { ...spec.recommended, containers: body.recommended },
    currentHourlyCost: hourlyCostOf(
      containerHourlyActivity(container, workload.replicas),
      context.meanIntensityGPerKwh,
      context.factors,
    ),
    savings: spec.savings,
    risk: rightsizingRisk({
      resource: spec.resource,
      recommended,
      distribution: usage,
      restarts: container.restarts,
      oomKills: container.oomKills,
      observedHours: container.observedHours,
    }),
    snapshot: snapshotOf(context.window, spec.unit, usage, {
      replicas: workload.replicas,
      restarts: container.restarts,
      oomKills: container.oomKills,
    }),
    applyCommand: command(recommended),
    revertCommand: command(current),
  });
}

/**
 * RIGHTSIZING_CPU for one container, or null when its request is not well above the recommendation.
 * Savings: (current − recommended) × replicas cores of reserved-but-idle capacity fewer every
 * hour — idle energy (idleWattsPerCore × PUE), embodied per core-hour, cost per core-hour and kWh.
 */
export function buildCpuRightsizing(
  context: EngineContext,
  workload: WorkloadUsageStats,
  container: ContainerUsageStats,
): RecommendationFinding | null {
  const change = cpuRightsizing(context, workload, container);
  if (change === null) return null;
  const { current, recommended, usage } = change;
  const freedCores = (current - recommended) * workload.replicas;
  const savings = monthlySavings(
    { busySeconds: 0, idleSeconds: freedCores * HOUR_SECONDS, memoryGiBHours: 0 },
    context.meanIntensityGPerKwh,
    context.factors,
  );
  return rightsizingFinding(context, workload, container, {
    type: 'RIGHTSIZING_CPU',
    resource: 'cpu',
    noun: 'CPU',
    usageNoun: 'usage',
    percentile: context.rules.cpuPercentile,
    unit: 'cores',
    format: formatCpuQuantity,
    usage,
    current: { cpu_request_cores: current, replicas: workload.replicas },
    recommended: { cpu_request_cores: recommended, replicas: workload.replicas },
    currentValue: current,
    recommendedValue: recommended,
    savings,
  });
}

/**
 * RIGHTSIZING_MEMORY for one container, or null. Savings: (current − recommended) × replicas
 * GiB-hours every hour (memoryWattsPerGiB energy, perGiBHour cost).
 */
export function buildMemoryRightsizing(
  context: EngineContext,
  workload: WorkloadUsageStats,
  container: ContainerUsageStats,
): RecommendationFinding | null {
  const change = memoryRightsizing(context, workload, container);
  if (change === null) return null;
  const { current, recommended, usage } = change;
  const freedBytes = (current - recommended) * workload.replicas;
  const savings = monthlySavings(
    { busySeconds: 0, idleSeconds: 0, memoryGiBHours: freedBytes / BYTES_PER_GIB },
    context.meanIntensityGPerKwh,
    context.factors,
  );
  return rightsizingFinding(context, workload, container, {
    type: 'RIGHTSIZING_MEMORY',
    resource: 'memory',
    noun: 'memory',
    usageNoun: 'working set',
    percentile: context.rules.memoryPercentile,
    unit: 'bytes',
    format: formatMemoryQuantity,
    usage,
    current: { memory_request_bytes: current, replicas: workload.replicas },
    recommended: { memory_request_bytes: recommended, replicas: workload.replicas },
    currentValue: current,
    recommendedValue: recommended,
    savings,
  });
}

/**
 * IDLE_WORKLOAD, or null: a scalable workload whose mean CPU use per replica is below
 * `idleBusyFraction` of its CPU requests, with at least a day of history. Savings: its whole
 * hourly footprint at its requests — busy = mean use, idle = the rest of the requested cores,
 * memory = the requested GiB — for all replicas.
 */
export function buildIdleWorkload(
  context: EngineContext,
  workload: WorkloadUsageStats,
): RecommendationFinding | null {
  if (!SCALABLE_KINDS.has(workload.workloadKind) || workload.replicas <= 0) return null;
  const withCpu = workload.containers.filter((c) => c.cpu !== null);
  if (withCpu.length === 0) return null;
  const requestCores = sum(workload.containers.map((c) => c.cpuRequestCores ?? 0));
  if (requestCores <= 0) return null;
  const meanCores = sum(withCpu.map((c) => c.cpu?.mean ?? 0));
  const observedHours = Math.max(...workload.containers.map((c) => c.observedHours));
  if (shorterThan(observedHours, IDLE_MIN_OBSERVED_HOURS)) return null;
  const busyShare = meanCores / requestCores;
  if (!(busyShare < context.rules.idleBusyFraction)) return null;

  const activity = addActivities(
    workload.containers.map((c) => containerHourlyActivity(c, workload.replicas)),
  );
  const savings = monthlySavings(activity, context.meanIntensityGPerKwh, context.factors);
  const restarts = sum(workload.containers.map((c) => c.restarts));
  const oomKills = sum(workload.containers.map((c) => c.oomKills));
  // The pod's distribution is at most the sum of its containers' (an upper bound, for show).
  const sumOf = (pick: (d: UsageDistribution) => number): number =>
    sum(withCpu.map((c) => pick(c.cpu as UsageDistribution)));
  const distribution = {
    p50: sumOf((d) => d.p50),
    p95: sumOf((d) => d.p95),
    p99: sumOf((d) => d.p99),
    max: sumOf((d) => d.max),
    samples: sumOf((d) => d.samples),
  };
  const memoryRequestBytes = sum(workload.containers.map((c) => c.memoryRequestBytes ?? 0));
  const name = `${workload.namespace}/${workload.workload}`;
  const target: RecommendationTarget = {
    cluster: context.cluster,
    kind: 'workload',
    namespace: workload.namespace,
    workload: workload.workload,
    workloadKind: workload.workloadKind,
    container: null,
    host: null,
  };
  return finding('IDLE_WORKLOAD', target, {
    title: `Scale idle ${workload.workloadKind} ${name} to zero`,
    description: `${workload.workloadKind} ${name} used ${formatCpuQuantity(meanCores)} of its ${formatCpuQuantity(requestCores)} CPU request per replica (${formatPercent(busyShare)}, idle below ${formatPercent(context.rules.idleBusyFraction)}) over ${formatWindow(context.window)}; scale it to zero`,
    current: {
      replicas: workload.replicas,
      cpu_request_cores: requestCores,
      ...(memoryRequestBytes > 0 ? { memory_request_bytes: memoryRequestBytes } : {}),
      state: 'running',
    },
    recommended: { replicas: 0, state: 'suspended' },
    currentHourlyCost: savings.hourlyCost,
    savings,
    risk: idleRisk({
      observedHours,
      peakShare: distribution.max / requestCores,
      restarts,
    }),
    snapshot: snapshotOf(context.window, 'cores', distribution, {
      replicas: workload.replicas,
      restarts,
      oomKills,
    }),
    applyCommand: kubectlScale(workload.namespace, workload.workloadKind, workload.workload, 0),
    revertCommand: kubectlScale(
      workload.namespace,
      workload.workloadKind,
      workload.workload,
      workload.replicas,
    ),
  });
}

/**
 * IDLE_WORKSPACE, or null: a host busy less than `idleBusyFraction` of its CPU time over the
 * window, with at least a day of history. Savings: its mean hourly footprint over the window,
 * (busy, idle) core-seconds / window hours — averaged over the whole window, so a host that was
 * off part of the time is not credited with hours it did not run. No command: suspending a
 * workspace is done in its platform's console (the description says what to do).
 */
export function buildIdleWorkspace(
  context: EngineContext,
  host: HostUsageStats,
): RecommendationFinding | null {
  const totalSeconds = host.busySeconds + host.idleSeconds;
  if (totalSeconds <= 0 || host.cores <= 0) return null;
  if (shorterThan(host.observedHours, IDLE_MIN_OBSERVED_HOURS)) return null;
  const busyShare = host.busySeconds / totalSeconds;
  if (!(busyShare < context.rules.idleBusyFraction)) return null;
  const windowHours = (context.window.to.getTime() - context.window.from.getTime()) / HOUR_MS;
  const activity: Activity = {
    busySeconds: host.busySeconds / windowHours,
    idleSeconds: host.idleSeconds / windowHours,
    memoryGiBHours: 0,
  };
  const savings = monthlySavings(activity, context.meanIntensityGPerKwh, context.factors);
  const fraction =
    host.busyCores === null ? null : scaleDistribution(host.busyCores, 1 / host.cores);
  const target: RecommendationTarget = {
    cluster: context.cluster,
    kind: 'host',
    namespace: null,
    workload: null,
    workloadKind: null,
    container: null,
    host: host.host,
  };
  return finding('IDLE_WORKSPACE', target, {
    title: `Suspend idle workspace ${host.host}`,
    description: `Workspace ${host.host} (${host.cores} cores) was busy ${formatPercent(busyShare)} of its CPU time over ${formatWindow(context.window)} (idle below ${formatPercent(context.rules.idleBusyFraction)}); suspend or delete it`,
    current: { cores: host.cores, state: 'running' },
    recommended: { cores: host.cores, state: 'suspended' },
    currentHourlyCost: savings.hourlyCost,
    savings,
    risk: idleRisk({
      observedHours: host.observedHours,
      peakShare: fraction?.max ?? null,
      restarts: 0,
    }),
    snapshot: snapshotOf(context.window, 'fraction', fraction, {
      replicas: null,
      restarts: null,
      oomKills: null,
    }),
    applyCommand: null,
    revertCommand: null,
  });
}

/**
 * CARBON_AWARE_SHIFT, or null. For each hour the work ran, the cleanest hour of that UTC day
 * (lowest hourly intensity among the day's hours in the window) is the alternative. Fires when
 * the energy-weighted intensity of the run hours is ≥ {@link SHIFT_THRESHOLD} × the
 * energy-weighted intensity of those cleanest hours. Savings = Σ energy × (run-hour intensity −
 * cleanest intensity) over the window, per window hour × 730; energy and cost do not change
 * (the same work runs), so kWh and cost savings are 0. Energy is the busy CPU energy (SPEC §2
 * busy term × PUE). No command: a schedule is changed where the job is defined.
 */
export function buildCarbonAwareShift(
  context: EngineContext,
  batch: BatchUsageStats,
): RecommendationFinding | null {
  const cleanest = cleanestHourByDay(context.hourlyIntensityGPerKwh);
  let energyKwh = 0;
  let runGrams = 0;
  let cleanGrams = 0;
  let busySeconds = 0;
  const runHours = new Set<number>();
  const cleanHours = new Set<number>();
  const days = new Set<number>();
  const runIntensities: number[] = [];
  for (const [hourMs, seconds] of batch.busySecondsByHour) {
    if (!(seconds > 0)) continue;
    const intensity = context.hourlyIntensityGPerKwh.get(hourMs);
    const day = Math.floor(hourMs / (24 * HOUR_MS));
    const clean = cleanest.get(day);
    if (intensity === undefined || clean === undefined) continue;
    const energy = computeFootprint(
      { busySeconds: seconds, idleSeconds: 0, memoryGiBHours: 0 },
      intensity,
      context.factors,
    ).energy.totalKwh;
    energyKwh += energy;
    busySeconds += seconds;
    runGrams += energy * intensity;
    cleanGrams += energy * clean.gPerKwh;
    runHours.add(new Date(hourMs).getUTCHours());
    cleanHours.add(new Date(clean.hourMs).getUTCHours());
    days.add(day);
    runIntensities.push(intensity);
  }
  if (energyKwh <= 0) return null;
  const runIntensity = runGrams / energyKwh;
  const cleanIntensity = cleanGrams / energyKwh;
  if (!(runIntensity >= SHIFT_THRESHOLD * cleanIntensity) || runGrams - cleanGrams <= 0)
    return null;

  const windowHours = (context.window.to.getTime() - context.window.from.getTime()) / HOUR_MS;
  const monthlyCo2eGrams = ((runGrams - cleanGrams) / windowHours) * HOURS_PER_MONTH;
  const savings: RecommendationSavings = {
    monthlyCo2eGrams,
    monthlyKwh: 0,
    monthlyCost: 0,
    hourlyCost: 0,
    currency: context.factors.cost.currency,
  };
  const sorted = [...runIntensities].sort((a, b) => a - b);
  const name = `${batch.namespace}/${batch.workload}`;
  const what =
    batch.workloadKind === BATCH_GROUP_KIND
      ? `Batch pods in namespace ${batch.namespace}`
      : `${batch.workloadKind} ${name}`;
  const target: RecommendationTarget = {
    cluster: context.cluster,
    kind: 'workload',
    namespace: batch.namespace,
    workload: batch.workload,
    workloadKind: batch.workloadKind,
    container: null,
    host: null,
  };
  const aboveShare = runIntensity / cleanIntensity - 1;
  return finding('CARBON_AWARE_SHIFT', target, {
    title:
      batch.workloadKind === BATCH_GROUP_KIND
        ? `Shift batch pods of ${batch.namespace} to cleaner hours`
        : `Shift ${batch.workloadKind} ${name} to cleaner hours`,
    description: `${what} ran at ${formatHourRanges([...runHours])} at ${Math.round(runIntensity)} g/kWh, ${formatPercent(aboveShare)} above the day's cleanest hour (${Math.round(cleanIntensity)} g/kWh); running it then would save ${formatGrams(monthlyCo2eGrams)}/month`,
    current: {
      run_hours_utc: [...runHours].sort((a, b) => a - b),
      intensity_g_per_kwh: runIntensity,
    },
    recommended: {
      run_hours_utc: [...cleanHours].sort((a, b) => a - b),
      intensity_g_per_kwh: cleanIntensity,
    },
    currentHourlyCost: hourlyCostOf(
      { busySeconds: busySeconds / windowHours, idleSeconds: 0, memoryGiBHours: 0 },
      context.meanIntensityGPerKwh,
      context.factors,
    ),
    savings,
    risk: shiftRisk(days.size),
    snapshot: snapshotOf(
      context.window,
      'g_per_kwh',
      {
        p50: quantileOf(sorted, 0.5),
        p95: quantileOf(sorted, 0.95),
        p99: quantileOf(sorted, 0.99),
        max: sorted[sorted.length - 1] as number,
        samples: batch.samples,
      },
      { replicas: null, restarts: null, oomKills: null },
    ),
    applyCommand: null,
    revertCommand: null,
  });
}

/** Per UTC day (days since the epoch), its cleanest hour in the map and that hour's intensity. */
function cleanestHourByDay(
  hourly: ReadonlyMap<number, number>,
): Map<number, { hourMs: number; gPerKwh: number }> {
  const cleanest = new Map<number, { hourMs: number; gPerKwh: number }>();
  for (const [hourMs, gPerKwh] of [...hourly].sort((a, b) => a[0] - b[0])) {
    const day = Math.floor(hourMs / (24 * HOUR_MS));
    const known = cleanest.get(day);
    if (known === undefined || gPerKwh < known.gPerKwh) cleanest.set(day, { hourMs, gPerKwh });
  }
  return cleanest;
}

/** Quantile of sorted values with linear interpolation between closest ranks (as PromQL's). */
export function quantileOf(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = q * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(sorted.length - 1, lower + 1);
  const weight = rank - lower;
  return (sorted[lower] as number) * (1 - weight) + (sorted[upper] as number) * weight;
}

function scaleDistribution(distribution: UsageDistribution, factor: number): UsageDistribution {
  return {
    p50: distribution.p50 * factor,
    p95: distribution.p95 * factor,
    p99: distribution.p99 * factor,
    max: distribution.max * factor,
    atPercentile: distribution.atPercentile * factor,
    mean: distribution.mean === null ? null : distribution.mean * factor,
    samples: distribution.samples,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

// ---------------------------------------------------------------------------------------------
// The engine

/**
 * All findings of one cluster: rightsizing and idle workloads for long-running workloads,
 * shifts for batch work, idle workspaces for hosts; sorted by monthly CO2e then cost saved
 * (largest first), then id, so output is deterministic.
 */
export function generateFindings(
  context: EngineContext,
  stats: ClusterUsageStats,
): RecommendationFinding[] {
  const findings: RecommendationFinding[] = [];
  for (const workload of stats.workloads) {
    // Batch work is judged by when it runs, not by its requests (it reserves them only while running).
    if (isBatchWorkload(workload.workloadKind, workload.namespace)) continue;
    const idle = buildIdleWorkload(context, workload);
    if (idle !== null) {
      // Scaling to zero frees everything rightsizing would free part of: one finding, not three.
      findings.push(idle);
      continue;
    }
    for (const container of workload.containers) {
      const cpu = buildCpuRightsizing(context, workload, container);
      if (cpu !== null) findings.push(cpu);
      const memory = buildMemoryRightsizing(context, workload, container);
      if (memory !== null) findings.push(memory);
    }
  }
  for (const host of stats.hosts) {
    const idle = buildIdleWorkspace(context, host);
    if (idle !== null) findings.push(idle);
  }
  for (const batch of stats.batch) {
    if (!isBatchWorkload(batch.workloadKind, batch.namespace)) continue;
    const shift = buildCarbonAwareShift(context, batch);
    if (shift !== null) findings.push(shift);
  }
  return sortFindings(findings);
}

/** Largest monthly CO2e saving first, then cost, then id. */
export function sortFindings(findings: readonly RecommendationFinding[]): RecommendationFinding[] {
  return [...findings].sort(
    (a, b) =>
      b.savings.monthlyCo2eGrams - a.savings.monthlyCo2eGrams ||
      b.savings.monthlyCost - a.savings.monthlyCost ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** The mean of the window's hourly intensities (g/kWh), or null without any. */
export function meanIntensity(hourly: ReadonlyMap<number, number>): number | null {
  if (hourly.size === 0) return null;
  return sum([...hourly.values()]) / hourly.size;
}

/**
 * The recommendation engine's run: for each selected cluster, gather the statistics of the
 * analysis window from its Prometheus (providers/prometheus/recommendations.ts), the grid
 * intensity of every hour of the window (the same fallback chain as `budget check` and
 * `clusters`), and turn them into findings with the pure rules of core/recommendations.ts.
 * `recommendations generate` (and `list --refresh`) call {@link collectFindings} and store
 * the result with its lifecycle.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { methodologyFactors } from '../../config/factors.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import type { RecommendationFinding } from '../../core/recommendation-model.js';
import {
  generateFindings,
  meanIntensity,
  sortFindings,
  type ClusterUsageStats,
} from '../../core/recommendations.js';
import type { UsageSource } from '../../core/usage.js';
import { UsageError } from '../../errors.js';
import type { PrometheusClient } from '../../providers/prometheus/client.js';
import {
  INTENSITY_OPTIONS,
  LEDGER_OPTION,
  POWER_OPTIONS,
  settingOverrides,
  TZ_OPTION,
  type OptionSpec,
} from '../options.js';
import { hourlyIntensities } from '../budget/intensity.js';
import {
  clusterFlag,
  createPrometheusClient,
  prometheusFlagOverrides,
  selectClusters,
} from '../shared/prometheus.js';

const HOUR_MS = 3_600_000;

/**
 * The setting flags a recommendations command may carry; settingOverrides only counts those the
 * command declares and the user gave, so listing more than a command has is harmless.
 */
const SETTING_OPTIONS: readonly OptionSpec[] = [
  LEDGER_OPTION,
  TZ_OPTION,
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
];

/** What to analyse. */
export interface CollectRequest {
  /** Only this configured cluster (else `--cluster`, else every configured cluster). */
  cluster?: string;
  /** Analysis window `[from, to)`. */
  from: Date;
  to: Date;
  /** Fall back to the static annual intensity average when the provider has none (flagged). */
  allowEstimates?: boolean;
}

/** The findings of every analysed cluster, and what was analysed. */
export interface CollectResult {
  findings: RecommendationFinding[];
  /** Names of the clusters analysed (so the lifecycle can mark their lapsed findings stale). */
  clusters: string[];
  window: { from: Date; to: Date };
}

/** Runs the engine over the selected clusters for the window. */
export async function collectFindings(
  context: Context,
  command: Command,
  request: CollectRequest,
): Promise<CollectResult> {
  const clusterName = request.cluster ?? clusterFlag(command);
  const { settings } = await context.settings({
    flags: settingOverrides(command, SETTING_OPTIONS),
    prometheusFlags: prometheusFlagOverrides(command),
    cluster: clusterName,
  });
  const window = { from: request.from, to: request.to };
  if (!(window.to.getTime() > window.from.getTime())) {
    throw new UsageError(
      `the analysis window is empty: ${window.from.toISOString()} is not before ${window.to.toISOString()}`,
      { hint: 'Give --from before --to, or a positive --lookback such as 14d.' },
    );
  }
  const clusters = selectClusters(settings, clusterName);
  const findings: RecommendationFinding[] = [];
  for (const cluster of clusters) {
    findings.push(
      ...(await clusterFindings(
        context,
        settings,
        cluster,
        window,
        request.allowEstimates === true,
      )),
    );
  }
  return { findings: sortFindings(findings), clusters: clusters.map((c) => c.name), window };
}

/** The findings of one cluster. */
async function clusterFindings(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  window: { from: Date; to: Date },
  allowEstimates: boolean,
): Promise<RecommendationFinding[]> {
  const client = await createPrometheusClient(context, cluster);
  const stats = await clusterStats(client, settings, cluster, window);
  if (stats.workloads.length === 0 && stats.hosts.length === 0 && stats.batch.length === 0) {
    context.io.notice(
      `${cluster.name}: no workloads or workspaces with samples between ${window.from.toISOString()} and ${window.to.toISOString()}`,
    );
    return [];
  }
  const intensities = await hourlyIntensities(context, settings, cluster, hoursOf(window), {
    givenGPerKwh: null,
    allowEstimates,
  });
  const hourly = new Map<number, number>();
  for (const [hourMs, value] of intensities.byHour) hourly.set(hourMs, value.gPerKwh);
  const mean = meanIntensity(hourly);
  if (mean === null) return [];
  return generateFindings(
    {
      cluster: cluster.name,
      window,
      rules: settings.recommendations,
      factors: methodologyFactors(settings, cluster),
      meanIntensityGPerKwh: mean,
      hourlyIntensityGPerKwh: hourly,
    },
    stats,
  );
}

/** Statistics from the cluster's source: workspaces (node_exporter) or pods. */
async function clusterStats(
  client: PrometheusClient,
  settings: Settings,
  cluster: ClusterSettings,
  window: { from: Date; to: Date },
): Promise<ClusterUsageStats> {
  const { detectSource } = await import('../../providers/prometheus/usage.js');
  const { fetchHostStats, fetchWorkloadStats } =
    await import('../../providers/prometheus/recommendations.js');
  const source: UsageSource =
    cluster.source === 'auto' ? await detectSource(client, { at: window.to }) : cluster.source;
  const common = {
    from: window.from,
    to: window.to,
    scrapeIntervalSeconds: cluster.prometheus.scrapeIntervalSeconds,
  };
  if (source === 'nodes') {
    const hosts = await fetchHostStats(client, {
      ...common,
      hostLabel: cluster.workspaces.hostLabel,
      selector: cluster.workspaces.selector,
      idleModes: cluster.power?.idleModes ?? settings.power.idleModes,
    });
    return { workloads: [], hosts, batch: [] };
  }
  const pods = await fetchWorkloadStats(client, {
    ...common,
    cpuPercentile: settings.recommendations.cpuPercentile,
    memoryPercentile: settings.recommendations.memoryPercentile,
  });
  return { workloads: pods.workloads, hosts: [], batch: pods.batch };
}

/** Start of every UTC hour that overlaps `[from, to)`. */
function hoursOf(window: { from: Date; to: Date }): Date[] {
  const hours: Date[] = [];
  const first = Math.floor(window.from.getTime() / HOUR_MS) * HOUR_MS;
  for (let hour = first; hour < window.to.getTime(); hour += HOUR_MS) hours.push(new Date(hour));
  return hours;
}

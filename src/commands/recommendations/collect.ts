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
import { failedClusters, forEachCluster, outcomeStatus } from '../../accounting/clusters.js';
import { cacheLedger } from '../../accounting/ledger.js';
import { meterCluster } from '../../accounting/meter.js';
import { clusterProfile, type ClusterProfile } from '../../accounting/profile.js';
import { AccountingPipeline } from '../../accounting/pipeline.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import {
  addToFootprintTotal,
  emptyFootprintTotal,
  type FootprintTotal,
} from '../../core/methodology.js';
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
import { coveringHours } from '../../core/budget.js';
import type { DataSourceError } from '../../errors.js';
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

/**
 * What the window cost as `track` accounts it (the same meter): the baseline the findings'
 * savings are measured against.
 */
export interface ClusterBaseline {
  cluster: string;
  source: UsageSource;
  status: 'ok' | 'failed';
  error: string | null;
  /** Entities (hosts, pods) with usage in the window. */
  entity_count: number;
  energy_kwh: number;
  co2e_g: number;
  cost: number;
  currency: string;
}

/** The findings of every analysed cluster, and what was analysed. */
export interface CollectResult {
  findings: RecommendationFinding[];
  /**
   * Clusters analysed with data (so the lifecycle can mark their lapsed findings stale); a
   * cluster without data in the window, or whose Prometheus failed, is not: its findings stay.
   */
  clusters: string[];
  /** Per cluster: status and baseline footprint of the window. */
  baselines: ClusterBaseline[];
  window: { from: Date; to: Date };
  /** Exit 3 naming the clusters that failed, after the others were analysed. */
  failure: DataSourceError | undefined;
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
  const pipeline = new AccountingPipeline(context, cacheLedger(context, settings), true);
  const outcomes = await forEachCluster(
    clusters,
    (message) => context.io.warn(message),
    (cluster) =>
      clusterFindings(
        context,
        settings,
        cluster,
        window,
        request.allowEstimates === true,
        pipeline,
      ),
  );
  const findings: RecommendationFinding[] = [];
  const analysed: string[] = [];
  const baselines: ClusterBaseline[] = [];
  for (const outcome of outcomes) {
    const profile = clusterProfile(settings, outcome.cluster);
    if (outcome.ok) {
      findings.push(...outcome.value.findings);
      if (outcome.value.hasData) analysed.push(outcome.cluster.name);
    }
    const total = outcome.ok ? outcome.value.baseline : emptyFootprintTotal();
    baselines.push({
      cluster: outcome.cluster.name,
      source: outcome.ok
        ? outcome.value.source
        : profile.configuredSource === 'pods'
          ? 'pods'
          : 'nodes',
      ...outcomeStatus(outcome),
      entity_count: outcome.ok ? outcome.value.entityCount : 0,
      energy_kwh: total.energyKwh,
      co2e_g: total.totalGrams,
      cost: total.cost,
      currency: profile.factors.cost.currency,
    });
  }
  return {
    findings: sortFindings(findings),
    clusters: analysed,
    baselines,
    window,
    failure: failedClusters(outcomes),
  };
}

/** One cluster's findings, its metered baseline, and whether it had any data in the window. */
async function clusterFindings(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  window: { from: Date; to: Date },
  allowEstimates: boolean,
  pipeline: AccountingPipeline,
): Promise<{
  findings: RecommendationFinding[];
  baseline: FootprintTotal;
  source: UsageSource;
  entityCount: number;
  hasData: boolean;
}> {
  const profile = clusterProfile(settings, cluster);
  const client = await createPrometheusClient(context, cluster);
  const hours = coveringHours(window);
  const { source } = await pipeline.source(client, profile, hours);
  const intensities = await pipeline.intensities(profile, hours, {
    givenGPerKwh: null,
    allowEstimates,
  });
  // The baseline: the window metered and priced as `track` accounts it.
  const baseline = emptyFootprintTotal();
  const perEntity = new Map<string, { busySeconds: number; idleSeconds: number }>();
  await meterCluster(client, { profile, source, window: hours, intensities }, (priced) => {
    for (const hour of priced) {
      addToFootprintTotal(baseline, hour.usage, hour.footprint);
      const entity = perEntity.get(hour.row.entityId) ?? { busySeconds: 0, idleSeconds: 0 };
      entity.busySeconds += hour.usage.busySeconds;
      entity.idleSeconds += hour.usage.idleSeconds;
      perEntity.set(hour.row.entityId, entity);
    }
  });
  const stats = await clusterStats(client, profile, settings, source, window, perEntity);
  const empty = { baseline, source, entityCount: perEntity.size };
  if (stats.workloads.length === 0 && stats.hosts.length === 0 && stats.batch.length === 0) {
    context.io.notice(
      `${cluster.name}: no workloads or workspaces with samples between ${window.from.toISOString()} and ${window.to.toISOString()}; its recommendations are left as they are`,
    );
    return { findings: [], hasData: false, ...empty };
  }
  const hourly = new Map<number, number>();
  for (let hour = hours.from.getTime(); hour < hours.to.getTime(); hour += HOUR_MS) {
    try {
      hourly.set(hour, intensities.at(hour).gPerKwh);
    } catch (error) {
      // Hours without usage need no intensity; the meter already refused hours that do.
      if (perEntity.size === 0) throw error;
    }
  }
  const mean = meanIntensity(hourly);
  if (mean === null) return { findings: [], hasData: true, ...empty };
  return {
    findings: generateFindings(
      {
        cluster: cluster.name,
        window,
        rules: settings.recommendations,
        factors: profile.factors,
        meanIntensityGPerKwh: mean,
        hourlyIntensityGPerKwh: hourly,
      },
      stats,
    ),
    hasData: true,
    ...empty,
  };
}

/**
 * Statistics from the cluster's source: workspaces (node_exporter) or pods. A host's busy and
 * idle core-seconds are the metered ones (the same numbers `track` books), not a second query.
 */
async function clusterStats(
  client: PrometheusClient,
  profile: ClusterProfile,
  settings: Settings,
  source: UsageSource,
  window: { from: Date; to: Date },
  metered: ReadonlyMap<string, { busySeconds: number; idleSeconds: number }>,
): Promise<ClusterUsageStats> {
  const { fetchHostStats, fetchWorkloadStats } =
    await import('../../providers/prometheus/recommendations.js');
  const common = {
    from: window.from,
    to: window.to,
    scrapeIntervalSeconds: profile.scrapeIntervalSeconds,
  };
  if (source === 'nodes') {
    const cluster = profile.cluster;
    const hosts = await fetchHostStats(client, {
      ...common,
      hostLabel: cluster?.workspaces.hostLabel ?? 'instance',
      selector: cluster?.workspaces.selector ?? '',
      idleModes: profile.idleModes,
    });
    const windowHours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
    return {
      workloads: [],
      hosts: hosts.flatMap((host) => {
        const usage = metered.get(host.host);
        if (usage === undefined) return [];
        return [
          {
            ...host,
            busySeconds: usage.busySeconds,
            idleSeconds: usage.idleSeconds,
            observedHours: Math.min(
              windowHours,
              (usage.busySeconds + usage.idleSeconds) / host.cores / 3600,
            ),
          },
        ];
      }),
      batch: [],
    };
  }
  const pods = await fetchWorkloadStats(client, {
    ...common,
    cpuPercentile: settings.recommendations.cpuPercentile,
    memoryPercentile: settings.recommendations.memoryPercentile,
  });
  return { workloads: pods.workloads, hosts: [], batch: pods.batch };
}

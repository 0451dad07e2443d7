/**
 * The measuring half of `budget check`: live from each selected cluster's Prometheus (exact
 * hourly usage per entity, shared into the window, at each hour's grid intensity), or offline
 * from given CPU-seconds at the current hour's intensity.
 */
import type { Context } from '../../context.js';
import { methodologyFactors } from '../../config/factors.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import {
  coveringHours,
  footprintOfHours,
  hourShareInWindow,
  type HoursFootprint,
  type Window,
  addFootprints,
} from '../../core/budget.js';
import type { Activity } from '../../core/methodology.js';
import type { EntityHourUsage, UsageSource } from '../../core/usage.js';
import { ConfigError, UsageError } from '../../errors.js';
import { matcher, safeMatchers, type MatcherText } from '../../providers/prometheus/promql.js';
import { createPrometheusClient, selectClusters } from '../shared/prometheus.js';
import type { CheckOptions, Selection } from './check.js';
import { hourlyIntensities } from './intensity.js';

const HOUR_MS = 3_600_000;

/** One cluster's share of a live measurement. */
export interface ClusterMeasurement {
  cluster: ClusterSettings;
  source: UsageSource;
  entityCount: number;
  footprint: HoursFootprint;
  currency: string;
  intensityProvider: string;
  intensityRegion: string;
  reasons: string[];
}

/** The whole measurement, before limits are applied. */
export interface Measurement {
  footprint: HoursFootprint;
  currency: string;
  clusters: ClusterMeasurement[];
  entityCount: number | null;
  missingData: boolean;
  intensityProviders: string[];
  reasons: string[];
}

/** Which usage a cluster is read as, from the flags, the selection and its config. */
async function chooseSource(
  cluster: ClusterSettings,
  selection: Selection,
  detect: () => Promise<UsageSource>,
): Promise<UsageSource> {
  const wantsPods = selection.namespace !== undefined;
  const wantsNodes = selection.project !== undefined || selection.owner !== undefined;
  if (wantsPods && wantsNodes) {
    throw new UsageError(
      '--namespace selects pods and --project/--owner select workspaces: use one kind',
    );
  }
  const source =
    selection.source ??
    (wantsPods
      ? 'pods'
      : wantsNodes
        ? 'nodes'
        : cluster.source === 'auto'
          ? await detect()
          : cluster.source);
  if (source === 'nodes' && wantsPods) {
    throw new UsageError(
      `--namespace selects pods, but cluster ${cluster.name} is read as workspaces (--source nodes)`,
    );
  }
  if (source === 'pods' && wantsNodes) {
    throw new UsageError(
      `--project/--owner select workspaces, but cluster ${cluster.name} is read as pods (--source pods)`,
    );
  }
  return source;
}

async function measureCluster(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  options: CheckOptions,
  window: Window,
  now: Date,
): Promise<ClusterMeasurement & { prorated: boolean }> {
  const client = await createPrometheusClient(context, cluster);
  const { detectSource, fetchNodeUsage, fetchPodUsage } =
    await import('../../providers/prometheus/usage.js');
  const selection = options.selection;
  const source = await chooseSource(cluster, selection, () =>
    detectSource(client, { at: window.to }),
  );
  const matchers: MatcherText[] = [...safeMatchers(selection.selector)];
  if (source === 'nodes') {
    if (selection.project !== undefined)
      matchers.push(matcher(cluster.workspaces.projectLabel, '=', selection.project));
    if (selection.owner !== undefined)
      matchers.push(matcher(cluster.workspaces.ownerLabel, '=', selection.owner));
  } else if (selection.namespace !== undefined) {
    matchers.push(matcher('namespace', '=', selection.namespace));
  }

  const perHour = new Map<number, Activity>();
  const entities = new Set<string>();
  let prorated = false;
  const onHours = (rows: EntityHourUsage[]): void => {
    for (const row of rows) {
      const share = hourShareInWindow(row.hourStart, window, now);
      if (share <= 0) continue;
      if (share < 1) prorated = true;
      entities.add(row.entityId);
      const key = row.hourStart.getTime();
      const activity = perHour.get(key) ?? { busySeconds: 0, idleSeconds: 0, memoryGiBHours: 0 };
      activity.busySeconds += row.busySeconds * share;
      activity.idleSeconds += row.idleSeconds * share;
      activity.memoryGiBHours += row.memoryGiBHours * share;
      perHour.set(key, activity);
    }
  };
  const fetchWindow = coveringHours(window);
  const stepSeconds = cluster.prometheus.scrapeIntervalSeconds;
  if (source === 'nodes') {
    const power = { ...settings.power, ...(cluster.power ?? {}) };
    await fetchNodeUsage(
      client,
      {
        hostLabel: cluster.workspaces.hostLabel,
        projectLabel: cluster.workspaces.projectLabel,
        machineLabel: cluster.workspaces.machineLabel,
        ownerLabel: cluster.workspaces.ownerLabel,
        selector: cluster.workspaces.selector,
        idleModes: power.idleModes,
        matchers,
        stepSeconds,
      },
      fetchWindow,
      onHours,
    );
  } else {
    await fetchPodUsage(client, { selector: '', matchers, stepSeconds }, fetchWindow, onHours);
  }

  const factors = methodologyFactors(settings, cluster);
  const hours = [...perHour.keys()].sort((a, b) => a - b).map((ms) => new Date(ms));
  const intensities = await hourlyIntensities(context, settings, cluster, hours, options.intensity);
  const footprint = footprintOfHours(
    hours.map((hour) => ({
      hourStart: hour,
      activity: perHour.get(hour.getTime()) as Activity,
      intensityGPerKwh: (intensities.byHour.get(hour.getTime()) as { gPerKwh: number }).gPerKwh,
    })),
    factors,
  );
  return {
    cluster,
    source,
    entityCount: entities.size,
    footprint,
    currency: factors.cost.currency,
    intensityProvider: intensities.provider,
    intensityRegion: intensities.region,
    reasons: intensities.reasons,
    prorated,
  };
}

/** Live: every selected cluster's usage in the window, at each hour's intensity. */
export async function measureLive(
  context: Context,
  settings: Settings,
  options: CheckOptions,
  window: Window,
): Promise<Measurement> {
  const now = context.now();
  const clusters = selectClusters(settings, options.selection.cluster);
  const parts: Array<ClusterMeasurement & { prorated: boolean }> = [];
  const spinner = context.io.spinner('Measuring usage from Prometheus…');
  try {
    for (const cluster of clusters) {
      spinner.update(`Measuring ${cluster.name}…`);
      parts.push(await measureCluster(context, settings, cluster, options, window, now));
    }
  } finally {
    spinner.stop();
  }
  const currencies = [...new Set(parts.map((part) => part.currency))];
  if (currencies.length > 1) {
    throw new ConfigError(
      `the selected clusters count cost in different currencies (${currencies.join(', ')}), which cannot be added`,
      { hint: 'Check one cluster at a time with --cluster <name>, or use the same cost.currency.' },
    );
  }
  const reasons = new Set<string>();
  for (const part of parts) {
    for (const reason of part.reasons) reasons.add(reason);
    if (part.prorated) reasons.add('window_partial_hour_prorated');
  }
  const entityCount = parts.reduce((sum, part) => sum + part.entityCount, 0);
  return {
    footprint: addFootprints(parts.map((part) => part.footprint)),
    currency: currencies[0] ?? settings.cost.currency,
    clusters: parts,
    entityCount,
    missingData: entityCount === 0,
    intensityProviders: [
      ...new Set(
        parts.filter((part) => part.entityCount > 0).map((part) => part.intensityProvider),
      ),
    ].sort(),
    reasons: [...reasons].sort(),
  };
}

/** Offline: the given CPU-seconds at the intensity of the current hour. */
export async function measureOffline(
  context: Context,
  settings: Settings,
  options: CheckOptions,
): Promise<Measurement> {
  const offline = options.offline ?? { busySeconds: 0, idleSeconds: 0 };
  const cluster =
    options.selection.cluster === undefined
      ? undefined
      : selectClusters(settings, options.selection.cluster)[0];
  const factors = methodologyFactors(settings, cluster);
  const hour = new Date(Math.floor(context.now().getTime() / HOUR_MS) * HOUR_MS);
  const intensities = await hourlyIntensities(
    context,
    settings,
    cluster,
    [hour],
    options.intensity,
  );
  const footprint = footprintOfHours(
    [
      {
        hourStart: hour,
        activity: {
          busySeconds: offline.busySeconds,
          idleSeconds: offline.idleSeconds,
          memoryGiBHours: 0,
        },
        intensityGPerKwh: (intensities.byHour.get(hour.getTime()) as { gPerKwh: number }).gPerKwh,
      },
    ],
    factors,
  );
  return {
    footprint,
    currency: factors.cost.currency,
    clusters: [],
    entityCount: null,
    missingData: false,
    intensityProviders: [intensities.provider],
    reasons: intensities.reasons,
  };
}

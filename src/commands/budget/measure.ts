/**
 * The measuring half of `budget check`: live from each selected cluster's Prometheus (exact
 * hourly usage per entity, shared into the window, at each hour's grid intensity), or offline
 * from given CPU-seconds at the current hour's intensity.
 */
import type { Context } from '../../context.js';
import { cacheLedger } from '../../accounting/ledger.js';
import { meterCluster } from '../../accounting/meter.js';
import { clusterProfile } from '../../accounting/profile.js';
import { AccountingPipeline } from '../../accounting/pipeline.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import {
  coveringHours,
  hourShareInWindow,
  hoursFootprintOf,
  type HoursFootprint,
  type Window,
  addFootprints,
} from '../../core/budget.js';
import {
  addToFootprintTotal,
  computeFootprint,
  emptyFootprintTotal,
} from '../../core/methodology.js';
import { hourContaining } from '../../core/hours.js';
import type { UsageSource } from '../../core/usage.js';
import { ConfigError, UsageError } from '../../errors.js';
import { matcher, safeMatchers, type MatcherText } from '../../providers/prometheus/promql.js';
import { createPrometheusClient, selectClusters } from '../shared/prometheus.js';
import type { CheckOptions, Selection } from './check.js';

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

/** The kind of entities a selection names: pods (`--namespace`), workspaces (`--project`/`--owner`), or any. */
function selectionKind(selection: Selection): UsageSource | null {
  const wantsPods = selection.namespace !== undefined;
  const wantsNodes = selection.project !== undefined || selection.owner !== undefined;
  if (wantsPods && wantsNodes) {
    throw new UsageError(
      '--namespace selects pods and --project/--owner select workspaces: use one kind',
    );
  }
  return wantsPods ? 'pods' : wantsNodes ? 'nodes' : null;
}

/**
 * One cluster through the accounting pipeline: its own source (a budget's scope never changes
 * how a cluster is accounted — it only filters), the selection's matchers, each hour's share
 * inside the window. Null when the selection does not apply to the cluster's source (a
 * `--namespace` scope on a cluster accounted as workspaces).
 */
async function measureCluster(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  options: CheckOptions,
  window: Window,
  now: Date,
  pipeline: AccountingPipeline,
): Promise<(ClusterMeasurement & { prorated: boolean }) | null> {
  const client = await createPrometheusClient(context, cluster);
  const profile = clusterProfile(settings, cluster);
  const selection = options.selection;
  const fetchWindow = coveringHours(window);
  const { source } = await pipeline.source(client, profile, fetchWindow, {
    flag: selection.source,
    preferred: selectionKind(selection) ?? undefined,
  });
  const kind = selectionKind(selection);
  if (kind !== null && kind !== source) {
    context.io.info(
      `cluster ${cluster.name} is accounted as ${source === 'pods' ? 'pods' : 'workspaces'}; the ${kind === 'pods' ? '--namespace' : '--project/--owner'} selection does not apply to it`,
    );
    return null;
  }
  const matchers: MatcherText[] = [...safeMatchers(selection.selector)];
  if (source === 'nodes') {
    if (selection.project !== undefined)
      matchers.push(matcher(cluster.workspaces.projectLabel, '=', selection.project));
    if (selection.owner !== undefined)
      matchers.push(matcher(cluster.workspaces.ownerLabel, '=', selection.owner));
  } else if (selection.namespace !== undefined) {
    matchers.push(matcher('namespace', '=', selection.namespace));
  }

  const intensities = await pipeline.intensities(profile, fetchWindow, options.intensity);
  const total = emptyFootprintTotal();
  const reasons = new Set<string>();
  const entities = new Set<string>();
  let prorated = false;
  await meterCluster(
    client,
    { profile, source, window: fetchWindow, matchers, intensities },
    (priced) => {
      for (const hour of priced) {
        const share = hourShareInWindow(hour.row.hourStart, window, now);
        if (share <= 0) continue;
        if (share < 1) prorated = true;
        entities.add(hour.row.entityId);
        for (const reason of hour.row.estimationReasons) reasons.add(reason);
        addToFootprintTotal(total, hour.usage, hour.footprint, share);
      }
    },
  );
  return {
    cluster,
    source,
    entityCount: entities.size,
    footprint: hoursFootprintOf(total, reasons),
    currency: profile.factors.cost.currency,
    intensityProvider: intensities.provider,
    intensityRegion: intensities.region,
    reasons: [...reasons].sort(),
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
  const pipeline = new AccountingPipeline(context, cacheLedger(context, settings), true);
  const parts: Array<ClusterMeasurement & { prorated: boolean }> = [];
  const spinner = context.io.spinner('Measuring usage from Prometheus…');
  try {
    for (const cluster of clusters) {
      spinner.update(`Measuring ${cluster.name}…`);
      const part = await measureCluster(context, settings, cluster, options, window, now, pipeline);
      if (part !== null) parts.push(part);
    }
  } finally {
    spinner.stop();
  }
  const kind = selectionKind(options.selection);
  if (parts.length === 0 && kind !== null) {
    throw new UsageError(
      `no selected cluster is accounted as ${kind === 'pods' ? 'pods' : 'workspaces'}, which ${kind === 'pods' ? '--namespace' : '--project/--owner'} selects`,
      {
        hint: 'Check the clusters\' "source" (carbonctl clusters shows each decision), or pick the scope that fits them.',
      },
    );
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
  const profile = clusterProfile(settings, cluster);
  const now = context.now();
  const hour = hourContaining(now);
  const pipeline = new AccountingPipeline(context, cacheLedger(context, settings), false);
  const intensities = await pipeline.intensities(profile, hour, options.intensity);
  const intensity = intensities.at(hour.from.getTime());
  const activity = {
    busySeconds: offline.busySeconds,
    idleSeconds: offline.idleSeconds,
    memoryGiBHours: 0,
  };
  const total = emptyFootprintTotal();
  addToFootprintTotal(
    total,
    activity,
    computeFootprint(activity, intensity.gPerKwh, profile.factors),
  );
  return {
    footprint: hoursFootprintOf(total, intensity.reasons),
    currency: profile.factors.cost.currency,
    clusters: [],
    entityCount: null,
    missingData: false,
    intensityProviders: [intensities.provider],
    reasons: intensity.reasons,
  };
}

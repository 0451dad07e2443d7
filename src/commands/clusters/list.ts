/**
 * `carbonctl clusters [list]`: one row per configured cluster, filtered by provider,
 * environment and status (enum lists, validated: an unknown value is a usage error naming the
 * allowed set). Provider and environment filter the configuration before any query; status
 * needs each cluster's Prometheus.
 */
import type { Context } from '../../context.js';
import { CLUSTER_PROVIDERS, type ClusterSettings } from '../../config/schema.js';
import { parseEnumList } from '../../core/clusters.js';
import type { CommandResult } from '../../output/render.js';
import { formatAge } from '../../output/format.js';
import type { TableData } from '../../output/table.js';
import { optionalString, parseFlag } from '../parse.js';
import { clusterFlag, resolvePrometheusSettings, selectClusters } from '../shared/prometheus.js';
import type { Invocation } from '../spec.js';
import { CLUSTERS_LIST_OPTIONS } from './index.js';
import { clusterInventory, failedInventory, type ClusterInventory } from './inventory.js';
import { failedClusters, forEachCluster, type ClusterOutcome } from '../../accounting/clusters.js';
import { clusterProfile } from '../../accounting/profile.js';

/** The states a cluster can be in (SPEC §10 `--status`). */
export const CLUSTER_STATUSES = ['active', 'stale'] as const;

/** The JSON of `clusters list`. */
export interface ClustersListData {
  data: ClusterInventory[];
  meta: { total: number };
}

const BYTES_PER_GIB = 1024 ** 3;

/** The inventory as a table (also the CSV): one row per cluster, units in the headers. */
export function clustersTable(clusters: readonly ClusterInventory[]): TableData {
  const currencies = [...new Set(clusters.map((c) => c.cost.currency))];
  // Money is shown per currency: one header unit when all agree, else a currency column.
  const currency = currencies.length === 1 ? currencies[0] : null;
  return {
    columns: [
      { key: 'name', header: 'Cluster' },
      { key: 'provider', header: 'Provider' },
      { key: 'environment', header: 'Environment' },
      { key: 'status', header: 'Status' },
      { key: 'nodes', header: 'Nodes', kind: 'number' },
      { key: 'cores', header: 'CPU cores', kind: 'number' },
      { key: 'memory', header: 'Memory (GiB)', kind: 'number' },
      { key: 'cpuRequested', header: 'CPU requested', kind: 'percent' },
      { key: 'cpuUsed', header: 'CPU used', kind: 'percent' },
      { key: 'memoryUsed', header: 'Memory used', kind: 'percent' },
      { key: 'pods', header: 'Pods', kind: 'number' },
      { key: 'workloads', header: 'Workloads', kind: 'number' },
      {
        key: 'costHourly',
        header: currency === null ? 'Cost/h' : `Cost (${currency}/h)`,
        kind: 'number',
      },
      ...(currency === null ? [{ key: 'currency', header: 'Currency' }] : []),
      { key: 'co2Hourly', header: 'gCO2e/h', kind: 'number' },
      { key: 'lastSample', header: 'Last sample' },
    ],
    rows: clusters.map((c) => ({
      name: c.metadata.name,
      provider: c.metadata.provider,
      environment: c.metadata.environment,
      // A stale cluster shows its last known figures, with their age.
      status:
        c.metadata.status === 'stale' && c.metadata.staleness_seconds !== null
          ? `stale (${formatAge(c.metadata.staleness_seconds * 1000)} old)`
          : c.metadata.status,
      nodes: c.metadata.node_count,
      cores: c.capacity.cpu_cores,
      memory: c.capacity.memory_bytes === null ? null : c.capacity.memory_bytes / BYTES_PER_GIB,
      cpuRequested: c.utilization.cpu_requested_percent,
      cpuUsed: c.utilization.cpu_used_percent,
      memoryUsed: c.utilization.memory_used_percent,
      pods: c.metadata.pod_count,
      workloads: c.metadata.workload_count,
      costHourly: c.cost.hourly,
      currency: c.cost.currency,
      co2Hourly: c.carbon.hourly_co2e_g,
      lastSample: c.metadata.last_sample_at,
    })),
  };
}

function environmentsOf(clusters: readonly ClusterSettings[]): string[] {
  return [...new Set(clusters.map((cluster) => cluster.environment))].sort();
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const { settings } = await resolvePrometheusSettings(
    context,
    invocation.command,
    CLUSTERS_LIST_OPTIONS,
  );
  const opts = invocation.opts;
  const configured = selectClusters(settings, clusterFlag(invocation.command));
  const providerText = optionalString(opts, 'provider');
  const environmentText = optionalString(opts, 'environment');
  const statusText = optionalString(opts, 'status');
  const regionText = optionalString(opts, 'region');
  const regions =
    regionText === undefined
      ? null
      : parseFlag('--region', regionText, (t) =>
          parseEnumList(
            t,
            [
              ...new Set(
                (settings.clusters.length > 0 ? settings.clusters : configured)
                  .map((cluster) => cluster.region)
                  .filter((region): region is string => region !== null),
              ),
            ].sort(),
            '--region',
          ),
        );
  const providers =
    providerText === undefined
      ? null
      : parseFlag('--provider', providerText, (t) =>
          parseEnumList(t, CLUSTER_PROVIDERS, '--provider'),
        );
  const environments =
    environmentText === undefined
      ? null
      : parseFlag('--environment', environmentText, (t) =>
          parseEnumList(
            t,
            environmentsOf(settings.clusters.length > 0 ? settings.clusters : configured),
            '--environment',
          ),
        );
  const statuses =
    statusText === undefined
      ? null
      : parseFlag('--status', statusText, (t) => parseEnumList(t, CLUSTER_STATUSES, '--status'));

  const selected = configured.filter(
    (cluster) =>
      (providers === null || (providers as readonly string[]).includes(cluster.provider)) &&
      (environments === null || environments.includes(cluster.environment)) &&
      (regions === null || (cluster.region !== null && regions.includes(cluster.region))),
  );
  const intensity = {
    givenGPerKwh: (opts.intensity as number | undefined) ?? null,
    allowEstimates: opts.allowEstimates === true,
  };
  const spinner = context.io.spinner('Querying clusters…');
  let outcomes: Array<ClusterOutcome<ClusterInventory>>;
  try {
    // One dead cluster is listed as failed (and exits 3 at the end); the others are still shown.
    outcomes = await forEachCluster(
      selected,
      (message) => context.io.warn(message),
      (cluster) => clusterInventory(context, settings, cluster, intensity),
    );
  } finally {
    spinner.stop();
  }
  const inventories = outcomes.map((outcome) =>
    outcome.ok
      ? outcome.value
      : failedInventory(
          outcome.cluster,
          clusterProfile(settings, outcome.cluster).factors.cost.currency,
          outcome.error.message,
        ),
  );
  const failure = failedClusters(outcomes);
  const shown = inventories.filter(
    (inventory) =>
      statuses === null ||
      inventory.metadata.status === 'failed' ||
      (statuses as readonly string[]).includes(inventory.metadata.status),
  );
  const sort = optionalString(opts, 'sort') ?? 'config';
  if (sort === 'name') shown.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (sort === 'run-rate') {
    // Highest hourly cost first (Kubeadapt's current_run_rate_hourly); unknown run rates last.
    shown.sort(
      (a, b) =>
        (b.cost.current_run_rate_hourly.amount ?? -Infinity) -
          (a.cost.current_run_rate_hourly.amount ?? -Infinity) ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  }
  if (shown.length === 0) context.io.notice('no configured cluster matches the filters');
  const data: ClustersListData = { data: shown, meta: { total: shown.length } };
  return {
    data,
    ...(failure ? { failure } : {}),
    human: () => [{ table: clustersTable(shown) }],
    csv: () => clustersTable(shown),
  };
}

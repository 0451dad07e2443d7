/**
 * Prometheus clients from settings, for every command that reads Prometheus (`budget check`,
 * `clusters`, and `track`/`doctor` when they want it).
 *
 * SPEC §1.3: commands act on every configured cluster unless `--cluster <name>` picks one;
 * `--prometheus-url` / `CARBONCTL_PROMETHEUS_URL` override the selected cluster's URL or define a
 * cluster named `default` when none is configured (that part happens in config/resolve.ts, which
 * these helpers feed). With no cluster configured at all, the SPEC's default cluster
 * (`default`, http://localhost:9090) is used. Each client carries the cluster's auth, headers,
 * TLS options and timeout; `--verbose` traces every PromQL query through `context.io.trace`, and
 * server warnings (e.g. Thanos partial responses) reach stderr as warnings.
 */
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import type { ResolvedSettings } from '../../config/resolve.js';
import { schemas, type ClusterSettings, type Settings } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import type {
  PrometheusClient,
  PrometheusClientConfig,
} from '../../providers/prometheus/client.js';
import { settingOverrides, type OptionSpec } from '../options.js';

/** A configured cluster and the client for its Prometheus. */
export interface ClusterClient {
  cluster: ClusterSettings;
  client: PrometheusClient;
}

/** `--prometheus-url`, when given on the command line, as the overrides `context.settings` takes. */
export function prometheusFlagOverrides(
  command: Command,
): Array<{ key: string; value: string; name: string }> {
  const value: unknown = command.opts().prometheusUrl;
  if (command.getOptionValueSource('prometheusUrl') !== 'cli' || typeof value !== 'string')
    return [];
  return [{ key: 'url', value, name: '--prometheus-url' }];
}

/** The `--cluster` value, if given. */
export function clusterFlag(command: Command): string | undefined {
  const value: unknown = command.opts().cluster;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Settings for a command that reads Prometheus: its setting flags, `--prometheus-url` and
 * `--cluster` applied with the usual precedence (flag > env > file > default).
 */
export function resolvePrometheusSettings(
  context: Context,
  command: Command,
  optionSpecs: ReadonlyArray<OptionSpec>,
): Promise<ResolvedSettings> {
  return context.settings({
    flags: settingOverrides(command, optionSpecs),
    prometheusFlags: prometheusFlagOverrides(command),
    cluster: clusterFlag(command),
  });
}

/**
 * The clusters to act on: the one `name` picks, or every configured one; SPEC §1.3's default
 * cluster when none is configured. An unknown name is a usage error listing the known ones
 * (`subject` names where the name came from, e.g. `--cluster` or `cluster`).
 */
export function selectClusters(
  settings: Settings,
  name?: string,
  subject = '--cluster',
): ClusterSettings[] {
  const configured =
    settings.clusters.length > 0 ? settings.clusters : [schemas.cluster.parse({ name: 'default' })];
  if (name === undefined) return configured;
  const match = configured.find((cluster) => cluster.name === name);
  if (match === undefined) {
    throw new UsageError(`${subject} ${name} is not a configured cluster`, {
      hint:
        settings.clusters.length > 0
          ? `Configured clusters: ${settings.clusters.map((c) => c.name).join(', ')}.`
          : 'No clusters are configured: drop --cluster, pass --prometheus-url, or add one with `carbonctl init`.',
    });
  }
  return [match];
}

/** The client configuration of a cluster (name, URL, credentials, headers, TLS, timeout). */
export function prometheusClientConfig(cluster: ClusterSettings): PrometheusClientConfig {
  const prometheus = cluster.prometheus;
  return {
    name: cluster.name,
    url: prometheus.url,
    token: prometheus.token,
    username: prometheus.username,
    password: prometheus.password,
    headers: prometheus.headers,
    caFile: prometheus.caFile,
    insecureSkipVerify: prometheus.insecureSkipVerify,
    timeoutSeconds: prometheus.timeoutSeconds,
  };
}

/** A client for one cluster's Prometheus, sharing the context's HTTP pool. */
export async function createPrometheusClient(
  context: Context,
  cluster: ClusterSettings,
  options: { maxRetries?: number } = {},
): Promise<PrometheusClient> {
  // Loaded on first use: zod and the client stay out of commands that never query Prometheus.
  const { PrometheusClient } = await import('../../providers/prometheus/client.js');
  return new PrometheusClient(prometheusClientConfig(cluster), {
    http: await context.http(),
    trace: (line) => context.io.trace(line),
    onWarning: (warning) => context.io.warn(warning),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
}

/** Clients for the selected clusters (see {@link selectClusters}). */
export async function prometheusClients(
  context: Context,
  settings: Settings,
  clusterName?: string,
): Promise<ClusterClient[]> {
  const clusters = selectClusters(settings, clusterName);
  const clients: ClusterClient[] = [];
  for (const cluster of clusters) {
    clients.push({ cluster, client: await createPrometheusClient(context, cluster) });
  }
  return clients;
}

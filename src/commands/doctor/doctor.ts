/** One line per dependency with ok / warn / fail and the fix; exit 3 if anything fails. */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from '../../context.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import { CarbonctlError, DataSourceError } from '../../errors.js';
import { formatAge } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import { redactUrl } from '../../core/secrets.js';
import type { SourceStore } from '../../accounting/source.js';
import { openLedger } from '../../store/ledger.js';
import { settingOverrides } from '../options.js';
import type { Invocation } from '../spec.js';
import { intensityProvider } from '../shared/intensity.js';
import {
  clusterFlag,
  createPrometheusClient,
  prometheusFlagOverrides,
  selectClusters,
} from '../shared/prometheus.js';
import { DOCTOR_OPTIONS } from './index.js';

/** One check's outcome. */
export interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix: string | null;
}

/** The metrics each source needs (SPEC §2), and which are optional. */
const METRICS: Record<'nodes' | 'pods', Array<{ name: string; required: boolean }>> = {
  nodes: [{ name: 'node_cpu_seconds_total', required: true }],
  pods: [
    { name: 'container_cpu_usage_seconds_total', required: true },
    { name: 'kube_pod_container_resource_requests', required: true },
    { name: 'kube_pod_owner', required: false },
    { name: 'kube_replicaset_owner', required: false },
    { name: 'container_memory_working_set_bytes', required: false },
  ],
};

/** How far back doctor looks for a metric before calling it absent. */
const LOOKBACK_DAYS = 30;
const DAY_MS = 86_400_000;

/** A metric's series count now, or over the look-back with the time of its newest sample. */
interface MetricPresence {
  /** Series now, or (when none now) series in the look-back. */
  series: number;
  /** Newest sample (to a minute) when there is none now; null when the metric is fresh. */
  newest: Date | null;
}

/** Series now; when none, series over the look-back and (to a minute) when the newest was. */
async function metricPresence(
  client: Awaited<ReturnType<typeof createPrometheusClient>>,
  metric: string,
  now: Date,
): Promise<MetricPresence> {
  const current = await client.countSeries(metric, { time: now });
  if (current > 0) return { series: current, newest: null };
  const lookbackSeconds = LOOKBACK_DAYS * 86_400;
  const series = await client.countSeries(metric, { time: now, lookbackSeconds });
  if (series === 0) return { series: 0, newest: null };
  // Hourly over the look-back, then by the minute in the last hour that had data.
  const lastWith = async (from: Date, to: Date, step: number): Promise<number | null> => {
    const result = await client.rangeQuery(`count(${metric})`, from, to, step);
    const times = result[0]?.times;
    return times && times.length > 0 ? (times[times.length - 1] ?? null) : null;
  };
  const hour = await lastWith(new Date(now.getTime() - LOOKBACK_DAYS * DAY_MS), now, 3600);
  if (hour === null) return { series, newest: new Date(now.getTime() - LOOKBACK_DAYS * DAY_MS) };
  const to = new Date(Math.min(now.getTime(), (hour + 3600) * 1000));
  const minute = (await lastWith(new Date(hour * 1000), to, 60)) ?? hour;
  // An instant query still sees a sample up to 5 minutes after it (Prometheus' look-back delta).
  return { series, newest: new Date((minute - 300) * 1000) };
}

/** A metric that exists but has no recent samples: a warning with its age and the right advice. */
function staleCheck(name: string, presence: MetricPresence, now: Date): Check {
  const newest = presence.newest ?? now;
  const age = formatAge(now.getTime() - newest.getTime());
  const from = new Date(now.getTime() - LOOKBACK_DAYS * DAY_MS).toISOString().slice(0, 10);
  const to = new Date(newest.getTime() + DAY_MS).toISOString().slice(0, 10);
  return {
    check: `  ${name}`,
    status: 'warn',
    detail: `${presence.series.toLocaleString('en-US')} series in the last ${LOOKBACK_DAYS} days, none now: newest sample ${age} old (about ${newest.toISOString().slice(0, 16)}Z)`,
    fix: `Prometheus has stopped receiving it (a paused scrape, a down target, or a restored backup): check its scrape targets. To record what exists, backfill its window: carbonctl track --from ${from} --to ${to}.`,
  };
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function checkLedger(settings: Settings): Check {
  const path = settings.ledger ?? '';
  if (!existsSync(path)) {
    try {
      const dir = dirname(path);
      if (existsSync(dir)) accessSync(dir, constants.W_OK);
      return {
        check: 'ledger',
        status: 'warn',
        detail: `${path} does not exist yet`,
        fix: 'Run `carbonctl track` to create and fill it.',
      };
    } catch {
      return {
        check: 'ledger',
        status: 'fail',
        detail: `${dirname(path)} is not writable`,
        fix: 'Point --ledger / CARBONCTL_LEDGER at a writable path.',
      };
    }
  }
  try {
    const ledger = openLedger(path);
    try {
      const rows = ledger.countRows();
      accessSync(path, constants.W_OK);
      return {
        check: 'ledger',
        status: 'ok',
        detail: `${path}: ${rows.toLocaleString('en-US')} entity-hours, writable`,
        fix: null,
      };
    } finally {
      ledger.close();
    }
  } catch (error) {
    return {
      check: 'ledger',
      status: 'fail',
      detail: messageOf(error),
      fix: error instanceof CarbonctlError && error.hint ? error.hint : 'Check the ledger file.',
    };
  }
}

/** The ledger's stored source decisions, read-only; null when there is no readable ledger (its check says why). */
function decisionStore(context: Context, settings: Settings): SourceStore | null {
  const path = settings.ledger ?? '';
  if (path === '' || !existsSync(path)) return null;
  try {
    const ledger = openLedger(path, { readonly: true });
    context.onDispose(() => ledger.close());
    return ledger;
  } catch {
    return null;
  }
}

/** How the cluster is accounted (SPEC §1.3 `source`): configured, or the decision stored in the ledger. */
function sourceCheck(cluster: ClusterSettings, store: SourceStore | null): Check {
  const check = `  accounted as`;
  if (cluster.source !== 'auto')
    return { check, status: 'ok', detail: `${cluster.source} (set in the config)`, fix: null };
  const stored = store?.storedClusterSource(cluster.name) ?? null;
  if (stored === null)
    return {
      check,
      status: 'ok',
      detail: 'auto, not decided yet: the first track decides it from the data of its window',
      fix: null,
    };
  const from =
    stored.window === null
      ? ''
      : ` from the data of ${stored.window.from.toISOString()} – ${stored.window.to.toISOString()}`;
  return {
    check,
    status: 'ok',
    detail: `${stored.source} (${stored.decidedBy === 'auto' ? 'auto' : `set by ${stored.decidedBy}`}, decided ${stored.decidedAt.toISOString()}${from}; kept in the ledger)`,
    fix: null,
  };
}

async function checkCluster(
  context: Context,
  cluster: ClusterSettings,
  store: SourceStore | null,
): Promise<Check[]> {
  const label = `prometheus ${cluster.name}`;
  const client = await createPrometheusClient(context, cluster, { maxRetries: 1 });
  let version: string;
  try {
    version = (await client.buildInfo()).version;
  } catch (error) {
    return [
      {
        check: label,
        status: 'fail',
        detail: messageOf(error),
        fix:
          error instanceof CarbonctlError && error.hint
            ? error.hint
            : `Check clusters[].prometheus.url (${redactUrl(cluster.prometheus.url)}) and credentials.`,
      },
    ];
  }
  const checks: Check[] = [
    {
      check: label,
      status: 'ok',
      detail: `${redactUrl(cluster.prometheus.url)} answers, version ${version}`,
      fix: null,
    },
    sourceCheck(cluster, store),
  ];
  const sources: Array<'nodes' | 'pods'> =
    cluster.source === 'auto' ? ['nodes', 'pods'] : [cluster.source];
  // Presence over the look-back, not just now: a Prometheus whose newest samples are old (a
  // paused scrape, retention, a restored backup) still has the metrics; only their age warns.
  const counts = new Map<string, MetricPresence>();
  for (const source of sources) {
    for (const metric of METRICS[source]) {
      try {
        counts.set(metric.name, await metricPresence(client, metric.name, context.now()));
      } catch (error) {
        checks.push({
          check: `  ${metric.name}`,
          status: 'fail',
          detail: messageOf(error),
          fix: 'Check that the query API answers instant queries.',
        });
      }
    }
  }
  const present = (name: string): boolean => (counts.get(name)?.series ?? 0) > 0;
  for (const source of sources) {
    const usable = METRICS[source].filter((m) => m.required).every((m) => present(m.name));
    for (const metric of METRICS[source]) {
      const presence = counts.get(metric.name);
      if (presence === undefined) continue;
      const count = presence.series;
      if (count > 0 && presence.newest !== null) {
        checks.push(staleCheck(metric.name, presence, context.now()));
        continue;
      }
      // With source auto, a source whose metrics are all absent is simply not in use.
      const status =
        count > 0
          ? 'ok'
          : cluster.source === 'auto' && !usable
            ? 'warn'
            : metric.required
              ? 'fail'
              : 'warn';
      checks.push({
        check: `  ${metric.name}`,
        status,
        detail:
          count > 0
            ? `${count.toLocaleString('en-US')} series`
            : `0 series in the last ${LOOKBACK_DAYS} days${cluster.source === 'auto' && !usable ? ` (no ${source} data: source auto)` : ''}`,
        fix:
          count > 0
            ? null
            : source === 'nodes'
              ? 'Scrape node_exporter on each host (job "node"), or set source "pods".'
              : 'Scrape cAdvisor (kubelet /metrics/cadvisor) and kube-state-metrics, or set source "nodes".',
      });
    }
  }
  if (cluster.workspaces.inventory !== null)
    checks.push(...(await checkInventory(client, cluster, context.now())));
  if (
    cluster.source === 'auto' &&
    !sources.some((s) => METRICS[s].filter((m) => m.required).every((m) => present(m.name)))
  ) {
    checks.push({
      check: `  source`,
      status: 'fail',
      detail: 'neither node_exporter nor cAdvisor metrics are present',
      fix: 'Check the Prometheus URL points at the server that scrapes your hosts or cluster.',
    });
  }
  return checks;
}

/**
 * The workspace inventory: readable, and in agreement with the series' owner/project/machine
 * labels over the look-back. The labels win where both have a value, so a disagreement is a
 * warning naming the host, never a failure.
 */
async function checkInventory(
  client: Awaited<ReturnType<typeof createPrometheusClient>>,
  cluster: ClusterSettings,
  now: Date,
): Promise<Check[]> {
  const path = cluster.workspaces.inventory as string;
  const check = `  workspaces.inventory`;
  const { readInventory } = await import('../../config/inventory.js');
  const { inventoryConflicts } = await import('../../core/workspaces.js');
  const { safeMatchers, selector, isValidLabelName } =
    await import('../../providers/prometheus/promql.js');
  let inventory;
  try {
    inventory = readInventory(path);
  } catch (error) {
    return [
      {
        check,
        status: 'fail',
        detail: messageOf(error),
        fix: error instanceof CarbonctlError && error.hint ? error.hint : 'Fix the inventory CSV.',
      },
    ];
  }
  const { hostLabel, ownerLabel, projectLabel, machineLabel } = cluster.workspaces;
  const labels = [hostLabel, ownerLabel, projectLabel, machineLabel];
  if (!labels.every(isValidLabelName)) {
    return [
      {
        check,
        status: 'fail',
        detail: `workspaces label names ${labels.join(', ')} are not all valid Prometheus label names`,
        fix: 'Fix clusters[].workspaces in the config.',
      },
    ];
  }
  const series = await client.vectorQuery(
    `max by (${labels.join(', ')}) (last_over_time(${selector('node_cpu_seconds_total', safeMatchers(cluster.workspaces.selector))}[${LOOKBACK_DAYS}d]))`,
    now,
  );
  const conflicts = series.flatMap((sample) => {
    const host = sample.metric[hostLabel] ?? '';
    return inventoryConflicts(
      host,
      {
        owner: sample.metric[ownerLabel],
        project: sample.metric[projectLabel],
        machine: sample.metric[machineLabel],
      },
      inventory.get(host),
    );
  });
  if (conflicts.length === 0) {
    return [
      {
        check,
        status: 'ok',
        detail: `${inventory.size} workspace(s) in ${path}; no disagreement with the series' labels`,
        fix: null,
      },
    ];
  }
  const shown = conflicts
    .slice(0, 5)
    .map((c) => `${c.host} ${c.label}: labels say ${c.fromLabels}, inventory ${c.fromInventory}`);
  return [
    {
      check,
      status: 'warn',
      detail: `${conflicts.length} disagreement(s) with the series' labels (the labels win): ${shown.join('; ')}${conflicts.length > 5 ? '; …' : ''}`,
      fix: `Correct ${path} or the exporters' labels so they agree.`,
    },
  ];
}

async function checkIntensity(context: Context, settings: Settings): Promise<Check> {
  try {
    const provider = await intensityProvider(context, settings);
    const current = await provider.current(context.now());
    return {
      check: 'intensity',
      status: 'ok',
      detail: `${provider.name} (${provider.regionLabel}) answers: ${current.intensityGPerKwh} g/kWh ${current.kind}`,
      fix: null,
    };
  } catch (error) {
    return {
      check: 'intensity',
      status: 'fail',
      detail: messageOf(error),
      fix:
        error instanceof CarbonctlError && error.hint
          ? error.hint
          : 'Check intensity.provider and its settings.',
    };
  }
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const command = invocation.command;
  const checks: Check[] = [];
  let settings: Settings | null = null;
  try {
    const resolved = await context.settings({
      flags: settingOverrides(command, DOCTOR_OPTIONS),
      prometheusFlags: prometheusFlagOverrides(command),
      cluster: clusterFlag(command),
    });
    settings = resolved.settings;
    checks.push({
      check: 'config',
      status: 'ok',
      detail: resolved.configFile.exists
        ? `${resolved.configFile.path} is valid`
        : `no config file (${resolved.configFile.path}); defaults, env and flags`,
      fix: null,
    });
  } catch (error) {
    checks.push({
      check: 'config',
      status: 'fail',
      detail: messageOf(error),
      fix: 'Run `carbonctl config validate` and fix what it lists.',
    });
  }
  if (settings) {
    checks.push(checkLedger(settings));
    const store = decisionStore(context, settings);
    for (const cluster of selectClusters(settings, clusterFlag(command)))
      checks.push(...(await checkCluster(context, cluster, store)));
    checks.push(await checkIntensity(context, settings));
  }
  const failed = checks.filter((c) => c.status === 'fail');
  const table = () => ({
    columns: [
      { key: 'status', header: 'Status' },
      { key: 'check', header: 'Check' },
      { key: 'detail', header: 'Detail' },
      { key: 'fix', header: 'Fix' },
    ],
    rows: checks.map((c) => ({ ...c })),
  });
  return {
    data: { ok: failed.length === 0, checks },
    csv: table,
    human: (style) => [
      {
        table: {
          ...table(),
          rows: checks.map((c) => ({
            ...c,
            status:
              c.status === 'ok'
                ? style.green('ok')
                : c.status === 'warn'
                  ? style.yellow('warn')
                  : style.red('fail'),
          })),
        },
      },
    ],
    ...(failed.length
      ? {
          failure: new DataSourceError(
            'doctor',
            `${failed.length} check${failed.length > 1 ? 's' : ''} failed: ${failed.map((c) => c.check.trim()).join(', ')}`,
            { hint: 'See the Fix column above.' },
          ),
        }
      : {}),
  };
}

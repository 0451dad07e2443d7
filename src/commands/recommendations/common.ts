/**
 * What the `recommendations` subcommands share: opening the ledger, turning an id prefix into
 * a recommendation (usage errors for unknown and ambiguous ones), confirmation on a terminal,
 * and the Kubeadapt-like JSON and table views of SPEC §8.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import { InvalidInputError } from '../../core/input-error.js';
import type {
  RecommendationConfig,
  StoredRecommendation,
} from '../../core/recommendation-model.js';
import { formatCpuQuantity, formatMemoryQuantity } from '../../core/units.js';
import { CancelledError, DataSourceError, UsageError } from '../../errors.js';
import { formatMoney4 } from '../../output/format.js';
import type { TableData } from '../../output/table.js';
import { openLedger } from '../../store/ledger.js';
import type { Ledger } from '../../store/types.js';
import { settingOverrides, type OptionSpec } from '../options.js';
import type { Invocation } from '../spec.js';

/** Settings of a recommendations subcommand: its `--ledger`/`--tz` flags over env, file, defaults. */
export async function recommendationSettings(
  context: Context,
  invocation: Invocation,
  specs: readonly OptionSpec[],
): Promise<Settings> {
  return (await context.settings({ flags: settingOverrides(invocation.command, specs) })).settings;
}

function ledgerPath(settings: Settings): string {
  const path = settings.ledger;
  if (path === null || path === '') {
    throw new DataSourceError('Ledger', 'no ledger path is configured', {
      hint: 'Set --ledger, CARBONCTL_LEDGER or "ledger" in the config.',
    });
  }
  return path;
}

/** Whether the ledger file exists at all (before it does, there are no recommendations). */
export function ledgerExists(settings: Settings): boolean {
  return existsSync(ledgerPath(settings));
}

/**
 * The ledger for a command that changes recommendations (created by `generate` when missing;
 * schema migrations are applied). Closed when the run ends.
 */
export function openWriteLedger(
  context: Context,
  settings: Settings,
  options: { create: boolean },
): Ledger {
  const path = ledgerPath(settings);
  if (!options.create && !existsSync(path)) throw noRecommendationsYet(path);
  const ledger = openLedger(path, { clock: () => context.now(), create: options.create });
  context.onDispose(() => ledger.close());
  return ledger;
}

/** The ledger for a command that only reads recommendations, read-only (runs beside cron jobs). */
export function openRecommendationReader(context: Context, settings: Settings): Ledger {
  const ledger = openLedger(ledgerPath(settings), { readonly: true });
  context.onDispose(() => ledger.close());
  return ledger;
}

/** The error for a command that needs a recommendation before any was generated. */
export function noRecommendationsYet(path: string): UsageError {
  return new UsageError(`there are no recommendations yet (no ledger at ${path})`, {
    hint: 'Run `carbonctl recommendations generate` first.',
  });
}

/** The positional id of show/apply/ignore/restore. */
export function idArgument(invocation: Invocation, verb: string): string {
  const id = invocation.args[0];
  if (id === undefined || id.trim() === '') {
    throw new UsageError(`recommendations ${verb} needs a recommendation id`, {
      hint: `e.g. carbonctl recommendations ${verb} 3f9c (any unique prefix of an id listed by \`carbonctl recommendations\`)`,
    });
  }
  return id;
}

/** Runs a ledger operation; the core's InvalidInputError (unknown/ambiguous id, bad transition) becomes exit 2. */
export function asUsageError<T>(operation: () => T, hint?: string): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(error.message, {
        hint:
          hint ??
          'List the ids with `carbonctl recommendations --status active,applied,ignored,stale`.',
      });
    }
    throw error;
  }
}

/**
 * Asks before a change on a terminal (SPEC §8), unless `--yes`. Off a terminal `--yes` is
 * required: never wait for input that cannot come. Answering no cancels (exit 130).
 */
export async function confirmChange(
  context: Context,
  invocation: Invocation,
  verb: string,
  question: string,
): Promise<void> {
  if (invocation.opts.yes === true) return;
  if (!context.io.canPrompt) {
    throw new UsageError(`recommendations ${verb} needs --yes when not run on a terminal`, {
      hint: `Add --yes to ${verb} it without a question (e.g. from a script or CI job).`,
    });
  }
  const prompter = await context.prompter();
  if (!(await prompter.confirm(question, false))) {
    throw new CancelledError(
      `Not ${verb === 'apply' ? 'applied' : `${verb}d`}: nothing was changed.`,
    );
  }
}

/** Money for people: a decimal string with 4 places and the currency (`0.0474 USD`). */
export function money(value: number, currency: string | null): string | null {
  return currency === null ? null : `${formatMoney4(value)} ${currency}`;
}

/** Kubeadapt's Money object for JSON: the amount as a 4-place decimal string (SPEC §8) and the currency. */
export function moneyObject(
  value: number,
  currency: string | null,
): { amount: string; currency: string } | null {
  return currency === null ? null : { amount: formatMoney4(value), currency };
}

/**
 * Why the recommendation was made, in words (Kubeadapt's `metadata.cause`): the statistic the
 * rule compared, plus restarts and OOM kills seen in the window.
 */
export function causeOf(recommendation: StoredRecommendation): string {
  const snapshot = recommendation.snapshot;
  const current = recommendation.current;
  const parts: string[] = [];
  const pct = (value: number | null, request: number | undefined): string =>
    value === null || request === undefined || request <= 0
      ? ''
      : ` (${((value / request) * 100).toFixed(1)} % of the request)`;
  switch (recommendation.type) {
    case 'RIGHTSIZING_CPU':
      if (snapshot.p95 !== null && current?.cpu_request_cores !== undefined)
        parts.push(
          `p95 CPU ${formatCpuQuantity(snapshot.p95)} vs request ${formatCpuQuantity(current.cpu_request_cores)}${pct(snapshot.p95, current.cpu_request_cores)}`,
        );
      break;
    case 'RIGHTSIZING_MEMORY':
      if (snapshot.p95 !== null && current?.memory_request_bytes !== undefined)
        parts.push(
          `p95 working set ${formatMemoryQuantity(snapshot.p95)} vs request ${formatMemoryQuantity(current.memory_request_bytes)}${pct(snapshot.p95, current.memory_request_bytes)}`,
        );
      break;
    case 'IDLE_WORKLOAD':
    case 'IDLE_WORKSPACE':
      parts.push('busy share of its CPU below the idle threshold');
      break;
    case 'CARBON_AWARE_SHIFT':
      parts.push("runs in hours well above the day's cleanest intensity");
      break;
  }
  if ((snapshot.restarts ?? 0) > 0) parts.push(`${snapshot.restarts} restart(s)`);
  if ((snapshot.oomKills ?? 0) > 0) parts.push(`${snapshot.oomKills} OOM kill(s)`);
  return parts.join('; ');
}

/** Kubeadapt's `metrics_snapshot` keys from the stored snapshot (the resource the rule looked at). */
export function metricsSnapshotJson(recommendation: StoredRecommendation) {
  const snapshot = recommendation.snapshot;
  const current = recommendation.current;
  const percent = (value: number | null, request: number | undefined): number | null =>
    value === null || request === undefined || request <= 0 ? null : (value / request) * 100;
  return {
    window: {
      start_at: snapshot.windowFrom,
      end_at: snapshot.windowTo,
      samples: snapshot.samples,
    },
    cpu:
      snapshot.unit === 'cores'
        ? {
            request_cores: current?.cpu_request_cores ?? null,
            used_cores_p50: snapshot.p50,
            used_cores_p95: snapshot.p95,
            utilization_percent_p95: percent(snapshot.p95, current?.cpu_request_cores),
          }
        : null,
    memory:
      snapshot.unit === 'bytes'
        ? {
            request_bytes: current?.memory_request_bytes ?? null,
            used_bytes_p50: snapshot.p50,
            used_bytes_p95: snapshot.p95,
            utilization_percent_p95: percent(snapshot.p95, current?.memory_request_bytes),
          }
        : null,
    // Pods running at the window's end stand for both: the engine keeps no replica history.
    replicas:
      snapshot.replicas === null
        ? null
        : { desired_avg: snapshot.replicas, running_avg: snapshot.replicas },
    restarts_total: snapshot.restarts,
    oom_kills_total: snapshot.oomKills,
  };
}

/** `cluster/namespace/workload/container` or `cluster/host`: what a recommendation is about. */
export function targetLabel(recommendation: StoredRecommendation): string {
  const target = recommendation.target;
  const parts =
    target.kind === 'host'
      ? [target.cluster, target.host]
      : [target.cluster, target.namespace, target.workload, target.container];
  return parts.filter((part): part is string => part !== null && part !== '').join('/');
}

/** Kubeadapt's resource_type: the workload kind, or `Host` for workspaces. */
function resourceType(recommendation: StoredRecommendation): string {
  const target = recommendation.target;
  if (target.kind === 'host') return 'Host';
  return target.workloadKind ?? (target.kind === 'container' ? 'Container' : 'Workload');
}

function resourceName(recommendation: StoredRecommendation): string | null {
  const target = recommendation.target;
  return target.kind === 'host' ? target.host : target.workload;
}

/** One item of the Kubeadapt-like list (SPEC §8), with the lifecycle fields carbonctl adds. */
export function recommendationJson(recommendation: StoredRecommendation) {
  const currency = recommendation.savings.currency;
  const cluster = recommendation.target.cluster;
  return {
    id: recommendation.id,
    kind: 'Recommendation' as const,
    metadata: {
      recommendation_type: recommendation.type,
      resource_type: resourceType(recommendation),
      resource_name: resourceName(recommendation),
      // kube-state-metrics reports no uid for Deployments and hosts have none: null until it can be read.
      resource_uid: null,
      namespace: recommendation.target.namespace,
      container: recommendation.target.container,
      // Kubeadapt's cluster reference; carbonctl identifies a cluster by its configured name.
      cluster: { id: cluster, name: cluster },
      title: recommendation.title,
      description: recommendation.description,
      cause: causeOf(recommendation),
      risk_level: recommendation.risk,
      priority: recommendation.priority,
      status: recommendation.status,
      data_points_analyzed: recommendation.snapshot.samples,
      created_at: recommendation.createdAt,
      updated_at: recommendation.updatedAt,
      last_seen_at: recommendation.lastSeenAt,
      applied_at: recommendation.appliedAt,
      ignored_reason: recommendation.ignoredReason,
    },
    current: {
      config: recommendation.current,
      hourly_cost: moneyObject(recommendation.currentHourlyCost, currency),
    },
    recommended: { config: recommendation.recommended },
    // Kubeadapt: an empty config while nothing has been applied.
    applied: { config: recommendation.applied ?? {} },
    savings: {
      estimated_hourly: moneyObject(recommendation.savings.hourlyCost, currency),
      estimated_monthly_cost: moneyObject(recommendation.savings.monthlyCost, currency),
      estimated_monthly_co2e_g: recommendation.savings.monthlyCo2eGrams,
      estimated_monthly_kwh: recommendation.savings.monthlyKwh,
    },
    metrics_snapshot: metricsSnapshotJson(recommendation),
  };
}

/** A config for people: `cpu 2000m, memory 512Mi, replicas 3`. */
export function describeConfig(config: RecommendationConfig | null): string {
  if (config === null) return '–';
  const parts: string[] = [];
  if (config.cpu_request_cores !== undefined)
    parts.push(`cpu ${formatCpuQuantity(config.cpu_request_cores)}`);
  if (config.memory_request_bytes !== undefined)
    parts.push(`memory ${formatMemoryQuantity(config.memory_request_bytes)}`);
  if (config.replicas !== undefined) parts.push(`replicas ${config.replicas}`);
  if (config.cores !== undefined) parts.push(`${config.cores} cores`);
  if (config.state !== undefined) parts.push(config.state);
  if (config.run_hours_utc !== undefined)
    parts.push(
      `runs at ${config.run_hours_utc.map((h) => `${String(h).padStart(2, '0')}:00`).join(',')} UTC`,
    );
  if (config.intensity_g_per_kwh !== undefined)
    parts.push(`${Math.round(config.intensity_g_per_kwh)} g/kWh`);
  return parts.length === 0 ? '–' : parts.join(', ');
}

/** The list as a table (and CSV): one row per recommendation, units in the headers. */
export function recommendationsTable(recommendations: readonly StoredRecommendation[]): TableData {
  const currencies = [...new Set(recommendations.map((r) => r.savings.currency))];
  const currency = currencies.length === 1 ? (currencies[0] ?? '') : '';
  return {
    columns: [
      { key: 'id', header: 'ID' },
      { key: 'type', header: 'Type' },
      { key: 'target', header: 'Target' },
      { key: 'change', header: 'Change' },
      { key: 'status', header: 'Status' },
      { key: 'priority', header: 'Priority' },
      { key: 'risk', header: 'Risk' },
      { key: 'co2e', header: 'Saves gCO2e/month', kind: 'number' },
      { key: 'kwh', header: 'Saves kWh/month', kind: 'number' },
      {
        key: 'cost',
        header: currency === '' ? 'Saves cost/month' : `Saves ${currency}/month`,
        kind: 'number',
      },
    ],
    rows: recommendations.map((r) => ({
      id: r.id,
      type: r.type,
      target: targetLabel(r),
      change: `${describeConfig(r.current)} → ${describeConfig(r.recommended)}`,
      status: r.status,
      priority: r.priority,
      risk: r.risk,
      co2e: r.savings.monthlyCo2eGrams,
      kwh: r.savings.monthlyKwh,
      cost: r.savings.monthlyCost,
    })),
  };
}

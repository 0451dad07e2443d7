/**
 * `carbonctl recommendations generate`: analyse Prometheus over the lookback (or a pinned
 * `--from/--to` window) and merge the findings into the ledger by the lifecycle rules: new
 * ones active, active ones refreshed, lapsed ones stale, ignored and applied ones untouched.
 */
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import { resolvePeriod, type PeriodSelector, type TimeRange } from '../../core/periods.js';
import type { SyncCounts } from '../../core/recommendation-lifecycle.js';
import { parseDuration } from '../../core/units.js';
import { UsageError } from '../../errors.js';
import { formatOffsetIso } from '../../core/periods.js';
import type { CommandResult } from '../../output/render.js';
import { optionalString, parseFlag } from '../parse.js';
import { asUsage } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { openWriteLedger, recommendationSettings } from './common.js';
import { RECOMMENDATIONS_GENERATE_OPTIONS } from './index.js';
import type { ClusterBaseline } from './collect.js';

/** The JSON of `recommendations generate`. */
export interface GenerateData extends SyncCounts {
  window: { from: string; to: string };
  /** Clusters analysed with data in the window (their lapsed findings may turn stale). */
  clusters: string[];
  /** Per selected cluster: status and the window's metered baseline (as `track` accounts it). */
  baselines: ClusterBaseline[];
  findings: number;
  /** Active recommendations in the ledger after this generation (all clusters). */
  active: number;
}

function alias(opts: Record<string, unknown>, name: string, other: string): string | undefined {
  const value = optionalString(opts, name);
  const aliased = optionalString(opts, other);
  if (value !== undefined && aliased !== undefined) {
    throw new UsageError(`--${name} and --${other} are the same option; give one of them`);
  }
  return value ?? aliased;
}

/**
 * The analysis window: `--from/--to` (a missing `--to` is now), or `--lookback` ending now, or
 * the configured lookback (`recommendations.lookbackDays`, default 14 days) ending now.
 */
export function analysisWindow(
  opts: Record<string, unknown>,
  now: Date,
  settings: Settings,
): TimeRange {
  const from = alias(opts, 'from', 'start');
  const to = alias(opts, 'to', 'end');
  const lookback = optionalString(opts, 'lookback');
  if (lookback !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError('--lookback cannot be combined with --from/--to', {
      hint: 'Give --lookback 14d (ending now) or a pinned window with --from and --to.',
    });
  }
  if (to !== undefined && from === undefined) {
    throw new UsageError('--to needs --from', { hint: 'e.g. --from 2026-03-01 --to 2026-03-15' });
  }
  if (lookback !== undefined) parseFlag('--lookback', lookback, parseDuration);
  const selector: PeriodSelector = {};
  if (from !== undefined) {
    selector.from = from;
    selector.to = to ?? now.toISOString();
  } else {
    selector.last = lookback ?? `${settings.recommendations.lookbackDays}d`;
  }
  const range = asUsage(() => resolvePeriod(selector, now, settings.timezone));
  // The same bound as recommendations.lookbackDays: a longer window is refused before any query
  // (Prometheus would answer 400 "too many points", which is not a data-source failure).
  if (range.to.getTime() - range.from.getTime() > MAX_ANALYSIS_DAYS * 86_400_000) {
    const flag = lookback !== undefined ? `--lookback ${lookback}` : '--from/--to';
    throw new UsageError(`${flag}: the analysis window is longer than a year`, {
      hint: 'Recommendations look at recent usage; give --lookback 14d (up to 365d).',
    });
  }
  return range;
}

/** Longest analysis window, as for `recommendations.lookbackDays`. */
const MAX_ANALYSIS_DAYS = 366;

/** Runs the engine (R1's collector) and stores its findings; shared with `list --refresh`. */
export async function generateRecommendations(
  context: Context,
  invocation: Invocation,
  settings: Settings,
): Promise<GenerateData & { failure?: Error }> {
  const now = context.now();
  const window = analysisWindow(invocation.opts, now, settings);
  const cluster = optionalString(invocation.opts, 'cluster');
  const { collectFindings } = await import('./collect.js');
  const spinner = context.io.spinner('Analysing usage for recommendations…');
  let collected: Awaited<ReturnType<typeof collectFindings>>;
  try {
    collected = await collectFindings(context, invocation.command, {
      cluster,
      from: window.from,
      to: window.to,
      allowEstimates: invocation.opts.allowEstimates === true,
    });
  } finally {
    spinner.stop();
  }
  const ledger = openWriteLedger(context, settings, { create: true });
  const counts = ledger.recommendations.sync(collected.findings, {
    clusters: collected.clusters,
    now,
  });
  const active = ledger.recommendations.list({ statuses: ['active'], limit: 0 }).total;
  return {
    window: {
      from: collected.window.from.toISOString(),
      to: collected.window.to.toISOString(),
    },
    clusters: collected.clusters,
    baselines: collected.baselines,
    findings: collected.findings.length,
    ...counts,
    active,
    ...(collected.failure ? { failure: collected.failure } : {}),
  };
}

/** One line for people: what the generation found and did. */
export function describeGeneration(data: GenerateData, zone: string): string {
  const window = `${formatOffsetIso(new Date(data.window.from), zone)} → ${formatOffsetIso(new Date(data.window.to), zone)}`;
  const clusters = data.clusters.length === 0 ? 'no cluster' : data.clusters.join(', ');
  return (
    `Analysed ${clusters} over ${window}: ${data.findings} finding${data.findings === 1 ? '' : 's'} — ` +
    `${data.created} new, ${data.refreshed} refreshed, ${data.unchanged} unchanged, ${data.stale} now stale.\n` +
    `${data.active} active recommendation${data.active === 1 ? '' : 's'}: see \`carbonctl recommendations\`.\n`
  );
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await recommendationSettings(
    context,
    invocation,
    RECOMMENDATIONS_GENERATE_OPTIONS,
  );
  const { failure, ...data } = await generateRecommendations(context, invocation, settings);
  return {
    data,
    ...(failure ? { failure } : {}),
    human: () => [{ text: describeGeneration(data, settings.timezone) }],
  };
}

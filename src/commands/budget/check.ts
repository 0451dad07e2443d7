/**
 * `carbonctl budget check` (SPEC §9): measure a window live from Prometheus (or given
 * CPU-seconds, offline), compute energy, CO2e and cost with the same methodology as every other
 * command (hourly usage × that hour's grid intensity), compare with the limits and a baseline,
 * and tell CI about it: exit 4 over budget, GitHub annotations and step summary, JUnit XML.
 *
 * Decisions worth knowing:
 * - CO2e is location-based Scope 2 plus Scope 3 embodied (SPEC §7 `total_kgco2e`).
 * - Usage is exact per clock hour; an hour only partly inside the window counts the share of
 *   its observed part that lies inside (reason `window_partial_hour_prorated`).
 * - GitHub annotations go to stderr (the runner reads workflow commands on both streams), so
 *   stdout stays the data and `-o json` stays one JSON document.
 * - Over budget, the result is still printed (stdout) before the exit-4 error.
 */
import { readFile } from 'node:fs/promises';
import type { Context } from '../../context.js';
import type { BudgetSettings, Settings } from '../../config/schema.js';
import {
  compareWithBaseline,
  measurementOf,
  monthContaining,
  parsePercent,
  type BaselineComparison,
  type BudgetLimits,
  type BudgetMetric,
  type Window,
} from '../../core/budget.js';
import {
  parseDuration,
  parseEnergyKwh,
  parseMassGrams,
  parseTimeInput,
  subtractDuration,
} from '../../core/units.js';
import type { UsageSource } from '../../core/usage.js';
import {
  BudgetExceededError,
  CarbonctlError,
  IncompleteDataError,
  UsageError,
} from '../../errors.js';
import type { CommandResult, OutputFormat } from '../../output/render.js';
import { safeMatchers } from '../../providers/prometheus/promql.js';
import { optionalString, parseFlag } from '../parse.js';
import { resolvePrometheusSettings } from '../shared/prometheus.js';
import type { Invocation } from '../spec.js';
import { reportToCi, writeBaselineFile } from './ci.js';
import { BUDGET_CHECK_OPTIONS } from './index.js';
import type { IntensityRequest } from '../../accounting/intensity.js';
import { measureLive, measureOffline } from './measure.js';
import { buildOutcome, checkResult, formatMetric, metricKey, type CheckOutcome } from './result.js';

/** SPEC §9's example threshold, used when `--baseline` is given without `--max-increase`. */
const DEFAULT_MAX_INCREASE_PERCENT = 10;
/** What to measure: workspaces/pods matching these, in these clusters. */
export interface Selection {
  cluster?: string;
  namespace?: string;
  project?: string;
  owner?: string;
  /** Raw PromQL label matchers (`--selector`), validated at parse time. */
  selector?: string;
  source?: UsageSource;
}

/** `--baseline` and how to compare with it. */
export interface BaselineRequest {
  file: string;
  maxIncreasePercent: number;
  metric: BudgetMetric;
}

/** Validated inputs of `budget check`. */
export interface CheckOptions {
  mode: 'live' | 'offline';
  limits: BudgetLimits;
  budget: string | null;
  /** The live window (clipped to now); null offline. */
  window: Window | null;
  selection: Selection;
  offline: { busySeconds: number; idleSeconds: number } | null;
  intensity: IntensityRequest;
  baseline: BaselineRequest | null;
  writeBaseline: string | null;
  junit: string | null;
  failOnMissingData: boolean;
}

// ---------------------------------------------------------------------------------------------
// Flags → options

/** Parse and validate the flags against the settings (named budgets) and the clock. */
export function parseCheckOptions(
  opts: Record<string, unknown>,
  settings: Settings,
  now: Date,
): CheckOptions {
  const text = (key: string): string | undefined => optionalString(opts, key);
  const zone = settings.timezone;

  let budget: BudgetSettings | null = null;
  const budgetName = text('budget');
  if (budgetName !== undefined) {
    budget = settings.budgets.find((candidate) => candidate.name === budgetName) ?? null;
    if (budget === null) {
      throw new UsageError(`--budget ${budgetName} is not a configured budget`, {
        hint:
          settings.budgets.length > 0
            ? `Configured budgets: ${settings.budgets.map((b) => b.name).join(', ')}.`
            : 'No budgets are configured: add one under "budgets" in the config, e.g. {"name": "ci", "scope": {"namespace": "ci"}, "max_co2e_g": 5000}.',
      });
    }
  }

  const maxCo2e = text('maxCo2e');
  const maxEnergy = text('maxEnergy');
  const limits: BudgetLimits = {
    co2eGrams:
      maxCo2e !== undefined
        ? parseFlag('--max-co2e', maxCo2e, parseMassGrams)
        : (budget?.max_co2e_g ?? null),
    energyKwh:
      maxEnergy !== undefined
        ? parseFlag('--max-energy', maxEnergy, parseEnergyKwh)
        : (budget?.max_energy_kwh ?? null),
    cost: (opts.maxCost as number | undefined) ?? budget?.max_cost ?? null,
  };

  const baselineFile = text('baseline');
  const maxIncrease = text('maxIncrease');
  const baselineMetric = text('baselineMetric') as BudgetMetric | undefined;
  if (baselineFile === undefined && (maxIncrease !== undefined || baselineMetric !== undefined)) {
    throw new UsageError(
      `${maxIncrease !== undefined ? '--max-increase' : '--baseline-metric'} needs --baseline <file>`,
      { hint: 'e.g. --baseline main.json --max-increase 10%' },
    );
  }
  const baseline: BaselineRequest | null =
    baselineFile === undefined
      ? null
      : {
          file: baselineFile,
          maxIncreasePercent:
            maxIncrease === undefined
              ? DEFAULT_MAX_INCREASE_PERCENT
              : parseFlag('--max-increase', maxIncrease, parsePercent),
          metric: baselineMetric ?? 'co2e',
        };
  const writeBaseline = text('writeBaseline') ?? null;

  const hasLimit = limits.co2eGrams !== null || limits.energyKwh !== null || limits.cost !== null;
  if (!hasLimit && baseline === null && writeBaseline === null) {
    throw new UsageError(
      'budget check needs a limit: --max-co2e, --max-energy, --max-cost, --budget <name> or --baseline <file>',
      { hint: 'e.g. carbonctl budget check --max-co2e 500g --window 1h --namespace ci' },
    );
  }

  const busySeconds = opts.busyCpuSeconds as number | undefined;
  const idleSeconds = opts.idleCpuSeconds as number | undefined;
  const intensity: IntensityRequest = {
    givenGPerKwh: (opts.intensity as number | undefined) ?? null,
    allowEstimates: opts.allowEstimates === true,
  };
  const common = {
    limits,
    budget: budget?.name ?? null,
    intensity,
    baseline,
    writeBaseline,
    junit: text('junit') ?? null,
    failOnMissingData: opts.failOnMissingData === true,
  };

  if (busySeconds !== undefined || idleSeconds !== undefined) {
    const liveOnly: Array<[string, string]> = [
      ['window', '--window'],
      ['since', '--since'],
      ['from', '--from'],
      ['start', '--from'],
      ['to', '--to'],
      ['end', '--to'],
      ['namespace', '--namespace'],
      ['project', '--project'],
      ['owner', '--owner'],
      ['selector', '--selector'],
      ['source', '--source'],
      ['prometheusUrl', '--prometheus-url'],
    ];
    const conflict = liveOnly.find(([key]) => opts[key] !== undefined);
    if (conflict !== undefined) {
      throw new UsageError(
        `${conflict[1]} measures live from Prometheus; it cannot be combined with --busy-cpu-seconds/--idle-cpu-seconds (offline)`,
        { hint: 'Drop the CPU-seconds to measure live, or drop the window and selection flags.' },
      );
    }
    return {
      ...common,
      mode: 'offline',
      window: null,
      selection: { ...(text('cluster') === undefined ? {} : { cluster: text('cluster') }) },
      offline: { busySeconds: busySeconds ?? 0, idleSeconds: idleSeconds ?? 0 },
    };
  }

  const selection: Selection = {};
  const scoped = (key: 'cluster' | 'namespace' | 'project' | 'owner'): string | undefined => {
    const fromFlag = text(key);
    const fromBudget = budget?.scope[key];
    if (fromFlag !== undefined && fromBudget !== undefined && fromFlag !== fromBudget) {
      throw new UsageError(
        `--${key} ${fromFlag} contradicts budget "${budget?.name ?? ''}", whose scope is ${key} ${fromBudget}`,
        { hint: `Drop --${key}, or check another budget.` },
      );
    }
    return fromFlag ?? fromBudget;
  };
  for (const key of ['cluster', 'namespace', 'project', 'owner'] as const) {
    const value = scoped(key);
    if (value !== undefined) selection[key] = value;
  }
  const selector = text('selector');
  if (selector !== undefined) {
    try {
      safeMatchers(selector);
    } catch (error) {
      if (error instanceof UsageError) {
        throw new UsageError(
          `--selector: ${error.message}`,
          error.hint === undefined ? {} : { hint: error.hint },
        );
      }
      throw error;
    }
    selection.selector = selector;
  }
  const source = text('source');
  if (source !== undefined) selection.source = source as UsageSource;

  return {
    ...common,
    mode: 'live',
    window: parseWindow(opts, budget, now, zone),
    selection,
    offline: null,
  };
}

/** `--window | --since | --from/--to`, or month-to-date for a named budget; clipped to now. */
function parseWindow(
  opts: Record<string, unknown>,
  budget: BudgetSettings | null,
  now: Date,
  zone: string,
): Window {
  const windowText = optionalString(opts, 'window');
  const sinceText = optionalString(opts, 'since');
  const fromText = optionalString(opts, 'from') ?? optionalString(opts, 'start');
  const toText = optionalString(opts, 'to') ?? optionalString(opts, 'end');
  const given = [
    windowText === undefined ? null : '--window',
    sinceText === undefined ? null : '--since',
    fromText === undefined ? null : '--from',
  ].filter((flag): flag is string => flag !== null);
  if (given.length > 1) {
    throw new UsageError(`${given.join(' and ')} cannot be combined`, {
      hint: 'Give one of --window <duration>, --since <time> or --from <time> [--to <time>].',
    });
  }
  if (toText !== undefined && fromText === undefined) {
    throw new UsageError('--to needs --from', {
      hint: 'For a window that ends now use --window <duration> or --since <time>.',
    });
  }
  let window: Window;
  if (windowText !== undefined) {
    window = {
      from: parseFlag('--window', windowText, (t) => subtractDuration(now, parseDuration(t), zone)),
      to: now,
    };
  } else if (sinceText !== undefined) {
    window = { from: parseFlag('--since', sinceText, (t) => parseTimeInput(t, zone)), to: now };
  } else if (fromText !== undefined) {
    window = {
      from: parseFlag('--from', fromText, (t) => parseTimeInput(t, zone)),
      to:
        toText === undefined
          ? now
          : parseFlag('--to', toText, (t) => parseTimeInput(t, zone, { endOfDay: true })),
    };
  } else if (budget !== null) {
    // A named budget is monthly (SPEC §9): check the month so far.
    window = { from: monthContaining(now, zone).from, to: now };
  } else {
    throw new UsageError(
      'budget check needs a window to measure: --window, --since or --from/--to',
      {
        hint: 'e.g. --window 1h (the last hour), --since 2026-03-01T09:00Z (a pipeline start), or --budget <name> for month-to-date.',
      },
    );
  }
  const to = new Date(Math.min(window.to.getTime(), now.getTime()));
  if (window.from.getTime() >= to.getTime()) {
    throw new UsageError(
      `the window ${window.from.toISOString()} → ${to.toISOString()} is empty (it must start before its end and before now)`,
      { hint: 'Check --window / --since / --from / --to.' },
    );
  }
  return { from: window.from, to };
}

// ---------------------------------------------------------------------------------------------
// Baselines

/** The measured values of a baseline file, validated. */
async function readBaseline(
  request: BaselineRequest,
): Promise<{ value: number; currency: string | null }> {
  let text: string;
  try {
    text = await readFile(request.file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(`--baseline ${request.file} cannot be read (${code})`, {
      hint: 'Write one with --write-baseline <file> on a reference run (e.g. the main branch).',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--baseline ${request.file} is not JSON`, {
      hint: 'Baseline files are written by `carbonctl budget check --write-baseline <file>`.',
    });
  }
  const measured = (parsed as { measured?: Record<string, unknown> } | null)?.measured;
  const key = metricKey(request.metric);
  const value = measured?.[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--baseline ${request.file} has no usable measured.${key}`, {
      hint: 'Baseline files are written by `carbonctl budget check --write-baseline <file>`.',
    });
  }
  const currency = typeof measured?.currency === 'string' ? measured.currency : null;
  return { value, currency };
}

// ---------------------------------------------------------------------------------------------
// Entry

async function printResult(
  result: CommandResult,
  output: OutputFormat,
  context: Context,
): Promise<void> {
  const { renderResult } = await import('../../output/render.js');
  const style = context.io.style;
  context.io.out(
    await renderResult(result, output, {
      green: style.green,
      yellow: style.yellow,
      red: style.red,
      gray: style.gray,
      dim: style.dim,
      cyan: style.cyan,
      bold: style.bold,
      borders: context.io.borders,
    }),
  );
}

/** Measure, compare and report; the exit code says pass (0), over budget (4) or no data (5). */
export async function run(
  context: Context,
  settings: Settings,
  options: CheckOptions,
): Promise<CheckOutcome> {
  const measurement =
    options.mode === 'offline'
      ? await measureOffline(context, settings, options)
      : await measureLive(context, settings, options, options.window as Window);
  let baseline: BaselineComparison | null = null;
  if (options.baseline !== null && !measurement.missingData) {
    const recorded = await readBaseline(options.baseline);
    if (
      options.baseline.metric === 'cost' &&
      recorded.currency !== null &&
      recorded.currency !== measurement.currency
    ) {
      throw new UsageError(
        `--baseline ${options.baseline.file} is in ${recorded.currency}, this measurement in ${measurement.currency}`,
        { hint: 'Compare co2e or energy (--baseline-metric), or rewrite the baseline.' },
      );
    }
    baseline = compareWithBaseline(
      options.baseline.metric,
      measurementOf(measurement.footprint, options.baseline.metric),
      recorded.value,
      options.baseline.maxIncreasePercent,
    );
  }
  return buildOutcome(options, measurement, baseline, options.baseline?.file ?? null);
}

/** Command entry. */
export async function execute(
  invocation: Invocation,
  context: Context,
): Promise<CommandResult | undefined> {
  const startedAt = context.now();
  const { settings } = await resolvePrometheusSettings(
    context,
    invocation.command,
    BUDGET_CHECK_OPTIONS,
  );
  const options = parseCheckOptions(invocation.opts, settings, startedAt);
  let outcome: CheckOutcome;
  try {
    outcome = await run(context, settings, options);
  } catch (error) {
    if (error instanceof CarbonctlError && !(error instanceof UsageError)) {
      await reportToCi(context, options, null, error, startedAt);
    }
    throw error;
  }
  const { data } = outcome;
  if (data.missing_data) {
    // With --fail-on-missing-data the IncompleteDataError below says it (once).
    if (!options.failOnMissingData) {
      context.io.warn(
        'no data for the selection in the window: nothing matched, or Prometheus has no samples for it; treated as within budget (--fail-on-missing-data fails instead)',
      );
    }
  } else if (options.writeBaseline !== null) {
    await writeBaselineFile(context, options.writeBaseline, data);
  }
  await reportToCi(context, options, data, null, startedAt);
  const result = checkResult(data);
  if (data.status === 'pass') return result;

  await printResult(result, invocation.output, context);
  if (data.missing_data) {
    throw new IncompleteDataError(
      'no data for the selection in the window (--fail-on-missing-data): nothing matched, or Prometheus has no samples for it',
      {
        hint: 'Check the window and the selection (--verbose shows the PromQL), or drop --fail-on-missing-data.',
      },
    );
  }
  const over = [
    ...outcome.checks
      .filter((c) => c.exceeded)
      .map(
        (c) =>
          `${c.metric} ${formatMetric(c.metric, c.measured, data.measured.currency)} > ${formatMetric(c.metric, c.limit, data.measured.currency)}`,
      ),
    ...(outcome.baseline?.exceeded === true
      ? [`${outcome.baseline.metric} regression over the baseline`]
      : []),
  ];
  throw new BudgetExceededError(`over budget: ${over.join('; ')}`);
}

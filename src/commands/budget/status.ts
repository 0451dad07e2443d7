/**
 * `carbonctl budget status` (SPEC §9): month-to-date use of each named budget from the ledger
 * (aggregated in SQL), the month-end value projected at the rate so far, and which budgets are
 * over or will be. The month is the calendar month in the reporting time zone; the rate is
 * measured up to the end of the tracked data, so a ledger that lags behind `now` does not
 * understate the projection.
 */
import type { Context } from '../../context.js';
import type { BudgetSettings, Settings } from '../../config/schema.js';
import {
  BUDGET_METRICS,
  budgetState,
  limitOf,
  measurementOf,
  monthContaining,
  percentUsed,
  projectPeriodEnd,
  type BudgetMeasurement,
  type BudgetMetric,
  type BudgetState,
} from '../../core/budget.js';
import { bucketOf } from '../../core/periods.js';
import { UsageError } from '../../errors.js';
import type { CommandResult, HumanBlock, RenderStyle } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import type { Ledger, LedgerFilter, LedgerSource } from '../../store/types.js';
import { optionalString } from '../parse.js';
import { openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { BUDGET_STATUS_OPTIONS } from './index.js';

/** One metric of one budget. */
export interface BudgetMetricStatus {
  metric: BudgetMetric;
  limit: number;
  used: number;
  projected: number | null;
  percent_used: number | null;
  projected_percent: number | null;
  status: BudgetState;
}

/** One named budget this month. */
export interface BudgetStatus {
  name: string;
  scope: BudgetSettings['scope'];
  period: 'month';
  /** End of the tracked data used for the rate (≤ now); null when nothing was tracked this month. */
  data_until: string | null;
  limits: { co2e_g: number | null; energy_kwh: number | null; cost: number | null };
  used: { co2e_g: number; energy_kwh: number; cost: number; currency: string | null };
  projected: { co2e_g: number; energy_kwh: number; cost: number } | null;
  metrics: BudgetMetricStatus[];
  /** The worst of the metrics' states. */
  status: BudgetState;
  will_exceed: boolean;
}

/** The JSON of `budget status`. */
export interface StatusData {
  month: string;
  timezone: string;
  from: string;
  to: string;
  now: string;
  budgets: BudgetStatus[];
  exceeded: string[];
  will_exceed: string[];
}

const STATE_ORDER: Record<BudgetState, number> = { ok: 0, at_risk: 1, exceeded: 2 };

/** The latest hour end with tracked data for the budget's clusters (progress markers first). */
function dataEnd(ledger: Ledger, settings: Settings, budget: BudgetSettings): Date | null {
  // A ledger filled without a config file tracked the SPEC's default cluster.
  const clusters =
    budget.scope.cluster !== undefined
      ? [budget.scope.cluster]
      : settings.clusters.length > 0
        ? settings.clusters.map((cluster) => cluster.name)
        : ['default'];
  let latest: number | null = null;
  for (const cluster of clusters) {
    for (const source of ['nodes', 'pods'] as LedgerSource[]) {
      const end = ledger.lastTrackedHourEnd(cluster, source);
      if (end !== null) latest = Math.max(latest ?? 0, end.getTime());
    }
  }
  const range = ledger.trackedRange(budget.scope.cluster);
  if (range !== null) latest = Math.max(latest ?? 0, range.to.getTime());
  return latest === null ? null : new Date(latest);
}

/** Month-to-date status of one budget. */
export function budgetStatus(
  ledger: Ledger,
  settings: Settings,
  budget: BudgetSettings,
  now: Date,
): BudgetStatus {
  const month = monthContaining(now, settings.timezone);
  const filter: LedgerFilter = { from: month.from, to: now, ...budget.scope };
  const row = ledger.aggregate({ filter, groupBy: 'none' })[0];
  const used: BudgetMeasurement = {
    co2eGrams: row === undefined ? 0 : row.scope2LocationGrams + row.scope3Grams,
    energyKwh: row?.energyKwh ?? 0,
    cost: row?.cost ?? 0,
  };
  const end = dataEnd(ledger, settings, budget);
  const until =
    end === null || end.getTime() <= month.from.getTime()
      ? null
      : new Date(Math.min(end.getTime(), now.getTime()));
  const project = (value: number): number | null =>
    until === null ? null : projectPeriodEnd(value, month, until);
  const limits = {
    co2eGrams: budget.max_co2e_g ?? null,
    energyKwh: budget.max_energy_kwh ?? null,
    cost: budget.max_cost ?? null,
  };
  const metrics: BudgetMetricStatus[] = [];
  for (const metric of BUDGET_METRICS) {
    const limit = limitOf(limits, metric);
    if (limit === null) continue;
    const value = measurementOf(used, metric);
    const projected = project(value);
    metrics.push({
      metric,
      limit,
      used: value,
      projected,
      percent_used: percentUsed(value, limit),
      projected_percent: projected === null ? null : percentUsed(projected, limit),
      status: budgetState(value, projected, limit),
    });
  }
  const status = metrics.reduce<BudgetState>(
    (worst, m) => (STATE_ORDER[m.status] > STATE_ORDER[worst] ? m.status : worst),
    'ok',
  );
  const projectedAll =
    until === null
      ? null
      : {
          co2e_g: project(used.co2eGrams) ?? 0,
          energy_kwh: project(used.energyKwh) ?? 0,
          cost: project(used.cost) ?? 0,
        };
  return {
    name: budget.name,
    scope: budget.scope,
    period: 'month',
    data_until: until?.toISOString() ?? null,
    limits: { co2e_g: limits.co2eGrams, energy_kwh: limits.energyKwh, cost: limits.cost },
    used: {
      co2e_g: used.co2eGrams,
      energy_kwh: used.energyKwh,
      cost: used.cost,
      currency: row === undefined ? settings.cost.currency : row.currency,
    },
    projected: projectedAll,
    metrics,
    status,
    will_exceed: status !== 'ok',
  };
}

function scopeText(scope: BudgetSettings['scope']): string {
  const parts = (['cluster', 'namespace', 'project', 'owner'] as const)
    .filter((key) => scope[key] !== undefined)
    .map((key) => `${key}=${scope[key] ?? ''}`);
  return parts.length === 0 ? 'everything' : parts.join(', ');
}

function metricLabel(metric: BudgetMetric, currency: string | null): string {
  if (metric === 'co2e') return 'CO2e (g)';
  if (metric === 'energy') return 'energy (kWh)';
  return `cost (${currency ?? 'mixed currencies'})`;
}

const STATE_TEXT: Record<BudgetState, string> = {
  ok: 'on track',
  at_risk: 'will exceed',
  exceeded: 'EXCEEDED',
};

// Cells are plain text: tables strip control characters (and so colour) from every cell.
function statusTable(data: StatusData): TableData {
  const rows = data.budgets.flatMap((budget) =>
    budget.metrics.map((m) => {
      const status = STATE_TEXT[m.status];
      return {
        budget: budget.name,
        scope: scopeText(budget.scope),
        measure: metricLabel(m.metric, budget.used.currency),
        used: m.used,
        limit: m.limit,
        percent: m.percent_used,
        projected: m.projected,
        projectedPercent: m.projected_percent,
        status,
      };
    }),
  );
  return {
    columns: [
      { key: 'budget', header: 'Budget' },
      { key: 'scope', header: 'Scope' },
      { key: 'measure', header: 'Measure' },
      { key: 'used', header: 'Used (month to date)', kind: 'number' },
      { key: 'limit', header: 'Limit', kind: 'number' },
      { key: 'percent', header: 'Used', kind: 'percent' },
      { key: 'projected', header: 'Projected month end', kind: 'number' },
      { key: 'projectedPercent', header: 'Projected', kind: 'percent' },
      { key: 'status', header: 'Status' },
    ],
    rows,
  };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, BUDGET_STATUS_OPTIONS);
  const now = context.now();
  const name = optionalString(invocation.opts, 'budget');
  let budgets = settings.budgets;
  if (name !== undefined) {
    budgets = budgets.filter((budget) => budget.name === name);
    if (budgets.length === 0) {
      throw new UsageError(`--budget ${name} is not a configured budget`, {
        hint:
          settings.budgets.length > 0
            ? `Configured budgets: ${settings.budgets.map((b) => b.name).join(', ')}.`
            : 'No budgets are configured.',
      });
    }
  }
  const month = monthContaining(now, settings.timezone);
  const statuses: BudgetStatus[] = [];
  if (budgets.length === 0) {
    context.io.notice(
      'no budgets are configured: add them under "budgets" in the config, e.g. {"name": "team-a", "scope": {"namespace": "team-a"}, "max_co2e_g": 50000}',
    );
  } else {
    const ledger = openReadLedger(context, settings);
    for (const budget of budgets) statuses.push(budgetStatus(ledger, settings, budget, now));
    const lagging = statuses.find(
      (s) =>
        s.data_until !== null && now.getTime() - new Date(s.data_until).getTime() > 24 * 3_600_000,
    );
    if (lagging !== undefined) {
      context.io.warn(
        `the ledger's data ends at ${lagging.data_until ?? ''}, more than a day ago: run \`carbonctl track\` for current figures`,
      );
    }
    if (statuses.every((s) => s.data_until === null)) {
      context.io.notice('nothing is tracked for this month yet: run `carbonctl track`');
    }
  }
  const data: StatusData = {
    month: bucketOf(now, 'monthly', settings.timezone).label,
    timezone: settings.timezone,
    from: month.from.toISOString(),
    to: month.to.toISOString(),
    now: now.toISOString(),
    budgets: statuses,
    exceeded: statuses.filter((s) => s.status === 'exceeded').map((s) => s.name),
    will_exceed: statuses.filter((s) => s.status === 'at_risk').map((s) => s.name),
  };
  return {
    data,
    human: (style: RenderStyle): HumanBlock[] => {
      if (data.budgets.length === 0) return [{ text: 'No budgets configured.\n' }];
      const lines = [`Budgets for ${data.month} (${data.timezone}), month to date:`];
      const footer: string[] = [];
      if (data.exceeded.length > 0) footer.push(style.red(`Exceeded: ${data.exceeded.join(', ')}`));
      if (data.will_exceed.length > 0) {
        footer.push(
          style.yellow(
            `Will exceed by month end at the current rate: ${data.will_exceed.join(', ')}`,
          ),
        );
      }
      if (footer.length === 0) footer.push(style.green('All budgets are on track.'));
      return [
        { text: lines.join('\n') + '\n' },
        { table: statusTable(data) },
        { text: footer.join('\n') + '\n' },
      ];
    },
    csv: () => statusTable(data),
  };
}

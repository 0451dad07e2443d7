/**
 * `carbonctl recommendations savings [period]`: potential savings (active recommendations,
 * per month and per year at their current estimates) against realized savings (applied ones,
 * from the savings ledger), by type, per calendar month and per year (SPEC §8).
 */
import type { Context } from '../../context.js';
import { bucketOf, formatOffsetIso, type PeriodSelector } from '../../core/periods.js';
import {
  savingsReport,
  type SavingsBucket,
  type SavingsReport,
  type SavingsTotals,
} from '../../core/recommendation-lifecycle.js';
import { formatMass } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { isEmptySelector, periodSelectorFrom, resolveReaderPeriod } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { ledgerExists, money, openRecommendationReader, recommendationSettings } from './common.js';
import { RECOMMENDATIONS_SAVINGS_OPTIONS } from './index.js';

/** 8760 h / 730 h: a year of monthly run rates (SPEC §8's 730-hour month). */
const MONTHS_PER_YEAR = 12;

/**
 * Totals × `months` as JSON. Money is a 4-decimal string with its currency; an empty group
 * costs 0 in the configured currency; a group mixing currencies has no cost sum (null).
 */
function totalsJson(totals: SavingsTotals, fallbackCurrency: string, months = 1) {
  const currency = totals.count === 0 ? fallbackCurrency : totals.currency;
  return {
    count: totals.count,
    co2e_g: totals.co2eGrams * months,
    kwh: totals.energyKwh * months,
    cost: money(totals.cost * months, currency),
  };
}

function bucketJson(bucket: SavingsBucket, zone: string, currency: string) {
  return {
    period: bucket.label,
    from: formatOffsetIso(bucket.start, zone),
    to: formatOffsetIso(bucket.end, zone),
    realized: totalsJson(bucket.total, currency),
    by_type: Object.fromEntries(
      bucket.byType.map(({ type, ...totals }) => [type, totalsJson(totals, currency)]),
    ),
  };
}

/** The JSON of `recommendations savings`; `currency` is the configured one (for empty groups). */
export function savingsJson(report: SavingsReport, zone: string, currency: string) {
  const rate = (totals: SavingsTotals, months: number) => totalsJson(totals, currency, months);
  return {
    period: {
      from: formatOffsetIso(report.period.from, zone),
      to: formatOffsetIso(report.period.to, zone),
    },
    timezone: zone,
    by_type: report.byType.map((group) => ({
      type: group.type,
      potential: {
        monthly: rate(group.potentialMonthly, 1),
        yearly: rate(group.potentialMonthly, MONTHS_PER_YEAR),
      },
      realized: {
        monthly: rate(group.realizedMonthly, 1),
        yearly: rate(group.realizedMonthly, MONTHS_PER_YEAR),
        in_period: totalsJson(group.realizedInPeriod, currency),
      },
    })),
    months: report.months.map((bucket) => bucketJson(bucket, zone, currency)),
    years: report.years.map((bucket) => bucketJson(bucket, zone, currency)),
    totals: {
      potential: {
        monthly: rate(report.totals.potentialMonthly, 1),
        yearly: rate(report.totals.potentialMonthly, MONTHS_PER_YEAR),
      },
      realized: {
        monthly: rate(report.totals.realizedMonthly, 1),
        yearly: rate(report.totals.realizedMonthly, MONTHS_PER_YEAR),
        in_period: totalsJson(report.totals.realizedInPeriod, currency),
      },
    },
  };
}

/** The currency of the report's sums (recommendations carry their cluster's), else the configured one. */
function currencyOf(report: SavingsReport, configured: string): string {
  const totals = [
    report.totals.potentialMonthly,
    report.totals.realizedMonthly,
    report.totals.realizedInPeriod,
  ].find((t) => t.count > 0 && t.currency !== null);
  return totals?.currency ?? configured;
}

/** By type: potential and realized run rates, and what was realized in the period. */
export function savingsByTypeTable(report: SavingsReport, currency: string): TableData {
  const row = (
    type: string,
    potential: SavingsTotals,
    rate: SavingsTotals,
    period: SavingsTotals,
  ) => ({
    type,
    active: potential.count,
    potentialCo2e: potential.co2eGrams,
    potentialKwh: potential.energyKwh,
    potentialCost: potential.currency === null && potential.count > 0 ? null : potential.cost,
    applied: rate.count,
    realizedCo2e: rate.co2eGrams,
    realizedCost: rate.currency === null && rate.count > 0 ? null : rate.cost,
    periodCo2e: period.co2eGrams,
    periodKwh: period.energyKwh,
    periodCost: period.currency === null && period.count > 0 ? null : period.cost,
  });
  return {
    title: 'Savings by type: potential (active) vs realized (applied)',
    columns: [
      { key: 'type', header: 'Type' },
      { key: 'active', header: 'Active', kind: 'number' },
      { key: 'potentialCo2e', header: 'Potential gCO2e/month', kind: 'number' },
      { key: 'potentialKwh', header: 'Potential kWh/month', kind: 'number' },
      { key: 'potentialCost', header: `Potential ${currency}/month`, kind: 'number' },
      { key: 'applied', header: 'Applied', kind: 'number' },
      { key: 'realizedCo2e', header: 'Realized gCO2e/month', kind: 'number' },
      { key: 'realizedCost', header: `Realized ${currency}/month`, kind: 'number' },
      { key: 'periodCo2e', header: 'Realized gCO2e in period', kind: 'number' },
      { key: 'periodKwh', header: 'Realized kWh in period', kind: 'number' },
      { key: 'periodCost', header: `Realized ${currency} in period`, kind: 'number' },
    ],
    rows: report.byType.map((group) =>
      row(group.type, group.potentialMonthly, group.realizedMonthly, group.realizedInPeriod),
    ),
    footer: row(
      'total',
      report.totals.potentialMonthly,
      report.totals.realizedMonthly,
      report.totals.realizedInPeriod,
    ),
  };
}

/** Realized savings per calendar bucket (month or year). */
export function savingsBucketTable(
  title: string,
  header: string,
  buckets: readonly SavingsBucket[],
  currency: string,
): TableData {
  return {
    title,
    columns: [
      { key: 'period', header },
      { key: 'co2e', header: 'Realized gCO2e', kind: 'number' },
      { key: 'kwh', header: 'Realized kWh', kind: 'number' },
      { key: 'cost', header: `Realized ${currency}`, kind: 'number' },
      { key: 'types', header: 'By type' },
    ],
    rows: buckets.map((bucket) => ({
      period: bucket.label,
      co2e: bucket.total.co2eGrams,
      kwh: bucket.total.energyKwh,
      cost: bucket.total.currency === null && bucket.total.count > 0 ? null : bucket.total.cost,
      types: bucket.byType.map((t) => `${t.type} ${formatMass(t.co2eGrams)}`).join(', '),
    })),
  };
}

/** CSV: one row per month and type with realized savings (full precision). */
function savingsCsv(report: SavingsReport): TableData {
  return {
    columns: [
      { key: 'period', header: 'period' },
      { key: 'type', header: 'type' },
      { key: 'co2e', header: 'realized_co2e_g', kind: 'number' },
      { key: 'kwh', header: 'realized_kwh', kind: 'number' },
      { key: 'cost', header: 'realized_cost', kind: 'number' },
      { key: 'currency', header: 'currency' },
    ],
    rows: report.months.flatMap((bucket) =>
      bucket.byType.map((t) => ({
        period: bucket.label,
        type: t.type,
        co2e: t.co2eGrams,
        kwh: t.energyKwh,
        cost: t.cost,
        currency: t.currency,
      })),
    ),
  };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await recommendationSettings(
    context,
    invocation,
    RECOMMENDATIONS_SAVINGS_OPTIONS,
  );
  const zone = settings.timezone;
  const now = context.now();
  const selector = periodSelectorFrom(invocation.opts);
  const exists = ledgerExists(settings);
  const ledger = exists ? openRecommendationReader(context, settings) : null;
  const allEntries = ledger?.recommendations.savingsEntries() ?? [];
  // Default: from the month of the first apply (every realized gram so far), else the year to date.
  const first = allEntries[0];
  const defaults: PeriodSelector =
    first === undefined
      ? { ytd: true }
      : {
          from: bucketOf(new Date(first.appliedAt), 'monthly', zone).start.toISOString(),
          to: now.toISOString(),
        };
  const period = resolveReaderPeriod(selector, now, zone, defaults);
  if (!exists) {
    context.io.notice(
      'there are no recommendations yet: run `carbonctl recommendations generate` first',
    );
  } else if (isEmptySelector(selector) && first === undefined) {
    context.io.notice('no recommendation has been applied yet: realized savings are 0');
  }
  const active = ledger?.recommendations.list({ statuses: ['active'] }).recommendations ?? [];
  const entries = ledger?.recommendations.savingsEntries(period) ?? [];
  const report = savingsReport({ active, entries, period, now, zone });
  const currency = currencyOf(report, settings.cost.currency);
  return {
    data: savingsJson(report, zone, currency),
    human: () => [
      { table: savingsByTypeTable(report, currency) },
      { table: savingsBucketTable('Realized per month', 'Month', report.months, currency) },
      { table: savingsBucketTable('Realized per year', 'Year', report.years, currency) },
    ],
    csv: () => savingsCsv(report),
  };
}

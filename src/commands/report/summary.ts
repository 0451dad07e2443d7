/** `carbonctl report summary`: what an export with the same arguments would contain, without writing it. */
import { existsSync } from 'node:fs';
import type { Context } from '../../context.js';
import {
  changePercent,
  comparisonRange,
  pairGroups,
  type CompareMode,
  type ComparisonStatus,
} from '../../core/compare.js';
import { formatOffsetIso } from '../../core/periods.js';
import { pathPlaceholders, type ReportGroupBy } from '../../core/report.js';
import { formatChangePercent, formatPercent } from '../../output/format.js';
import type { HumanBlock } from '../../output/render.js';
import type { AggregateRow, Ledger, LedgerFilter } from '../../store/types.js';
import type { CommandResult } from '../../output/render.js';
import { describeFilters, openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { SUMMARY_OPTIONS } from './index.js';
import { checkCoverage, describePeriod } from './export.js';
import { planReport, prepareReport, totalsRecord, type PreparedReport } from './plan.js';

/** The JSON of `report summary`. */
export interface ReportSummaryData {
  period: { from: string; to: string; label: string };
  timezone: string;
  granularity: string;
  group_by: string;
  filters: Record<string, string>;
  rows: number;
  periods: number;
  groups: number;
  totals: Record<string, unknown>;
  esrs_e1: PreparedReport['esrs'];
  data_quality: PreparedReport['quality'];
  output: { path: string | null; format: 'csv' | 'json' | 'html'; exists: boolean };
  /** Only with `--compare`. */
  comparison?: SummaryComparison;
}

/** The measures `--compare` sets side by side. */
const COMPARED_MEASURES = [
  'energy_kwh',
  'scope2_location_kgco2e',
  'scope2_market_kgco2e',
  'scope3_embodied_kgco2e',
  'total_kgco2e',
  'cost',
] as const;
type ComparedMeasure = (typeof COMPARED_MEASURES)[number];

/** One group of `--group-by` in both periods. */
export interface SummaryComparedGroup {
  [groupColumn: string]: string | number | null;
  total_kgco2e: number;
  energy_kwh: number;
  previous_total_kgco2e: number;
  previous_energy_kwh: number;
  /** Change of total_kgco2e in percent; null for a new group. */
  change_percent: number | null;
  status: ComparisonStatus;
}

/** What `--compare` adds: the other period, its totals with the change of each, and per group. */
export interface SummaryComparison {
  mode: CompareMode;
  period: { from: string; to: string; label: string };
  totals: Record<
    ComparedMeasure,
    { current: number | null; previous: number | null; change_percent: number | null }
  >;
  /** Empty for `--group-by none`; new groups first in the current order, vanished ones last. */
  groups: SummaryComparedGroup[];
}

function measuresOf(aggregate: AggregateRow | null): Record<ComparedMeasure, number | null> {
  const grams = (value: number | undefined): number => (value ?? 0) / 1000;
  return {
    energy_kwh: aggregate?.energyKwh ?? 0,
    scope2_location_kgco2e: grams(aggregate?.scope2LocationGrams),
    scope2_market_kgco2e: grams(aggregate?.scope2MarketGrams),
    scope3_embodied_kgco2e: grams(aggregate?.scope3Grams),
    total_kgco2e: grams((aggregate?.scope2LocationGrams ?? 0) + (aggregate?.scope3Grams ?? 0)),
    cost: aggregate === null ? 0 : aggregate.currency === null ? null : aggregate.cost,
  };
}

/** The same selection over the comparison period, totals and (with a grouping) per group. */
export function compareSummary(
  ledger: Ledger,
  prepared: PreparedReport,
  mode: CompareMode,
): SummaryComparison {
  const { plan } = prepared;
  const range = comparisonRange(plan.range, plan.zone, mode);
  const filterOf = (from: Date, to: Date): LedgerFilter => ({ ...plan.filter, from, to });
  const previousFilter = filterOf(range.from, range.to);
  const previous = ledger.aggregate({ filter: previousFilter, groupBy: 'none' })[0] ?? null;
  const current = measuresOf(prepared.overall);
  const before = measuresOf(previous);
  const totals = {} as SummaryComparison['totals'];
  for (const measure of COMPARED_MEASURES) {
    const now = current[measure];
    const then = before[measure];
    totals[measure] = {
      current: now,
      previous: then,
      change_percent: now === null || then === null ? null : changePercent(now, then),
    };
  }
  const groups: SummaryComparedGroup[] = [];
  if (plan.groupBy !== 'none') {
    const groupBy: ReportGroupBy = plan.groupBy;
    const entries = (rows: AggregateRow[]): Array<{ key: string | null; value: AggregateRow }> =>
      rows.map((row) => ({ key: row.group, value: row }));
    const paired = pairGroups(
      entries(ledger.aggregate({ filter: filterOf(plan.range.from, plan.range.to), groupBy })),
      entries(ledger.aggregate({ filter: previousFilter, groupBy })),
    );
    for (const pair of paired) {
      const now = measuresOf(pair.current);
      const then = measuresOf(pair.previous);
      const total = now.total_kgco2e ?? 0;
      const previousTotal = then.total_kgco2e ?? 0;
      groups.push({
        [groupBy]: pair.key,
        total_kgco2e: total,
        energy_kwh: now.energy_kwh ?? 0,
        previous_total_kgco2e: previousTotal,
        previous_energy_kwh: then.energy_kwh ?? 0,
        change_percent: changePercent(total, previousTotal),
        status: pair.status,
      });
    }
    // Largest now first; vanished groups (0 now) after, largest before first.
    groups.sort(
      (a, b) =>
        b.total_kgco2e - a.total_kgco2e || b.previous_total_kgco2e - a.previous_total_kgco2e,
    );
  }
  return {
    mode,
    period: {
      from: formatOffsetIso(range.from, plan.zone),
      to: formatOffsetIso(range.to, plan.zone),
      label: pathPlaceholders(range, plan.zone).period,
    },
    totals,
    groups,
  };
}

const MEASURE_LABELS: Record<ComparedMeasure, string> = {
  energy_kwh: 'energy (kWh)',
  scope2_location_kgco2e: 'Scope 2 location (kgCO2e)',
  scope2_market_kgco2e: 'Scope 2 market (kgCO2e)',
  scope3_embodied_kgco2e: 'Scope 3 embodied (kgCO2e)',
  total_kgco2e: 'total (kgCO2e)',
  cost: 'cost',
};

function comparisonBlocks(comparison: SummaryComparison, groupBy: string): HumanBlock[] {
  const against = `${comparison.period.label} (${comparison.mode === 'year' ? 'a year earlier' : 'previous period'})`;
  const blocks: HumanBlock[] = [
    {
      table: {
        title: `Compared with ${against}`,
        columns: [
          { key: 'item', header: 'item' },
          { key: 'current', header: 'this period', kind: 'number' },
          { key: 'previous', header: comparison.period.label, kind: 'number' },
          { key: 'change', header: 'change' },
        ],
        rows: COMPARED_MEASURES.map((measure) => {
          const entry = comparison.totals[measure];
          return {
            item: MEASURE_LABELS[measure],
            current: entry.current,
            previous: entry.previous,
            change:
              entry.current === null || entry.previous === null
                ? '–'
                : entry.change_percent === null
                  ? 'none before'
                  : formatChangePercent(entry.change_percent),
          };
        }),
      },
    },
  ];
  if (comparison.groups.length > 0) {
    blocks.push({
      table: {
        title: `Per ${groupBy}, total kgCO2e compared with ${comparison.period.label}`,
        columns: [
          { key: groupBy, header: groupBy },
          { key: 'total_kgco2e', header: 'kgCO2e', kind: 'number' },
          {
            key: 'previous_total_kgco2e',
            header: `${comparison.period.label} kgCO2e`,
            kind: 'number',
          },
          { key: 'change', header: 'change' },
        ],
        rows: comparison.groups.map((group) => ({
          ...group,
          [groupBy]: group[groupBy] ?? '(none)',
          change:
            group.status === 'vanished' ? 'vanished' : formatChangePercent(group.change_percent),
        })),
      },
    });
  }
  return blocks;
}

/** Command entry: the same plan and queries as an export, minus the rows. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, SUMMARY_OPTIONS);
  const plan = planReport(invocation.opts, settings, context.now(), false);
  const ledger = openReadLedger(context, settings);
  const prepared = prepareReport(ledger, plan);
  checkCoverage(prepared, context);
  const period = describePeriod(prepared);
  const data: ReportSummaryData = {
    period,
    timezone: plan.zone,
    granularity: plan.granularity,
    group_by: plan.groupBy,
    filters: describeFilters(plan.filter),
    rows: prepared.rowCount,
    periods: prepared.periods.length,
    groups: prepared.groups.length,
    totals: totalsRecord(prepared.totals),
    esrs_e1: prepared.esrs,
    data_quality: prepared.quality,
    output: {
      path: plan.out,
      format: plan.format,
      exists: plan.out !== null && existsSync(plan.out),
    },
  };
  const compare = (invocation.opts.compare as CompareMode | undefined) ?? null;
  if (compare !== null) data.comparison = compareSummary(ledger, prepared, compare);
  const totals = prepared.totals;
  const lines: Array<{ item: string; value: string | number | null }> = [
    { item: 'period', value: `${period.from} → ${period.to} (${plan.zone})` },
    {
      item: 'rows',
      value: `${data.rows} (${data.periods} ${plan.granularity} periods × ${data.groups} ${plan.groupBy === 'none' ? 'group' : plan.groupBy})`,
    },
    { item: 'energy (kWh)', value: totals.energy_kwh },
    { item: 'Scope 2 location (kgCO2e)', value: totals.scope2_location_kgco2e },
    { item: 'Scope 2 market (kgCO2e)', value: totals.scope2_market_kgco2e },
    { item: 'Scope 3 embodied (kgCO2e)', value: totals.scope3_embodied_kgco2e },
    { item: 'total (kgCO2e)', value: totals.total_kgco2e },
    { item: 'avg intensity (g/kWh)', value: totals.avg_intensity_g_per_kwh },
    { item: `cost (${totals.currency ?? 'mixed currencies'})`, value: totals.cost },
    { item: 'coverage', value: formatPercent(prepared.quality.coverage_percent) },
    { item: 'estimated share', value: formatPercent(prepared.quality.estimated_share * 100) },
    { item: 'estimation reasons', value: prepared.quality.estimation_reasons.join(', ') || 'none' },
    {
      item: 'output',
      value:
        plan.out === null
          ? `stdout (${plan.format})`
          : `${plan.out} (${plan.format}${data.output.exists ? ', exists: export needs --force' : ''})`,
    },
  ];
  return {
    data,
    human: () => [
      {
        table: {
          title: 'Report summary',
          columns: [
            { key: 'item', header: 'item' },
            { key: 'value', header: 'value' },
          ],
          rows: lines,
        },
      },
      ...(data.comparison === undefined ? [] : comparisonBlocks(data.comparison, plan.groupBy)),
    ],
  };
}

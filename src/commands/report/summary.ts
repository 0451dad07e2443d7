/** `carbonctl report summary`: what an export with the same arguments would contain, without writing it. */
import { existsSync } from 'node:fs';
import type { Context } from '../../context.js';
import { formatPercent } from '../../output/format.js';
import type { CommandResult } from '../../output/render.js';
import { describeFilters, openReadLedger, readerSettings } from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { REPORT_OPTIONS } from './index.js';
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
}

/** Command entry: the same plan and queries as an export, minus the rows. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, REPORT_OPTIONS);
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
    ],
  };
}

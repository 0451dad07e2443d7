/** `carbonctl heatmap`: one value per local day of a year, drawn as a GitHub-style calendar. */
import type { Context } from '../../context.js';
import { bucketOf, enumerateBuckets, resolvePeriod, type TimeRange } from '../../core/periods.js';
import { calendarHeatmap } from '../../output/charts.js';
import type { CommandResult } from '../../output/render.js';
import type { AggregateRow, Ledger, LedgerFilter } from '../../store/types.js';
import type { DataType } from '../history/history.js';
import { optionalString } from '../parse.js';
import {
  asUsage,
  describeFilters,
  ledgerFilterFrom,
  openReadLedger,
  parseYear,
  readerSettings,
} from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { HEATMAP_OPTIONS } from './index.js';

/** The JSON contract of SPEC §6 (`{year, days:[{date, value}], max}`), plus data type and unit. */
export interface HeatmapData {
  year: number;
  data_type: DataType;
  unit: 'gCO2e' | 'kWh';
  timezone: string;
  filters: Record<string, string>;
  days: Array<{ date: string; value: number }>;
  max: number;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of 1 January of `year`: the calendar's first cell. */
export function firstWeekdayOfYear(year: number): number {
  const sundayBased = new Date(Date.UTC(year, 0, 1)).getUTCDay();
  return sundayBased === 0 ? 7 : sundayBased;
}

/** Reads one value per local day of the year (0 for days without data). */
export function run(
  ledger: Ledger,
  options: {
    year: number;
    range: TimeRange;
    zone: string;
    dataType: DataType;
    filter: LedgerFilter;
  },
): HeatmapData {
  const buckets = enumerateBuckets(options.range.from, options.range.to, 'daily', options.zone);
  const filter: LedgerFilter = {
    ...options.filter,
    from: options.range.from,
    to: options.range.to,
  };
  const byLabel = new Map<string | null, AggregateRow>();
  for (const row of ledger.aggregate({ filter, groupBy: 'none', buckets }))
    byLabel.set(row.bucket, row);
  const days = buckets.map((bucket) => {
    const aggregate = byLabel.get(bucket.label);
    const value =
      aggregate === undefined
        ? 0
        : options.dataType === 'carbon'
          ? aggregate.scope2LocationGrams
          : aggregate.energyKwh;
    return { date: bucket.label, value };
  });
  return {
    year: options.year,
    data_type: options.dataType,
    unit: options.dataType === 'carbon' ? 'gCO2e' : 'kWh',
    timezone: options.zone,
    filters: describeFilters(options.filter),
    days,
    max: days.reduce((max, day) => Math.max(max, day.value), 0),
  };
}

/** Command entry: settings, options, run, and how to show the result. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, HEATMAP_OPTIONS);
  const zone = settings.timezone;
  const yearText = optionalString(invocation.opts, 'year');
  const year =
    yearText === undefined
      ? Number(asUsage(() => bucketOf(context.now(), 'yearly', zone)).label)
      : parseYear('--year', yearText);
  const range = asUsage(() => resolvePeriod({ year }, context.now(), zone));
  const ledger = openReadLedger(context, settings);
  const data = run(ledger, {
    year,
    range,
    zone,
    dataType: (invocation.opts.data as DataType | undefined) ?? 'carbon',
    filter: ledgerFilterFrom(invocation.opts),
  });
  if (data.max === 0)
    context.io.notice(`No usage in the ledger for ${year} (${zone}) with this selection.`);
  return {
    data,
    csv: () => ({
      columns: [
        { key: 'date', header: 'date' },
        {
          key: 'value',
          header: data.unit === 'kWh' ? 'energy_kwh' : 'carbon_gco2eq',
          kind: 'number',
        },
      ],
      rows: data.days,
    }),
    human: (style) => [
      {
        text:
          `${data.data_type === 'carbon' ? 'Emissions' : 'Electricity'} per day in ${year} (${zone}), ${data.unit}\n` +
          calendarHeatmap(data.days, firstWeekdayOfYear(year), { unit: data.unit, paint: style }),
      },
    ],
  };
}

/** `carbonctl history`: busy and idle energy or emissions per hour/day/month, bucketed in the reporting zone. */
import type { Context } from '../../context.js';
import { clusterProfile } from '../../accounting/profile.js';
import {
  bucketOf,
  enumerateBuckets,
  formatOffsetIso,
  resolvePeriod,
  type Bucket,
  type Granularity,
  type TimeRange,
} from '../../core/periods.js';
import { splitBusyIdle } from '../../core/report.js';
import type { PowerModel } from '../../core/methodology.js';
import { UsageError } from '../../errors.js';
import { stackedBars } from '../../output/charts.js';
import type { CommandResult } from '../../output/render.js';
import type { AggregateRow, Ledger, LedgerFilter } from '../../store/types.js';
import { optionalString } from '../parse.js';
import {
  asUsage,
  describeFilters,
  ledgerFilterFrom,
  openReadLedger,
  periodSelectorFrom,
  readerSettings,
} from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { HISTORY_OPTIONS, type DATA_TYPES, type HISTORY_VIEWS } from './index.js';

/** A `--view`. */
export type HistoryView = (typeof HISTORY_VIEWS)[number];
/** A `--data` type. */
export type DataType = (typeof DATA_TYPES)[number];

/** The JSON contract of SPEC §6 (`{view, data_type, labels, busy, idle}`), plus unit and period. */
export interface HistoryData {
  view: HistoryView;
  data_type: DataType;
  unit: 'gCO2e' | 'kWh';
  period: { from: string; to: string };
  timezone: string;
  filters: Record<string, string>;
  labels: string[];
  busy: number[];
  idle: number[];
}

const VIEW_GRANULARITY: Record<HistoryView, Granularity> = {
  day: 'hourly',
  month: 'daily',
  year: 'monthly',
};
/** The calendar unit a view shows, and the unit of its bars. */
const VIEW_SPAN: Record<HistoryView, Granularity> = {
  day: 'daily',
  month: 'monthly',
  year: 'yearly',
};
const BAR_UNIT: Record<HistoryView, string> = { day: 'hour', month: 'day', year: 'month' };
const VIEW_FLAG: Record<HistoryView, 'date' | 'month' | 'year'> = {
  day: 'date',
  month: 'month',
  year: 'year',
};

/** The view and its calendar range from `--view`/`--date`/`--month`/`--year` (defaults: this month). */
export function resolveView(
  opts: Record<string, unknown>,
  now: Date,
  zone: string,
): { view: HistoryView; range: TimeRange } {
  const given = (['date', 'month', 'year'] as const).filter(
    (flag) => optionalString(opts, flag) !== undefined,
  );
  if (given.length > 1) {
    throw new UsageError(`--${given[0] ?? ''} and --${given[1] ?? ''} cannot be combined`, {
      hint: 'Give one of --date YYYY-MM-DD (day view), --month YYYY-MM (month view) or --year YYYY (year view).',
    });
  }
  const flag = given[0];
  const inferred: HistoryView = flag === 'date' ? 'day' : flag === 'year' ? 'year' : 'month';
  const view = (opts.view as HistoryView | undefined) ?? inferred;
  if (flag !== undefined && VIEW_FLAG[view] !== flag) {
    throw new UsageError(`--view ${view} does not go with --${flag}`, {
      hint: `The ${view} view takes --${VIEW_FLAG[view]}; --${flag} goes with --view ${inferred}.`,
    });
  }
  if (flag === undefined) {
    // The current day, month or year in the reporting zone.
    const current = asUsage(() => bucketOf(now, VIEW_SPAN[view], zone));
    return { view, range: { from: current.start, to: current.end } };
  }
  const range = asUsage(() => resolvePeriod(periodSelectorFrom({ [flag]: opts[flag] }), now, zone));
  return { view, range };
}

/** Label of a bucket for the chart and JSON: `13:00` (day), `2025-03-14` (month), `2025-03` (year). */
export function historyLabel(bucket: Bucket, view: HistoryView): string {
  if (view !== 'day') return bucket.label;
  // Hourly labels are `2025-03-14T13`, or `2025-10-26T01+01:00` for the hour repeated when DST ends.
  const rest = bucket.label.slice(11);
  return `${rest.slice(0, 2)}:00${rest.slice(2)}`;
}

/** Reads the ledger into busy/idle series, one value per bucket (0 where nothing was tracked). */
export function run(
  ledger: Ledger,
  options: {
    view: HistoryView;
    range: TimeRange;
    zone: string;
    dataType: DataType;
    filter: LedgerFilter;
    power: PowerModel;
  },
): HistoryData {
  const buckets = enumerateBuckets(
    options.range.from,
    options.range.to,
    VIEW_GRANULARITY[options.view],
    options.zone,
  );
  const filter: LedgerFilter = {
    ...options.filter,
    from: options.range.from,
    to: options.range.to,
  };
  const byLabel = new Map<string | null, AggregateRow>();
  for (const row of ledger.aggregate({ filter, groupBy: 'none', buckets }))
    byLabel.set(row.bucket, row);
  const busy: number[] = [];
  const idle: number[] = [];
  for (const bucket of buckets) {
    const aggregate = byLabel.get(bucket.label);
    const split = aggregate
      ? splitBusyIdle(aggregate, options.power)
      : { busyKwh: 0, idleKwh: 0, busyGrams: 0, idleGrams: 0 };
    busy.push(options.dataType === 'carbon' ? split.busyGrams : split.busyKwh);
    idle.push(options.dataType === 'carbon' ? split.idleGrams : split.idleKwh);
  }
  return {
    view: options.view,
    data_type: options.dataType,
    unit: options.dataType === 'carbon' ? 'gCO2e' : 'kWh',
    period: {
      from: formatOffsetIso(options.range.from, options.zone),
      to: formatOffsetIso(options.range.to, options.zone),
    },
    timezone: options.zone,
    filters: describeFilters(options.filter),
    labels: buckets.map((bucket) => historyLabel(bucket, options.view)),
    busy,
    idle,
  };
}

/** Command entry: settings, options, run, and how to show the result. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, HISTORY_OPTIONS);
  const zone = settings.timezone;
  const { view, range } = resolveView(invocation.opts, context.now(), zone);
  const ledger = openReadLedger(context, settings);
  const data = run(ledger, {
    view,
    range,
    zone,
    dataType: (invocation.opts.data as DataType | undefined) ?? 'carbon',
    filter: ledgerFilterFrom(invocation.opts),
    power: clusterProfile(settings).factors.power,
  });
  const total = (values: number[]): number => values.reduce((sum, value) => sum + value, 0);
  if (total(data.busy) + total(data.idle) === 0) {
    context.io.notice(
      `No usage in the ledger for ${data.period.from} → ${data.period.to} (${zone}) with this selection.`,
    );
  }
  return {
    data,
    csv: () => ({
      columns: [
        { key: 'label', header: 'label' },
        { key: 'busy', header: `busy_${data.unit}`, kind: 'number' },
        { key: 'idle', header: `idle_${data.unit}`, kind: 'number' },
      ],
      rows: data.labels.map((label, index) => ({
        label,
        busy: data.busy[index],
        idle: data.idle[index],
      })),
    }),
    human: (style) => [
      {
        text:
          `${data.data_type === 'carbon' ? 'Emissions' : 'Electricity'} by ${BAR_UNIT[view]}, ${data.period.from} → ${data.period.to} (${zone})\n` +
          stackedBars(data.labels, data.busy, data.idle, { unit: data.unit, paint: style }),
      },
      {
        table: {
          columns: [
            { key: 'part', header: '' },
            { key: 'value', header: data.unit, kind: 'number' },
          ],
          rows: [
            { part: 'busy', value: total(data.busy) },
            { part: 'idle', value: total(data.idle) },
          ],
          footer: { part: 'total', value: total(data.busy) + total(data.idle) },
        },
      },
    ],
  };
}

/**
 * Report rows of SPEC §7 (the CSRD export) from ledger aggregates: one row per period × group
 * with the exact CSV columns, energy-weighted intensity, coverage and estimation flags, plus
 * the ESRS E1 totals and data-quality figures (reference/methodology.md §8–§9). Pure: the
 * ledger's sums come in as plain numbers, the periods as instants, the zone as an argument.
 */
import { DateTime } from 'luxon';
import {
  bucketOf,
  formatOffsetIso,
  type Bucket,
  type Granularity,
  type TimeRange,
} from './periods.js';
import { InvalidInputError, assertValidZone } from './units.js';

/** `report export --group-by` values (SPEC §7). */
export type ReportGroupBy =
  | 'none'
  | 'cluster'
  | 'namespace'
  | 'workload'
  | 'project'
  | 'machine'
  | 'group'
  | 'owner'
  | 'host';

/** Every `--group-by` value, in the order help lists them. */
export const REPORT_GROUP_BYS: readonly ReportGroupBy[] = [
  'none',
  'cluster',
  'namespace',
  'workload',
  'project',
  'machine',
  'group',
  'owner',
  'host',
];

/**
 * The sums the ledger returns for one (period, group) — the subset of the store's
 * AggregateRow a report needs, declared here so the core depends on nothing outside it (the
 * store's AggregateRow extends it).
 */
export interface PeriodAggregate {
  /** Distinct UTC hours with at least one row. */
  hours: number;
  busySeconds: number;
  idleSeconds: number;
  memoryGiBHours: number;
  energyItKwh: number;
  energyKwh: number;
  scope2LocationGrams: number;
  scope2MarketGrams: number;
  scope3Grams: number;
  cost: number;
  /** Σ energyKwh × intensity (g), so Σ / energyKwh is the energy-weighted mean. */
  intensityWeightedSum: number;
  /** Σ of the rows' sample coverage (0..1 each). */
  coverageSum: number;
  estimatedRows: number;
  rowCount: number;
  estimationReasons: readonly string[];
  intensityProviders: readonly string[];
  methodologyVersions: readonly string[];
  pueMin: number;
  pueMax: number;
  /** Null when the rows mix currencies. */
  currency: string | null;
}

/** The measure columns of a report row (everything after the group columns), full precision. */
export interface ReportMeasures {
  energy_it_kwh: number;
  /** The PUE in effect; energy-weighted (energy_kwh / energy_it_kwh) when it varied. */
  pue: number | null;
  energy_kwh: number;
  scope2_location_kgco2e: number;
  scope2_market_kgco2e: number;
  scope3_embodied_kgco2e: number;
  /** Location-based Scope 2 + Scope 3 (SPEC §7). */
  total_kgco2e: number;
  /** Σ(E·EF)/ΣE — never the plain mean of hourly factors (methodology.md §1); null without energy. */
  avg_intensity_g_per_kwh: number | null;
  cpu_busy_core_hours: number;
  cpu_idle_core_hours: number;
  /** Null when the period mixes currencies (their amounts cannot be added). */
  cost: number | null;
  currency: string | null;
  coverage_percent: number;
  is_estimated: boolean;
  estimation_reasons: string[];
  intensity_source: string;
  methodology_version: string;
  /** UTC hours of the period with at least one ledger row (JSON only; methodology.md §9.2). */
  hours_with_data: number;
  /** UTC hours the period spans (JSON only). */
  hours_in_period: number;
}

/** One report row: a period, the group it belongs to, and its measures. */
export interface ReportRow extends ReportMeasures {
  period: string;
  period_start: string;
  period_end: string;
  /** The group-by dimension's own columns (none for `none`), in CSV order. */
  groupColumns: Record<string, string | null>;
}

/** A group as the ledger names it: its key and, for workloads, the kind. */
export interface ReportGroup {
  value: string | null;
  workloadKind?: string | null;
}

/** The columns a group-by dimension adds (SPEC §7): its own name; `workload` adds `workload_kind`. */
export function reportGroupColumns(groupBy: ReportGroupBy): string[] {
  if (groupBy === 'none') return [];
  if (groupBy === 'workload') return ['workload', 'workload_kind'];
  return [groupBy];
}

/** The measure columns, in SPEC §7 order. */
export const REPORT_MEASURE_COLUMNS = [
  'energy_it_kwh',
  'pue',
  'energy_kwh',
  'scope2_location_kgco2e',
  'scope2_market_kgco2e',
  'scope3_embodied_kgco2e',
  'total_kgco2e',
  'avg_intensity_g_per_kwh',
  'cpu_busy_core_hours',
  'cpu_idle_core_hours',
  'cost',
  'currency',
  'coverage_percent',
  'is_estimated',
  'estimation_reasons',
  'intensity_source',
  'methodology_version',
] as const;

/** Every CSV column of a report with this grouping, in SPEC §7 order. */
export function reportColumns(groupBy: ReportGroupBy): string[] {
  return [
    'period',
    'period_start',
    'period_end',
    ...reportGroupColumns(groupBy),
    ...REPORT_MEASURE_COLUMNS,
  ];
}

const HOUR_MS = 3_600_000;

/**
 * UTC hours whose start lies in [start, end): the ledger's hours that belong to the period.
 * Equal to the period's length in hours for whole-hour zones (743/745 in DST months).
 */
export function hoursInPeriod(start: Date, end: Date): number {
  return Math.max(0, Math.ceil(end.getTime() / HOUR_MS) - Math.ceil(start.getTime() / HOUR_MS));
}

/**
 * Coverage of a period in percent: the share of its hours that have ledger rows, times the
 * mean sample coverage of those rows. A tracker that did not run for a day, and scrapes
 * missing inside tracked hours, both lower it; nothing is ever filled in (SPEC §5).
 */
export function coveragePercent(
  aggregate: Pick<PeriodAggregate, 'hours' | 'coverageSum' | 'rowCount'> | null,
  periodHours: number,
): number {
  if (aggregate === null || aggregate.rowCount === 0 || periodHours <= 0) return 0;
  const hourShare = Math.min(1, aggregate.hours / periodHours);
  return hourShare * (aggregate.coverageSum / aggregate.rowCount) * 100;
}

/**
 * The measures of one period × group. `null` (no ledger rows) gives a row of zeros with
 * coverage 0 %, so every period appears once per group and gaps are visible, never hidden.
 */
export function reportMeasures(
  aggregate: PeriodAggregate | null,
  periodHours: number,
  fallbackCurrency: string,
): ReportMeasures {
  if (aggregate === null || aggregate.rowCount === 0) {
    return {
      energy_it_kwh: 0,
      pue: null,
      energy_kwh: 0,
      scope2_location_kgco2e: 0,
      scope2_market_kgco2e: 0,
      scope3_embodied_kgco2e: 0,
      total_kgco2e: 0,
      avg_intensity_g_per_kwh: null,
      cpu_busy_core_hours: 0,
      cpu_idle_core_hours: 0,
      cost: 0,
      currency: fallbackCurrency,
      coverage_percent: 0,
      is_estimated: false,
      estimation_reasons: [],
      intensity_source: '',
      methodology_version: '',
      hours_with_data: 0,
      hours_in_period: periodHours,
    };
  }
  const pue =
    aggregate.pueMin === aggregate.pueMax
      ? aggregate.pueMin
      : aggregate.energyItKwh > 0
        ? aggregate.energyKwh / aggregate.energyItKwh
        : null;
  return {
    energy_it_kwh: aggregate.energyItKwh,
    pue,
    energy_kwh: aggregate.energyKwh,
    scope2_location_kgco2e: aggregate.scope2LocationGrams / 1000,
    scope2_market_kgco2e: aggregate.scope2MarketGrams / 1000,
    scope3_embodied_kgco2e: aggregate.scope3Grams / 1000,
    total_kgco2e: (aggregate.scope2LocationGrams + aggregate.scope3Grams) / 1000,
    avg_intensity_g_per_kwh:
      aggregate.energyKwh > 0 ? aggregate.intensityWeightedSum / aggregate.energyKwh : null,
    cpu_busy_core_hours: aggregate.busySeconds / 3600,
    cpu_idle_core_hours: aggregate.idleSeconds / 3600,
    cost: aggregate.currency === null ? null : aggregate.cost,
    currency: aggregate.currency,
    coverage_percent: coveragePercent(aggregate, periodHours),
    is_estimated: aggregate.estimatedRows > 0,
    estimation_reasons: [...aggregate.estimationReasons],
    intensity_source: aggregate.intensityProviders.join(';'),
    methodology_version: aggregate.methodologyVersions.join(';'),
    hours_with_data: aggregate.hours,
    hours_in_period: periodHours,
  };
}

/** One report row for a period (already clipped to the report range) and a group. */
export function reportRow(
  period: Bucket,
  zone: string,
  groupBy: ReportGroupBy,
  group: ReportGroup,
  aggregate: PeriodAggregate | null,
  fallbackCurrency: string,
): ReportRow {
  const groupColumns: Record<string, string | null> = {};
  if (groupBy === 'workload') {
    groupColumns.workload = group.value;
    groupColumns.workload_kind = group.workloadKind ?? null;
  } else if (groupBy !== 'none') {
    groupColumns[groupBy] = group.value;
  }
  return {
    period: period.label,
    period_start: formatOffsetIso(period.start, zone),
    period_end: formatOffsetIso(period.end, zone),
    groupColumns,
    ...reportMeasures(aggregate, hoursInPeriod(period.start, period.end), fallbackCurrency),
  };
}

/** A row as the JSON export writes it: the CSV columns in order, then the hour counts. */
export function reportRecord(row: ReportRow): Record<string, unknown> {
  const { groupColumns, period, period_start, period_end, ...measures } = row;
  const record: Record<string, unknown> = { period, period_start, period_end, ...groupColumns };
  for (const column of REPORT_MEASURE_COLUMNS) record[column] = measures[column];
  record.hours_with_data = measures.hours_with_data;
  record.hours_in_period = measures.hours_in_period;
  return record;
}

/** A row as CSV cells, keyed by column: lists joined with `;`, unknowns empty. */
export function reportCsvRecord(row: ReportRow): Record<string, string | number | boolean | null> {
  const record: Record<string, string | number | boolean | null> = {
    period: row.period,
    period_start: row.period_start,
    period_end: row.period_end,
    ...row.groupColumns,
  };
  for (const column of REPORT_MEASURE_COLUMNS) {
    const value = row[column];
    record[column] = Array.isArray(value) ? value.join(';') : value;
  }
  return record;
}

/** ESRS E1 figures of the IT-operations component (E1-5 energy, E1-6 Scope 2/3; methodology.md §8). */
export interface EsrsE1Totals {
  /** E1-5 para 37: energy consumption, MWh (1 MWh = 1,000 kWh). */
  energy_consumption_mwh: number;
  /** E1-6 para 49: gross Scope 2, location-based, tCO2e (1 t = 10⁶ g). */
  scope2_location_tco2e: number;
  /** E1-6 para 49: gross Scope 2, market-based, tCO2e. */
  scope2_market_tco2e: number;
  /** E1-6 para 51: Scope 3 (amortised embodied emissions of the hardware), tCO2e. */
  scope3_tco2e: number;
  /** AR 47 location-based total: Scope 2 location + Scope 3 (no Scope 1 here), tCO2e. */
  total_tco2e: number;
  /** AR 47 market-based total: Scope 2 market + Scope 3, tCO2e (para 52 asks for both). */
  total_market_tco2e: number;
}

/** The ESRS E1 block of an export from the whole period's sums (zeros when there is no data). */
export function esrsE1Totals(aggregate: PeriodAggregate | null): EsrsE1Totals {
  const energyKwh = aggregate?.energyKwh ?? 0;
  const locationGrams = aggregate?.scope2LocationGrams ?? 0;
  const marketGrams = aggregate?.scope2MarketGrams ?? 0;
  const scope3Grams = aggregate?.scope3Grams ?? 0;
  return {
    energy_consumption_mwh: energyKwh / 1000,
    scope2_location_tco2e: locationGrams / 1e6,
    scope2_market_tco2e: marketGrams / 1e6,
    scope3_tco2e: scope3Grams / 1e6,
    total_tco2e: (locationGrams + scope3Grams) / 1e6,
    total_market_tco2e: (marketGrams + scope3Grams) / 1e6,
  };
}

/** Data quality of a whole export (methodology.md §9.1 `dataQuality`). */
export interface DataQuality {
  coverage_percent: number;
  /** Share (0..1) of ledger entity-hours that carry an estimate (forecast/static intensity, missing market factor, …). */
  estimated_share: number;
  hours_in_period: number;
  hours_with_data: number;
  entity_hours: number;
  estimated_entity_hours: number;
  estimation_reasons: string[];
}

/** Coverage and estimation share of the whole report range. */
export function dataQuality(aggregate: PeriodAggregate | null, range: TimeRange): DataQuality {
  const periodHours = hoursInPeriod(range.from, range.to);
  const rows = aggregate?.rowCount ?? 0;
  const estimated = aggregate?.estimatedRows ?? 0;
  return {
    coverage_percent: coveragePercent(aggregate, periodHours),
    estimated_share: rows > 0 ? estimated / rows : 0,
    hours_in_period: periodHours,
    hours_with_data: aggregate?.hours ?? 0,
    entity_hours: rows,
    estimated_entity_hours: estimated,
    estimation_reasons: [...(aggregate?.estimationReasons ?? [])],
  };
}

/** Busy and idle parts of a period's energy and emissions, for the stacked history bars. */
export interface BusyIdleSplit {
  busyKwh: number;
  idleKwh: number;
  busyGrams: number;
  idleGrams: number;
}

/**
 * Splits a period's energy and location-based emissions into busy and idle parts by the share
 * of IT power each drew under the given watts (SPEC §2: busy_s × W_busy vs idle_s × W_idle;
 * memory power, 0 by default, counts with idle as baseline draw). The parts add up to the
 * ledger's totals exactly. The share is taken over the whole period, so when the busy
 * fraction and the intensity both vary inside it the carbon split is an approximation.
 */
export function splitBusyIdle(
  aggregate: Pick<
    PeriodAggregate,
    'busySeconds' | 'idleSeconds' | 'memoryGiBHours' | 'energyKwh' | 'scope2LocationGrams'
  >,
  watts: { busyWattsPerCore: number; idleWattsPerCore: number; memoryWattsPerGiB: number },
): BusyIdleSplit {
  const busyJoules = aggregate.busySeconds * watts.busyWattsPerCore;
  const otherJoules =
    aggregate.idleSeconds * watts.idleWattsPerCore +
    aggregate.memoryGiBHours * 3600 * watts.memoryWattsPerGiB;
  const total = busyJoules + otherJoules;
  const busyShare = total > 0 ? busyJoules / total : 0;
  const busyKwh = aggregate.energyKwh * busyShare;
  const busyGrams = aggregate.scope2LocationGrams * busyShare;
  return {
    busyKwh,
    idleKwh: aggregate.energyKwh - busyKwh,
    busyGrams,
    idleGrams: aggregate.scope2LocationGrams - busyGrams,
  };
}

// ---------------------------------------------------------------------------------------------
// Output file names

/** Values of the `--out` placeholders for a report range. */
export interface PathPlaceholders {
  /** The range as one calendar label when it is one (`2025`, `2025-Q1`, `2025-03`, `2025-W07`, `2025-03-01`), else `first_last` local dates. */
  period: string;
  /** Local year of the range start, `2025`. */
  year: string;
  /** Local month of the range start, `2025-03`. */
  month: string;
  /** Local date of the range start, `2025-03-01`. */
  date: string;
}

const NAMED_RANGES: readonly Granularity[] = [
  'yearly',
  'quarterly',
  'monthly',
  'weekly',
  'daily',
  'hourly',
];

/** The placeholder values for a report range in the reporting zone. */
export function pathPlaceholders(range: TimeRange, zone: string): PathPlaceholders {
  assertValidZone(zone);
  const start = DateTime.fromJSDate(range.from, { zone });
  let period: string | undefined;
  for (const granularity of NAMED_RANGES) {
    const bucket = bucketOf(range.from, granularity, zone);
    if (
      bucket.start.getTime() === range.from.getTime() &&
      bucket.end.getTime() === range.to.getTime()
    ) {
      period = bucket.label;
      break;
    }
  }
  // The last local day the half-open range touches.
  const lastDay = DateTime.fromMillis(range.to.getTime() - 1, { zone });
  return {
    period: period ?? `${start.toFormat('yyyy-MM-dd')}_${lastDay.toFormat('yyyy-MM-dd')}`,
    year: start.toFormat('yyyy'),
    month: start.toFormat('yyyy-MM'),
    date: start.toFormat('yyyy-MM-dd'),
  };
}

/**
 * Replaces `{period}`, `{year}`, `{month}`, `{date}` in an output path; `keep` names
 * placeholders left in place for a later step (`group`, filled per file by `--split-by`). Any
 * other `{…}` is an error.
 */
export function expandPathTemplate(
  template: string,
  values: PathPlaceholders,
  keep: readonly string[] = [],
): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    if (name === 'period' || name === 'year' || name === 'month' || name === 'date')
      return values[name];
    if (keep.includes(name)) return whole;
    throw new InvalidInputError('a known placeholder', {
      flag: '--out',
      value: template,
      message:
        name === 'group'
          ? `--out ${template} uses {group}, which is filled in only with --split-by owner|project|namespace`
          : `--out ${template} uses ${whole}, which is not a placeholder: use {period}, {year}, {month} or {date}` +
            (keep.includes('group') ? ', and {group}' : ''),
    });
  });
}

/**
 * A label value as one safe file-name part for `{group}`: letters, digits, `.`, `_`, `-`, `@`
 * and `+` are kept, anything else becomes `_`, and no leading dot. When anything had to change,
 * a short hash of the original value is appended (`a/b` → `a_b-1c4e…`), so two values never
 * share a file name. `hash` is the caller's (the core does no crypto).
 */
export function fileNamePart(value: string, hash: (text: string) => string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9._@+-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  if (cleaned === value && cleaned !== '') return cleaned;
  return `${cleaned === '' ? '_' : cleaned}-${hash(value).slice(0, 8)}`;
}

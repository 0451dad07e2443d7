/**
 * The engine behind `report summary` and `report export` (SPEC §7): flags → a report plan,
 * the few up-front ledger queries (groups, whole-period totals, data quality), and the rows
 * streamed period by period from the ledger's aggregate cursor, so memory stays flat however
 * large the ledger grows.
 */
import type { Settings } from '../../config/schema.js';
import { clusterProfile } from '../../accounting/profile.js';
import {
  enumerateBuckets,
  formatOffsetIso,
  type Bucket,
  type Granularity,
  type TimeRange,
} from '../../core/periods.js';
import {
  dataQuality,
  esrsE1Totals,
  expandPathTemplate,
  hoursInPeriod,
  pathPlaceholders,
  reportColumns,
  reportCsvRecord,
  reportMeasures,
  reportRecord,
  reportRow,
  REPORT_MEASURE_COLUMNS,
  type DataQuality,
  type EsrsE1Totals,
  type ReportGroup,
  type ReportGroupBy,
  type ReportMeasures,
  type ReportRow,
} from '../../core/report.js';
import { InternalError, UsageError } from '../../errors.js';
import { renderCsv } from '../../output/csv.js';
import {
  ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE,
  UK_SOURCE_DESCRIPTION,
  electricityMapsSourceDescription,
} from '../../providers/intensity/meta.js';
import type { AggregateRow, Ledger, LedgerFilter, ProvenanceRow } from '../../store/types.js';
import { optionalString } from '../parse.js';
import {
  asUsage,
  describeFilters,
  ledgerFilterFrom,
  periodSelectorFrom,
  resolveReaderPeriod,
} from '../shared/ledger.js';
import { DEFAULT_MIN_COVERAGE_PERCENT } from './index.js';
import { methodologyProvenance } from './provenance.js';

/** `--split-by` dimensions. */
export type SplitBy = 'owner' | 'project' | 'namespace';

/** Everything a report needs to know, validated. */
export interface ReportPlan {
  range: TimeRange;
  zone: string;
  granularity: Granularity;
  groupBy: ReportGroupBy;
  /** Label filters (the range is added per query). */
  filter: LedgerFilter;
  format: 'csv' | 'json' | 'html';
  /** The output path with placeholders filled in (`{group}` kept with splitBy); null = stdout. */
  out: string | null;
  /** `--split-by`: one file per value of this label, named by `{group}` in `out`. */
  splitBy: SplitBy | null;
  force: boolean;
  strict: boolean;
  minCoveragePercent: number;
  settings: Settings;
}

/**
 * The plan from the flags. Without a period flag a report covers the previous calendar month
 * (the monthly cron job). `stdoutJson` is true when `-o json` asks for one JSON document on
 * stdout, which a CSV export to stdout would contradict.
 */
export function planReport(
  opts: Record<string, unknown>,
  settings: Settings,
  now: Date,
  stdoutJson: boolean,
): ReportPlan {
  const zone = settings.timezone;
  const range = resolveReaderPeriod(periodSelectorFrom(opts), now, zone, { lastMonth: true });
  const splitBy = (optionalString(opts, 'splitBy') as SplitBy | undefined) ?? null;
  // With --split-by owner, {owner} names the file as {group} does (and likewise project, namespace).
  const givenOut = optionalString(opts, 'out');
  const outText =
    splitBy === null || givenOut === undefined
      ? givenOut
      : givenOut.split(`{${splitBy}}`).join('{group}');
  if (
    splitBy !== null &&
    (outText === undefined || outText === '-' || !outText.includes('{group}'))
  ) {
    throw new UsageError(
      `--split-by ${splitBy} writes one file per ${splitBy}: --out needs a path with {group} (or {${splitBy}}) in it`,
      { hint: `e.g. --out 'reports/{group}/carbon-{period}.html'` },
    );
  }
  const out =
    outText === undefined || outText === '-'
      ? null
      : asUsage(() =>
          expandPathTemplate(
            outText,
            pathPlaceholders(range, zone),
            splitBy === null ? [] : ['group'],
          ),
        );
  const formatFlag = optionalString(opts, 'format') as ReportPlan['format'] | undefined;
  const format: ReportPlan['format'] =
    formatFlag ?? (out !== null ? formatFromExtension(out) : stdoutJson ? 'json' : 'csv');
  if (out === null && stdoutJson && format !== 'json') {
    throw new UsageError(
      `-o json and --format ${format} contradict each other when the export goes to stdout`,
      {
        hint: `Use --format json, drop -o json, or write the ${format.toUpperCase()} to a file with --out.`,
      },
    );
  }
  return {
    range,
    zone,
    granularity: (optionalString(opts, 'granularity') as Granularity | undefined) ?? 'monthly',
    groupBy: (optionalString(opts, 'groupBy') as ReportGroupBy | undefined) ?? 'none',
    filter: ledgerFilterFrom(opts),
    format,
    out,
    splitBy,
    force: opts.force === true,
    strict: opts.strict === true,
    minCoveragePercent: (opts.minCoverage as number | undefined) ?? DEFAULT_MIN_COVERAGE_PERCENT,
    settings,
  };
}

/** The format an output path's extension implies: .json, .html/.htm, else CSV. */
export function formatFromExtension(path: string): ReportPlan['format'] {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return 'html';
  return 'csv';
}

/** The up-front answers: periods, groups, whole-period sums and quality. */
export interface PreparedReport {
  plan: ReportPlan;
  periods: Bucket[];
  /** Every group with data in the range, in output order (no group first, then by name). */
  groups: ReportGroup[];
  /** Sums over the whole range and selection; null when the ledger has nothing there. */
  overall: AggregateRow | null;
  /** Clusters with data in the selection (organisational boundary). */
  clusters: string[];
  /** Rows an export writes: periods × groups. */
  rowCount: number;
  /**
   * The period × group aggregate, already read when the output is small enough to hold
   * (the group list then comes from it: one pass over the ledger rows instead of two); null
   * when the rows are streamed from the ledger as they are written.
   */
  heldRows: AggregateRow[] | null;
  quality: DataQuality;
  esrs: EsrsE1Totals;
  totals: ReportMeasures;
  currency: string;
}

function compareGroups(a: ReportGroup, b: ReportGroup): number {
  if (a.value === b.value) return 0;
  if (a.value === null) return -1;
  if (b.value === null) return 1;
  return a.value < b.value ? -1 : 1;
}

function rangeFilter(plan: ReportPlan): LedgerFilter {
  return { ...plan.filter, from: plan.range.from, to: plan.range.to };
}

/** Period × group aggregates held in memory at most (a few MB): beyond, rows are streamed. */
const HELD_ROWS_AT_MOST = 20_000;

/**
 * The groups of period × group rows, as the range-wide aggregate names them: the group and,
 * for workloads, the least workload kind (SQLite's min() over text: byte order, nulls ignored).
 */
function rangeGroups(
  rows: readonly AggregateRow[],
): Array<Pick<AggregateRow, 'group' | 'workloadKind'>> {
  const groups = new Map<string | null, Pick<AggregateRow, 'group' | 'workloadKind'>>();
  for (const row of rows) {
    const known = groups.get(row.group);
    const kind = row.workloadKind ?? null;
    if (known === undefined) groups.set(row.group, { group: row.group, workloadKind: kind });
    else if (
      kind !== null &&
      (known.workloadKind == null ||
        Buffer.compare(Buffer.from(kind), Buffer.from(known.workloadKind)) < 0)
    )
      known.workloadKind = kind;
  }
  return [...groups.values()];
}

/** Runs the small queries every report needs before its rows (they must finish before the cursor opens). */
export function prepareReport(
  ledger: Ledger,
  plan: ReportPlan,
  options: { heldRowsAtMost?: number } = {},
): PreparedReport {
  const filter = rangeFilter(plan);
  const periods = enumerateBuckets(plan.range.from, plan.range.to, plan.granularity, plan.zone);
  // Each query scans the whole range, so ask as few as possible (SPEC §12: a year of 1,000
  // entities in under 2 s). The per-cluster sums name the clusters (organisational boundary)
  // and, in the usual single-cluster ledger, already are the whole-range sums: one cluster's
  // distinct hours are all the hours. Only with several clusters is a separate total needed.
  const byCluster = ledger.aggregate({ filter, groupBy: 'cluster' });
  const clusters = byCluster
    .map((row) => row.group)
    .filter((name): name is string => name !== null)
    .sort();
  const overall =
    byCluster.length <= 1
      ? (byCluster[0] ?? null)
      : (ledger.aggregate({ filter, groupBy: 'none' })[0] ?? null);
  // Every period lies in the range and every row in exactly one period, so the groups of the
  // period × group aggregate are the groups of the range: when that aggregate is small enough
  // to hold, read it now and take the group list from it (no separate pass over the rows).
  const heldRows =
    plan.groupBy !== 'none' &&
    plan.groupBy !== 'cluster' &&
    periods.length * (ledger.groupBound(plan.groupBy) + 1) <=
      (options.heldRowsAtMost ?? HELD_ROWS_AT_MOST)
      ? ledger.aggregate({ filter, groupBy: plan.groupBy, buckets: periods })
      : null;
  const groupRows =
    plan.groupBy === 'cluster'
      ? byCluster
      : plan.groupBy === 'none'
        ? []
        : heldRows !== null
          ? rangeGroups(heldRows)
          : ledger.aggregate({ filter, groupBy: plan.groupBy });
  const groups: ReportGroup[] =
    plan.groupBy === 'none'
      ? [{ value: null }]
      : groupRows
          .map((row) =>
            plan.groupBy === 'workload'
              ? { value: row.group, workloadKind: row.workloadKind ?? null }
              : { value: row.group },
          )
          .sort(compareGroups);
  const currency = overall?.currency ?? plan.settings.cost.currency;
  return {
    plan,
    periods,
    groups,
    overall,
    clusters,
    rowCount: periods.length * groups.length,
    heldRows,
    quality: dataQuality(overall, plan.range),
    esrs: esrsE1Totals(overall),
    totals: reportMeasures(overall, hoursInPeriod(plan.range.from, plan.range.to), currency),
    currency,
  };
}

const groupKey = (value: string | null): string => JSON.stringify(value);

/**
 * The report rows, one batch per period in order, each with one row per group (zeros and
 * coverage 0 % where a group has no data in that period): every period appears exactly once
 * per group. Reads the ledger's aggregate cursor; nothing else may query the ledger meanwhile.
 */
export function* reportRowBatches(
  ledger: Ledger,
  prepared: PreparedReport,
): Generator<ReportRow[]> {
  const { plan, periods, groups } = prepared;
  const buildBatch = (period: Bucket, found: Map<string, AggregateRow>): ReportRow[] => {
    const rows = groups.map((group) => {
      const aggregate = found.get(groupKey(group.value)) ?? null;
      found.delete(groupKey(group.value));
      return reportRow(period, plan.zone, plan.groupBy, group, aggregate, prepared.currency);
    });
    if (found.size > 0) {
      // The groups query and the bucketed one share one filter; a group only one of them sees is a bug.
      throw new InternalError(
        `report: period ${period.label} has rows for groups the report did not list (${[...found.keys()].join(', ')})`,
      );
    }
    return rows;
  };
  if (periods.length === 0 || groups.length === 0) return;
  let index = 0;
  let found = new Map<string, AggregateRow>();
  for (const aggregate of prepared.heldRows ??
    ledger.iterateAggregate({
      filter: rangeFilter(plan),
      groupBy: plan.groupBy,
      buckets: periods,
    })) {
    // Rows come ordered by period: emit every period before this row's, filled or not.
    while (periods[index]?.label !== aggregate.bucket) {
      const period = periods[index];
      if (period === undefined)
        throw new InternalError(
          `report: the ledger returned an unknown period ${String(aggregate.bucket)}`,
        );
      yield buildBatch(period, found);
      found = new Map();
      index += 1;
    }
    found.set(groupKey(aggregate.group), aggregate);
  }
  for (; index < periods.length; index += 1) {
    const period = periods[index];
    if (period === undefined) break;
    yield buildBatch(period, found);
    found = new Map();
  }
}

/** The export as CSV text chunks: the header, then one chunk per period. */
export function* csvChunks(ledger: Ledger, prepared: PreparedReport): Generator<string> {
  const columns = reportColumns(prepared.plan.groupBy).map((key) => ({ key, header: key }));
  yield renderCsv({ columns, rows: [] });
  for (const batch of reportRowBatches(ledger, prepared)) {
    if (batch.length > 0)
      yield renderCsv({ columns, rows: batch.map(reportCsvRecord) }, { header: false });
  }
}

/** JSON.stringify(value, null, 2), re-indented to sit `level` spaces deep in a larger document. */
function indentedJson(value: unknown, level: number): string {
  return JSON.stringify(value, null, 2)
    .split('\n')
    .join(`\n${' '.repeat(level)}`);
}

/** The totals object of the JSON export: the measure columns in order, then the hour counts. */
export function totalsRecord(totals: ReportMeasures): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const column of REPORT_MEASURE_COLUMNS) record[column] = totals[column];
  record.hours_with_data = totals.hours_with_data;
  record.hours_in_period = totals.hours_in_period;
  return record;
}

/**
 * The export as JSON text chunks, byte-identical to JSON.stringify(document, null, 2) + "\n"
 * but with the rows streamed: `{metadata, esrs_e1, rows, totals}`.
 */
export function* jsonChunks(
  ledger: Ledger,
  prepared: PreparedReport,
  metadata: Record<string, unknown>,
): Generator<string> {
  yield `{\n  "metadata": ${indentedJson(metadata, 2)},\n  "esrs_e1": ${indentedJson(prepared.esrs, 2)},\n  "rows": [`;
  let first = true;
  for (const batch of reportRowBatches(ledger, prepared)) {
    if (batch.length === 0) continue;
    const parts: string[] = [];
    for (const row of batch) {
      parts.push(`${first ? '' : ','}\n    ${indentedJson(reportRecord(row), 4)}`);
      first = false;
    }
    yield parts.join('');
  }
  yield `${first ? '' : '\n  '}],\n  "totals": ${indentedJson(totalsRecord(prepared.totals), 2)}\n}\n`;
}

/**
 * Where one (provider, region) pair's factors come from (methodology.md §9.1
 * `emissionFactorSources`); `region` is the label the ledger rows recorded.
 */
function emissionFactorSource(provider: string, region: string): Record<string, unknown> {
  switch (provider) {
    case 'uk':
      return {
        provider,
        dataset: `${UK_SOURCE_DESCRIPTION}, half-hourly actual (forecast where flagged), ${region}`,
        factor_type: 'location-based, grid average, direct (generation) CO2',
        unit: 'gCO2/kWh',
        note: 'CO2 only (not CO2e), which slightly understates Scope 2 (GHG Protocol Scope 2 Guidance)',
      };
    case 'electricitymaps':
      return {
        provider,
        dataset: electricityMapsSourceDescription(region),
        factor_type: `location-based, grid average, ${ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE}`,
        unit: 'gCO2e/kWh',
      };
    case 'static':
      return {
        provider,
        dataset: `annual average grid intensity for ${region} from @tgwf/co2 (Electricity Maps yearly data, ODbL 1.0; Ember, CC BY-SA 4.0)`,
        factor_type: 'location-based, annual average',
        unit: 'gCO2e/kWh',
      };
    case 'fixed':
      return {
        provider,
        dataset: 'a fixed value given in the configuration (user-supplied)',
        factor_type: 'user-supplied',
        unit: 'gCO2e/kWh',
      };
    default:
      return { provider, dataset: `recorded in the ledger (${region})`, unit: 'gCO2e/kWh' };
  }
}

/**
 * How market-based Scope 2 of the exported rows was derived (SPEC §2): `location_grid_average`
 * (no contractual instrument: the last step of the GHG Protocol Scope 2 hierarchy, a factor
 * choice and not an estimate), `contractual_factor`, or `mixed`; and a sentence saying so.
 */
function marketFactorBasis(values: ReadonlyArray<number | null>): {
  basis: 'location_grid_average' | 'contractual_factor' | 'mixed';
  note: string;
} {
  const missing = values.filter((value) => value === null).length;
  if (missing === values.length)
    return {
      basis: 'location_grid_average',
      note: 'no supplier / residual-mix factor configured: market-based Scope 2 uses the location-based grid average (GHG Protocol Scope 2 hierarchy, last step); a factor choice, not an estimate',
    };
  if (missing === 0)
    return {
      basis: 'contractual_factor',
      note: 'user-supplied contractual instrument data (scope2.marketFactor)',
    };
  return {
    basis: 'mixed',
    note: 'user-supplied contractual instrument data (scope2.marketFactor) for some rows; the others had none and use the location-based grid average',
  };
}

/**
 * The distinct provenance of the rows an export covers (one query over the range, mostly the
 * daily rollup). Must run before the row cursor opens; skipped when the selection is empty.
 */
export function readProvenance(ledger: Ledger, prepared: PreparedReport): ProvenanceRow[] {
  return prepared.overall === null ? [] : ledger.provenanceSummary(rangeFilter(prepared.plan));
}

/**
 * Provenance, methodology, boundaries and data quality of an export (SPEC §7; methodology.md
 * §9.1). The factors describe the exported ledger rows, not today's settings: see
 * ./provenance.ts for the single-value-or-distinct-values shape.
 */
export function buildMetadata(
  prepared: PreparedReport,
  provenance: readonly ProvenanceRow[],
  tool: { version: string; generatedAt: Date },
): Record<string, unknown> {
  const { plan, overall } = prepared;
  const settings = plan.settings;
  const factors = clusterProfile(settings).factors;
  const described = methodologyProvenance(provenance, settings);
  const market = marketFactorBasis(described.factor_sets.map((set) => set.market_factor_g_per_kwh));
  const placeholders = pathPlaceholders(plan.range, plan.zone);
  return {
    tool: 'carbonctl',
    version: tool.version,
    generated_at: tool.generatedAt.toISOString(),
    period: {
      from: formatOffsetIso(plan.range.from, plan.zone),
      to: formatOffsetIso(plan.range.to, plan.zone),
      label: placeholders.period,
      end_exclusive: true,
    },
    timezone: plan.zone,
    granularity: plan.granularity,
    group_by: plan.groupBy,
    filters: describeFilters(plan.filter),
    rows: prepared.rowCount,
    methodology: {
      factors_from:
        described.factors_from === 'ledger'
          ? 'ledger: the factors each exported row was computed with (one value where all rows agree, the distinct values where they differ; factor_sets lists each combination)'
          : 'configuration at export time: the selection has no ledger rows',
      version: described.version,
      power_profile: described.power_profile,
      watts: described.watts,
      pue: described.pue,
      pue_range: overall === null ? null : [overall.pueMin, overall.pueMax],
      intensity_provider: described.intensity_provider,
      intensity_kinds: described.intensity_kinds,
      region: described.region,
      emission_factor_sources: described.sources.map((source) =>
        emissionFactorSource(source.provider, source.region),
      ),
      scope2_market_basis: market.basis,
      market_factor: {
        g_per_kwh: described.market_factor_g_per_kwh,
        note: market.note,
      },
      embodied: {
        grams_per_core_hour: described.embodied_grams_per_core_hour,
        reported_as:
          'Scope 3: amortised embodied emissions of the hardware per core-hour (supplementary)',
      },
      factor_sets: described.factor_sets,
      cost: {
        currency: prepared.currency,
        per_core_hour: factors.cost.perCoreHour,
        per_gib_hour: factors.cost.perGiBHour,
        per_kwh: factors.cost.perKwh,
        prices_from:
          "configuration at export time: the ledger keeps each row's cost and currency, not the prices behind it",
      },
      formulas: {
        energy_it_kwh:
          '(busy_s × busy_W + idle_s × idle_W + memory_GiB_h × 3600 × memory_W) / 3.6e6',
        energy_kwh: 'energy_it_kwh × PUE',
        scope2_location: 'Σ per entity-hour energy_kwh × intensity(hour) (time-resolved)',
        scope2_market: 'energy_kwh × market factor (location-based when none is set)',
        scope3_embodied: '(busy_s + idle_s) / 3600 × embodied g per core-hour',
        avg_intensity_g_per_kwh: 'Σ(energy × intensity) / Σ energy (energy-weighted)',
        coverage_percent:
          'hours with ledger rows / hours in period × mean sample coverage of those rows × 100',
      },
    },
    boundaries: {
      standards: [
        'GHG Protocol Corporate Standard (2004)',
        'GHG Protocol Scope 2 Guidance (2015)',
        'ESRS E1 (Commission Delegated Regulation (EU) 2023/2772)',
      ],
      organisational: {
        consolidation: 'operational control (the tracked clusters)',
        clusters: prepared.clusters,
      },
      operational: {
        scope2:
          'purchased electricity of the tracked CPU cores (busy and idle) and, when configured, memory, times PUE',
        scope3:
          'amortised embodied emissions of the hardware, when configured (supplementary, not part of Scope 2)',
        excluded: [
          'Scope 1',
          'storage',
          'network',
          'GPUs',
          'upstream emissions of electricity (Scope 3 cat. 3)',
        ],
        public_cloud_note:
          'for public cloud consumed as a service these figures belong to Scope 3 cat. 1, not Scope 2',
      },
    },
    data_quality: prepared.quality,
    rounding: 'full double precision in every field; totals are computed from unrounded values',
  };
}

/**
 * The data behind `report export --format html`: the export's own rows (so every number on the
 * page equals the JSON export's for the same flags), plus what only the page shows — the
 * previous period and the same period a year earlier, the previous period per group, and the
 * emissions of each local day.
 */
import { comparisonRange, pairGroups, type CompareMode } from '../../core/compare.js';
import {
  bucketOf,
  enumerateBuckets,
  formatHumanRange,
  formatOffsetIso,
} from '../../core/periods.js';
import {
  esrsE1Totals,
  pathPlaceholders,
  type ReportGroupBy,
  type ReportRow,
} from '../../core/report.js';
import type {
  HtmlComparison,
  HtmlEstimationReason,
  HtmlGroup,
  HtmlReportModel,
} from '../../output/html-report.js';
import type { AggregateRow, Ledger, LedgerFilter, ProvenanceRow } from '../../store/types.js';
import { describeFilters } from '../shared/ledger.js';
import { reportRowBatches, type PreparedReport } from './plan.js';

/** Series in the stacked chart before the rest is "other" (the palette has 7 colours + grey). */
export const CHART_GROUPS = 7;
/** Rows of the top-groups table before the rest is summed in one line. */
export const TABLE_GROUPS = 15;

/** What each estimation reason means, for people. */
const REASON_TEXT: Record<string, string> = {
  intensity_forecast:
    "the grid's measured intensity was not published yet; the provider's forecast was used",
  intensity_static_annual:
    'the intensity provider had no value; the annual average of the zone was used',
  gap_interpolated:
    'samples were missing for a while; the counter increase across the gap was spread evenly over it',
  power_profile_default: 'no measured power figures; the default power profile was used',
};

/** A group's name for people: the label itself, or `(no owner)` for rows without it. */
export function groupDisplayName(groupBy: ReportGroupBy, value: string | null): string {
  if (groupBy === 'none') return 'all';
  return value ?? `(no ${groupBy})`;
}

function rowGroupValue(groupBy: ReportGroupBy, row: ReportRow): string | null {
  if (groupBy === 'none') return null;
  return row.groupColumns[groupBy] ?? null;
}

function totalKg(aggregate: AggregateRow): number {
  return (aggregate.scope2LocationGrams + aggregate.scope3Grams) / 1000;
}

/** Share (0..1) of the report's entity-hours each derivable estimation reason covers. */
function estimationShares(
  reasons: readonly string[],
  provenance: readonly ProvenanceRow[],
): HtmlEstimationReason[] {
  const entityHours = provenance.reduce((sum, row) => sum + row.entityHours, 0);
  const share = (matches: (row: ProvenanceRow) => boolean): number | null =>
    entityHours > 0
      ? provenance.filter(matches).reduce((sum, row) => sum + row.entityHours, 0) / entityHours
      : null;
  return reasons.map((reason) => {
    let entityHoursShare: number | null = null;
    // Only these follow from the factors each row was priced with; the others (gap
    // interpolation, default power) are per-row flags the provenance does not split.
    if (reason === 'intensity_forecast')
      entityHoursShare = share((row) => row.intensityKind === 'forecast');
    else if (reason === 'intensity_static_annual')
      entityHoursShare = share((row) => row.intensityKind === 'static');
    return {
      reason,
      description: REASON_TEXT[reason] ?? 'see the methodology',
      entity_hours_share: entityHoursShare,
    };
  });
}

interface GroupTotals {
  value: string | null;
  total_kgco2e: number;
  energy_kwh: number;
  cost: number | null;
  values: number[];
}

/**
 * Reads everything the page needs and shapes it. Consumes the export's row cursor first, then
 * runs the comparison queries (the cursor must be closed before another query runs).
 */
export function buildHtmlModel(
  ledger: Ledger,
  prepared: PreparedReport,
  metadata: Record<string, unknown>,
  provenance: readonly ProvenanceRow[],
): HtmlReportModel {
  const { plan } = prepared;
  const { groupBy, zone } = plan;
  const periods = prepared.periods.map((period) => period.label);
  const periodIndex = new Map(periods.map((label, index) => [label, index]));
  const groups = new Map<string, GroupTotals>();
  const weighted = periods.map(() => ({ energy: 0, intensityEnergy: 0 }));
  for (const batch of reportRowBatches(ledger, prepared)) {
    for (const row of batch) {
      const value = rowGroupValue(groupBy, row);
      const key = JSON.stringify(value);
      const totals = groups.get(key) ?? {
        value,
        total_kgco2e: 0,
        energy_kwh: 0,
        cost: 0,
        values: periods.map(() => 0),
      };
      groups.set(key, totals);
      // Summed in period order, as a reader of the JSON rows would: the same doubles.
      totals.total_kgco2e += row.total_kgco2e;
      totals.energy_kwh += row.energy_kwh;
      totals.cost = totals.cost === null || row.cost === null ? null : totals.cost + row.cost;
      const index = periodIndex.get(row.period) ?? 0;
      totals.values[index] = (totals.values[index] ?? 0) + row.total_kgco2e;
      const slot = weighted[index];
      if (slot !== undefined && row.avg_intensity_g_per_kwh !== null) {
        slot.energy += row.energy_kwh;
        slot.intensityEnergy += row.energy_kwh * row.avg_intensity_g_per_kwh;
      }
    }
  }
  const ranked = [...groups.values()].sort(
    (a, b) =>
      b.total_kgco2e - a.total_kgco2e ||
      groupDisplayName(groupBy, a.value).localeCompare(groupDisplayName(groupBy, b.value)),
  );
  const rangeFilter = (range: { from: Date; to: Date }): LedgerFilter => ({
    ...plan.filter,
    from: range.from,
    to: range.to,
  });

  const comparisons: HtmlComparison[] = [];
  let previousByGroup: Array<{ key: string | null; value: number }> = [];
  for (const mode of ['previous', 'year'] as CompareMode[]) {
    const range = comparisonRange(plan.range, zone, mode);
    const overall = ledger.aggregate({ filter: rangeFilter(range), groupBy: 'none' })[0] ?? null;
    comparisons.push({
      mode,
      label: pathPlaceholders(range, zone).period,
      from: formatOffsetIso(range.from, zone),
      to: formatOffsetIso(range.to, zone),
      hasData: overall !== null,
      esrs: esrsE1Totals(overall),
      cost: overall === null ? 0 : overall.currency === null ? null : overall.cost,
    });
    if (mode === 'previous' && groupBy !== 'none') {
      previousByGroup = ledger
        .aggregate({ filter: rangeFilter(range), groupBy })
        .map((row) => ({ key: row.group, value: totalKg(row) }));
    }
  }
  const previousHasData = comparisons[0]?.hasData ?? false;
  // Groups with usage in the previous period and none now: named under the table.
  const vanished = pairGroups(
    ranked.map((group) => ({ key: group.value, value: group.total_kgco2e })),
    previousByGroup,
  )
    .filter((entry) => entry.status === 'vanished')
    .map((entry) => ({
      name: groupDisplayName(groupBy, entry.key),
      previous_total_kgco2e: entry.previous ?? 0,
    }));
  const previousTotals = new Map(previousByGroup.map((entry) => [entry.key, entry.value]));

  const grandTotal = ranked.reduce((sum, group) => sum + group.total_kgco2e, 0);
  const share = (value: number): number => (grandTotal > 0 ? value / grandTotal : 0);
  const tableGroups: HtmlGroup[] = ranked.slice(0, TABLE_GROUPS).map((group) => {
    const before = previousTotals.get(group.value);
    const status: HtmlGroup['status'] =
      !previousHasData || before === undefined ? 'new' : 'continuing';
    return {
      name: groupDisplayName(groupBy, group.value),
      total_kgco2e: group.total_kgco2e,
      energy_kwh: group.energy_kwh,
      cost: group.cost,
      share: share(group.total_kgco2e),
      previous_total_kgco2e: before ?? null,
      change_percent:
        before === undefined || before === 0
          ? null
          : ((group.total_kgco2e - before) / before) * 100,
      status,
      values: group.values,
    };
  });
  const restGroups = ranked.slice(TABLE_GROUPS);
  const restTotal = restGroups.reduce((sum, group) => sum + group.total_kgco2e, 0);

  const chartGroups = ranked.slice(0, CHART_GROUPS);
  const otherGroups = ranked.slice(CHART_GROUPS);
  const series: HtmlReportModel['series'] = chartGroups.map((group) => ({
    name: groupDisplayName(groupBy, group.value),
    other: false,
    values: group.values,
  }));
  if (otherGroups.length > 0) {
    series.push({
      name: `other (${otherGroups.length})`,
      other: true,
      values: periods.map((_, index) =>
        otherGroups.reduce((sum, group) => sum + (group.values[index] ?? 0), 0),
      ),
    });
  }

  const dayBuckets = enumerateBuckets(plan.range.from, plan.range.to, 'daily', zone);
  const dayTotals = new Map<string | null, number>();
  for (const row of ledger.aggregate({
    filter: rangeFilter(plan.range),
    groupBy: 'none',
    buckets: dayBuckets,
  }))
    dayTotals.set(row.bucket, totalKg(row));

  const periodLabel = pathPlaceholders(plan.range, zone).period;
  return {
    // A split file (or a filtered export) names whose report it is in its title.
    title: [
      `Carbon report ${periodLabel}`,
      ...Object.entries(describeFilters(plan.filter)).map(([key, value]) => `${key} ${value}`),
    ].join(' · '),
    period: {
      label: periodLabel,
      from: formatOffsetIso(plan.range.from, zone),
      to: formatOffsetIso(plan.range.to, zone),
      text: formatHumanRange(plan.range, zone),
    },
    timezone: zone,
    granularity: plan.granularity,
    groupBy,
    filters: describeFilters(plan.filter),
    generatedAt: String(metadata.generated_at),
    version: String(metadata.version),
    esrs: prepared.esrs,
    cost: prepared.totals.cost,
    currency: prepared.totals.currency,
    quality: prepared.quality,
    comparisons,
    periods,
    partialPeriods: prepared.periods
      .filter((period) => {
        const whole = bucketOf(period.start, plan.granularity, zone);
        return (
          whole.start.getTime() !== period.start.getTime() ||
          whole.end.getTime() !== period.end.getTime()
        );
      })
      .map((period) => period.label),
    intensity: weighted.map((slot) =>
      slot.energy > 0 ? slot.intensityEnergy / slot.energy : null,
    ),
    series,
    groups: tableGroups,
    vanished,
    rest:
      restGroups.length === 0
        ? null
        : { count: restGroups.length, total_kgco2e: restTotal, share: share(restTotal) },
    days: dayBuckets.map((bucket) => ({
      date: bucket.label,
      value: dayTotals.get(bucket.label) ?? 0,
    })),
    estimation: estimationShares(prepared.quality.estimation_reasons, provenance),
    methodology: (metadata.methodology ?? {}) as Record<string, unknown>,
    boundaries: (metadata.boundaries ?? {}) as Record<string, unknown>,
    methodologyVersions: prepared.overall?.methodologyVersions ?? [],
  };
}

/**
 * Planning and SQL for ledger aggregates. Reports bucket in the reporting time zone, so their
 * periods rarely align with the UTC-daily rollup: each period is split into whole UTC days
 * (read from `entity_days`) and partial-day edges (read from `entity_hours`), and every hour row
 * lands in exactly one period (the one whose [start, end) holds its start).
 */
import { InternalError } from '../errors.js';
import type { AggregateBucket, GroupDimension, LedgerFilter } from './types.js';

const HOUR_S = 3600;
const DAY_S = 86_400;
/** Stand-ins for an open-ended range, far outside any real hour yet exact in JSON and SQLite. */
const MIN_EPOCH_S = -(2 ** 46);
const MAX_EPOCH_S = 2 ** 46;
/**
 * Per-connection temp tables mapping a day / hour to its period index, filled before each
 * aggregate. A real INTEGER PRIMARY KEY makes the lookup a seek (a CTE would be scanned per row).
 */
export const DAY_MAP_TABLE = 'aggregate_day_map';
/** See DAY_MAP_TABLE. */
export const HOUR_MAP_TABLE = 'aggregate_hour_map';
/** SQL creating both map tables in the connection's temp schema (writable even read-only). */
export const CREATE_MAP_TABLES_SQL = `
  CREATE TEMP TABLE IF NOT EXISTS ${DAY_MAP_TABLE} (day INTEGER PRIMARY KEY, bucket INTEGER NOT NULL);
  CREATE TEMP TABLE IF NOT EXISTS ${HOUR_MAP_TABLE} (hour INTEGER PRIMARY KEY, bucket INTEGER NOT NULL);`;
/** Days and hour masks travel to the hour-union aggregate packed as day index × 2^24 + mask. */
export const DAY_MASK_FACTOR = 16_777_216;

/** A contiguous [start, end) range in epoch seconds. */
type Segment = [start: number, end: number];

/** Where each part of the requested periods is read from, and which period it belongs to. */
export interface BucketPlan {
  /** Period labels by index, in start order; `[null]` for a single unlabelled period. */
  labels: Array<string | null>;
  /** Merged ranges of whole UTC days to read from the daily rollup. */
  daySegments: Segment[];
  /** Day → period index (for DAY_MAP_TABLE), or null when every day belongs to `dayBucket`. */
  dayMap: Array<[day: number, bucket: number]> | null;
  dayBucket: number;
  /** Merged ranges of hours to read from the hourly rows. */
  hourSegments: Segment[];
  /** Hour → period index (for HOUR_MAP_TABLE), or null when every hour belongs to `hourBucket`. */
  hourMap: Array<[hour: number, bucket: number]> | null;
  hourBucket: number;
}

function ceilTo(valueS: number, stepS: number): number {
  return Number.isFinite(valueS) ? Math.ceil(valueS / stepS) * stepS : valueS;
}

function floorTo(valueS: number, stepS: number): number {
  return Number.isFinite(valueS) ? Math.floor(valueS / stepS) * stepS : valueS;
}

function clampEpoch(valueS: number): number {
  return Math.min(MAX_EPOCH_S, Math.max(MIN_EPOCH_S, valueS));
}

function epochSeconds(date: Date | undefined, fallback: number): number {
  if (date === undefined) return fallback;
  const ms = date.getTime();
  if (Number.isNaN(ms))
    throw new InternalError('Ledger query: an invalid Date was passed as a period bound.');
  return ms / 1000;
}

/** Merges touching [start, end) parts (already in start order) into as few ranges as possible. */
function mergeSegments(parts: ReadonlyArray<{ start: number; end: number }>): Segment[] {
  const merged: Segment[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last[1] === part.start) last[1] = part.end;
    else merged.push([part.start, part.end]);
  }
  return merged.map(([start, end]) => [clampEpoch(start), clampEpoch(end)]);
}

function enumerate(
  parts: ReadonlyArray<{ start: number; end: number; bucket: number }>,
  stepS: number,
): Array<[number, number]> {
  const entries: Array<[number, number]> = [];
  for (const part of parts) {
    for (let at = part.start; at < part.end; at += stepS) entries.push([at, part.bucket]);
  }
  return entries;
}

/**
 * Splits the requested periods (intersected with the filter's from/to) into rollup days and
 * hourly edges. Buckets must not overlap; they are reported in start order.
 */
export function planBuckets(
  filter: LedgerFilter,
  buckets: readonly AggregateBucket[] | null | undefined,
): BucketPlan {
  const fromS = epochSeconds(filter.from, -Infinity);
  const toS = epochSeconds(filter.to, Infinity);
  const sorted =
    buckets === undefined || buckets === null
      ? undefined
      : [...buckets].sort((a, b) => a.start.getTime() - b.start.getTime());
  sorted?.forEach((bucket, index) => {
    const before = sorted[index - 1];
    if (before !== undefined && bucket.start.getTime() < before.end.getTime()) {
      throw new InternalError(`Ledger query: periods ${before.label} and ${bucket.label} overlap.`);
    }
  });
  const periods: Array<{ label: string | null; startS: number; endS: number }> =
    sorted === undefined
      ? [{ label: null, startS: fromS, endS: toS }]
      : sorted.map((bucket) => ({
          label: bucket.label,
          startS: Math.max(epochSeconds(bucket.start, NaN), fromS),
          endS: Math.min(epochSeconds(bucket.end, NaN), toS),
        }));

  const dayParts: Array<{ start: number; end: number; bucket: number }> = [];
  const hourParts: Array<{ start: number; end: number; bucket: number }> = [];
  periods.forEach((period, bucket) => {
    // An hour row belongs to the period when start <= hour < end; on whole hours that is
    // [ceil(start), ceil(end)).
    const firstHourS = ceilTo(period.startS, HOUR_S);
    const endHourS = ceilTo(period.endS, HOUR_S);
    if (!(firstHourS < endHourS)) return;
    const firstDayS = ceilTo(firstHourS, DAY_S);
    const endDayS = floorTo(endHourS, DAY_S);
    if (firstDayS < endDayS) {
      if (firstHourS < firstDayS) hourParts.push({ start: firstHourS, end: firstDayS, bucket });
      dayParts.push({ start: firstDayS, end: endDayS, bucket });
      if (endDayS < endHourS) hourParts.push({ start: endDayS, end: endHourS, bucket });
    } else {
      hourParts.push({ start: firstHourS, end: endHourS, bucket });
    }
  });
  hourParts.sort((a, b) => a.start - b.start);

  const dayBuckets = new Set(dayParts.map((part) => part.bucket));
  const hourBuckets = new Set(hourParts.map((part) => part.bucket));
  return {
    labels: periods.map((period) => period.label),
    daySegments: mergeSegments(dayParts),
    // Several periods: a day/hour → period lookup. One period: a constant, so open-ended ranges
    // never have to be enumerated.
    dayMap: dayBuckets.size > 1 ? enumerate(dayParts, DAY_S) : null,
    dayBucket: dayParts[0]?.bucket ?? 0,
    hourSegments: mergeSegments(hourParts),
    hourMap: hourBuckets.size > 1 ? enumerate(hourParts, HOUR_S) : null,
    hourBucket: hourParts[0]?.bucket ?? 0,
  };
}

/** SQL for the group key of a dimension, over `entities e` and `label_sets l`. */
export function groupExpression(groupBy: GroupDimension): string {
  switch (groupBy) {
    case 'none':
      return 'NULL';
    case 'cluster':
      return 'e.cluster';
    case 'entity':
      return 'e.entity_key';
    case 'namespace':
    case 'project':
    case 'machine':
    case 'owner':
    case 'host':
    case 'pod':
      return `l.${groupBy}`;
    case 'workload':
      return "CASE WHEN l.workload IS NULL THEN NULL ELSE coalesce(l.namespace, '') || '/' || l.workload END";
    case 'group':
      // Ada's group is `{project}_{machine}`; a host with neither label has no group.
      return "CASE WHEN l.project IS NULL AND l.machine IS NULL THEN NULL ELSE coalesce(l.project, '') || '_' || coalesce(l.machine, '') END";
  }
}

/** WHERE terms (with named parameters) for the label/entity part of a filter. */
export function filterConditions(filter: LedgerFilter): {
  conditions: string[];
  params: Record<string, string>;
} {
  const conditions: string[] = [];
  const params: Record<string, string> = {};
  const equal = (key: keyof LedgerFilter, column: string): void => {
    const value = filter[key];
    if (typeof value !== 'string') return;
    conditions.push(`${column} = @f_${key}`);
    params[`f_${key}`] = value;
  };
  equal('cluster', 'e.cluster');
  equal('source', 'e.source');
  equal('owner', 'l.owner');
  equal('project', 'l.project');
  equal('machine', 'l.machine');
  equal('namespace', 'l.namespace');
  equal('host', 'l.host');
  equal('pod', 'l.pod');
  if (filter.group !== undefined) {
    conditions.push(`${groupExpression('group')} = @f_group`);
    params.f_group = filter.group;
  }
  if (filter.workload !== undefined) {
    conditions.push(`(l.workload = @f_workload OR ${groupExpression('workload')} = @f_workload)`);
    params.f_workload = filter.workload;
  }
  return { conditions, params };
}

/** Common table expressions turning the plan's segments (JSON parameters) into rows. */
const DAY_SEGMENTS_CTE =
  'day_seg(s, e) AS (SELECT value ->> 0, value ->> 1 FROM json_each(@day_segments))';
const HOUR_SEGMENTS_CTE =
  'hour_seg(s, e) AS (SELECT value ->> 0, value ->> 1 FROM json_each(@hour_segments))';

/**
 * FROM clause over the daily rollup rows (`d`) of the day segments, with their entity (`e`) and
 * labels (`l`). CROSS JOIN fixes the loop order: per range, per entity, one primary-key seek.
 */
function dayRowsFrom(join: string, where: string): string {
  return `FROM day_seg s CROSS JOIN entities e
        CROSS JOIN entity_days d ON d.entity_id = e.id AND d.day >= s.s AND d.day < s.e
        CROSS JOIN label_sets l ON l.id = d.label_set_id
        ${join}
      ${where}`;
}

/** FROM clause over the hour rows (`h`) of the hour segments; see dayRowsFrom. */
function hourRowsFrom(join: string, where: string): string {
  return `FROM hour_seg s CROSS JOIN entities e
        CROSS JOIN entity_hours h ON h.entity_id = e.id AND h.hour >= s.s AND h.hour < s.e
        CROSS JOIN label_sets l ON l.id = h.label_set_id
        ${join}
      ${where}`;
}

/**
 * The aggregate statement and its parameters for a plan; null when the plan reads nothing.
 * The caller fills the map tables from `plan.dayMap` / `plan.hourMap` first.
 */
export function buildAggregateSql(
  plan: BucketPlan,
  groupBy: GroupDimension,
  filter: LedgerFilter,
  measures: 'all' | 'counts' = 'all',
): { sql: string; params: Record<string, string | number> } | null {
  const { conditions, params: filterParams } = filterConditions(filter);
  const params: Record<string, string | number> = { ...filterParams };
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const group = groupExpression(groupBy);
  const workloadKind = groupBy === 'workload' ? 'l.workload_kind' : 'NULL';
  const ctes: string[] = [];
  const parts: string[] = [];

  if (plan.daySegments.length > 0) {
    params.day_segments = JSON.stringify(plan.daySegments);
    ctes.push(DAY_SEGMENTS_CTE);
    let bucket = '@day_bucket';
    let join = '';
    if (plan.dayMap === null) params.day_bucket = plan.dayBucket;
    else {
      bucket = 'm.bucket';
      join = `CROSS JOIN temp.${DAY_MAP_TABLE} m ON m.day = d.day`;
    }
    parts.push(`SELECT ${bucket} AS bucket, ${group} AS grp, ${workloadKind} AS wk, d.entity_id AS entity_id,
        d.provenance_id AS provenance_id, (d.day / ${DAY_S}) * ${DAY_MASK_FACTOR} + d.hour_mask AS day_mask,
        d.row_count AS n, d.estimated_rows AS est, d.busy_s AS busy_s, d.idle_s AS idle_s,
        d.memory_gib_h AS mem, d.coverage_sum AS cov, d.energy_it_kwh AS eit, d.energy_kwh AS en,
        d.scope2_location_g AS s2l, d.scope2_market_g AS s2m, d.scope3_g AS s3, d.cost AS cost,
        d.intensity_weighted_sum AS iw
      ${dayRowsFrom(join, where)}`);
  }
  if (plan.hourSegments.length > 0) {
    params.hour_segments = JSON.stringify(plan.hourSegments);
    ctes.push(HOUR_SEGMENTS_CTE);
    let bucket = '@hour_bucket';
    let join = '';
    if (plan.hourMap === null) params.hour_bucket = plan.hourBucket;
    else {
      bucket = 'm.bucket';
      join = `CROSS JOIN temp.${HOUR_MAP_TABLE} m ON m.hour = h.hour`;
    }
    parts.push(`SELECT ${bucket} AS bucket, ${group} AS grp, ${workloadKind} AS wk, h.entity_id AS entity_id,
        h.provenance_id AS provenance_id,
        (h.hour / ${DAY_S}) * ${DAY_MASK_FACTOR} + (1 << ((h.hour % ${DAY_S}) / ${HOUR_S})) AS day_mask,
        1 AS n, h.is_estimated AS est, h.busy_s AS busy_s, h.idle_s AS idle_s,
        h.memory_gib_h AS mem, h.coverage AS cov, h.energy_it_kwh AS eit, h.energy_kwh AS en,
        h.scope2_location_g AS s2l, h.scope2_market_g AS s2m, h.scope3_g AS s3, h.cost AS cost,
        h.energy_kwh * h.intensity_g_per_kwh AS iw
      ${hourRowsFrom(join, where)}`);
  }
  if (parts.length === 0) return null;

  // `counts` skips the sums for countRows / entityCount (about half the time of `all`).
  const select =
    measures === 'counts'
      ? 'sum(n) AS row_count, count(DISTINCT entity_id) AS entity_count'
      : `min(wk) AS wk, count(DISTINCT entity_id) AS entity_count,
      carbonctl_distinct_hours(day_mask) AS hours, sum(n) AS row_count, sum(est) AS estimated_rows,
      total(busy_s) AS busy_s, total(idle_s) AS idle_s, total(mem) AS memory_gib_h,
      total(cov) AS coverage_sum, total(eit) AS energy_it_kwh, total(en) AS energy_kwh,
      total(s2l) AS scope2_location_g, total(s2m) AS scope2_market_g, total(s3) AS scope3_g,
      total(cost) AS cost, total(iw) AS intensity_weighted_sum,
      group_concat(DISTINCT provenance_id) AS provenance_ids`;
  const sql = `WITH ${ctes.join(',\n')},
    parts AS (${parts.join('\nUNION ALL\n')})
    SELECT bucket, grp, ${select}
    FROM parts
    GROUP BY bucket, grp
    ORDER BY bucket, grp`;
  return { sql, params };
}

/** The `provenance` columns a provenance summary reports, in output order (also its sort order). */
export const PROVENANCE_SUMMARY_COLUMNS = [
  'intensity_provider',
  'intensity_kind',
  'region',
  'power_profile',
  'busy_watts_per_core',
  'idle_watts_per_core',
  'memory_watts_per_gib',
  'pue',
  'embodied_g_per_core_hour',
  'market_factor_g_per_kwh',
  'currency',
  'methodology_version',
] as const;

/**
 * The statement listing the distinct provenance of the rows a filter selects, with the
 * entity-hours and kWh each covers; null when the range is empty. Whole UTC days come from the
 * daily rollup (one row per entity-day and provenance), so a year of 1,000 entities reads ~365 k
 * rollup rows rather than 8.76 M hour rows. Provenance rows differing only in estimation flags
 * are merged: the summary describes factors and sources, and the rows carry their own flags.
 */
export function buildProvenanceSql(
  filter: LedgerFilter,
): { sql: string; params: Record<string, string | number> } | null {
  const plan = planBuckets(filter, undefined);
  const { conditions, params: filterParams } = filterConditions(filter);
  const params: Record<string, string | number> = { ...filterParams };
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const ctes: string[] = [];
  const parts: string[] = [];
  if (plan.daySegments.length > 0) {
    params.day_segments = JSON.stringify(plan.daySegments);
    ctes.push(DAY_SEGMENTS_CTE);
    parts.push(`SELECT d.provenance_id AS pid, d.row_count AS n, d.energy_kwh AS en
      ${dayRowsFrom('', where)}`);
  }
  if (plan.hourSegments.length > 0) {
    params.hour_segments = JSON.stringify(plan.hourSegments);
    ctes.push(HOUR_SEGMENTS_CTE);
    parts.push(`SELECT h.provenance_id AS pid, 1 AS n, h.energy_kwh AS en
      ${hourRowsFrom('', where)}`);
  }
  if (parts.length === 0) return null;
  const columns = PROVENANCE_SUMMARY_COLUMNS.map((column) => `p.${column}`).join(', ');
  // Summing per id first keeps the join to `provenance` to one lookup per distinct id.
  const sql = `WITH ${ctes.join(',\n')},
    parts AS (${parts.join('\nUNION ALL\n')}),
    used AS (SELECT pid, sum(n) AS n, total(en) AS en FROM parts GROUP BY pid)
    SELECT ${columns}, sum(u.n) AS entity_hours, total(u.en) AS energy_kwh
    FROM used u CROSS JOIN provenance p ON p.id = u.pid
    GROUP BY ${columns}
    ORDER BY ${columns}`;
  return { sql, params };
}

/** State of the hour-union aggregate: day index → 24-bit mask of hours seen. */
export type DistinctHoursState = Map<number, number>;

/** Folds one packed (day, mask) into the union of hours seen for a group. */
export function addDayMask(state: DistinctHoursState, packed: number): DistinctHoursState {
  const day = Math.floor(packed / DAY_MASK_FACTOR);
  const mask = packed - day * DAY_MASK_FACTOR;
  state.set(day, (state.get(day) ?? 0) | mask);
  return state;
}

/** Number of distinct hours in a union of day masks. */
export function countDistinctHours(state: DistinctHoursState): number {
  let hours = 0;
  for (let mask of state.values()) {
    while (mask !== 0) {
      mask &= mask - 1;
      hours++;
    }
  }
  return hours;
}

/** `carbonctl usage`: one row per group with CPU hours, kWh, gCO2e and cost, and the totals (SPEC §6). */
import type { Context } from '../../context.js';
import {
  changePercent,
  comparisonRange,
  pairGroups,
  type CompareMode,
  type ComparisonStatus,
} from '../../core/compare.js';
import { topEquivalencies, type EquivalencyValue } from '../../core/equivalencies.js';
import { formatOffsetIso, type TimeRange } from '../../core/periods.js';
import { formatChangePercent } from '../../output/format.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { Column } from '../../output/table.js';
import type { AggregateRow, Ledger, LedgerFilter } from '../../store/types.js';
import {
  describeFilters,
  ledgerFilterFrom,
  openReadLedger,
  periodSelectorFrom,
  readerSettings,
  resolveReaderPeriod,
} from '../shared/ledger.js';
import type { Invocation } from '../spec.js';
import { USAGE_OPTIONS, type USAGE_DIMENSIONS, type USAGE_SORTS } from './index.js';

/** A `--by` dimension. */
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];
/** A `--sort` measure. */
export type UsageSort = (typeof USAGE_SORTS)[number];

/** One row of the JSON contract; the dimension's own key (`owner`, `namespace`, …) is added per row. */
export interface UsageRow {
  [dimension: string]: string | number | null;
  entity_count: number;
  cpu_busy_core_hours: number;
  cpu_idle_core_hours: number;
  energy_kwh: number;
  carbon_gco2eq: number;
  cost: number | null;
}

/** The columns `--compare` adds to a row: the other period's figures and the change. */
export interface UsageComparedRow extends UsageRow {
  previous_entity_count: number;
  previous_energy_kwh: number;
  previous_carbon_gco2eq: number;
  previous_cost: number | null;
  /** Change of carbon_gco2eq in percent; null for a new group (nothing before). */
  change_percent: number | null;
  /** `new` (no usage before), `vanished` (none now), `continuing`. */
  status: ComparisonStatus;
}

/** What `--compare` adds at the top level: the other period and its totals. */
export interface UsageComparison {
  mode: CompareMode;
  period: { from: string; to: string };
  workspace_count: number;
  total_energy_kwh: number;
  total_carbon_gco2eq: number;
  total_cost: number | null;
  /** Change of total_carbon_gco2eq in percent; null when the other period had none. */
  change_percent: number | null;
}

/** The Ada-shaped summary of SPEC §6, plus the period and dimension it covers. */
export interface UsageData {
  by: UsageDimension;
  period: { from: string; to: string };
  timezone: string;
  filters: Record<string, string>;
  workspace_count: number;
  /** Ada's `complete_count`: entities (hosts, pods) none of whose hours in the period is estimated. */
  complete_count: number;
  /** Groups before `--top` cut the list. */
  group_count: number;
  total_cpu_seconds: { busy_seconds: number; idle_seconds: number; total_seconds: number };
  total_energy_kwh: number;
  total_carbon_gco2eq: number;
  total_cost: number | null;
  currency: string;
  /** Ada's wrapper, as `equivalencies -o json`: `{total_gco2eq, top_equivalencies}`. */
  carbon_equivalencies: {
    total_gco2eq: number;
    top_equivalencies: Record<string, Omit<EquivalencyValue, 'key'>>;
  };
  rows: UsageRow[];
  /** Only with `--compare`; the rows are then UsageComparedRow, vanished groups included. */
  comparison?: UsageComparison;
}

/** Validated inputs of `usage`. */
export interface UsageOptions {
  by: UsageDimension | null;
  range: TimeRange;
  filter: LedgerFilter;
  top: number | null;
  sort: UsageSort;
  zone: string;
  currency: string;
  compare: CompareMode | null;
  /** `--by tag`: each host's inventory tag (workspaces.inventory). */
  tags?: ReadonlyMap<string, string>;
}

/**
 * The ledger's rows for a dimension. `tag` is not booked in the ledger: it comes from the
 * inventory, so hosts' rows are summed per tag (hosts without one, and pods, under null).
 */
function groupedRows(
  ledger: Ledger,
  filter: LedgerFilter,
  by: UsageDimension,
  tags: ReadonlyMap<string, string> | undefined,
): AggregateRow[] {
  if (by !== 'tag') return ledger.aggregate({ filter, groupBy: by });
  const merged = new Map<string | null, AggregateRow>();
  for (const row of ledger.aggregate({ filter, groupBy: 'host' })) {
    const tag = row.group === null ? null : (tags?.get(row.group) ?? null);
    const into = merged.get(tag);
    if (into === undefined) {
      merged.set(tag, { ...row, group: tag });
      continue;
    }
    into.entityCount += row.entityCount;
    into.busySeconds += row.busySeconds;
    into.idleSeconds += row.idleSeconds;
    into.memoryGiBHours += row.memoryGiBHours;
    into.energyItKwh += row.energyItKwh;
    into.energyKwh += row.energyKwh;
    into.scope2LocationGrams += row.scope2LocationGrams;
    into.scope2MarketGrams += row.scope2MarketGrams;
    into.scope3Grams += row.scope3Grams;
    into.cost += row.cost;
    into.rowCount += row.rowCount;
    into.intensityWeightedSum += row.intensityWeightedSum;
    into.coverageSum += row.coverageSum;
    into.estimatedRows += row.estimatedRows;
    into.hours = Math.max(into.hours, row.hours);
    if (into.currency !== row.currency) into.currency = null;
  }
  return [...merged.values()];
}

/**
 * The default dimension when `--by` is absent: owner for workspaces (Ada's per-user summary),
 * namespace when the selection holds only Kubernetes data (GreenKube's by-namespace view).
 */
export function defaultDimension(ledger: Ledger, filter: LedgerFilter): UsageDimension {
  const pods = ledger.entityCount({ ...filter, source: 'pods' });
  const nodes = ledger.entityCount({ ...filter, source: 'nodes' });
  return pods > 0 && nodes === 0 ? 'namespace' : 'owner';
}

const SORT_KEY: Record<UsageSort, (row: UsageRow) => number> = {
  co2: (row) => row.carbon_gco2eq,
  energy: (row) => row.energy_kwh,
  cost: (row) => row.cost ?? 0,
};

function usageRow(by: UsageDimension, aggregate: AggregateRow): UsageRow {
  const row: UsageRow = {
    [by]: aggregate.group,
    entity_count: aggregate.entityCount,
    cpu_busy_core_hours: aggregate.busySeconds / 3600,
    cpu_idle_core_hours: aggregate.idleSeconds / 3600,
    energy_kwh: aggregate.energyKwh,
    carbon_gco2eq: aggregate.scope2LocationGrams,
    cost: aggregate.currency === null ? null : aggregate.cost,
  };
  if (by === 'workload') {
    // Keep the dimension first, then its kind, as in the report's columns.
    return { workload: aggregate.group, workload_kind: aggregate.workloadKind ?? null, ...row };
  }
  return row;
}

/** Reads the ledger and builds the summary. */
export function run(options: UsageOptions, ledger: Ledger): UsageData {
  const filter: LedgerFilter = {
    ...options.filter,
    from: options.range.from,
    to: options.range.to,
  };
  const by = options.by ?? defaultDimension(ledger, filter);
  const totals = ledger.aggregate({ filter, groupBy: 'none' })[0] ?? null;
  const current = groupedRows(ledger, filter, by, options.tags);
  let rows: UsageRow[] = current.map((aggregate) => usageRow(by, aggregate));
  let comparison: UsageComparison | undefined;
  if (options.compare !== null) {
    const range = comparisonRange(options.range, options.zone, options.compare);
    const previousFilter: LedgerFilter = { ...options.filter, from: range.from, to: range.to };
    const previousTotals = ledger.aggregate({ filter: previousFilter, groupBy: 'none' })[0] ?? null;
    const paired = pairGroups(
      current.map((aggregate) => ({ key: aggregate.group, value: aggregate })),
      groupedRows(ledger, previousFilter, by, options.tags).map((aggregate) => ({
        key: aggregate.group,
        value: aggregate,
      })),
    );
    rows = paired.map((pair) => comparedRow(by, pair.current, pair.previous, pair.status));
    const previousCarbon = previousTotals?.scope2LocationGrams ?? 0;
    comparison = {
      mode: options.compare,
      period: {
        from: formatOffsetIso(range.from, options.zone),
        to: formatOffsetIso(range.to, options.zone),
      },
      workspace_count: previousTotals?.entityCount ?? 0,
      total_energy_kwh: previousTotals?.energyKwh ?? 0,
      total_carbon_gco2eq: previousCarbon,
      total_cost: costOf(previousTotals),
      change_percent: changePercent(totals?.scope2LocationGrams ?? 0, previousCarbon),
    };
  }
  const sortKey = SORT_KEY[options.sort];
  // Largest first; ties by the group's name so the order never depends on the ledger's.
  rows.sort((a, b) => sortKey(b) - sortKey(a) || compareGroups(a[by], b[by]));
  const busySeconds = totals?.busySeconds ?? 0;
  const idleSeconds = totals?.idleSeconds ?? 0;
  const carbonGrams = totals?.scope2LocationGrams ?? 0;
  const top: UsageData['carbon_equivalencies']['top_equivalencies'] = {};
  if (carbonGrams > 0) {
    for (const { key, ...rest } of topEquivalencies(carbonGrams, 3)) top[key] = rest;
  }
  const equivalencies = { total_gco2eq: carbonGrams, top_equivalencies: top };
  // Entities (hosts, pods) whose every hour in the period was measured, not estimated.
  const completeCount = ledger
    .aggregate({ filter, groupBy: 'entity' })
    .filter((row) => row.estimationReasons.length === 0)
    .reduce((count, row) => count + row.entityCount, 0);
  return {
    by,
    period: {
      from: formatOffsetIso(options.range.from, options.zone),
      to: formatOffsetIso(options.range.to, options.zone),
    },
    timezone: options.zone,
    filters: describeFilters(options.filter),
    workspace_count: totals?.entityCount ?? 0,
    complete_count: completeCount,
    group_count: rows.length,
    total_cpu_seconds: {
      busy_seconds: busySeconds,
      idle_seconds: idleSeconds,
      total_seconds: busySeconds + idleSeconds,
    },
    total_energy_kwh: totals?.energyKwh ?? 0,
    total_carbon_gco2eq: carbonGrams,
    total_cost: totals === null ? 0 : totals.currency === null ? null : totals.cost,
    currency: totals?.currency ?? options.currency,
    carbon_equivalencies: equivalencies,
    rows: options.top === null ? rows : rows.slice(0, options.top),
    ...(comparison === undefined ? {} : { comparison }),
  };
}

function costOf(aggregate: AggregateRow | null): number | null {
  return aggregate === null ? 0 : aggregate.currency === null ? null : aggregate.cost;
}

/** A row with the other period's figures; a vanished group has zeros now. */
function comparedRow(
  by: UsageDimension,
  current: AggregateRow | null,
  previous: AggregateRow | null,
  status: ComparisonStatus,
): UsageComparedRow {
  const base = current ?? previous;
  if (base === null) throw new Error('usage: a compared group has neither period'); // pairGroups never does this
  const row = usageRow(by, base);
  if (current === null) {
    Object.assign(row, {
      entity_count: 0,
      cpu_busy_core_hours: 0,
      cpu_idle_core_hours: 0,
      energy_kwh: 0,
      carbon_gco2eq: 0,
      cost: 0,
    });
  }
  const previousCarbon = previous?.scope2LocationGrams ?? 0;
  return {
    ...row,
    previous_entity_count: previous?.entityCount ?? 0,
    previous_energy_kwh: previous?.energyKwh ?? 0,
    previous_carbon_gco2eq: previousCarbon,
    previous_cost: costOf(previous),
    change_percent: changePercent(row.carbon_gco2eq, previousCarbon),
    status,
  };
}

function compareGroups(a: unknown, b: unknown): number {
  const left = typeof a === 'string' ? a : '';
  const right = typeof b === 'string' ? b : '';
  return left < right ? -1 : left > right ? 1 : 0;
}

function columns(data: UsageData): Column[] {
  return [
    { key: data.by, header: data.by },
    ...(data.by === 'workload' ? [{ key: 'workload_kind', header: 'kind' }] : []),
    ...(data.by === 'owner' && data.rows.some((row) => 'name' in row)
      ? [{ key: 'name', header: 'name' }]
      : []),
    { key: 'entity_count', header: 'entities', kind: 'number' as const },
    { key: 'cpu_busy_core_hours', header: 'busy CPU (core-h)', kind: 'number' as const },
    { key: 'cpu_idle_core_hours', header: 'idle CPU (core-h)', kind: 'number' as const },
    { key: 'energy_kwh', header: 'energy (kWh)', kind: 'number' as const },
    { key: 'carbon_gco2eq', header: 'carbon (gCO2e)', kind: 'number' as const },
    { key: 'cost', header: `cost (${data.currency})`, kind: 'number' as const },
    ...(data.comparison === undefined
      ? []
      : [
          {
            key: 'previous_carbon_gco2eq',
            header: `${data.comparison.mode === 'year' ? 'year before' : 'before'} (gCO2e)`,
            kind: 'number' as const,
          },
          { key: 'change', header: 'change' },
        ]),
  ];
}

/** The change column for people: `+12.3%`, `new`, `vanished`. */
function changeCell(row: UsageRow): string {
  const compared = row as UsageComparedRow;
  if (compared.status === 'vanished') return 'vanished';
  return formatChangePercent(compared.change_percent);
}

/** Command entry: settings, options, run, and how to show the result. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const settings = await readerSettings(context, invocation, USAGE_OPTIONS);
  const zone = settings.timezone;
  const range = resolveReaderPeriod(periodSelectorFrom(invocation.opts), context.now(), zone, {
    thisMonth: true,
  });
  const options: UsageOptions = {
    compare: (invocation.opts.compare as CompareMode | undefined) ?? null,
    by: (invocation.opts.by as UsageDimension | undefined) ?? null,
    range,
    filter: ledgerFilterFrom(invocation.opts),
    top: (invocation.opts.top as number | undefined) ?? null,
    sort: (invocation.opts.sort as UsageSort | undefined) ?? 'co2',
    zone,
    currency: settings.cost.currency,
  };
  if (options.by === 'tag') {
    const { clusterInventories } = await import('../workspaces/collect.js');
    const tags = new Map<string, string>();
    for (const inventory of (await clusterInventories(settings)).values())
      for (const [host, entry] of inventory)
        if (entry.tag !== null && !tags.has(host)) tags.set(host, entry.tag);
    options.tags = tags;
  }
  const ledger = openReadLedger(context, settings);
  const data = run(options, ledger);
  if (data.by === 'owner' && settings.people !== null) {
    // Show-back: the people file's display name and address beside each owner id.
    const { readPeople } = await import('../../config/people.js');
    const people = readPeople(settings.people);
    data.rows = data.rows.map((row) => {
      const person = typeof row.owner === 'string' ? people.get(row.owner) : undefined;
      const { owner, ...rest } = row;
      return {
        owner: owner ?? null,
        name: person?.name ?? null,
        email: person?.email ?? null,
        ...rest,
      };
    });
  }
  if (data.workspace_count === 0) {
    context.io.notice(
      `No usage in the ledger for ${data.period.from} → ${data.period.to} (${zone}) with this selection.`,
    );
  }
  // Ada's per-workspace rows for scripts (-o json); tables and CSV keep the flat rows.
  let jsonData: unknown = data;
  if (invocation.opts.shape === 'ada') {
    if (data.by !== 'host') {
      throw new UsageError('--shape ada is the per-workspace shape: it needs --by host', {
        hint: 'e.g. carbonctl usage --by host --owner aa123456 --shape ada -o json',
      });
    }
    const { adaWorkspaceRows } = await import('./ada-shape.js');
    const adaRows = adaWorkspaceRows(ledger, {
      ...options.filter,
      from: options.range.from,
      to: options.range.to,
    });
    const order = new Map(data.rows.map((row, index) => [row.host, index]));
    adaRows.sort(
      (a, b) => (order.get(a.hostname) ?? Infinity) - (order.get(b.hostname) ?? Infinity),
    );
    jsonData = { ...data, rows: adaRows.filter((row) => order.has(row.hostname)) };
  }
  const tableRows = (): Array<Record<string, string | number | null>> =>
    data.rows.map((row) => ({
      ...row,
      [data.by]: row[data.by] ?? '(none)',
      ...(data.comparison === undefined ? {} : { change: changeCell(row) }),
    }));
  return {
    data: jsonData,
    csv: () => ({
      columns: [
        ...columns(data)
          .filter((c) => c.key !== 'change' && c.key !== 'previous_carbon_gco2eq')
          .map((c) => ({ ...c, header: c.key })),
        { key: 'currency', header: 'currency' },
        ...(data.comparison === undefined
          ? []
          : [
              'previous_entity_count',
              'previous_energy_kwh',
              'previous_carbon_gco2eq',
              'previous_cost',
              'change_percent',
              'status',
            ].map((key) => ({ key, header: key }))),
      ],
      rows: data.rows.map((row) => ({ ...row, currency: data.currency })),
    }),
    human: () => {
      if (data.rows.length === 0) return [];
      const footer = {
        [data.by]:
          data.rows.length < data.group_count ? `total (all ${data.group_count})` : 'total',
        entity_count: data.workspace_count,
        cpu_busy_core_hours: data.total_cpu_seconds.busy_seconds / 3600,
        cpu_idle_core_hours: data.total_cpu_seconds.idle_seconds / 3600,
        energy_kwh: data.total_energy_kwh,
        carbon_gco2eq: data.total_carbon_gco2eq,
        cost: data.total_cost,
        ...(data.comparison === undefined
          ? {}
          : {
              previous_carbon_gco2eq: data.comparison.total_carbon_gco2eq,
              change: formatChangePercent(data.comparison.change_percent),
            }),
      };
      const equivalencyLines = Object.values(data.carbon_equivalencies.top_equivalencies).map(
        (e) => `  ≈ ${formatEquivalency(e.value)} ${e.description}`,
      );
      return [
        {
          table: {
            title:
              `Usage by ${data.by}, ${data.period.from} → ${data.period.to} (${data.timezone})` +
              (data.comparison === undefined
                ? ''
                : `, compared with ${data.comparison.period.from} → ${data.comparison.period.to}`),
            columns: columns(data),
            rows: tableRows(),
            footer,
          },
        },
        ...(equivalencyLines.length > 0
          ? [{ text: `That is about:\n${equivalencyLines.join('\n')}\n` }]
          : []),
      ];
    },
  };
}

function formatEquivalency(value: number): string {
  return value >= 100
    ? Math.round(value).toLocaleString('en-US')
    : Number(value.toPrecision(3)).toString();
}

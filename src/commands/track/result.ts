/**
 * What `track` prints: the tracked entities with their totals (SPEC §5, Ada's JSON shape), each
 * cluster's status and coverage, money per currency, and the exit that --strict or a failed
 * cluster calls for. Built from what the accounting pipeline handed to track's ledger sink.
 */
import type { Context } from '../../context.js';
import { outcomeStatus, type ClusterOutcome } from '../../accounting/clusters.js';
import { MeterQuality, type PricedHour } from '../../accounting/meter.js';
import {
  addToFootprintTotal,
  emptyFootprintTotal,
  type FootprintTotal,
} from '../../core/methodology.js';
import type { EntityHourUsage, UsageSource } from '../../core/usage.js';
import { IncompleteDataError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';

/** What track reports per entity over the window. */
export interface EntityTotal {
  cluster: string;
  source: UsageSource;
  entityId: string;
  labels: EntityHourUsage['labels'];
  currency: string;
  total: FootprintTotal;
  hours: number;
  estimated: boolean;
}

/** Result of tracking one cluster/source. */
export interface ClusterRun {
  cluster: string;
  source: UsageSource;
  from: Date;
  to: Date;
  quality: MeterQuality;
  rowsWritten: number;
  upToDate: boolean;
}

/** Everything a run tracked, for the result. */
export interface TrackOutcome {
  runs: ClusterRun[];
  outcomes: ReadonlyArray<ClusterOutcome<ClusterRun>>;
  totals: ReadonlyMap<string, EntityTotal>;
  failed: Error | undefined;
  /** The flags that shape the result. */
  options: { dryRun: boolean; strict: boolean };
  /** The configured currency, for a table with no rows. */
  currency: string;
}

/** The command result of a track run. */
export function trackResult(context: Context, outcome: TrackOutcome): CommandResult {
  const { runs, outcomes, totals, failed, options } = outcome;
  const entities = [...totals.values()].sort(
    (a, b) =>
      b.total.scope2LocationGrams - a.total.scope2LocationGrams ||
      a.entityId.localeCompare(b.entityId),
  );
  const quality = new MeterQuality();
  for (const run of runs) quality.merge(run.quality);
  const coveragePercent = quality.coveragePercent;
  const gaps = quality.gaps();
  if (entities.length === 0 && runs.length > 0 && runs.every((r) => !r.upToDate))
    context.io.notice('No usage samples in that window.');
  if (options.dryRun) context.io.info('Dry run: nothing was written to the ledger.');

  const currencies = [...new Set(entities.map((e) => e.currency))].sort();
  const costByCurrency: Record<string, number> = {};
  for (const entity of entities)
    costByCurrency[entity.currency] = (costByCurrency[entity.currency] ?? 0) + entity.total.cost;
  const from = runs.length ? new Date(Math.min(...runs.map((r) => r.from.getTime()))) : null;
  const to = runs.length ? new Date(Math.max(...runs.map((r) => r.to.getTime()))) : null;
  const pods = entities.some((e) => e.source === 'pods');
  const data = {
    tracked_count: entities.length,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    coverage_percent: coveragePercent,
    // Scrape samples present of those expected between each series' first and last sample.
    samples: { present: quality.sampledSteps, expected: quality.expectedSteps },
    interpolated_entity_hours: quality.interpolatedEntityHours,
    dry_run: options.dryRun,
    totals: {
      energy_kwh: entities.reduce((sum, e) => sum + e.total.energyKwh, 0),
      carbon_gco2eq: entities.reduce((sum, e) => sum + e.total.scope2LocationGrams, 0),
      // Money is totalled per currency: two currencies are never added.
      cost_by_currency: costByCurrency,
    },
    clusters: outcomes.map((outcome) => {
      const run = outcome.ok ? outcome.value : null;
      return {
        cluster: outcome.cluster.name,
        ...outcomeStatus(outcome),
        source: run?.source ?? null,
        from: run?.from.toISOString() ?? null,
        to: run?.to.toISOString() ?? null,
        rows: run?.rowsWritten ?? 0,
        hours_with_data: run?.quality.hoursWithData ?? 0,
        coverage_percent: run === null ? null : run.quality.coveragePercent,
        interpolated_entity_hours: run?.quality.interpolatedEntityHours ?? 0,
        up_to_date: run?.upToDate ?? false,
      };
    }),
    [pods && !entities.some((e) => e.source === 'nodes') ? 'pods' : 'workspaces']: entities.map(
      (e) => ({
        ...(e.source === 'nodes'
          ? {
              workspace_id: e.entityId,
              hostname: e.labels.host ?? e.entityId,
              owner: e.labels.owner ?? null,
              project: e.labels.project ?? null,
              machine: e.labels.machine ?? null,
            }
          : {
              namespace: e.labels.namespace ?? null,
              workload: e.labels.workload ?? null,
              workload_kind: e.labels.workloadKind ?? null,
              pod: e.labels.pod ?? e.entityId,
            }),
        cluster: e.cluster,
        cpu_usage: {
          busy_seconds: e.total.busySeconds,
          idle_seconds: e.total.idleSeconds,
          total_seconds: e.total.busySeconds + e.total.idleSeconds,
        },
        energy_kwh: { busy: e.total.busyKwh, idle: e.total.idleKwh, total: e.total.energyKwh },
        carbon_gco2eq: {
          busy: e.total.busyGrams,
          idle: e.total.idleGrams,
          total: e.total.scope2LocationGrams,
        },
        carbon_intensity_g_per_kwh:
          e.total.energyKwh > 0 ? e.total.scope2LocationGrams / e.total.energyKwh : null,
        cost: e.total.cost,
        currency: e.currency,
        status: e.estimated ? 'estimated' : 'tracked',
      }),
    ),
  };
  const strictFailure =
    options.strict && coveragePercent < 100
      ? new IncompleteDataError(
          `coverage ${coveragePercent.toFixed(1)}% is below 100% (--strict): ${gaps.join('; ')}`,
          {
            hint: 'Check the Prometheus retention and scrape gaps for those hours (and that clusters[].prometheus.scrapeIntervalSeconds matches the real scrape interval), or drop --strict.',
          },
        )
      : undefined;
  // A failed cluster outranks incomplete data: exit 3 naming it, after the healthy ones were tracked.
  const failure = failed ?? strictFailure;
  const singleCurrency = currencies.length <= 1;
  const table = (): TableData => ({
    columns: [
      { key: 'entity', header: pods ? 'Pod' : 'Host' },
      { key: 'group', header: pods ? 'Namespace/workload' : 'Project/machine/owner' },
      { key: 'busy', header: 'Busy CPU h', kind: 'number' },
      { key: 'idle', header: 'Idle CPU h', kind: 'number' },
      { key: 'kwh', header: 'kWh', kind: 'number' },
      { key: 'g', header: 'gCO2e', kind: 'number' },
      {
        key: 'cost',
        header: singleCurrency ? `Cost (${currencies[0] ?? outcome.currency})` : 'Cost',
        kind: 'number',
      },
      ...(singleCurrency ? [] : [{ key: 'currency', header: 'Currency' }]),
    ],
    rows: entities.map((e) => ({
      entity: e.source === 'pods' ? (e.labels.pod ?? e.entityId) : e.entityId,
      group:
        e.source === 'pods'
          ? `${e.labels.namespace ?? ''}/${e.labels.workload ?? ''}`
          : [e.labels.project, e.labels.machine, e.labels.owner].map((x) => x ?? '–').join('/'),
      busy: e.total.busySeconds / 3600,
      idle: e.total.idleSeconds / 3600,
      kwh: e.total.energyKwh,
      g: e.total.scope2LocationGrams,
      cost: e.total.cost,
      currency: e.currency,
    })),
  });
  return {
    data,
    csv: table,
    ...(failure ? { failure } : {}),
    human: (style) => {
      const t = table();
      const sum = (key: string): number =>
        t.rows.reduce((acc, row) => acc + (Number(row[key]) || 0), 0);
      return [
        {
          table: {
            ...t,
            footer: {
              entity: 'total',
              busy: sum('busy'),
              idle: sum('idle'),
              kwh: sum('kwh'),
              g: sum('g'),
              ...(singleCurrency ? { cost: sum('cost') } : {}),
            },
          },
        },
        {
          text: style.dim(
            [
              ...runs.map(
                (r) =>
                  `${r.cluster} (${r.source}): ${r.from.toISOString()} → ${r.to.toISOString()}, ${r.rowsWritten} entity-hours${options.dryRun ? ' (dry run)' : ''}`,
              ),
              ...outcomes
                .filter((outcome) => !outcome.ok)
                .map((outcome) => `${outcome.cluster.name}: failed (see above)`),
              ...(singleCurrency
                ? []
                : [
                    `cost: ${currencies.map((currency) => `${(costByCurrency[currency] ?? 0).toFixed(4)} ${currency}`).join(', ')} (currencies are never added)`,
                  ]),
              `coverage ${coveragePercent.toFixed(1)}%` +
                (quality.interpolatedEntityHours > 0
                  ? ` (${quality.interpolatedEntityHours} entity-hour(s) interpolated across missed scrapes, flagged gap_interpolated)`
                  : ''),
            ].join('\n') + '\n',
          ),
        },
      ];
    },
  };
}

/** Adds one priced entity-hour to its entity's totals. */
export function accumulate(totals: Map<string, EntityTotal>, hour: PricedHour): void {
  const row = hour.row;
  const key = `${row.cluster}\u0000${row.source}\u0000${row.entityId}`;
  let total = totals.get(key);
  if (!total) {
    total = {
      cluster: row.cluster,
      source: row.source,
      entityId: row.entityId,
      labels: row.labels,
      currency: row.currency,
      total: emptyFootprintTotal(),
      hours: 0,
      estimated: false,
    };
    totals.set(key, total);
  }
  addToFootprintTotal(
    total.total,
    {
      busySeconds: row.busySeconds,
      idleSeconds: row.idleSeconds,
      memoryGiBHours: row.memoryGiBHours,
    },
    hour.footprint,
  );
  total.hours += 1;
  total.estimated ||= row.isEstimated;
  total.labels = row.labels;
}

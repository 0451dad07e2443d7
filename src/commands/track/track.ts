/**
 * `carbonctl track`: for each cluster, fetch exact hourly usage chunk by chunk, price each
 * entity-hour with that hour's grid intensity, and commit each chunk atomically together with
 * the progress marker — so a re-run is idempotent and an interrupted run resumes.
 */
import type { Context } from '../../context.js';
import { failedClusters, forEachCluster, outcomeStatus } from '../../accounting/clusters.js';
import { resolveHourlyIntensities } from '../../accounting/intensity.js';
import { meterCluster, MeterQuality, type PricedHour } from '../../accounting/meter.js';
import { clusterProfile } from '../../accounting/profile.js';
import { decideSource } from '../../accounting/source.js';
import {
  addToFootprintTotal,
  emptyFootprintTotal,
  type FootprintTotal,
} from '../../core/methodology.js';
import { parseDuration, parseTimeInput, subtractDuration } from '../../core/units.js';
import type { EntityHourUsage, UsageSource } from '../../core/usage.js';
import { IncompleteDataError, UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { openLedger } from '../../store/ledger.js';
import type { Ledger } from '../../store/types.js';
import { settingOverrides } from '../options.js';
import { optionalString, parseFlag } from '../parse.js';
import { nonEmptyWindow } from '../shared/window.js';
import type { Invocation } from '../spec.js';
import {
  clusterFlag,
  createPrometheusClient,
  prometheusFlagOverrides,
  selectClusters,
} from '../shared/prometheus.js';
import { TRACK_OPTIONS } from './index.js';

const HOUR_MS = 3_600_000;

/** Validated inputs of `track`. */
export interface TrackOptions {
  cluster: string | undefined;
  source: UsageSource | undefined;
  from: Date | null;
  to: Date | null;
  last: string | null;
  dryRun: boolean;
  strict: boolean;
  allowEstimates: boolean;
  lockWaitMs: number;
}

/** Parse the flags. */
export function parseOptions(opts: Record<string, unknown>, zone: string): TrackOptions {
  const fromText = optionalString(opts, 'from') ?? optionalString(opts, 'start');
  const toText = optionalString(opts, 'to') ?? optionalString(opts, 'end');
  const last = optionalString(opts, 'last') ?? null;
  if (last !== null && (fromText !== undefined || toText !== undefined)) {
    throw new UsageError('--last cannot be combined with --from/--to', {
      hint: 'Give either --last 7d or --from/--to.',
    });
  }
  if (toText !== undefined && fromText === undefined) {
    throw new UsageError('--to needs --from', { hint: 'e.g. --from 2025-01-01 --to 2025-01-31' });
  }
  if (last !== null) parseFlag('--last', last, parseDuration);
  const lockWait = optionalString(opts, 'lockWait');
  const lockWaitSeconds = lockWait === undefined ? 30 : Number(lockWait);
  if (!Number.isFinite(lockWaitSeconds) || lockWaitSeconds < 0) {
    throw new UsageError(`--lock-wait ${lockWait ?? ''} is not a number of seconds`);
  }
  return {
    cluster: optionalString(opts, 'cluster'),
    source: optionalString(opts, 'source') as UsageSource | undefined,
    from:
      fromText === undefined ? null : parseFlag('--from', fromText, (t) => parseTimeInput(t, zone)),
    to:
      toText === undefined
        ? null
        : parseFlag('--to', toText, (t) => parseTimeInput(t, zone, { endOfDay: true })),
    last,
    dryRun: opts.dryRun === true,
    strict: opts.strict === true,
    allowEstimates: opts.allowEstimates === true,
    lockWaitMs: lockWaitSeconds * 1000,
  };
}

const floorHour = (date: Date): Date => new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS);
const ceilHour = (date: Date): Date => new Date(Math.ceil(date.getTime() / HOUR_MS) * HOUR_MS);

/** The window for one cluster/source: explicit, `--last`, or resume from the ledger (first run: 24 h). */
export function trackWindow(
  options: TrackOptions,
  now: Date,
  zone: string,
  lastTracked: Date | null,
): { from: Date; to: Date } {
  const lastComplete = floorHour(now);
  if (options.from !== null) {
    const to = options.to === null ? lastComplete : ceilHour(options.to);
    const clipped = to.getTime() > lastComplete.getTime() ? lastComplete : to;
    return nonEmptyWindow({ from: floorHour(options.from), to: clipped }, lastComplete, zone);
  }
  if (options.last !== null) {
    return {
      from: floorHour(subtractDuration(lastComplete, parseDuration(options.last), zone)),
      to: lastComplete,
    };
  }
  return { from: lastTracked ?? new Date(lastComplete.getTime() - 24 * HOUR_MS), to: lastComplete };
}

/** What track reports per entity over the window. */
interface EntityTotal {
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
interface ClusterRun {
  cluster: string;
  source: UsageSource;
  from: Date;
  to: Date;
  quality: MeterQuality;
  rowsWritten: number;
  upToDate: boolean;
}

/**
 * The track lock of (cluster, source). When another run holds it, says so (naming the process)
 * before waiting, so a cron log or a terminal never sits silent.
 */
async function acquireLock(
  context: Context,
  ledger: Ledger,
  cluster: string,
  source: UsageSource,
  waitMs: number,
): Promise<() => void> {
  const owner = { pid: process.pid, startedAt: context.now() };
  const attempt = ledger.tryAcquireTrackLock(cluster, source, owner);
  if (typeof attempt === 'function') return attempt;
  // With no wait, acquireTrackLock fails at once with the error naming the holder.
  if (waitMs <= 0) return ledger.acquireTrackLock(cluster, source, owner, waitMs);
  context.io.notice(
    `Another track of ${cluster} (${source}) is running (pid ${attempt.pid} on ${attempt.hostname}, since ${attempt.startedAt.toISOString()}); waiting up to ${Math.round(waitMs / 1000)} s for it to finish.`,
  );
  return ledger.acquireTrackLock(cluster, source, owner, waitMs);
}

/** Command entry: option parsing, then each cluster through the accounting pipeline into the ledger sink. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const command = invocation.command;
  const resolved = await context.settings({
    flags: settingOverrides(command, TRACK_OPTIONS),
    prometheusFlags: prometheusFlagOverrides(command),
    cluster: clusterFlag(command),
  });
  const settings = resolved.settings;
  const options = parseOptions(invocation.opts, settings.timezone);
  // An explicit window that is reversed, empty or in the future is exit 2 before any query.
  if (options.from !== null) trackWindow(options, context.now(), settings.timezone, null);
  const clusters = selectClusters(settings, options.cluster);
  const ledgerPath = settings.ledger ?? '';
  // The context's clock stamps tracked_at and lock times, so a run at a given `now` is reproducible.
  const ledger = options.dryRun ? null : openLedger(ledgerPath, { clock: () => context.now() });
  if (ledger) context.onDispose(() => ledger.close());

  const totals = new Map<string, EntityTotal>();
  const outcomes = await forEachCluster(
    clusters,
    (message) => context.io.warn(message),
    async (cluster): Promise<ClusterRun> => {
      const profile = clusterProfile(settings, cluster);
      const client = await createPrometheusClient(context, cluster);
      const now = context.now();
      const { source } = await decideSource(
        {
          client,
          store: ledger,
          persist: ledger !== null,
          now,
          notice: (message) => context.io.notice(message),
        },
        profile,
        trackWindow(options, now, settings.timezone, null),
        options.source,
      );
      const release = ledger
        ? await acquireLock(context, ledger, cluster.name, source, options.lockWaitMs)
        : () => undefined;
      try {
        const window = trackWindow(
          options,
          now,
          settings.timezone,
          ledger?.lastTrackedHourEnd(cluster.name, source) ?? null,
        );
        const run: ClusterRun = {
          cluster: cluster.name,
          source,
          from: window.from,
          to: window.to,
          quality: new MeterQuality(),
          rowsWritten: 0,
          upToDate: false,
        };
        if (window.from.getTime() >= window.to.getTime()) {
          run.upToDate = true;
          context.io.notice(
            `${cluster.name} (${source}) is up to date: tracked to ${window.to.toISOString()}.`,
          );
          return run;
        }
        const intensities = await resolveHourlyIntensities(
          {
            http: () => context.http(),
            now,
            cache: ledger,
            warn: (message) => context.io.warn(message),
          },
          profile,
          window,
          { givenGPerKwh: null, allowEstimates: options.allowEstimates },
        );
        const totalHours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
        const spinner = context.io.spinner(
          `Tracking ${cluster.name} (${source}) from ${window.from.toISOString()}…`,
        );
        try {
          run.quality = await meterCluster(
            client,
            { profile, source, window, intensities },
            (priced, chunkEnd) => {
              ledger?.commitChunk(
                cluster.name,
                source,
                priced.map((hour) => hour.row),
                chunkEnd,
              );
              run.rowsWritten += priced.length;
              for (const hour of priced) accumulate(totals, hour);
              const done = (chunkEnd.getTime() - window.from.getTime()) / HOUR_MS;
              spinner.update(
                `Tracking ${cluster.name} (${source}): ${Math.round((done / totalHours) * 100)}% (${done}/${totalHours} h)`,
              );
            },
          );
        } finally {
          spinner.stop();
        }
        return run;
      } finally {
        release();
      }
    },
  );
  const runs = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value] : []));
  // Nothing tracked at all: the failure is the whole answer (no empty table).
  const failed = failedClusters(outcomes);
  if (runs.length === 0 && failed !== undefined) throw failed;

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
        header: singleCurrency ? `Cost (${currencies[0] ?? settings.cost.currency})` : 'Cost',
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

function accumulate(totals: Map<string, EntityTotal>, hour: PricedHour): void {
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

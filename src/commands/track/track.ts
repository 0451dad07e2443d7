/**
 * `carbonctl track`: for each cluster, fetch exact hourly usage chunk by chunk, price each
 * entity-hour with that hour's grid intensity, and commit each chunk atomically together with
 * the progress marker — so a re-run is idempotent and an interrupted run resumes.
 */
import type { Context } from '../../context.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import { methodologyFactors } from '../../config/factors.js';
import {
  computeFootprint,
  METHODOLOGY_VERSION,
  type Footprint,
  type MethodologyFactors,
} from '../../core/methodology.js';
import { hourlyIntensity } from '../../core/intensity.js';
import type { IntensityKind, IntensitySlot } from '../../core/ports.js';
import { parseDuration, parseTimeInput, subtractDuration } from '../../core/units.js';
import type { EntityHourUsage, UsageSource } from '../../core/usage.js';
import { DataSourceError, IncompleteDataError, UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { openLedger } from '../../store/ledger.js';
import type { Ledger, LedgerHourRow } from '../../store/types.js';
import { nonEmptyWindow, settingOverrides } from '../options.js';
import { optionalString, parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';
import { intensityConfig, intensityProvider } from '../shared/intensity.js';
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

/** Per-hour intensity with its provenance, following SPEC §2's fallback chain. */
interface HourIntensity {
  gPerKwh: number;
  kind: IntensityKind;
  reasons: string[];
}

/** Intensity for every hour of a window: provider actual → forecast → static annual average. */
async function intensityByHour(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings,
  ledger: Ledger | null,
  window: { from: Date; to: Date },
  allowEstimates: boolean,
): Promise<{ at: (hour: Date) => HourIntensity; provider: string; region: string }> {
  const config = intensityConfig(settings, cluster);
  const provider = await intensityProvider(context, settings, cluster);
  const regionKey = provider.regionLabel;
  let slots: IntensitySlot[] =
    ledger?.cachedIntensitySlots(provider.name, regionKey, window.from, window.to) ?? [];
  const covered = (hour: Date): boolean => hourlyIntensity(slots, hour) !== null;
  let missing = false;
  for (let t = window.from.getTime(); t < window.to.getTime(); t += HOUR_MS) {
    if (!covered(new Date(t))) {
      missing = true;
      break;
    }
  }
  let providerError: unknown = null;
  if (missing) {
    try {
      const fetched = await provider.history(window.from, window.to);
      // Cache only finished slots with an actual value: forecasts get replaced by outturn later.
      ledger?.cacheIntensitySlots(
        provider.name,
        regionKey,
        fetched.filter((s) => s.actual !== null),
        context.now(),
      );
      slots = mergeSlots(slots, fetched);
    } catch (error) {
      if (!(error instanceof DataSourceError) || !allowEstimates) throw error;
      providerError = error;
      context.io.warn(`${error.message}; using the static annual average (--allow-estimates)`);
    }
  }
  const hourValue = (hour: Date) => (providerError === null ? hourlyIntensity(slots, hour) : null);
  // The static annual average is looked up only when some hour has no provider value.
  let fallback: { gPerKwh: number } | null = null;
  for (let t = window.from.getTime(); t < window.to.getTime(); t += HOUR_MS) {
    if (hourValue(new Date(t)) !== null) continue;
    try {
      const { lookupStaticIntensity } = await import('../../providers/intensity/static.js');
      const zone = config.provider === 'uk' ? 'GB' : config.zone;
      fallback = { gPerKwh: (await lookupStaticIntensity(zone)).intensityGPerKwh };
    } catch {
      fallback = null;
    }
    break;
  }
  const fixedKind: IntensityKind | null =
    provider.name === 'static' ? 'static' : provider.name === 'fixed' ? 'fixed' : null;
  return {
    provider: provider.name,
    region: provider.regionLabel,
    at: (hour) => {
      const value = hourValue(hour);
      if (value) {
        const kind = fixedKind ?? value.kind;
        return {
          gPerKwh: value.intensityGPerKwh,
          kind,
          reasons:
            kind === 'forecast'
              ? ['intensity_forecast']
              : kind === 'static'
                ? ['intensity_static_annual']
                : [],
        };
      }
      if (fallback)
        return { gPerKwh: fallback.gPerKwh, kind: 'static', reasons: ['intensity_static_annual'] };
      throw new DataSourceError(
        provider.name,
        `no carbon intensity for the hour starting ${hour.toISOString()} and no static average for the zone`,
        {
          hint: 'Check the provider and zone, or configure provider "fixed" with a value.',
        },
      );
    },
  };
}

function mergeSlots(cached: IntensitySlot[], fetched: IntensitySlot[]): IntensitySlot[] {
  const byFrom = new Map<number, IntensitySlot>();
  for (const slot of [...cached, ...fetched]) byFrom.set(slot.from.getTime(), slot);
  return [...byFrom.values()].sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** An entity-hour priced with that hour's intensity: its ledger row and its footprint. */
export function priceHour(
  cluster: string,
  usage: EntityHourUsage,
  intensity: HourIntensity & { provider: string; region: string },
  factors: MethodologyFactors,
): { row: LedgerHourRow; footprint: Footprint } {
  const footprint = computeFootprint(
    {
      busySeconds: usage.busySeconds,
      idleSeconds: usage.idleSeconds,
      memoryGiBHours: usage.memoryGiBHours,
    },
    intensity.gPerKwh,
    factors,
  );
  return { row: ledgerRow(cluster, usage, intensity, factors, footprint), footprint };
}

/** One ledger row for an entity-hour from its footprint. */
function ledgerRow(
  cluster: string,
  usage: EntityHourUsage,
  intensity: HourIntensity & { provider: string; region: string },
  factors: MethodologyFactors,
  footprint: Footprint,
): LedgerHourRow {
  const reasons = [...new Set([...footprint.estimationReasons, ...intensity.reasons])].sort();
  return {
    cluster,
    source: usage.source,
    entityId: usage.entityId,
    hourStart: usage.hourStart,
    busySeconds: usage.busySeconds,
    idleSeconds: usage.idleSeconds,
    reservedCoreSeconds: usage.reservedCoreSeconds,
    memoryGiBHours: usage.memoryGiBHours,
    coverage: usage.coverage,
    labels: usage.labels,
    intensityGPerKwh: intensity.gPerKwh,
    intensityProvider: intensity.provider,
    intensityKind: intensity.kind,
    region: intensity.region,
    powerProfile: factors.power.profile,
    busyWattsPerCore: factors.power.busyWattsPerCore,
    idleWattsPerCore: factors.power.idleWattsPerCore,
    memoryWattsPerGiB: factors.power.memoryWattsPerGiB,
    pue: factors.pue,
    embodiedGramsPerCoreHour: factors.embodiedGramsPerCoreHour,
    marketFactorGPerKwh: factors.marketFactorGPerKwh,
    currency: factors.cost.currency,
    energyItKwh: footprint.energy.itKwh,
    energyKwh: footprint.energy.totalKwh,
    scope2LocationGrams: footprint.scope2LocationGrams,
    scope2MarketGrams: footprint.scope2MarketGrams,
    scope3Grams: footprint.scope3EmbodiedGrams,
    cost: footprint.cost,
    isEstimated: reasons.length > 0,
    estimationReasons: reasons,
    methodologyVersion: METHODOLOGY_VERSION,
  };
}

/** What track reports per entity over the window. */
interface EntityTotal {
  cluster: string;
  source: UsageSource;
  entityId: string;
  labels: EntityHourUsage['labels'];
  busySeconds: number;
  idleSeconds: number;
  busyKwh: number;
  idleKwh: number;
  energyKwh: number;
  busyGrams: number;
  idleGrams: number;
  grams: number;
  cost: number;
  hours: number;
  estimated: boolean;
}

/** Result of tracking one cluster/source. */
interface ClusterRun {
  cluster: string;
  source: UsageSource;
  from: Date;
  to: Date;
  hoursWithData: number;
  /** Entity-hours with samples. */
  entityHours: number;
  /** Hours from each entity's first to its last hour with samples in the window, summed. */
  entitySpanHours: number;
  rowsWritten: number;
  upToDate: boolean;
}

/** First and last hour (epoch ms) with samples of one entity, and how many hours had them. */
interface EntitySpan {
  firstMs: number;
  lastMs: number;
  hours: number;
}

/** Counts one entity-hour with samples (each entity-hour arrives exactly once per run). */
function noteEntityHour(spans: Map<string, EntitySpan>, entityId: string, hourMs: number): void {
  const span = spans.get(entityId);
  if (span === undefined) {
    spans.set(entityId, { firstMs: hourMs, lastMs: hourMs, hours: 1 });
    return;
  }
  span.firstMs = Math.min(span.firstMs, hourMs);
  span.lastMs = Math.max(span.lastMs, hourMs);
  span.hours += 1;
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

/** Command entry. */
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
  const runs: ClusterRun[] = [];
  for (const cluster of clusters) {
    const client = await createPrometheusClient(context, cluster);
    const { detectSource, fetchNodeUsage, fetchPodUsage } =
      await import('../../providers/prometheus/usage.js');
    const source: UsageSource =
      options.source ??
      (cluster.source === 'auto'
        ? await detectSource(client, { at: context.now() })
        : cluster.source);
    const release = ledger
      ? await acquireLock(context, ledger, cluster.name, source, options.lockWaitMs)
      : () => undefined;
    try {
      const window = trackWindow(
        options,
        context.now(),
        settings.timezone,
        ledger?.lastTrackedHourEnd(cluster.name, source) ?? null,
      );
      const run: ClusterRun = {
        cluster: cluster.name,
        source,
        from: window.from,
        to: window.to,
        hoursWithData: 0,
        entityHours: 0,
        entitySpanHours: 0,
        rowsWritten: 0,
        upToDate: false,
      };
      runs.push(run);
      if (window.from.getTime() >= window.to.getTime()) {
        run.upToDate = true;
        context.io.notice(
          `${cluster.name} (${source}) is up to date: tracked to ${window.to.toISOString()}.`,
        );
        continue;
      }
      const factors = methodologyFactors(settings, cluster);
      const intensity = await intensityByHour(
        context,
        settings,
        cluster,
        ledger,
        window,
        options.allowEstimates,
      );
      const totalHours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
      const spinner = context.io.spinner(
        `Tracking ${cluster.name} (${source}) from ${window.from.toISOString()}…`,
      );
      const hoursSeen = new Set<number>();
      const spans = new Map<string, EntitySpan>();
      try {
        const onHours = (hours: EntityHourUsage[], chunkEnd: Date): void => {
          const priced = hours.map((usage) => {
            const hourMs = usage.hourStart.getTime();
            hoursSeen.add(hourMs);
            noteEntityHour(spans, usage.entityId, hourMs);
            return priceHour(
              cluster.name,
              usage,
              {
                ...intensity.at(usage.hourStart),
                provider: intensity.provider,
                region: intensity.region,
              },
              factors,
            );
          });
          const rows = priced.map((hour) => hour.row);
          ledger?.commitChunk(cluster.name, source, rows, chunkEnd);
          run.rowsWritten += rows.length;
          for (const hour of priced) accumulate(totals, hour.row, hour.footprint);
          const done = (chunkEnd.getTime() - window.from.getTime()) / HOUR_MS;
          spinner.update(
            `Tracking ${cluster.name} (${source}): ${Math.round((done / totalHours) * 100)}% (${done}/${totalHours} h)`,
          );
        };
        const common = { stepSeconds: cluster.prometheus.scrapeIntervalSeconds };
        if (source === 'nodes') {
          await fetchNodeUsage(
            client,
            { ...cluster.workspaces, idleModes: settings.power.idleModes, ...common },
            window,
            onHours,
          );
        } else {
          await fetchPodUsage(client, { selector: '', ...common }, window, onHours);
        }
      } finally {
        spinner.stop();
      }
      run.hoursWithData = hoursSeen.size;
      for (const span of spans.values()) {
        run.entityHours += span.hours;
        run.entitySpanHours += (span.lastMs - span.firstMs) / HOUR_MS + 1;
      }
    } finally {
      release();
    }
  }

  const entities = [...totals.values()].sort(
    (a, b) => b.grams - a.grams || a.entityId.localeCompare(b.entityId),
  );
  const windowHours = runs.reduce(
    (sum, r) => sum + (r.to.getTime() - r.from.getTime()) / HOUR_MS,
    0,
  );
  const hoursWithData = runs.reduce((sum, r) => sum + r.hoursWithData, 0);
  const entityHours = runs.reduce((sum, r) => sum + r.entityHours, 0);
  const entitySpanHours = runs.reduce((sum, r) => sum + r.entitySpanHours, 0);
  // Two ways data can be missing: hours in which nothing at all has samples (Prometheus down,
  // retention), and hours in which one entity lacks samples between its first and last hour in
  // the window (a host switched off, a broken exporter). A host created or deleted inside the
  // window is not missing before or after it. The coverage is the worse of the two shares.
  const hourCoverage = windowHours === 0 ? 1 : hoursWithData / windowHours;
  const entityCoverage = entitySpanHours === 0 ? 1 : entityHours / entitySpanHours;
  const coveragePercent = Math.min(hourCoverage, entityCoverage) * 100;
  const gaps = [
    windowHours > hoursWithData
      ? `${windowHours - hoursWithData} hour(s) without any samples`
      : null,
    entitySpanHours > entityHours
      ? `${entitySpanHours - entityHours} entity-hour(s) missing between an entity's first and last sample`
      : null,
  ].filter((text): text is string => text !== null);
  if (entities.length === 0 && runs.every((r) => !r.upToDate))
    context.io.notice('No usage samples in that window.');
  if (options.dryRun) context.io.info('Dry run: nothing was written to the ledger.');

  const from = runs.length ? new Date(Math.min(...runs.map((r) => r.from.getTime()))) : null;
  const to = runs.length ? new Date(Math.max(...runs.map((r) => r.to.getTime()))) : null;
  const pods = entities.some((e) => e.source === 'pods');
  const data = {
    tracked_count: entities.length,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    coverage_percent: coveragePercent,
    dry_run: options.dryRun,
    clusters: runs.map((r) => ({
      cluster: r.cluster,
      source: r.source,
      from: r.from.toISOString(),
      to: r.to.toISOString(),
      rows: r.rowsWritten,
      hours_with_data: r.hoursWithData,
      up_to_date: r.upToDate,
    })),
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
          busy_seconds: e.busySeconds,
          idle_seconds: e.idleSeconds,
          total_seconds: e.busySeconds + e.idleSeconds,
        },
        energy_kwh: { busy: e.busyKwh, idle: e.idleKwh, total: e.energyKwh },
        carbon_gco2eq: { busy: e.busyGrams, idle: e.idleGrams, total: e.grams },
        carbon_intensity_g_per_kwh: e.energyKwh > 0 ? e.grams / e.energyKwh : null,
        cost: e.cost,
        status: e.estimated ? 'estimated' : 'tracked',
      }),
    ),
  };
  const failure =
    options.strict && coveragePercent < 100
      ? new IncompleteDataError(
          `coverage ${coveragePercent.toFixed(1)}% is below 100% (--strict): ${gaps.join('; ')}`,
          {
            hint: 'Check the Prometheus retention and scrape gaps for those hours, or drop --strict.',
          },
        )
      : undefined;
  const table = (): TableData => ({
    columns: [
      { key: 'entity', header: pods ? 'Pod' : 'Host' },
      { key: 'group', header: pods ? 'Namespace/workload' : 'Project/machine/owner' },
      { key: 'busy', header: 'Busy CPU h', kind: 'number' },
      { key: 'idle', header: 'Idle CPU h', kind: 'number' },
      { key: 'kwh', header: 'kWh', kind: 'number' },
      { key: 'g', header: 'gCO2e', kind: 'number' },
      { key: 'cost', header: `Cost (${settings.cost.currency})`, kind: 'number' },
    ],
    rows: entities.map((e) => ({
      entity: e.source === 'pods' ? (e.labels.pod ?? e.entityId) : e.entityId,
      group:
        e.source === 'pods'
          ? `${e.labels.namespace ?? ''}/${e.labels.workload ?? ''}`
          : [e.labels.project, e.labels.machine, e.labels.owner].map((x) => x ?? '–').join('/'),
      busy: e.busySeconds / 3600,
      idle: e.idleSeconds / 3600,
      kwh: e.energyKwh,
      g: e.grams,
      cost: e.cost,
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
              cost: sum('cost'),
            },
          },
        },
        {
          text: style.dim(
            runs
              .map(
                (r) =>
                  `${r.cluster} (${r.source}): ${r.from.toISOString()} → ${r.to.toISOString()}, ${r.rowsWritten} entity-hours${options.dryRun ? ' (dry run)' : ''}`,
              )
              .join('\n') + `\ncoverage ${coveragePercent.toFixed(1)}% of hours\n`,
          ),
        },
      ];
    },
  };
}

function accumulate(
  totals: Map<string, EntityTotal>,
  row: LedgerHourRow,
  footprint: Footprint,
): void {
  const key = `${row.cluster}\u0000${row.source}\u0000${row.entityId}`;
  let total = totals.get(key);
  if (!total) {
    total = {
      cluster: row.cluster,
      source: row.source,
      entityId: row.entityId,
      labels: row.labels,
      busySeconds: 0,
      idleSeconds: 0,
      busyKwh: 0,
      idleKwh: 0,
      energyKwh: 0,
      busyGrams: 0,
      idleGrams: 0,
      grams: 0,
      cost: 0,
      hours: 0,
      estimated: false,
    };
    totals.set(key, total);
  }
  total.busySeconds += row.busySeconds;
  total.idleSeconds += row.idleSeconds;
  total.busyKwh += footprint.energy.busyKwh;
  total.idleKwh += footprint.energy.idleKwh;
  total.energyKwh += row.energyKwh;
  total.busyGrams += footprint.busyGrams;
  total.idleGrams += footprint.idleGrams;
  total.grams += row.scope2LocationGrams;
  total.cost += row.cost;
  total.hours += 1;
  total.estimated ||= row.isEstimated;
  total.labels = row.labels;
}

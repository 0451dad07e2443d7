/**
 * `carbonctl track`: for each cluster, fetch exact hourly usage chunk by chunk, price each
 * entity-hour with that hour's grid intensity, and commit each chunk atomically together with
 * the progress marker — so a re-run is idempotent and an interrupted run resumes.
 */
import type { Context } from '../../context.js';
import { failedClusters, forEachCluster } from '../../accounting/clusters.js';
import { meterCluster, MeterQuality } from '../../accounting/meter.js';
import { clusterProfile } from '../../accounting/profile.js';
import { AccountingPipeline } from '../../accounting/pipeline.js';
import { ceilToHour, floorToHour, HOUR_MS } from '../../core/hours.js';
import { parseDuration, parseTimeInput, subtractDuration } from '../../core/units.js';
import type { UsageSource } from '../../core/usage.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
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
import { accumulate, trackResult, type ClusterRun, type EntityTotal } from './result.js';

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

/** The window for one cluster/source: explicit, `--last`, or resume from the ledger (first run: 24 h). */
export function trackWindow(
  options: TrackOptions,
  now: Date,
  zone: string,
  lastTracked: Date | null,
): { from: Date; to: Date } {
  const lastComplete = floorToHour(now);
  if (options.from !== null) {
    const to = options.to === null ? lastComplete : ceilToHour(options.to);
    const clipped = to.getTime() > lastComplete.getTime() ? lastComplete : to;
    return nonEmptyWindow({ from: floorToHour(options.from), to: clipped }, lastComplete, zone);
  }
  if (options.last !== null) {
    return {
      from: floorToHour(subtractDuration(lastComplete, parseDuration(options.last), zone)),
      to: lastComplete,
    };
  }
  return { from: lastTracked ?? new Date(lastComplete.getTime() - 24 * HOUR_MS), to: lastComplete };
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
  const pipeline = new AccountingPipeline(context, ledger, true);

  const totals = new Map<string, EntityTotal>();
  const outcomes = await forEachCluster(
    clusters,
    (message) => context.io.warn(message),
    async (cluster): Promise<ClusterRun> => {
      const profile = clusterProfile(settings, cluster);
      const client = await createPrometheusClient(context, cluster);
      const now = context.now();
      const { source } = await pipeline.source(
        client,
        profile,
        trackWindow(options, now, settings.timezone, null),
        { flag: options.source },
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
        const intensities = await pipeline.intensities(profile, window, {
          givenGPerKwh: null,
          allowEstimates: options.allowEstimates,
        });
        const totalHours = (window.to.getTime() - window.from.getTime()) / HOUR_MS;
        let committedTo = window.from;
        const spinner = context.io.progress(
          `Tracking ${cluster.name} (${source}) from ${window.from.toISOString()}…`,
          {
            // Ctrl-C / SIGTERM: whole chunks are committed; say what was kept and how to resume.
            onInterrupt: () =>
              options.dryRun
                ? 'Interrupted: nothing was written (dry run).'
                : `Interrupted: ${cluster.name} (${source}) is tracked up to ${committedTo.toISOString()} (whole chunks only); run the same command again to resume from there.`,
          },
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
              committedTo = chunkEnd;
              for (const hour of priced) accumulate(totals, hour);
              const done = (chunkEnd.getTime() - window.from.getTime()) / HOUR_MS;
              spinner.update(
                `Tracking ${cluster.name} (${source}): ${Math.round((done / totalHours) * 100)}% (${done}/${totalHours} h)`,
                done / totalHours,
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

  return trackResult(context, {
    runs,
    outcomes,
    totals,
    failed,
    options,
    currency: settings.cost.currency,
  });
}

/**
 * `carbonctl run -- <command>`: wait for the cleanest window (window.ts), run the command with
 * its streams passed through and SIGINT/SIGTERM forwarded, exit with its status, and record the
 * run — energy from its CPU time, the intensity it ran at, and the saving against starting at
 * once — in the savings ledger, where `recommendations savings` and `export prometheus` read it.
 */
import { constants as osConstants } from 'node:os';
import { basename } from 'node:path';
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import { clusterProfile } from '../../accounting/profile.js';
import {
  carbonAwareRunRecord,
  meanIntensityOver,
  runActivity,
  runSavings,
  type RunSavings,
} from '../../core/carbon-aware.js';
import { CarbonctlError, CommandExitError, UsageError } from '../../errors.js';
import { runChild, SpawnError, type ChildOutcome } from '../../io/child.js';
import { formatHumanNumber, formatMass } from '../../output/format.js';
import { openLedger } from '../../store/ledger.js';
import { settingOverrides } from '../options.js';
import { optionalString } from '../parse.js';
import type { Invocation } from '../spec.js';
import { RUN_OPTIONS } from './index.js';
import { deferUntilWindow, parseDeferOptions, shortUtc, type DeferOutcome } from './window.js';
import { waitJson } from './wait.js';

const HALF_HOUR_MS = 1_800_000;
/** The cluster column of run records: the job ran where carbonctl ran. */
const RUN_CLUSTER = 'local';

/** Validated run-specific flags. */
export interface RunFlags {
  command: string;
  args: string[];
  busySeconds: number | null;
  cores: number | null;
  name: string;
  record: boolean;
}

/** Parse the run-specific flags and the command. */
export function parseRunFlags(invocation: Invocation): RunFlags {
  const [command, ...args] = invocation.args;
  if (command === undefined || command.trim() === '') {
    throw new UsageError('run needs a command to run', {
      hint: 'Put it after --, e.g. carbonctl run --for 1h --within 12h -- make test',
    });
  }
  const opts = invocation.opts;
  const name = optionalString(opts, 'name') ?? basename(command);
  if (name.trim() === '') throw new UsageError('--name must not be empty');
  return {
    command,
    args,
    busySeconds: (opts.busyCpuSeconds as number | undefined) ?? null,
    cores: (opts.cpuCores as number | undefined) ?? null,
    name,
    record: opts.record !== false,
  };
}

/** The status carbonctl exits with for a command that ended this way. */
export function exitStatusOf(outcome: Pick<ChildOutcome, 'exitCode' | 'signal'>): number {
  if (outcome.exitCode !== null) return outcome.exitCode;
  const number = outcome.signal === null ? undefined : osConstants.signals[outcome.signal];
  return 128 + (number ?? 0);
}

/** The intensity the run actually had: provider history over the run, else the plan's forecast. */
async function intensityDuring(
  outcome: DeferOutcome,
  startedAt: Date,
  endedAt: Date,
  context: Context,
): Promise<{ gPerKwh: number; source: 'provider' | 'plan' } | null> {
  const planned = outcome.plan?.meanIntensity ?? null;
  const fallback = planned === null ? null : { gPerKwh: planned, source: 'plan' as const };
  const from = new Date(Math.floor(startedAt.getTime() / HALF_HOUR_MS) * HALF_HOUR_MS);
  const toMs = Math.max(endedAt.getTime(), startedAt.getTime() + 1);
  const to = new Date(Math.ceil(toMs / HALF_HOUR_MS) * HALF_HOUR_MS);
  try {
    const slots = await outcome.provider.history(from, to);
    const mean = meanIntensityOver(slots, startedAt, new Date(toMs));
    if (mean !== null) return { gPerKwh: mean.meanIntensity, source: 'provider' };
  } catch (error) {
    if (!(error instanceof CarbonctlError)) throw error;
    context.io.warn(`could not read the intensity during the run (${error.message})`);
  }
  return fallback;
}

interface RunRecord {
  savings: RunSavings;
  intensity: { gPerKwh: number; source: 'provider' | 'plan' };
  baselineGPerKwh: number;
  busySeconds: number;
  recommendationId: string | null;
}

/** Works out the run's footprint and saving and records it; warns (never fails) when it cannot. */
async function recordRun(
  flags: RunFlags,
  settings: Settings,
  outcome: DeferOutcome,
  child: ChildOutcome,
  times: { startedAt: Date; endedAt: Date },
  context: Context,
): Promise<RunRecord | null> {
  const baseline = outcome.firstPlan?.nowMeanIntensity ?? null;
  if (baseline === null) {
    context.io.notice('no forecast to compare with: the run is not recorded as a saving');
    return null;
  }
  const busySeconds = flags.busySeconds ?? child.cpuSeconds;
  if (busySeconds === null) {
    context.io.notice(
      'the command’s CPU time cannot be measured here: give --busy-cpu-seconds to record the run',
    );
    return null;
  }
  const intensity = await intensityDuring(outcome, times.startedAt, times.endedAt, context);
  if (intensity === null) return null;
  const wallSeconds = (times.endedAt.getTime() - times.startedAt.getTime()) / 1000;
  const factors = clusterProfile(settings).factors;
  const savings = runSavings(
    runActivity({ busySeconds, cores: flags.cores, wallSeconds }),
    factors,
    {
      actualGPerKwh: intensity.gPerKwh,
      baselineGPerKwh: baseline,
    },
  );
  const result: RunRecord = {
    savings,
    intensity,
    baselineGPerKwh: baseline,
    busySeconds,
    recommendationId: null,
  };
  if (!flags.record) return result;
  const { finding, entry } = carbonAwareRunRecord({
    name: flags.name,
    cluster: RUN_CLUSTER,
    requestedAt: outcome.requestedAt,
    startedAt: times.startedAt,
    endedAt: times.endedAt,
    nowMeanIntensity: baseline,
    plannedMeanIntensity: outcome.plan?.meanIntensity ?? baseline,
    actualMeanIntensity: intensity.gPerKwh,
    savings,
    currency: factors.cost.currency,
  });
  const details = {
    ...waitJson(outcome),
    name: flags.name,
    // The command's name only: its arguments may carry secrets, and the ledger keeps rows forever.
    command: basename(flags.command),
    exit_status: exitStatusOf(child),
    ended_at: times.endedAt.toISOString(),
    actual_mean_intensity: intensity.gPerKwh,
    actual_intensity_source: intensity.source,
    busy_cpu_seconds: busySeconds,
    cpu_seconds_source: flags.busySeconds === null ? 'measured' : 'given',
    energy_kwh: savings.footprint.energy.totalKwh,
    co2e_g: savings.footprint.scope2LocationGrams,
    baseline_co2e_g: savings.baselineFootprint.scope2LocationGrams,
    saved_co2e_g: savings.savedGrams,
  };
  try {
    const path = settings.ledger;
    if (path === null || path === '') throw new UsageError('no ledger path is configured');
    const ledger = openLedger(path, { clock: () => context.now(), create: true });
    try {
      result.recommendationId = ledger.recommendations.recordCarbonAwareRun(
        finding,
        entry,
        details,
        context.now(),
      ).id;
    } finally {
      ledger.close();
    }
  } catch (error) {
    if (!(error instanceof CarbonctlError)) throw error;
    // The command has run: its status stands, whatever happens to the bookkeeping.
    context.io.warn(`the run was not recorded: ${error.message}`);
  }
  return result;
}

function describeRecord(
  flags: RunFlags,
  record: RunRecord,
  times: { startedAt: Date; endedAt: Date },
): string {
  const { savings } = record;
  const source = record.intensity.source === 'provider' ? '' : ' (forecast)';
  const saved =
    savings.savedGrams >= 0
      ? `saved ${formatMass(savings.savedGrams)}`
      : `${formatMass(-savings.savedGrams)} more than starting at once (recorded as no saving)`;
  const recorded =
    record.recommendationId === null
      ? ''
      : ` Recorded under recommendation ${record.recommendationId} (CARBON_AWARE_SHIFT).`;
  return (
    `Ran ${flags.name} ${shortUtc(times.startedAt)} → ${shortUtc(times.endedAt)} at ` +
    `${record.intensity.gPerKwh.toFixed(1)} g/kWh${source} vs ${record.baselineGPerKwh.toFixed(1)} starting at once: ` +
    `${formatHumanNumber(record.busySeconds)} CPU s, ${formatHumanNumber(savings.footprint.energy.totalKwh)} kWh, ` +
    `${formatMass(savings.footprint.scope2LocationGrams)}; ${saved}.${recorded}`
  );
}

/** Command entry: nothing on stdout but the command's own output. */
export async function execute(invocation: Invocation, context: Context): Promise<undefined> {
  const options = parseDeferOptions(invocation.opts);
  const flags = parseRunFlags(invocation);
  const settings = (
    await context.settings({ flags: settingOverrides(invocation.command, RUN_OPTIONS) })
  ).settings;
  const outcome = await deferUntilWindow(options, settings, context);
  const startedAt = context.now();
  let child: ChildOutcome;
  try {
    child = await runChild(
      flags.command,
      flags.args,
      { stdin: context.io.stdin, stdout: context.io.stdout, stderr: context.io.stderr },
      context.onSignal,
    );
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    const notFound = error.code === 'ENOENT';
    throw new CommandExitError(
      notFound ? 127 : 126,
      `${flags.command}: ${notFound ? 'command not found' : `cannot run it (${error.code})`}`,
    );
  }
  const endedAt = context.now();
  const times = { startedAt, endedAt };
  const record = await recordRun(flags, settings, { ...outcome, startedAt }, child, times, context);
  if (record !== null) context.io.info(describeRecord(flags, record, times));
  const status = exitStatusOf(child);
  if (status !== 0) {
    throw new CommandExitError(
      status,
      child.signal === null
        ? `${flags.name} exited with status ${status}`
        : `${flags.name} was ended by ${child.signal} (status ${status})`,
    );
  }
  return undefined;
}

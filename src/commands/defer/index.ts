/**
 * `carbonctl wait` and `carbonctl run`: carbon-aware execution. Wait for the cleanest forecast
 * window of a job's length before a deadline, then exit (wait) or run the command (run) and
 * record what deferring saved in the savings ledger (SPEC §3 best window, §8 savings).
 */
import {
  INTENSITY_OPTIONS,
  LEDGER_OPTION,
  nonNegativeNumber,
  POWER_OPTIONS,
  type OptionSpec,
} from '../options.js';
import type { CommandSpec } from '../spec.js';
import { UsageError } from '../../errors.js';

/** What a forecast outage does: start now with a warning, or fail with exit 3. */
export const MISSING_FORECAST_POLICIES = ['run-now', 'fail'] as const;

/** Flags shared by `wait` and `run`. */
export const DEFER_OPTIONS: OptionSpec[] = [
  { flags: '--for <duration>', description: 'how long the job runs, e.g. 45min, 2h (required)' },
  {
    flags: '--within <duration>',
    description: 'the job must finish within this horizon from now, at most 48h (required)',
  },
  {
    flags: '--max-wait <duration>',
    description: 'start at the latest after this long (default: --within minus --for)',
  },
  {
    flags: '--threshold <g/kWh>',
    description: 'start as soon as the job’s expected mean intensity is at or below this',
    parse: nonNegativeNumber,
    conflicts: ['percentile'],
  },
  {
    flags: '--percentile <p>',
    description:
      'start as soon as the expected mean is among the cleanest p % of start times (0-100)',
    parse: percentileNumber,
  },
  {
    flags: '--recheck <duration>',
    description: 're-read the forecast this often while waiting (default 30min, at least 1min)',
  },
  {
    flags: '--on-missing-forecast <policy>',
    description: 'no forecast (offline, provider down): start now with a warning, or fail (exit 3)',
    choices: MISSING_FORECAST_POLICIES,
  },
  ...INTENSITY_OPTIONS,
];

/** A percentile 0–100. */
function percentileNumber(value: string, flag: string): number {
  const parsed = nonNegativeNumber(value, flag);
  if (parsed > 100) throw new UsageError(`${flag} ${value} is not a percentile from 0 to 100`);
  return parsed;
}

export const WAIT_OPTIONS: OptionSpec[] = DEFER_OPTIONS;

export const RUN_OPTIONS: OptionSpec[] = [
  ...DEFER_OPTIONS,
  {
    flags: '--busy-cpu-seconds <n>',
    description: 'CPU core-seconds the job used (default: measured from the command)',
    parse: nonNegativeNumber,
  },
  {
    flags: '--cpu-cores <n>',
    description: 'cores reserved for the job: their unused time counts as idle',
    parse: nonNegativeNumber,
  },
  {
    flags: '--name <job>',
    description: 'name the run is recorded under (default: the command’s name)',
  },
  { flags: '--no-record', description: 'do not record the run in the ledger' },
  ...POWER_OPTIONS,
  LEDGER_OPTION,
];

export const waitCommand: CommandSpec = {
  name: 'wait',
  description: 'Sleep until the cleanest forecast window for a job, then exit 0',
  options: WAIT_OPTIONS,
  formats: ['table', 'json'],
  examples: [
    'carbonctl wait --for 2h --within 12h && make train',
    'carbonctl wait --for 1h --within 24h --max-wait 6h --threshold 120',
    'carbonctl wait --for 30min --within 8h --percentile 10 --on-missing-forecast fail -o json',
  ],
  load: () => import('./wait.js'),
};

export const runCommand: CommandSpec = {
  name: 'run',
  description:
    'Run a command in the cleanest forecast window before a deadline, and record what it saved',
  arguments: [
    {
      name: 'command',
      description: 'the command and its arguments, after --',
      required: true,
      variadic: true,
    },
  ],
  options: RUN_OPTIONS,
  formats: ['table'],
  examples: [
    'carbonctl run --for 2h --within 12h -- make train',
    'carbonctl run --for 1h --within 24h --max-wait 6h --cpu-cores 4 -- ./nightly.sh --full',
    'carbonctl run --for 45min --within 8h --name nightly-build --on-missing-forecast run-now -- npm test',
  ],
  load: () => import('./run.js'),
};

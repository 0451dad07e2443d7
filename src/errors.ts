/**
 * The error hierarchy of carbonctl. Every failure that reaches the user is one of these;
 * `src/main.ts` maps them to exit codes (SPEC §1.2) in one place. Messages name what was
 * wrong and what to do about it.
 */

/** Base class: a failure with a user-facing message and the exit code it maps to. */
export abstract class CarbonctlError extends Error {
  abstract readonly exitCode: number;
  /** A follow-up line telling the user what to do, printed after the message. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Exit 2: an unknown flag, an invalid value, a bad date. */
export class UsageError extends CarbonctlError {
  readonly exitCode = 2;
}

/** Exit 2: the configuration file is invalid or a required setting is missing. */
export class ConfigError extends CarbonctlError {
  readonly exitCode = 2;
}

/**
 * Exit 3: Prometheus, an intensity provider or the ledger is unreachable, refused the
 * credentials, or answered something unusable.
 */
export class DataSourceError extends CarbonctlError {
  readonly exitCode = 3;
  /** Which source failed, e.g. `Prometheus at http://localhost:9090`. */
  readonly source: string;

  constructor(source: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.source = source;
  }
}

/** Exit 4: `budget check` measured more than the limit. */
export class BudgetExceededError extends CarbonctlError {
  readonly exitCode = 4;
}

/** Exit 5: data coverage below the threshold and `--strict` (or `--fail-on-missing-data`). */
export class IncompleteDataError extends CarbonctlError {
  readonly exitCode = 5;
}

/** Exit 130: the user cancelled at an interactive prompt. */
export class CancelledError extends CarbonctlError {
  readonly exitCode = 130;
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

/** The signals `wait` and `run` handle, with their numbers (exit status 128 + number). */
export const HANDLED_SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
/** A signal carbonctl handles while waiting or running a command. */
export type HandledSignal = keyof typeof HANDLED_SIGNALS;

/** Exit 128 + signal number (130 SIGINT, 143 SIGTERM): stopped by a signal while waiting. */
export class SignalledError extends CarbonctlError {
  readonly exitCode: number;
  constructor(signal: HandledSignal, message: string) {
    super(message);
    this.exitCode = 128 + HANDLED_SIGNALS[signal];
  }
}

/**
 * `carbonctl run`: the command it ran failed; carbonctl exits with the same status (the
 * command's exit code, 128 + signal number when it died by a signal, 127 when not found).
 * main.ts prints the message as a notice, not an error: the command has said what went wrong.
 */
export class CommandExitError extends CarbonctlError {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Exit 1: a bug. main.ts prints a hint to report it with the version. */
export class InternalError extends CarbonctlError {
  readonly exitCode = 1;
}

/** The exit codes of SPEC §1.2, for `carbonctl help exit-codes` and the README. */
export const EXIT_CODES: ReadonlyArray<{ code: number; meaning: string }> = [
  { code: 0, meaning: 'success (including "no data in that window", with a notice on stderr)' },
  { code: 1, meaning: 'unexpected internal error (please report it, with the version)' },
  {
    code: 2,
    meaning: 'usage error: unknown flag, invalid value, bad date, invalid or missing config',
  },
  {
    code: 3,
    meaning:
      'a data source failed: Prometheus, an intensity provider or the ledger is unreachable, refused the credentials, or answered something unusable',
  },
  { code: 4, meaning: 'budget exceeded (budget check)' },
  { code: 5, meaning: 'data incomplete and --strict was given (coverage below the threshold)' },
  {
    code: 130,
    meaning: 'cancelled: Ctrl-C at an interactive prompt, or SIGINT while `wait`/`run` waits',
  },
  {
    code: 143,
    meaning: 'SIGTERM while `wait`/`run` waits (`run` passes its command’s status through)',
  },
];

/** The exit code for any thrown value: ours carry one; anything else is a bug (1). */
export function exitCodeOf(error: unknown): number {
  return error instanceof CarbonctlError ? error.exitCode : 1;
}

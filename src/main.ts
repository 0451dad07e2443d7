/**
 * Composition root: build the context, run the program, map any error to its exit code.
 * The only place that decides the exit code (STYLE.md §5).
 */
import { CommanderError } from 'commander';
import { createContext, type ContextInit, type SignalSource } from './context.js';
import {
  CarbonctlError,
  CommandExitError,
  exitCodeOf,
  type HandledSignal,
  InternalError,
  UsageError,
} from './errors.js';
import { IOStreams } from './io/streams.js';
import { fromCommanderError, programFor } from './program.js';
import { defaultPaths } from './config/paths.js';
import { VERSION } from './version.js';
import { urlSecrets } from './core/secrets.js';

/** Everything main needs from the process; tests pass in-memory versions. */
export interface ProcessLike {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Signal subscription and exit: the real process has them; in-memory test processes do not. */
  on?: (event: HandledSignal, listener: () => void) => unknown;
  off?: (event: HandledSignal, listener: () => void) => unknown;
  exit?: (code: number) => never;
}

/** Run carbonctl with these arguments; resolves to the exit code. */
export async function main(
  proc: ProcessLike,
  overrides: Partial<
    Pick<ContextInit, 'now' | 'defaults' | 'makePrompter' | 'httpOptions' | 'sleep' | 'onSignal'>
  > & {
    isTTY?: { stdout: boolean; stderr: boolean; stdin: boolean };
  } = {},
): Promise<number> {
  const io = new IOStreams({
    stdout: proc.stdout as never,
    stderr: proc.stderr as never,
    stdin: proc.stdin as never,
    stdoutIsTTY: overrides.isTTY?.stdout ?? Boolean(proc.stdout.isTTY),
    stderrIsTTY: overrides.isTTY?.stderr ?? Boolean(proc.stderr.isTTY),
    stdinIsTTY: overrides.isTTY?.stdin ?? Boolean(proc.stdin.isTTY),
    env: proc.env,
    now: overrides.now ?? (() => new Date()),
    ...(proc.on && proc.off
      ? {
          signals: {
            on: (signal, listener) => proc.on?.(signal, listener),
            off: (signal, listener) => proc.off?.(signal, listener),
          },
        }
      : {}),
    // After an interrupt was handled (temp files removed, what was kept said): end now.
    ...(proc.exit ? { exit: (code: number) => proc.exit?.(code) } : {}),
  });
  // Credentials given in the environment are masked in every write, even before settings load.
  io.addSecrets(environmentSecrets(proc.env));
  let program: Awaited<ReturnType<typeof programFor>> | undefined;
  const context = createContext({
    io,
    env: proc.env,
    version: VERSION,
    now: overrides.now ?? (() => new Date()),
    defaults: overrides.defaults ?? defaultPaths,
    configFlag: () => program?.opts().config as string | undefined,
    ...(overrides.makePrompter ? { makePrompter: overrides.makePrompter } : {}),
    ...(overrides.httpOptions ? { httpOptions: overrides.httpOptions } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    onSignal: overrides.onSignal ?? processSignals(proc),
  });
  try {
    program = await programFor(context, proc.argv.slice(2));
    await program.parseAsync(proc.argv.slice(2), { from: 'user' });
    return 0;
  } catch (caught) {
    let error: unknown = caught;
    if (caught instanceof CommanderError) {
      const mapped = fromCommanderError(caught);
      if (!mapped) return 0;
      error = mapped;
    }
    return report(error, io, program?.opts().verbose === true || proc.argv.includes('--verbose'));
  } finally {
    await context.dispose();
  }
}

/** SIGINT/SIGTERM of the real process, for as long as a command listens (then default again). */
function processSignals(proc: ProcessLike): SignalSource {
  return (listener) => {
    const { on, off } = proc;
    if (on === undefined || off === undefined) return () => undefined;
    const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
      const handler = (): void => listener(signal);
      on.call(proc, signal, handler);
      return () => off.call(proc, signal, handler);
    });
    return () => handlers.forEach((remove) => remove());
  };
}

function report(error: unknown, io: IOStreams, verbose: boolean): number {
  if (error instanceof CommandExitError) {
    io.notice(error.message);
    return error.exitCode;
  }
  if (error instanceof CarbonctlError) {
    io.error(error.message);
    if (error.hint) io.info(`hint: ${error.hint}`);
    if (verbose && error.cause instanceof Error && error.cause.stack) io.info(error.cause.stack);
    if (error instanceof InternalError) io.info(reportHint());
    return error.exitCode;
  }
  // Anything else is a bug: one line, a hint to report it, and the stack only with --verbose.
  const message = error instanceof Error ? error.message : String(error);
  io.error(`internal error: ${message}`);
  io.info(reportHint());
  if (verbose && error instanceof Error && error.stack) io.info(error.stack);
  return exitCodeOf(error);
}

/** The secret values of the environment variables of SPEC §1.3. */
function environmentSecrets(env: Record<string, string | undefined>): string[] {
  const secrets = [
    env.CARBONCTL_PROMETHEUS_TOKEN,
    env.CARBONCTL_PROMETHEUS_PASSWORD,
    env.CARBONCTL_ELECTRICITYMAPS_TOKEN,
  ].filter((value): value is string => value !== undefined && value !== '');
  for (const url of [env.CARBONCTL_PROMETHEUS_URL, env.CARBONCTL_INTENSITY_URL]) {
    if (url) secrets.push(...urlSecrets(url));
  }
  return secrets;
}

function reportHint(): string {
  return `This is a bug in carbonctl ${VERSION}; please report it with the command you ran (re-run with --verbose for details).`;
}

export { UsageError };

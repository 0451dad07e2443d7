/**
 * Running the command of `carbonctl run`: stdin/stdout/stderr passed through, SIGINT/SIGTERM
 * forwarded, and the CPU time it used measured from `/proc/self/stat` (the `cutime`/`cstime`
 * of children this process has waited for, so grandchildren the command waited for count too).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { HandledSignal } from '../errors.js';

/** How the command ended and what it used. */
export interface ChildOutcome {
  /** Exit code, or null when it died by a signal. */
  exitCode: number | null;
  /** The signal that killed it, or null. */
  signal: NodeJS.Signals | null;
  /** CPU seconds (user + system) of the command and the children it waited for; null off Linux. */
  cpuSeconds: number | null;
  /** Signals forwarded to it while it ran. */
  forwarded: HandledSignal[];
}

/** The streams to pass through; those backed by a file descriptor are handed over as they are. */
export interface ChildStreams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** The command could not be started (not found, not executable). */
export class SpawnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// USER_HZ: the kernel reports /proc times in 1/100 s on every Linux architecture.
const USER_HZ = 100;

/** CPU seconds of this process's waited-for children so far, or null when /proc is unavailable. */
export function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]); // field 16
    const cstime = Number(fields[14]); // field 17
    if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return null;
    return (cutime + cstime) / USER_HZ;
  } catch {
    return null;
  }
}

function hasFd(stream: Readable | Writable): boolean {
  return typeof (stream as { fd?: unknown }).fd === 'number';
}

/**
 * Runs `command args…` to completion. Streams with a file descriptor (the real terminal, a
 * pipe, a file) are inherited, so the command sees a TTY where carbonctl did; others are piped.
 * Every signal `onSignal` reports is forwarded to the command; carbonctl keeps running until
 * the command exits, whatever it does with the signal.
 */
export function runChild(
  command: string,
  args: readonly string[],
  streams: ChildStreams,
  onSignal: (listener: (signal: HandledSignal) => void) => () => void,
): Promise<ChildOutcome> {
  const stdio: StdioOptions = [
    hasFd(streams.stdin) ? streams.stdin : 'pipe',
    hasFd(streams.stdout) ? streams.stdout : 'pipe',
    hasFd(streams.stderr) ? streams.stderr : 'pipe',
  ];
  const cpuBefore = childrenCpuSeconds();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio });
    const forwarded: HandledSignal[] = [];
    const unsubscribe = onSignal((signal) => {
      forwarded.push(signal);
      child.kill(signal);
    });
    if (child.stdout) child.stdout.pipe(streams.stdout, { end: false });
    if (child.stderr) child.stderr.pipe(streams.stderr, { end: false });
    if (child.stdin) {
      streams.stdin.pipe(child.stdin);
      // A command that does not read its input closes the pipe: that is not an error.
      child.stdin.on('error', () => undefined);
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      unsubscribe();
      if (child.stdin) streams.stdin.unpipe(child.stdin);
      reject(new SpawnError(error.code ?? 'UNKNOWN', error.message));
    });
    child.once('close', (exitCode, signal) => {
      unsubscribe();
      if (child.stdin) streams.stdin.unpipe(child.stdin);
      const cpuAfter = childrenCpuSeconds();
      resolve({
        exitCode,
        signal,
        cpuSeconds:
          cpuBefore === null || cpuAfter === null ? null : Math.max(0, cpuAfter - cpuBefore),
        forwarded,
      });
    });
  });
}

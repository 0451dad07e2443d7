/**
 * A test context: in-memory stdout/stderr, a fixed clock, a temp dir for config and ledger,
 * chosen TTY flags and environment. Runs the real program through `main`, so tests see exactly
 * what a user would, without spawning a process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/main.js';
import type { Prompter } from '../../src/io/prompter.js';

/** A writable that remembers what was written. */
export class Capture extends Writable {
  chunks: string[] = [];
  isTTY = false;
  constructor(private readonly onText?: (text: string) => void) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    this.onText?.(chunk.toString());
    callback();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** Options of one run. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  now?: Date;
  tty?: boolean;
  dir?: string;
  prompter?: Prompter;
  /** A moving clock (overrides `now`), e.g. one a fake sleeper advances. */
  clock?: () => Date;
  /** The sleeper port (default: the real timer). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The signal port (default: no signals). */
  onSignal?: (listener: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
  /** Called with stdout text as it is written (e.g. to react to a child's output). */
  onStdout?: (text: string) => void;
}

/** The outcome of one run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

/** A temp dir removed by the caller (or left for the OS). */
export function tempDir(prefix = 'carbonctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Remove a temp dir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Run carbonctl in-process with a test context. */
export async function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const dir = options.dir ?? tempDir();
  const stdout = new Capture(options.onStdout);
  const stderr = new Capture();
  const stdin = new PassThrough();
  const tty = options.tty ?? false;
  const env: Record<string, string | undefined> = { ...options.env };
  const code = await main(
    { argv: ['node', 'carbonctl', ...args], env, stdout, stderr, stdin },
    {
      now: options.clock ?? (() => options.now ?? new Date('2026-11-21T12:00:00Z')),
      defaults: () => ({
        configFile: join(dir, 'config', 'config.json'),
        ledgerFile: join(dir, 'data', 'ledger.db'),
      }),
      isTTY: { stdout: tty, stderr: tty, stdin: tty },
      httpOptions: { sleep: () => Promise.resolve() },
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.onSignal ? { onSignal: options.onSignal } : {}),
      ...(options.prompter ? { makePrompter: () => Promise.resolve(options.prompter!) } : {}),
    },
  );
  return { code, stdout: stdout.text, stderr: stderr.text, dir };
}

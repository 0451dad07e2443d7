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
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
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
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  const tty = options.tty ?? false;
  const env: Record<string, string | undefined> = { ...options.env };
  const code = await main(
    { argv: ['node', 'carbonctl', ...args], env, stdout, stderr, stdin },
    {
      now: () => options.now ?? new Date('2026-11-21T12:00:00Z'),
      defaults: () => ({
        configFile: join(dir, 'config', 'config.json'),
        ledgerFile: join(dir, 'data', 'ledger.db'),
      }),
      isTTY: { stdout: tty, stderr: tty, stdin: tty },
      httpOptions: { sleep: () => Promise.resolve() },
      ...(options.prompter ? { makePrompter: () => Promise.resolve(options.prompter!) } : {}),
    },
  );
  return { code, stdout: stdout.text, stderr: stderr.text, dir };
}

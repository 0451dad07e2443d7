import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSourceError } from '../../src/errors.js';
import { openLedger } from '../../src/store/ledger.js';
import { MIGRATIONS } from '../../src/store/schema.js';
import type { Ledger } from '../../src/store/types.js';

let buildDir: string;
let ledgerModule: string;
let childScript: string;
let dir: string;
let path: string;
let ledger: Ledger;
const children: ChildProcess[] = [];

/*
 * The cross-process tests run our real ledger code in separate node processes: esbuild bundles
 * src/store/ledger.ts (better-sqlite3 stays external, imported by absolute URL) for a tiny child
 * script that tries the lock, reports on stdout, and holds it for a while.
 */
beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'carbonctl-lock-build-'));
  ledgerModule = join(buildDir, 'ledger.mjs');
  const betterSqlite = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/store/ledger.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: ledgerModule,
    logLevel: 'silent',
    plugins: [
      {
        name: 'absolute-better-sqlite3',
        setup(plugin) {
          plugin.onResolve({ filter: /^better-sqlite3$/ }, () => ({
            path: betterSqlite,
            external: true,
          }));
        },
      },
    ],
  });
  childScript = join(buildDir, 'child.mjs');
  writeFileSync(
    childScript,
    `import { setTimeout as sleep } from 'node:timers/promises';
const [modulePath, ledgerPath, holdMs] = process.argv.slice(2);
const { openLedger } = await import(modulePath);
const ledger = openLedger(ledgerPath);
const result = ledger.tryAcquireTrackLock('default', 'nodes', { pid: process.pid, startedAt: new Date() });
if (typeof result === 'function') {
  console.log('acquired');
  await sleep(Number(holdMs));
  result();
  console.log('released');
} else {
  console.log('held-by ' + result.pid);
}
ledger.close();
`,
  );
});
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-'));
  path = join(dir, 'ledger.db');
  ledger = openLedger(path);
});
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a child that tries the lock and holds it for holdMs; resolves lines as they come. */
function startChild(
  holdMs: number,
  ledgerPath = path,
): {
  child: ChildProcess;
  lines: string[];
  line: (text: string) => Promise<void>;
  exited: Promise<void>;
} {
  const child = spawn(
    process.execPath,
    [childScript, pathToFileURL(ledgerModule).href, ledgerPath, String(holdMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  let buffered = '';
  child.stdout?.on('data', (data: Buffer) => {
    buffered += data.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      lines.push(part);
      for (const waiter of waiters.filter((w) => part.startsWith(w.text))) waiter.resolve();
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const line = (text: string): Promise<void> =>
    lines.some((existing) => existing.startsWith(text))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ text, resolve }));
  return { child, lines, line, exited };
}

const owner = (startedAt: string) => ({ pid: process.pid, startedAt: new Date(startedAt) });

describe('track lock in one process', () => {
  it('makes a second acquirer wait, then fail naming the holder', async () => {
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      0,
    );
    const started = Date.now();
    const error = await ledger
      .acquireTrackLock('default', 'nodes', owner('2025-01-01T00:05:00Z'), 300)
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toBe(
      `Ledger at ${path}: another carbonctl track (pid ${process.pid}, started 2025-01-01T00:00:00.000Z) is running for cluster default (nodes)`,
    );
    expect((error as DataSourceError).hint).toContain('taken over automatically');
    release();
    const again = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:05:00Z'),
      0,
    );
    again();
  });

  it('hands the lock to a waiter as soon as the holder releases it', async () => {
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      0,
    );
    setTimeout(release, 150);
    const started = Date.now();
    const second = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:05:00Z'),
      5000,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    second();
  });

  it('keeps locks of different clusters and sources independent', async () => {
    const nodes = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      0,
    );
    const pods = await ledger.acquireTrackLock('default', 'pods', owner('2025-01-01T00:00:00Z'), 0);
    const other = await ledger.acquireTrackLock('other', 'nodes', owner('2025-01-01T00:00:00Z'), 0);
    for (const release of [nodes, pods, other]) release();
  });

  it('takes over the stale lock of a process that no longer exists', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(dead.stdout);
    const raw = new Database(path);
    raw
      .prepare(
        'INSERT INTO track_locks (cluster, source, pid, hostname, started_at_ms, acquired_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('default', 'nodes', deadPid, hostname(), 0, 0);
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      0,
    );
    expect(raw.prepare('SELECT pid FROM track_locks').get()).toEqual({ pid: process.pid });
    release();
    expect(raw.prepare('SELECT count(*) AS n FROM track_locks').get()).toEqual({ n: 0 });
    raw.close();
  });

  it('treats a lock held on another host as live, and says where', async () => {
    const raw = new Database(path);
    raw
      .prepare(
        'INSERT INTO track_locks (cluster, source, pid, hostname, started_at_ms, acquired_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run('default', 'nodes', 999_999, 'build-server-2', Date.parse('2025-01-01T00:00:00Z'), 0);
    raw.close();
    await expect(
      ledger.acquireTrackLock('default', 'nodes', owner('2025-01-01T00:05:00Z'), 0),
    ).rejects.toThrow(
      'another carbonctl track (pid 999999 on build-server-2, started 2025-01-01T00:00:00.000Z)',
    );
  });

  it('releases held locks when the ledger is closed', async () => {
    await ledger.acquireTrackLock('default', 'nodes', owner('2025-01-01T00:00:00Z'), 0);
    ledger.close();
    ledger = openLedger(path);
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:05:00Z'),
      0,
    );
    release();
  });
});

describe('track lock across processes', () => {
  it('lets only one of two processes starting together hold it', async () => {
    const first = startChild(1500);
    const second = startChild(1500);
    await Promise.all([first.exited, second.exited]);
    const outcomes = [first.lines[0], second.lines[0]].sort();
    expect(outcomes[0]).toBe('acquired');
    const winner = first.lines[0] === 'acquired' ? first : second;
    expect(outcomes[1]).toBe(`held-by ${winner.child.pid}`);
  });

  it('lets processes create a new ledger at the same time: one migrates, none fails', async () => {
    const fresh = join(dir, 'fresh', 'ledger.db');
    const starters = [startChild(300, fresh), startChild(300, fresh), startChild(300, fresh)];
    await Promise.all(starters.map((starter) => starter.exited));
    expect(starters.map((starter) => starter.child.exitCode)).toEqual([0, 0, 0]);
    expect(
      starters.filter((starter) => starter.lines[0] === 'acquired').length,
    ).toBeGreaterThanOrEqual(1);
    const raw = new Database(fresh, { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({
      n: MIGRATIONS.length,
    });
    raw.close();
  });

  it('makes this process wait for a child holding the lock, then take it', async () => {
    const holder = startChild(1200);
    await holder.line('acquired');
    await expect(
      ledger.acquireTrackLock('default', 'nodes', owner('2025-01-01T00:00:00Z'), 100),
    ).rejects.toThrow(`another carbonctl track (pid ${holder.child.pid},`);
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      10_000,
    );
    expect(holder.lines).toContain('released');
    release();
  });

  it('takes over the lock of a track that was killed with SIGKILL', async () => {
    const holder = startChild(60_000);
    await holder.line('acquired');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const release = await ledger.acquireTrackLock(
      'default',
      'nodes',
      owner('2025-01-01T00:00:00Z'),
      0,
    );
    release();
  });
});

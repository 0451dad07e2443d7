/**
 * Issue 10 items 5, 13 and 14 at the io layer: a closed pipe stops a streamed export quietly;
 * temp files never outlive an interrupted or killed run; long work reports progress off a
 * terminal at a bounded rate and says what was kept on Ctrl-C.
 */
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFileAtomic, writeToStream } from '../../src/io/files.js';
import { IOStreams } from '../../src/io/streams.js';
import { Capture, removeDir, tempDir } from '../helpers/context.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** A pid no process can have (above Linux's largest pid_max, 2^22). */
const DEAD_PID = 9_999_999;

function io(options: { tty?: boolean; clock?: () => Date; signals?: EventEmitter } = {}) {
  const stderr = new Capture();
  const exits: number[] = [];
  const streams = new IOStreams({
    stdout: new Capture(),
    stderr,
    stdin: new PassThrough(),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    stdinIsTTY: false,
    env: {},
    now: options.clock ?? (() => new Date('2026-11-21T12:00:00Z')),
    ...(options.signals
      ? {
          signals: {
            on: (signal: string, listener: () => void) => options.signals?.on(signal, listener),
            off: (signal: string, listener: () => void) => options.signals?.off(signal, listener),
          },
          exit: (code: number) => void exits.push(code),
        }
      : {}),
  });
  return { streams, stderr, exits };
}

describe('5. a closed pipe', () => {
  it('stops a streamed export quietly when the reader goes away (EPIPE)', async () => {
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        writes += 1;
        if (writes === 1) callback();
        else {
          const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
          callback(error);
        }
      },
    });
    stdout.on('error', () => undefined);
    function* chunks() {
      for (let i = 0; i < 10_000; i++) yield `row ${i}\n`;
    }
    await expect(writeToStream(stdout, chunks())).resolves.toBeLessThan(10_000 * 8);
    expect(writes).toBeLessThan(10);
  });

  it('still rejects any other stream error', async () => {
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('disk on fire'), { code: 'EIO' }));
      },
    });
    stdout.on('error', () => undefined);
    await expect(writeToStream(stdout, ['a', 'b', 'c'])).rejects.toThrow('disk on fire');
  });
});

describe('13. temp files of interrupted runs', () => {
  it('removes the temp file when the run is interrupted mid-write', async () => {
    const signals = new EventEmitter();
    const { streams, exits } = io({ signals });
    const target = join(dir, 'report.csv');
    async function* chunks() {
      yield await Promise.resolve('a,b\n');
      // The temp file exists now; Ctrl-C arrives.
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toHaveLength(1);
      signals.emit('SIGINT');
      yield '1,2\n';
    }
    await writeFileAtomic(target, chunks(), {
      onInterrupt: (handler) => streams.onInterrupt(handler),
    }).catch(() => undefined);
    expect(exits).toEqual([130]);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // Once the write is over, nothing stays subscribed to the signals.
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('removes stale temp files of dead processes on the next run, never a live one', async () => {
    const dead = join(dir, `.report.csv.${DEAD_PID}.0123456789ab.tmp`);
    const live = join(dir, `.report.csv.${process.pid}.ba9876543210.tmp`);
    const otherName = join(dir, `.other.csv.${DEAD_PID}.0123456789ab.tmp`);
    for (const path of [dead, live, otherName]) writeFileSync(path, 'partial');
    await writeFileAtomic(join(dir, 'report.csv'), 'a,b\n');
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherName)).toBe(true);
    expect(await removeStaleTemporaries(dir, 'other.csv')).toEqual([otherName]);
  });
});

describe('14. progress off a terminal', () => {
  it('is silent for quick work, then prints a line per 10 % crossed and one after 30 s without', () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const { streams, stderr } = io({ clock: () => new Date(now) });
    const progress = streams.progress('Tracking hpc (nodes) from 2026-01-01…');
    progress.update('Tracking hpc (nodes): 4% (10/240 h)');
    now += 11_000;
    progress.update('Tracking hpc (nodes): 8% (20/240 h)');
    progress.update('Tracking hpc (nodes): 9% (22/240 h)');
    progress.update('Tracking hpc (nodes): 12% (30/240 h)');
    progress.update('Tracking hpc (nodes): 17% (40/240 h)');
    now += 31_000;
    progress.update('Tracking hpc (nodes): 19% (45/240 h)');
    progress.update('Reading chunk 3', 0.35);
    progress.stop('Tracked 240 h.');
    expect(stderr.text).toBe(
      [
        '2026-11-21T12:00:11.000Z Tracking hpc (nodes): 8% (20/240 h)',
        '2026-11-21T12:00:11.000Z Tracking hpc (nodes): 12% (30/240 h)',
        '2026-11-21T12:00:42.000Z Tracking hpc (nodes): 19% (45/240 h)',
        '2026-11-21T12:00:42.000Z Reading chunk 3',
        '2026-11-21T12:00:42.000Z Tracked 240 h.',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing at all for work that ends within 10 s', () => {
    let now = Date.parse('2026-11-21T12:00:00Z');
    const { streams, stderr } = io({ clock: () => new Date(now) });
    const progress = streams.spinner('Querying clusters…');
    now += 5_000;
    progress.update('Querying clusters: 50%');
    progress.stop();
    expect(stderr.text).toBe('');
  });

  it('prints nothing with --quiet', () => {
    const { streams, stderr } = io();
    streams.configure({ quiet: true });
    const progress = streams.spinner('Tracking…');
    progress.update('Tracking: 50%');
    progress.stop();
    expect(stderr.text).toBe('');
  });

  it('says what was kept and how to resume on Ctrl-C, then ends with 130', () => {
    const signals = new EventEmitter();
    const { streams, stderr, exits } = io({ signals });
    streams.progress('Tracking hpc…', {
      onInterrupt: () =>
        'Interrupted: 120 of 240 h are in the ledger (to 2026-01-06T00:00:00Z); run `carbonctl track --cluster hpc` to resume.',
    });
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(stderr.text).toContain('Interrupted: 120 of 240 h are in the ledger');
    expect(stderr.text).toContain('to resume.');
  });
});

describe('the last-line secret mask', () => {
  it('masks registered secrets on stderr, and on stdout only those long enough not to be data', () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const streams = new IOStreams({
      stdout,
      stderr,
      stdin: new PassThrough(),
      stdoutIsTTY: false,
      stderrIsTTY: true,
      stdinIsTTY: false,
      env: {},
      now: () => new Date('2026-11-21T12:00:00Z'),
    });
    streams.addSecrets(['astro', 'long-bearer-token', 'abc']);
    streams.error('refused long-bearer-token for astro (abc)');
    streams.out('project astro, long-bearer-token, abc\n');
    expect(stderr.text).toBe('error: refused •••••• for •••••• (abc)\n');
    expect(stdout.text).toBe('project astro, ••••••, abc\n');
  });
});

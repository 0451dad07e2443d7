/**
 * End-to-end: real OS signals to the built `bin/carbonctl.js`. `wait` sleeps for real here (the
 * test stops it with a signal as soon as it has printed its plan; nothing is timed), and `run`
 * forwards the signal to a real child.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { tempDir } from '../helpers/context.js';

const BIN = 'bin/carbonctl.js';
const HALF_HOUR = 1_800_000;

let server: LoopbackServer;
beforeAll(async () => {
  // A GB-shaped forecast from the half-hour containing {from}: 300 g/kWh, except 50 from 10 h on.
  server = await startLoopbackServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const match = /^\/intensity\/([^/]+)\/fw(24|48)h$/.exec(req.url);
    if (!match) {
      res.statusCode = 400;
      res.end('{"error":{"code":"400","message":"bad path"}}');
      return;
    }
    const start =
      Math.floor(Date.parse((match[1] ?? '').replace(/Z$/, ':00Z')) / HALF_HOUR) * HALF_HOUR;
    const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
    const data = Array.from({ length: 48 }, (_, i) => ({
      from: fmt(start + i * HALF_HOUR),
      to: fmt(start + (i + 1) * HALF_HOUR),
      intensity: { forecast: i >= 20 ? 50 : 300, actual: null, index: 'moderate' },
    }));
    res.end(JSON.stringify({ data }));
  });
});
afterAll(() => server.close());

function start(args: string[]): ChildProcessWithoutNullStreams {
  const home = tempDir('carbonctl-e2e-');
  return spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      XDG_CONFIG_HOME: `${home}/.config`,
      XDG_DATA_HOME: `${home}/.local/share`,
      CARBONCTL_INTENSITY_URL: server.url,
    },
  });
}

/** Sends `signal` once `stream` has printed `marker`; resolves with the exit code and output. */
function signalWhen(
  child: ChildProcessWithoutNullStreams,
  stream: 'stdout' | 'stderr',
  marker: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const output = { stdout: '', stderr: '' };
    let sent = false;
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].on('data', (chunk: Buffer) => {
        output[name] += chunk.toString();
        if (!sent && name === stream && output[name].includes(marker)) {
          sent = true;
          child.kill(signal);
        }
      });
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
}

describe('signals reach carbonctl wait and run', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during `wait` exits %i', async (signal, code) => {
    const child = start(['wait', '--for', '1h', '--within', '20h']);
    const result = await signalWhen(child, 'stderr', 'Plan: start', signal);
    expect(result.stderr).toContain('expected 50.0 g/kWh vs 300.0 starting now (83.3% less)');
    expect(result.stderr).toContain(`${signal} while waiting for the cleanest window`);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
  });

  it('SIGTERM during `run` goes to the command, and carbonctl exits with its code', async () => {
    const script = `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(7); });
      console.log('ready'); setInterval(() => {}, 1000);`;
    const child = start([
      'run',
      '--for',
      '1h',
      '--within',
      '2h',
      '--provider',
      'static',
      '--zone',
      'GB',
      '--no-record',
      '--',
      process.execPath,
      '-e',
      script,
    ]);
    const result = await signalWhen(child, 'stdout', 'ready', 'SIGTERM');
    expect(result.stdout).toBe('ready\nchild got SIGTERM\n');
    expect(result.code).toBe(7);
  });
});

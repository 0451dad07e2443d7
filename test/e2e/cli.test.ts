/**
 * End-to-end: spawn the built `bin/carbonctl.js` (CI builds it in `npm ci`'s prepare step) and
 * check stdout, stderr and the exit code exactly as a shell, a pipe or a cron job sees them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it, beforeAll } from 'vitest';
import { startLoopbackServer } from '../helpers/loopback-server.js';
import { run, tempDir } from '../helpers/context.js';

const BIN = 'bin/carbonctl.js';

function carbonctl(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const home = tempDir('carbonctl-e2e-');
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        XDG_CONFIG_HOME: `${home}/.config`,
        XDG_DATA_HOME: `${home}/.local/share`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('carbonctl (built binary)', () => {
  beforeAll(() => {
    if (!existsSync('dist/main.js'))
      throw new Error('dist/ is missing: run `npm run build` (npm ci does it in prepare)');
  });

  it('prints one JSON document on stdout and nothing on stderr', async () => {
    const result = await carbonctl([
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '185',
      '-o',
      'json',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const data = JSON.parse(result.stdout);
    expect(data.electricity_kwh.total).toBeCloseTo(0.0047222, 7);
    expect(data.carbon_gco2eq.total).toBeCloseTo(0.87361, 5);
  });

  it('renders a plain table in a pipe: no colour, no box drawing', async () => {
    const result = await carbonctl([
      'calculate',
      '--busy-cpu-seconds',
      '3600',
      '--intensity',
      '100',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+Electricity \(kWh\)\s+Carbon \(gCO2e\)$/m);
    expect(result.stdout).toMatch(/total\s+0\.012\s+1\.2/);
    expect(result.stdout).not.toContain('\u001b[');
    expect(result.stdout).not.toMatch(/[┌─│]/);
  });

  it('a usage error is exit 2, names the flag, and prints nothing on stdout', async () => {
    const result = await carbonctl(['calculate', '--busy-cpu-seconds', 'lots']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--busy-cpu-seconds lots is not a non-negative number');
    // off a TTY, stderr lines carry a timestamp (cron logs)
    expect(result.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error: /m);
  });

  it('an unknown flag is exit 2 with a suggestion', async () => {
    const result = await carbonctl(['calculate', '--busy-cpu-second', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--busy-cpu-second'");
    expect(result.stderr).toContain('--busy-cpu-seconds');
  });

  it('an intensity provider that refuses connections is exit 3 with a clear message', async () => {
    const port = await closedPort();
    const result = await carbonctl(['intensity'], {
      CARBONCTL_INTENSITY_URL: `http://127.0.0.1:${port}`,
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Carbon Intensity/i);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace without --verbose
  });

  it('an intensity provider answering HTTP 500 is exit 3', async () => {
    const server = await startLoopbackServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: '500 Internal Server Error', message: 'Requested resource not found.' },
        }),
      );
    });
    try {
      const result = await carbonctl(['intensity', '-o', 'json'], {
        CARBONCTL_INTENSITY_URL: server.url,
      });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Requested resource not found');
    } finally {
      await server.close();
    }
  });

  it('--version and --help work', async () => {
    const version = await carbonctl(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await carbonctl(['calculate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--busy-cpu-seconds');
  });

  it("--help and -h from the bin (the page prerendered at build) equal the program's own page", async () => {
    const program = await run(['--help']);
    expect(program.code).toBe(0);
    expect(program.stdout).toContain('Commands:');
    for (const flag of ['--help', '-h']) {
      const bin = await carbonctl([flag]);
      expect(bin.code).toBe(0);
      expect(bin.stdout).toBe(program.stdout);
    }
  });

  it('help exit-codes lists every code', async () => {
    const result = await carbonctl(['help', 'exit-codes']);
    expect(result.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '130'])
      expect(result.stdout).toMatch(new RegExp(`^${code}\\s`, 'm'));
  });
});

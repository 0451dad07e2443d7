/**
 * Issue 10 through the built binary, as a shell sees it: `report export … | head -1` (item 5),
 * a SIGTERM in the middle of `report export --out` (item 13), and the test tiers (item 18).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/store/ledger.js';
import { removeDir, tempDir } from '../helpers/context.js';
import { fillLedger } from '../helpers/ledger-fixture.js';

const BIN = 'bin/carbonctl.js';
let dir: string;
let ledger: string;

beforeAll(() => {
  dir = tempDir('carbonctl-e2e-hardening-');
  mkdirSync(join(dir, 'data'));
  ledger = join(dir, 'data', 'ledger.db');
  const opened = openLedger(ledger);
  // A year for 60 hosts: an export of a few MB, enough to fill any pipe buffer.
  fillLedger(opened, { entities: 60, from: new Date('2025-01-01T00:00:00Z'), hours: 24 * 365 });
  opened.close();
}, 120_000);
afterAll(() => removeDir(dir));

function spawnCarbonctl(args: string[]) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, CARBONCTL_LEDGER: ledger },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const EXPORT = ['report', 'export', '--years', '2025', '--granularity', 'hourly'];

describe('5. report export into a pipe that closes early', () => {
  it.each([[[...EXPORT, '--out', '-']], [[...EXPORT, '--format', 'json', '--out', '-']]])(
    '%j | head -1 exits 0 quietly',
    async (args) => {
      const child = spawnCarbonctl(args);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // `head -1`: read the first line, then close the pipe.
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('\n')) {
            child.stdout.destroy();
            resolve();
          }
        });
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toContain('internal error');
      expect(stderr).not.toContain('EPIPE');
      expect(code).toBe(0);
    },
  );
});

describe('13. SIGTERM during report export --out', () => {
  it('leaves no temp file behind and exits 143', async () => {
    const out = join(dir, 'reports', 'carbon.csv');
    const child = spawnCarbonctl([...EXPORT, '--out', out]);
    // Wait until the temp file exists, then interrupt.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        let names: string[] = [];
        try {
          names = readdirSync(join(dir, 'reports'));
        } catch {
          return;
        }
        if (names.some((name) => name.endsWith('.tmp'))) {
          clearInterval(poll);
          resolve();
        }
      }, 2);
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(readdirSync(join(dir, 'reports')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(code).toBe(143);
  });
});

describe('18. test tiers', () => {
  it('`vitest --project unit` lists the fast tier only; the three projects cover every test file', async () => {
    const list = async (...args: string[]) =>
      (
        await promisify(execFile)(process.execPath, [
          'node_modules/vitest/vitest.mjs',
          'list',
          '--filesOnly',
          ...args,
        ])
      ).stdout;
    const unit = await list('--project', 'unit');
    expect(unit).toContain('test/core/units.test.ts');
    expect(unit).not.toContain('test/integration/');
    expect(unit).not.toContain('test/e2e/');
    const integration = await list('--project', 'integration');
    expect(integration).toContain('test/integration/track.test.ts');
    expect(integration).not.toContain('test/core/');
    const e2e = await list('--project', 'e2e');
    expect(e2e).toContain('test/e2e/cli.test.ts');
    expect(e2e).not.toContain('test/core/');
  }, 60_000);
});

/**
 * The README's "runner without Prometheus" pipeline snippet, run as written through a shell with
 * the built binary: over budget it fails the job with exit 4, within budget it passes (issue #5,
 * "a pipeline snippet in the README fails with exit 4 when over budget").
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/context.js';

const README = readFileSync('README.md', 'utf8');

/** The `carbonctl budget check …` line of the README's "A runner without Prometheus" block. */
function offlineSnippet(): string {
  const section = README.slice(README.indexOf('### A runner without Prometheus'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const line = block.split('\n').find((text) => text.startsWith('carbonctl budget check'));
  if (line === undefined) throw new Error('README lost its offline budget snippet');
  return line;
}

/** Runs the snippet in `sh` with `carbonctl` on PATH (a wrapper around the built bin) and `$busy` set. */
function runSnippet(busySeconds: number): { code: number | null; stdout: string; stderr: string } {
  const home = tempDir('carbonctl-readme-');
  const binDir = join(home, 'bin');
  mkdirSync(binDir);
  writeFileSync(
    join(binDir, 'carbonctl'),
    `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/carbonctl.js')}" "$@"\n`,
    { mode: 0o755 },
  );
  const result = spawnSync('sh', ['-c', offlineSnippet()], {
    encoding: 'utf8',
    env: {
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      busy: String(busySeconds),
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('README pipeline snippet (offline budget check)', () => {
  it('is the documented command', () => {
    expect(offlineSnippet()).toBe(
      'carbonctl budget check --busy-cpu-seconds "$busy" --max-co2e 100g --provider static --zone DE',
    );
  });

  it('fails the job with exit 4 when the job is over budget', () => {
    // 10⁶ busy core-seconds × 12 W / 3.6e6 = 3.33 kWh; at any German grid average above 30 g/kWh
    // that is over 100 g.
    const over = runSnippet(1_000_000);
    expect(over.code, over.stderr).toBe(4);
    expect(over.stdout + over.stderr).toMatch(/over budget|exceed/i);
  });

  it('passes with exit 0 when the job is within budget', () => {
    // 100 s × 12 W / 3.6e6 = 0.000333 kWh: well under a gram at any grid intensity.
    const within = runSnippet(100);
    expect(within.code, within.stderr).toBe(0);
  });
});

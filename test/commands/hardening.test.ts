/**
 * Issue 10, one test (or a few) per item: each fails on the code before the fix. Items 3, 5, 13,
 * 14 and 18 have their own files (http, e2e, io); the registry walks are fuzz-flags, format-pairs
 * and secrets.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandSpec } from '../../src/commands/spec.js';
import { redactTree, isSecretPath, redactString } from '../../src/core/secrets.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { tinyLedgerRows, writeLedger } from './ledger-readers.js';
import { makeReadOnly } from '../io/read-only.js';

const NOW = new Date('2026-11-21T12:05:00Z');
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function dirWithConfig(config: unknown, text?: string): { dir: string; file: string } {
  const dir = tempDir('carbonctl-hardening-');
  dirs.push(dir);
  mkdirSync(join(dir, 'config'), { recursive: true });
  const file = join(dir, 'config', 'config.json');
  writeFileSync(file, text ?? JSON.stringify(config));
  return { dir, file };
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /(^|\s)error: /.test(l));

describe('1–2. the redaction rule at every depth', () => {
  it('redacts credentials by key at any depth, every header value, and URL userinfo', () => {
    const cluster = {
      name: 'a',
      prometheus: {
        url: 'http://u:p4ssw0rd@prom:9090',
        token: 't0ken',
        password: null,
        headers: { Authorization: 'Bearer x', 'X-Scope-OrgID': 'tenant' },
      },
    };
    expect(redactTree({ clusters: [cluster] })).toEqual({
      clusters: [
        {
          name: 'a',
          prometheus: {
            url: 'http://prom:9090/',
            token: '••••••',
            password: null,
            headers: { Authorization: '••••••', 'X-Scope-OrgID': '••••••' },
          },
        },
      ],
    });
    // A subtree keeps the rule of its position.
    expect(redactTree({ Authorization: 'Bearer x' }, 'clusters[0].prometheus.headers')).toEqual({
      Authorization: '••••••',
    });
    expect(isSecretPath('intensity.token')).toBe(true);
    expect(isSecretPath('clusters[3].prometheus.apiKey')).toBe(true);
    expect(isSecretPath('clusters[0].prometheus.headers')).toBe(false);
    expect(isSecretPath('clusters[0].prometheus.url')).toBe(false);
    expect(redactString('http://prom:9090')).toBe('http://prom:9090');
  });

  it('config get of a parent key, in JSON, shows no token, password, header or URL password', async () => {
    const { dir } = dirWithConfig({
      clusters: [
        {
          name: 'main',
          prometheus: {
            url: 'http://user:hunter2-url@prom:9090',
            token: 'bearer-hunter2',
            headers: { Authorization: 'Basic aHVudGVyMg==' },
          },
        },
        {
          name: 'b',
          prometheus: { url: 'http://prom:9091', username: 'u', password: 'pw-hunter2' },
        },
      ],
    });
    for (const key of ['clusters', 'clusters[0].prometheus', 'clusters[0].prometheus.headers']) {
      const result = await run(['config', 'get', key, '-o', 'json'], { dir });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/hunter2|aHVudGVyMg/);
    }
    const list = await run(['config', 'list', '-o', 'csv'], { dir });
    expect(list.stdout).toContain('clusters[0].prometheus.url,http://prom:9090/');
    expect(list.stdout).toContain('clusters[0].prometheus.headers.Authorization,••••••');
    expect(list.stdout).not.toMatch(/hunter2/);
  });
});

describe('4. file modes', () => {
  it('creates the ledger and its -wal/-shm 0600, and a report export follows the umask', async () => {
    const dir = tempDir('carbonctl-modes-');
    dirs.push(dir);
    const ledger = join(dir, 'data', 'ledger.db');
    writeLedger(ledger, tinyLedgerRows());
    for (const name of readdirSync(join(dir, 'data'))) {
      expect([name, statSync(join(dir, 'data', name)).mode & 0o777]).toEqual([name, 0o600]);
    }
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    const out = join(dir, 'reports', 'r.csv');
    const result = await run(
      ['report', 'export', '--from', '2026-11-01', '--to', '2026-12-01', '--out', out],
      { dir, now: NOW, env: { CARBONCTL_LEDGER: ledger } },
    );
    expect(result.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o666 & ~process.umask());
  });
});

describe('6. a format a result cannot take', () => {
  it('intensity --best-window -o csv is exit 2 naming the formats, not an internal error', async () => {
    const server = await startLoopbackServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const from = /^\/intensity\/([^/]+)\/fw(24|48)h$/.exec(req.url)?.[1] ?? '2026-11-21T12:00Z';
      const start = Date.parse(from.replace(/Z$/, ':00Z'));
      const data = Array.from({ length: 48 }, (_, i) => ({
        from: new Date(start + i * 1_800_000).toISOString().slice(0, 16) + 'Z',
        to: new Date(start + (i + 1) * 1_800_000).toISOString().slice(0, 16) + 'Z',
        intensity: { forecast: 100 + i, actual: null, index: 'moderate' },
      }));
      res.end(JSON.stringify({ data }));
    });
    try {
      const result = await run(
        ['intensity', '--best-window', '2h', '--within', '12h', '-o', 'csv'],
        { now: NOW, env: { CARBONCTL_INTENSITY_URL: server.url } },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('-o csv is not available for `carbonctl intensity`');
      expect(result.stderr).toContain('Use one of: table, json, markdown.');
      expect(errorLines(result.stderr)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('7–9. windows, durations and offsets are checked before any query', () => {
  let prometheus: LoopbackServer;
  beforeAll(async () => {
    prometheus = await startLoopbackServer((_req, res) => {
      res.statusCode = 400;
      res.end('{"status":"error","errorType":"bad_data","error":"too many points"}');
    });
  });
  afterAll(() => prometheus.close());
  const env = () => ({ CARBONCTL_PROMETHEUS_URL: prometheus.url });

  it.each([
    [['track', '--last', '99999999y'], 'is not a duration of at most 100 years'],
    [
      ['recommendations', 'generate', '--lookback', '1000y'],
      'is not a duration of at most 100 years',
    ],
    [
      ['recommendations', 'generate', '--lookback', '50y'],
      'the analysis window is longer than a year',
    ],
    [['track', '--from', '2026-01-01', '--to', '2025-12-01'], 'its start is not before its end'],
    [['track', '--from', '2026-11-21T10:00:00Z', '--to', '2026-11-21T10:00:00Z'], 'is empty'],
    [['track', '--from', '2027-01-01'], 'the last complete hour'],
    [['track', '--from', '2026-01-01T00:00:00+25:00'], 'a real UTC offset'],
    [['usage', '--from', '2026-01-01T00:00:00-14:30'], 'a real UTC offset'],
  ])('%j → exit 2 (%s) and no request', async (args, message) => {
    const before = prometheus.requests.length;
    const result = await run(args, { now: NOW, env: env() });
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toHaveLength(1);
    expect(prometheus.requests.length).toBe(before);
  });

  it('still accepts the extreme real offsets +14:00 and -12:00', async () => {
    const { parseTimeInput } = await import('../../src/core/units.js');
    expect(parseTimeInput('2026-01-01T00:00:00+14:00', 'UTC').toISOString()).toBe(
      '2025-12-31T10:00:00.000Z',
    );
    expect(parseTimeInput('2026-01-01T00:00:00-1200', 'UTC').toISOString()).toBe(
      '2026-01-01T12:00:00.000Z',
    );
  });
});

describe('10–11. config validate and config set/unset', () => {
  it('config validate rejects a workspaces.selector that track would reject', async () => {
    const { dir } = dirWithConfig({
      clusters: [{ name: 'hpc', workspaces: { selector: 'job=node' } }],
    });
    const result = await run(['config', 'validate'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('clusters[0].workspaces.selector: label matchers "job=node"');
    const good = dirWithConfig({
      clusters: [{ name: 'hpc', workspaces: { selector: 'job="node", env=~"prod|dev"' } }],
    });
    expect((await run(['config', 'validate'], { dir: good.dir })).code).toBe(0);
  });

  it('config unset of an unknown key is exit 2 and leaves the file as it was', async () => {
    const text = '{\n    "pue": 1.3\n}\n';
    const { dir, file } = dirWithConfig(null, text);
    const result = await run(['config', 'unset', 'no.such.key'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no.such.key is not a setting');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('config unset of a key that is not in the file is a no-op that never rewrites it', async () => {
    const text = '{\n\t"pue": 1.3}';
    const { dir, file } = dirWithConfig(null, text);
    const before = statSync(file);
    const result = await run(['config', 'unset', 'timezone'], { dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('timezone was not set');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mode).toBe(before.mode);
    expect(statSync(file).ino).toBe(before.ino);
  });

  it('config set keeps the file indentation and its final newline', async () => {
    const { dir, file } = dirWithConfig(null, '{\n    "pue": 1.3\n}\n');
    expect((await run(['config', 'set', 'timezone', 'Europe/London'], { dir })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      '{\n    "pue": 1.3,\n    "timezone": "Europe/London"\n}\n',
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('15. every help page has an example', () => {
  const pages: string[][] = [];
  const walk = (specs: ReadonlyArray<CommandSpec>, prefix: string[]) => {
    for (const spec of specs) {
      if (spec.hidden) continue;
      pages.push([...prefix, spec.name]);
      walk(spec.subcommands ?? [], [...prefix, spec.name]);
    }
  };
  walk(COMMANDS, []);

  it.each(pages.map((page) => [page.join(' ')]))('carbonctl %s --help', async (page) => {
    const result = await run([...page.split(' '), '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nExamples:\n {2}\$ carbonctl /);
  });
});

describe('16. hints suggest plausible values', () => {
  it.each([
    [['calculate', '--busy-cpu-seconds', '1', '--pue', '-1'], 'e.g. --pue 1.2.'],
    [['calculate', '--busy-cpu-seconds', '1', '--intensity', '-5'], 'e.g. --intensity 200.'],
    [['calculate', '--busy-cpu-seconds', '-1'], 'e.g. --busy-cpu-seconds 3600.'],
  ])('%j hints %s', async (args, hint) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(hint);
    expect(result.stderr).not.toContain(' 1000.');
  });

  it('intensity --provider fixed does not hint at a flag intensity lacks', async () => {
    const result = await run(['intensity', '--provider', 'fixed']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('carbonctl config set intensity.fixed 185');
    expect(result.stderr).not.toMatch(/pass --intensity/);
  });
});

describe('17. a ledger in a read-only directory', () => {
  it('is read by usage and report, and nothing is written beside it or left in the temp dir', async () => {
    const dir = tempDir('carbonctl-ro-');
    dirs.push(dir);
    const data = join(dir, 'data');
    mkdirSync(data);
    const ledger = join(data, 'ledger.db');
    writeLedger(ledger, tinyLedgerRows());
    const copies = () =>
      readdirSync(tmpdir()).filter((name) => name.startsWith('carbonctl-ledger-'));
    const copiesBefore = copies().length;
    const undo = makeReadOnly(data);
    try {
      const env = { CARBONCTL_LEDGER: ledger };
      const usage = await run(
        ['usage', '--by', 'owner', '--from', '2026-11-01', '--to', '2026-12-01', '-o', 'json'],
        { dir, now: NOW, env },
      );
      expect(usage.stderr).toBe('');
      expect(usage.code).toBe(0);
      const rows = (JSON.parse(usage.stdout) as { rows: Array<{ owner: string }> }).rows;
      expect(rows.map((row) => row.owner).sort()).toContain('alice');
      const summary = await run(
        ['report', 'summary', '--from', '2026-11-01', '--to', '2026-12-01'],
        {
          dir,
          now: NOW,
          env,
        },
      );
      expect(summary.code).toBe(0);
      expect(readdirSync(data)).toEqual(['ledger.db']);
      expect(copies().length).toBe(copiesBefore);
    } finally {
      undo();
    }
  });
});

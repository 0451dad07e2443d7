/**
 * Secrets never appear in output (SPEC §1.3, issue 10 items 1–3): plants a bearer token, a
 * basic-auth password, a password in the Prometheus URL, an Authorization header and an
 * Electricity Maps token, then greps every command's output in every format, with `-v`, the
 * errors, the exports and the ledger. Prometheus answers every request with a redirect to
 * another origin, which must receive none of the credentials or configured headers.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandSpec } from '../../src/commands/spec.js';
import { OUTPUT_FORMATS } from '../../src/output/render.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { tinyLedgerRows, writeLedger } from './ledger-readers.js';

const TOKEN = 'tok-SECRET-1234';
const PASSWORD = 'pw-SECRET-5678';
const URL_PASSWORD = 'urlpw-SECRET-9012';
const HEADER_TOKEN = 'hdr-SECRET-3456';
const EM_TOKEN = 'em-SECRET-abcdef';
const ENV_TOKEN = 'env-SECRET-7777';
const SECRETS = [
  TOKEN,
  PASSWORD,
  URL_PASSWORD,
  HEADER_TOKEN,
  EM_TOKEN,
  ENV_TOKEN,
  Buffer.from(`bob:${PASSWORD}`).toString('base64'),
  Buffer.from(`promuser:${URL_PASSWORD}`).toString('base64'),
];

const NOW = new Date('2026-11-21T12:05:00Z');

let prometheus: LoopbackServer;
let elsewhere: LoopbackServer;
let dir: string;
const outputs: Array<{ label: string; text: string }> = [];

function leafCommands(specs: ReadonlyArray<CommandSpec>, prefix: string[] = []): string[][] {
  return specs.flatMap((spec) => {
    if (spec.hidden) return [];
    const path = [...prefix, spec.name];
    return [...(spec.load ? [path] : []), ...leafCommands(spec.subcommands ?? [], path)];
  });
}

/** Arguments that make each command do real work here (the rest of the registry runs bare). */
const ARGS: Record<string, string[]> = {
  calculate: ['--busy-cpu-seconds', '3600'],
  equivalencies: ['1000'],
  track: ['--last', '2h', '--cluster', 'main'],
  usage: ['--by', 'owner', '--from', '2026-11-01', '--to', '2026-12-01'],
  history: ['--month', '2026-11'],
  heatmap: ['--year', '2026'],
  'report summary': ['--from', '2026-11-01', '--to', '2026-12-01'],
  'report export': ['--from', '2026-11-01', '--to', '2026-12-01', '--out', '-'],
  'recommendations show': ['rec-1'],
  'recommendations apply': ['rec-1'],
  'recommendations ignore': ['rec-1'],
  'recommendations restore': ['rec-1'],
  'recommendations generate': ['--cluster', 'main'],
  'budget check': ['--busy-cpu-seconds', '3600', '--max-co2e', '1kg'],
  'clusters show': ['main'],
  'config get': ['clusters'],
  'config set': ['pue', '1.1'],
  'config unset': ['pue'],
  completion: ['bash'],
  help: ['exit-codes'],
};

function configText(): string {
  return JSON.stringify({
    ledger: join(dir, 'ledger.db'),
    intensity: { provider: 'fixed', fixed: 100, token: EM_TOKEN },
    clusters: [
      {
        name: 'main',
        prometheus: {
          url: `http://promuser:${URL_PASSWORD}@127.0.0.1:${new URL(prometheus.url).port}`,
          token: TOKEN,
          headers: { Authorization: `Bearer ${HEADER_TOKEN}`, 'X-Scope-OrgID': 'tenant-a' },
        },
      },
      {
        name: 'basic',
        prometheus: { url: prometheus.url, username: 'bob', password: PASSWORD },
      },
    ],
  });
}

async function carbonctl(
  label: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  const configFile = join(dir, 'config', 'config.json');
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(configFile, configText());
  const result = await run(args, {
    dir,
    now: NOW,
    env,
  });
  outputs.push({ label: `${label} (exit ${result.code})`, text: result.stdout + result.stderr });
}

beforeAll(async () => {
  elsewhere = await startLoopbackServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"success","data":{"resultType":"vector","result":[]}}');
  });
  prometheus = await startLoopbackServer((req, res) => {
    res.statusCode = 307;
    res.setHeader('location', `${elsewhere.url}${req.url}`);
    res.end();
  });
  dir = tempDir('carbonctl-secrets-');
  writeLedger(join(dir, 'ledger.db'), tinyLedgerRows());

  for (const path of leafCommands(COMMANDS)) {
    if (path[0] === 'init') continue; // init writes a new config; covered below
    const args = [...path, ...(ARGS[path.join(' ')] ?? [])];
    for (const format of OUTPUT_FORMATS) {
      await carbonctl(`${args.join(' ')} -o ${format} -v`, [...args, '-o', format, '-v']);
    }
  }
  // Parent keys at every depth, in every format (issue 10 item 1).
  for (const key of [
    'clusters',
    'clusters[0]',
    'clusters[0].prometheus',
    'clusters[0].prometheus.headers',
    'clusters[0].prometheus.url',
    'clusters[1].prometheus',
    'intensity',
  ]) {
    for (const format of ['table', 'json']) {
      await carbonctl(`config get ${key} -o ${format}`, ['config', 'get', key, '-o', format]);
    }
  }
  // A token from the environment (it needs --cluster with two clusters configured).
  const fromEnv = { CARBONCTL_PROMETHEUS_TOKEN: ENV_TOKEN };
  for (const format of OUTPUT_FORMATS) {
    await carbonctl(
      `config list --cluster main -o ${format} (env token)`,
      ['config', 'list', '--cluster', 'main', '-o', format],
      fromEnv,
    );
  }
  await carbonctl(
    'track --cluster main -v (env token)',
    ['track', '--cluster', 'main', '-v'],
    fromEnv,
  );
  await carbonctl(
    'doctor --cluster main -v (env token)',
    ['doctor', '--cluster', 'main', '-v'],
    fromEnv,
  );
  await carbonctl('track -v (env token, no --cluster: an error)', ['track', '-v'], fromEnv);
  // Errors that name the cluster and its URL.
  await carbonctl('doctor --cluster basic -v', ['doctor', '--cluster', 'basic', '-v']);
  await carbonctl('config set with a bad value', [
    'config',
    'set',
    'clusters[0].prometheus.timeoutSeconds',
    '-5',
  ]);
  // Exports written to files.
  await carbonctl('report export to a file', [
    'report',
    'export',
    '--from',
    '2026-11-01',
    '--to',
    '2026-12-01',
    '--out',
    join(dir, 'export.csv'),
  ]);
  await carbonctl('export prometheus --textfile', [
    'export',
    'prometheus',
    '--textfile',
    join(dir, 'carbonctl.prom'),
  ]);
}, 240_000);

afterAll(async () => {
  await prometheus.close();
  await elsewhere.close();
  removeDir(dir);
});

describe('planted secrets', () => {
  it('ran every command in every format', () => {
    expect(outputs.length).toBeGreaterThan(100);
  });

  it('appear in no output, format, -v trace or error', () => {
    const leaks = outputs.flatMap(({ label, text }) =>
      SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${label}: ${secret}`),
    );
    expect(leaks).toEqual([]);
  });

  it('appear in no export and not in the ledger', () => {
    const files = readdirSync(dir)
      .filter((name) => /\.(csv|prom|db|db-wal|db-shm)$/.test(name))
      .map((name) => join(dir, name));
    expect(files.some((file) => file.endsWith('export.csv'))).toBe(true);
    expect(existsSync(join(dir, 'carbonctl.prom'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file).toString('latin1');
      for (const secret of SECRETS)
        expect(bytes.includes(secret), `${file}: ${secret}`).toBe(false);
    }
  });

  it('are redacted by key in config get of parent keys (the header names stay visible)', () => {
    const shown = outputs.find((o) =>
      o.label.startsWith('config get clusters[0].prometheus -o json'),
    );
    expect(shown?.text).toContain('"token": "••••••"');
    expect(shown?.text).toContain('"Authorization": "••••••"');
    expect(shown?.text).toContain('"url": "http://127.0.0.1:');
    expect(shown?.text).not.toContain('promuser');
  });

  it('never reach another origin on a redirect: no credentials, no configured headers', () => {
    expect(elsewhere.requests.length).toBeGreaterThan(0);
    for (const request of elsewhere.requests) {
      const headers = JSON.stringify(request.headers);
      for (const secret of SECRETS) expect(headers).not.toContain(secret);
      expect(request.headers['authorization']).toBeUndefined();
      expect(request.headers['x-scope-orgid']).toBeUndefined();
    }
    const traced = outputs.filter((o) =>
      o.text.includes('credentials and configured headers dropped'),
    );
    expect(traced.length).toBeGreaterThan(0);
  });
});

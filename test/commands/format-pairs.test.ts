/**
 * Every command × every output format, from the registry: each pair either renders (exit 0 with
 * output) or is a usage error (exit 2) naming the formats the command supports — never an
 * internal error (exit 1). Commands that need Prometheus run against a closed port, so for them
 * only "never exit 1, and an unsupported format is exit 2 before any request" is checked.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandSpec } from '../../src/commands/spec.js';
import { OUTPUT_FORMATS } from '../../src/output/render.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { tinyLedgerRows, writeLedger } from './ledger-readers.js';

const NOW = new Date('2026-11-21T12:05:00Z');
const NOVEMBER = ['--from', '2026-11-01', '--to', '2026-12-01'];

/** One representative invocation per leaf command; `renders` when it can run offline here. */
const INVOCATIONS: Record<string, { args: string[]; renders: boolean }[]> = {
  intensity: [
    { args: ['intensity'], renders: true },
    { args: ['intensity', '--forecast', '24'], renders: true },
    { args: ['intensity', '--best-window', '2h', '--within', '12h'], renders: true },
  ],
  calculate: [
    { args: ['calculate', '--busy-cpu-seconds', '3600', '--intensity', '100'], renders: true },
  ],
  equivalencies: [{ args: ['equivalencies', '1000'], renders: true }],
  track: [{ args: ['track', '--last', '2h', '--dry-run'], renders: false }],
  usage: [{ args: ['usage', '--by', 'owner', ...NOVEMBER], renders: true }],
  history: [{ args: ['history', '--month', '2026-11'], renders: true }],
  heatmap: [{ args: ['heatmap', '--year', '2026'], renders: true }],
  'report summary': [{ args: ['report', 'summary', ...NOVEMBER], renders: true }],
  'report export': [{ args: ['report', 'export', ...NOVEMBER, '--out', '-'], renders: true }],
  'recommendations list': [{ args: ['recommendations', 'list'], renders: true }],
  'recommendations generate': [{ args: ['recommendations', 'generate'], renders: false }],
  'recommendations show': [{ args: ['recommendations', 'show', 'rec-1'], renders: false }],
  'recommendations apply': [{ args: ['recommendations', 'apply', 'rec-1'], renders: false }],
  'recommendations ignore': [{ args: ['recommendations', 'ignore', 'rec-1'], renders: false }],
  'recommendations restore': [{ args: ['recommendations', 'restore', 'rec-1'], renders: false }],
  'recommendations savings': [{ args: ['recommendations', 'savings'], renders: true }],
  'export prometheus': [{ args: ['export', 'prometheus'], renders: true }],
  'budget check': [
    {
      args: [
        'budget',
        'check',
        '--busy-cpu-seconds',
        '3600',
        '--intensity',
        '100',
        '--max-co2e',
        '1kg',
      ],
      renders: true,
    },
  ],
  'budget status': [{ args: ['budget', 'status'], renders: false }],
  wait: [
    {
      args: ['wait', '--for', '1h', '--within', '3h', '--provider', 'static', '--zone', 'FR'],
      renders: true,
    },
  ],
  run: [
    {
      args: [
        'run',
        '--for',
        '1h',
        '--within',
        '3h',
        '--provider',
        'static',
        '--zone',
        'FR',
        '--',
        process.execPath,
        '-e',
        '',
      ],
      renders: true,
    },
  ],
  'clusters list': [{ args: ['clusters', 'list'], renders: false }],
  score: [{ args: ['score'], renders: false }],
  'workspaces list': [{ args: ['workspaces', 'list'], renders: true }],
  'workspaces show': [{ args: ['workspaces', 'show', 'host-a'], renders: true }],
  'workspaces groups': [{ args: ['workspaces', 'groups', ...NOVEMBER], renders: true }],
  'clusters show': [{ args: ['clusters', 'show', 'default'], renders: false }],
  doctor: [{ args: ['doctor'], renders: false }],
  'config path': [{ args: ['config', 'path'], renders: true }],
  'config list': [{ args: ['config', 'list'], renders: true }],
  'config get': [{ args: ['config', 'get', 'intensity'], renders: true }],
  'config set': [{ args: ['config', 'set', 'pue', '1.2'], renders: false }],
  'config unset': [{ args: ['config', 'unset', 'pue'], renders: false }],
  'config validate': [{ args: ['config', 'validate'], renders: true }],
  init: [{ args: ['init'], renders: false }],
  completion: [{ args: ['completion', 'bash'], renders: true }],
  help: [{ args: ['help', 'exit-codes'], renders: true }],
};

function leafCommands(specs: ReadonlyArray<CommandSpec>, prefix: string[] = []) {
  const leaves: Array<{ name: string; spec: CommandSpec }> = [];
  for (const spec of specs) {
    if (spec.hidden) continue;
    const path = [...prefix, spec.name];
    if (spec.load) leaves.push({ name: path.join(' '), spec });
    leaves.push(...leafCommands(spec.subcommands ?? [], path));
  }
  return leaves;
}

const LEAVES = leafCommands(COMMANDS);

/** A GB-API-shaped forecast of 48 half-hours from the half-hour containing `fromIso`. */
function forecastBody(fromIso: string): string {
  const start = Math.floor(Date.parse(fromIso.replace(/Z$/, ':00Z')) / 1_800_000) * 1_800_000;
  const data = Array.from({ length: 48 }, (_, i) => {
    const from = new Date(start + i * 1_800_000);
    const fmt = (d: Date) => d.toISOString().slice(0, 16) + 'Z';
    const value = i % 7 === 3 ? 60 : 200;
    return {
      from: fmt(from),
      to: fmt(new Date(from.getTime() + 1_800_000)),
      intensity: { forecast: value, actual: null, index: 'moderate' },
    };
  });
  return JSON.stringify({ data });
}

let server: LoopbackServer;
let ledger: string;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const forecast = /^\/intensity\/([^/]+)\/fw(24|48)h$/.exec(req.url);
    if (forecast?.[1]) res.end(forecastBody(forecast[1]));
    else res.end(readFileSync('fixtures/intensity/uk-national-intensity-current.json'));
  });
  const dir = tempDir('carbonctl-formats-');
  dirs.push(dir);
  mkdirSync(join(dir, 'data'), { recursive: true });
  ledger = join(dir, 'data', 'ledger.db');
  writeLedger(ledger, tinyLedgerRows());
});
afterAll(async () => {
  await server.close();
  dirs.forEach(removeDir);
});

describe('every command × output format from the registry', () => {
  it('has a representative invocation for every command', () => {
    expect(LEAVES.map((leaf) => leaf.name).sort()).toEqual(Object.keys(INVOCATIONS).sort());
  });

  const pairs = LEAVES.flatMap(({ name, spec }) =>
    (INVOCATIONS[name] ?? []).flatMap((invocation) =>
      OUTPUT_FORMATS.map((format) => ({ name, spec, invocation, format })),
    ),
  );

  it.each(pairs.map((p) => [`${p.invocation.args.join(' ')} -o ${p.format}`, p] as const))(
    '%s renders or is exit 2 naming the formats',
    async (_title, { spec, invocation, format }) => {
      const dir = tempDir('carbonctl-format-');
      dirs.push(dir);
      // `-o` belongs to carbonctl, so it goes before a `--` that starts a child's command line.
      const split = invocation.args.indexOf('--');
      const args =
        split < 0
          ? [...invocation.args, '-o', format]
          : [...invocation.args.slice(0, split), '-o', format, ...invocation.args.slice(split)];
      const result = await run(args, {
        dir,
        now: NOW,
        env: {
          CARBONCTL_INTENSITY_URL: server.url,
          CARBONCTL_LEDGER: ledger,
          CARBONCTL_PROMETHEUS_URL: 'http://127.0.0.1:9',
        },
      });
      expect(result.stderr).not.toContain('internal error');
      expect(result.code).not.toBe(1);
      // Whatever reaches stdout, even beside a failure, ends its last line.
      if (result.stdout !== '') expect(result.stdout.at(-1)).toBe('\n');
      const declared = spec.formats ?? ['table', 'json', 'markdown'];
      if (!declared.includes(format)) {
        expect(result.code).toBe(2);
      }
      if (result.code === 2 && /-o \w+ is not available/.test(result.stderr)) {
        expect(result.stderr).toMatch(/Use one of: [a-z, ]+\./);
      }
      if (invocation.renders && declared.includes(format)) {
        // Renders, or (a result that is not a list under csv) says which formats it supports.
        if (result.code === 2) expect(result.stderr).toMatch(/Use one of: /);
        else {
          expect(result.code).toBe(0);
          // An empty list may print nothing as a table (with a notice); JSON is always a document.
          if (format === 'json') expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
        }
      }
    },
  );
});

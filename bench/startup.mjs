#!/usr/bin/env node
// Start-up benchmark (SPEC §12, issue 15): every top-level command, started as a user starts it
// (the built bin, a fresh process), against bare `node -e 0`. Each case runs in turn with the
// baseline — A B A B … — and the ratio is taken pair by pair, so drift on a shared machine moves
// both sides of a ratio alike. Printed per case: A's and B's median wall time and the ratio's
// median with its min and max (the spread: a wide one says the machine was noisy), and the ratio
// of the children's total CPU time (user + system, GNU time), which other work moves far less.
// Target (issue 15): ≤ 1.2× for --version, --help, calculate, intensity --provider static and
// usage on an empty ledger; the rest are shown for scale.
//
//   npm run build && node bench/startup.mjs [--runs 20] [--only <substring>] [--bin <other bin>]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    only: { type: 'string' },
    // Another build's bin (e.g. a checkout of the previous commit) for before/after figures.
    bin: { type: 'string' },
  },
});
const runs = Math.max(3, Number(flags.runs));
const bin = flags.bin ?? fileURLToPath(new URL('../bin/carbonctl.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'carbonctl-bench-startup-'));
const env = {
  PATH: process.env.PATH,
  HOME: work,
  CARBONCTL_CONFIG: join(work, 'config.json'),
  CARBONCTL_LEDGER: join(work, 'ledger.db'),
  NO_COLOR: '1',
};
writeFileSync(env.CARBONCTL_CONFIG, '{}');

/** [label, arguments, target?] — the offline form of each command, or its help page. */
const CASES = [
  ['--version', ['--version'], true],
  ['--help', ['--help'], true],
  [
    'calculate … -o json',
    [
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '185',
      '-o',
      'json',
    ],
    true,
  ],
  [
    'intensity --provider static --zone FR',
    ['intensity', '--provider', 'static', '--zone', 'FR'],
    true,
  ],
  ['usage (empty ledger)', ['usage'], true],
  ['equivalencies 1000 -o json', ['equivalencies', '1000', '-o', 'json']],
  ['history (empty ledger)', ['history']],
  ['heatmap (empty ledger)', ['heatmap']],
  ['report summary (empty ledger)', ['report', 'summary']],
  ['report export --help', ['report', 'export', '--help']],
  ['recommendations list', ['recommendations', 'list']],
  ['export prometheus --help', ['export', '--help']],
  ['budget status', ['budget', 'status']],
  ['config list', ['config', 'list']],
  ['track --help', ['track', '--help']],
  ['wait --help', ['wait', '--help']],
  ['run --help', ['run', '--help']],
  ['clusters --help', ['clusters', '--help']],
  ['doctor --help', ['doctor', '--help']],
  ['init --help', ['init', '--help']],
  ['completion bash', ['completion', 'bash']],
  ['help exit-codes', ['help', 'exit-codes']],
].filter(([label]) => flags.only === undefined || label.includes(flags.only));

/**
 * One run: wall ms, and the child's CPU ms (user + system, from GNU time: far less moved than
 * the wall time by other work on a shared machine; the time binary itself is in both sides).
 */
function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && result.status !== 5)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { ms, cpuMs: (user + system) * 1000 };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const ms = (value) => `${value.toFixed(1).padStart(6)} ms`;

// An empty ledger, created by the real store code (bundled on the fly, as report-export.mjs does).
const repo = fileURLToPath(new URL('..', import.meta.url));
const betterSqlite = pathToFileURL(
  createRequire(join(repo, 'package.json')).resolve('better-sqlite3'),
).href;
await build({
  stdin: {
    contents: "export { openLedger } from './src/store/ledger.ts';",
    resolveDir: repo,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: join(work, 'store.mjs'),
  logLevel: 'warning',
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
const { openLedger } = await import(pathToFileURL(join(work, 'store.mjs')).href);
openLedger(env.CARBONCTL_LEDGER).close();
const baseline = ['-e', '0'];
console.log(
  `start-up vs \`node -e 0\` (node ${process.version}, ${process.platform}); ${runs} A/B pairs in turn per case, after one warm-up each`,
);
console.log(
  `${'case'.padEnd(40)} ${'A median'.padStart(9)}  ${'node -e 0'.padStart(9)}  wall ratio [min–max]     CPU (sum A / sum B)`,
);
const verdicts = [];
try {
  for (const [label, args, target] of CASES) {
    const command = [bin, ...args];
    time(command);
    time(baseline);
    const a = [];
    const b = [];
    const ratios = [];
    // GNU time reports CPU in 10 ms steps: the ratio of the totals over all runs, not per run.
    let cpuA = 0;
    let cpuB = 0;
    for (let index = 0; index < runs; index++) {
      const ta = time(command);
      const tb = time(baseline);
      a.push(ta.ms);
      b.push(tb.ms);
      ratios.push(ta.ms / tb.ms);
      cpuA += ta.cpuMs;
      cpuB += tb.cpuMs;
    }
    const ratio = median(ratios);
    const range = (values) =>
      `${median(values).toFixed(2)}× [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]`;
    const verdict = target ? (ratio <= 1.2 ? '  ok (≤ 1.2×)' : '  MISSED (target ≤ 1.2×)') : '';
    if (target) verdicts.push(ratio <= 1.2);
    console.log(
      `${label.padEnd(40)} ${ms(median(a))}  ${ms(median(b))}  ${range(ratios).padEnd(24)} ${(cpuA / Math.max(cpuB, 1)).toFixed(2).padStart(5)}×${verdict}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (verdicts.length)
  console.log(`targets met: ${verdicts.filter(Boolean).length} of ${verdicts.length}`);

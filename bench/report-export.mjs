#!/usr/bin/env node
// Ledger read benchmark (SPEC §12 "Speed"): `carbonctl report export --years <y> --granularity
// monthly --group-by owner` over a year × 1,000 workspaces (8.76 M entity-hours), and `usage
// --by owner` over the same year, timed as a user runs them (the built bin, a fresh process).
// Memory must stay flat as the ledger grows: the same export's peak RSS (`/usr/bin/time -v`) on
// a ledger of 1 year and on one of 5 years (5× the rows; the export still reads one year).
// Targets: export < 2 s, usage < 1 s, RSS at 5× ≈ RSS at 1×.
//
//   npm run build && node bench/report-export.mjs [--entities 1000] [--runs 5] [--fresh]
//
// The ledgers are filled through the real `commitChunk` by test/helpers/ledger-fixture.ts
// (`fillLedger`: 50 owners, 20 projects, hourly rows; bundled on the fly with esbuild) and cached
// under $TMPDIR/carbonctl-bench/ (`--fresh` rebuilds them; the 5-year one takes a few minutes).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    entities: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    fresh: { type: 'boolean', default: false },
  },
});
const entities = Number(flags.entities);
const runs = Math.max(1, Number(flags.runs));
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'carbonctl.js');
if (!existsSync('/usr/bin/time'))
  throw new Error('/usr/bin/time (GNU time) is needed for the peak memory figures');
if (!existsSync(join(repo, 'dist', 'main.js')))
  throw new Error('dist/ is missing: run `npm run build` first');

const YEAR = 2025;
const log = (line) => process.stderr.write(`${line}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// ---------------------------------------------------------------- ledgers (cached)
const cacheDir = join(tmpdir(), 'carbonctl-bench', `ledger-${entities}`);
if (flags.fresh) rmSync(cacheDir, { recursive: true, force: true });
mkdirSync(cacheDir, { recursive: true });

let fixtureModule = null;
async function loadFixtures() {
  if (fixtureModule !== null) return fixtureModule;
  const outfile = join(cacheDir, 'ledger-fixture.mjs');
  const betterSqlite = pathToFileURL(
    createRequire(join(repo, 'package.json')).resolve('better-sqlite3'),
  ).href;
  await build({
    stdin: {
      contents: `export { openLedger } from './src/store/ledger.ts';\nexport { fillLedger } from './test/helpers/ledger-fixture.ts';\n`,
      resolveDir: repo,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
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
  fixtureModule = await import(pathToFileURL(outfile).href);
  return fixtureModule;
}

/**
 * A ledger of `years` whole years ending with YEAR, `entities` workspaces tracked every hour. The
 * earlier years are filled first (another seed); YEAR itself always gets the same rows, so every
 * ledger's YEAR export must be byte-identical.
 */
async function ledgerOf(years) {
  const path = join(cacheDir, `ledger-${years}y.db`);
  const done = `${path}.complete`;
  if (existsSync(done)) return path;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  const { openLedger, fillLedger } = await loadFixtures();
  const hoursBetween = (from, to) => (to.getTime() - from.getTime()) / 3_600_000;
  const yearStart = new Date(Date.UTC(YEAR, 0, 1));
  const earliest = new Date(Date.UTC(YEAR - years + 1, 0, 1));
  log(
    `filling a ${years}-year ledger: ${entities} workspaces × ${hoursBetween(earliest, new Date(Date.UTC(YEAR + 1, 0, 1)))} hours (once; cached in ${cacheDir})`,
  );
  const started = Date.now();
  const ledger = openLedger(path);
  let rows = 0;
  try {
    if (years > 1)
      rows += fillLedger(ledger, {
        entities,
        from: earliest,
        hours: hoursBetween(earliest, yearStart),
        chunkHours: 24,
        seed: 8,
      }).rows;
    rows += fillLedger(ledger, {
      entities,
      from: yearStart,
      hours: hoursBetween(yearStart, new Date(Date.UTC(YEAR + 1, 0, 1))),
      chunkHours: 24,
      seed: 7,
    }).rows;
    log(`  ${rows.toLocaleString('en')} rows in ${seconds(Date.now() - started)}`);
  } finally {
    ledger.close();
  }
  writeFileSync(done, '');
  return path;
}

const oneYear = await ledgerOf(1);
const fiveYears = await ledgerOf(5);

// ---------------------------------------------------------------- measurements
const work = mkdtempSync(join(tmpdir(), 'carbonctl-bench-report-'));
/** One command on a ledger under /usr/bin/time -v: wall ms, max RSS MB, stdout. */
function carbonctl(ledger, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: {
      PATH: process.env.PATH,
      HOME: work,
      CARBONCTL_LEDGER: ledger,
      CARBONCTL_CONFIG: join(work, 'none.json'),
      NO_COLOR: '1',
      CI: '1',
    },
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `carbonctl ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-3000)}`,
    );
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]);
  return { wallMs, rssMb: rssKb / 1024, stdout: result.stdout };
}
writeFileSync(join(work, 'none.json'), '{}');

const exportArgs = [
  'report',
  'export',
  '--years',
  String(YEAR),
  '--granularity',
  'monthly',
  '--group-by',
  'owner',
  '--format',
  'csv',
  '--out',
  '-',
];
const usageArgs = ['usage', '--by', 'owner', '--years', String(YEAR), '-o', 'json'];
const cases = [
  ['export, 1-year ledger', oneYear, exportArgs],
  ['export, 5-year ledger', fiveYears, exportArgs],
  ['usage --by owner, 1-year ledger', oneYear, usageArgs],
  ['usage --by owner, 5-year ledger', fiveYears, usageArgs],
  ['node bin/carbonctl.js --version', oneYear, ['--version']],
];
// Warm the page cache once per case (a cron job runs against a ledger the OS has seen), then
// interleave the cases so drift affects all equally.
const outputs = new Map(
  cases.map(([name, ledger, args]) => [name, carbonctl(ledger, args).stdout]),
);
const samples = new Map(cases.map(([name]) => [name, { wall: [], rss: [] }]));
for (let index = 0; index < runs; index++) {
  for (const [name, ledger, args] of cases) {
    const measured = carbonctl(ledger, args);
    samples.get(name).wall.push(measured.wallMs);
    samples.get(name).rss.push(measured.rssMb);
  }
}
rmSync(work, { recursive: true, force: true });

const csv = outputs.get('export, 1-year ledger').trim().split('\n');
// Both ledgers hold the same 2025 (same seed): the exports must be identical.
const sameExport = outputs.get('export, 1-year ledger') === outputs.get('export, 5-year ledger');
const usage = JSON.parse(outputs.get('usage --by owner, 1-year ledger'));
const size = (path) => `${(statSync(path).size / 1e9).toFixed(2)} GB`;
const figure = (name) => ({
  wall: median(samples.get(name).wall),
  rss: Math.max(...samples.get(name).rss),
});
const verdict = (ok) => (ok ? 'ok' : 'MISSED');
console.log(
  `report/usage benchmark (node ${process.version}, ${process.platform}); medians of ${runs} runs, fresh process each`,
);
console.log(
  `ledgers: 1 year = ${(entities * 8760).toLocaleString('en')} entity-hours (${size(oneYear)}), 5 years = ${(entities * 43824).toLocaleString('en')} (${size(fiveYears)})`,
);
console.log(
  `export: ${csv.length - 1} CSV rows (12 months × ${usage.rows.length} owners); identical on both ledgers: ${sameExport}`,
);
for (const [name] of cases) {
  const { wall, rss } = figure(name);
  const target = name.startsWith('export')
    ? wall < 2000
    : name.startsWith('usage')
      ? wall < 1000
      : true;
  const limit = name.startsWith('export')
    ? ' (target < 2 s)'
    : name.startsWith('usage')
      ? ' (target < 1 s)'
      : '';
  console.log(
    `${name.padEnd(34)} ${seconds(wall).padStart(9)}  max RSS ${`${rss.toFixed(0)} MB`.padStart(7)}  ${name.includes('--version') ? '' : verdict(target)}${limit}`,
  );
}
const exportGrowth = figure('export, 5-year ledger').rss / figure('export, 1-year ledger').rss;
const usageGrowth =
  figure('usage --by owner, 5-year ledger').rss / figure('usage --by owner, 1-year ledger').rss;
console.log(
  `memory at 5× the ledger: export ×${exportGrowth.toFixed(2)}, usage ×${usageGrowth.toFixed(2)}  ${verdict(exportGrowth < 1.1 && usageGrowth < 1.1)} (flat: < ×1.1)`,
);

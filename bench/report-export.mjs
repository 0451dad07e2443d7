#!/usr/bin/env node
// Ledger read benchmark (SPEC §12 "Speed"): `carbonctl report export --years <y> --granularity
// monthly --group-by owner` over a year × 1,000 workspaces (8.76 M entity-hours), and `usage
// --by owner` over the same year, timed as a user runs them (the built bin, a fresh process).
// Memory must stay flat as the ledger grows: the same export's peak RSS (`/usr/bin/time -v`) on
// a ledger of 1 year and on one of 5 years (5× the rows; the export still reads one year).
// Targets (issue 15): export and usage < 0.5 s and ≤ 1.5× the bare-SQL floor (the command's own
// statement run once by a bare better-sqlite3 script, a fresh process too); RSS at 5× ≈ RSS at 1×.
// Cases run in turn, round after round; ratios to the floor are taken round by round and printed
// as median [min–max] (the spread: a wide one says the machine was noisy).
//
//   npm run build && node bench/report-export.mjs [--entities 1000] [--runs 5] [--fresh]
//   node bench/report-export.mjs --scale [--entities 250|1000|2000]   # 1, 4 and 12 months only
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
    scale: { type: 'boolean', default: false },
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
      contents: `export { openLedger } from './src/store/ledger.ts';\nexport { fillLedger } from './test/helpers/ledger-fixture.ts';\nexport { planBuckets, buildAggregateSql, DAY_MAP_TABLE, HOUR_MAP_TABLE } from './src/store/aggregate.ts';\nexport { enumerateBuckets } from './src/core/periods.ts';\nexport { addDayMask, countDistinctHours } from './src/store/aggregate.ts';\n`,
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

/**
 * The bare-SQL floor: a script that opens the ledger with better-sqlite3 alone and runs the
 * command's own row statement once (the period × group aggregate for the export, the group
 * aggregate for usage), reading every result row. Built from the same store code, so the SQL is
 * exactly what carbonctl sends; a fresh process per run, like the command.
 */
async function floorScript() {
  const { planBuckets, buildAggregateSql, DAY_MAP_TABLE, HOUR_MAP_TABLE, enumerateBuckets } =
    await loadFixtures();
  const from = new Date(Date.UTC(YEAR, 0, 1));
  const to = new Date(Date.UTC(YEAR + 1, 0, 1));
  const filter = { from, to };
  const monthly = planBuckets(filter, enumerateBuckets(from, to, 'monthly', 'UTC'));
  const statements = {
    export: { plan: monthly, built: buildAggregateSql(monthly, 'owner', filter) },
    usage: (() => {
      const plan = planBuckets(filter, undefined);
      return { plan, built: buildAggregateSql(plan, 'owner', filter) };
    })(),
  };
  const path = join(cacheDir, 'floor.mjs');
  writeFileSync(
    path,
    `import Database from ${JSON.stringify(pathToFileURL(createRequire(join(repo, 'package.json')).resolve('better-sqlite3')).href)};
import { addDayMask, countDistinctHours } from ${JSON.stringify(pathToFileURL(join(cacheDir, 'ledger-fixture.mjs')).href)};
const statements = ${JSON.stringify(statements)};
const { plan, built } = statements[process.argv[3]];
const db = new Database(process.argv[2], { readonly: true });
db.exec(\`CREATE TEMP TABLE ${DAY_MAP_TABLE} (day INTEGER PRIMARY KEY, bucket INTEGER NOT NULL);
CREATE TEMP TABLE ${HOUR_MAP_TABLE} (hour INTEGER PRIMARY KEY, bucket INTEGER NOT NULL);\`);
db.aggregate('carbonctl_distinct_hours', { start: () => new Map(), step: (state, packed) => addDayMask(state, Number(packed)), result: countDistinctHours, deterministic: true });
if (plan.dayMap) db.prepare('INSERT INTO temp.${DAY_MAP_TABLE} SELECT value ->> 0, value ->> 1 FROM json_each(?)').run(JSON.stringify(plan.dayMap));
if (plan.hourMap) db.prepare('INSERT INTO temp.${HOUR_MAP_TABLE} SELECT value ->> 0, value ->> 1 FROM json_each(?)').run(JSON.stringify(plan.hourMap));
let rows = 0;
for (const row of db.prepare(built.sql).iterate(built.params)) rows += row ? 1 : 0;
process.stdout.write(String(rows));
`,
  );
  return path;
}

const oneYear = await ledgerOf(1);
const fiveYears = flags.scale ? null : await ledgerOf(5);

// ---------------------------------------------------------------- measurements
const work = mkdtempSync(join(tmpdir(), 'carbonctl-bench-report-'));
/** One command on a ledger under /usr/bin/time -v: wall ms, max RSS MB, stdout. */
function carbonctl(ledger, args) {
  return timed(ledger, [bin, ...args]);
}
function timed(ledger, argv) {
  const args = argv;
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, ...argv], {
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
if (flags.scale) {
  // Time linear in the window: the same ledger read for 1, 4 and 12 months.
  const windows = [
    ['1 month', `${YEAR}-01-01`, `${YEAR}-01-31`],
    ['4 months', `${YEAR}-01-01`, `${YEAR}-04-30`],
    ['12 months', `${YEAR}-01-01`, `${YEAR}-12-31`],
  ];
  const scaleCases = windows.flatMap(([label, from, to]) => [
    [
      `export ${label}`,
      [
        'report',
        'export',
        '--from',
        from,
        '--to',
        to,
        '--granularity',
        'monthly',
        '--group-by',
        'owner',
        '--format',
        'csv',
        '--out',
        '-',
      ],
    ],
    [`usage ${label}`, ['usage', '--by', 'owner', '--from', from, '--to', to, '-o', 'json']],
  ]);
  for (const [, args] of scaleCases) carbonctl(oneYear, args);
  const walls = new Map(scaleCases.map(([name]) => [name, []]));
  for (let index = 0; index < runs; index++)
    for (const [name, args] of scaleCases) walls.get(name).push(carbonctl(oneYear, args).wallMs);
  rmSync(work, { recursive: true, force: true });
  console.log(
    `scale: ${entities} workspaces, medians of ${runs} runs in turn (node ${process.version})`,
  );
  for (const [name] of scaleCases) {
    const values = walls.get(name);
    console.log(
      `${name.padEnd(20)} ${seconds(median(values))} [${seconds(Math.min(...values))}–${seconds(Math.max(...values))}]`,
    );
  }
  process.exit(0);
}

const floor = await floorScript();
const cases = [
  ['bare-SQL floor: export statement', oneYear, [floor, oneYear, 'export'], 'raw'],
  ['bare-SQL floor: usage statement', oneYear, [floor, oneYear, 'usage'], 'raw'],
  ['export, 1-year ledger', oneYear, exportArgs],
  ['export, 5-year ledger', fiveYears, exportArgs],
  ['usage --by owner, 1-year ledger', oneYear, usageArgs],
  ['usage --by owner, 5-year ledger', fiveYears, usageArgs],
  ['node bin/carbonctl.js --version', oneYear, ['--version']],
];
// Warm the page cache once per case (a cron job runs against a ledger the OS has seen), then
// interleave the cases so drift affects all equally.
const runCase = (ledger, args, raw) => (raw ? timed(ledger, args) : carbonctl(ledger, args));
const outputs = new Map(
  cases.map(([name, ledger, args, raw]) => [name, runCase(ledger, args, raw).stdout]),
);
const samples = new Map(cases.map(([name]) => [name, { wall: [], rss: [] }]));
for (let index = 0; index < runs; index++) {
  for (const [name, ledger, args, raw] of cases) {
    const measured = runCase(ledger, args, raw);
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
const spread = (name) => {
  const values = samples.get(name).wall;
  return `[${seconds(Math.min(...values))}–${seconds(Math.max(...values))}]`;
};
/** Ratio to a floor, taken run by run (the cases of one round run back to back), median [min–max]. */
const pairedRatio = (name, floorName) => {
  const ratios = samples
    .get(name)
    .wall.map((wall, index) => wall / samples.get(floorName).wall[index]);
  return `${median(ratios).toFixed(2)}× [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`;
};
console.log(
  `vs the bare-SQL floor (target ≤ 1.5×): export ${pairedRatio('export, 1-year ledger', 'bare-SQL floor: export statement')}, usage ${pairedRatio('usage --by owner, 1-year ledger', 'bare-SQL floor: usage statement')}`,
);
for (const [name] of cases) {
  const { wall, rss } = figure(name);
  // Issue 15: export and usage < 0.5 s (SPEC §12's bars, 2 s and 1 s, are far looser).
  const judged = name.startsWith('export') || name.startsWith('usage');
  console.log(
    `${name.padEnd(34)} ${seconds(wall).padStart(9)} ${spread(name).padEnd(19)} max RSS ${`${rss.toFixed(0)} MB`.padStart(7)}  ${judged ? `${verdict(wall < 500)} (target < 0.5 s)` : ''}`,
  );
}
const exportGrowth = figure('export, 5-year ledger').rss / figure('export, 1-year ledger').rss;
const usageGrowth =
  figure('usage --by owner, 5-year ledger').rss / figure('usage --by owner, 1-year ledger').rss;
console.log(
  `memory at 5× the ledger: export ×${exportGrowth.toFixed(2)}, usage ×${usageGrowth.toFixed(2)}  ${verdict(exportGrowth < 1.1 && usageGrowth < 1.1)} (flat: < ×1.1)`,
);

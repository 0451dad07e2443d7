#!/usr/bin/env node
// Writes Prometheus backfill fixtures (OpenMetrics) and their truth, for benchmarks:
//
//   node scripts/gen-prom-fixtures.mjs --out /tmp/prom.om --truth bench/data/truth.json \
//        --nodes 1000 --days 30 --cpus 1 --modes user,idle --no-pods --no-scenarios \
//        --slice-hours 24 --promtool-into bench/data/tsdb
//
// With --promtool-into, each day is backfilled (`promtool tsdb create-blocks-from openmetrics`)
// into that TSDB directory as soon as it is written, and deleted: a month at 15 s is ~60 GB of
// text, so it never exists on disk at once. Without it the files stay for you to backfill.
// Serve the result with `prometheus --storage.tsdb.path=<dir> --storage.tsdb.retention.time=100y`.
//
// The generator itself is TypeScript (test/helpers/prom-fixtures.ts, shared with the integration
// tests). Node 20 cannot run TypeScript and the project has no tsx, so this script compiles that
// one module with esbuild (already a dev dependency, used by the build) into a temporary file
// and imports it: one implementation, no duplicated generator code.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    truth: { type: 'string' },
    seed: { type: 'string', default: '1' },
    start: { type: 'string', default: '2025-01-06T00:00:00Z' },
    days: { type: 'string' },
    hours: { type: 'string' },
    nodes: { type: 'string', default: '1000' },
    cpus: { type: 'string' },
    modes: { type: 'string' },
    'scrape-interval': { type: 'string', default: '15' },
    'ksm-interval': { type: 'string' },
    'extra-deployments': { type: 'string', default: '0' },
    'slice-hours': { type: 'string' },
    'no-pods': { type: 'boolean', default: false },
    'no-scenarios': { type: 'boolean', default: false },
    'promtool-into': { type: 'string' },
    promtool: { type: 'string', default: 'promtool' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help || args.out === undefined) {
  console.error(`usage: node scripts/gen-prom-fixtures.mjs --out <file.om> [--truth <file.json>]
  [--nodes 1000] [--days N | --hours N] [--cpus N] [--modes user,system,iowait,idle]
  [--scrape-interval 15] [--ksm-interval 30] [--extra-deployments N] [--slice-hours 24]
  [--no-pods] [--no-scenarios] [--seed 1] [--start 2025-01-06T00:00:00Z]
  [--promtool-into <tsdb dir> [--promtool /usr/bin/promtool]]
With --slice-hours, one file per slice: <out> with .0, .1, … before the extension.
With --promtool-into, each file is backfilled into <tsdb dir> when complete, then deleted.`);
  process.exit(args.help ? 0 : 2);
}

const integer = (name, text) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} ${text} is not a whole number`);
    process.exit(2);
  }
  return value;
};

const workDir = mkdtempSync(join(tmpdir(), 'carbonctl-gen-'));
try {
  const bundle = join(workDir, 'prom-fixtures.mjs');
  await build({
    entryPoints: [new URL('../test/helpers/prom-fixtures.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
  });
  const { writePromFixtureFiles } = await import(pathToFileURL(bundle).href);

  const hours =
    args.hours !== undefined
      ? integer('hours', args.hours)
      : integer('days', args.days ?? '1') * 24;
  const options = {
    seed: integer('seed', args.seed),
    start: new Date(args.start),
    hours,
    nodes: integer('nodes', args.nodes),
    scrapeIntervalSeconds: integer('scrape-interval', args['scrape-interval']),
    scenarios: !args['no-scenarios'],
    pods: !args['no-pods'],
    extraDeployments: integer('extra-deployments', args['extra-deployments']),
  };
  if (args.cpus !== undefined) options.cpusPerNode = integer('cpus', args.cpus);
  if (args.modes !== undefined) options.nodeModes = args.modes.split(',');
  if (args['ksm-interval'] !== undefined)
    options.ksmScrapeIntervalSeconds = integer('ksm-interval', args['ksm-interval']);
  if (args['slice-hours'] !== undefined)
    options.sliceHours = integer('slice-hours', args['slice-hours']);

  const into = args['promtool-into'];
  if (into !== undefined) mkdirSync(into, { recursive: true });
  const backfill = (file) => {
    // Blocks as long as the slice (promtool re-reads the whole input once per block).
    const blockHours = Math.max(2, options.sliceHours ?? hours);
    const result = spawnSync(
      args.promtool,
      [
        'tsdb',
        'create-blocks-from',
        'openmetrics',
        '--quiet',
        `--max-block-duration=${blockHours}h`,
        file,
        into,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (result.status !== 0)
      throw new Error(`promtool failed on ${file} (exit ${result.status ?? result.signal})`);
    rmSync(file);
    console.error(`backfilled ${file}`);
  };

  const startedAt = performance.now();
  const { files, fixture } = writePromFixtureFiles(
    args.out,
    options,
    into === undefined ? undefined : backfill,
  );
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  if (args.truth !== undefined) {
    writeFileSync(
      args.truth,
      JSON.stringify({
        start: fixture.start,
        end: fixture.end,
        stepSeconds: fixture.stepSeconds,
        scenario: fixture.scenario,
        truth: fixture.truth,
      }),
    );
  }
  console.error(
    `wrote ${fixture.sampleCount} samples in ${files.length} file(s) (${seconds} s): ${files.join(' ')}` +
      `; window ${fixture.start.toISOString()} .. ${fixture.end.toISOString()}, ${fixture.truth.length} truth rows`,
  );
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

#!/usr/bin/env node
// Backfill benchmark (SPEC §12 "Speed", issue 15): `carbonctl track --from --to` over `--days` of
// data for `--entities` workspaces from a real Prometheus, priced with the uk provider against a
// loopback GB Carbon Intensity API (so the per-hour intensity work is real, not a fixed value),
// against the time curl takes to fetch the very same PromQL results AT TRACK'S OWN CONCURRENCY,
// plus track's peak memory (`/usr/bin/time -v`) for the window and for half of it.
// Targets (issue 15): track ≤ 1.1× curl at the same concurrency; time linear in the window;
// max RSS < 200 MB and flat.
//
//   npm run build && node bench/track-backfill.mjs [--entities 1000] [--days 30] [--step 60]
//                                                  [--runs 2] [--fresh] [--intensity uk|fixed]
//   (4 and 12 months: --days 120 / --days 365; the TSDB takes promtool a long time to build once)
//
// Data: test/helpers/prom-fixtures.ts (bundled on the fly with esbuild) writes node_exporter
// counters for `--entities` workspaces (1 CPU, modes user + idle, no scenarios) one day at a time;
// each day is backfilled with `promtool tsdb create-blocks-from openmetrics` and deleted, so disk
// holds one day of text at a time. The TSDB is cached under $TMPDIR/carbonctl-bench/ for re-runs
// (`--fresh` rebuilds it). At the 15 s scrape interval a month × 1,000 workspaces is ~350 M
// samples — about half an hour of promtool on a small machine — so the default is a 60 s scrape
// interval (86 M samples, ~7 min to build once); `--step 15 --days 7` gives the same sample count
// at the SPEC's default interval.
//
// Method: one `track --verbose` run (the COLD run: Prometheus just started, its caches empty)
// records the queries track sends (its `promql:` trace lines) and, from its `http:` request and
// response lines, the most requests track had in flight at once. curl replays the queries
// against the same server: (a) in sequence, one kept-alive connection (for scale only); (b) the
// headline: all of them through one curl with `--parallel-max` = track's measured concurrency,
// so the server sees the same load. Then curl (b), track, curl (a) and track over half the window
// run in turn `--runs` times (WARM) on a fresh ledger; ratios are taken run by run and printed as
// median [min–max]. Track and Prometheus share the machine's CPUs, as they do when both run on
// one host; `--pin` (Prometheus on CPU 0, track/curl on CPU 1) changes that contention and is
// not the same as separate machines.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    entities: { type: 'string', default: '1000' },
    days: { type: 'string', default: '30' },
    step: { type: 'string', default: '60' },
    runs: { type: 'string', default: '2' },
    fresh: { type: 'boolean', default: false },
    pin: { type: 'boolean', default: false },
    intensity: { type: 'string', default: 'uk' },
  },
});
const entities = Number(flags.entities);
const days = Number(flags.days);
const stepSeconds = Number(flags.step);
const runs = Math.max(1, Number(flags.runs));
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'carbonctl.js');
/**
 * `--pin`: Prometheus on CPU 0, track and curl on CPU 1. Without it they share every CPU, so
 * track's own CPU time competes with the server's while curl's hardly does.
 */
const pinned = (cpu, command, args) =>
  flags.pin ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];

for (const tool of ['prometheus', 'promtool', 'curl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    throw new Error(`${tool} is not installed`);
}
if (!existsSync('/usr/bin/time'))
  throw new Error('/usr/bin/time (GNU time) is needed for the peak memory figures');
if (!existsSync(join(repo, 'dist', 'main.js')))
  throw new Error('dist/ is missing: run `npm run build` first');

const log = (line) => process.stderr.write(`${line}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// ---------------------------------------------------------------- the TSDB (cached)
const cacheDir = join(tmpdir(), 'carbonctl-bench', `track-${entities}x${days}d-${stepSeconds}s`);
const dataDir = join(cacheDir, 'data');
const metaFile = join(cacheDir, 'fixture.json');
if (flags.fresh) rmSync(cacheDir, { recursive: true, force: true });
if (!existsSync(metaFile)) {
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const helper = join(cacheDir, 'prom-fixtures.mjs');
  await build({
    entryPoints: [join(repo, 'test', 'helpers', 'prom-fixtures.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: helper,
    logLevel: 'warning',
  });
  const { writePromFixtureFiles } = await import(helper);
  log(
    `building the TSDB: ${entities} workspaces × ${days} days at ${stepSeconds} s (once; cached in ${cacheDir})`,
  );
  const started = Date.now();
  let promtoolMs = 0;
  const { fixture } = writePromFixtureFiles(
    join(cacheDir, 'day.om'),
    {
      nodes: entities,
      hours: days * 24,
      scrapeIntervalSeconds: stepSeconds,
      cpusPerNode: 1,
      nodeModes: ['user', 'idle'],
      scenarios: false,
      pods: false,
      sliceHours: 24,
    },
    (file, slice) => {
      const before = Date.now();
      const result = spawnSync(
        'promtool',
        [
          'tsdb',
          'create-blocks-from',
          'openmetrics',
          '--quiet',
          '--max-block-duration=24h',
          file,
          dataDir,
        ],
        {
          encoding: 'utf8',
        },
      );
      if (result.status !== 0)
        throw new Error(`promtool failed on ${file}:\n${result.stdout}${result.stderr}`);
      promtoolMs += Date.now() - before;
      rmSync(file);
      log(`  day ${slice + 1}/${days} backfilled`);
    },
  );
  writeFileSync(
    metaFile,
    JSON.stringify({
      start: fixture.start,
      end: fixture.end,
      samples: fixture.sampleCount,
      buildMs: Date.now() - started,
      promtoolMs,
    }),
  );
}
const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
log(
  `TSDB: ${meta.samples.toLocaleString('en')} samples, built in ${seconds(meta.buildMs)} (promtool ${seconds(meta.promtoolMs)})`,
);

// ---------------------------------------------------------------- Prometheus
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const port = await freePort();
const prometheusUrl = `http://127.0.0.1:${port}`;
const configFile = join(cacheDir, 'prometheus.yml');
writeFileSync(configFile, 'global:\n  scrape_interval: 15s\n');
const prometheus = spawn(
  ...pinned(0, 'prometheus', [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=100y',
    // The backfilled blocks are a day each; no compaction may run during the measurements.
    '--storage.tsdb.max-block-duration=24h',
    '--log.level=error',
  ]),
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
process.on('exit', () => prometheus.kill('SIGKILL'));
for (let ready = false; !ready;) {
  if (prometheus.exitCode !== null) throw new Error('prometheus exited');
  try {
    ready = (await fetch(`${prometheusUrl}/-/ready`)).ok;
  } catch {
    await sleep(200);
  }
}
/** CPU seconds Prometheus has used so far (utime + stime from /proc). */
const prometheusCpu = () => {
  const fields = readFileSync(`/proc/${prometheus.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
// Wait until Prometheus is idle (head/WAL replay finished).
for (let previous = prometheusCpu(); ;) {
  await sleep(1000);
  const current = prometheusCpu();
  if (current - previous < 0.05) break;
  previous = current;
}

// ---------------------------------------------------------------- intensity (loopback uk API)
let intensity = { provider: 'fixed', fixed: 185 };
let intensityServer = null;
if (flags.intensity === 'uk') {
  const helper = join(cacheDir, 'intensity-server.mjs');
  await build({
    entryPoints: [join(repo, 'test', 'helpers', 'intensity-server.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: helper,
    logLevel: 'warning',
  });
  const { startIntensityServer } = await import(helper);
  intensityServer = await startIntensityServer();
  intensity = { provider: 'uk', url: intensityServer.url };
}

// ---------------------------------------------------------------- track
const work = mkdtempSync(join(tmpdir(), 'carbonctl-bench-track-'));
const carbonctlConfig = join(work, 'config.json');
writeFileSync(
  carbonctlConfig,
  JSON.stringify({
    intensity,
    clusters: [
      {
        name: 'bench',
        prometheus: { url: prometheusUrl, scrapeIntervalSeconds: stepSeconds, timeoutSeconds: 600 },
        source: 'nodes',
      },
    ],
  }),
);
const ledger = join(work, 'ledger.db');
const from = new Date(meta.start);
const to = new Date(meta.end);
const half = new Date(
  from.getTime() + Math.floor((to.getTime() - from.getTime()) / 2 / 3_600_000) * 3_600_000,
);

/** spawnSync's shape, without blocking this process (it serves the loopback intensity API). */
function spawnAsync(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One `track` under /usr/bin/time -v on a fresh ledger: wall ms, max RSS MB, stderr. */
async function runTrack(windowEnd, extra = []) {
  rmSync(ledger, { force: true });
  rmSync(`${ledger}-wal`, { force: true });
  rmSync(`${ledger}-shm`, { force: true });
  const started = process.hrtime.bigint();
  const result = await spawnAsync(
    ...pinned(1, '/usr/bin/time', [
      '-v',
      process.execPath,
      bin,
      'track',
      '--from',
      from.toISOString(),
      '--to',
      windowEnd.toISOString(),
      '-o',
      'json',
      ...extra,
    ]),
    {
      env: {
        PATH: process.env.PATH,
        HOME: work,
        CARBONCTL_CONFIG: carbonctlConfig,
        CARBONCTL_LEDGER: ledger,
        NO_COLOR: '1',
        CI: '1',
      },
    },
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`track exited ${result.status}:\n${result.stderr.slice(-3000)}`);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]);
  const cpuSeconds =
    Number(/User time \(seconds\): ([\d.]+)/.exec(result.stderr)?.[1]) +
    Number(/System time \(seconds\): ([\d.]+)/.exec(result.stderr)?.[1]);
  const data = JSON.parse(result.stdout);
  return {
    wallMs,
    rssMb: rssKb / 1024,
    cpuSeconds,
    stderr: result.stderr,
    tracked: data.tracked_count,
    rows: data.clusters[0].rows,
  };
}

// ---------------------------------------------------------------- curl replay
/** The queries of a `--verbose` trace, grouped as track sends them (one group per chunk). */
function recordedQueries(stderr) {
  const groups = [];
  let current = null;
  for (const line of stderr.split('\n')) {
    const range = /promql: query_range (\S+) \.\. (\S+) step (\d+)s: (.*)$/.exec(line);
    const instant = /promql: query at (\S+): (.*)$/.exec(line);
    let request = null;
    let key = null;
    if (range) {
      key = `${range[1]} ${range[2]}`;
      request = {
        endpoint: 'query_range',
        params: {
          query: range[4],
          start: String(Date.parse(range[1]) / 1000),
          end: String(Date.parse(range[2]) / 1000),
          step: range[3],
          timeout: '600s',
        },
      };
    } else if (instant) {
      key = `at ${instant[1]}`;
      request = {
        endpoint: 'query',
        params: { query: instant[2], time: String(Date.parse(instant[1]) / 1000), timeout: '600s' },
      };
    }
    if (request === null) continue;
    if (current === null || current.key !== key) {
      current = { key, requests: [] };
      groups.push(current);
    }
    current.requests.push(request);
  }
  return groups;
}

/** The most HTTP requests in flight at once in a `--verbose` trace (request line in, response out). */
function measuredConcurrency(stderr) {
  let inFlight = 0;
  let most = 0;
  for (const line of stderr.split('\n')) {
    if (/http: (GET|POST) http/.test(line)) most = Math.max(most, ++inFlight);
    else if (/http: \d{3} (GET|POST) /.test(line)) inFlight -= 1;
  }
  return most;
}

/** curl arguments for a list of requests, one transfer each (`--next` between them). */
function curlArgs(requests) {
  const args = [];
  requests.forEach((request, index) => {
    if (index > 0) args.push('--next');
    args.push('-sS', '--fail', '-o', '/dev/null', '-w', '%{size_download}\\n');
    for (const [name, value] of Object.entries(request.params))
      args.push('--data-urlencode', `${name}=${value}`);
    args.push(`${prometheusUrl}/api/v1/${request.endpoint}`);
  });
  return args;
}

function runCurl(args) {
  const result = spawnSync(...pinned(1, 'curl', args), { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`curl exited ${result.status}: ${result.stderr}`);
  return result.stdout
    .trim()
    .split('\n')
    .reduce((sum, size) => sum + Number(size), 0);
}

/** (a) every query in sequence over one kept-alive connection. */
function curlSequential(groups) {
  const started = process.hrtime.bigint();
  const bytes = runCurl(curlArgs(groups.flatMap((group) => group.requests)));
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, bytes };
}

/** (b) every query, `concurrency` in flight at a time: the load track puts on the server. */
function curlConcurrent(groups, concurrency) {
  const started = process.hrtime.bigint();
  const bytes = runCurl([
    '--parallel',
    '--parallel-immediate',
    '--parallel-max',
    String(concurrency),
    ...curlArgs(groups.flatMap((group) => group.requests)),
  ]);
  return { wallMs: Number(process.hrtime.bigint() - started) / 1e6, bytes };
}

// ---------------------------------------------------------------- measurements
log(
  `window ${from.toISOString()} .. ${to.toISOString()} (${days} days), Prometheus ${prometheusUrl}`,
);
const recording = await runTrack(to, ['--verbose']);
const groups = recordedQueries(recording.stderr);
const queryCount = groups.reduce((sum, group) => sum + group.requests.length, 0);
const concurrency = Math.max(1, measuredConcurrency(recording.stderr));
log(
  `recorded ${queryCount} queries in ${groups.length} chunks, at most ${concurrency} in flight (cold run: ${seconds(recording.wallMs)}, ${recording.cpuSeconds.toFixed(1)} CPU s, ${recording.tracked} workspaces, ${recording.rows.toLocaleString('en')} entity-hours)`,
);

const samples = {
  track: [],
  trackRss: [],
  trackCpu: [],
  halfTrack: [],
  halfRss: [],
  curlSequential: [],
  curlConcurrent: [],
  serverCpuTrack: [],
  serverCpuCurl: [],
};
/** Runs `measure` and records the CPU seconds Prometheus spent meanwhile in `into`. */
const withServerCpu = async (into, measure) => {
  const before = prometheusCpu();
  const result = await measure();
  into.push(prometheusCpu() - before);
  return result;
};
let bytes = 0;
for (let index = 0; index < runs; index++) {
  const concurrent = await withServerCpu(samples.serverCpuCurl, () =>
    curlConcurrent(groups, concurrency),
  );
  samples.curlConcurrent.push(concurrent.wallMs);
  bytes = concurrent.bytes;
  const full = await withServerCpu(samples.serverCpuTrack, () => runTrack(to));
  samples.track.push(full.wallMs);
  samples.trackRss.push(full.rssMb);
  samples.trackCpu.push(full.cpuSeconds);
  samples.curlSequential.push(curlSequential(groups).wallMs);
  const halfRun = await runTrack(half);
  samples.halfTrack.push(halfRun.wallMs);
  samples.halfRss.push(halfRun.rssMb);
  log(
    `run ${index + 1}/${runs}: curl ×${concurrency} ${seconds(concurrent.wallMs)}, track ${seconds(full.wallMs)} (${full.rssMb.toFixed(0)} MB, ${full.cpuSeconds.toFixed(1)} CPU s), curl sequential ${seconds(samples.curlSequential.at(-1))}, half-window track ${seconds(halfRun.wallMs)} (${halfRun.rssMb.toFixed(0)} MB)`,
  );
}

prometheus.kill('SIGTERM');
await intensityServer?.close();
rmSync(work, { recursive: true, force: true });

const rss = Math.max(...samples.trackRss);
const halfRss = Math.max(...samples.halfRss);
const verdict = (ok) => (ok ? 'ok' : 'MISSED');
/** Run-by-run ratio of two sample lists: median [min–max]. */
const ratio = (a, b) => {
  const ratios = a.map((value, index) => value / b[index]);
  return {
    median: median(ratios),
    text: `${median(ratios).toFixed(2)}× [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`,
  };
};
const spread = (values) =>
  `${seconds(median(values))} [${seconds(Math.min(...values))}–${seconds(Math.max(...values))}]`;
const headline = ratio(samples.track, samples.curlConcurrent);
console.log(
  `track backfill benchmark (node ${process.version}, ${process.platform}, Prometheus from the Debian package, intensity ${intensity.provider}${flags.pin ? '; Prometheus pinned to CPU 0, track and curl to CPU 1' : '; track, curl and Prometheus share the CPUs'})`,
);
console.log(
  `data: ${entities} workspaces × ${days} days at a ${stepSeconds} s scrape interval, ${meta.samples.toLocaleString('en')} samples`,
);
console.log(
  `fetched: ${queryCount} PromQL queries in ${groups.length} chunks, ${(bytes / 1e6).toFixed(1)} MB of JSON; track had at most ${concurrency} in flight; ${runs} warm runs in turn (median [min–max])`,
);
console.log(`track, cold (first run after Prometheus started)  ${seconds(recording.wallMs)}`);
console.log(`track --from --to, warm                            ${spread(samples.track)}`);
console.log(
  `curl, same queries, ${concurrency} in flight (track's)        ${spread(samples.curlConcurrent)}   track / curl = ${headline.text}  ${verdict(headline.median <= 1.1)} (target ≤ 1.1×)`,
);
console.log(
  `curl, same queries, in sequence (for scale)        ${spread(samples.curlSequential)}   track / curl = ${ratio(samples.track, samples.curlSequential).text}`,
);
console.log(
  `CPU seconds: track ${median(samples.trackCpu).toFixed(1)}; Prometheus ${median(samples.serverCpuTrack).toFixed(1)} serving track, ${median(samples.serverCpuCurl).toFixed(1)} serving curl (${concurrency} in flight)`,
);
console.log(
  `track max RSS, whole window ${`${rss.toFixed(0)} MB`.padStart(8)}   ${verdict(rss < 200)} (target < 200 MB)`,
);
console.log(
  `track max RSS, half window  ${`${halfRss.toFixed(0)} MB`.padStart(8)}   doubling the window: ×${(rss / halfRss).toFixed(2)} memory, ×${ratio(samples.track, samples.halfTrack).text} time (linear: ×2)`,
);

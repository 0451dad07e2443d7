/**
 * `track` backfills over three days of fixture data from a real Prometheus (SPEC §5): the window
 * is fetched in several chunks and still reproduces the truth; the default window (24 h up to
 * the last complete hour) and resuming from the last tracked hour; two `track` processes on one
 * ledger (the built bin, spawned twice) neither corrupt nor double-count; a backfill killed with
 * SIGKILL after its first chunk leaves a consistent ledger that the next run completes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityHourUsage } from '../../src/core/usage.js';
import { openLedger } from '../../src/store/ledger.js';
import type { Ledger } from '../../src/store/types.js';
import { run, tempDir, type RunResult } from '../helpers/context.js';
import { hourIntensity, startIntensityServer } from '../helpers/intensity-server.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { writePromFixtureFiles, type PromFixture } from '../helpers/prom-fixtures.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';

const binaries = prometheusBinaries();
const HOUR_MS = 3_600_000;
const BIN = 'bin/carbonctl.js';
/** Three days: with 15 s steps a chunk holds at most 44 h (11,000 points minus the 1 h base), so ≥ 3 chunks. */
const FIXTURE_HOURS = 72;
/** SPEC §1.3 `ada` profile defaults (12 W busy, 1 W idle per core) and PUE 1.0. */
const BUSY_WATTS = 12;
const IDLE_WATTS = 1;

/** Truth totals by entity: energy = (busy_s × 12 + idle_s × 1) / 3.6e6 kWh, grams = energy × hour intensity. */
function expectedByEntity(
  rows: readonly EntityHourUsage[],
): Map<
  string,
  { busySeconds: number; idleSeconds: number; energyKwh: number; grams: number; hours: number }
> {
  const totals = new Map<
    string,
    { busySeconds: number; idleSeconds: number; energyKwh: number; grams: number; hours: number }
  >();
  for (const row of rows) {
    const total = totals.get(row.entityId) ?? {
      busySeconds: 0,
      idleSeconds: 0,
      energyKwh: 0,
      grams: 0,
      hours: 0,
    };
    const energyKwh = (row.busySeconds * BUSY_WATTS + row.idleSeconds * IDLE_WATTS) / 3.6e6;
    total.busySeconds += row.busySeconds;
    total.idleSeconds += row.idleSeconds;
    total.energyKwh += energyKwh;
    total.grams += energyKwh * hourIntensity(row.hourStart);
    total.hours += 1;
    totals.set(row.entityId, total);
  }
  return totals;
}

function expectWithin(actual: number, wanted: number, relative: number, what: string): void {
  expect(Math.abs(actual - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThanOrEqual(
    Math.abs(wanted) * relative + 1e-9,
  );
}

/**
 * Every entity-hour (labels and provenance joined in, surrogate ids and the `tracked_at` time left
 * out), the daily rollup and the progress markers: equal dumps mean equal ledgers, whichever
 * process or clock wrote them.
 */
function dumpLedger(path: string): unknown[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return [
      db
        .prepare(
          `SELECT e.cluster, e.source, e.entity_key, h.hour, h.busy_s, h.idle_s, h.reserved_core_s, h.memory_gib_h,
                  h.coverage, h.intensity_g_per_kwh, h.energy_it_kwh, h.energy_kwh, h.scope2_location_g,
                  h.scope2_market_g, h.scope3_g, h.cost, h.is_estimated,
                  l.project, l.machine, l.owner, l.host, l.namespace, l.workload, l.workload_kind, l.pod,
                  p.intensity_provider, p.intensity_kind, p.region, p.power_profile, p.pue, p.estimation_reasons,
                  p.methodology_version
             FROM entity_hours h JOIN entities e ON e.id = h.entity_id JOIN label_sets l ON l.id = h.label_set_id
             JOIN provenance p ON p.id = h.provenance_id
            ORDER BY e.cluster, e.source, e.entity_key, h.hour`,
        )
        .all(),
      db
        .prepare(
          `SELECT e.entity_ref, d.day, d.row_count, d.hour_mask, d.estimated_rows, d.busy_s, d.idle_s, d.memory_gib_h,
                  d.coverage_sum, d.energy_kwh, d.scope2_location_g, d.cost, d.intensity_weighted_sum
             FROM entity_days d JOIN entities e ON e.id = d.entity_id
            ORDER BY e.entity_ref, d.day, d.busy_s`,
        )
        .all(),
      db
        .prepare(
          'SELECT cluster, source, last_hour_end_s FROM track_progress ORDER BY cluster, source',
        )
        .all(),
      db.prepare('SELECT count(*) AS locks FROM track_locks').all(),
    ];
  } finally {
    db.close();
  }
}

/** A loopback proxy to the real Prometheus that holds every API call after the first `passFirst` until released. */
interface GatedProxy {
  url: string;
  /** Resolves when the first call is being held. */
  holding: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function gatedProxy(upstream: string, passFirst: number): Promise<GatedProxy> {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let signalHolding!: () => void;
  const holding = new Promise<void>((resolve) => (signalHolding = resolve));
  const server: LoopbackServer = await startLoopbackServer(async (req, res) => {
    if (req.url.startsWith('/api/v1/query')) {
      calls += 1;
      if (calls > passFirst) {
        signalHolding();
        await gate;
      }
    }
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded'),
      },
      body: req.method === 'POST' ? req.body : null,
    });
    res.statusCode = answer.status;
    res.setHeader('content-type', answer.headers.get('content-type') ?? 'application/json');
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  return {
    url: server.url,
    holding,
    release,
    close: async () => {
      release();
      await server.close();
    },
  };
}

/** A spawned `node bin/carbonctl.js …` and its eventual outcome. */
interface Spawned {
  child: ChildProcess;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(binaries === null)('track backfills over three days (real Prometheus)', () => {
  let prometheus: TestPrometheus;
  let intensity: LoopbackServer;
  let fixture: PromFixture;
  let window: string[];
  /** A clean, uninterrupted in-process backfill of the whole window (nodes): the reference ledger. */
  let referenceDir: string;
  let reference: RunResult;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    if (!existsSync('dist/main.js'))
      throw new Error('dist/ is missing: run `npm run build` (npm ci does it in prepare)');
    const work = mkdtempSync(join(tmpdir(), 'carbonctl-track-fixture-'));
    try {
      // Two CPUs per workspace keeps the backfill input (and promtool's time) small.
      const generated = writePromFixtureFiles(join(work, 'fixture.om'), {
        hours: FIXTURE_HOURS,
        cpusPerNode: 2,
        sliceHours: 24,
      });
      fixture = generated.fixture;
      prometheus = await startPrometheus({ openMetricsFiles: generated.files });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    intensity = await startIntensityServer();
    window = ['--from', fixture.start.toISOString(), '--to', fixture.end.toISOString()];
    referenceDir = labDir(prometheus.url);
    reference = await track(referenceDir, [
      '--source',
      'nodes',
      ...window,
      '-o',
      'json',
      '--verbose',
    ]);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await intensity?.close();
    await prometheus?.close();
  });

  function labDir(url: string): string {
    const dir = tempDir('carbonctl-backfill-');
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        clusters: [{ name: 'lab', prometheus: { url }, workspaces: { selector: 'job="node"' } }],
      }),
    );
    return dir;
  }
  const ledgerPath = (dir: string): string => join(dir, 'data', 'ledger.db');
  const track = (
    dir: string,
    args: string[],
    now = new Date(fixture.end.getTime() + 5 * 60_000),
  ): Promise<RunResult> =>
    run(['track', ...args], { dir, now, env: { CARBONCTL_INTENSITY_URL: intensity.url } });
  function withLedger<T>(dir: string, read: (ledger: Ledger) => T): T {
    const ledger = openLedger(ledgerPath(dir), { readonly: true });
    try {
      return read(ledger);
    } finally {
      ledger.close();
    }
  }

  /** Runs the built bin with the lab config and ledger of `dir` (real clock: the window is explicit). */
  function spawnTrack(dir: string, args: string[]): Spawned {
    const home = join(dir, 'home');
    const child = spawn(process.execPath, [BIN, 'track', ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_DATA_HOME: join(home, '.local', 'share'),
        CARBONCTL_CONFIG: join(dir, 'config', 'config.json'),
        CARBONCTL_LEDGER: ledgerPath(dir),
        CARBONCTL_INTENSITY_URL: intensity.url,
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        children.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
    });
    return { child, done };
  }

  /** Polls the ledger (read-only, as a report would) until `ready` holds. */
  async function waitForLedger(
    dir: string,
    ready: (ledger: Ledger) => boolean,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (existsSync(ledgerPath(dir)) && withLedger(dir, ready)) return;
      } catch {
        // The writer may still be creating the file.
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for the ledger');
      await sleep(20);
    }
  }

  it('a 72-hour backfill is fetched in several non-overlapping chunks and reproduces the truth', () => {
    expect(reference.code).toBe(0);
    // Each chunk is one busy and one idle range query; consecutive chunks continue one step after
    // the previous chunk's end, and the first reads one hour back for the counters' base values.
    const ranges = [
      ...reference.stderr.matchAll(/promql: query_range (\S+) \.\. (\S+) step 15s: .*mode!~/g),
    ].map((m) => ({ start: m[1]!, end: m[2]! }));
    expect(ranges.length).toBeGreaterThanOrEqual(3);
    expect(ranges[0]!.start).toBe(new Date(fixture.start.getTime() - HOUR_MS).toISOString());
    // The last query reaches at least the window's end (the fetcher may read a few minutes past
    // it to see whether a series goes on); the truth checks below prove nothing leaks in.
    expect(Date.parse(ranges.at(-1)!.end)).toBeGreaterThanOrEqual(fixture.end.getTime());
    // Chunks move forward and leave no gap (each may overlap the previous one by the fetcher's
    // few minutes of look-ahead; the exact-truth checks below show nothing is counted twice).
    for (let index = 1; index < ranges.length; index++) {
      expect(Date.parse(ranges[index]!.start)).toBeGreaterThan(
        Date.parse(ranges[index - 1]!.start),
      );
      expect(Date.parse(ranges[index]!.start)).toBeLessThanOrEqual(
        Date.parse(ranges[index - 1]!.end) + 15_000,
      );
    }

    const truth = fixture.truth.filter((row) => row.source === 'nodes');
    const wanted = expectedByEntity(truth);
    const rows = withLedger(referenceDir, (ledger) =>
      ledger.aggregate({ filter: { source: 'nodes' }, groupBy: 'entity' }),
    );
    expect(rows.map((row) => row.group).sort()).toEqual([...wanted.keys()].sort());
    for (const row of rows) {
      const want = wanted.get(row.group!)!;
      expectWithin(row.busySeconds, want.busySeconds, 1e-6, `${row.group} busy`);
      expectWithin(row.idleSeconds, want.idleSeconds, 1e-6, `${row.group} idle`);
      expectWithin(row.energyKwh, want.energyKwh, 0.005, `${row.group} kWh`);
      expectWithin(row.scope2LocationGrams, want.grams, 0.005, `${row.group} gCO2e`);
      expect(row.hours).toBe(want.hours);
    }
    withLedger(referenceDir, (ledger) => {
      expect(ledger.countRows()).toBe(truth.length);
      expect(ledger.lastTrackedHourEnd('lab', 'nodes')).toEqual(fixture.end);
    });
    const data = JSON.parse(reference.stdout);
    expect(data.tracked_count).toBe(wanted.size);
    const total = [...wanted.values()].reduce((sum, want) => sum + want.grams, 0);
    expectWithin(
      data.workspaces.reduce(
        (sum: number, w: { carbon_gco2eq: { total: number } }) => sum + w.carbon_gco2eq.total,
        0,
      ),
      total,
      0.005,
      'total gCO2e',
    );
  });

  it('pods over three days: per-pod truth across chunk boundaries', async () => {
    const dir = labDir(prometheus.url);
    const result = await track(dir, ['--source', 'pods', ...window, '-o', 'json']);
    expect(result.code).toBe(0);
    const truth = fixture.truth.filter((row) => row.source === 'pods');
    const wanted = expectedByEntity(truth);
    const rows = withLedger(dir, (ledger) =>
      ledger.aggregate({ filter: { source: 'pods' }, groupBy: 'entity' }),
    );
    expect(rows.map((row) => row.group).sort()).toEqual([...wanted.keys()].sort());
    for (const row of rows) {
      const want = wanted.get(row.group!)!;
      expectWithin(row.busySeconds, want.busySeconds, 1e-6, `${row.group} busy`);
      expectWithin(row.energyKwh, want.energyKwh, 0.005, `${row.group} kWh`);
      expectWithin(row.scope2LocationGrams, want.grams, 0.005, `${row.group} gCO2e`);
      expect(row.hours).toBe(want.hours);
    }
    expect(withLedger(dir, (ledger) => ledger.countRows())).toBe(truth.length);
  });

  it('default window: the first run tracks the last 24 h to the last complete hour; the next resumes there', async () => {
    const dir = labDir(prometheus.url);
    // 30 h 20 min into the data: the last complete hour ends at +30 h, so the window is +6 h .. +30 h.
    const firstNow = new Date(fixture.start.getTime() + 30 * HOUR_MS + 20 * 60_000);
    const first = await track(dir, ['--source', 'nodes', '-o', 'json'], firstNow);
    expect(first.code).toBe(0);
    const firstData = JSON.parse(first.stdout);
    expect([firstData.from, firstData.to]).toEqual([
      new Date(fixture.start.getTime() + 6 * HOUR_MS).toISOString(),
      new Date(fixture.start.getTime() + 30 * HOUR_MS).toISOString(),
    ]);
    withLedger(dir, (ledger) => {
      expect(ledger.lastTrackedHourEnd('lab', 'nodes')).toEqual(
        new Date(fixture.start.getTime() + 30 * HOUR_MS),
      );
      expect(ledger.trackedRange('lab', 'nodes')).toEqual({
        from: new Date(fixture.start.getTime() + 6 * HOUR_MS),
        to: new Date(fixture.start.getTime() + 30 * HOUR_MS),
      });
    });

    // Half an hour later the last complete hour is the same: nothing to do.
    const idle = await track(
      dir,
      ['--source', 'nodes', '-o', 'json'],
      new Date(firstNow.getTime() + 30 * 60_000),
    );
    expect(idle.code).toBe(0);
    expect(JSON.parse(idle.stdout).clusters[0]).toMatchObject({ up_to_date: true, rows: 0 });
    expect(idle.stderr).toContain('up to date');

    const second = await track(
      dir,
      ['--source', 'nodes', '-o', 'json'],
      new Date(fixture.end.getTime() + 5 * 60_000),
    );
    expect(second.code).toBe(0);
    const secondData = JSON.parse(second.stdout);
    expect([secondData.from, secondData.to]).toEqual([
      new Date(fixture.start.getTime() + 30 * HOUR_MS).toISOString(),
      fixture.end.toISOString(),
    ]);

    // Together: exactly the truth from +6 h to the end, i.e. the reference ledger's rows from +6 h.
    const from = new Date(fixture.start.getTime() + 6 * HOUR_MS);
    const truth = fixture.truth.filter(
      (row) => row.source === 'nodes' && row.hourStart.getTime() >= from.getTime(),
    );
    const wanted = expectedByEntity(truth);
    const rows = withLedger(dir, (ledger) => ledger.aggregate({ filter: {}, groupBy: 'entity' }));
    expect(rows.map((row) => row.group).sort()).toEqual([...wanted.keys()].sort());
    for (const row of rows) {
      expectWithin(row.busySeconds, wanted.get(row.group!)!.busySeconds, 1e-6, `${row.group} busy`);
      expectWithin(
        row.scope2LocationGrams,
        wanted.get(row.group!)!.grams,
        0.005,
        `${row.group} gCO2e`,
      );
    }
    expect(withLedger(dir, (ledger) => ledger.countRows())).toBe(truth.length);
  });

  describe('two processes, one ledger (the built bin)', () => {
    it('with --lock-wait 0 the second exits 3 naming the running one; the first completes', async () => {
      const proxy = await gatedProxy(prometheus.url, 0);
      try {
        const dir = labDir(proxy.url);
        const first = spawnTrack(dir, ['--source', 'nodes', ...window]);
        // The first query is sent after the lock is taken: the first run now holds it.
        await proxy.holding;
        const second = await spawnTrack(dir, ['--source', 'nodes', ...window, '--lock-wait', '0'])
          .done;
        expect(second.code).toBe(3);
        expect(second.stderr).toContain(`another carbonctl track (pid ${first.child.pid}`);
        expect(second.stderr).toContain('is running for cluster lab (nodes)');
        expect(second.stdout).toBe('');

        proxy.release();
        const outcome = await first.done;
        expect(outcome.stderr).toBe('');
        expect(outcome.code).toBe(0);
        expect(dumpLedger(ledgerPath(dir))).toEqual(dumpLedger(ledgerPath(referenceDir)));
      } finally {
        await proxy.close();
      }
    });

    it('by default the second waits for the first, then re-tracks the window: no duplicates, totals of one run', async () => {
      const proxy = await gatedProxy(prometheus.url, 0);
      try {
        const dir = labDir(proxy.url);
        const first = spawnTrack(dir, ['--source', 'nodes', ...window, '-o', 'json']);
        await proxy.holding;
        const second = spawnTrack(dir, ['--source', 'nodes', ...window, '-o', 'json']);
        // Still waiting for the lock after 1.5 s.
        await sleep(1500);
        expect(second.child.exitCode).toBeNull();

        proxy.release();
        const [one, two] = await Promise.all([first.done, second.done]);
        expect([one.code, two.code]).toEqual([0, 0]);
        // The waiting run said so, naming the running one, instead of sitting silent.
        expect(two.stderr).toContain(
          `Another track of lab (nodes) is running (pid ${first.child.pid} on `,
        );
        expect(two.stderr).toMatch(/waiting up to \d+ s for it to finish/);
        const referenceData = JSON.parse(reference.stdout);
        for (const outcome of [one, two])
          expect(JSON.parse(outcome.stdout).workspaces).toEqual(referenceData.workspaces);
        expect(dumpLedger(ledgerPath(dir))).toEqual(dumpLedger(ledgerPath(referenceDir)));
        withLedger(dir, (ledger) => {
          expect(ledger.countRows()).toBe(
            fixture.truth.filter((row) => row.source === 'nodes').length,
          );
          const total = ledger.aggregate({ filter: {}, groupBy: 'none' })[0]!;
          const referenceTotal = withLedger(
            referenceDir,
            (r) => r.aggregate({ filter: {}, groupBy: 'none' })[0]!,
          );
          expect(total.energyKwh).toBe(referenceTotal.energyKwh);
          expect(total.scope2LocationGrams).toBe(referenceTotal.scope2LocationGrams);
        });
      } finally {
        await proxy.close();
      }
    });
  });

  it('kill -9 after the first chunk committed: the ledger is consistent and the next run completes it', async () => {
    // The first chunk's two queries and the data-start check (the fixture's data begins inside
    // the hour read before the window) go through; the next chunk's are held, so the kill lands
    // while the backfill is mid-run with exactly one chunk committed.
    const proxy = await gatedProxy(prometheus.url, 3);
    const dir = labDir(proxy.url);
    const firstChunkEnd = new Date(fixture.start.getTime() + HOUR_MS);
    try {
      const backfill = spawnTrack(dir, ['--source', 'nodes', ...window]);
      await waitForLedger(dir, (ledger) => ledger.lastTrackedHourEnd('lab', 'nodes') !== null);
      backfill.child.kill('SIGKILL');
      const outcome = await backfill.done;
      expect(outcome.signal).toBe('SIGKILL');
    } finally {
      await proxy.close();
    }

    // Whole chunks only: the first hour's rows and its progress marker, nothing later.
    const firstHour = fixture.truth.filter(
      (row) => row.source === 'nodes' && row.hourStart.getTime() === fixture.start.getTime(),
    );
    const ledger = openLedger(ledgerPath(dir), { integrityCheck: 'full' });
    try {
      expect(ledger.lastTrackedHourEnd('lab', 'nodes')).toEqual(firstChunkEnd);
      expect(ledger.countRows()).toBe(firstHour.length);
      expect(ledger.countRows({ from: firstChunkEnd })).toBe(0);
    } finally {
      ledger.close();
    }

    // The next (cron) run, straight to Prometheus: the dead process's lock is taken over at once
    // (--lock-wait 0), and it resumes at the last committed hour.
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({
        clusters: [
          {
            name: 'lab',
            prometheus: { url: prometheus.url },
            workspaces: { selector: 'job="node"' },
          },
        ],
      }),
    );
    const resumed = await track(dir, ['--source', 'nodes', '--lock-wait', '0', '-o', 'json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).from).toBe(firstChunkEnd.toISOString());
    expect(dumpLedger(ledgerPath(dir))).toEqual(dumpLedger(ledgerPath(referenceDir)));
  });
});

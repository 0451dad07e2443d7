/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- JSON documents and SQL rows read back from the CLI and the ledger */
/**
 * No wrong number survives (issue #9), with loopback proxies in front of a real Prometheus and a
 * loopback GB Carbon Intensity API:
 * - dropped samples: the usage is still all booked (a counter is cumulative), the hours are
 *   flagged gap_interpolated, coverage drops below 100 % and --strict exits 5;
 * - an intensity of 0, negative, 1e12, non-numeric or missing: exit 3 naming the hour without
 *   --allow-estimates (nothing written, nothing cached); with it, the hour is priced at the static
 *   annual average and flagged; a later healthy run repairs the hour and caches the real value;
 * - one dead cluster among three: the other two are tracked, the dead one is named, exit 3.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupStaticIntensity } from '../../src/providers/intensity/static.js';
import { run, tempDir } from '../helpers/context.js';
import { hourIntensity, slotIntensity } from '../helpers/intensity-server.js';
import {
  startLoopbackServer,
  type LoopbackServer,
  type RecordedRequest,
} from '../helpers/loopback-server.js';
import { writePromFixtureFiles, type PromFixture } from '../helpers/prom-fixtures.js';
import {
  prometheusBinaries,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus-harness.js';

const binaries = prometheusBinaries();
const HOUR_MS = 3_600_000;
const HALF_HOUR_MS = 1_800_000;

/** Forwards to the real Prometheus; `rewrite` may change a successful JSON answer. */
async function prometheusProxy(
  upstream: string,
  rewrite: (body: any) => void,
): Promise<LoopbackServer> {
  return startLoopbackServer(async (req: RecordedRequest, res: ServerResponse) => {
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': String(req.headers['content-type'] ?? 'application/x-www-form-urlencoded'),
      },
      body: req.method === 'POST' ? req.body : null,
    });
    const text = await answer.text();
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    if (answer.status !== 200) {
      res.end(text);
      return;
    }
    const body = JSON.parse(text);
    rewrite(body);
    res.end(JSON.stringify(body));
  });
}

/** A GB API whose half-hours in `badHour` carry `bad` (a value, or `undefined` to leave them out). */
function faultyIntensity(
  badHour: () => number | null,
  bad: () => unknown,
): Promise<LoopbackServer> {
  return startLoopbackServer((req, res) => {
    const range = /^\/intensity\/([^/]+)\/([^/]+)$/.exec(req.url);
    res.setHeader('content-type', 'application/json');
    if (range === null) {
      res.statusCode = 400;
      res.end('{"error":{"code":"400 Bad Request","message":"Please enter a valid path"}}');
      return;
    }
    const parse = (text: string) => Date.parse(text.replace(/Z$/, ':00Z'));
    const format = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
    const data = [];
    for (let start = parse(range[1]!); start < parse(range[2]!); start += HALF_HOUR_MS) {
      const inBadHour = Math.floor(start / HOUR_MS) * HOUR_MS === badHour();
      const value = inBadHour ? bad() : slotIntensity(new Date(start));
      if (inBadHour && value === undefined) continue; // the API simply lacks these half-hours
      data.push({
        from: format(start),
        to: format(start + HALF_HOUR_MS),
        intensity: { forecast: value, actual: value, index: 'moderate' },
      });
    }
    res.end(JSON.stringify({ data }));
  });
}

describe.skipIf(binaries === null)('faults in front of the accounting pipeline', () => {
  let prometheus: TestPrometheus;
  let fixture: PromFixture;
  let host: string;
  const configDir = (clusters: unknown[]): string => {
    const dir = tempDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ clusters }));
    return dir;
  };
  const rows = (dir: string, sql: string): any[] => {
    const db = new Database(join(dir, 'data', 'ledger.db'), { readonly: true });
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };
  let now: Date;
  let window: string[];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'carbonctl-faults-'));
    const generated = writePromFixtureFiles(join(dataDir, 'fixture.om'), {});
    fixture = generated.fixture;
    host = fixture.scenario!.normalHost;
    prometheus = await startPrometheus({ openMetricsFiles: generated.files });
    now = new Date(fixture.end.getTime() + 60_000);
    window = ['--from', fixture.start.toISOString(), '--to', fixture.end.toISOString()];
  });
  afterAll(async () => {
    await prometheus?.close();
  });

  describe('dropped samples', () => {
    let proxy: LoopbackServer;
    // Every series loses its sample at 02:30:00.
    const dropped = () => fixture.start.getTime() / 1000 + 2.5 * 3600;
    beforeAll(async () => {
      proxy = await prometheusProxy(prometheus.url, (body) => {
        if (body?.data?.resultType !== 'matrix') return;
        for (const series of body.data.result)
          series.values = series.values.filter(([time]: [number]) => time !== dropped());
      });
    });
    afterAll(async () => proxy?.close());

    it('books the usage across the gap, flags it, counts it, and --strict exits 5', async () => {
      const intensity = await faultyIntensity(
        () => null,
        () => 0,
      );
      try {
        const env = { CARBONCTL_INTENSITY_URL: intensity.url };
        const cluster = (url: string) => [
          {
            name: 'lab',
            source: 'nodes',
            prometheus: { url },
            workspaces: { selector: `job="node",instance="${host}"` },
          },
        ];
        const cleanDir = configDir(cluster(prometheus.url));
        const clean = await run(['track', ...window, '-o', 'json'], { now, dir: cleanDir, env });
        expect(clean.code, clean.stderr).toBe(0);
        const faultyDir = configDir(cluster(proxy.url));
        const faulty = await run(['track', ...window, '--strict', '-o', 'json'], {
          now,
          dir: faultyDir,
          env,
        });
        expect(faulty.code).toBe(5);
        const before = JSON.parse(clean.stdout);
        const after = JSON.parse(faulty.stdout);
        // One host, one sample dropped: 1 of the 1440 expected, coverage 1439 / 1440.
        expect(before.samples).toEqual({ present: 1440, expected: 1440 });
        expect(after.samples).toEqual({ present: 1439, expected: 1440 });
        expect(after.coverage_percent).toBeCloseTo((1439 / 1440) * 100, 9);
        expect(faulty.stderr).toContain('1 of 1440 expected samples missing');
        // Nothing lost: the counter's increase across the gap is booked (to float rounding).
        const total = (data: any) => data.workspaces[0].cpu_usage.total_seconds as number;
        expect(Math.abs(total(after) - total(before))).toBeLessThanOrEqual(total(before) * 1e-12);
        // The hour with the gap is flagged, the others are not.
        expect(
          rows(
            faultyDir,
            'SELECT hour_start, estimation_reasons FROM ledger_rows ORDER BY hour_start',
          ).map((r) => [r.hour_start, r.estimation_reasons]),
        ).toEqual(
          [0, 1, 2, 3, 4, 5].map((h) => [
            new Date(fixture.start.getTime() + h * HOUR_MS).toISOString().replace('.000Z', 'Z'),
            h === 2 ? 'gap_interpolated' : '',
          ]),
        );
      } finally {
        await intensity.close();
      }
    });
  });

  describe('unusable intensity values', () => {
    const cases: Array<[string, unknown]> = [
      ['zero', 0],
      ['negative', -5],
      ['absurd', 1e12],
      ['non-numeric', 'high'],
      ['missing', undefined],
    ];
    it.each(cases)(
      '%s: exit 3 without --allow-estimates, static and flagged with it, repaired later',
      async (_name, bad) => {
        let badHour: number | null = fixture.start.getTime() + 3 * HOUR_MS;
        const intensity = await faultyIntensity(
          () => badHour,
          () => bad,
        );
        try {
          const env = { CARBONCTL_INTENSITY_URL: intensity.url };
          const dir = configDir([
            {
              name: 'lab',
              source: 'nodes',
              prometheus: { url: prometheus.url },
              workspaces: { selector: `job="node",instance="${host}"` },
            },
          ]);
          const refused = await run(['track', ...window], { now, dir, env });
          expect(refused.code).toBe(3);
          expect(refused.stderr).toContain(
            `has no usable intensity for the hour from ${new Date(badHour).toISOString()}`,
          );
          expect(refused.stderr).toContain('--allow-estimates');
          expect(refused.stderr).not.toContain('internal error');
          const cachedFor = (from: number) =>
            rows(
              dir,
              `SELECT actual_g_per_kwh AS a FROM intensity_cache WHERE slot_from_ms >= ${from} AND slot_from_ms < ${from + HOUR_MS}`,
            );
          // No wrong number written: only whole chunks before the bad hour (at their real
          // intensity), the progress marker not past it, and the bad hour never cached.
          const written = rows(dir, 'SELECT hour_start, intensity_kind AS kind FROM ledger_rows');
          for (const row of written) {
            expect(Date.parse(row.hour_start)).toBeLessThan(badHour);
            expect(row.kind).toBe('actual');
          }
          expect(
            rows(dir, 'SELECT last_hour_end_s AS s FROM track_progress').every(
              (r) => r.s * 1000 <= badHour!,
            ),
          ).toBe(true);
          expect(cachedFor(badHour)).toEqual([]);

          const allowed = await run(['track', ...window, '--allow-estimates', '-o', 'json'], {
            now,
            dir,
            env,
          });
          expect(allowed.code, allowed.stderr).toBe(0);
          expect(allowed.stderr).toContain('using the static annual average for GB');
          const gb = (await lookupStaticIntensity('GB')).intensityGPerKwh;
          const priced = rows(
            dir,
            'SELECT hour_start, intensity_g_per_kwh AS g, intensity_kind AS kind, estimation_reasons AS r FROM ledger_rows ORDER BY hour_start',
          );
          expect(priced).toHaveLength(6);
          for (const [index, row] of priced.entries()) {
            const hour = new Date(fixture.start.getTime() + index * HOUR_MS);
            if (hour.getTime() === badHour)
              expect(row).toMatchObject({ g: gb, kind: 'static', r: 'intensity_static_annual' });
            else expect(row).toMatchObject({ g: hourIntensity(hour), kind: 'actual', r: '' });
          }
          expect(cachedFor(badHour)).toEqual([]);

          // The provider recovers: a re-run of the window prices the hour with its real value.
          const repairedHour = badHour;
          badHour = null;
          const repaired = await run(['track', ...window, '-o', 'json'], { now, dir, env });
          expect(repaired.code, repaired.stderr).toBe(0);
          const fixed = rows(
            dir,
            `SELECT intensity_g_per_kwh AS g, intensity_kind AS kind, estimation_reasons AS r FROM ledger_rows WHERE hour_start = '${new Date(repairedHour).toISOString().replace('.000Z', 'Z')}'`,
          );
          expect(fixed).toEqual([
            { g: hourIntensity(new Date(repairedHour)), kind: 'actual', r: '' },
          ]);
          expect(cachedFor(repairedHour).map((r) => r.a)).toEqual([
            slotIntensity(new Date(repairedHour)),
            slotIntensity(new Date(repairedHour + HALF_HOUR_MS)),
          ]);
        } finally {
          await intensity.close();
        }
      },
    );
  });

  it('one dead cluster among three: the others are tracked, the dead one named, exit 3', async () => {
    const dead = await startLoopbackServer((_req, res) => {
      res.statusCode = 503;
      res.end('{"status":"error","errorType":"unavailable","error":"down for maintenance"}');
    });
    const intensity = await faultyIntensity(
      () => null,
      () => 0,
    );
    try {
      const selector = (instance: string) => `job="node",instance="${instance}"`;
      const dir = configDir([
        {
          name: 'a',
          source: 'nodes',
          prometheus: { url: prometheus.url },
          workspaces: { selector: selector(host) },
        },
        { name: 'gone', source: 'nodes', prometheus: { url: dead.url, timeoutSeconds: 2 } },
        { name: 'c', source: 'pods', prometheus: { url: prometheus.url } },
      ]);
      const result = await run(['track', ...window, '-o', 'json'], {
        now,
        dir,
        env: { CARBONCTL_INTENSITY_URL: intensity.url },
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('cluster gone failed');
      expect(result.stderr).toMatch(/Clusters: 1 of 3 failed: gone \(/);
      const data = JSON.parse(result.stdout);
      expect(data.clusters.map((c: any) => [c.cluster, c.status, c.rows > 0])).toEqual([
        ['a', 'ok', true],
        ['gone', 'failed', false],
        ['c', 'ok', true],
      ]);
      expect(
        rows(
          dir,
          'SELECT cluster, count(*) AS n FROM ledger_rows GROUP BY cluster ORDER BY cluster',
        ).map((r) => r.cluster),
      ).toEqual(['a', 'c']);
      // clusters lists the dead one as failed and the others with their figures, exit 3.
      const listed = await run(['clusters', '-o', 'json'], {
        now,
        dir,
        env: { CARBONCTL_INTENSITY_URL: intensity.url },
      });
      expect(listed.code).toBe(3);
      expect(
        JSON.parse(listed.stdout).data.map((c: any) => [
          c.id,
          c.metadata.status,
          c.carbon.hourly_co2e_g !== null,
        ]),
      ).toEqual([
        ['a', 'active', true],
        ['gone', 'failed', false],
        ['c', 'active', true],
      ]);
    } finally {
      await dead.close();
      await intensity.close();
    }
  });
});

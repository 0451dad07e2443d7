/**
 * `carbonctl wait` and `carbonctl run` against a loopback GB Carbon Intensity API, with an
 * injected clock, a fake sleeper that advances it (no real sleeping) and a fake signal source.
 * `run` starts real child processes (`node -e …`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run, tempDir, type RunOptions } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';

const HALF_HOUR = 1_800_000;
const utc = (hhmm: string): Date => new Date(`2026-11-21T${hhmm}:00Z`);

/** 200 g/kWh, except 14:00–15:00 at 120 and 17:00–18:00 at 50 (on 21 November). */
function defaultForecast(slotStart: Date): number {
  if (slotStart.getUTCDate() !== 21) return 200;
  const hour = slotStart.getUTCHours();
  if (hour === 17) return 50;
  if (hour === 14) return 120;
  return 200;
}

let forecastOf: (slotStart: Date) => number = defaultForecast;
let actualOf: (slotStart: Date) => number | null = () => null;
let down = false;

const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 16) + 'Z';
const parseApi = (text: string): number => Date.parse(text.replace(/Z$/, ':00Z'));

function body(fromMs: number, toMs: number, withActual: boolean): string {
  const data = [];
  for (let start = fromMs; start < toMs; start += HALF_HOUR) {
    const slot = new Date(start);
    data.push({
      from: fmt(start),
      to: fmt(start + HALF_HOUR),
      intensity: {
        forecast: forecastOf(slot),
        actual: withActual ? actualOf(slot) : null,
        index: 'moderate',
      },
    });
  }
  return JSON.stringify({ data });
}

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (down) {
      res.statusCode = 503;
      res.end('{"error":{"code":"503","message":"Service Unavailable"}}');
      return;
    }
    const forecast = /^\/intensity\/([^/]+)\/fw(24|48)h$/.exec(req.url);
    if (forecast) {
      // The API starts at the half-hour containing {from}.
      const start = Math.floor(parseApi(forecast[1] ?? '') / HALF_HOUR) * HALF_HOUR;
      res.end(body(start, start + Number(forecast[2]) * 2 * HALF_HOUR, false));
      return;
    }
    const range = /^\/intensity\/([^/]+)\/([^/]+)$/.exec(req.url);
    if (range) {
      res.end(body(parseApi(range[1] ?? ''), parseApi(range[2] ?? ''), true));
      return;
    }
    res.statusCode = 400;
    res.end('{"error":{"code":"400","message":"bad path"}}');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  forecastOf = defaultForecast;
  actualOf = () => null;
  down = false;
  server.requests.length = 0;
});

type Signal = 'SIGINT' | 'SIGTERM';

/** A clock the fake sleeper advances, and a signal source the test fires. */
function harness(start: Date) {
  let nowMs = start.getTime();
  const sleeps: number[] = [];
  const listeners = new Set<(signal: Signal) => void>();
  const state = {
    sleeps,
    /** Runs after the n-th sleep (1-based), before the command sees the new time. */
    afterSleep: (_count: number): void => undefined,
    emit: (signal: Signal) => listeners.forEach((listener) => listener(signal)),
    advance: (ms: number) => {
      nowMs += ms;
    },
    listenerCount: () => listeners.size,
    options: (): Pick<RunOptions, 'clock' | 'sleep' | 'onSignal'> => ({
      clock: () => new Date(nowMs),
      sleep: (ms: number) => {
        expect(ms).toBeGreaterThan(0);
        sleeps.push(ms);
        nowMs += ms;
        state.afterSleep(sleeps.length);
        return Promise.resolve();
      },
      onSignal: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    }),
  };
  return state;
}

const MIN = 60_000;
const HOUR = 3_600_000;
const forecastRequests = () => server.requests.filter((r) => /fw(24|48)h$/.test(r.url)).length;

async function wait(args: string[], h: ReturnType<typeof harness>, extra: RunOptions = {}) {
  return run(['wait', ...args], {
    env: { CARBONCTL_INTENSITY_URL: server.url },
    ...h.options(),
    ...extra,
  });
}

describe('carbonctl wait', () => {
  it('sleeps until the cleanest window inside the deadline, re-checking the forecast on the way', async () => {
    const h = harness(utc('12:05'));
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--recheck', '2h', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    // 12:05 → 14:05 → 16:05 (re-checks) → 17:00 (the window): never longer than --recheck.
    expect(h.sleeps).toEqual([2 * HOUR, 2 * HOUR, 55 * MIN]);
    expect(forecastRequests()).toBe(3);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      requested_at: '2026-11-21T12:05:00.000Z',
      started_at: '2026-11-21T17:00:00.000Z',
      waited_seconds: 4 * 3600 + 55 * 60,
      reason: 'best_window',
      planned_start: '2026-11-21T17:00:00.000Z',
      planned_end: '2026-11-21T18:00:00.000Z',
      mean_intensity: 50,
      now_mean_intensity: 200,
      revisions: 0,
      provider: 'uk',
    });
    expect(data.saving_percent).toBeCloseTo(75, 10); // (200 − 50) / 200
    expect(result.stderr).toContain(
      'Plan: start 2026-11-21 17:00 UTC (in 4 h 55 min), the cleanest 1 h window: expected 50.0 g/kWh vs 200.0 starting now (75.0% less).',
    );
    expect(h.listenerCount()).toBe(0); // signal handlers are removed after the wait
  });

  it('keeps stdout empty in table output, so `wait && job` leaves the job’s output alone', async () => {
    const h = harness(utc('12:05'));
    const result = await wait(['--for', '1h', '--within', '12h'], h);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(h.sleeps.reduce((a, b) => a + b, 0)).toBe(4 * HOUR + 55 * MIN);
    expect(Math.max(...h.sleeps)).toBeLessThanOrEqual(30 * MIN); // default --recheck 30min
  });

  it('exits at once when now is already the cleanest', async () => {
    forecastOf = (slot) => 100 + (slot.getTime() - utc('12:00').getTime()) / HALF_HOUR;
    const h = harness(utc('12:05'));
    const result = await wait(['--for', '1h', '--within', '12h', '-o', 'json'], h);
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([]);
    const data = JSON.parse(result.stdout);
    expect(data.reason).toBe('now_is_best');
    expect(data.started_at).toBe('2026-11-21T12:05:00.000Z');
    expect(data.saving_percent).toBe(0);
  });

  it('starts early when the threshold is reached: 14:00 at 120 g/kWh ≤ --threshold 120', async () => {
    const h = harness(utc('12:05'));
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--threshold', '120', '--recheck', '3h', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([HOUR + 55 * MIN]);
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      reason: 'threshold',
      started_at: '2026-11-21T14:00:00.000Z',
      mean_intensity: 120,
      threshold_g_per_kwh: 120,
    });
    expect(data.saving_percent).toBeCloseTo(40, 10); // (200 − 120) / 200
  });

  it('follows a forecast revised mid-wait', async () => {
    const h = harness(utc('12:05'));
    h.afterSleep = (count) => {
      // After the first re-check the cleanest hour moves from 17:00 to 15:00.
      if (count === 1)
        forecastOf = (slot) =>
          slot.getUTCHours() === 15 ? 40 : slot.getUTCHours() === 17 ? 150 : 200;
    };
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--recheck', '1h', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([HOUR, HOUR, 55 * MIN]); // 13:05, 14:05, then 15:00
    const data = JSON.parse(result.stdout);
    expect(data).toMatchObject({
      reason: 'best_window',
      started_at: '2026-11-21T15:00:00.000Z',
      mean_intensity: 40,
      now_mean_intensity: 200, // the baseline stays what starting at once promised
      revisions: 1,
    });
    expect(result.stderr).toContain('Forecast revised: start 2026-11-21 15:00 UTC (in 1 h 55 min)');
  });

  it('never sleeps past the latest start: --max-wait 2h with the grid getting cleaner all day', async () => {
    forecastOf = (slot) => 300 - (slot.getTime() - utc('12:00').getTime()) / HALF_HOUR;
    const h = harness(utc('12:00'));
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--max-wait', '2h', '--recheck', '45min', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([45 * MIN, 45 * MIN, 30 * MIN]);
    const data = JSON.parse(result.stdout);
    expect(data.reason).toBe('deadline');
    expect(data.started_at).toBe('2026-11-21T14:00:00.000Z');
    expect(result.stderr).toContain('Latest start (2026-11-21 14:00 UTC) reached: starting now.');
  });

  it('starts at once when it wakes up after the latest start (a suspended machine)', async () => {
    const h = harness(utc('12:05'));
    h.afterSleep = () => h.advance(6 * HOUR); // overslept: 12:35 + 6 h
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--max-wait', '4h', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([30 * MIN]); // the first re-check, due 12:35
    const data = JSON.parse(result.stdout);
    expect(data.reason).toBe('deadline');
    expect(data.started_at).toBe('2026-11-21T18:35:00.000Z');
    expect(forecastRequests()).toBe(1);
  });

  it('provider down: runs now with a warning by default', async () => {
    down = true;
    const h = harness(utc('12:05'));
    const result = await wait(['--for', '1h', '--within', '12h', '-o', 'json'], h);
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([]);
    expect(JSON.parse(result.stdout)).toMatchObject({
      reason: 'no_forecast',
      planned_start: null,
      now_mean_intensity: null,
      saving_percent: null,
    });
    expect(result.stderr).toMatch(/warning: no forecast \(GB Carbon Intensity API.*503/);
  });

  it('provider down with --on-missing-forecast fail: exit 3, nothing waited', async () => {
    down = true;
    const h = harness(utc('12:05'));
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--on-missing-forecast', 'fail'],
      h,
    );
    expect(result.code).toBe(3);
    expect(h.sleeps).toEqual([]);
    expect(result.stderr).toContain('GB Carbon Intensity API');
  });

  it('provider down mid-wait: keeps the plan it has', async () => {
    const h = harness(utc('12:05'));
    h.afterSleep = (count) => {
      if (count === 1) down = true;
    };
    const result = await wait(
      [
        '--for',
        '1h',
        '--within',
        '12h',
        '--recheck',
        '2h',
        '--on-missing-forecast',
        'fail',
        '-o',
        'json',
      ],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([2 * HOUR, 2 * HOUR, 55 * MIN]);
    expect(JSON.parse(result.stdout).started_at).toBe('2026-11-21T17:00:00.000Z');
    expect(result.stderr).toContain('could not re-read the forecast (GB Carbon Intensity API');
    expect(result.stderr).toContain('keeping the plan for 2026-11-21 17:00 UTC');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while waiting exits %i without starting', async (signal, code) => {
    const h = harness(utc('12:05'));
    h.afterSleep = (count) => {
      if (count === 2) h.emit(signal);
    };
    const result = await wait(['--for', '1h', '--within', '12h', '-o', 'json'], h);
    expect(result.code).toBe(code);
    expect(h.sleeps).toHaveLength(2);
    expect(forecastRequests()).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${signal} while waiting for the cleanest window: not started`);
    expect(h.listenerCount()).toBe(0);
  });

  it('works with Electricity Maps’ hourly forecast (recorded payload), skipping hours without a value', async () => {
    const em = await startLoopbackServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        req.url.includes('/carbon-intensity/forecast')
          ? readFileSync('fixtures/intensity/electricitymaps-v3-carbon-intensity-forecast.json')
          : '{"error":"not recorded"}',
      );
    });
    try {
      // Recorded (DE): 20:00 410, 21:00 395, 22:00 372, 23:00 null, 00:00 350 g/kWh.
      const h = harness(new Date('2024-03-06T20:10:00Z'));
      const result = await run(
        [
          'wait',
          '--provider',
          'electricitymaps',
          '--zone',
          'DE',
          '--for',
          '1h',
          '--within',
          '5h',
          '--recheck',
          '6h',
          '-o',
          'json',
        ],
        {
          env: { CARBONCTL_INTENSITY_URL: em.url, CARBONCTL_ELECTRICITYMAPS_TOKEN: 'test-token' },
          ...h.options(),
        },
      );
      expect(result.stderr).not.toContain('test-token');
      expect(result.code).toBe(0);
      expect(h.sleeps).toEqual([3 * HOUR + 50 * MIN]);
      const data = JSON.parse(result.stdout);
      expect(data).toMatchObject({
        started_at: '2024-03-07T00:00:00.000Z',
        reason: 'best_window',
        mean_intensity: 350,
        now_mean_intensity: 410,
        provider: 'electricitymaps',
        region: 'DE',
      });
      expect(data.saving_percent).toBeCloseTo(((410 - 350) / 410) * 100, 10); // 14.63 %
    } finally {
      await em.close();
    }
  });

  it('static and fixed providers have no forecast: start at once with a notice', async () => {
    const h = harness(utc('12:05'));
    const result = await wait(
      ['--for', '1h', '--within', '12h', '--provider', 'static', '--zone', 'GB', '-o', 'json'],
      h,
    );
    expect(result.code).toBe(0);
    expect(h.sleeps).toEqual([]);
    expect(JSON.parse(result.stdout).reason).toBe('no_forecast_provider');
    expect(result.stderr).toContain('the static intensity provider has no forecast: starting now');
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [['--within', '12h'], '--for is required'],
    [['--for', '1h'], '--within is required'],
    [['--for', '3h', '--within', '2h'], '--for 3h is longer than --within 2h'],
    [['--for', '1h', '--within', '49h'], '--within 49h is beyond the 48 h forecast horizon'],
    [
      ['--for', '1h', '--within', '2h', '--recheck', '30s'],
      '--recheck 30s is shorter than a minute',
    ],
    [['--for', '1m', '--within', '2h'], '--for 1m is not a duration'],
    [
      ['--for', '1h', '--within', '2h', '--percentile', '120'],
      '--percentile 120 is not a percentile',
    ],
    [
      ['--for', '1h', '--within', '2h', '--threshold', '100', '--percentile', '10'],
      'cannot be used with',
    ],
    [
      ['--for', '1h', '--within', '2h', '--on-missing-forecast', 'maybe'],
      "argument 'maybe' is invalid",
    ],
  ])('rejects %j with exit 2', async (args, message) => {
    const h = harness(utc('12:05'));
    const result = await wait(args, h);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(server.requests).toHaveLength(0);
  });
});

const NODE = process.execPath;

async function runCommand(args: string[], h: ReturnType<typeof harness>, extra: RunOptions = {}) {
  return run(['run', ...args], {
    env: { CARBONCTL_INTENSITY_URL: server.url },
    ...h.options(),
    ...extra,
  });
}

function savingsRows(dir: string): Array<Record<string, unknown>> {
  const db = new Database(join(dir, 'data', 'ledger.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM savings_ledger ORDER BY id').all() as Array<
      Record<string, unknown>
    >;
  } finally {
    db.close();
  }
}

describe('carbonctl run', () => {
  it('waits, runs the command with its output passed through, and records the saving', async () => {
    actualOf = (slot) => forecastOf(slot) + 10; // outturn 60 g/kWh at 17:00
    const dir = tempDir();
    const h = harness(utc('12:05'));
    const result = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '12h',
        '--recheck',
        '2h',
        '--busy-cpu-seconds',
        '3600',
        '--name',
        'nightly',
        '--',
        NODE,
        '-e',
        'console.log("job ran")',
      ],
      h,
      { dir },
    );
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job ran\n');
    expect(h.sleeps).toEqual([2 * HOUR, 2 * HOUR, 55 * MIN]);
    // 3600 busy core-seconds × 12 W = 0.012 kWh; at 60 g/kWh 0.72 g vs 2.4 g at 200: 1.68 g saved.
    expect(result.stderr).toContain(
      'Ran nightly 2026-11-21 17:00 UTC → 2026-11-21 17:00 UTC at 60.0 g/kWh vs 200.0 starting at once: 3,600 CPU s, 0.012 kWh, 0.72 gCO2e; saved 1.68 gCO2e.',
    );
    const rows = savingsRows(dir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      type: 'CARBON_AWARE_SHIFT',
      cluster: 'local',
      applied_at: '2026-11-21T17:00:00.000Z',
      source: 'given',
      monthly_kwh: 0,
    });
    const details = JSON.parse(rows[0]?.applied_json as string).carbon_aware_run;
    expect(details).toMatchObject({
      name: 'nightly',
      reason: 'best_window',
      exit_status: 0,
      mean_intensity: 50,
      now_mean_intensity: 200,
      actual_mean_intensity: 60,
      actual_intensity_source: 'provider',
      busy_cpu_seconds: 3600,
      cpu_seconds_source: 'given',
      command: 'node', // the name only, never the arguments
    });
    expect(details.saved_co2e_g).toBeCloseTo(1.68, 12);

    // Visible in `recommendations savings` …
    const later = { dir, now: utc('20:00'), env: { CARBONCTL_INTENSITY_URL: server.url } };
    const savings = await run(
      ['recommendations', 'savings', '--from', '2026-11-01', '--to', '2026-12-01', '-o', 'json'],
      later,
    );
    expect(savings.code).toBe(0);
    const shift = JSON.parse(savings.stdout).by_type.find(
      (t: { type: string }) => t.type === 'CARBON_AWARE_SHIFT',
    );
    expect(shift.realized.in_period.co2e_g).toBeCloseTo(1.68, 9);
    expect(shift.realized.in_period.count).toBe(1);

    // … and in `export prometheus`.
    const gauges = await run(['export', 'prometheus'], later);
    expect(gauges.code).toBe(0);
    const line = gauges.stdout
      .split('\n')
      .find((l) =>
        l.startsWith(
          'carbonctl_recommendations_realized_month_to_date_co2e_grams{cluster="local",type="CARBON_AWARE_SHIFT"}',
        ),
      );
    expect(Number(line?.split(' ').pop())).toBeCloseTo(1.68, 9);

    // The job's recommendation reads like any other applied one.
    const id = rows[0]?.recommendation_id as string;
    const shown = await run(['recommendations', 'show', id.slice(0, 6)], later);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Run nightly in the cleanest window (carbonctl run)');
    const applied = await run(['recommendations', '--status', 'applied', '-o', 'json'], later);
    expect(JSON.parse(applied.stdout).data.map((r: { id: string }) => r.id)).toEqual([id]);
    const active = await run(['recommendations', '-o', 'json'], later);
    expect(JSON.parse(active.stdout).meta.total).toBe(0); // nothing new to act on

    // A second run of the same job adds to the same recommendation.
    const h2 = harness(utc('12:05'));
    const again = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '12h',
        '--busy-cpu-seconds',
        '3600',
        '--name',
        'nightly',
        '--',
        NODE,
        '-e',
        '',
      ],
      h2,
      { dir },
    );
    expect(again.code).toBe(0);
    const both = savingsRows(dir);
    expect(both).toHaveLength(2);
    expect(both[1]?.recommendation_id).toBe(both[0]?.recommendation_id);
    const total = await run(
      ['recommendations', 'savings', '--from', '2026-11-01', '--to', '2026-12-01', '-o', 'json'],
      later,
    );
    expect(JSON.parse(total.stdout).totals.realized.in_period.co2e_g).toBeCloseTo(3.36, 9);
  });

  it('--cpu-cores counts the reserved core time the command did not use as idle', async () => {
    actualOf = (slot) => (slot.getUTCHours() === 17 ? 60 : 80); // outturn during 17:00–18:00
    const dir = tempDir();
    const h = harness(utc('17:00'));
    const result = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '2h',
        '--busy-cpu-seconds',
        '60',
        '--cpu-cores',
        '2',
        '--',
        NODE,
        '-e',
        'console.log("working")',
      ],
      h,
      // The command "runs" for an hour of the injected clock.
      { dir, onStdout: (text) => text.includes('working') && h.advance(HOUR) },
    );
    expect(result.code).toBe(0);
    const details = JSON.parse(savingsRows(dir)[0]?.applied_json as string).carbon_aware_run;
    expect(details.ended_at).toBe('2026-11-21T18:00:00.000Z');
    // Busy 60 s × 12 W + idle (2 cores × 3600 s − 60 s) × 1 W = 720 + 7140 J = 7860 J = 0.00218333 kWh.
    expect(details.energy_kwh).toBeCloseTo(7860 / 3.6e6, 15);
    expect(details.actual_mean_intensity).toBe(60); // both half-hours of 17:00–18:00
    // 17:00–18:00 (forecast 50 g/kWh) is the cleanest hour of the horizon: it starts at once,
    // and the outturn (60) was dirtier than the forecast that baseline came from.
    expect(details.reason).toBe('now_is_best');
    expect(details.now_mean_intensity).toBe(50);
    expect(details.saved_co2e_g).toBeCloseTo((7860 / 3.6e6) * (50 - 60), 12);
    expect(savingsRows(dir)[0]?.monthly_co2e_g).toBe(0); // recorded as no saving
    expect(result.stderr).toContain('more than starting at once (recorded as no saving)');
  });

  it('measures the command’s CPU time when none is given', async () => {
    const dir = tempDir();
    const h = harness(utc('17:00'));
    const burn =
      'const end = process.cpuUsage().user + 200000; while (process.cpuUsage().user < end) {}';
    const result = await runCommand(['--for', '1h', '--within', '2h', '--', NODE, '-e', burn], h, {
      dir,
    });
    expect(result.code).toBe(0);
    const details = JSON.parse(savingsRows(dir)[0]?.applied_json as string).carbon_aware_run;
    expect(details.cpu_seconds_source).toBe('measured');
    expect(details.busy_cpu_seconds).toBeGreaterThanOrEqual(0.2); // it burnt ≥ 0.2 s of user CPU
    expect(details.energy_kwh).toBeCloseTo((details.busy_cpu_seconds * 12) / 3.6e6, 15);
    expect(details.name).toBe('node'); // default name: the command's basename
  });

  it('exits with the command’s exit code, and records the run all the same', async () => {
    const dir = tempDir();
    const h = harness(utc('17:00'));
    const result = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '2h',
        '--busy-cpu-seconds',
        '60',
        '--',
        NODE,
        '-e',
        'process.exit(3)',
      ],
      h,
      { dir },
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('notice: node exited with status 3');
    expect(result.stderr).not.toContain('error:');
    expect(savingsRows(dir)).toHaveLength(1);
  });

  it('--no-record leaves the ledger alone', async () => {
    const dir = tempDir();
    const h = harness(utc('17:00'));
    const result = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '2h',
        '--busy-cpu-seconds',
        '60',
        '--no-record',
        '--',
        NODE,
        '-e',
        '',
      ],
      h,
      { dir },
    );
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, 'data', 'ledger.db'))).toBe(false);
  });

  it('a command that does not exist is exit 127', async () => {
    const h = harness(utc('17:00'));
    const result = await runCommand(
      ['--for', '1h', '--within', '2h', '--', 'carbonctl-no-such-command-xyz'],
      h,
    );
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('carbonctl-no-such-command-xyz: command not found');
  });

  it('needs a command', async () => {
    const result = await runCommand(['--for', '1h', '--within', '2h'], harness(utc('17:00')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'command'");
  });

  const waitForSignal = `
    process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(7); });
    process.on('SIGINT', () => { console.log('child got SIGINT'); process.exit(8); });
    console.log('ready');
    setInterval(() => {}, 1000);`;

  it.each([
    ['SIGTERM', 7],
    ['SIGINT', 8],
  ] as const)('forwards %s to the command and exits with its code (%i)', async (signal, code) => {
    const h = harness(utc('17:00'));
    const result = await runCommand(
      ['--for', '1h', '--within', '2h', '--no-record', '--', NODE, '-e', waitForSignal],
      h,
      { onStdout: (text) => text.includes('ready') && h.emit(signal) },
    );
    expect(result.stdout).toBe(`ready\nchild got ${signal}\n`);
    expect(result.code).toBe(code);
    expect(h.listenerCount()).toBe(0);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a command killed by %s makes carbonctl exit %i', async (signal, code) => {
    const h = harness(utc('17:00'));
    const result = await runCommand(
      [
        '--for',
        '1h',
        '--within',
        '2h',
        '--no-record',
        '--',
        NODE,
        '-e',
        'console.log("ready"); setInterval(() => {}, 1000)',
      ],
      h,
      { onStdout: (text) => text.includes('ready') && h.emit(signal) },
    );
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`node was ended by ${signal} (status ${code})`);
  });
});

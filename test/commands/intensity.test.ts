import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';

const NOW = new Date('2026-11-21T12:05:00Z');

/** A GB-API-shaped forecast: 48 half-hours from 12:00Z, 200 g/kWh except 17:00–20:00Z at 50. */
function forecastBody(fromIso: string): string {
  // The real API starts at the half-hour containing {from} (carbon-intensity-apis.md §1.2).
  const start = Math.floor(Date.parse(fromIso.replace(/Z$/, ':00Z')) / 1_800_000) * 1_800_000;
  const data = Array.from({ length: 48 }, (_, i) => {
    const from = new Date(start + i * 1_800_000);
    const to = new Date(from.getTime() + 1_800_000);
    const hour = from.getUTCHours();
    const value = hour >= 17 && hour < 20 && from.getUTCDate() === 21 ? 50 : 200;
    const fmt = (d: Date) => d.toISOString().slice(0, 16) + 'Z';
    return {
      from: fmt(from),
      to: fmt(to),
      intensity: { forecast: value, actual: null, index: value < 100 ? 'low' : 'moderate' },
    };
  });
  return JSON.stringify({ data });
}

describe('intensity against a loopback GB Carbon Intensity API', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const forecast = /^\/intensity\/([^/]+)\/fw(24|48)h$/.exec(req.url);
      if (forecast?.[1]) {
        res.end(forecastBody(forecast[1]));
      } else if (req.url === '/intensity' || /^\/intensity\/[^/]+Z$/.test(req.url)) {
        res.end(readFileSync('fixtures/intensity/uk-national-intensity-current.json'));
      } else {
        res.statusCode = 404;
        res.end(
          JSON.stringify({
            error: {
              code: '400 Bad Request',
              message: 'Please enter a valid path e.g. /intensity/',
            },
          }),
        );
      }
    });
  });
  afterAll(() => server.close());
  const env = () => ({ CARBONCTL_INTENSITY_URL: server.url });

  it('current: value, index band, the half-hour it covers, provider and region', async () => {
    const result = await run(['intensity', '-o', 'json'], { env: env(), now: NOW });
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    const fixture = JSON.parse(
      readFileSync('fixtures/intensity/uk-national-intensity-current.json', 'utf8'),
    ).data[0];
    expect(data).toMatchObject({
      intensity: fixture.intensity.actual ?? fixture.intensity.forecast,
      index: fixture.intensity.index,
      provider: 'uk',
      timestamp: NOW.toISOString(),
    });
    expect(new Date(data.from).toISOString().slice(0, 16) + 'Z').toBe(fixture.from);
  });

  it('--forecast 24 --best-window 3h finds 17:00–20:00Z and a 75 % saving', async () => {
    const result = await run(
      ['intensity', '--forecast', '24', '--best-window', '3h', '-o', 'json'],
      { env: env(), now: NOW },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.start).toBe('2026-11-21T17:00:00.000Z');
    expect(data.end).toBe('2026-11-21T20:00:00.000Z');
    expect(data.mean_intensity).toBe(50);
    expect(data.now_mean_intensity).toBe(200); // the window starting in the slot containing 12:05
    expect(data.saving_percent).toBeCloseTo(75, 10); // (200 − 50) / 200
    expect(data.forecasts).toHaveLength(48);
    expect(data.forecasts[0]).toEqual({
      from_time: '2026-11-21T12:00:00.000Z',
      to_time: '2026-11-21T12:30:00.000Z',
      intensity_forecast: 200,
      intensity_index: 'moderate',
    });
    expect(
      server.requests.some((r) => r.url.startsWith('/intensity/2026-11-21T12:05Z/fw24h')),
    ).toBe(true);
  });

  it('prints the forecast table and the best window for people', async () => {
    const result = await run(
      ['intensity', '--forecast', '6', '--best-window', '1h', '--within', '6h'],
      { env: env(), now: NOW },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/From \(UTC\)\s+To \(UTC\)\s+Forecast \(g\/kWh\)\s+Index/);
    expect(result.stdout).toContain('Cleanest 1 h within 6 h: 2026-11-21 17:00–18:00 UTC');
    expect(result.stdout).toContain('75.0% less');
  });

  it('shows a sparkline on a terminal only', async () => {
    const tty = await run(['intensity', '--forecast', '4'], { env: env(), now: NOW, tty: true });
    expect(tty.stdout).toMatch(/[▁▂▃▄▅▆▇█]{8}/);
    const pipe = await run(['intensity', '--forecast', '4'], { env: env(), now: NOW });
    expect(pipe.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  it.each([
    [['--best-window', '3d'], '--best-window 3d is longer than the search horizon'],
    [['--best-window', '3m'], '--best-window 3m is not a duration'],
    [['--forecast', '49'], '--forecast 49 is not a whole number from 1 to 48'],
    [['--within', '6h'], '--within goes with --best-window'],
    [['--region', '42'], '42'],
    [['--provider', 'watttime'], "argument 'watttime' is invalid"],
  ])('rejects %j with exit 2', async (args, message) => {
    const result = await run(['intensity', ...args], { env: env(), now: NOW });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('works offline with the static and fixed providers', async () => {
    const fixed = await run(['intensity', '-o', 'json'], {
      env: { CARBONCTL_INTENSITY_PROVIDER: 'fixed' },
      now: NOW,
    });
    expect(fixed.code).toBe(2); // fixed needs a value: a config error naming it
    const stat = await run(['intensity', '--provider', 'static', '--zone', 'DE', '-o', 'json'], {
      now: NOW,
    });
    expect(stat.code).toBe(0);
    const data = JSON.parse(stat.stdout);
    expect(data.provider).toBe('static');
    expect(data.intensity).toBeGreaterThan(100);
  });
});

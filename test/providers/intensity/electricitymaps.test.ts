import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DataSourceError } from '../../../src/errors.js';
import type { IntensityProvider } from '../../../src/core/ports.js';
import { HttpClient } from '../../../src/providers/http.js';
import { createIntensityProvider } from '../../../src/providers/intensity/index.js';
import { startLoopbackServer } from '../../helpers/loopback-server.js';
import type { LoopbackHandler, LoopbackServer } from '../../helpers/loopback-server.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/intensity/${name}`, import.meta.url), 'utf8');

const TOKEN = 'em-test-token-5ecret';
const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];

function json(res: ServerResponse, body: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

async function emProvider(
  handler: LoopbackHandler,
  zone = 'DE',
): Promise<{ provider: IntensityProvider; server: LoopbackServer; traces: string[] }> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  const traces: string[] = [];
  const http = new HttpClient({
    userAgent: 'carbonctl/test',
    sleep: () => Promise.resolve(),
    random: () => 0,
    trace: (line) => traces.push(line),
  });
  clients.push(http);
  const provider = createIntensityProvider(
    {
      provider: 'electricitymaps',
      region: null,
      zone,
      fixed: null,
      url: `${server.url}/v3`,
      electricityMapsToken: TOKEN,
      timeoutSeconds: 5,
    },
    http,
  );
  return { provider, server, traces };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Splits a recorded request URL into path and query parameters. */
function parse(url: string): { path: string; query: Record<string, string> } {
  const parsed = new URL(url, 'http://x');
  return { path: parsed.pathname, query: Object.fromEntries(parsed.searchParams) };
}

/** Hourly past-range data from `start` through `end` inclusive, value = hour of day × 10. */
function pastRangeBody(url: string): string {
  const { query } = parse(url);
  const data = [];
  for (
    let t = Date.parse(query['start'] ?? '');
    t <= Date.parse(query['end'] ?? '');
    t += 3_600_000
  ) {
    data.push({
      zone: 'DE',
      carbonIntensity: new Date(t).getUTCHours() * 10,
      datetime: new Date(t).toISOString(),
      isEstimated: false,
    });
  }
  return JSON.stringify({ zone: 'DE', data });
}

describe('Electricity Maps provider', () => {
  it('reads latest with the auth-token header, zone and direct emission factors', async () => {
    const { provider, server } = await emProvider(
      (_req, res) => json(res, fixture('electricitymaps-v3-carbon-intensity-latest.json')),
      'us-car-duk',
    );
    const current = await provider.current(new Date('2024-03-06T19:20:00Z'));
    const request = server.requests[0];
    expect(parse(request?.url ?? '')).toEqual({
      path: '/v3/carbon-intensity/latest',
      query: { zone: 'US-CAR-DUK', emissionFactorType: 'direct' },
    });
    expect(request?.headers['auth-token']).toBe(TOKEN);
    expect(request?.headers['authorization']).toBeUndefined();
    expect(current).toEqual({
      from: new Date('2024-03-06T19:00:00Z'),
      to: new Date('2024-03-06T20:00:00Z'),
      intensityGPerKwh: 216,
      kind: 'actual',
      index: null,
    });
    expect(provider.regionLabel).toBe('US-CAR-DUK');
  });

  it('answers history within the last 24 h from /history alone, as 1-hour actual slots', async () => {
    const { provider, server } = await emProvider((_req, res) =>
      json(res, fixture('electricitymaps-v3-carbon-intensity-history.json')),
    );
    const slots = await provider.history(
      new Date('2024-03-05T20:00:00Z'),
      new Date('2024-03-05T23:00:00Z'),
    );
    expect(server.requests.map((r) => parse(r.url).path)).toEqual(['/v3/carbon-intensity/history']);
    expect(server.requests[0]?.headers['auth-token']).toBe(TOKEN);
    // The first three recorded hours: 599, 607, 599.
    expect(slots).toEqual([
      {
        from: new Date('2024-03-05T20:00:00Z'),
        to: new Date('2024-03-05T21:00:00Z'),
        forecast: null,
        actual: 599,
        index: null,
      },
      {
        from: new Date('2024-03-05T21:00:00Z'),
        to: new Date('2024-03-05T22:00:00Z'),
        forecast: null,
        actual: 607,
        index: null,
      },
      {
        from: new Date('2024-03-05T22:00:00Z'),
        to: new Date('2024-03-05T23:00:00Z'),
        forecast: null,
        actual: 599,
        index: null,
      },
    ]);
  });

  it('keeps carbonIntensity: null as null', async () => {
    const body = JSON.parse(fixture('electricitymaps-v3-carbon-intensity-history.json')) as {
      history: Array<{ carbonIntensity: number | null }>;
    };
    const second = body.history[1];
    if (second !== undefined) second.carbonIntensity = null;
    const { provider } = await emProvider((_req, res) => json(res, JSON.stringify(body)));
    const slots = await provider.history(
      new Date('2024-03-05T20:00:00Z'),
      new Date('2024-03-05T23:00:00Z'),
    );
    expect(slots.map((slot) => slot.actual)).toEqual([599, null, 599]);
  });

  it('fetches windows older than 24 h from past-range in ≤ 10-day chunks, then joins /history', async () => {
    const { provider, server } = await emProvider((req, res) => {
      if (req.url.includes('/history')) {
        json(res, fixture('electricitymaps-v3-carbon-intensity-history.json'));
      } else if (req.url.includes('/past-range')) {
        json(res, pastRangeBody(req.url));
      } else {
        json(res, '{"error":"unexpected path"}', 404);
      }
    });
    const from = new Date('2024-02-20T00:00:00Z');
    const to = new Date('2024-03-06T00:00:00Z');
    const slots = await provider.history(from, to);

    const requests = server.requests.map((r) => parse(r.url));
    // History's first hour is 2024-03-05T20:00Z: everything before it comes from past-range.
    // 2024-02-20 → 2024-03-01 is exactly 10 days (2024 is a leap year: Feb has 29 days).
    expect(requests).toEqual([
      { path: '/v3/carbon-intensity/history', query: { zone: 'DE', emissionFactorType: 'direct' } },
      {
        path: '/v3/carbon-intensity/past-range',
        query: {
          zone: 'DE',
          emissionFactorType: 'direct',
          start: '2024-02-20T00:00:00.000Z',
          end: '2024-03-01T00:00:00.000Z',
        },
      },
      {
        path: '/v3/carbon-intensity/past-range',
        query: {
          zone: 'DE',
          emissionFactorType: 'direct',
          start: '2024-03-01T00:00:00.000Z',
          end: '2024-03-05T20:00:00.000Z',
        },
      },
    ]);
    expect(server.requests.every((r) => r.headers['auth-token'] === TOKEN)).toBe(true);
    // 15 days × 24 h = 360 hours, each once, in order, none before `from`.
    expect(slots).toHaveLength(360);
    expect(new Set(slots.map((slot) => slot.from.getTime())).size).toBe(360);
    expect(slots[0]?.from).toEqual(from);
    expect(slots.at(-1)?.to).toEqual(to);
    // 2024-03-01T05:00Z comes from past-range: 5 × 10 = 50.
    expect(slots.find((s) => s.from.toISOString() === '2024-03-01T05:00:00.000Z')?.actual).toBe(50);
    // 2024-03-05T20:00Z is both the end of a past-range chunk (value 200) and in /history
    // (599): the history value wins.
    expect(slots.find((s) => s.from.toISOString() === '2024-03-05T20:00:00.000Z')?.actual).toBe(
      599,
    );
  });

  it('maps forecast entries to forecast slots within the horizon', async () => {
    const { provider, server } = await emProvider((_req, res) =>
      json(res, fixture('electricitymaps-v3-carbon-intensity-forecast.json')),
    );
    const slots = await provider.forecast(new Date('2024-03-06T20:30:00Z'), 3);
    expect(parse(server.requests[0]?.url ?? '').path).toBe('/v3/carbon-intensity/forecast');
    // [20:30, 23:30) overlaps the hours starting 20:00, 21:00, 22:00 and 23:00.
    expect(slots.map((slot) => [slot.from.toISOString(), slot.forecast, slot.actual])).toEqual([
      ['2024-03-06T20:00:00.000Z', 410, null],
      ['2024-03-06T21:00:00.000Z', 395, null],
      ['2024-03-06T22:00:00.000Z', 372, null],
      ['2024-03-06T23:00:00.000Z', null, null],
    ]);
  });

  it('reports a refused token (401) naming CARBONCTL_ELECTRICITYMAPS_TOKEN, without retrying or leaking it', async () => {
    const { provider, server, traces } = await emProvider((_req, res) =>
      json(res, fixture('electricitymaps-error-401.json'), 401),
    );
    const error = (await provider
      .current(new Date('2024-03-06T19:20:00Z'))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      `Electricity Maps API at ${server.url}/v3: refused the token (HTTP 401): check CARBONCTL_ELECTRICITYMAPS_TOKEN`,
    );
    expect(server.requests).toHaveLength(1);
    expect(`${error.message} ${error.hint ?? ''} ${traces.join(' ')}`).not.toContain(TOKEN);
  });

  it('reports a 403 as a token without access to the zone', async () => {
    const { provider } = await emProvider((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Access denied');
    }, 'FR');
    await expect(
      provider.history(new Date('2024-03-05T20:00:00Z'), new Date('2024-03-05T21:00:00Z')),
    ).rejects.toThrow('token has no access to zone FR (HTTP 403, history)');
  });

  it('treats an error body as a failure even with HTTP 200', async () => {
    const { provider } = await emProvider((_req, res) =>
      json(res, '{"error":"Zone XX does not exist"}', 200),
    );
    await expect(provider.current(new Date('2024-03-06T19:20:00Z'))).rejects.toThrow(
      'answered with an error (HTTP 200): Zone XX does not exist',
    );
  });

  it('treats a non-numeric latest intensity as missing (exit 3), never as a number', async () => {
    const { provider } = await emProvider((_req, res) =>
      json(res, '{"zone":"DE","carbonIntensity":"216","datetime":"2024-03-06T19:00:00.000Z"}'),
    );
    await expect(provider.current(new Date('2024-03-06T19:20:00Z'))).rejects.toThrow(
      /has no carbon intensity for zone DE/,
    );
  });

  it('reports a latest body in the wrong shape', async () => {
    const { provider } = await emProvider((_req, res) =>
      json(res, '{"zone":"DE","carbonIntensity":216,"datetime":"yesterday"}'),
    );
    await expect(provider.current(new Date('2024-03-06T19:20:00Z'))).rejects.toThrow(
      /unexpected shape: datetime: /,
    );
  });

  it('requires a token at creation, naming the environment variable', () => {
    const http = new HttpClient({ userAgent: 'carbonctl/test' });
    clients.push(http);
    expect(() =>
      createIntensityProvider(
        {
          provider: 'electricitymaps',
          region: null,
          zone: 'DE',
          fixed: null,
          url: null,
          electricityMapsToken: null,
          timeoutSeconds: 5,
        },
        http,
      ),
    ).toThrow(ConfigError);
    expect(() =>
      createIntensityProvider(
        {
          provider: 'electricitymaps',
          region: null,
          zone: 'DE',
          fixed: null,
          url: null,
          electricityMapsToken: ' ',
          timeoutSeconds: 5,
        },
        http,
      ),
    ).toThrow(/electricitymaps intensity provider needs an API token/);
    try {
      createIntensityProvider(
        {
          provider: 'electricitymaps',
          region: null,
          zone: 'DE',
          fixed: null,
          url: null,
          electricityMapsToken: null,
          timeoutSeconds: 5,
        },
        http,
      );
    } catch (error) {
      expect((error as ConfigError).hint).toContain('CARBONCTL_ELECTRICITYMAPS_TOKEN');
    }
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import { DataSourceError, UsageError } from '../../../src/errors.js';
import type { IntensityProvider, IntensitySlot } from '../../../src/core/ports.js';
import { HttpClient } from '../../../src/providers/http.js';
import { createIntensityProvider } from '../../../src/providers/intensity/index.js';
import { formatUkTime } from '../../../src/providers/intensity/uk.js';
import { parseUkRegion } from '../../../src/providers/intensity/uk-region.js';
import { startLoopbackServer } from '../../helpers/loopback-server.js';
import type { LoopbackHandler, LoopbackServer } from '../../helpers/loopback-server.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../fixtures/intensity/${name}`, import.meta.url), 'utf8');

const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];

function json(res: ServerResponse, body: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

/** A UK provider pointed at a loopback server replaying `handler`; sleeps are recorded, not waited. */
async function ukProvider(
  handler: LoopbackHandler,
  options: { region?: string | null; timeoutSeconds?: number } = {},
): Promise<{ provider: IntensityProvider; server: LoopbackServer; sleeps: number[] }> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  const sleeps: number[] = [];
  const http = new HttpClient({
    userAgent: 'carbonctl/test',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0,
  });
  clients.push(http);
  const provider = createIntensityProvider(
    {
      provider: 'uk',
      region: options.region ?? null,
      zone: 'GB',
      fixed: null,
      url: server.url,
      electricityMapsToken: null,
      timeoutSeconds: options.timeoutSeconds ?? 5,
    },
    http,
  );
  return { provider, server, sleeps };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const iso = (slot: IntensitySlot | undefined): string => formatUkTime(slot?.from ?? new Date(NaN));

/**
 * Answers `/intensity/{from}/{to}` (and the regional range path) like the API: half hours from
 * the slot *ending* at `from` (the extra leading slot of issue #4) through the slot starting at
 * `to`, intensity = minutes since 2024-01-01 / 30 mod 400, plus a duplicate record for
 * 2024-01-10T12:00Z whose second copy carries 999 (issue #17).
 */
function rangeHandler(req: { url: string }, res: ServerResponse): void {
  const match = /^\/(?:regional\/)?intensity\/([^/]+)\/([^/]+)/.exec(req.url);
  if (match?.[1] === undefined || match[2] === undefined) {
    json(res, fixture('uk-error-invalid-path.json'), 400);
    return;
  }
  const fromMs = Date.parse(match[1]);
  const toMs = Date.parse(match[2]);
  const periods: unknown[] = [];
  for (let t = fromMs - 30 * 60_000; t <= toMs; t += 30 * 60_000) {
    const value = Math.floor((t - Date.UTC(2024, 0, 1)) / 1_800_000) % 400;
    const period = (v: number) => ({
      from: formatUkTime(new Date(t)),
      to: formatUkTime(new Date(t + 30 * 60_000)),
      intensity: { forecast: v + 1, actual: v, index: 'moderate' },
    });
    periods.push(period(value));
    if (t === Date.UTC(2024, 0, 10, 12, 0)) periods.push(period(999));
  }
  if (req.url.startsWith('/regional/')) {
    json(res, JSON.stringify({ data: { regionid: 13, shortname: 'London', data: periods } }));
  } else {
    json(res, JSON.stringify({ data: periods }));
  }
}

describe('UK provider: current', () => {
  it('answers the latest completed half hour of /intensity as an actual value', async () => {
    const { provider, server } = await ukProvider((_req, res) =>
      json(res, fixture('uk-national-intensity-current.json')),
    );
    const current = await provider.current(new Date('2024-01-11T10:01:00Z'));
    expect(server.requests.map((r) => r.url)).toEqual(['/intensity']);
    expect(server.requests[0]?.headers['accept']).toBe('application/json');
    expect(current).toEqual({
      from: new Date('2024-01-11T09:30:00Z'),
      to: new Date('2024-01-11T10:00:00Z'),
      intensityGPerKwh: 275,
      kind: 'actual',
      index: 'very high',
    });
    expect(provider.regionLabel).toBe('GB national');
    expect(provider.sourceDescription).toBe('Carbon Intensity API, NESO (CC BY 4.0)');
  });

  it('uses the forecast and says so when actual is null', async () => {
    const body =
      '{"data":[{"from":"2024-01-12T06:00Z","to":"2024-01-12T06:30Z","intensity":{"forecast":293,"actual":null,"index":"very high"}}]}';
    const { provider } = await ukProvider((_req, res) => json(res, body));
    const current = await provider.current(new Date('2024-01-12T06:10:00Z'));
    expect(current.intensityGPerKwh).toBe(293);
    expect(current.kind).toBe('forecast');
  });

  it('asks for the half hour containing an --at time far from the latest one', async () => {
    const { provider, server } = await ukProvider((req, res) => {
      if (req.url === '/intensity') {
        json(res, fixture('uk-national-intensity-current.json'));
        return;
      }
      json(
        res,
        '{"data":[{"from":"2023-06-01T12:00Z","to":"2023-06-01T12:30Z","intensity":{"forecast":150,"actual":144,"index":"moderate"}}]}',
      );
    });
    const current = await provider.current(new Date('2023-06-01T12:10:00Z'));
    expect(server.requests.map((r) => r.url)).toEqual([
      '/intensity',
      '/intensity/2023-06-01T12:10Z',
    ]);
    expect(current.intensityGPerKwh).toBe(144);
    expect(current.from).toEqual(new Date('2023-06-01T12:00:00Z'));
  });

  it('reads a region by id from the array container of /regional/regionid/{id}', async () => {
    const { provider, server } = await ukProvider(
      (_req, res) => json(res, fixture('uk-regional-regionid-current.json')),
      { region: '13' },
    );
    const current = await provider.current(new Date('2024-01-12T06:20:00Z'));
    expect(server.requests.map((r) => r.url)).toEqual(['/regional/regionid/13']);
    expect(current).toEqual({
      from: new Date('2024-01-12T06:00:00Z'),
      to: new Date('2024-01-12T06:30:00Z'),
      intensityGPerKwh: 268,
      kind: 'forecast', // regional data carries no actual
      index: 'very high',
    });
    expect(provider.regionLabel).toBe('region 13 (London)');
  });

  it('reads a region by postcode from the object container, sending only the outward code', async () => {
    const { provider, server } = await ukProvider(
      (_req, res) => json(res, fixture('uk-regional-intensity-fw48h-postcode.json')),
      { region: 'kt1 4ab' },
    );
    // The recorded body has 23:30–00:00 (121) and 00:00–00:30 (116); 00:10 falls in the second.
    const current = await provider.current(new Date('2023-07-05T00:10:00Z'));
    expect(server.requests.map((r) => r.url)).toEqual(['/regional/postcode/KT1']);
    expect(current.intensityGPerKwh).toBe(116);
    expect(current.index).toBe('low');
    expect(current.kind).toBe('forecast');
    expect(provider.regionLabel).toBe('postcode KT1');
  });
});

describe('UK provider: forecast', () => {
  it('fetches fw48h and keeps actual: null as null, never 0', async () => {
    const { provider, server } = await ukProvider((_req, res) =>
      json(res, fixture('uk-national-intensity-fw48h.json')),
    );
    const slots = await provider.forecast(new Date('2024-01-12T06:01:00Z'), 48);
    expect(server.requests.map((r) => r.url)).toEqual(['/intensity/2024-01-12T06:01Z/fw48h']);
    // The recording is truncated upstream to 8 half hours, 06:00 through 09:30.
    expect(slots).toHaveLength(8);
    expect(iso(slots[0])).toBe('2024-01-12T06:00Z');
    expect(slots.map((slot) => slot.forecast)).toEqual([293, 301, 304, 306, 305, 305, 308, 309]);
    expect(slots.every((slot) => slot.actual === null)).toBe(true);
    expect(slots[0]?.index).toBe('very high');
  });

  it('uses fw24h for horizons up to 24 h and clips to the horizon', async () => {
    const { provider, server } = await ukProvider((_req, res) =>
      json(res, fixture('uk-national-intensity-fw48h.json')),
    );
    const slots = await provider.forecast(new Date('2024-01-12T06:00:00Z'), 2);
    expect(server.requests.map((r) => r.url)).toEqual(['/intensity/2024-01-12T06:00Z/fw24h']);
    // [06:00, 08:00) holds four half hours.
    expect(slots.map(iso)).toEqual([
      '2024-01-12T06:00Z',
      '2024-01-12T06:30Z',
      '2024-01-12T07:00Z',
      '2024-01-12T07:30Z',
    ]);
  });

  it('drops the extra leading slot that ends at `from` (regional, postcode)', async () => {
    const { provider, server } = await ukProvider(
      (_req, res) => json(res, fixture('uk-regional-intensity-fw48h-postcode.json')),
      { region: 'KT1' },
    );
    const slots = await provider.forecast(new Date('2023-07-05T00:00:00Z'), 48);
    expect(server.requests.map((r) => r.url)).toEqual([
      '/regional/intensity/2023-07-05T00:00Z/fw48h/postcode/KT1',
    ]);
    expect(slots).toEqual([
      {
        from: new Date('2023-07-05T00:00:00Z'),
        to: new Date('2023-07-05T00:30:00Z'),
        forecast: 116,
        actual: null,
        index: 'low',
      },
    ]);
  });

  it('rejects a horizon beyond 48 h as a usage error', async () => {
    const { provider } = await ukProvider((_req, res) => json(res, '{"data":[]}'));
    await expect(provider.forecast(new Date('2024-01-12T06:00:00Z'), 72)).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe('UK provider: history', () => {
  it('parses a recorded range with actual values', async () => {
    const { provider } = await ukProvider((_req, res) =>
      json(res, fixture('uk-national-intensity-pt24h.json')),
    );
    const slots = await provider.history(
      new Date('2024-01-11T06:00:00Z'),
      new Date('2024-01-11T10:00:00Z'),
    );
    expect(slots.map((slot) => slot.actual)).toEqual([271, 277, 282, 283, 282, 275, 276, 275]);
    expect(slots.map((slot) => slot.forecast)).toEqual([264, 263, 269, 277, 287, 289, 278, 274]);
  });

  it('splits a 19-day national range into ≤ 14-day requests and returns each half hour once, in order', async () => {
    const { provider, server } = await ukProvider(rangeHandler);
    const from = new Date('2024-01-01T00:00:00Z');
    const to = new Date('2024-01-20T00:00:00Z');
    const slots = await provider.history(from, to);

    expect(server.requests.map((r) => r.url)).toEqual([
      '/intensity/2024-01-01T00:00Z/2024-01-15T00:00Z',
      '/intensity/2024-01-15T00:00Z/2024-01-20T00:00Z',
    ]);
    // 19 days × 48 half hours = 912 slots, although the server sent leading, trailing,
    // chunk-boundary and issue-#17 duplicates.
    expect(slots).toHaveLength(912);
    expect(new Set(slots.map((slot) => slot.from.getTime())).size).toBe(912);
    expect(slots[0]?.from).toEqual(from);
    expect(slots.every((slot) => slot.from.getTime() >= from.getTime())).toBe(true);
    expect(slots.at(-1)?.to).toEqual(to);
    for (let i = 1; i < slots.length; i++) {
      expect(slots[i]?.from.getTime()).toBe((slots[i - 1]?.from.getTime() ?? 0) + 1_800_000);
    }
    // The duplicated record keeps the last copy.
    const duplicated = slots.find((slot) => iso(slot) === '2024-01-10T12:00Z');
    expect(duplicated?.actual).toBe(999);
    // 2024-01-15T00:00Z is half hour 14 × 48 = 672 since 2024-01-01: 672 mod 400 = 272.
    expect(slots.find((slot) => iso(slot) === '2024-01-15T00:00Z')?.actual).toBe(272);
  });

  it('splits regional ranges into ≤ 13-day requests and at 1 January', async () => {
    const { provider, server } = await ukProvider(rangeHandler, { region: '13' });
    const slots = await provider.history(
      new Date('2023-12-25T00:00:00Z'),
      new Date('2024-01-20T00:00:00Z'),
    );
    expect(server.requests.map((r) => r.url)).toEqual([
      '/regional/intensity/2023-12-25T00:00Z/2024-01-01T00:00Z/regionid/13',
      '/regional/intensity/2024-01-01T00:00Z/2024-01-14T00:00Z/regionid/13',
      '/regional/intensity/2024-01-14T00:00Z/2024-01-20T00:00Z/regionid/13',
    ]);
    // 26 days × 48 = 1248 half hours.
    expect(slots).toHaveLength(1248);
    expect(iso(slots[0])).toBe('2023-12-25T00:00Z');
  });

  it('treats regional `data: null` (before May 2018) as no data', async () => {
    const { provider } = await ukProvider((_req, res) => json(res, '{"data":null}'), {
      region: '1',
    });
    await expect(
      provider.history(new Date('2017-01-01T00:00:00Z'), new Date('2017-01-02T00:00:00Z')),
    ).resolves.toEqual([]);
  });
});

describe('UK provider: failures', () => {
  it('treats a top-level error key in an HTTP 200 body as a failure, without retrying', async () => {
    const { provider, server } = await ukProvider((_req, res) =>
      json(res, fixture('uk-error-invalid-path.json'), 200),
    );
    const error = (await provider
      .current(new Date('2024-01-12T06:00:00Z'))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      `GB Carbon Intensity API at ${server.url}: answered with an error (HTTP 200): 400 Bad Request: Please enter a valid path e.g. /intensity/`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries an HTTP 500 error body, then fails with the API’s message', async () => {
    const { provider, server, sleeps } = await ukProvider((_req, res) =>
      json(res, fixture('uk-error-500.json'), 500),
    );
    const error = (await provider
      .forecast(new Date('2025-01-13T10:00:00Z'), 24)
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.message).toContain(
      'answered with an error (HTTP 500): 500 Internal Server Error: Requested resource not found.',
    );
    // First attempt plus 2 retries, with 250 ms and 500 ms backoff between them.
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('retries a plain HTTP 500, then reports the status', async () => {
    const { provider, server } = await ukProvider((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('upstream exploded');
    });
    await expect(provider.current(new Date('2024-01-12T06:00:00Z'))).rejects.toThrow(
      'answered HTTP 500: upstream exploded',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    let calls = 0;
    const { provider, sleeps } = await ukProvider((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '3' });
        res.end();
        return;
      }
      json(res, fixture('uk-national-intensity-current.json'));
    });
    const current = await provider.current(new Date('2024-01-11T10:01:00Z'));
    expect(current.intensityGPerKwh).toBe(275);
    expect(sleeps).toEqual([3000]);
  });

  it('times out a server that never answers (200 ms), retries, then fails', async () => {
    const { provider, server } = await ukProvider(() => {}, { timeoutSeconds: 0.2 });
    await expect(provider.current(new Date('2024-01-11T10:01:00Z'))).rejects.toThrow(
      /did not answer within 0\.2 s \(3 attempts\)/,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('reports malformed JSON', async () => {
    const { provider } = await ukProvider((_req, res) => json(res, '{"data": [{"from": '));
    const error = (await provider
      .current(new Date('2024-01-11T10:01:00Z'))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.message).toContain('answered with malformed JSON: {"data": [{"from":');
  });

  it('turns a non-numeric, zero, negative or absurd intensity into a gap, never a 0 (SPEC §2)', async () => {
    const { provider } = await ukProvider((_req, res) =>
      json(
        res,
        '{"data":[' +
          '{"from":"2024-01-11T06:00Z","to":"2024-01-11T06:30Z","intensity":{"forecast":"high","actual":0}},' +
          '{"from":"2024-01-11T06:30Z","to":"2024-01-11T07:00Z","intensity":{"forecast":-5,"actual":1e12}},' +
          '{"from":"2024-01-11T07:00Z","to":"2024-01-11T07:30Z","intensity":{"forecast":150,"actual":2000}}]}',
      ),
    );
    const slots = await provider.history(
      new Date('2024-01-11T06:00:00Z'),
      new Date('2024-01-11T07:30:00Z'),
    );
    expect(slots.map((slot) => [slot.forecast, slot.actual])).toEqual([
      [null, null],
      [null, null],
      // 2000 g/kWh is the top of the usable range.
      [150, 2000],
    ]);
  });

  it('reports a body in the wrong shape with the path of the problem', async () => {
    const { provider } = await ukProvider((_req, res) =>
      json(res, '{"data":[{"from":"2024-01-11T06:00Z","to":"2024-01-11T06:30Z","intensity":7}]}'),
    );
    const error = (await provider
      .history(new Date('2024-01-11T06:00:00Z'), new Date('2024-01-11T07:00:00Z'))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.message).toMatch(/answered in an unexpected shape: data\[0\]\.intensity: /);
  });

  it('rejects a body whose times are not YYYY-MM-DDTHH:mmZ', async () => {
    const { provider } = await ukProvider((_req, res) =>
      json(
        res,
        '{"data":[{"from":"yesterday","to":"2024-01-11T06:30Z","intensity":{"forecast":1}}]}',
      ),
    );
    await expect(provider.current(new Date('2024-01-11T06:10:00Z'))).rejects.toThrow(
      /unexpected shape: data\[0\]\.from/,
    );
  });

  it('hints at the postcode when the API rejects one', async () => {
    const { provider } = await ukProvider(
      (_req, res) =>
        json(
          res,
          '{"error":{"code":"400 Bad Request","message":"Please enter a valid postcode"}}',
          400,
        ),
      { region: 'ZZ9' },
    );
    const error = (await provider
      .current(new Date('2024-01-11T06:10:00Z'))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error.hint).toMatch(/outward postcode/);
  });
});

describe('parseUkRegion and formatUkTime', () => {
  it('accepts national, region ids 1-17 and outward postcodes', () => {
    expect(parseUkRegion(null)).toEqual({ kind: 'national' });
    expect(parseUkRegion(' ')).toEqual({ kind: 'national' });
    expect(parseUkRegion('1')).toEqual({ kind: 'regionid', id: 1 });
    expect(parseUkRegion('17')).toEqual({ kind: 'regionid', id: 17 });
    expect(parseUkRegion('OX1 3QD')).toEqual({ kind: 'postcode', outward: 'OX1' });
    expect(parseUkRegion('ox13qd')).toEqual({ kind: 'postcode', outward: 'OX1' });
    expect(parseUkRegion('RG41')).toEqual({ kind: 'postcode', outward: 'RG41' });
    expect(parseUkRegion('sw1a 1aa')).toEqual({ kind: 'postcode', outward: 'SW1A' });
  });

  it('rejects ids outside 1-17 and text that is not a postcode', () => {
    expect(() => parseUkRegion('0')).toThrow(UsageError);
    expect(() => parseUkRegion('18')).toThrow('region 18 is not a GB region id (expected 1-17)');
    expect(() => parseUkRegion('London')).toThrow(UsageError);
    expect(() => parseUkRegion('OX1 3QD extra')).toThrow(UsageError);
    expect(() => parseUkRegion('OX1; DROP')).toThrow(UsageError);
  });

  it('validates the region when the provider is created, before any request', () => {
    const http = new HttpClient({ userAgent: 'carbonctl/test' });
    clients.push(http);
    expect(() =>
      createIntensityProvider(
        {
          provider: 'uk',
          region: '99',
          zone: 'GB',
          fixed: null,
          url: null,
          electricityMapsToken: null,
          timeoutSeconds: 5,
        },
        http,
      ),
    ).toThrow(UsageError);
  });

  it('formats times as YYYY-MM-DDTHH:mmZ in UTC', () => {
    expect(formatUkTime(new Date('2024-01-12T06:01:59.999Z'))).toBe('2024-01-12T06:01Z');
    expect(formatUkTime(new Date('2024-07-01T00:30:00+01:00'))).toBe('2024-06-30T23:30Z');
  });
});

import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DataSourceError } from '../../../src/errors.js';
import { HttpClient } from '../../../src/providers/http.js';
import type { PrometheusClientConfig } from '../../../src/providers/prometheus/client.js';
import { PrometheusClient } from '../../../src/providers/prometheus/client.js';
import type {
  LoopbackHandler,
  LoopbackServer,
  RecordedRequest,
} from '../../helpers/loopback-server.js';
import { startLoopbackServer } from '../../helpers/loopback-server.js';

const TOKEN = 'tok-SECRET-0123456789';
const PASSWORD = 'pw-SECRET-9876543210';
const START = new Date('2025-01-06T00:00:00Z');
const START_SECONDS = START.getTime() / 1000;

const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  return server;
}

interface Harness {
  client: PrometheusClient;
  traces: string[];
  sleeps: number[];
  warnings: string[];
}

function makeClient(
  url: string,
  config: Partial<PrometheusClientConfig> = {},
  maxRetries = 2,
): Harness {
  const traces: string[] = [];
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const http = new HttpClient({
    userAgent: 'carbonctl-test',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0,
    trace: (line) => traces.push(line),
  });
  clients.push(http);
  const client = new PrometheusClient(
    {
      name: 'default',
      url,
      token: null,
      username: null,
      password: null,
      headers: {},
      caFile: null,
      insecureSkipVerify: false,
      timeoutSeconds: 5,
      ...config,
    },
    {
      http,
      maxRetries,
      onWarning: (warning) => warnings.push(warning),
      trace: (line) => traces.push(line),
    },
  );
  return { client, traces, sleeps, warnings };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function form(request: RecordedRequest): URLSearchParams {
  return new URLSearchParams(request.body);
}

/** A matrix with one series whose value at t is t − START (so every point is checkable). */
function matrixFor(request: RecordedRequest): unknown {
  const params = form(request);
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  const step = Number(params.get('step'));
  const values: Array<[number, string]> = [];
  for (let time = start; time <= end; time += step)
    values.push([time, String(time - START_SECONDS)]);
  return {
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: { instance: 'a' }, values }] },
  };
}

const RESOLUTION_ERROR = {
  status: 'error',
  errorType: 'bad_data',
  error:
    'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
};

describe('PrometheusClient requests', () => {
  it('POSTs form-encoded range queries under the configured path, keeping URL parameters', async () => {
    const server = await serve((request, res) => json(res, 200, matrixFor(request)));
    const { client } = makeClient(`${server.url}/prometheus/?nocache=1`);
    const series = await client.rangeQuery(
      'sum(up{job="a b"})',
      START,
      new Date(START.getTime() + 60_000),
      15,
    );

    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/prometheus/api/v1/query_range?nocache=1');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(form(request as RecordedRequest))).toEqual({
      query: 'sum(up{job="a b"})',
      start: String(START_SECONDS),
      end: String(START_SECONDS + 60),
      step: '15',
      timeout: '5s',
    });
    // 0, 15, …, 60 seconds after START: 5 points.
    expect([...(series[0]?.values ?? [])]).toEqual([0, 15, 30, 45, 60]);
  });

  it('sends a bearer token, or basic auth, and extra headers such as X-Scope-OrgID', async () => {
    const server = await serve((_, res) =>
      json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } }),
    );
    await makeClient(server.url, {
      token: TOKEN,
      headers: { 'X-Scope-OrgID': 'tenant-a' },
    }).client.instantQuery('up', START);
    await makeClient(server.url, { username: 'grafana', password: PASSWORD }).client.instantQuery(
      'up',
    );

    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(server.requests[0]?.headers['x-scope-orgid']).toBe('tenant-a');
    expect(form(server.requests[0] as RecordedRequest).get('time')).toBe(String(START_SECONDS));
    expect(server.requests[1]?.headers['authorization']).toBe(
      `Basic ${Buffer.from(`grafana:${PASSWORD}`).toString('base64')}`,
    );
    // Without a time the server's "now" is used.
    expect(form(server.requests[1] as RecordedRequest).has('time')).toBe(false);
  });

  it('reads instant vectors, series counts and build info', async () => {
    const server = await serve((request, res) => {
      if (request.url.endsWith('/status/buildinfo')) {
        json(res, 200, {
          status: 'success',
          data: {
            version: '2.42.0',
            revision: 'abc',
            branch: 'HEAD',
            buildUser: 'x',
            buildDate: '20230201',
            goVersion: 'go1.19',
          },
        });
        return;
      }
      const query = form(request).get('query') ?? '';
      json(res, 200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: query.startsWith('count(')
            ? [{ metric: {}, value: [START_SECONDS, '42'] }]
            : [{ metric: { job: 'node' }, value: [START_SECONDS, '1.5'] }],
        },
      });
    });
    const { client } = makeClient(server.url);
    expect(await client.vectorQuery('up', START)).toEqual([
      { metric: { job: 'node' }, timeSeconds: START_SECONDS, value: 1.5 },
    ]);
    expect(await client.countSeries('up', { lookbackSeconds: 3600 })).toBe(42);
    expect(form(server.requests[1] as RecordedRequest).get('query')).toBe(
      'count(last_over_time(up[3600s]))',
    );
    expect(await client.buildInfo()).toEqual({
      version: '2.42.0',
      revision: 'abc',
      branch: 'HEAD',
      buildDate: '20230201',
      goVersion: 'go1.19',
    });
    expect(server.requests[2]?.method).toBe('GET');
  });

  it('hands each distinct warning to the caller once', async () => {
    const server = await serve((_, res) =>
      json(res, 200, {
        status: 'success',
        warnings: ['partial response: store gw-1 unavailable'],
        data: { resultType: 'vector', result: [] },
      }),
    );
    const { client, warnings } = makeClient(server.url);
    await client.vectorQuery('up');
    await client.vectorQuery('up');
    expect(warnings).toEqual([
      `Prometheus at ${server.url}/: partial response: store gw-1 unavailable`,
    ]);
  });
});

describe('PrometheusClient splitting', () => {
  it('splits a range the server refuses as too many points into non-overlapping parts', async () => {
    // This server accepts at most 100 steps per query (VictoriaMetrics-style limits are configurable).
    const server = await serve((request, res) => {
      const params = form(request);
      const steps =
        (Number(params.get('end')) - Number(params.get('start'))) / Number(params.get('step'));
      if (steps > 100) json(res, 422, RESOLUTION_ERROR);
      else json(res, 200, matrixFor(request));
    });
    const { client } = makeClient(server.url);
    const series = await client.rangeQuery(
      'x',
      START,
      new Date(START.getTime() + 350 * 15_000),
      15,
    );

    // 350 steps → [0,175] + [176,350] (steps) → both > 100 → [0,87] [88,175] [176,263] [264,350]:
    // 1 + 2 + 4 requests; in seconds (× 15) the four accepted ranges below.
    expect(server.requests).toHaveLength(7);
    expect(series).toHaveLength(1);
    const values = [...(series[0]?.values ?? [])];
    expect(values).toEqual(Array.from({ length: 351 }, (_, index) => index * 15));
    const accepted = server.requests
      .map((request) => form(request))
      .filter((params) => (Number(params.get('end')) - Number(params.get('start'))) / 15 <= 100)
      .map((params) => [
        Number(params.get('start')) - START_SECONDS,
        Number(params.get('end')) - START_SECONDS,
      ]);
    expect(accepted).toEqual([
      [0, 1305],
      [1320, 2625],
      [2640, 3945],
      [3960, 5250],
    ]);
  });

  it('splits ranges beyond 11,000 steps before asking', async () => {
    const server = await serve((request, res) => json(res, 200, matrixFor(request)));
    const { client } = makeClient(server.url);
    // 12,000 one-second steps: halves of 6,000 and 5,999 steps.
    const series = await client.rangeQuery('x', START, new Date(START.getTime() + 12_000_000), 1);
    expect(server.requests).toHaveLength(2);
    expect(series[0]?.times.length).toBe(12_001);
  });
});

describe('PrometheusClient failures', () => {
  it('retries a refused connection, then reports it as a data source error', async () => {
    const server = await startLoopbackServer(() => undefined);
    const url = server.url;
    await server.close();
    const { client, sleeps } = makeClient(url);
    const error = await client.vectorQuery('up').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as DataSourceError).message).toMatch(/connection refused.*\(3 attempts\)/);
    expect((error as DataSourceError).exitCode).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('gives up on a server that hangs past the timeout', async () => {
    const server = await serve(() => new Promise(() => undefined));
    const { client } = makeClient(server.url, { timeoutSeconds: 0.2 }, 1);
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /did not answer within 0.2 s \(2 attempts\)/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('retries HTTP 500 and then names the status and the server message', async () => {
    const server = await serve((_, res) =>
      json(res, 500, { status: 'error', errorType: 'internal', error: 'boom' }),
    );
    const { client } = makeClient(server.url);
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /answered HTTP 500 \(internal\) after retries: boom/,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('waits as long as Retry-After asks on 429, then succeeds', async () => {
    const server = await serve((_, res) => {
      if (server.requests.length === 1) json(res, 429, 'slow down', { 'retry-after': '2' });
      else json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } });
    });
    const { client, sleeps } = makeClient(server.url);
    expect(await client.vectorQuery('up')).toEqual([]);
    expect(sleeps).toEqual([2000]);
  });

  it('reports persistent 429s as rate limiting', async () => {
    const server = await serve((_, res) =>
      json(res, 429, 'too many requests', { 'retry-after': '1' }),
    );
    const { client } = makeClient(server.url, {}, 1);
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /kept rate-limiting the requests \(HTTP 429\)/,
    );
  });

  it('retries a truncated answer once, then reports malformed JSON', async () => {
    const server = await serve((_, res) =>
      json(
        res,
        200,
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"]',
      ),
    );
    const { client } = makeClient(server.url);
    const error = await client.rangeQuery('x', START, START, 15).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toMatch(
      /answered query_range with malformed JSON \(unexpected end of JSON/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('reports a status: error envelope without retrying', async () => {
    const server = await serve((_, res) =>
      json(res, 400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'invalid parameter "query": 1:5: parse error: unexpected "}"',
      }),
    );
    const { client } = makeClient(server.url);
    await expect(client.vectorQuery('up}')).rejects.toThrow(
      /rejected the query request \(HTTP 400, bad_data\): invalid parameter "query": 1:5: parse error/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('reports status: error even inside an HTTP 200', async () => {
    const server = await serve((_, res) =>
      json(res, 200, {
        status: 'error',
        errorType: 'execution',
        error: 'many-to-many matching not allowed',
      }),
    );
    const { client } = makeClient(server.url);
    await expect(client.vectorQuery('a * b')).rejects.toThrow(
      /reported an error for query: execution: many-to-many matching not allowed/,
    );
  });

  it('retries a 422 execution error once (Mimir store-gateway hiccups)', async () => {
    const server = await serve((_, res) =>
      json(res, 422, { status: 'error', errorType: 'execution', error: 'store-gateway timeout' }),
    );
    const { client } = makeClient(server.url);
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /could not execute the query \(HTTP 422, execution\): store-gateway timeout/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('refuses an answer of the wrong shape, naming where', async () => {
    const server = await serve((_, res) =>
      json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } }),
    );
    const { client } = makeClient(server.url);
    await expect(client.rangeQuery('x', START, START, 15)).rejects.toThrow(
      /not a Prometheus API response \(resultType:/,
    );
  });

  it('recognises an HTML page and points at the URL', async () => {
    const server = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Grafana</body></html>');
    });
    const { client } = makeClient(server.url);
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /with an HTML page, not the Prometheus API/,
    );
  });

  it('explains a 404 with the Mimir/VictoriaMetrics path hint', async () => {
    const server = await serve((_, res) => json(res, 404, '404 page not found'));
    const { client } = makeClient(server.url);
    const error = (await client
      .vectorQuery('up')
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error.message).toMatch(/has no Prometheus API at \/api\/v1\/query \(HTTP 404\)/);
    expect(error.hint).toMatch(/\/prometheus/);
  });
});

describe('PrometheusClient secrets', () => {
  it('says the bearer token was refused, without ever printing it', async () => {
    const server = await serve((_, res) => json(res, 401, `invalid token ${TOKEN}`));
    const { client, traces } = makeClient(server.url, { token: TOKEN });
    const error = (await client
      .vectorQuery('up')
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error.message).toBe(
      `Prometheus at ${server.url}/: refused the bearer token (HTTP 401): check CARBONCTL_PROMETHEUS_TOKEN`,
    );
    expect(server.requests).toHaveLength(1);
    const everything = [error.message, error.hint ?? '', String(error.stack), ...traces].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(traces.length).toBeGreaterThan(0);
  });

  it('names the user/password variables for basic auth and the tenant header for Mimir', async () => {
    const server = await serve((_, res) => json(res, 401, 'no org id'));
    const { client } = makeClient(server.url, { username: 'u', password: PASSWORD });
    await expect(client.vectorQuery('up')).rejects.toThrow(
      /refused the username\/password \(HTTP 401\): check CARBONCTL_PROMETHEUS_USER and CARBONCTL_PROMETHEUS_PASSWORD \(the server wants a tenant: set headers \{"X-Scope-OrgID"/,
    );
  });

  it('scrubs a secret that the server echoes in an error', async () => {
    const server = await serve((_, res) =>
      json(res, 400, {
        status: 'error',
        errorType: 'bad_data',
        error: `bad header value ${TOKEN}`,
      }),
    );
    const { client, warnings } = makeClient(server.url, { token: TOKEN });
    const error = (await client.vectorQuery('up').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('bad header value REDACTED');
    expect(error.message).not.toContain(TOKEN);
    expect(warnings).toEqual([]);
  });

  it('keeps URL credentials out of the source name and errors', async () => {
    const server = await startLoopbackServer(() => undefined);
    const url = server.url.replace('http://', `http://admin:${PASSWORD}@`);
    await server.close();
    const { client, traces } = makeClient(url, {}, 0);
    expect(client.sourceName).not.toContain(PASSWORD);
    const error = (await client
      .vectorQuery('up')
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect([error.message, error.hint ?? '', ...traces].join('\n')).not.toContain(PASSWORD);
  });
});

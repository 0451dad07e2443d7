import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, redactUrl } from '../../src/providers/http.js';
import type { HttpRequest } from '../../src/providers/http.js';
import { ConfigError, DataSourceError } from '../../src/errors.js';
import { startLoopbackServer } from '../helpers/loopback-server.js';
import type { LoopbackHandler, LoopbackServer } from '../helpers/loopback-server.js';

const servers: LoopbackServer[] = [];
const clients: HttpClient[] = [];

async function serve(handler: LoopbackHandler): Promise<LoopbackServer> {
  const server = await startLoopbackServer(handler);
  servers.push(server);
  return server;
}

/** A client whose sleeps are recorded instead of waited, with jitter fixed at `random`. */
function testClient(options: { random?: number; now?: number } = {}) {
  const sleeps: number[] = [];
  const traces: string[] = [];
  const client = new HttpClient({
    userAgent: 'carbonctl/0.0.0-test',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => options.random ?? 0,
    trace: (line) => traces.push(line),
    ...(options.now === undefined ? {} : { now: () => options.now as number }),
  });
  clients.push(client);
  return { client, sleeps, traces };
}

function get(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url, timeoutMs: 2000, maxRetries: 0, sourceName: 'Test API', ...extra };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('HttpClient basics', () => {
  it('sends the user agent and accept: application/json and returns status, headers and text', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-thing': 'yes' });
      res.end('{"ok":true}');
    });
    const { client } = testClient();
    const response = await client.request(get(`${server.url}/path?q=1`));
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"ok":true}');
    expect(response.headers['x-thing']).toBe('yes');
    expect(server.requests[0]?.url).toBe('/path?q=1');
    expect(server.requests[0]?.headers['user-agent']).toBe('carbonctl/0.0.0-test');
    expect(server.requests[0]?.headers['accept']).toBe('application/json');
  });

  it('sends a POST body with the caller’s content type', async () => {
    const server = await serve((_req, res) => void res.end('{}'));
    const { client } = testClient();
    await client.request({
      ...get(`${server.url}/api/v1/query`),
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'query=up',
    });
    expect(server.requests[0]?.method).toBe('POST');
    expect(server.requests[0]?.body).toBe('query=up');
    expect(server.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });
});

describe('HttpClient retries', () => {
  it('retries a 503 with exponential backoff and returns the final response after the last retry', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
    const { client, sleeps } = testClient({ random: 0 });
    const response = await client.request(get(server.url, { maxRetries: 2 }));
    expect(response.status).toBe(503);
    expect(response.text).toBe('down');
    expect(server.requests).toHaveLength(3);
    // random = 0, so no jitter: 250 × 2^0 = 250 ms, then 250 × 2^1 = 500 ms.
    expect(sleeps).toEqual([250, 500]);
  });

  it('adds jitter of up to half a step', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500);
      res.end();
    });
    const { client, sleeps } = testClient({ random: 0.5 });
    await client.request(get(server.url, { maxRetries: 2 }));
    // 250 + 0.5 × 125 = 312.5 → 313; 500 + 0.5 × 250 = 625.
    expect(sleeps).toEqual([313, 625]);
  });

  it('succeeds when a retry answers', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 502 : 200);
      res.end(calls === 1 ? 'bad gateway' : 'fine');
    });
    const { client } = testClient();
    const response = await client.request(get(server.url, { maxRetries: 3 }));
    expect(response.status).toBe(200);
    expect(response.text).toBe('fine');
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry 501 Not Implemented or a 4xx other than 429', async () => {
    const server = await serve((req, res) => {
      res.writeHead(req.url === '/501' ? 501 : 404);
      res.end();
    });
    const { client, sleeps } = testClient();
    expect((await client.request(get(`${server.url}/501`, { maxRetries: 3 }))).status).toBe(501);
    expect((await client.request(get(`${server.url}/404`, { maxRetries: 3 }))).status).toBe(404);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '7' });
        res.end();
        return;
      }
      res.end('ok');
    });
    const { client, sleeps } = testClient({ random: 0.9 });
    const response = await client.request(get(server.url, { maxRetries: 2 }));
    expect(response.status).toBe(200);
    // Exactly the server's 7 s, no jitter on top.
    expect(sleeps).toEqual([7000]);
  });

  it('honours Retry-After as an HTTP date relative to the injected clock', async () => {
    const nowMs = Date.UTC(2025, 0, 13, 12, 0, 0);
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        // 12:00:05 GMT is 5 s after the client's clock.
        res.writeHead(503, { 'retry-after': new Date(nowMs + 5000).toUTCString() });
        res.end();
        return;
      }
      res.end('ok');
    });
    const { client, sleeps } = testClient({ now: nowMs });
    await client.request(get(server.url, { maxRetries: 1 }));
    expect(sleeps).toEqual([5000]);
  });

  it('stops retrying when Retry-After asks for more than 30 s and returns the 429', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '3600' });
      res.end('quota');
    });
    const { client, sleeps } = testClient();
    const response = await client.request(get(server.url, { maxRetries: 3 }));
    expect(response.status).toBe(429);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('times out a server that never answers, retries, then throws a DataSourceError naming the timeout', async () => {
    const server = await serve(() => {
      // never answers
    });
    const { client, sleeps } = testClient();
    const started = Date.now();
    const error = await client
      .request(get(server.url, { timeoutMs: 200, maxRetries: 1 }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as DataSourceError).message).toBe(
      'Test API: did not answer within 0.2 s (2 attempts)',
    );
    expect((error as DataSourceError).exitCode).toBe(3);
    expect((error as DataSourceError).hint).toMatch(/timeout/);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    // Two attempts of 200 ms; far below the 2 s a missing timeout would take.
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('applies the timeout to the body read too', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data": ['); // headers and part of the body, then silence
    });
    const { client } = testClient();
    await expect(client.request(get(server.url, { timeoutMs: 200 }))).rejects.toThrow(
      'did not answer within 0.2 s',
    );
  });

  it('reports a refused connection with the origin, after retrying', async () => {
    const server = await serve((_req, res) => void res.end());
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const { client, sleeps } = testClient();
    const error = (await client
      .request(get(`${url}/api`, { maxRetries: 2 }))
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(error.message).toBe(`Test API: connection refused at ${url} (3 attempts)`);
    expect(error.hint).toMatch(/check the URL/);
    expect(sleeps).toHaveLength(2);
  });
});

describe('HttpClient redirects', () => {
  it('keeps credentials on a same-origin redirect', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/new' });
        res.end();
        return;
      }
      res.end('moved here');
    });
    const { client } = testClient();
    const response = await client.request(
      get(`${server.url}/old`, { headers: { Authorization: 'Bearer s3cret-token' } }),
    );
    expect(response.text).toBe('moved here');
    expect(response.url).toBe(`${server.url}/new`);
    expect(server.requests.map((r) => r.url)).toEqual(['/old', '/new']);
    expect(server.requests[1]?.headers['authorization']).toBe('Bearer s3cret-token');
  });

  it('drops Authorization, cookies and every configured header on a redirect to another origin (another port)', async () => {
    const other = await serve((_req, res) => void res.end('elsewhere'));
    const origin = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/landing` });
      res.end();
    });
    const { client, traces } = testClient();
    const response = await client.request(
      get(`${origin.url}/start`, {
        headers: {
          Authorization: 'Bearer s3cret-token',
          Cookie: 'session=c00kie',
          'auth-token': 'em-s3cret',
          'X-Scope-OrgID': 'tenant-a',
        },
        secretHeaders: ['auth-token'],
      }),
    );
    expect(response.text).toBe('elsewhere');
    const landed = other.requests[0];
    expect(landed?.url).toBe('/landing');
    expect(landed?.headers['authorization']).toBeUndefined();
    expect(landed?.headers['cookie']).toBeUndefined();
    expect(landed?.headers['auth-token']).toBeUndefined();
    // Configured headers that are not credentials (a Mimir tenant id) do not travel either.
    expect(landed?.headers['x-scope-orgid']).toBeUndefined();
    // Only what carbonctl sends itself follows the redirect.
    expect(landed?.headers['user-agent']).toBe('carbonctl/0.0.0-test');
    // The first hop did carry them.
    expect(origin.requests[0]?.headers['authorization']).toBe('Bearer s3cret-token');
    expect(traces.join('\n')).toContain(
      'another origin: credentials and configured headers dropped: authorization, cookie, auth-token, x-scope-orgid',
    );
  });

  it('treats 127.0.0.1 and localhost on the same port as different origins', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/start') {
        const port = new URL(`http://${String(req.headers['host'])}`).port;
        res.writeHead(307, { location: `http://localhost:${port}/via-localhost` });
        res.end();
        return;
      }
      res.end('ok');
    });
    const { client } = testClient();
    const response = await client.request(
      get(`${server.url}/start`, {
        headers: { authorization: 'Bearer s3cret-token', 'auth-token': 'em-s3cret' },
        secretHeaders: ['Auth-Token'],
      }),
    );
    expect(response.status).toBe(200);
    expect(server.requests[1]?.url).toBe('/via-localhost');
    expect(server.requests[1]?.headers['authorization']).toBeUndefined();
    expect(server.requests[1]?.headers['auth-token']).toBeUndefined();
  });

  it('turns a POST into a GET without a body on 303', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/submit') {
        res.writeHead(303, { location: '/result' });
        res.end();
        return;
      }
      res.end('result');
    });
    const { client } = testClient();
    await client.request({
      ...get(`${server.url}/submit`),
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=up',
    });
    expect(server.requests[1]?.method).toBe('GET');
    expect(server.requests[1]?.body).toBe('');
    expect(server.requests[1]?.headers['content-type']).toBeUndefined();
  });

  it('gives up after 5 redirects', async () => {
    let hops = 0;
    const server = await serve((_req, res) => {
      hops++;
      res.writeHead(302, { location: `/hop${hops}` });
      res.end();
    });
    const { client } = testClient();
    await expect(client.request(get(`${server.url}/start`, { maxRetries: 2 }))).rejects.toThrow(
      'Test API: redirected more than 5 times',
    );
    // The original request plus 5 followed hops, and no retry of a redirect loop.
    expect(server.requests).toHaveLength(6);
  });
});

describe('secrets in traces and errors', () => {
  it('traces each request and response without header values or secret query parameters', async () => {
    const server = await serve((_req, res) => void res.end('{}'));
    const { client, traces } = testClient();
    await client.request(
      get(`${server.url}/api?zone=DE&token=q-s3cret`, {
        headers: { authorization: 'Bearer h-s3cret', 'auth-token': 'a-s3cret' },
        secretHeaders: ['auth-token'],
      }),
    );
    const all = traces.join('\n');
    expect(traces).toHaveLength(2);
    expect(traces[0]).toBe(`http: GET ${server.url}/api?zone=DE&token=REDACTED`);
    expect(traces[1]).toMatch(
      /^http: 200 GET .*\/api\?zone=DE&token=REDACTED \(\d+ ms, 2 bytes\)$/,
    );
    expect(all).not.toContain('s3cret');
  });

  it('moves URL credentials into a Basic authorization header, out of traces and errors', async () => {
    const server = await serve((_req, res) => void res.end('{}'));
    const { client, traces } = testClient();
    const withCredentials = server.url.replace('http://', 'http://alice:pa%24%24word@');
    await client.request(get(`${withCredentials}/api/v1/query`));
    // base64("alice:pa$$word") = YWxpY2U6cGEkJHdvcmQ=
    expect(server.requests[0]?.headers['authorization']).toBe('Basic YWxpY2U6cGEkJHdvcmQ=');
    expect(traces.join('\n')).not.toMatch(/alice|pa%24|pa\$\$word/);

    const refusedUrl = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const error = (await client
      .request(
        get(`${refusedUrl.replace('http://', 'http://alice:pa%24%24word@')}/?api_key=k-s3cret`),
      )
      .catch((caught: unknown) => caught)) as DataSourceError;
    expect(error).toBeInstanceOf(DataSourceError);
    expect(`${error.message} ${error.hint ?? ''}`).not.toMatch(/alice|word|s3cret/);
  });
});

describe('redactUrl', () => {
  it('strips user:password@ and hides token-like query values', () => {
    expect(redactUrl('https://user:pw@prom.example:9090/api/v1/query?query=up&token=abc')).toBe(
      'https://prom.example:9090/api/v1/query?query=up&token=REDACTED',
    );
    expect(redactUrl('https://x.example/?api_key=1&apikey=2&access_token=3&zone=DE')).toBe(
      'https://x.example/?api_key=REDACTED&apikey=REDACTED&access_token=REDACTED&zone=DE',
    );
  });

  it('leaves an ordinary URL alone', () => {
    expect(redactUrl('https://api.carbonintensity.org.uk/intensity/2024-01-12T06:01Z/fw48h')).toBe(
      'https://api.carbonintensity.org.uk/intensity/2024-01-12T06:01Z/fw48h',
    );
  });

  it('redacts text that is not a parseable URL by pattern', () => {
    expect(redactUrl('//bob:hunter2@host/path?token=abc&x=1')).toBe(
      '//host/path?token=REDACTED&x=1',
    );
  });
});

describe('TLS', () => {
  // A self-signed certificate for IP 127.0.0.1 (fixtures/intensity/tls-loopback-*.pem).
  const certFile = fileURLToPath(
    new URL('../../fixtures/intensity/tls-loopback-cert.pem', import.meta.url),
  );
  const keyFile = fileURLToPath(
    new URL('../../fixtures/intensity/tls-loopback-key.pem', import.meta.url),
  );

  async function startHttps(): Promise<{ url: string; server: Server }> {
    const server = createHttpsServer(
      { cert: readFileSync(certFile), key: readFileSync(keyFile) },
      (_req, res) => void res.end('secure'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `https://127.0.0.1:${port}/`, server };
  }

  async function stop(server: Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  it('verifies certificates by default and names caFile in the error', async () => {
    const { url, server } = await startHttps();
    try {
      const { client } = testClient();
      const error = (await client
        .request(get(url))
        .catch((caught: unknown) => caught)) as DataSourceError;
      expect(error).toBeInstanceOf(DataSourceError);
      expect(error.message).toMatch(/TLS verification of https:\/\/127\.0\.0\.1:\d+ failed/);
      expect(error.hint).toContain('caFile');
    } finally {
      await stop(server);
    }
  });

  it('trusts a server signed by the CA in caFile', async () => {
    const { url, server } = await startHttps();
    try {
      const { client } = testClient();
      const response = await client.request(get(url, { tls: { caFile: certFile } }));
      expect(response.text).toBe('secure');
    } finally {
      await stop(server);
    }
  });

  it('skips verification only when insecureSkipVerify is exactly true', async () => {
    const { url, server } = await startHttps();
    try {
      const { client } = testClient();
      const response = await client.request(get(url, { tls: { insecureSkipVerify: true } }));
      expect(response.text).toBe('secure');
      // A truthy non-boolean from a hand-edited config does not disable verification.
      const loose = { insecureSkipVerify: 'yes' } as unknown as HttpRequest['tls'];
      await expect(client.request(get(url, { tls: loose }))).rejects.toThrow(/TLS verification/);
    } finally {
      await stop(server);
    }
  });

  it('reports an unreadable caFile as a config error', async () => {
    const { client } = testClient();
    await expect(
      client.request(get('https://127.0.0.1:1/', { tls: { caFile: '/nonexistent/ca.pem' } })),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

/**
 * The one place undici is used (STYLE.md: each third-party library lives in one place).
 *
 * Every outbound request of carbonctl goes through {@link HttpClient}: it retries what is worth
 * retrying (network errors, timeouts, 429, 5xx except 501) with capped exponential backoff and
 * jitter, honours `Retry-After`, follows redirects by hand so credentials never reach another
 * origin (SPEC §12 Security), applies one timeout to the whole exchange including the body, and
 * turns transport failures into a {@link DataSourceError} whose message names the fix. Secrets
 * never reach a trace line or an error message.
 */
import { Buffer, isAscii } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { ConfigError, DataSourceError } from '../errors.js';
import { redactUrl } from '../core/secrets.js';

/** How an {@link HttpClient} behaves; everything time- or randomness-related is injectable. */
export interface HttpClientOptions {
  /** Sent as `user-agent`, e.g. `carbonctl/0.1.0`. */
  userAgent: string;
  /** Waits between retries; tests inject a recorder. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); tests inject a constant. */
  random?: () => number;
  /** `--verbose`: receives one line per request, response, retry and redirect, secrets redacted. */
  trace?: (line: string) => void;
  /** Wall clock in epoch milliseconds, only used to turn an HTTP-date `Retry-After` into a delay. */
  now?: () => number;
}

/** One logical request; retries and redirects happen inside {@link HttpClient.request}. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Request body, e.g. form-encoded PromQL for a Prometheus POST. */
  body?: string;
  /** Covers one attempt end to end: connect, redirects, headers and the body read. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Names the source in errors, e.g. `Prometheus at http://host:9090`. */
  sourceName: string;
  /** Header names whose values are secret (e.g. `authorization`, `auth-token`). */
  secretHeaders?: string[];
  tls?: { caFile?: string | null; insecureSkipVerify?: boolean };
}

/** The final response after retries and redirects; callers decide what a non-2xx means. */
export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  text: string;
  /** The URL that answered (after redirects), redacted of credentials. */
  url: string;
}

/** First backoff delay; doubles per retry (250 ms, 500 ms, 1 s, …). */
const BASE_BACKOFF_MS = 250;
/** Longest backoff between two attempts when the server gave no `Retry-After`. */
const MAX_BACKOFF_MS = 8_000;
/**
 * Longest `Retry-After` we wait. A server asking for more (an exhausted daily quota) will not be
 * satisfied by a CLI sleeping for minutes: we stop retrying and hand its response to the caller.
 */
const MAX_RETRY_AFTER_MS = 30_000;
/** Redirect hops followed before giving up (browsers use 20; APIs never need more than a few). */
const MAX_REDIRECTS = 5;
/** Headers that carry credentials even when the caller did not list them as secret. */
const ALWAYS_SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
/** Headers carbonctl sets itself; the only ones that follow a redirect to another origin. */
const OWN_HEADERS = new Set(['user-agent', 'accept', 'content-type', 'content-length']);

/** Error codes (from Node and undici) that mean the TLS handshake rejected the server. */
const TLS_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Removes `user:password@` and hides token-like query values (the rule lives in core/secrets). */
export { redactUrl };

/** Thrown internally when an attempt failed without an HTTP response. */
interface TransportFailure {
  kind: 'timeout' | 'network';
  error: unknown;
}

/** Outcome of one attempt: a response, or a transport failure worth retrying. */
type AttemptOutcome = { response: HttpResponse } | { failure: TransportFailure };

/** The undici-backed client: one instance per CLI run, closed at exit. */
export class HttpClient {
  private readonly userAgent: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly now: () => number;
  /** One dispatcher per TLS configuration, so a CA file is read once per run. */
  private readonly agents = new Map<string, Promise<Agent>>();

  constructor(options: HttpClientOptions) {
    this.userAgent = options.userAgent;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.trace = options.trace;
    this.now = options.now ?? Date.now;
  }

  /** Sends the request with retries and safe redirects; throws DataSourceError only when no response arrived. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const dispatcher = await this.dispatcherFor(req.tls);
    const attempts = Math.max(0, Math.floor(req.maxRetries)) + 1;
    let lastFailure: TransportFailure | undefined;

    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await this.attempt(req, dispatcher, attempt, attempts);
      const isLast = attempt === attempts;

      if ('response' in outcome) {
        const { response } = outcome;
        if (!isRetryableStatus(response.status) || isLast) return response;
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
        if (retryAfterMs !== null && retryAfterMs > MAX_RETRY_AFTER_MS) {
          this.traceLine(
            `retry-after ${Math.ceil(retryAfterMs / 1000)} s exceeds ${MAX_RETRY_AFTER_MS / 1000} s: not retrying`,
          );
          return response;
        }
        const delayMs = retryAfterMs ?? this.backoffMs(attempt);
        this.traceLine(
          `retrying in ${delayMs} ms (HTTP ${response.status}, attempt ${attempt + 1} of ${attempts})`,
        );
        await this.sleep(delayMs);
        continue;
      }

      lastFailure = outcome.failure;
      if (!isLast) {
        const delayMs = this.backoffMs(attempt);
        this.traceLine(
          `retrying in ${delayMs} ms (${describeFailureShort(outcome.failure, req.timeoutMs)}, attempt ${attempt + 1} of ${attempts})`,
        );
        await this.sleep(delayMs);
      }
    }

    // Only transport failures reach this point: a response on the last attempt is returned above.
    throw transportError(req, lastFailure as TransportFailure, attempts);
  }

  /** Releases pooled connections; the CLI calls it once before exiting. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(
      agents.map(async (pending) => {
        try {
          await (await pending).close();
        } catch {
          // An agent that failed to build (unreadable CA file) has nothing to close.
        }
      }),
    );
  }

  /** Exponential backoff with additive jitter of up to half the step. */
  private backoffMs(attempt: number): number {
    const stepMs = Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
    return Math.round(stepMs + this.random() * (stepMs / 2));
  }

  private traceLine(line: string): void {
    this.trace?.(`http: ${line}`);
  }

  private dispatcherFor(tls: HttpRequest['tls']): Promise<Agent> {
    const caFile = tls?.caFile ?? null;
    // Verification is disabled only when explicitly true, never on a truthy string from a config.
    const insecure = tls?.insecureSkipVerify === true;
    const key = JSON.stringify([caFile, insecure]);
    let pending = this.agents.get(key);
    if (pending === undefined) {
      pending = buildAgent(caFile, insecure);
      this.agents.set(key, pending);
    }
    return pending;
  }

  /** One attempt: the request plus any redirects, all under one timeout. */
  private async attempt(
    req: HttpRequest,
    dispatcher: Dispatcher,
    attempt: number,
    attempts: number,
  ): Promise<AttemptOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    const secretNames = new Set(
      [...ALWAYS_SECRET_HEADERS, ...(req.secretHeaders ?? [])].map((name) => name.toLowerCase()),
    );

    let url = req.url;
    let method: HttpRequest['method'] = req.method;
    let body: string | undefined = req.body;
    let headers = this.initialHeaders(req);
    ({ url, headers } = moveUserinfoToHeader(url, headers, secretNames));
    const startedAt = performance.now();

    try {
      for (let hop = 0; ; hop++) {
        this.traceLine(
          `${method} ${redactUrl(url)}${attempts > 1 ? ` (attempt ${attempt} of ${attempts})` : ''}`,
        );
        const response = await undiciRequest(url, {
          method,
          headers,
          body,
          signal: controller.signal,
          dispatcher,
        });
        const status = response.statusCode;
        const location = headerValue(response.headers['location']);

        if (isRedirect(status) && location !== undefined) {
          await response.body.dump();
          if (hop >= MAX_REDIRECTS) {
            throw new DataSourceError(
              req.sourceName,
              `redirected more than ${MAX_REDIRECTS} times (last to ${redactUrl(location)})`,
              { hint: 'point the URL at the final address instead of one that redirects' },
            );
          }
          const nextUrl = new URL(location, url).toString();
          const crossOrigin = new URL(nextUrl).origin !== new URL(url).origin;
          // Another origin gets none of the configured headers (a tenant id, an API key under
          // any name) and no credentials: only what carbonctl itself sends.
          let dropped: string[] = [];
          if (crossOrigin) {
            dropped = Object.keys(headers).filter((name) => !OWN_HEADERS.has(name));
            headers = withoutHeaders(headers, dropped);
          }
          // 303, and 301/302 after a POST, turn into a GET without a body (as browsers do).
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
            headers = withoutHeaders(headers, ['content-type', 'content-length']);
          }
          this.traceLine(
            `${status} redirect to ${redactUrl(nextUrl)}${crossOrigin ? ` (another origin: credentials and configured headers dropped${dropped.length ? `: ${dropped.join(', ')}` : ''})` : ''}`,
          );
          ({ url, headers } = moveUserinfoToHeader(nextUrl, headers, secretNames));
          continue;
        }

        const text = decodeBody(Buffer.from(await response.body.arrayBuffer()));
        const elapsedMs = Math.round(performance.now() - startedAt);
        this.traceLine(
          `${status} ${method} ${redactUrl(url)} (${elapsedMs} ms, ${text.length} bytes)`,
        );
        return {
          response: {
            status,
            headers: flattenHeaders(response.headers),
            text,
            url: redactUrl(url),
          },
        };
      }
    } catch (error) {
      if (error instanceof DataSourceError) throw error;
      return { failure: { kind: timedOut ? 'timeout' : 'network', error } };
    } finally {
      clearTimeout(timer);
    }
  }

  private initialHeaders(req: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
    };
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      headers[name.toLowerCase()] = value;
    }
    return headers;
  }
}

async function buildAgent(caFile: string | null, insecure: boolean): Promise<Agent> {
  let ca: string | undefined;
  if (caFile !== null && caFile !== '') {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (error) {
      throw new ConfigError(`caFile ${caFile} cannot be read: ${(error as Error).message}`, {
        hint: 'point caFile at a PEM file with the CA certificate(s) that signed the server certificate',
        cause: error,
      });
    }
  }
  return new Agent({
    connect: {
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: !insecure,
    },
  });
}

function isRetryableStatus(status: number): boolean {
  // 501 Not Implemented will not change on retry; every other 5xx and 429 may.
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; null when absent or unusable. */
function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return null;
  return Math.max(0, dateMs - nowMs);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flattenHeaders(
  raw: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function withoutHeaders(headers: Record<string, string>, names: string[]): Record<string, string> {
  const drop = new Set(names.map((name) => name.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop.has(name)));
}

/**
 * Credentials embedded in a URL (`https://user:pass@host`) become a Basic `authorization`
 * header, so they follow the same never-cross-origin rule and never appear in a printed URL.
 */
function moveUserinfoToHeader(
  url: string,
  headers: Record<string, string>,
  secretNames: Set<string>,
): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, headers };
  }
  if (parsed.username === '' && parsed.password === '') return { url, headers };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const next = { ...headers };
  if (next['authorization'] === undefined) {
    next['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  secretNames.add('authorization');
  return { url: parsed.toString(), headers: next };
}

/** The first error code found on an error or its causes (undici wraps Node's socket errors). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    current = (current as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

function describeFailureShort(failure: TransportFailure, timeoutMs: number): string {
  if (failure.kind === 'timeout') return `no answer within ${formatSeconds(timeoutMs)}`;
  return errorCode(failure.error) ?? 'network error';
}

/** The user-facing error for a request that never got a response, naming the fix. */
function transportError(
  req: HttpRequest,
  failure: TransportFailure,
  attempts: number,
): DataSourceError {
  const where = safeOrigin(req.url);
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  const options = (message: string, hint: string): DataSourceError =>
    new DataSourceError(req.sourceName, `${message}${tries}`, { hint, cause: failure.error });

  if (failure.kind === 'timeout') {
    return options(
      `did not answer within ${formatSeconds(req.timeoutMs)}`,
      'check that the service is up and not overloaded, or raise its timeout (timeoutSeconds)',
    );
  }
  const code = errorCode(failure.error);
  switch (code) {
    case 'ECONNREFUSED':
      return options(
        `connection refused at ${where}`,
        'check the URL and port, and that the service is running',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return options(
        `host ${safeHost(req.url)} could not be resolved (DNS)`,
        'check the host name in the URL and your network/DNS',
      );
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_CLOSED':
      return options(
        `the connection to ${where} was closed before an answer arrived`,
        'the service or a proxy in between dropped the connection; check its logs, or retry later',
      );
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return options(
        `could not connect to ${where} (connect timed out)`,
        'check the URL, firewalls and that the host is reachable from here',
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return options(
        `${where} is unreachable from this machine`,
        'check the network route, VPN or proxy settings',
      );
    default:
      break;
  }
  if (
    code !== undefined &&
    (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))
  ) {
    return options(
      `TLS verification of ${where} failed (${code})`,
      'set caFile to the CA that signed the server certificate; insecureSkipVerify: true disables verification (not recommended)',
    );
  }
  const detail =
    code ?? (failure.error instanceof Error ? failure.error.message : String(failure.error));
  return options(
    `request to ${where} failed (${detail})`,
    'check the URL and that the service is reachable; --verbose shows the requests made',
  );
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return redactUrl(url);
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return redactUrl(url);
  }
}

/**
 * The body as a string. An all-ASCII body (Prometheus JSON nearly always is) is decoded as
 * latin1, which gives the same characters and lets Node hand V8 a large body as an *external*
 * string outside the JavaScript heap, so a 25 MB range-query answer neither inflates the heap
 * nor lingers until a full collection; anything else is decoded as UTF-8.
 */
function decodeBody(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * The Prometheus HTTP API client (reference/prometheus.md §1): instant and range queries sent as
 * form-encoded POSTs, bearer / basic auth and extra headers (e.g. Mimir's `X-Scope-OrgID`), TLS
 * options, bounded retries (in {@link HttpClient}), automatic splitting of ranges that exceed the
 * server's points-per-series limit, zod-validated envelopes, warnings handed to the caller, build
 * info and series counts for `doctor`. The same API is served by Thanos, Mimir (under
 * `/prometheus`) and VictoriaMetrics, so nothing here is Prometheus-only.
 *
 * Credentials never appear in errors, warnings or traces: they travel in headers the HTTP layer
 * treats as secret, and any server text we repeat is scrubbed of them.
 */
import * as z from 'zod/mini';
import { issueMessage, issuePath } from '../../core/zod-issues.js';
import { ConfigError, DataSourceError } from '../../errors.js';
import type { HttpClient, HttpResponse } from '../http.js';
import { redactUrl } from '../http.js';
import { PackedSamples, PromJsonError, parsePromJson, parseSampleValue } from './json.js';

/** One configured Prometheus (SPEC §1.3 `clusters[].prometheus`, plus the cluster name). */
export interface PrometheusClientConfig {
  name: string;
  url: string;
  token: string | null;
  username: string | null;
  password: string | null;
  headers: Record<string, string>;
  caFile: string | null;
  insecureSkipVerify: boolean;
  timeoutSeconds: number;
}

/** Collaborators and knobs of a {@link PrometheusClient}. */
export interface PrometheusClientOptions {
  http: HttpClient;
  /** Retries after the first attempt for network errors, timeouts, 429 and 5xx (default 3). */
  maxRetries?: number;
  /** Receives each distinct warning the server attached to an answer (e.g. Thanos partial responses). */
  onWarning?: (warning: string) => void;
  /** `--verbose`: one line per PromQL query sent. */
  trace?: (line: string) => void;
}

/** One series of an instant vector. */
export interface VectorSample {
  metric: Record<string, string>;
  timeSeconds: number;
  value: number;
}

/** One series of a range query: ascending Unix seconds and their values. */
export interface RangeSeries {
  metric: Record<string, string>;
  times: Float64Array;
  values: Float64Array;
}

/** What an instant query returned, by result type. */
export type InstantResult =
  | { resultType: 'vector'; samples: VectorSample[] }
  | { resultType: 'matrix'; series: RangeSeries[] }
  | { resultType: 'scalar'; timeSeconds: number; value: number }
  | { resultType: 'string'; timeSeconds: number; value: string };

/** `/api/v1/status/buildinfo` (Prometheus ≥ 2.14; also Thanos, Mimir, VictoriaMetrics). */
export interface BuildInfo {
  version: string;
  revision: string | null;
  branch: string | null;
  buildDate: string | null;
  goVersion: string | null;
}

/**
 * Prometheus rejects a range query when `(end − start) / step > 11000`
 * (reference/prometheus.md §1.5, PROM-WEB `web/api/v1/api.go`).
 */
export const MAX_STEPS_PER_QUERY = 11_000;

/** How deep the client halves a range the server refused as too many points. */
const MAX_SPLIT_DEPTH = 12;

/** Messages meaning "too many points per series" (Prometheus, VictoriaMetrics, Thanos/Mimir frontends). */
export const RESOLUTION_LIMIT =
  /exceeded maximum resolution|maxPointsPerTimeseries|too many points/i;

/** Header names whose values are treated as secrets besides `authorization`. */
const SECRET_HEADER_NAME = /auth|token|key|secret|password|cookie|signature/i;

const labelsSchema = z.record(z.string(), z.string());
const sampleSchema = z.tuple([z.number(), z.string()]);

const envelopeSchema = z.object({
  status: z.enum(['success', 'error']),
  data: z.optional(z.unknown()),
  errorType: z.optional(z.string()),
  error: z.optional(z.string()),
  warnings: z.optional(z.array(z.string())),
  infos: z.optional(z.array(z.string())),
});

const matrixDataSchema = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: labelsSchema, values: z.instanceof(PackedSamples) })),
});

const instantDataSchema = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: labelsSchema, value: sampleSchema })),
  }),
  matrixDataSchema,
  z.object({ resultType: z.literal('scalar'), result: sampleSchema }),
  z.object({ resultType: z.literal('string'), result: sampleSchema }),
]);

const buildInfoSchema = z.object({
  version: z.string(),
  revision: z.optional(z.string()),
  branch: z.optional(z.string()),
  buildDate: z.optional(z.string()),
  goVersion: z.optional(z.string()),
});

/** Internal: the server refused a range as too many points; the caller splits it. */
class ResolutionLimitError extends Error {}

/** Internal: a 2xx answer that is not JSON (truncated by a proxy?) — worth one more try. */
class MalformedAnswerError extends Error {}

/** Internal: HTTP 422 `execution`, worth one more try; `final` is what to throw if it persists. */
class TransientExecutionError extends Error {
  constructor(readonly final: DataSourceError) {
    super('HTTP 422 execution error');
  }
}

/** A client for one Prometheus-compatible endpoint. */
export class PrometheusClient {
  /** Names this endpoint in errors, e.g. `Prometheus at http://prom:9090/`. */
  readonly sourceName: string;
  private readonly baseUrl: URL;
  private readonly headers: Record<string, string>;
  private readonly secretHeaders: string[];
  private readonly secrets: string[];
  private readonly warningsSeen = new Set<string>();

  constructor(
    private readonly config: PrometheusClientConfig,
    private readonly options: PrometheusClientOptions,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(config.url);
    } catch {
      throw new ConfigError(
        `clusters "${config.name}" prometheus.url ${JSON.stringify(redactUrl(config.url))} is not a URL`,
        {
          hint: 'use an http(s) URL such as http://prometheus:9090',
        },
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(
        `clusters "${config.name}" prometheus.url must be an http(s) URL, got ${parsed.protocol}`,
      );
    }
    if (!(config.timeoutSeconds > 0)) {
      throw new ConfigError(
        `clusters "${config.name}" prometheus.timeoutSeconds must be a positive number`,
      );
    }
    this.baseUrl = parsed;
    const where = redactUrl(config.url);
    this.sourceName =
      config.name === 'default'
        ? `Prometheus at ${where}`
        : `Prometheus "${config.name}" at ${where}`;

    const headers: Record<string, string> = {};
    const secretHeaders = ['authorization'];
    const secrets: string[] = [];
    for (const [name, value] of Object.entries(config.headers)) {
      headers[name] = value;
      if (SECRET_HEADER_NAME.test(name)) {
        secretHeaders.push(name.toLowerCase());
        secrets.push(value);
      }
    }
    if (config.token !== null && config.token !== '') {
      headers['authorization'] = `Bearer ${config.token}`;
      secrets.push(config.token);
    } else if (config.username !== null && config.username !== '') {
      const password = config.password ?? '';
      headers['authorization'] =
        `Basic ${Buffer.from(`${config.username}:${password}`).toString('base64')}`;
      if (password !== '') secrets.push(password);
    }
    if (parsed.password !== '') secrets.push(decodeURIComponent(parsed.password));
    this.headers = headers;
    this.secretHeaders = secretHeaders;
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = secrets
      .filter((secret) => secret.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** Instant query at `time` (the server's now when omitted). */
  async instantQuery(query: string, time?: Date): Promise<InstantResult> {
    const params: Record<string, string> = { query, timeout: `${this.config.timeoutSeconds}s` };
    if (time !== undefined) params['time'] = unixSeconds(time);
    this.options.trace?.(
      `promql: query${time === undefined ? '' : ` at ${time.toISOString()}`}: ${query}`,
    );
    const data = await this.call('query', params, instantDataSchema);
    switch (data.resultType) {
      case 'vector':
        return {
          resultType: 'vector',
          samples: data.result.map((item) => ({
            metric: item.metric,
            timeSeconds: item.value[0],
            value: this.sampleValue(item.value[1]),
          })),
        };
      case 'matrix':
        return { resultType: 'matrix', series: data.result.map((item) => toRangeSeries(item)) };
      case 'scalar':
        return {
          resultType: 'scalar',
          timeSeconds: data.result[0],
          value: this.sampleValue(data.result[1]),
        };
      case 'string':
        return { resultType: 'string', timeSeconds: data.result[0], value: data.result[1] };
    }
  }

  /** Instant query that must return a vector (an empty one is fine: no matching series). */
  async vectorQuery(query: string, time?: Date): Promise<VectorSample[]> {
    const result = await this.instantQuery(query, time);
    if (result.resultType === 'vector') return result.samples;
    if (result.resultType === 'scalar')
      return [{ metric: {}, timeSeconds: result.timeSeconds, value: result.value }];
    throw new DataSourceError(
      this.sourceName,
      `answered a ${result.resultType} where an instant vector was expected`,
      {
        hint: 'this is a bug in carbonctl or an incompatible backend; --verbose shows the query',
      },
    );
  }

  /**
   * Range query over `[start, end]` (both inclusive) at `stepSeconds`. Ranges longer than the
   * server accepts are split into step-aligned, non-overlapping parts and merged per series.
   */
  async rangeQuery(
    query: string,
    start: Date,
    end: Date,
    stepSeconds: number,
  ): Promise<RangeSeries[]> {
    if (!(stepSeconds > 0)) throw new RangeError(`step must be positive, got ${stepSeconds}`);
    const startSeconds = start.getTime() / 1000;
    const endSeconds = end.getTime() / 1000;
    if (endSeconds < startSeconds) throw new RangeError('range query end is before start');
    return this.rangeParts(query, startSeconds, endSeconds, stepSeconds, 0);
  }

  /** `/api/v1/status/buildinfo`: version of the server (for doctor and report provenance). */
  async buildInfo(): Promise<BuildInfo> {
    const info = await this.call('status/buildinfo', null, buildInfoSchema);
    return {
      version: info.version,
      revision: info.revision ?? null,
      branch: info.branch ?? null,
      buildDate: info.buildDate ?? null,
      goVersion: info.goVersion ?? null,
    };
  }

  /**
   * Number of series matching a selector, for `doctor`: at `time` (server now when omitted), or
   * any time within `lookbackSeconds` before it when given.
   */
  async countSeries(
    selectorText: string,
    options: { time?: Date; lookbackSeconds?: number } = {},
  ): Promise<number> {
    const inner =
      options.lookbackSeconds === undefined
        ? selectorText
        : `last_over_time(${selectorText}[${Math.max(1, Math.round(options.lookbackSeconds))}s])`;
    const samples = await this.vectorQuery(`count(${inner})`, options.time);
    return samples[0]?.value ?? 0;
  }

  private async rangeParts(
    query: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
    depth: number,
  ): Promise<RangeSeries[]> {
    const steps = Math.floor((endSeconds - startSeconds) / stepSeconds);
    if (steps > MAX_STEPS_PER_QUERY)
      return this.splitRange(query, startSeconds, endSeconds, stepSeconds, depth);
    this.options.trace?.(
      `promql: query_range ${new Date(startSeconds * 1000).toISOString()} .. ${new Date(endSeconds * 1000).toISOString()} step ${stepSeconds}s: ${query}`,
    );
    try {
      const data = await this.call(
        'query_range',
        {
          query,
          start: String(startSeconds),
          end: String(endSeconds),
          step: String(stepSeconds),
          timeout: `${this.config.timeoutSeconds}s`,
        },
        matrixDataSchema,
      );
      return data.result.map((item) => toRangeSeries(item));
    } catch (error) {
      if (!(error instanceof ResolutionLimitError)) throw error;
      if (steps < 2 || depth >= MAX_SPLIT_DEPTH) {
        throw new DataSourceError(
          this.sourceName,
          `refused even a ${steps + 1}-point range query as too many points: ${error.message}`,
          {
            hint: 'the server has a very low points-per-series limit; raise it (VictoriaMetrics -search.maxPointsPerTimeseries) or use a larger step',
          },
        );
      }
      this.options.trace?.(
        `promql: server refused ${steps + 1} points per series (${error.message}); splitting the range`,
      );
      return this.splitRange(query, startSeconds, endSeconds, stepSeconds, depth);
    }
  }

  private async splitRange(
    query: string,
    startSeconds: number,
    endSeconds: number,
    stepSeconds: number,
    depth: number,
  ): Promise<RangeSeries[]> {
    const steps = Math.floor((endSeconds - startSeconds) / stepSeconds);
    const middle = startSeconds + Math.floor(steps / 2) * stepSeconds;
    // Non-overlapping halves on the same step grid: [start, middle] and [middle + step, end].
    const left = await this.rangeParts(query, startSeconds, middle, stepSeconds, depth + 1);
    const right = await this.rangeParts(
      query,
      middle + stepSeconds,
      endSeconds,
      stepSeconds,
      depth + 1,
    );
    return mergeSeries(left, right);
  }

  /** POSTs (or GETs, without params) one API call and returns its validated `data`. */
  private async call<T>(
    endpoint: string,
    params: Record<string, string> | null,
    dataSchema: z.ZodMiniType<T>,
  ): Promise<T> {
    // HttpClient retries network errors, 429 and 5xx. Two more cases get one extra try here: a
    // truncated 2xx answer, and a 422 `execution` error, which Mimir returns for transient
    // store-gateway failures (reference/prometheus.md §2.2, grafana/mimir#8139).
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce(endpoint, params, dataSchema);
      } catch (error) {
        const retryable =
          error instanceof MalformedAnswerError || error instanceof TransientExecutionError;
        if (retryable && attempt < 2) {
          this.options.trace?.(`promql: ${error.message} from ${endpoint}; retrying once`);
          continue;
        }
        if (error instanceof MalformedAnswerError) {
          throw new DataSourceError(
            this.sourceName,
            `answered ${endpoint} with malformed JSON (${error.message})`,
            {
              hint: 'a proxy may be truncating large answers, or the URL does not point at the Prometheus API',
            },
          );
        }
        if (error instanceof TransientExecutionError) throw error.final;
        if (error instanceof ResolutionLimitError && endpoint !== 'query_range') {
          throw new DataSourceError(
            this.sourceName,
            `refused the ${endpoint} request: ${error.message}`,
          );
        }
        throw error;
      }
    }
  }

  private async callOnce<T>(
    endpoint: string,
    params: Record<string, string> | null,
    dataSchema: z.ZodMiniType<T>,
  ): Promise<T> {
    const url = new URL(this.baseUrl.toString());
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/${endpoint}`;
    const headers: Record<string, string> = { ...this.headers };
    if (params !== null) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await this.options.http.request({
      method: params === null ? 'GET' : 'POST',
      url: url.toString(),
      headers,
      ...(params === null ? {} : { body: new URLSearchParams(params).toString() }),
      timeoutMs: Math.round(this.config.timeoutSeconds * 1000),
      maxRetries: this.options.maxRetries ?? 3,
      sourceName: this.sourceName,
      secretHeaders: this.secretHeaders,
      tls: {
        caFile: this.config.caFile,
        insecureSkipVerify: this.config.insecureSkipVerify === true,
      },
    });
    return this.interpret(endpoint, response, dataSchema);
  }

  private interpret<T>(endpoint: string, response: HttpResponse, dataSchema: z.ZodMiniType<T>): T {
    const { status } = response;
    const contentType = response.headers['content-type'] ?? '';
    let body: unknown = undefined;
    let jsonError: PromJsonError | null = null;
    if (!/html/i.test(contentType)) {
      try {
        body = parsePromJson(response.text);
      } catch (error) {
        if (!(error instanceof PromJsonError)) throw error;
        jsonError = error;
      }
    }
    const envelope = body === undefined ? null : envelopeSchema.safeParse(body);
    const serverError = envelope?.success === true ? envelope.data : null;
    // Only computed on failure: stripping markup from a 25 MB success body costs real time.
    const serverMessage = (): string =>
      serverError?.error === undefined
        ? this.scrub(plainText(response.text.slice(0, 2000)))
        : this.scrub(serverError.error);

    if (status < 200 || status > 299) {
      throw this.statusError(
        endpoint,
        status,
        serverError?.errorType ?? null,
        serverMessage(),
        contentType,
      );
    }
    if (/html/i.test(contentType)) {
      throw new DataSourceError(
        this.sourceName,
        `answered ${endpoint} with an HTML page, not the Prometheus API`,
        {
          hint: 'check the URL: Mimir serves the API under /prometheus, VictoriaMetrics cluster under /select/<tenant>/prometheus',
        },
      );
    }
    if (jsonError !== null) throw new MalformedAnswerError(jsonError.message);
    if (envelope === null || !envelope.success) {
      throw this.shapeError(endpoint, envelope?.success === false ? envelope.error : null);
    }
    const answer = envelope.data;
    for (const warning of answer.warnings ?? []) this.warn(warning);
    if (answer.status === 'error') {
      if (RESOLUTION_LIMIT.test(answer.error ?? ''))
        throw new ResolutionLimitError(serverMessage());
      throw new DataSourceError(
        this.sourceName,
        `reported an error for ${endpoint}: ${answer.errorType ?? 'error'}: ${serverMessage()}`,
      );
    }
    // safeParse, not parse + instanceof: referring to zod's error class as a value would pull
    // all of zod's core (locales included) into the start-up bundle.
    const parsed = dataSchema.safeParse(answer.data);
    if (!parsed.success) throw this.shapeError(endpoint, parsed.error);
    return parsed.data;
  }

  private statusError(
    endpoint: string,
    status: number,
    errorType: string | null,
    message: string,
    contentType: string,
  ): Error {
    const detail = message === '' ? '' : `: ${truncate(message, 300)}`;
    if (status === 401 || status === 403) {
      const verb = status === 401 ? 'refused' : 'denied access with';
      const orgHint = /org ?id/i.test(message)
        ? ' (the server wants a tenant: set headers {"X-Scope-OrgID": "<tenant>"})'
        : '';
      if (this.config.token !== null && this.config.token !== '') {
        return new DataSourceError(
          this.sourceName,
          `${verb} the bearer token (HTTP ${status}): check CARBONCTL_PROMETHEUS_TOKEN${orgHint}`,
          {
            hint: 'the token comes from CARBONCTL_PROMETHEUS_TOKEN or clusters[].prometheus.token in the config file',
          },
        );
      }
      if (this.config.username !== null && this.config.username !== '') {
        return new DataSourceError(
          this.sourceName,
          `${verb} the username/password (HTTP ${status}): check CARBONCTL_PROMETHEUS_USER and CARBONCTL_PROMETHEUS_PASSWORD${orgHint}`,
        );
      }
      return new DataSourceError(
        this.sourceName,
        `requires credentials (HTTP ${status})${orgHint}`,
        {
          hint: 'set CARBONCTL_PROMETHEUS_TOKEN (bearer) or CARBONCTL_PROMETHEUS_USER and CARBONCTL_PROMETHEUS_PASSWORD (basic auth)',
        },
      );
    }
    if ((status === 400 || status === 422) && RESOLUTION_LIMIT.test(message))
      return new ResolutionLimitError(message);
    if (status === 404) {
      return new DataSourceError(
        this.sourceName,
        `has no Prometheus API at /api/v1/${endpoint} (HTTP 404)`,
        {
          hint: 'check the URL: Mimir serves the API under /prometheus, VictoriaMetrics cluster under /select/<tenant>/prometheus',
        },
      );
    }
    if (status === 429) {
      return new DataSourceError(
        this.sourceName,
        `kept rate-limiting the requests (HTTP 429)${detail}`,
        {
          hint: 'retry later, or ask the operators to raise the query limits for this tenant',
        },
      );
    }
    if (status === 400) {
      return new DataSourceError(
        this.sourceName,
        `rejected the ${endpoint} request (HTTP 400${errorType === null ? '' : `, ${errorType}`})${detail}`,
        {
          hint: 'a selector in the config (workspaces.selector) or a flag may be invalid PromQL; --verbose shows the query',
        },
      );
    }
    if (status === 422) {
      return new TransientExecutionError(
        new DataSourceError(
          this.sourceName,
          `could not execute the query (HTTP 422${errorType === null ? '' : `, ${errorType}`})${detail}`,
          {
            hint: 'the query may load too many samples; try a shorter window, or --verbose to see the query',
          },
        ),
      );
    }
    if (status >= 500) {
      return new DataSourceError(
        this.sourceName,
        `answered HTTP ${status}${errorType === null ? '' : ` (${errorType})`} after retries${detail}`,
        {
          hint:
            errorType === 'timeout'
              ? 'the query timed out on the server: try a shorter window'
              : 'the server or a proxy in front of it is failing; check its logs or retry later',
        },
      );
    }
    return new DataSourceError(
      this.sourceName,
      `answered HTTP ${status}${contentType === '' ? '' : ` (${contentType})`}${detail}`,
    );
  }

  private shapeError(endpoint: string, error: z.core.$ZodError | null): DataSourceError {
    const issue = error?.issues[0];
    const where =
      issue === undefined
        ? ''
        : ` (${issue.path.length === 0 ? 'top level' : issuePath(issue)}: ${issueMessage(issue)})`;
    return new DataSourceError(
      this.sourceName,
      `answered ${endpoint} with something that is not a Prometheus API response${where}`,
      {
        hint: 'check that the URL points at Prometheus or a compatible API (Thanos, Mimir, VictoriaMetrics)',
      },
    );
  }

  private sampleValue(raw: string): number {
    const value = parseSampleValue(raw);
    if (value === null) {
      throw new DataSourceError(
        this.sourceName,
        `answered a sample value ${JSON.stringify(truncate(raw, 40))} that is not a number`,
      );
    }
    return value;
  }

  private warn(warning: string): void {
    const clean = this.scrub(warning);
    if (this.warningsSeen.has(clean)) return;
    this.warningsSeen.add(clean);
    this.options.onWarning?.(`${this.sourceName}: ${clean}`);
  }

  /** Removes any configured secret from text that came from the server. */
  private scrub(text: string): string {
    let clean = text;
    for (const secret of this.secrets) clean = clean.split(secret).join('REDACTED');
    return clean;
  }
}

function toRangeSeries(item: {
  metric: Record<string, string>;
  values: PackedSamples;
}): RangeSeries {
  return { metric: { ...item.metric }, times: item.values.times, values: item.values.values };
}

/** Concatenates the series of two consecutive, non-overlapping ranges, matching them by labels. */
function mergeSeries(left: RangeSeries[], right: RangeSeries[]): RangeSeries[] {
  const byKey = new Map<string, RangeSeries>();
  for (const series of left) byKey.set(labelKey(series.metric), series);
  for (const series of right) {
    const key = labelKey(series.metric);
    const earlier = byKey.get(key);
    if (earlier === undefined) {
      byKey.set(key, series);
      continue;
    }
    const times = new Float64Array(earlier.times.length + series.times.length);
    times.set(earlier.times);
    times.set(series.times, earlier.times.length);
    const values = new Float64Array(earlier.values.length + series.values.length);
    values.set(earlier.values);
    values.set(series.values, earlier.values.length);
    byKey.set(key, { metric: earlier.metric, times, values });
  }
  return [...byKey.values()];
}

/** A stable identity for a label set. */
export function labelKey(metric: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(metric)
      .sort()
      .map((name) => [name, metric[name]]),
  );
}

function unixSeconds(date: Date): string {
  return String(date.getTime() / 1000);
}

function plainText(text: string): string {
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

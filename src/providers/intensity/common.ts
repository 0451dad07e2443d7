/**
 * Helpers shared by the intensity providers: decoding a response at the boundary (error
 * bodies, status, JSON, zod shape → DataSourceError), windows and chunks, and slot clean-up.
 */
import type * as z from 'zod/mini';
import { issueMessage, issuePath } from '../../core/zod-issues.js';
import { DataSourceError } from '../../errors.js';
import { floorToHour } from '../../core/hours.js';
import type { IntensitySlot } from '../../core/ports.js';
import type { HttpResponse } from '../http.js';

/** Milliseconds in one half-hour settlement period. */
export const HALF_HOUR_MS = 30 * 60 * 1000;
/** Milliseconds in one hour. */
export const HOUR_MS = 60 * 60 * 1000;
/** Milliseconds in one day (UTC days have no DST). */
export const DAY_MS = 24 * HOUR_MS;

/** Retries after the first attempt for intensity APIs: cheap GETs, worth two more tries. */
export const INTENSITY_MAX_RETRIES = 2;

/** Removes terminal control characters and truncates, so an outside string is safe in a message. */
export function safeSnippet(text: string, maxChars = 200): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return cleaned.length > maxChars ? `${cleaned.slice(0, maxChars)}…` : cleaned;
}

/** The API's own error message from a body with a top-level `error` key, or null when there is none. */
export function errorMessageOf(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('error' in body)) {
    return null;
  }
  const error = body.error;
  if (typeof error === 'string') return safeSnippet(error);
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const parts = [code, message].filter(
      (part): part is string | number => typeof part === 'string' || typeof part === 'number',
    );
    if (parts.length > 0) return safeSnippet(parts.join(': '));
  }
  return safeSnippet(JSON.stringify(error) ?? 'unknown error');
}

/** Parses JSON without throwing; `ok: false` when the text is not JSON. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Renders zod issues as `data[0].intensity.forecast: expected number, received string`. */
export function describeIssues(error: z.core.$ZodError, maxIssues = 3): string {
  const lines = error.issues
    .slice(0, maxIssues)
    .map((issue) => `${issuePath(issue) || '(body)'}: ${issueMessage(issue)}`);
  const more = error.issues.length > maxIssues ? ` (+${error.issues.length - maxIssues} more)` : '';
  return `${lines.join('; ')}${more}`;
}

/** How a provider wants a response decoded. */
export interface DecodeOptions<T> {
  sourceName: string;
  schema: z.ZodMiniType<T>;
  /** Hint added to errors that mean "the API answered with an error" (e.g. a bad postcode). */
  errorHint?: (apiMessage: string) => string | undefined;
}

/**
 * Turns a response into typed data or a DataSourceError: a top-level `error` key is a failure
 * whatever the status (the GB API has answered 200 with one), then non-2xx, malformed JSON and
 * a wrong shape.
 */
export function decodeResponse<T>(response: HttpResponse, options: DecodeOptions<T>): T {
  const { sourceName } = options;
  const parsed = tryParseJson(response.text);
  if (parsed.ok) {
    const apiMessage = errorMessageOf(parsed.value);
    if (apiMessage !== null) {
      throw new DataSourceError(
        sourceName,
        `answered with an error (HTTP ${response.status}): ${apiMessage}`,
        {
          hint:
            options.errorHint?.(apiMessage) ??
            'the service reported a problem; retry later or check its status page',
        },
      );
    }
  }
  if (response.status < 200 || response.status > 299) {
    const snippet = safeSnippet(response.text);
    throw new DataSourceError(
      sourceName,
      `answered HTTP ${response.status}${snippet === '' ? '' : `: ${snippet}`}`,
      {
        hint:
          response.status === 429
            ? 'rate limited: wait a while before retrying'
            : response.status >= 500
              ? 'the service is failing; retry later'
              : 'check the configured URL (intensity.url) and parameters',
      },
    );
  }
  if (!parsed.ok) {
    throw new DataSourceError(
      sourceName,
      `answered with malformed JSON: ${safeSnippet(response.text, 80) || '(empty body)'}`,
      { hint: 'check intensity.url points at the API itself, not a proxy or web page' },
    );
  }
  const result = options.schema.safeParse(parsed.value);
  if (!result.success) {
    throw new DataSourceError(
      sourceName,
      `answered in an unexpected shape: ${describeIssues(result.error)}`,
      { hint: 'the API may have changed; please report this with the output of --verbose' },
    );
  }
  return result.data;
}

/** One request window `[from, to)`. */
export interface Window {
  from: Date;
  to: Date;
}

/**
 * Splits `[from, to)` into consecutive windows no longer than `maxSpanMs`, also breaking at
 * each UTC 1 January when asked (the GB API drops data in ranges that cross a year end).
 */
export function chunkWindow(
  from: Date,
  to: Date,
  maxSpanMs: number,
  options: { splitAtYearStart?: boolean } = {},
): Window[] {
  const windows: Window[] = [];
  let startMs = from.getTime();
  const endMs = to.getTime();
  while (startMs < endMs) {
    let chunkEndMs = Math.min(startMs + maxSpanMs, endMs);
    if (options.splitAtYearStart === true) {
      const nextYearMs = Date.UTC(new Date(startMs).getUTCFullYear() + 1, 0, 1);
      if (nextYearMs > startMs && nextYearMs < chunkEndMs) chunkEndMs = nextYearMs;
    }
    windows.push({ from: new Date(startMs), to: new Date(chunkEndMs) });
    startMs = chunkEndMs;
  }
  return windows;
}

/** Keeps the slots that overlap `[from, to)`: drops those ending at or before `from` and those starting at or after `to`. */
export function clipToWindow(slots: IntensitySlot[], from: Date, to: Date): IntensitySlot[] {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  return slots.filter((slot) => slot.to.getTime() > fromMs && slot.from.getTime() < toMs);
}

/** De-duplicates on `from` keeping the last occurrence (the API's later record wins), sorted by `from`. */
export function dedupeAndSort(slots: IntensitySlot[]): IntensitySlot[] {
  const byFrom = new Map<number, IntensitySlot>();
  for (const slot of slots) byFrom.set(slot.from.getTime(), slot);
  return [...byFrom.values()].sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The start of the UTC hour containing an instant (core's one hour alignment). */
export { floorToHour };

/** Strips trailing slashes so `base + '/path'` never doubles one. */
export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Hourly slots covering `[from, to)` (aligned to UTC hours) that all carry one value, for offline providers. */
export function constantHourlySlots(
  from: Date,
  to: Date,
  intensityGPerKwh: number,
): IntensitySlot[] {
  const slots: IntensitySlot[] = [];
  for (let startMs = floorToHour(from).getTime(); startMs < to.getTime(); startMs += HOUR_MS) {
    // The value is both what was and what will be: fill both so history and forecast readers agree.
    slots.push({
      from: new Date(startMs),
      to: new Date(startMs + HOUR_MS),
      forecast: intensityGPerKwh,
      actual: intensityGPerKwh,
      index: null,
    });
  }
  return slots;
}

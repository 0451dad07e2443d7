/**
 * GB Carbon Intensity API (NESO) provider: half-hourly national or regional intensity,
 * current, forecast and history. Endpoint and data rules come from
 * reference/carbon-intensity-apis.md §1 (carbon-intensity/api-definitions docs/index.html and
 * the issues cited there).
 */
import * as z from 'zod/mini';
import { DataSourceError, UsageError } from '../../errors.js';
import type { CurrentIntensity, IntensityProvider, IntensitySlot } from '../../core/ports.js';
import type { HttpClient } from '../http.js';
import {
  DAY_MS,
  HOUR_MS,
  INTENSITY_MAX_RETRIES,
  chunkWindow,
  clipToWindow,
  decodeResponse,
  dedupeAndSort,
  trimBaseUrl,
} from './common.js';
import { usableIntensity } from './values.js';
import { UK_DEFAULT_BASE_URL, UK_SOURCE_DESCRIPTION } from './meta.js';
import { parseUkRegion, ukRegionLabel } from './uk-region.js';
import type { UkRegion } from './uk-region.js';

/** `{from}/{to}` accepts at most 14 days per request (reference §1.3). */
export const UK_NATIONAL_MAX_SPAN_MS = 14 * DAY_MS;
/** Regional ranges: clients enforce 14 days; 13 keeps a margin (reference §1.3, observed). */
export const UK_REGIONAL_MAX_SPAN_MS = 13 * DAY_MS;

/** Formats an instant the way the API's path parameters want it: `YYYY-MM-DDTHH:mmZ` (UTC, no seconds). */
export function formatUkTime(instant: Date): string {
  return `${instant.toISOString().slice(0, 16)}Z`;
}

// `2024-01-12T06:00Z`; seconds tolerated in case the API ever adds them.
const ukTime = z
  .pipe(
    z
      .string()
      .check(
        z.regex(
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z$/,
          'expected a time like 2024-01-12T06:00Z',
        ),
      ),
    z.transform((text: string) => new Date(text)),
  )
  .check(z.refine((date) => !Number.isNaN(date.getTime()), 'not a valid time'));

// Every field except from, to and intensity.forecast is optional (reference §1.4). forecast
// may be null during the outages of issue #18 rather than failing a whole month.
const periodSchema = z.object({
  from: ukTime,
  to: ukTime,
  intensity: z.object({
    forecast: usableIntensity,
    actual: z.optional(usableIntensity),
    index: z.optional(z.nullable(z.string())),
  }),
});
type Period = z.infer<typeof periodSchema>;

const nationalSchema = z.object({ data: z.array(periodSchema) });

const regionSchema = z.object({
  regionid: z.optional(z.number()),
  dnoregion: z.optional(z.string()),
  shortname: z.optional(z.string()),
  postcode: z.optional(z.string()),
  data: z.array(periodSchema),
});

// Regional ID responses come in two containers: an array with one region (current-period
// endpoints) or a bare object (time-ranged endpoints); `data: null` for ranges before the
// earliest regional datum (reference §1.3–1.4).
const regionalSchema = z.object({
  data: z.nullable(z.union([z.array(regionSchema), regionSchema])),
});

/** What the UK provider needs; the HTTP client is shared with the rest of the run. */
export interface UkProviderOptions {
  http: HttpClient;
  /** `https://api.carbonintensity.org.uk` or an override (mirror, loopback test server). */
  baseUrl: string;
  /** `intensity.region`: null = national, `1`–`17`, or a postcode. */
  region: string | null;
  timeoutMs: number;
}

/** The GB Carbon Intensity API behind the IntensityProvider port. */
export class UkIntensityProvider implements IntensityProvider {
  readonly name = 'uk' as const;
  readonly regionLabel: string;
  readonly sourceDescription = UK_SOURCE_DESCRIPTION;
  private readonly region: UkRegion;
  private readonly baseUrl: string;
  private readonly sourceName: string;

  constructor(private readonly options: UkProviderOptions) {
    this.region = parseUkRegion(options.region);
    this.regionLabel = ukRegionLabel(this.region);
    this.baseUrl = trimBaseUrl(options.baseUrl);
    this.sourceName =
      this.baseUrl === UK_DEFAULT_BASE_URL
        ? 'GB Carbon Intensity API'
        : `GB Carbon Intensity API at ${this.baseUrl}`;
  }

  /**
   * The latest half hour at or before `now`. `/intensity` answers the latest *completed* half
   * hour (api-definitions issue #6); when that is not near `now` (an `--at` in the past or
   * future) the half hour containing `now` is fetched instead.
   */
  async current(now: Date): Promise<CurrentIntensity> {
    const latest =
      this.region.kind === 'national'
        ? await this.getPeriods('/intensity', 'national')
        : await this.getPeriods(this.regionalPath('current'), 'regional');
    let slot = latestAtOrBefore(latest, now);
    if (slot === undefined || now.getTime() - slot.to.getTime() >= HOUR_MS) {
      const around =
        this.region.kind === 'national'
          ? await this.getPeriods(`/intensity/${formatUkTime(now)}`, 'national')
          : await this.getPeriods(this.regionalPath('fw48h', now), 'regional');
      slot = containing(around, now) ?? latestAtOrBefore(around, now);
    }
    if (slot === undefined) {
      throw new DataSourceError(
        this.sourceName,
        `has no intensity for ${formatUkTime(now)} (${this.regionLabel})`,
        {
          hint: 'the API may be in an outage (api-definitions issue #18); retry later or use --provider static',
        },
      );
    }
    const value = slot.actual ?? slot.forecast;
    if (value === null) {
      throw new DataSourceError(
        this.sourceName,
        `answered neither an actual nor a forecast value for ${formatUkTime(slot.from)}`,
        { hint: 'retry later or use --provider static' },
      );
    }
    return {
      from: slot.from,
      to: slot.to,
      intensityGPerKwh: value,
      kind: slot.actual !== null ? 'actual' : 'forecast',
      index: slot.index,
    };
  }

  /** Forecast half hours covering `[from, from + hours)`; `hours` is 1–48 (the API's horizon). */
  async forecast(from: Date, hours: number): Promise<IntensitySlot[]> {
    if (!Number.isFinite(hours) || hours <= 0 || hours > 48) {
      throw new UsageError(`forecast horizon ${hours} h is outside 1-48 h`, {
        hint: 'the GB Carbon Intensity API forecasts at most 48 hours ahead',
      });
    }
    const to = new Date(from.getTime() + hours * HOUR_MS);
    const periods =
      this.region.kind === 'national'
        ? await this.getPeriods(
            `/intensity/${formatUkTime(from)}/${hours <= 24 ? 'fw24h' : 'fw48h'}`,
            'national',
          )
        : await this.getPeriods(this.regionalPath('fw48h', from), 'regional');
    return dedupeAndSort(clipToWindow(periods, from, to));
  }

  /**
   * Half hours covering `[from, to)`, fetched in ≤ 14-day (national) / ≤ 13-day (regional)
   * chunks. Range answers include the slot ending at `from` (jnioche/carbonintensity-api
   * issue #4): dropped. Duplicates (issue #17) keep the last record.
   */
  async history(from: Date, to: Date): Promise<IntensitySlot[]> {
    if (to.getTime() <= from.getTime()) return [];
    const national = this.region.kind === 'national';
    // Regional ranges that cross 1 January skip about a day (jnioche issue #6): split there.
    const windows = chunkWindow(
      from,
      to,
      national ? UK_NATIONAL_MAX_SPAN_MS : UK_REGIONAL_MAX_SPAN_MS,
      { splitAtYearStart: !national },
    );
    const slots: IntensitySlot[] = [];
    // Sequential on purpose: a public, unauthenticated API; a year is only ~27 requests.
    for (const window of windows) {
      const range = `${formatUkTime(window.from)}/${formatUkTime(window.to)}`;
      const periods = national
        ? await this.getPeriods(`/intensity/${range}`, 'national')
        : await this.getPeriods(this.regionalPath('range', window.from, window.to), 'regional');
      slots.push(...periods);
    }
    return dedupeAndSort(clipToWindow(slots, from, to));
  }

  private regionalPath(kind: 'current' | 'fw48h' | 'range', from?: Date, to?: Date): string {
    const region = this.region;
    const selector =
      region.kind === 'regionid'
        ? `regionid/${region.id}`
        : region.kind === 'postcode'
          ? `postcode/${encodeURIComponent(region.outward)}`
          : '';
    switch (kind) {
      case 'current':
        return `/regional/${selector}`;
      case 'fw48h':
        return `/regional/intensity/${formatUkTime(from as Date)}/fw48h/${selector}`;
      case 'range':
        return `/regional/intensity/${formatUkTime(from as Date)}/${formatUkTime(to as Date)}/${selector}`;
    }
  }

  private async getPeriods(path: string, shape: 'national' | 'regional'): Promise<IntensitySlot[]> {
    const response = await this.options.http.request({
      method: 'GET',
      url: `${this.baseUrl}${path}`,
      timeoutMs: this.options.timeoutMs,
      maxRetries: INTENSITY_MAX_RETRIES,
      sourceName: this.sourceName,
    });
    const errorHint = (message: string): string | undefined =>
      /postcode/i.test(message)
        ? 'check the outward postcode (e.g. RG41, OX1) or use a region id 1-17'
        : undefined;
    if (shape === 'national') {
      const body = decodeResponse(response, {
        sourceName: this.sourceName,
        schema: nationalSchema,
        errorHint,
      });
      return body.data.map(toSlot);
    }
    const body = decodeResponse(response, {
      sourceName: this.sourceName,
      schema: regionalSchema,
      errorHint,
    });
    if (body.data === null) return [];
    const regions = Array.isArray(body.data) ? body.data : [body.data];
    return regions.flatMap((region) => region.data.map(toSlot));
  }
}

function toSlot(period: Period): IntensitySlot {
  return {
    from: period.from,
    to: period.to,
    forecast: period.intensity.forecast,
    // Regional periods carry no `actual`; future national ones carry null. Never 0.
    actual: period.intensity.actual ?? null,
    index: period.intensity.index ?? null,
  };
}

function latestAtOrBefore(slots: IntensitySlot[], now: Date): IntensitySlot | undefined {
  let best: IntensitySlot | undefined;
  for (const slot of slots) {
    if (slot.from.getTime() > now.getTime()) continue;
    if (best === undefined || slot.from.getTime() > best.from.getTime()) best = slot;
  }
  return best;
}

function containing(slots: IntensitySlot[], now: Date): IntensitySlot | undefined {
  const nowMs = now.getTime();
  return slots.find((slot) => slot.from.getTime() <= nowMs && nowMs < slot.to.getTime());
}

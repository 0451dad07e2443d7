/**
 * Electricity Maps API v3 provider: hourly intensity per zone (latest, 24-hour history,
 * past-range for older windows, forecast). Endpoints, fields and error behaviour come from
 * reference/carbon-intensity-apis.md §2 (Electricity Maps API docs; jpbede/aioelectricitymaps;
 * Green-Software-Foundation/carbon-aware-sdk; grid-intensity-go #66).
 */
import * as z from 'zod/mini';
import { DataSourceError } from '../../errors.js';
import type { CurrentIntensity, IntensityProvider, IntensitySlot } from '../../core/ports.js';
import type { HttpClient, HttpResponse } from '../http.js';
import {
  DAY_MS,
  HOUR_MS,
  INTENSITY_MAX_RETRIES,
  chunkWindow,
  clipToWindow,
  decodeResponse,
  dedupeAndSort,
  floorToHour,
  trimBaseUrl,
} from './common.js';
import { usableIntensity } from './values.js';
import {
  ELECTRICITY_MAPS_DEFAULT_BASE_URL,
  ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE,
  ELECTRICITY_MAPS_TOKEN_ENV,
  electricityMapsSourceDescription,
} from './meta.js';

/** `past-range` answers at most 10 days at hourly granularity (reference §2.2). */
export const ELECTRICITY_MAPS_PAST_RANGE_MAX_SPAN_MS = 10 * DAY_MS;

const isoTime = z
  .pipe(
    z.string(),
    z.transform((text: string) => new Date(text)),
  )
  .check(z.refine((date) => !Number.isNaN(date.getTime()), 'expected an ISO 8601 time'));

// carbonIntensity can be null (carbon-aware-sdk test GetHistoryCarbonIntensityDataJsonStringWithNull).
const datumSchema = z.object({
  zone: z.optional(z.string()),
  carbonIntensity: usableIntensity,
  datetime: isoTime,
  isEstimated: z.optional(z.nullable(z.boolean())),
  emissionFactorType: z.optional(z.string()),
});
type Datum = z.infer<typeof datumSchema>;

const historySchema = z.object({ zone: z.optional(z.string()), history: z.array(datumSchema) });
const pastRangeSchema = z.object({ zone: z.optional(z.string()), data: z.array(datumSchema) });
const forecastSchema = z.object({
  zone: z.optional(z.string()),
  forecast: z.array(z.object({ carbonIntensity: usableIntensity, datetime: isoTime })),
});

/** What the Electricity Maps provider needs. */
export interface ElectricityMapsProviderOptions {
  http: HttpClient;
  /** `https://api.electricitymap.org/v3` or an override; paths are appended to it. */
  baseUrl: string;
  /** Zone key, e.g. `DE`, `GB`, `US-CAL-CISO`. */
  zone: string;
  /** The `auth-token`; a secret, never printed. */
  token: string;
  timeoutMs: number;
}

/** Electricity Maps v3 behind the IntensityProvider port (1-hour slots). */
export class ElectricityMapsIntensityProvider implements IntensityProvider {
  readonly name = 'electricitymaps' as const;
  readonly regionLabel: string;
  readonly sourceDescription: string;
  private readonly baseUrl: string;
  private readonly sourceName: string;

  constructor(private readonly options: ElectricityMapsProviderOptions) {
    this.regionLabel = options.zone;
    this.baseUrl = trimBaseUrl(options.baseUrl);
    this.sourceDescription = electricityMapsSourceDescription(options.zone);
    this.sourceName =
      this.baseUrl === ELECTRICITY_MAPS_DEFAULT_BASE_URL
        ? 'Electricity Maps API'
        : `Electricity Maps API at ${this.baseUrl}`;
  }

  /** `latest` when it describes the hour at `now`; otherwise the history hour containing `now` (for `--at`). */
  async current(now: Date): Promise<CurrentIntensity> {
    const latest = await this.get('/carbon-intensity/latest', {}, datumSchema);
    let slot: IntensitySlot | undefined;
    let isForecast = false;
    const latestSlot = toActualSlot(latest);
    if (Math.abs(now.getTime() - latestSlot.from.getTime()) < 2 * HOUR_MS) {
      slot = latestSlot;
      // `latest` may describe an hour after `now` (an estimate ahead of time; reference §2.2).
      isForecast = latestSlot.from.getTime() > now.getTime();
    } else {
      const hourStart = floorToHour(now);
      const slots = await this.history(hourStart, new Date(hourStart.getTime() + HOUR_MS));
      slot = slots[0];
    }
    const value = slot?.actual ?? null;
    if (slot === undefined || value === null) {
      throw new DataSourceError(
        this.sourceName,
        `has no carbon intensity for zone ${this.options.zone} at ${now.toISOString()}`,
        { hint: 'the zone may have no live data; try later or use --provider static' },
      );
    }
    return {
      from: slot.from,
      to: slot.to,
      intensityGPerKwh: value,
      kind: isForecast ? 'forecast' : 'actual',
      index: null,
    };
  }

  /** Forecast hours covering `[from, from + hours)`. */
  async forecast(from: Date, hours: number): Promise<IntensitySlot[]> {
    const body = await this.get('/carbon-intensity/forecast', {}, forecastSchema);
    const slots = body.forecast.map((entry) => ({
      from: entry.datetime,
      to: new Date(entry.datetime.getTime() + HOUR_MS),
      forecast: entry.carbonIntensity,
      actual: null,
      index: null,
    }));
    return dedupeAndSort(clipToWindow(slots, from, new Date(from.getTime() + hours * HOUR_MS)));
  }

  /**
   * Hours covering `[from, to)`. `history` holds only the last 24 h, so it is fetched first:
   * whatever lies before its first hour comes from `past-range` in ≤ 10-day chunks. That also
   * tells "older than 24 h" without reading a clock.
   */
  async history(from: Date, to: Date): Promise<IntensitySlot[]> {
    if (to.getTime() <= from.getTime()) return [];
    const recent = (await this.get('/carbon-intensity/history', {}, historySchema)).history.map(
      toActualSlot,
    );
    const earliestMs = recent.reduce(
      (min, slot) => Math.min(min, slot.from.getTime()),
      Number.POSITIVE_INFINITY,
    );
    const slots: IntensitySlot[] = [];
    const olderEndMs = Math.min(to.getTime(), earliestMs);
    if (from.getTime() < olderEndMs) {
      for (const window of chunkWindow(
        from,
        new Date(olderEndMs),
        ELECTRICITY_MAPS_PAST_RANGE_MAX_SPAN_MS,
      )) {
        const body = await this.get(
          '/carbon-intensity/past-range',
          { start: window.from.toISOString(), end: window.to.toISOString() },
          pastRangeSchema,
          'past-range',
        );
        slots.push(...body.data.map(toActualSlot));
      }
    }
    // `recent` last, so a revised value from history wins over an older past-range copy.
    slots.push(...recent);
    return dedupeAndSort(clipToWindow(slots, from, to));
  }

  private async get<T>(
    path: string,
    params: Record<string, string>,
    schema: z.ZodMiniType<T>,
    endpoint = path.split('/').pop() ?? path,
  ): Promise<T> {
    const query = new URLSearchParams({
      zone: this.options.zone,
      emissionFactorType: ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE,
      ...params,
    });
    const response = await this.options.http.request({
      method: 'GET',
      url: `${this.baseUrl}${path}?${query.toString()}`,
      headers: { 'auth-token': this.options.token },
      secretHeaders: ['auth-token'],
      timeoutMs: this.options.timeoutMs,
      maxRetries: INTENSITY_MAX_RETRIES,
      sourceName: this.sourceName,
    });
    this.throwOnAuthFailure(response, endpoint);
    return decodeResponse(response, { sourceName: this.sourceName, schema });
  }

  private throwOnAuthFailure(response: HttpResponse, endpoint: string): void {
    if (response.status === 401) {
      throw new DataSourceError(
        this.sourceName,
        `refused the token (HTTP 401): check ${ELECTRICITY_MAPS_TOKEN_ENV}`,
        {
          hint: 'the token is wrong, expired or revoked; get one at https://portal.electricitymaps.com',
        },
      );
    }
    if (response.status === 403) {
      throw new DataSourceError(
        this.sourceName,
        `token has no access to zone ${this.options.zone} (HTTP 403, ${endpoint})`,
        {
          hint:
            endpoint === 'past-range'
              ? 'past-range (windows older than 24 h) needs a commercial plan; free tokens cover latest and history for one zone'
              : 'free-tier tokens are bound to one zone: check --zone, or the token in ' +
                ELECTRICITY_MAPS_TOKEN_ENV,
        },
      );
    }
  }
}

function toActualSlot(datum: Datum): IntensitySlot {
  return {
    from: datum.datetime,
    to: new Date(datum.datetime.getTime() + HOUR_MS),
    forecast: null,
    // A null value stays null: the caller falls back and flags it, never a silent 0.
    actual: datum.carbonIntensity,
    index: null,
  };
}

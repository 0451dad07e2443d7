/**
 * Hourly grid intensity for accounting: SPEC §2's fallback chain, orchestrated once for every
 * command that prices an hour (track, budget check, clusters, recommendations, calculate --at,
 * intensity --at). The decision per hour is core's {@link decideHourIntensity}; this module only
 * gathers its inputs: the ledger's intensity cache (behind {@link IntensityCache}), the
 * provider's history, its forecast for hours near now, and the static annual average.
 *
 * Values outside (0, 2000] g/kWh are unusable: the providers turn them into gaps at the
 * boundary, and only usable actual values are ever cached — so a bad answer is never kept and a
 * later healthy run gets the real value.
 */
import { coveringHours, HOUR_MS, hourStarts } from '../core/hours.js';
import {
  decideHourIntensity,
  hourlyIntensityIndex,
  isUsableIntensity,
  type HourIntensity,
  type SlotHourIntensity,
} from '../core/intensity.js';
import type { IntensityProvider, IntensitySlot } from '../core/ports.js';
import { DataSourceError } from '../errors.js';
import type { HttpClient } from '../providers/http.js';
import type { Ledger } from '../store/types.js';
import type { ClusterProfile } from './profile.js';

/** How far ahead the GB Carbon Intensity API forecasts (reference/carbon-intensity-apis.md: fw48h). */
const FORECAST_HORIZON_HOURS = 48;

/** The ledger's intensity cache, as the pipeline needs it. */
export type IntensityCache = Pick<Ledger, 'cachedIntensitySlots' | 'cacheIntensitySlots'>;

/** How the user asked for intensities. */
export interface IntensityRequest {
  /** `--intensity <g/kWh>`: used for every hour, no provider asked. */
  givenGPerKwh: number | null;
  /** `--allow-estimates`: the static annual average for hours the provider has no usable value for. */
  allowEstimates: boolean;
}

/** What the orchestrator needs from the outside world. */
export interface IntensityDeps {
  http: () => Promise<HttpClient>;
  now: Date;
  cache: IntensityCache | null;
  warn: (message: string) => void;
}

/** The intensity of every hour of a window, with provenance. */
export interface HourlyIntensities {
  /** `uk`, `electricitymaps`, `static`, `fixed`, or `given` for `--intensity`. */
  provider: string;
  region: string;
  /**
   * The intensity of the hour starting at `hourMs`. Throws a DataSourceError (exit 3) naming the
   * window's hours without a usable value when estimates are not allowed.
   */
  at(hourMs: number): HourIntensity;
}

/** Resolves the intensity of every hour of `window` (outwards to whole hours) for a profile. */
export async function resolveHourlyIntensities(
  deps: IntensityDeps,
  profile: ClusterProfile,
  window: { from: Date; to: Date },
  request: IntensityRequest,
): Promise<HourlyIntensities> {
  const { from, to } = coveringHours(window);
  // The flag or the config's `intensity.allowEstimates` (SPEC §2).
  request = { ...request, allowEstimates: request.allowEstimates || profile.allowEstimates };
  const given = request.givenGPerKwh;
  if (given !== null) {
    const value: HourIntensity = { gPerKwh: given, kind: 'fixed', reasons: [] };
    return { provider: 'given', region: 'given (--intensity)', at: () => value };
  }
  const { createIntensityProvider } = await import('../providers/intensity/index.js');
  const provider = createIntensityProvider(profile.intensity, deps.http);
  const offline = provider.name === 'static' || provider.name === 'fixed';
  const fixedKind =
    provider.name === 'static' ? 'static' : provider.name === 'fixed' ? 'fixed' : null;
  const hours = hourStarts({ from, to });
  const found = new Map<number, SlotHourIntensity>();
  const fill = (slots: readonly IntensitySlot[], fromMs: number, toMs: number): void => {
    for (const [hour, value] of hourlyIntensityIndex(slots, fromMs, toMs))
      if (!found.has(hour)) found.set(hour, value);
  };
  const missing = (): number[] => hours.filter((hour) => !found.has(hour));

  const cache = offline ? null : deps.cache;
  if (cache !== null && hours.length > 0)
    fill(
      cache.cachedIntensitySlots(provider.name, provider.regionLabel, from, to),
      from.getTime(),
      to.getTime(),
    );

  let failure: DataSourceError | null = null;
  const ask = async (fetch: () => Promise<IntensitySlot[]>, fromMs: number, toMs: number) => {
    try {
      const slots = await fetch();
      fill(slots, fromMs, toMs);
      return slots;
    } catch (error) {
      if (!(error instanceof DataSourceError)) throw error;
      failure ??= error;
      return [];
    }
  };

  let gaps = missing();
  if (gaps.length > 0) {
    const start = gaps[0] as number;
    const end = (gaps[gaps.length - 1] as number) + HOUR_MS;
    const fetched = await ask(() => provider.history(new Date(start), new Date(end)), start, end);
    // Only finished, usable outturn is kept: forecasts are replaced by actuals later, and an
    // unusable value (already a null from the provider's boundary) must never stick.
    const keep = fetched
      .filter((slot) => isUsableIntensity(slot.actual))
      .map((slot) => ({
        ...slot,
        forecast: isUsableIntensity(slot.forecast) ? slot.forecast : null,
      }));
    if (cache !== null && keep.length > 0)
      cache.cacheIntensitySlots(provider.name, provider.regionLabel, keep, deps.now);
  }

  // Hours history could not cover (the current hour's future half, an API gap): the forecast,
  // when they are within its horizon.
  const nowMs = deps.now.getTime();
  gaps = missing().filter(
    (hour) => hour + HOUR_MS > nowMs - HOUR_MS && hour < nowMs + FORECAST_HORIZON_HOURS * HOUR_MS,
  );
  if (gaps.length > 0 && !offline) {
    const start = gaps[0] as number;
    const end = (gaps[gaps.length - 1] as number) + HOUR_MS;
    const span = Math.min(FORECAST_HORIZON_HOURS, Math.ceil((end - start) / HOUR_MS));
    await ask(() => provider.forecast(new Date(start), span), start, end);
  }

  const unresolved = missing();
  let staticAnnual: number | null = null;
  if (unresolved.length > 0 && request.allowEstimates) {
    staticAnnual = await staticAnnualAverage(profile.staticZone);
    if (staticAnnual !== null) {
      deps.warn(
        `no usable ${provider.name} intensity (${provider.regionLabel}) for ${describeHours(unresolved)}${causeOf(failure)}; using the static annual average for ${profile.staticZone}: ${staticAnnual} g/kWh (estimated, --allow-estimates)`,
      );
    }
  }

  const decided = new Map<number, HourIntensity>();
  return {
    provider: provider.name,
    region: provider.regionLabel,
    at(hourMs) {
      const known = decided.get(hourMs);
      if (known !== undefined) return known;
      const value = decideHourIntensity({
        provider: found.get(hourMs) ?? null,
        fixedKind,
        staticAnnualGPerKwh: staticAnnual,
        allowEstimates: request.allowEstimates,
      });
      if (value === null)
        throw noIntensity(provider, profile, unresolved, hourMs, failure, request);
      decided.set(hourMs, value);
      return value;
    },
  };
}

/** The static annual average of a zone, or null when the dataset has none. */
async function staticAnnualAverage(zone: string): Promise<number | null> {
  try {
    const { lookupStaticIntensity } = await import('../providers/intensity/static.js');
    const value = (await lookupStaticIntensity(zone)).intensityGPerKwh;
    return isUsableIntensity(value) ? value : null;
  } catch {
    return null;
  }
}

function causeOf(failure: DataSourceError | null): string {
  return failure === null ? '' : ` (${failure.message})`;
}

/** `3 hours from 2025-01-06T02:00:00.000Z` */
function describeHours(hours: readonly number[]): string {
  const first = new Date(hours[0] as number).toISOString();
  return hours.length === 1 ? `the hour from ${first}` : `${hours.length} hours from ${first}`;
}

/** The exit-3 refusal for an hour without a usable value (SPEC §2: never a silent fallback). */
function noIntensity(
  provider: IntensityProvider,
  profile: ClusterProfile,
  unresolved: readonly number[],
  hourMs: number,
  failure: DataSourceError | null,
  request: IntensityRequest,
): DataSourceError {
  const hours = unresolved.length > 0 ? unresolved : [hourMs];
  return new DataSourceError(
    `Intensity provider ${provider.name} (${provider.regionLabel})`,
    `has no usable intensity for ${describeHours(hours)}${causeOf(failure)}`,
    {
      hint: request.allowEstimates
        ? `The static dataset has no annual average for zone ${profile.staticZone}: configure provider "fixed" with a value, or give --intensity <g/kWh>.`
        : `Pass --allow-estimates to use the static annual average for zone ${profile.staticZone} (flagged as estimated), or --intensity <g/kWh>.`,
      ...(failure === null ? {} : { cause: failure }),
    },
  );
}

/**
 * Time-resolved grid intensity for a set of UTC hours with SPEC §2's fallback chain: provider
 * actual → provider forecast → static annual average for the zone (only with
 * `--allow-estimates`) → refuse (exit 3). Every fallback is named in the estimation reasons;
 * never a silent 0. Used by `budget check` (live and offline) and `clusters` (run rate); general
 * enough for any command that needs hourly factors without the ledger's intensity cache.
 */
import type { Context } from '../../context.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import { hourlyIntensity } from '../../core/intensity.js';
import type { IntensityKind, IntensityProvider, IntensitySlot } from '../../core/ports.js';
import { DataSourceError } from '../../errors.js';
import { intensityConfig } from '../shared/intensity.js';

const HOUR_MS = 3_600_000;
/** How far ahead the GB Carbon Intensity API forecasts (reference/carbon-intensity-apis.md: fw48h). */
const FORECAST_HORIZON_HOURS = 48;

/** The intensity that applies to one hour, and what kind of figure it is. */
export interface HourIntensity {
  gPerKwh: number;
  kind: IntensityKind;
}

/** Hourly intensities plus provenance for output and JSON. */
export interface IntensitySeries {
  /** Keyed by the hour's start in epoch milliseconds. */
  byHour: Map<number, HourIntensity>;
  /** `uk`, `electricitymaps`, `static`, `fixed`, or `given` for `--intensity`. */
  provider: string;
  /** Where the figures are for (`GB national`, `DE`, …). */
  region: string;
  /** Estimation reasons the intensities add (`intensity_forecast`, `intensity_static_annual`), sorted. */
  reasons: string[];
}

/** How the user asked for intensities: a given value, and whether static estimates are allowed. */
export interface IntensityRequest {
  /** `--intensity <g/kWh>`: used for every hour, no provider asked. */
  givenGPerKwh: number | null;
  /** `--allow-estimates`: fall back to the static annual average when the provider has nothing. */
  allowEstimates: boolean;
}

/** Intensities for each hour start in `hours`, for `cluster`'s provider settings (or the global ones). */
export async function hourlyIntensities(
  context: Context,
  settings: Settings,
  cluster: ClusterSettings | undefined,
  hours: readonly Date[],
  request: IntensityRequest,
): Promise<IntensitySeries> {
  const byHour = new Map<number, HourIntensity>();
  if (request.givenGPerKwh !== null) {
    for (const hour of hours)
      byHour.set(hour.getTime(), { gPerKwh: request.givenGPerKwh, kind: 'fixed' });
    return { byHour, provider: 'given', region: 'given (--intensity)', reasons: [] };
  }
  const config = intensityConfig(settings, cluster);
  const { createIntensityProvider } = await import('../../providers/intensity/index.js');
  const provider = createIntensityProvider(config, await context.http());
  const reasons = new Set<string>();
  if (hours.length === 0)
    return { byHour, provider: provider.name, region: provider.regionLabel, reasons: [] };

  const sorted = [...hours].sort((a, b) => a.getTime() - b.getTime());
  const first = sorted[0] as Date;
  const last = sorted[sorted.length - 1] as Date;
  let failure: unknown = null;
  const fill = (slots: readonly IntensitySlot[]): void => {
    for (const hour of sorted) {
      if (byHour.has(hour.getTime())) continue;
      const value = hourlyIntensity(slots, hour);
      if (value === null) continue;
      const kind = kindOf(provider, value.kind);
      byHour.set(hour.getTime(), { gPerKwh: value.intensityGPerKwh, kind });
    }
  };
  try {
    fill(await provider.history(first, new Date(last.getTime() + HOUR_MS)));
  } catch (error) {
    if (!(error instanceof DataSourceError)) throw error;
    failure = error;
  }

  // Hours history could not cover (the current hour's future half, an API gap): the forecast,
  // when they are within its horizon.
  const now = context.now().getTime();
  const forecastable = sorted.filter(
    (hour) =>
      !byHour.has(hour.getTime()) &&
      hour.getTime() + HOUR_MS > now - HOUR_MS &&
      hour.getTime() < now + FORECAST_HORIZON_HOURS * HOUR_MS,
  );
  if (failure === null && forecastable.length > 0) {
    const start = forecastable[0] as Date;
    const end = (forecastable[forecastable.length - 1] as Date).getTime() + HOUR_MS;
    const span = Math.min(FORECAST_HORIZON_HOURS, Math.ceil((end - start.getTime()) / HOUR_MS));
    try {
      fill(await provider.forecast(start, span));
    } catch (error) {
      if (!(error instanceof DataSourceError)) throw error;
      failure = error;
    }
  }

  const missing = sorted.filter((hour) => !byHour.has(hour.getTime()));
  if (missing.length > 0) {
    if (!request.allowEstimates) {
      const firstMissing = (missing[0] as Date).toISOString();
      const cause = failure instanceof DataSourceError ? ` (${failure.message})` : '';
      throw new DataSourceError(
        `Intensity provider ${provider.name} (${provider.regionLabel})`,
        `has no intensity for ${missing.length} hour${missing.length === 1 ? '' : 's'} from ${firstMissing}${cause}`,
        {
          hint: `Pass --allow-estimates to use the static annual average for zone ${config.zone} (flagged as estimated), or --intensity <g/kWh>.`,
          cause: failure ?? undefined,
        },
      );
    }
    const { lookupStaticIntensity } = await import('../../providers/intensity/static.js');
    const fallback = await lookupStaticIntensity(config.zone);
    context.io.warn(
      `no ${provider.name} intensity for ${missing.length} hour(s); using the static annual average for ${fallback.datasetZone}: ${fallback.intensityGPerKwh} g/kWh (estimated)`,
    );
    for (const hour of missing) {
      byHour.set(hour.getTime(), { gPerKwh: fallback.intensityGPerKwh, kind: 'static' });
    }
  }
  for (const value of byHour.values()) {
    if (value.kind === 'forecast') reasons.add('intensity_forecast');
    if (value.kind === 'static') reasons.add('intensity_static_annual');
  }
  return {
    byHour,
    provider: provider.name,
    region: provider.regionLabel,
    reasons: [...reasons].sort(),
  };
}

/** Offline providers report their constant slots as actuals; name them for what they are. */
function kindOf(provider: IntensityProvider, kind: 'actual' | 'forecast'): IntensityKind {
  if (provider.name === 'static') return 'static';
  if (provider.name === 'fixed') return 'fixed';
  return kind;
}

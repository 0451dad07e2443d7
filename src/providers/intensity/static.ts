/**
 * Offline annual-average intensity per country or zone, from the datasets shipped in the
 * `@tgwf/co2` package (The Green Web Foundation's CO2.js, code Apache-2.0), so the numbers come
 * from a maintained data package rather than a hand-typed table (SPEC §3).
 *
 * Two datasets are in that package (co2.js README "Licenses"; data/functions/ generators):
 * - `electricityMaps.yearlyYYYY` (2021–2025 in 0.19): Electricity Maps annual averages per
 *   zone, fetched from `/v3/carbon-intensity/past?temporalGranularity=yearly` (lifecycle
 *   gCO2eq/kWh, consumption-based), republished under the Open Database License (ODbL 1.0):
 *   attribute Electricity Maps. Keyed by zone (`GB`, `DE`, `US-CAL-CISO`) with the year explicit.
 * - `averageIntensity`: Ember's yearly country overview (latest year Ember has per country,
 *   year not exposed by the package), keyed by ISO alpha-3; CC BY-SA 4.0 as the co2.js README
 *   states.
 * Zone keys and sub-national zones match the rest of carbonctl (config `intensity.zone`,
 * Electricity Maps provider) and the year is stated, so Electricity Maps is the primary
 * dataset; alpha-3 codes, which it does not key by, are answered from Ember and labelled so.
 * The data modules are imported on first use only: the CLI's start-up must not pay for them.
 */
import { UsageError } from '../../errors.js';
import type { CurrentIntensity, IntensityProvider, IntensitySlot } from '../../core/ports.js';
import { HOUR_MS, constantHourlySlots, floorToHour } from './common.js';

/** Where a static value came from: enough to print provenance in a report. */
export interface StaticIntensity {
  /** The zone as requested, upper-cased (e.g. `US-XYZ-ABC`). */
  requestedZone: string;
  /** The dataset key the value belongs to (e.g. `US` when the sub-zone is not in the data). */
  datasetZone: string;
  /** The dataset's name for that zone, when it has one (`Germany`, `California ISO`). */
  zoneName: string | null;
  /** Annual average, g/kWh. */
  intensityGPerKwh: number;
  /** The calendar year averaged; null when the dataset does not say (Ember via co2.js). */
  year: number | null;
  dataset: 'electricitymaps-yearly' | 'ember';
  /** Attribution and licence, for `sourceDescription` and report provenance. */
  sourceDescription: string;
}

const ZONES_HINT =
  'use an ISO 3166 country code (GB, DE, FR, or alpha-3 DEU) or an Electricity Maps zone key (US-CAL-CISO, AU-NSW); the zone list is at https://api.electricitymap.org/v3/zones (no token needed) and on https://app.electricitymaps.com/map';

interface YearlyEntry {
  year: number;
  zones: Record<string, unknown>;
}

/** The Electricity Maps yearly datasets, newest first, validated loosely at runtime. */
async function loadYearlyDatasets(): Promise<YearlyEntry[]> {
  const module = await import('@tgwf/co2/data/electricity-maps');
  const entries: YearlyEntry[] = [];
  for (const [key, value] of Object.entries(module.default)) {
    const match = /^yearly(\d{4})$/.exec(key);
    const zones = (value as { data?: unknown } | null)?.data;
    if (match?.[1] === undefined || zones === null || typeof zones !== 'object') continue;
    entries.push({ year: Number(match[1]), zones: zones as Record<string, unknown> });
  }
  return entries.sort((a, b) => b.year - a.year);
}

function yearlyValue(entry: unknown): { intensityGPerKwh: number; zoneName: string | null } | null {
  if (entry === null || typeof entry !== 'object') return null;
  const { carbonIntensity, zone } = entry as {
    carbonIntensity?: { value?: unknown };
    zone?: { zoneName?: unknown; displayName?: unknown };
  };
  const value = carbonIntensity?.value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  const name = zone?.displayName ?? zone?.zoneName;
  return { intensityGPerKwh: value, zoneName: typeof name === 'string' ? name : null };
}

/** `US-CAL-XYZ` → [`US-CAL-XYZ`, `US-CAL`, `US`]: the most specific zone first (location-based hierarchy). */
function zoneCandidates(zone: string): string[] {
  const parts = zone.split('-');
  const candidates: string[] = [];
  for (let length = parts.length; length >= 1; length--) {
    candidates.push(parts.slice(0, length).join('-'));
  }
  return candidates;
}

/** Looks up the annual average for a zone; throws UsageError naming how to find valid codes. */
export async function lookupStaticIntensity(zone: string): Promise<StaticIntensity> {
  const requestedZone = zone.trim().toUpperCase();
  if (!/^[A-Z]{2,3}(?:-[A-Z0-9]+)*$/.test(requestedZone)) {
    throw new UsageError(`zone ${JSON.stringify(zone)} is not a country or zone code`, {
      hint: ZONES_HINT,
    });
  }

  if (/^[A-Z]{3}$/.test(requestedZone)) {
    const dataModule = await import('@tgwf/co2/data');
    const data = (dataModule.averageIntensity as { data?: Record<string, unknown> } | null)?.data;
    const value = data?.[requestedZone];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
      return {
        requestedZone,
        datasetZone: requestedZone,
        zoneName: null,
        intensityGPerKwh: value,
        year: null,
        dataset: 'ember',
        sourceDescription: `Ember annual average grid intensity for ${requestedZone} (latest year Ember publishes), via @tgwf/co2; CC BY-SA 4.0`,
      };
    }
    throw unknownZone(zone, []);
  }

  const datasets = await loadYearlyDatasets();
  for (const candidate of zoneCandidates(requestedZone)) {
    for (const dataset of datasets) {
      const found = yearlyValue(dataset.zones[candidate]);
      if (found === null) continue;
      const zoneText = found.zoneName === null ? candidate : `${candidate} (${found.zoneName})`;
      const via = candidate === requestedZone ? '' : `, used for ${requestedZone}`;
      return {
        requestedZone,
        datasetZone: candidate,
        zoneName: found.zoneName,
        intensityGPerKwh: found.intensityGPerKwh,
        year: dataset.year,
        dataset: 'electricitymaps-yearly',
        sourceDescription: `Electricity Maps ${dataset.year} annual average for ${zoneText}${via}, lifecycle gCO2eq/kWh, via @tgwf/co2; Electricity Maps data, ODbL 1.0`,
      };
    }
  }
  const country = requestedZone.slice(0, 2);
  const similar = [...new Set(datasets.flatMap((dataset) => Object.keys(dataset.zones)))].filter(
    (key) => key === country || key.startsWith(`${country}-`),
  );
  throw unknownZone(zone, similar);
}

function unknownZone(zone: string, similar: string[]): UsageError {
  const suggestion =
    similar.length > 0
      ? ` (zones starting with ${similar[0]?.slice(0, 2)}: ${similar.slice(0, 8).join(', ')}${similar.length > 8 ? ', …' : ''})`
      : '';
  return new UsageError(
    `zone ${JSON.stringify(zone)} has no annual average in the static dataset${suggestion}`,
    { hint: ZONES_HINT },
  );
}

/** Offline provider: the zone's annual average for every hour (kind `static`). */
export class StaticIntensityProvider implements IntensityProvider {
  readonly name = 'static' as const;
  readonly regionLabel: string;
  private lookup: Promise<StaticIntensity> | undefined;
  private resolved: StaticIntensity | undefined;

  constructor(private readonly zone: string) {
    this.regionLabel = zone.trim().toUpperCase();
  }

  /** Names the dataset, year and licence once a value has been looked up; a generic line before. */
  get sourceDescription(): string {
    return (
      this.resolved?.sourceDescription ??
      `annual average grid intensity for ${this.regionLabel} from @tgwf/co2 (Electricity Maps yearly data, ODbL 1.0; Ember for alpha-3 codes, CC BY-SA 4.0)`
    );
  }

  /** The value and its provenance (loads the dataset on first use). */
  async resolve(): Promise<StaticIntensity> {
    this.lookup ??= lookupStaticIntensity(this.zone);
    try {
      this.resolved = await this.lookup;
    } catch (error) {
      this.lookup = undefined;
      throw error;
    }
    return this.resolved;
  }

  /** The annual average for the hour containing `now`. */
  async current(now: Date): Promise<CurrentIntensity> {
    const { intensityGPerKwh } = await this.resolve();
    const from = floorToHour(now);
    return {
      from,
      to: new Date(from.getTime() + HOUR_MS),
      intensityGPerKwh,
      kind: 'static',
      index: null,
    };
  }

  /** Hourly slots over `[from, from + hours)` carrying the annual average. */
  async forecast(from: Date, hours: number): Promise<IntensitySlot[]> {
    const { intensityGPerKwh } = await this.resolve();
    return constantHourlySlots(from, new Date(from.getTime() + hours * HOUR_MS), intensityGPerKwh);
  }

  /** Hourly slots over `[from, to)` carrying the annual average. */
  async history(from: Date, to: Date): Promise<IntensitySlot[]> {
    const { intensityGPerKwh } = await this.resolve();
    return constantHourlySlots(from, to, intensityGPerKwh);
  }
}

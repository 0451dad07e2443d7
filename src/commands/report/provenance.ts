/**
 * The factors a report's JSON metadata names, taken from the ledger rows it exports rather than
 * from the settings at export time (SPEC §5: each entity-hour keeps the factors it was computed
 * with; methodology.md §9.1 `methodology`, `emissionFactorSources`). Settings only fill in when
 * the selection has no rows.
 *
 * Shape, documented for consumers of the JSON export: every factor field (`version`,
 * `power_profile`, `watts`, `pue`, `intensity_provider`, `region`, `market_factor.g_per_kwh`,
 * `embodied.grams_per_core_hour`) holds **a single value when every exported row agrees, or the
 * array of the distinct values (sorted) when they differ**; `factor_sets` always lists each
 * distinct combination with the entity-hours and kWh it covers, so an auditor can tell which
 * watts went with which PUE and how much of the report each produced.
 */
import type { Settings } from '../../config/schema.js';
import { clusterProfile } from '../../accounting/profile.js';
import { METHODOLOGY_VERSION } from '../../core/methodology.js';
import { parseUkRegion, ukRegionLabel } from '../../providers/intensity/uk-region.js';
import type { ProvenanceRow } from '../../store/types.js';

/** A value when all exported rows agree, the sorted distinct values when they do not. */
export type OneOrMany<T> = T | T[];

/** Watts per core (busy, idle) and per GiB of memory, as the metadata writes them. */
export interface WattsRecord {
  busy_per_core: number;
  idle_per_core: number;
  memory_per_gib: number;
}

/** One distinct combination of factors and sources, with the share of the export it covers. */
export interface FactorSet {
  intensity_provider: string;
  /** `actual`, `forecast`, `static`, `fixed`: varies hour by hour, so listed, not split on. */
  intensity_kinds: string[];
  region: string;
  power_profile: string;
  watts: WattsRecord;
  pue: number;
  embodied_grams_per_core_hour: number;
  market_factor_g_per_kwh: number | null;
  methodology_version: string;
  /** Entity-hours computed with these factors; null when they come from the configuration. */
  entity_hours: number | null;
  /** Their energy, kWh; null when they come from the configuration. */
  energy_kwh: number | null;
}

/** The provenance part of `metadata.methodology`. */
export interface MethodologyProvenance {
  /** Where the factors come from: `ledger` (the exported rows) or `configuration` (no rows). */
  factors_from: 'ledger' | 'configuration';
  version: OneOrMany<string>;
  power_profile: OneOrMany<string>;
  watts: OneOrMany<WattsRecord>;
  pue: OneOrMany<number>;
  intensity_provider: OneOrMany<string>;
  intensity_kinds: string[];
  region: OneOrMany<string>;
  /** Distinct (provider, region) pairs, for `emission_factor_sources`. */
  sources: Array<{ provider: string; region: string }>;
  market_factor_g_per_kwh: OneOrMany<number | null>;
  embodied_grams_per_core_hour: OneOrMany<number>;
  factor_sets: FactorSet[];
}

/** Sorts null first, numbers numerically, strings by code unit, objects by their JSON. */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = typeof a === 'string' ? a : JSON.stringify(a);
  const right = typeof b === 'string' ? b : JSON.stringify(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The single value when all `values` are equal (by JSON), else the sorted distinct values. */
export function oneOrMany<T>(values: readonly T[]): OneOrMany<T> {
  const distinct = new Map<string, T>();
  for (const value of values) distinct.set(JSON.stringify(value), value);
  const sorted = [...distinct.values()].sort(compareValues);
  return sorted.length === 1 ? (sorted[0] as T) : sorted;
}

/** Factor sets from the ledger's provenance rows: merged across intensity kinds and currencies. */
function factorSetsFromLedger(rows: readonly ProvenanceRow[]): FactorSet[] {
  const sets = new Map<string, FactorSet>();
  for (const row of rows) {
    const set: FactorSet = {
      intensity_provider: row.intensityProvider,
      intensity_kinds: [],
      region: row.region,
      power_profile: row.powerProfile,
      watts: {
        busy_per_core: row.busyWattsPerCore,
        idle_per_core: row.idleWattsPerCore,
        memory_per_gib: row.memoryWattsPerGiB,
      },
      pue: row.pue,
      embodied_grams_per_core_hour: row.embodiedGramsPerCoreHour,
      market_factor_g_per_kwh: row.marketFactorGPerKwh,
      methodology_version: row.methodologyVersion,
      entity_hours: 0,
      energy_kwh: 0,
    };
    const key = JSON.stringify(set);
    const existing = sets.get(key) ?? set;
    sets.set(key, existing);
    if (!existing.intensity_kinds.includes(row.intensityKind))
      existing.intensity_kinds = [...existing.intensity_kinds, row.intensityKind].sort();
    existing.entity_hours = (existing.entity_hours ?? 0) + row.entityHours;
    existing.energy_kwh = (existing.energy_kwh ?? 0) + row.energyKwh;
  }
  // Largest share first, then by the factors themselves: deterministic bytes for golden files.
  return [...sets.values()].sort(
    (a, b) =>
      (b.entity_hours ?? 0) - (a.entity_hours ?? 0) ||
      compareValues(
        { ...a, entity_hours: null, energy_kwh: null },
        { ...b, entity_hours: null, energy_kwh: null },
      ),
  );
}

/** The region label `track` would record for the configured provider (see providers/intensity). */
function configuredRegion(settings: Settings): string {
  const { provider, region, zone } = settings.intensity;
  switch (provider) {
    case 'uk':
      return ukRegionLabel(parseUkRegion(region));
    case 'fixed':
      return 'any (fixed value)';
    default:
      return zone.trim().toUpperCase();
  }
}

/** The one factor set the configuration would produce: the fallback for an empty selection. */
function factorSetFromSettings(settings: Settings): FactorSet {
  const factors = clusterProfile(settings).factors;
  return {
    intensity_provider: settings.intensity.provider,
    intensity_kinds: [],
    region: configuredRegion(settings),
    power_profile: factors.power.profile,
    watts: {
      busy_per_core: factors.power.busyWattsPerCore,
      idle_per_core: factors.power.idleWattsPerCore,
      memory_per_gib: factors.power.memoryWattsPerGiB,
    },
    pue: factors.pue,
    embodied_grams_per_core_hour: factors.embodiedGramsPerCoreHour,
    market_factor_g_per_kwh: factors.marketFactorGPerKwh,
    methodology_version: METHODOLOGY_VERSION,
    entity_hours: null,
    energy_kwh: null,
  };
}

/**
 * What the metadata says about factors and sources: from the distinct provenance of the
 * exported rows, or from the settings when there are none (`factors_from` tells which).
 */
export function methodologyProvenance(
  rows: readonly ProvenanceRow[],
  settings: Settings,
): MethodologyProvenance {
  const fromLedger = rows.length > 0;
  const sets = fromLedger ? factorSetsFromLedger(rows) : [factorSetFromSettings(settings)];
  const pick = <T>(field: (set: FactorSet) => T): OneOrMany<T> => oneOrMany(sets.map(field));
  const sources = new Map<string, { provider: string; region: string }>();
  for (const set of sets) {
    const source = { provider: set.intensity_provider, region: set.region };
    sources.set(JSON.stringify(source), source);
  }
  return {
    factors_from: fromLedger ? 'ledger' : 'configuration',
    version: pick((set) => set.methodology_version),
    power_profile: pick((set) => set.power_profile),
    watts: pick((set) => set.watts),
    pue: pick((set) => set.pue),
    intensity_provider: pick((set) => set.intensity_provider),
    intensity_kinds: [...new Set(sets.flatMap((set) => set.intensity_kinds))].sort(),
    region: pick((set) => set.region),
    sources: [...sources.values()].sort(compareValues),
    market_factor_g_per_kwh: pick((set) => set.market_factor_g_per_kwh),
    embodied_grams_per_core_hour: pick((set) => set.embodied_grams_per_core_hour),
    factor_sets: sets,
  };
}

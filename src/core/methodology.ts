/**
 * The carbon maths of SPEC §2: CPU core-seconds (and memory GiB-hours) → energy → Scope 2
 * location/market, Scope 3 embodied, and cost. Pure functions over explicit factors, so
 * every number can be recomputed from what a report records.
 */
import { POWER_PROFILES, type PowerProfileName } from './power.js';

/** Version of the methodology recorded with every ledger row and report (bump when formulas or defaults change). */
export const METHODOLOGY_VERSION = 'carbonctl-2026.1';

/** Joules per kWh: 1 kWh = 3.6 × 10⁶ J (reference/methodology.md §1). */
const JOULES_PER_KWH = 3_600_000;

/** The power model in effect: which profile and its watts. */
export interface PowerModel {
  profile: PowerProfileName;
  busyWattsPerCore: number;
  idleWattsPerCore: number;
  memoryWattsPerGiB: number;
}

/** Unit prices for the cost estimate, in `currency`. */
export interface CostRates {
  currency: string;
  perCoreHour: number;
  perGiBHour: number;
  perKwh: number;
}

/** Everything besides activity and the hour's grid intensity that the footprint depends on. */
export interface MethodologyFactors {
  power: PowerModel;
  pue: number;
  embodiedGramsPerCoreHour: number;
  /** Market-based Scope 2 factor in g/kWh (supplier contract / residual mix); null = not known. */
  marketFactorGPerKwh: number | null;
  cost: CostRates;
}

/** Activity of one entity over one period (normally one UTC hour). */
export interface Activity {
  busySeconds: number;
  idleSeconds: number;
  memoryGiBHours: number;
}

/** Energy split by source; busy/idle/memory/total include PUE, `itKwh` excludes it (total = it × PUE). */
export interface EnergyBreakdown {
  busyKwh: number;
  idleKwh: number;
  memoryKwh: number;
  itKwh: number;
  totalKwh: number;
}

/** Emissions (gCO2e), energy and cost of one activity, with why any part is estimated. */
export interface Footprint {
  energy: EnergyBreakdown;
  busyGrams: number;
  idleGrams: number;
  memoryGrams: number;
  scope2LocationGrams: number;
  scope2MarketGrams: number;
  scope3EmbodiedGrams: number;
  /** Location-based Scope 2 + Scope 3 embodied (SPEC §7 `total_kgco2e`). */
  totalGrams: number;
  cost: number;
  estimationReasons: string[];
}

/** The built-in defaults of SPEC §1.3 (ada profile, PUE 1, no embodied, no market factor, USD rates). */
export const DEFAULT_METHODOLOGY_FACTORS: Readonly<MethodologyFactors> =
  Object.freeze<MethodologyFactors>({
    power: Object.freeze<PowerModel>({
      profile: 'ada',
      busyWattsPerCore: POWER_PROFILES.ada.busyWattsPerCore,
      idleWattsPerCore: POWER_PROFILES.ada.idleWattsPerCore,
      memoryWattsPerGiB: 0,
    }),
    pue: 1.0,
    embodiedGramsPerCoreHour: 0,
    marketFactorGPerKwh: null,
    cost: Object.freeze({
      currency: 'USD',
      perCoreHour: 0.031611,
      perGiBHour: 0.004237,
      perKwh: 0,
    }),
  });

function assertNonNegativeFinite(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    // A programming error upstream (parsers and the config schema reject such values).
    throw new RangeError(`${name} must be a finite non-negative number, got ${value}`);
  }
}

/** The power model for a profile: the profile's watts unless overridden (`custom` requires both watts). */
export function powerModelFor(
  profile: PowerProfileName,
  overrides: {
    busyWattsPerCore?: number | null;
    idleWattsPerCore?: number | null;
    memoryWattsPerGiB?: number | null;
  } = {},
): PowerModel {
  const base = profile === 'custom' ? undefined : POWER_PROFILES[profile];
  const busyWattsPerCore = overrides.busyWattsPerCore ?? base?.busyWattsPerCore;
  const idleWattsPerCore = overrides.idleWattsPerCore ?? base?.idleWattsPerCore;
  if (busyWattsPerCore === undefined || idleWattsPerCore === undefined) {
    throw new RangeError(
      'the custom power profile needs both busyWattsPerCore and idleWattsPerCore',
    );
  }
  const memoryWattsPerGiB = overrides.memoryWattsPerGiB ?? base?.memoryWattsPerGiB ?? 0;
  assertNonNegativeFinite('busyWattsPerCore', busyWattsPerCore);
  assertNonNegativeFinite('idleWattsPerCore', idleWattsPerCore);
  assertNonNegativeFinite('memoryWattsPerGiB', memoryWattsPerGiB);
  return { profile, busyWattsPerCore, idleWattsPerCore, memoryWattsPerGiB };
}

/** The PUE to use: the configured one, else the profile's default (cloud profiles), else 1. */
export function effectivePue(
  profile: PowerProfileName,
  configuredPue: number | null | undefined,
): number {
  if (configuredPue !== null && configuredPue !== undefined) return configuredPue;
  return (profile === 'custom' ? null : POWER_PROFILES[profile].defaultPue) ?? 1;
}

/** Energy of an activity (SPEC §2): watts × seconds / 3.6e6 per term, × PUE. */
export function computeEnergy(activity: Activity, power: PowerModel, pue: number): EnergyBreakdown {
  assertNonNegativeFinite('busySeconds', activity.busySeconds);
  assertNonNegativeFinite('idleSeconds', activity.idleSeconds);
  assertNonNegativeFinite('memoryGiBHours', activity.memoryGiBHours);
  if (!Number.isFinite(pue) || pue <= 0)
    throw new RangeError(`pue must be a positive number, got ${pue}`);
  const busyItKwh = (activity.busySeconds * power.busyWattsPerCore) / JOULES_PER_KWH;
  const idleItKwh = (activity.idleSeconds * power.idleWattsPerCore) / JOULES_PER_KWH;
  // GiB-hours × 3600 s/h × W/GiB = joules.
  const memoryItKwh = (activity.memoryGiBHours * 3600 * power.memoryWattsPerGiB) / JOULES_PER_KWH;
  const busyKwh = busyItKwh * pue;
  const idleKwh = idleItKwh * pue;
  const memoryKwh = memoryItKwh * pue;
  return {
    busyKwh,
    idleKwh,
    memoryKwh,
    itKwh: busyItKwh + idleItKwh + memoryItKwh,
    totalKwh: busyKwh + idleKwh + memoryKwh,
  };
}

/**
 * How market-based Scope 2 was derived (SPEC §2): from a contractual / residual-mix factor, or —
 * without one — the location-based grid average, the last step of the GHG Protocol Scope 2
 * hierarchy. A factor choice reported in metadata, not an estimate of activity (`is_estimated`).
 */
export type Scope2MarketBasis = 'contractual_factor' | 'location_grid_average';

/** The market basis a factor set implies. */
export function scope2MarketBasis(marketFactorGPerKwh: number | null): Scope2MarketBasis {
  return marketFactorGPerKwh === null ? 'location_grid_average' : 'contractual_factor';
}

/**
 * Footprint of an activity at a location-based grid intensity (g/kWh), SPEC §2. Market-based
 * Scope 2 uses the location-based figure when no market factor is set ({@link scope2MarketBasis}).
 */
export function computeFootprint(
  activity: Activity,
  intensityGPerKwh: number,
  factors: MethodologyFactors,
): Footprint {
  assertNonNegativeFinite('intensityGPerKwh', intensityGPerKwh);
  assertNonNegativeFinite('embodiedGramsPerCoreHour', factors.embodiedGramsPerCoreHour);
  const energy = computeEnergy(activity, factors.power, factors.pue);
  const estimationReasons: string[] = [];
  const marketFactor = factors.marketFactorGPerKwh ?? intensityGPerKwh;
  assertNonNegativeFinite('marketFactorGPerKwh', marketFactor);
  const coreHours = (activity.busySeconds + activity.idleSeconds) / 3600;
  const scope2LocationGrams = energy.totalKwh * intensityGPerKwh;
  const scope3EmbodiedGrams = coreHours * factors.embodiedGramsPerCoreHour;
  return {
    energy,
    busyGrams: energy.busyKwh * intensityGPerKwh,
    idleGrams: energy.idleKwh * intensityGPerKwh,
    memoryGrams: energy.memoryKwh * intensityGPerKwh,
    scope2LocationGrams,
    scope2MarketGrams: energy.totalKwh * marketFactor,
    scope3EmbodiedGrams,
    totalGrams: scope2LocationGrams + scope3EmbodiedGrams,
    cost:
      coreHours * factors.cost.perCoreHour +
      activity.memoryGiBHours * factors.cost.perGiBHour +
      energy.totalKwh * factors.cost.perKwh,
    estimationReasons,
  };
}

/** Running totals of activity and footprint over entity-hours (the one footprint sum). */
export interface FootprintTotal {
  busySeconds: number;
  idleSeconds: number;
  memoryGiBHours: number;
  energyItKwh: number;
  busyKwh: number;
  idleKwh: number;
  energyKwh: number;
  busyGrams: number;
  idleGrams: number;
  scope2LocationGrams: number;
  scope2MarketGrams: number;
  scope3EmbodiedGrams: number;
  /** Location-based Scope 2 + Scope 3 embodied. */
  totalGrams: number;
  cost: number;
}

/** A total of nothing: the start of every sum. */
export function emptyFootprintTotal(): FootprintTotal {
  return {
    busySeconds: 0,
    idleSeconds: 0,
    memoryGiBHours: 0,
    energyItKwh: 0,
    busyKwh: 0,
    idleKwh: 0,
    energyKwh: 0,
    busyGrams: 0,
    idleGrams: 0,
    scope2LocationGrams: 0,
    scope2MarketGrams: 0,
    scope3EmbodiedGrams: 0,
    totalGrams: 0,
    cost: 0,
  };
}

/**
 * Adds `share` (0..1, default 1) of one priced activity to a total. Every part of the footprint is
 * linear in the activity, so a share of an hour's footprint is the footprint of that share.
 */
export function addToFootprintTotal(
  total: FootprintTotal,
  activity: Activity,
  footprint: Footprint,
  share = 1,
): void {
  total.busySeconds += activity.busySeconds * share;
  total.idleSeconds += activity.idleSeconds * share;
  total.memoryGiBHours += activity.memoryGiBHours * share;
  total.energyItKwh += footprint.energy.itKwh * share;
  total.busyKwh += footprint.energy.busyKwh * share;
  total.idleKwh += footprint.energy.idleKwh * share;
  total.energyKwh += footprint.energy.totalKwh * share;
  total.busyGrams += footprint.busyGrams * share;
  total.idleGrams += footprint.idleGrams * share;
  total.scope2LocationGrams += footprint.scope2LocationGrams * share;
  total.scope2MarketGrams += footprint.scope2MarketGrams * share;
  total.scope3EmbodiedGrams += footprint.scope3EmbodiedGrams * share;
  total.totalGrams += footprint.totalGrams * share;
  total.cost += footprint.cost * share;
}

/** Adds one total into another (clusters into a window, entities into a cluster). */
export function mergeFootprintTotals(into: FootprintTotal, part: FootprintTotal): void {
  for (const key of Object.keys(into) as Array<keyof FootprintTotal>) into[key] += part[key];
}

/**
 * Energy-weighted mean intensity (g/kWh) of a total — Σ(E·EF)/ΣE, never the plain mean of
 * hourly factors (reference/methodology.md §1). Null when there is no energy to weight by.
 */
export function energyWeightedIntensity(
  scope2LocationGrams: number,
  energyKwh: number,
): number | null {
  return energyKwh > 0 ? scope2LocationGrams / energyKwh : null;
}

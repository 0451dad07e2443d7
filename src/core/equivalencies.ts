/**
 * CO2e equivalencies ("that is as much as driving N miles"): illustrative only, kept out of
 * the CSRD figures (reference/methodology.md §6). Each factor carries its unit, a description
 * and the source it comes from, so every output can cite it.
 */

/** One equivalency: `gramsPerUnit` gCO2e correspond to one `unit` of the described thing. */
export interface EquivalencyFactor {
  key: string;
  unit: string;
  description: string;
  source: string;
  gramsPerUnit: number;
}

const EPA = 'US EPA Greenhouse Gas Equivalencies Calculator';
const KM_PER_MILE = 1.609344; // international mile, exact by definition
const LITRES_PER_US_GALLON = 3.785411784; // exact by definition
const DAYS_PER_YEAR = 365;

/**
 * The equivalencies, in the fixed order outputs list them: first the five of the Ada Carbon
 * Monitoring API (SPEC §2), then EPA and other factors from reference/methodology.md §6.
 */
export const EQUIVALENCY_FACTORS: readonly EquivalencyFactor[] = Object.freeze([
  {
    key: 'miles_driven',
    unit: 'miles',
    description: 'miles driven by an average gasoline-powered passenger car',
    source: `${EPA} (≈4.0 × 10⁻⁴ tCO2e per mile, earlier vintage), as used by the Ada Carbon Monitoring API`,
    gramsPerUnit: 400,
  },
  {
    key: 'smartphone_charges',
    unit: 'charges',
    description: 'full smartphone charges',
    source: `${EPA} (8.22 × 10⁻⁶ tCO2 per charge, earlier vintage; also Cloud Carbon Footprint)`,
    gramsPerUnit: 8.22,
  },
  {
    key: 'trees_day',
    unit: 'tree-days',
    description: 'days of CO2 uptake by one mature tree',
    source: 'Ada Carbon Monitoring API (59.6 gCO2 per tree per day, ≈21.8 kgCO2 per tree per year)',
    gramsPerUnit: 59.6,
  },
  {
    key: 'streaming_hours',
    unit: 'hours',
    description: 'hours of video streaming in Europe',
    source:
      'Carbon Trust, "Carbon impact of video streaming" white paper (2021): ≈55 gCO2e per hour',
    gramsPerUnit: 55,
  },
  {
    key: 'kettles_boiled',
    unit: 'litres',
    description: 'litres of water boiled in an electric kettle',
    source:
      'Ada Carbon Monitoring API (70 gCO2e per litre); a litre takes ≈0.1 kWh to boil (specific heat of water, 80 K rise, with losses)',
    gramsPerUnit: 70,
  },
  {
    key: 'km_driven',
    unit: 'km',
    description: 'kilometres driven by an average gasoline-powered passenger car',
    source: `Derived from miles_driven: 400 g per mile ÷ ${KM_PER_MILE} km per mile (${EPA})`,
    gramsPerUnit: 400 / KM_PER_MILE,
  },
  {
    key: 'gallons_gasoline',
    unit: 'US gallons',
    description: 'US gallons of gasoline burned',
    source: `${EPA} (8.887 × 10⁻³ tCO2 per gallon)`,
    gramsPerUnit: 8_887,
  },
  {
    key: 'litres_gasoline',
    unit: 'litres',
    description: 'litres of gasoline burned',
    source: `Derived from gallons_gasoline: 8,887 g per US gallon ÷ ${LITRES_PER_US_GALLON} L (${EPA})`,
    gramsPerUnit: 8_887 / LITRES_PER_US_GALLON,
  },
  {
    key: 'us_electricity_kwh',
    unit: 'kWh',
    description: 'kWh of average US grid electricity',
    source: `${EPA} (3.94 × 10⁻⁴ tCO2 per kWh, eGRID2022 US average with 5.1 % T&D losses)`,
    gramsPerUnit: 394,
  },
  {
    key: 'streaming_hours_global',
    unit: 'hours',
    description: 'hours of video streaming, global average',
    source:
      'IEA, "The carbon footprint of streaming video: fact-checking the headlines" (G. Kamiya, Dec 2020 update): 36 gCO2 per hour',
    gramsPerUnit: 36,
  },
  {
    key: 'homes_electricity_days',
    unit: 'home-days',
    description: "days of an average US home's electricity use",
    source: `${EPA} (5.505 tCO2 per home per year) ÷ ${DAYS_PER_YEAR} days`,
    gramsPerUnit: 5_505_000 / DAYS_PER_YEAR,
  },
  {
    key: 'homes_energy_days',
    unit: 'home-days',
    description: "days of an average US home's total energy use",
    source: `${EPA} (8.30 tCO2 per home per year) ÷ ${DAYS_PER_YEAR} days`,
    gramsPerUnit: 8_300_000 / DAYS_PER_YEAR,
  },
  {
    key: 'led_bulbs_switched',
    unit: 'bulbs',
    description: 'incandescent light bulbs switched to LEDs',
    source: `${EPA} (2.64 × 10⁻² tCO2 per bulb replaced)`,
    gramsPerUnit: 26_400,
  },
  {
    key: 'tree_seedlings_10y',
    unit: 'seedlings',
    description: 'urban tree seedlings grown for 10 years',
    source: `${EPA} (0.060 tCO2 per seedling over 10 years, survival-weighted)`,
    gramsPerUnit: 60_000,
  },
  {
    key: 'barrels_oil',
    unit: 'barrels',
    description: 'barrels of oil burned',
    source: `${EPA} (0.43 tCO2 per barrel)`,
    gramsPerUnit: 430_000,
  },
  {
    key: 'flights_nyc_london',
    unit: 'flights',
    description: 'one-way passenger flights from New York to London',
    source:
      'Cloud Carbon Footprint carbon comparison card (1.2345679 flights per tCO2e, ≈0.81 t per flight)',
    gramsPerUnit: 1_000_000 / 1.2345679,
  },
  {
    key: 'vehicles_year',
    unit: 'vehicle-years',
    description: 'gasoline-powered passenger cars driven for one year',
    source: `${EPA} (4.29 tCO2e per vehicle per year)`,
    gramsPerUnit: 4_290_000,
  },
] satisfies EquivalencyFactor[]);

/** An equivalency evaluated for an amount of CO2e: `value` units of the described thing. */
export interface EquivalencyValue {
  key: string;
  value: number;
  unit: string;
  description: string;
  source: string;
}

/** Every equivalency of `grams` gCO2e, unrounded, in the fixed order of EQUIVALENCY_FACTORS. */
export function computeEquivalencies(grams: number): EquivalencyValue[] {
  if (!Number.isFinite(grams) || grams < 0) {
    throw new RangeError(`grams of CO2e must be a finite non-negative number, got ${grams}`);
  }
  return EQUIVALENCY_FACTORS.map((factor) => ({
    key: factor.key,
    value: grams / factor.gramsPerUnit,
    unit: factor.unit,
    description: factor.description,
    source: factor.source,
  }));
}

// Readability tier of a value: 0 for 1–100, 1 for 0.1–1000, 2 for 0.01–10000, … (each tier
// widens the range by a factor of 10 at both ends). Zero has no magnitude: last tier.
function readabilityTier(value: number): number {
  if (value <= 0) return Number.POSITIVE_INFINITY;
  const log = Math.log10(value);
  const distanceOutside = log < 0 ? -log : log > 2 ? log - 2 : 0;
  return Math.ceil(distanceOutside - 1e-12);
}

/**
 * The `count` most readable equivalencies of `grams` (Ada's "top N"). Ordering, documented
 * for determinism: by readability tier (values in 1–100 first, then 0.1–1000, then
 * 0.01–10000, …), then by how close log10(value) is to 1 (i.e. the value to 10, the centre of
 * 1–100 on a log scale), then by position in EQUIVALENCY_FACTORS.
 */
export function topEquivalencies(grams: number, count: number): EquivalencyValue[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const ranked = computeEquivalencies(grams).map((equivalency, index) => ({
    equivalency,
    index,
    tier: readabilityTier(equivalency.value),
    distance: equivalency.value > 0 ? Math.abs(Math.log10(equivalency.value) - 1) : 0,
  }));
  ranked.sort((a, b) => a.tier - b.tier || a.distance - b.distance || a.index - b.index);
  return ranked.slice(0, count).map((entry) => entry.equivalency);
}

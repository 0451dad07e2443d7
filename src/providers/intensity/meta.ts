/**
 * Names, base URLs and attributions of the intensity sources, in a module with no
 * dependencies so the CLI can describe and validate a provider without loading zod or undici.
 */

/** The GB Carbon Intensity API's public base URL (reference carbon-intensity-apis.md §1.1). */
export const UK_DEFAULT_BASE_URL = 'https://api.carbonintensity.org.uk';
/** Attribution its licence requires (CC BY 4.0, repo carbon-intensity/terms; reference §1.1). */
export const UK_SOURCE_DESCRIPTION = 'Carbon Intensity API, NESO (CC BY 4.0)';

/** The Electricity Maps v3 base URL most clients use (reference §2.1; api.electricitymaps.com/v3 also answers). */
export const ELECTRICITY_MAPS_DEFAULT_BASE_URL = 'https://api.electricitymap.org/v3';
/** The environment variable that carries the Electricity Maps token (SPEC §1.3); named in every auth error. */
export const ELECTRICITY_MAPS_TOKEN_ENV = 'CARBONCTL_ELECTRICITYMAPS_TOKEN';
/**
 * Scope 2 location-based accounting wants operational (direct) factors; lifecycle upstream
 * emissions belong in Scope 3 cat. 3 (reference methodology.md, factor table, and
 * carbon-intensity-apis.md §2.5, citing Electricity Maps' data-portal page).
 */
export const ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE = 'direct';

/** Attribution line for Electricity Maps figures of one zone. */
export function electricityMapsSourceDescription(zone: string): string {
  return `Electricity Maps API v3, zone ${zone}, ${ELECTRICITY_MAPS_EMISSION_FACTOR_TYPE} emission factors (Electricity Maps terms of use)`;
}

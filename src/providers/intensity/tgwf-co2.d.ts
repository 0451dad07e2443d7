/**
 * Minimal ambient types for the parts of `@tgwf/co2` (The Green Web Foundation's CO2.js,
 * Apache-2.0) that the static provider reads. The package ships no types; values are typed
 * `unknown` on purpose so static.ts checks them at runtime.
 */
declare module '@tgwf/co2/data/electricity-maps' {
  /** `{ yearly2025: { data: { <zone>: {...} }, methodology }, yearly2024: …, … }` */
  const datasets: Record<string, unknown>;
  export default datasets;
}

declare module '@tgwf/co2/data' {
  /** Ember annual averages keyed by ISO alpha-3 (and a few region names): `{ data, type }`. */
  export const averageIntensity: unknown;
}

/**
 * Interfaces the core declares and the providers implement (STYLE.md §11): the core never
 * imports a provider, a provider never imports a command.
 */

/** The intensity providers of SPEC §3. */
export type IntensityProviderName = 'uk' | 'electricitymaps' | 'static' | 'fixed';

/** Which value an intensity figure is: measured outturn, forecast, an annual average, or given. */
export type IntensityKind = 'actual' | 'forecast' | 'static' | 'fixed';

/** One interval of grid carbon intensity, in gCO2(e)/kWh, covering `[from, to)` (UTC). */
export interface IntensitySlot {
  from: Date;
  to: Date;
  /** Forecast value; null when the provider gave none. */
  forecast: number | null;
  /** Measured/estimated outturn; null for future slots. Never coerced to 0. */
  actual: number | null;
  /** The provider's index band (`very low` … `very high`) when it gives one. */
  index: string | null;
}

/** The current intensity as reported by a provider. */
export interface CurrentIntensity {
  from: Date;
  to: Date;
  intensityGPerKwh: number;
  kind: IntensityKind;
  index: string | null;
}

/** A grid carbon-intensity source (GB Carbon Intensity API, Electricity Maps, static, fixed). */
export interface IntensityProvider {
  readonly name: IntensityProviderName;
  /** Human label of where the figures are for, e.g. `GB national`, `region 13`, `DE`. */
  readonly regionLabel: string;
  /** Attribution / dataset description for report provenance. */
  readonly sourceDescription: string;
  /** The latest value at or before `now`. */
  current(now: Date): Promise<CurrentIntensity>;
  /** Forecast slots covering `[from, from + hours)`. */
  forecast(from: Date, hours: number): Promise<IntensitySlot[]>;
  /** Historical slots covering `[from, to)`, de-duplicated and sorted by `from`. */
  history(from: Date, to: Date): Promise<IntensitySlot[]>;
}

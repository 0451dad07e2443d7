/**
 * Offline provider that answers one user-given intensity (`--intensity 185`, provider `fixed`)
 * for every hour: for what-if calculations and sites with a contractual factor.
 */
import { ConfigError } from '../../errors.js';
import type { CurrentIntensity, IntensityProvider, IntensitySlot } from '../../core/ports.js';
import { HOUR_MS, constantHourlySlots, floorToHour } from './common.js';

/** A constant g/kWh for every slot (kind `fixed`). */
export class FixedIntensityProvider implements IntensityProvider {
  readonly name = 'fixed' as const;
  readonly regionLabel = 'any (fixed value)';
  readonly sourceDescription: string;

  constructor(private readonly intensityGPerKwh: number) {
    if (!Number.isFinite(intensityGPerKwh) || intensityGPerKwh < 0) {
      throw new ConfigError(
        `intensity.fixed ${String(intensityGPerKwh)} is not a usable intensity (expected a number of g/kWh ≥ 0)`,
        { hint: 'set intensity.fixed (or --intensity) to the grid factor in gCO2e/kWh, e.g. 185' },
      );
    }
    this.sourceDescription = `fixed value ${intensityGPerKwh} gCO2e/kWh (user-supplied)`;
  }

  /** The fixed value for the hour containing `now`. */
  current(now: Date): Promise<CurrentIntensity> {
    const from = floorToHour(now);
    return Promise.resolve({
      from,
      to: new Date(from.getTime() + HOUR_MS),
      intensityGPerKwh: this.intensityGPerKwh,
      kind: 'fixed',
      index: null,
    });
  }

  /** Hourly slots over `[from, from + hours)` carrying the fixed value. */
  forecast(from: Date, hours: number): Promise<IntensitySlot[]> {
    return Promise.resolve(
      constantHourlySlots(from, new Date(from.getTime() + hours * HOUR_MS), this.intensityGPerKwh),
    );
  }

  /** Hourly slots over `[from, to)` carrying the fixed value. */
  history(from: Date, to: Date): Promise<IntensitySlot[]> {
    return Promise.resolve(constantHourlySlots(from, to, this.intensityGPerKwh));
  }
}

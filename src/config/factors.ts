/** From effective settings (and a cluster's overrides) to the core's methodology inputs. */
import type { MethodologyFactors } from '../core/methodology.js';
import type { ClusterSettings, Settings } from './schema.js';

/** Methodology factors for a cluster: its overrides on top of the global settings. */
export function methodologyFactors(
  settings: Settings,
  cluster?: ClusterSettings,
): MethodologyFactors {
  const power = { ...settings.power, ...(cluster?.power ?? {}) };
  const cost = { ...settings.cost, ...(cluster?.cost ?? {}) };
  return {
    power: {
      profile: power.profile,
      busyWattsPerCore: power.busyWattsPerCore,
      idleWattsPerCore: power.idleWattsPerCore,
      memoryWattsPerGiB: power.memoryWattsPerGiB,
    },
    pue: cluster?.pue ?? settings.pue,
    embodiedGramsPerCoreHour: settings.embodied.gramsPerCoreHour,
    marketFactorGPerKwh: settings.scope2.marketFactor,
    cost: {
      currency: cost.currency,
      perCoreHour: cost.perCoreHour,
      perGiBHour: cost.perGiBHour,
      perKwh: cost.perKwh,
    },
  };
}

/**
 * A cluster's effective accounting settings, merged once from the global settings and the
 * cluster's overrides (SPEC §1.3 `clusters[].power`, `pue`, `cost`, `intensity`): the power
 * model and idle modes, PUE, embodied and market factors, prices and currency, the intensity
 * provider and its static fallback zone, the configured source, the scrape interval and the
 * longest gap that is interpolated. Every command that meters or prices compute reads these
 * from here, so two commands asked about the same cluster-hour use the same factors.
 */
import type { ClusterSettings, Settings } from '../config/schema.js';
import type { MethodologyFactors } from '../core/methodology.js';
import type { IntensityProviderConfig } from '../providers/intensity/index.js';

/** How long an intensity request may take, seconds. */
const INTENSITY_TIMEOUT_SECONDS = 30;

/** Everything the accounting pipeline needs to know about one cluster (or the global settings). */
export interface ClusterProfile {
  /** Cluster name; `null` for the global settings of a command without a cluster (calculate). */
  name: string | null;
  /** The cluster's settings as configured (Prometheus connection, labels, metadata). */
  cluster: ClusterSettings | null;
  factors: MethodologyFactors;
  /** `node_cpu_seconds_total` modes counted as idle. */
  idleModes: readonly string[];
  intensity: IntensityProviderConfig;
  /** `intensity.allowEstimates`: the static annual average may stand in for missing hours (flagged). */
  allowEstimates: boolean;
  /** Zone of the static annual average used when estimates are allowed (GB for the uk provider). */
  staticZone: string;
  /** `auto` | `nodes` | `pods` as configured. */
  configuredSource: ClusterSettings['source'];
  /** The Prometheus scrape interval, seconds: the counter maths' grid. */
  scrapeIntervalSeconds: number;
  /** Gaps up to this long (without a counter reset) are interpolated and flagged; longer ones are reported. */
  maxGapHours: number;
}

/** The effective profile of `cluster` (its overrides on top of the global settings), or the global one. */
export function clusterProfile(settings: Settings, cluster?: ClusterSettings): ClusterProfile {
  const power = { ...settings.power, ...definedOnly(cluster?.power) };
  const cost = { ...settings.cost, ...definedOnly(cluster?.cost) };
  const intensity = { ...settings.intensity, ...definedOnly(cluster?.intensity) };
  const factors: MethodologyFactors = {
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
  return {
    name: cluster?.name ?? null,
    cluster: cluster ?? null,
    factors,
    idleModes: power.idleModes,
    intensity: {
      provider: intensity.provider,
      region: intensity.region ?? null,
      zone: intensity.zone,
      fixed: intensity.fixed ?? null,
      url: intensity.url ?? null,
      electricityMapsToken: intensity.token ?? null,
      timeoutSeconds: INTENSITY_TIMEOUT_SECONDS,
    },
    allowEstimates: intensity.allowEstimates ?? false,
    // The static dataset keys Great Britain as GB whatever the uk provider's region is.
    staticZone: intensity.provider === 'uk' ? 'GB' : intensity.zone,
    configuredSource: cluster?.source ?? 'auto',
    scrapeIntervalSeconds: cluster?.prometheus.scrapeIntervalSeconds ?? 15,
    maxGapHours: cluster?.prometheus.maxGapHours ?? 24,
  };
}

/** The fields of a partial override that are actually set (absent and undefined ones inherit). */
function definedOnly<T extends object>(partial: T | null | undefined): Partial<T> {
  if (partial === null || partial === undefined) return {};
  return Object.fromEntries(
    Object.entries(partial).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

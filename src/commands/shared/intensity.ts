/** Asking the configured provider for an intensity value, for commands that need one figure. */
import type { Context } from '../../context.js';
import type { ClusterSettings, Settings } from '../../config/schema.js';
import { clusterProfile } from '../../accounting/profile.js';
import { hourContaining } from '../../core/hours.js';
import type { IntensityProvider } from '../../core/ports.js';

/** An intensity figure and where it came from. */
export interface IntensityFigure {
  gPerKwh: number;
  /** e.g. `uk actual (GB national) 2026-11-21T10:00Z–10:30Z`. */
  description: string;
  kind: 'actual' | 'forecast' | 'static' | 'fixed';
  provider: string;
  region: string;
  /** Why the figure is estimated (`intensity_forecast`, `intensity_static_annual`), if it is. */
  reasons: string[];
}

/** Build the configured provider (the cluster's, or the global one). */
export async function intensityProvider(
  context: Context,
  settings: Settings,
  cluster?: ClusterSettings,
): Promise<IntensityProvider> {
  const { createIntensityProvider } = await import('../../providers/intensity/index.js');
  return createIntensityProvider(clusterProfile(settings, cluster).intensity, () => context.http());
}

/**
 * The provider's value now, or — with `at` — the value the accounting pipeline prices the hour
 * containing `at` with (the same cache, fallback chain and flags as `track` and `budget check`).
 */
export async function intensityAt(
  context: Context,
  settings: Settings,
  at: Date | null,
  options: { allowEstimates?: boolean } = {},
): Promise<IntensityFigure> {
  if (at === null) {
    const provider = await intensityProvider(context, settings);
    const current = await provider.current(context.now());
    return {
      gPerKwh: current.intensityGPerKwh,
      kind: current.kind,
      provider: provider.name,
      region: provider.regionLabel,
      description: `${provider.name} ${current.kind} (${provider.regionLabel}) ${shortIso(current.from)}–${shortIso(current.to)}`,
      reasons: current.kind === 'forecast' ? ['intensity_forecast'] : [],
    };
  }
  // The accounting pipeline (and the ledger behind its cache) only on this path.
  const [{ AccountingPipeline }, { cacheLedger }] = await Promise.all([
    import('../../accounting/pipeline.js'),
    import('../../accounting/ledger.js'),
  ]);
  const hour = hourContaining(at);
  const hourStart = hour.from.getTime();
  const pipeline = new AccountingPipeline(context, cacheLedger(context, settings), false);
  const hours = await pipeline.intensities(clusterProfile(settings), hour, {
    givenGPerKwh: null,
    allowEstimates: options.allowEstimates ?? false,
  });
  const value = hours.at(hourStart);
  return {
    gPerKwh: value.gPerKwh,
    kind: value.kind,
    provider: hours.provider,
    region: hours.region,
    description: `${hours.provider} ${value.kind} (${hours.region}) hour from ${shortIso(hour.from)}`,
    reasons: value.reasons,
  };
}

function shortIso(date: Date): string {
  return date.toISOString().slice(0, 16) + 'Z';
}

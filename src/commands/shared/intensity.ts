/** Asking the configured provider for an intensity value, for commands that need one figure. */
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import type { ClusterSettings } from '../../config/schema.js';
import type { IntensityProviderConfig } from '../../providers/intensity/index.js';
import type { IntensityProvider } from '../../core/ports.js';
import { hourlyIntensity } from '../../core/intensity.js';
import { DataSourceError } from '../../errors.js';

/** An intensity figure and where it came from. */
export interface IntensityFigure {
  gPerKwh: number;
  /** e.g. `uk actual (GB national) 2026-11-21T10:00Z–10:30Z`. */
  description: string;
  kind: 'actual' | 'forecast' | 'static' | 'fixed';
  provider: string;
  region: string;
}

/** The intensity provider configuration for a cluster (or the global one). */
export function intensityConfig(
  settings: Settings,
  cluster?: ClusterSettings,
): IntensityProviderConfig {
  const intensity = { ...settings.intensity, ...(cluster?.intensity ?? {}) };
  return {
    provider: intensity.provider,
    region: intensity.region ?? null,
    zone: intensity.zone,
    fixed: intensity.fixed ?? null,
    url: intensity.url ?? null,
    electricityMapsToken: intensity.token ?? null,
    timeoutSeconds: 30,
  };
}

/** Build the configured provider. */
export async function intensityProvider(
  context: Context,
  settings: Settings,
  cluster?: ClusterSettings,
): Promise<IntensityProvider> {
  const { createIntensityProvider } = await import('../../providers/intensity/index.js');
  return createIntensityProvider(intensityConfig(settings, cluster), await context.http());
}

/** The provider's value now, or for the hour containing `at`. */
export async function intensityAt(
  context: Context,
  settings: Settings,
  at: Date | null,
): Promise<IntensityFigure> {
  const provider = await intensityProvider(context, settings);
  if (at === null) {
    const current = await provider.current(context.now());
    return {
      gPerKwh: current.intensityGPerKwh,
      kind: current.kind,
      provider: provider.name,
      region: provider.regionLabel,
      description: `${provider.name} ${current.kind} (${provider.regionLabel}) ${shortIso(current.from)}–${shortIso(current.to)}`,
    };
  }
  const hourStart = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
  const hourEnd = new Date(hourStart.getTime() + 3_600_000);
  const slots = await provider.history(hourStart, hourEnd);
  const hour = hourlyIntensity(slots, hourStart);
  if (!hour) {
    throw new DataSourceError(
      provider.name,
      `no intensity for the hour starting ${hourStart.toISOString()}`,
      {
        hint: 'Pick another --at time or give --intensity <g/kWh>.',
      },
    );
  }
  const kind =
    provider.name === 'static' ? 'static' : provider.name === 'fixed' ? 'fixed' : hour.kind;
  return {
    gPerKwh: hour.intensityGPerKwh,
    kind,
    provider: provider.name,
    region: provider.regionLabel,
    description: `${provider.name} ${kind} (${provider.regionLabel}) hour from ${shortIso(hourStart)}`,
  };
}

function shortIso(date: Date): string {
  return date.toISOString().slice(0, 16) + 'Z';
}

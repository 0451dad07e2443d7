/**
 * Builds the configured intensity provider. Settings are validated here, synchronously, so a
 * missing token or a bad region fails before any request; the network providers' modules
 * (zod schemas) are imported on first use, and nothing here loads undici: the HttpClient is
 * handed in by the context, which creates it lazily (`--version` must load almost nothing).
 */
import { ConfigError } from '../../errors.js';
import type {
  CurrentIntensity,
  IntensityProvider,
  IntensityProviderName,
  IntensitySlot,
} from '../../core/ports.js';
import type { HttpClient } from '../http.js';
import { FixedIntensityProvider } from './fixed.js';
import {
  ELECTRICITY_MAPS_DEFAULT_BASE_URL,
  ELECTRICITY_MAPS_TOKEN_ENV,
  UK_DEFAULT_BASE_URL,
  UK_SOURCE_DESCRIPTION,
  electricityMapsSourceDescription,
} from './meta.js';
import { StaticIntensityProvider } from './static.js';
import { parseUkRegion, ukRegionLabel } from './uk-region.js';

/** The resolved intensity settings a provider is built from (config §1.3 `intensity` plus secrets). */
export interface IntensityProviderConfig {
  provider: IntensityProviderName;
  /** uk: GB region id 1-17 or outward postcode; null = national. */
  region: string | null;
  /** electricitymaps / static zone or ISO country code. */
  zone: string;
  /** g/kWh for provider `fixed`. */
  fixed: number | null;
  /** Base URL override (mirror, test server); replaces the provider's default base. */
  url: string | null;
  /** CARBONCTL_ELECTRICITYMAPS_TOKEN; a secret. */
  electricityMapsToken: string | null;
  timeoutSeconds: number;
}

/** Creates the provider the settings name; throws ConfigError/UsageError for unusable settings. */
export function createIntensityProvider(
  config: IntensityProviderConfig,
  /** The client, or how to get it: created only when a provider that calls an API is asked. */
  http: HttpClient | (() => Promise<HttpClient>),
): IntensityProvider {
  const client = async (): Promise<HttpClient> => (typeof http === 'function' ? http() : http);
  switch (config.provider) {
    case 'uk': {
      const region = parseUkRegion(config.region);
      const options = {
        baseUrl: config.url ?? UK_DEFAULT_BASE_URL,
        region: config.region,
        timeoutMs: timeoutMsOf(config),
      };
      return new LazyIntensityProvider(
        'uk',
        ukRegionLabel(region),
        UK_SOURCE_DESCRIPTION,
        async () => {
          const { UkIntensityProvider } = await import('./uk.js');
          return new UkIntensityProvider({ ...options, http: await client() });
        },
      );
    }
    case 'electricitymaps': {
      const token = config.electricityMapsToken?.trim() ?? '';
      if (token === '') {
        throw new ConfigError('the electricitymaps intensity provider needs an API token', {
          hint: `set ${ELECTRICITY_MAPS_TOKEN_ENV} (get a token at https://portal.electricitymaps.com), or choose --provider uk, static or fixed`,
        });
      }
      const zone = requireZone(config);
      const options = {
        baseUrl: config.url ?? ELECTRICITY_MAPS_DEFAULT_BASE_URL,
        zone,
        token,
        timeoutMs: timeoutMsOf(config),
      };
      return new LazyIntensityProvider(
        'electricitymaps',
        zone,
        electricityMapsSourceDescription(zone),
        async () => {
          const { ElectricityMapsIntensityProvider } = await import('./electricitymaps.js');
          return new ElectricityMapsIntensityProvider({ ...options, http: await client() });
        },
      );
    }
    case 'static':
      return new StaticIntensityProvider(requireZone(config));
    case 'fixed':
      if (config.fixed === null) {
        throw new ConfigError('the fixed intensity provider needs a value', {
          hint: 'set it with `carbonctl config set intensity.fixed 185` (g/kWh); calculate, budget check and clusters also take --intensity <g/kWh>',
        });
      }
      return new FixedIntensityProvider(config.fixed);
  }
}

/** One line naming the provider and where its figures are for, e.g. `GB Carbon Intensity API (NESO), region 13 (London)`. */
export function describeProvider(config: IntensityProviderConfig): string {
  const override = config.url === null ? '' : ' via a custom URL';
  switch (config.provider) {
    case 'uk': {
      let where: string;
      try {
        where = ukRegionLabel(parseUkRegion(config.region));
      } catch {
        where = `region ${config.region ?? ''} (invalid)`;
      }
      return `GB Carbon Intensity API (NESO), ${where}${override}`;
    }
    case 'electricitymaps':
      return `Electricity Maps API v3, zone ${config.zone.trim().toUpperCase()}${override}`;
    case 'static':
      return `static annual average (@tgwf/co2 datasets), zone ${config.zone.trim().toUpperCase()}`;
    case 'fixed':
      return config.fixed === null
        ? 'fixed value (not set)'
        : `fixed value ${config.fixed} gCO2e/kWh`;
  }
}

function requireZone(config: IntensityProviderConfig): string {
  const zone = config.zone.trim().toUpperCase();
  if (zone === '') {
    throw new ConfigError(`the ${config.provider} intensity provider needs a zone`, {
      hint: 'set intensity.zone or pass --zone, e.g. --zone DE (an ISO country code or Electricity Maps zone key)',
    });
  }
  return zone;
}

function timeoutMsOf(config: IntensityProviderConfig): number {
  if (!Number.isFinite(config.timeoutSeconds) || config.timeoutSeconds <= 0) {
    throw new ConfigError(
      `intensity timeout ${String(config.timeoutSeconds)} s is not a positive number of seconds`,
    );
  }
  return config.timeoutSeconds * 1000;
}

/**
 * Stands in for a network provider until first use, then forwards to it: name, label and
 * attribution are known up front; the module with the zod schemas loads only when needed.
 */
class LazyIntensityProvider implements IntensityProvider {
  private pending: Promise<IntensityProvider> | undefined;

  constructor(
    readonly name: IntensityProviderName,
    readonly regionLabel: string,
    readonly sourceDescription: string,
    private readonly load: () => Promise<IntensityProvider>,
  ) {}

  async current(now: Date): Promise<CurrentIntensity> {
    return (await this.provider()).current(now);
  }

  async forecast(from: Date, hours: number): Promise<IntensitySlot[]> {
    return (await this.provider()).forecast(from, hours);
  }

  async history(from: Date, to: Date): Promise<IntensitySlot[]> {
    return (await this.provider()).history(from, to);
  }

  private provider(): Promise<IntensityProvider> {
    this.pending ??= this.load();
    return this.pending;
  }
}

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { HttpClient } from '../../../src/providers/http.js';
import {
  createIntensityProvider,
  describeProvider,
} from '../../../src/providers/intensity/index.js';
import type { IntensityProviderConfig } from '../../../src/providers/intensity/index.js';
import { FixedIntensityProvider } from '../../../src/providers/intensity/fixed.js';
import {
  StaticIntensityProvider,
  lookupStaticIntensity,
} from '../../../src/providers/intensity/static.js';

const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function config(overrides: Partial<IntensityProviderConfig>): IntensityProviderConfig {
  return {
    provider: 'uk',
    region: null,
    zone: 'GB',
    fixed: null,
    url: null,
    electricityMapsToken: null,
    timeoutSeconds: 10,
    ...overrides,
  };
}

function http(): HttpClient {
  const client = new HttpClient({ userAgent: 'carbonctl/test' });
  clients.push(client);
  return client;
}

// Expected values are those of the installed @tgwf/co2 0.19.0 (package-lock): Electricity Maps
// yearly_2025.js has GB 176, DE 342, US 414, US-CAL-CISO 208; Ember average-intensities has
// DEU 342.06. A package update that changes them should make these tests fail and be reviewed.
describe('static provider (annual averages from @tgwf/co2)', () => {
  it('answers GB from the newest Electricity Maps yearly dataset', async () => {
    const found = await lookupStaticIntensity('gb');
    expect(found).toMatchObject({
      requestedZone: 'GB',
      datasetZone: 'GB',
      zoneName: 'Great Britain',
      intensityGPerKwh: 176,
      year: 2025,
      dataset: 'electricitymaps-yearly',
    });
    expect(found.sourceDescription).toContain('Electricity Maps 2025 annual average for GB');
    expect(found.sourceDescription).toContain('ODbL');
  });

  it('answers DE, and a sub-national zone from its own entry', async () => {
    expect((await lookupStaticIntensity('DE')).intensityGPerKwh).toBe(342);
    const caiso = await lookupStaticIntensity('US-CAL-CISO');
    expect(caiso.datasetZone).toBe('US-CAL-CISO');
    expect(caiso.intensityGPerKwh).toBe(208);
  });

  it('falls back from an unknown sub-zone to its country', async () => {
    const found = await lookupStaticIntensity('US-CAL-NOPE');
    expect(found.datasetZone).toBe('US');
    expect(found.intensityGPerKwh).toBe(414);
    expect(found.sourceDescription).toContain('used for US-CAL-NOPE');
  });

  it('answers ISO alpha-3 codes from Ember’s dataset and says so', async () => {
    const found = await lookupStaticIntensity('DEU');
    expect(found.dataset).toBe('ember');
    expect(found.intensityGPerKwh).toBe(342.06);
    expect(found.year).toBeNull();
    expect(found.sourceDescription).toContain('Ember');
  });

  it('rejects an unknown zone with a usage error saying where to find codes', async () => {
    const error = (await lookupStaticIntensity('XX').catch(
      (caught: unknown) => caught,
    )) as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('zone "XX" has no annual average in the static dataset');
    expect(error.hint).toContain('https://api.electricitymap.org/v3/zones');
    await expect(lookupStaticIntensity('ZZZ')).rejects.toBeInstanceOf(UsageError);
    await expect(lookupStaticIntensity('12')).rejects.toThrow('is not a country or zone code');
  });

  it('suggests the zones of a country that has only sub-national zones', async () => {
    // The dataset has no plain "RU" entry, only RU-1, RU-2, RU-AS, RU-EU, RU-FE.
    const error = (await lookupStaticIntensity('RU').catch(
      (caught: unknown) => caught,
    )) as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(
      /^zone "RU" has no annual average in the static dataset \(zones starting with RU: RU-/,
    );
  });

  it('synthesises hourly slots with the value in actual, and current with kind static', async () => {
    const provider = createIntensityProvider(config({ provider: 'static', zone: 'DE' }), http());
    expect(provider).toBeInstanceOf(StaticIntensityProvider);
    const slots = await provider.history(
      new Date('2024-05-01T10:30:00Z'),
      new Date('2024-05-01T13:00:00Z'),
    );
    // [10:30, 13:00) touches the hours starting 10:00, 11:00 and 12:00.
    expect(slots.map((slot) => slot.from.toISOString())).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
    expect(
      slots.every(
        (slot) => slot.actual === 342 && slot.to.getTime() - slot.from.getTime() === 3_600_000,
      ),
    ).toBe(true);
    const current = await provider.current(new Date('2024-05-01T10:45:00Z'));
    expect(current).toEqual({
      from: new Date('2024-05-01T10:00:00Z'),
      to: new Date('2024-05-01T11:00:00Z'),
      intensityGPerKwh: 342,
      kind: 'static',
      index: null,
    });
    expect(provider.sourceDescription).toContain(
      'Electricity Maps 2025 annual average for DE (Germany)',
    );
  });

  it('forecasts the same value for each hour of the horizon', async () => {
    const provider = new StaticIntensityProvider('GB');
    const slots = await provider.forecast(new Date('2024-05-01T10:00:00Z'), 24);
    expect(slots).toHaveLength(24);
    expect(new Set(slots.map((slot) => slot.forecast))).toEqual(new Set([176]));
  });

  it('fails on first use for an unknown zone', async () => {
    const provider = createIntensityProvider(config({ provider: 'static', zone: 'QQ' }), http());
    await expect(provider.current(new Date('2024-05-01T10:00:00Z'))).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe('fixed provider', () => {
  it('answers the given value for every hour', async () => {
    const provider = createIntensityProvider(config({ provider: 'fixed', fixed: 185 }), http());
    expect(provider).toBeInstanceOf(FixedIntensityProvider);
    const current = await provider.current(new Date('2024-05-01T10:45:00Z'));
    expect(current).toMatchObject({ intensityGPerKwh: 185, kind: 'fixed' });
    const day = await provider.history(
      new Date('2024-05-01T00:00:00Z'),
      new Date('2024-05-02T00:00:00Z'),
    );
    expect(day).toHaveLength(24);
    expect(day.every((slot) => slot.actual === 185 && slot.forecast === 185)).toBe(true);
    expect(provider.sourceDescription).toBe('fixed value 185 gCO2e/kWh (user-supplied)');
  });

  it('accepts 0 g/kWh but refuses a missing, negative or non-finite value', () => {
    expect(() => new FixedIntensityProvider(0)).not.toThrow();
    expect(() =>
      createIntensityProvider(config({ provider: 'fixed', fixed: null }), http()),
    ).toThrow(ConfigError);
    expect(() => new FixedIntensityProvider(-1)).toThrow(ConfigError);
    expect(() => new FixedIntensityProvider(Number.NaN)).toThrow(ConfigError);
  });
});

describe('createIntensityProvider and describeProvider', () => {
  it('labels network providers without loading them', () => {
    const uk = createIntensityProvider(config({ provider: 'uk', region: '13' }), http());
    expect(uk.name).toBe('uk');
    expect(uk.regionLabel).toBe('region 13 (London)');
    expect(uk.sourceDescription).toBe('Carbon Intensity API, NESO (CC BY 4.0)');
    const em = createIntensityProvider(
      config({ provider: 'electricitymaps', zone: 'de', electricityMapsToken: 't' }),
      http(),
    );
    expect(em.name).toBe('electricitymaps');
    expect(em.regionLabel).toBe('DE');
    expect(em.sourceDescription).toContain('direct emission factors');
  });

  it('creates the HTTP client only when a provider that calls an API is asked', async () => {
    let created = 0;
    const lazy = (): Promise<HttpClient> => {
      created += 1;
      const client = new HttpClient({
        userAgent: 'carbonctl/test',
        sleep: () => Promise.resolve(),
      });
      clients.push(client);
      return Promise.resolve(client);
    };
    const offline = createIntensityProvider(config({ provider: 'static', zone: 'FR' }), lazy);
    expect((await offline.current(new Date('2026-01-01T00:00:00Z'))).kind).toBe('static');
    // A closed loopback port: never the internet.
    const uk = createIntensityProvider(
      config({ provider: 'uk', region: '13', url: 'http://127.0.0.1:9', timeoutSeconds: 1 }),
      lazy,
    );
    expect(uk.regionLabel).toBe('region 13 (London)');
    expect(created).toBe(0);
    // The first real call loads the provider, which takes the client (the call then fails).
    await uk.current(new Date('2026-01-01T00:00:00Z')).catch(() => undefined);
    expect(created).toBe(1);
  });

  it('describes each provider in one line', () => {
    expect(describeProvider(config({ provider: 'uk' }))).toBe(
      'GB Carbon Intensity API (NESO), GB national',
    );
    expect(describeProvider(config({ provider: 'uk', region: 'OX1 3QD' }))).toBe(
      'GB Carbon Intensity API (NESO), postcode OX1',
    );
    expect(describeProvider(config({ provider: 'uk', url: 'http://127.0.0.1:1' }))).toBe(
      'GB Carbon Intensity API (NESO), GB national via a custom URL',
    );
    expect(describeProvider(config({ provider: 'electricitymaps', zone: 'de' }))).toBe(
      'Electricity Maps API v3, zone DE',
    );
    expect(describeProvider(config({ provider: 'static', zone: 'FR' }))).toBe(
      'static annual average (@tgwf/co2 datasets), zone FR',
    );
    expect(describeProvider(config({ provider: 'fixed', fixed: 185 }))).toBe(
      'fixed value 185 gCO2e/kWh',
    );
  });

  it('rejects a non-positive timeout as a config error', () => {
    expect(() => createIntensityProvider(config({ timeoutSeconds: 0 }), http())).toThrow(
      ConfigError,
    );
  });

  it('keeps undici, zod and the datasets out of the static import graph of index.ts', async () => {
    // Bundle index.ts with packages external and code splitting: whatever the entry chunk
    // imports statically is what `import('./providers/intensity/index.js')` loads at once.
    const entry = fileURLToPath(
      new URL('../../../src/providers/intensity/index.ts', import.meta.url),
    );
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      write: false,
      outdir: '/tmp/carbonctl-import-graph',
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = result.metafile.outputs;
    const entryPath = Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined);
    expect(entryPath).toBeDefined();
    // Walk the static (import-statement) closure of the entry chunk, collecting packages.
    const seen = new Set<string>();
    const staticPackages = new Set<string>();
    const dynamicChunks: string[] = [];
    const queue = [entryPath as string];
    while (queue.length > 0) {
      const path = queue.pop() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      for (const imported of outputs[path]?.imports ?? []) {
        if (imported.kind === 'dynamic-import') {
          dynamicChunks.push(imported.path);
        } else if (imported.external) {
          staticPackages.add(imported.path);
        } else {
          queue.push(imported.path);
        }
      }
    }
    expect(
      Object.keys(result.metafile.inputs).some((input) => input.endsWith('src/providers/http.ts')),
    ).toBe(false);
    expect([...staticPackages]).toEqual([]);
    // uk.ts and electricitymaps.ts (zod) and the @tgwf/co2 datasets load on first use only.
    const lazyPackages = dynamicChunks.flatMap((path) =>
      outputs[path] === undefined
        ? [path]
        : (outputs[path]?.imports ?? [])
            .filter((imported) => imported.external)
            .map((imported) => imported.path),
    );
    expect(lazyPackages).toEqual(
      expect.arrayContaining(['zod/mini', '@tgwf/co2/data/electricity-maps', '@tgwf/co2/data']),
    );
  });
});

/**
 * `report export --format json` metadata describes the ledger rows it exports, not the settings
 * at export time: one value where every row agrees, the distinct values (and a factor set each)
 * where they differ; the configuration only fills in for an empty selection.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerHourRow } from '../../src/store/types.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { hourRow, writeLedger, type HourInput } from './ledger-readers.js';

interface Methodology {
  factors_from: string;
  version: unknown;
  power_profile: unknown;
  watts: unknown;
  pue: unknown;
  intensity_provider: unknown;
  region: unknown;
  emission_factor_sources: Array<{ provider: string; dataset: string }>;
  market_factor: { g_per_kwh: unknown; note: string };
  embodied: { grams_per_core_hour: unknown };
  factor_sets: Array<Record<string, unknown> & { entity_hours: number; energy_kwh: number }>;
}

/**
 * A row tracked with `custom` power, 10 W busy / 2 W idle per core, PUE 1.2 and a market factor
 * of 50 g/kWh: energy = (busy × 10 + idle × 2) / 3.6e6 × 1.2.
 */
function customRow(input: HourInput): LedgerHourRow {
  const base = hourRow(input);
  const energyItKwh = (input.busySeconds * 10 + input.idleSeconds * 2) / 3.6e6;
  const energyKwh = energyItKwh * 1.2;
  return {
    ...base,
    powerProfile: 'custom',
    busyWattsPerCore: 10,
    idleWattsPerCore: 2,
    pue: 1.2,
    marketFactorGPerKwh: 50,
    energyItKwh,
    energyKwh,
    scope2LocationGrams: energyKwh * input.intensity,
    scope2MarketGrams: energyKwh * 50,
    isEstimated: false,
    estimationReasons: [],
  };
}

const alice = { owner: 'alice', project: 'astro', machine: 'small', host: 'host-a' };
const bob = { owner: 'bob', project: 'astro', machine: 'large', host: 'host-b' };

let dir: string;
let ledger: string;

/*
 * - January: host-a (alice) 2025-01-15T10Z, ada 12 W / 1 W, busy 3600 s → 0.012 kWh.
 * - February: host-a 2025-02-15T10Z, custom, busy 3600 s → 3600 × 10 / 3.6e6 = 0.010 kWh IT
 *   × 1.2 = 0.012 kWh; host-b (bob) 2025-02-15T11Z, ada, idle 3600 s → 0.001 kWh.
 * The configuration says something else again (custom 20 W / 3 W, PUE 1.5), which must only
 * show for an empty selection.
 */
beforeAll(() => {
  dir = tempDir();
  ledger = join(dir, 'mixed.db');
  writeLedger(ledger, [
    hourRow({
      entityId: 'host-a',
      hour: '2025-01-15T10:00:00Z',
      busySeconds: 3600,
      idleSeconds: 0,
      intensity: 100,
      labels: alice,
    }),
    customRow({
      entityId: 'host-a',
      hour: '2025-02-15T10:00:00Z',
      busySeconds: 3600,
      idleSeconds: 0,
      intensity: 100,
      labels: alice,
    }),
    hourRow({
      entityId: 'host-b',
      hour: '2025-02-15T11:00:00Z',
      busySeconds: 0,
      idleSeconds: 3600,
      intensity: 100,
      labels: bob,
    }),
  ]);
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'config.json'),
    JSON.stringify({
      power: { profile: 'custom', busyWattsPerCore: 20, idleWattsPerCore: 3 },
      pue: 1.5,
    }),
  );
});

afterAll(() => removeDir(dir));

async function methodology(args: string[]): Promise<Methodology> {
  const result = await run(
    ['report', 'export', '--ledger', ledger, '--format', 'json', '--out', '-', ...args],
    { dir },
  );
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { metadata: { methodology: Methodology } }).metadata
    .methodology;
}

describe('report export metadata: provenance from the ledger', () => {
  it('lists the distinct factors when rows were computed with two sets of watts', async () => {
    const described = await methodology(['--from', '2025-01-01', '--to', '2025-02-28']);
    expect(described.factors_from).toMatch(/^ledger/);
    expect(described.watts).toEqual([
      { busy_per_core: 10, idle_per_core: 2, memory_per_gib: 0 },
      { busy_per_core: 12, idle_per_core: 1, memory_per_gib: 0 },
    ]);
    expect(described.power_profile).toEqual(['ada', 'custom']);
    expect(described.pue).toEqual([1, 1.2]);
    expect(described.market_factor.g_per_kwh).toEqual([null, 50]);
    expect(described.market_factor.note).toMatch(/for some rows/);
    // What all rows share stays a single value.
    expect(described.version).toBe('carbonctl-2026.1');
    expect(described.intensity_provider).toBe('uk');
    expect(described.region).toBe('GB national');
    expect(described.embodied.grams_per_core_hour).toBe(0);
    expect(described.emission_factor_sources).toHaveLength(1);
    expect(described.emission_factor_sources[0]?.dataset).toMatch(/GB national$/);
    // One set per combination, largest share first: ada covers 2 entity-hours (0.012 + 0.001
    // kWh), custom 1 (0.012 kWh).
    expect(
      described.factor_sets.map((set) => [set.power_profile, set.pue, set.entity_hours]),
    ).toEqual([
      ['ada', 1, 2],
      ['custom', 1.2, 1],
    ]);
    expect(described.factor_sets[0]?.energy_kwh).toBeCloseTo(0.013, 15);
    expect(described.factor_sets[1]?.energy_kwh).toBeCloseTo(0.012, 15);
    expect(described.factor_sets[1]).toMatchObject({
      watts: { busy_per_core: 10, idle_per_core: 2, memory_per_gib: 0 },
      market_factor_g_per_kwh: 50,
      intensity_kinds: ['actual'],
    });
  });

  it('gives single values for a period whose rows agree, whatever the configuration says', async () => {
    const january = await methodology(['--from', '2025-01-01', '--to', '2025-01-31']);
    expect(january.watts).toEqual({ busy_per_core: 12, idle_per_core: 1, memory_per_gib: 0 });
    expect(january.power_profile).toBe('ada');
    expect(january.pue).toBe(1);
    expect(january.market_factor.g_per_kwh).toBeNull();
    expect(january.market_factor.note).toMatch(/^no supplier/);
    expect(january.factor_sets).toHaveLength(1);
    expect(january.factor_sets[0]?.entity_hours).toBe(1);
  });

  it('follows the filters: alice in February is custom only', async () => {
    const february = await methodology([
      '--from',
      '2025-02-01',
      '--to',
      '2025-02-28',
      '--owner',
      'alice',
    ]);
    expect(february.watts).toEqual({ busy_per_core: 10, idle_per_core: 2, memory_per_gib: 0 });
    expect(february.pue).toBe(1.2);
    expect(february.market_factor.g_per_kwh).toBe(50);
  });

  it('falls back to the configuration, and says so, when the selection has no rows', async () => {
    const empty = await methodology(['--from', '2024-01-01', '--to', '2024-01-31']);
    expect(empty.factors_from).toMatch(/^configuration/);
    expect(empty.watts).toEqual({ busy_per_core: 20, idle_per_core: 3, memory_per_gib: 0 });
    expect(empty.power_profile).toBe('custom');
    expect(empty.pue).toBe(1.5);
    expect(empty.region).toBe('GB national');
    expect(empty.factor_sets[0]).toMatchObject({ entity_hours: null, energy_kwh: null });
  });
});

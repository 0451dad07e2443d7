/**
 * Test support for the ledger readers: adds their commands to the registry the in-process
 * `run` helper uses (until the lead registers them for real; a no-op after that), and builds
 * small hand-computable ledgers through the real store API.
 */
import { openLedger } from '../../src/store/ledger.js';
import type { LedgerHourRow, LedgerLabels, LedgerSource } from '../../src/store/types.js';

/** Ada defaults (SPEC §2): 12 W busy, 1 W idle per core; 0.031611 per core-hour. */
export const BUSY_WATTS = 12;
export const IDLE_WATTS = 1;
export const PER_CORE_HOUR = 0.031611;

/** The inputs of one hand-made entity-hour; the results are computed with the SPEC §2 formulas. */
export interface HourInput {
  cluster?: string;
  source?: LedgerSource;
  entityId: string;
  hour: string;
  busySeconds: number;
  idleSeconds: number;
  intensity: number;
  labels: LedgerLabels;
  coverage?: number;
  pue?: number;
  kind?: LedgerHourRow['intensityKind'];
  provider?: string;
  embodiedGramsPerCoreHour?: number;
  marketFactor?: number | null;
  currency?: string;
}

/** One ledger row from hand inputs: energy = (busy×12 + idle×1)/3.6e6 × PUE, carbon = energy × intensity. */
export function hourRow(input: HourInput): LedgerHourRow {
  const pue = input.pue ?? 1;
  const energyItKwh = (input.busySeconds * BUSY_WATTS + input.idleSeconds * IDLE_WATTS) / 3.6e6;
  const energyKwh = energyItKwh * pue;
  const market = input.marketFactor ?? null;
  const embodied = input.embodiedGramsPerCoreHour ?? 0;
  const kind = input.kind ?? 'actual';
  // Market-based Scope 2 without a factor is a basis, not an estimate (SPEC §2).
  const reasons = kind === 'forecast' ? ['intensity_forecast'] : [];
  return {
    cluster: input.cluster ?? 'default',
    source: input.source ?? 'nodes',
    entityId: input.entityId,
    hourStart: new Date(input.hour),
    busySeconds: input.busySeconds,
    idleSeconds: input.idleSeconds,
    reservedCoreSeconds: null,
    memoryGiBHours: 0,
    coverage: input.coverage ?? 1,
    labels: input.labels,
    intensityGPerKwh: input.intensity,
    intensityProvider: input.provider ?? 'uk',
    intensityKind: kind,
    region: 'GB national',
    powerProfile: 'ada',
    busyWattsPerCore: BUSY_WATTS,
    idleWattsPerCore: IDLE_WATTS,
    memoryWattsPerGiB: 0,
    pue,
    embodiedGramsPerCoreHour: embodied,
    marketFactorGPerKwh: market,
    currency: input.currency ?? 'USD',
    energyItKwh,
    energyKwh,
    scope2LocationGrams: energyKwh * input.intensity,
    scope2MarketGrams: energyKwh * (market ?? input.intensity),
    scope3Grams: ((input.busySeconds + input.idleSeconds) / 3600) * embodied,
    cost: ((input.busySeconds + input.idleSeconds) / 3600) * PER_CORE_HOUR,
    isEstimated: reasons.length > 0,
    estimationReasons: reasons,
    methodologyVersion: 'carbonctl-2026.1',
  };
}

/** Writes rows into a new ledger at `path`, one committed chunk per (cluster, source). */
export function writeLedger(path: string, rows: readonly LedgerHourRow[]): void {
  const ledger = openLedger(path, { clock: () => new Date('2026-11-21T00:00:00Z') });
  try {
    const chunks = new Map<string, LedgerHourRow[]>();
    for (const row of rows) {
      const key = `${row.cluster}\u0000${row.source}`;
      chunks.set(key, [...(chunks.get(key) ?? []), row]);
    }
    for (const chunk of chunks.values()) {
      const first = chunk[0];
      if (first === undefined) continue;
      const end = Math.max(...chunk.map((row) => row.hourStart.getTime())) + 3_600_000;
      ledger.commitChunk(first.cluster, first.source, chunk, new Date(end));
    }
  } finally {
    ledger.close();
  }
}

/**
 * The tiny ledger most reader tests use (hand-computed values in the comments):
 * - host-a (alice, astro, small): 2026-11-02T10Z busy 3600 idle 3600 @100 → 0.013 kWh, 1.3 g;
 *   11Z same @200 → 0.013 kWh, 2.6 g. Cost 2 core-h × 0.031611 per hour.
 * - host-b (bob, astro, large): 2026-11-03T00Z busy 10800 idle 0 @100 → 0.036 kWh, 3.6 g.
 * - k8s shop/web-1 (namespace shop, workload web, Deployment): 2026-11-02T10Z busy 1800 idle
 *   1800 @100 → 0.0065 kWh, 0.65 g.
 * - host-a in October: 2026-10-31T23Z busy 3600 idle 0 @100 → 0.012 kWh, 1.2 g.
 */
export function tinyLedgerRows(): LedgerHourRow[] {
  const alice = { owner: 'alice', project: 'astro', machine: 'small', host: 'host-a' };
  const bob = { owner: 'bob', project: 'astro', machine: 'large', host: 'host-b' };
  return [
    hourRow({
      entityId: 'host-a',
      hour: '2026-11-02T10:00:00Z',
      busySeconds: 3600,
      idleSeconds: 3600,
      intensity: 100,
      labels: alice,
    }),
    hourRow({
      entityId: 'host-a',
      hour: '2026-11-02T11:00:00Z',
      busySeconds: 3600,
      idleSeconds: 3600,
      intensity: 200,
      labels: alice,
    }),
    hourRow({
      entityId: 'host-b',
      hour: '2026-11-03T00:00:00Z',
      busySeconds: 10800,
      idleSeconds: 0,
      intensity: 100,
      labels: bob,
    }),
    hourRow({
      cluster: 'k8s',
      source: 'pods',
      entityId: 'shop/web-1',
      hour: '2026-11-02T10:00:00Z',
      busySeconds: 1800,
      idleSeconds: 1800,
      intensity: 100,
      labels: { namespace: 'shop', workload: 'web', workloadKind: 'Deployment', pod: 'web-1' },
    }),
    hourRow({
      entityId: 'host-a',
      hour: '2026-10-31T23:00:00Z',
      busySeconds: 3600,
      idleSeconds: 0,
      intensity: 100,
      labels: alice,
    }),
  ];
}

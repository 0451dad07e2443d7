/**
 * A deterministic ledger generator for tests and the report benchmark: `entities` workspaces
 * tracked every hour for `hours` hours from `from`, committed through the real commitChunk.
 */
import type { Ledger, LedgerHourRow, LedgerSource } from '../../src/store/types.js';

/** What fillLedger generates. */
export interface LedgerFixtureOptions {
  entities: number;
  /** First hour (UTC, on an hour boundary). */
  from: Date;
  hours: number;
  cluster?: string;
  source?: LedgerSource;
  /** Hours per committed chunk (default 24). */
  chunkHours?: number;
  /** Seed of the pseudo-random usage, so two fills with one seed are identical. */
  seed?: number;
}

/** Exact JS-side totals of what was written, for checking aggregates against. */
export interface LedgerFixtureTotals {
  rows: number;
  busySeconds: number;
  idleSeconds: number;
  energyKwh: number;
  scope2LocationGrams: number;
  cost: number;
}

/** Ada defaults (SPEC §2): 12 W busy, 1 W idle per core; per core-hour and per GiB-hour prices. */
const BUSY_WATTS = 12;
const IDLE_WATTS = 1;
const PER_CORE_HOUR = 0.031611;
const PER_GIB_HOUR = 0.004237;

/** Labels of fixture entity `index`: 50 owners, 20 projects, 5 machine types. */
export function fixtureLabels(index: number): LedgerHourRow['labels'] {
  return {
    owner: `user${String(index % 50).padStart(2, '0')}`,
    project: `proj${String(index % 20).padStart(2, '0')}`,
    machine: `m${index % 5}`,
    host: `host-${String(index).padStart(5, '0')}`,
  };
}

/** A small deterministic PRNG (mulberry32) so fixtures do not depend on Math.random. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds one fixture row with the SPEC §2 formulas (PUE 1, no memory power, no embodied). */
export function fixtureRow(
  cluster: string,
  source: LedgerSource,
  index: number,
  hourStart: Date,
  busySeconds: number,
  idleSeconds: number,
  intensityGPerKwh: number,
  labels: LedgerHourRow['labels'] = fixtureLabels(index),
): LedgerHourRow {
  const memoryGiBHours = 4;
  const energyKwh = (busySeconds * BUSY_WATTS + idleSeconds * IDLE_WATTS) / 3.6e6;
  return {
    cluster,
    source,
    entityId: `host-${String(index).padStart(5, '0')}`,
    hourStart,
    busySeconds,
    idleSeconds,
    reservedCoreSeconds: null,
    memoryGiBHours,
    coverage: 1,
    labels,
    intensityGPerKwh,
    intensityProvider: 'uk',
    intensityKind: 'actual',
    region: 'GB national',
    powerProfile: 'ada',
    busyWattsPerCore: BUSY_WATTS,
    idleWattsPerCore: IDLE_WATTS,
    memoryWattsPerGiB: 0,
    pue: 1,
    embodiedGramsPerCoreHour: 0,
    marketFactorGPerKwh: null,
    currency: 'USD',
    energyItKwh: energyKwh,
    energyKwh,
    scope2LocationGrams: energyKwh * intensityGPerKwh,
    scope2MarketGrams: energyKwh * intensityGPerKwh,
    scope3Grams: 0,
    cost: ((busySeconds + idleSeconds) / 3600) * PER_CORE_HOUR + memoryGiBHours * PER_GIB_HOUR,
    isEstimated: false,
    estimationReasons: [],
    methodologyVersion: '1',
  };
}

/** Fills the ledger chunk by chunk (advancing progress) and returns the totals written. */
export function fillLedger(ledger: Ledger, options: LedgerFixtureOptions): LedgerFixtureTotals {
  const cluster = options.cluster ?? 'default';
  const source = options.source ?? 'nodes';
  const chunkHours = options.chunkHours ?? 24;
  const random = prng(options.seed ?? 1);
  const totals: LedgerFixtureTotals = {
    rows: 0,
    busySeconds: 0,
    idleSeconds: 0,
    energyKwh: 0,
    scope2LocationGrams: 0,
    cost: 0,
  };
  const fromMs = options.from.getTime();
  // One labels object per entity, as track builds them: commitChunk interns by identity first.
  const labels = Array.from({ length: options.entities }, (_, index) => fixtureLabels(index));
  for (let chunkStart = 0; chunkStart < options.hours; chunkStart += chunkHours) {
    const rows: LedgerHourRow[] = [];
    const chunkEnd = Math.min(options.hours, chunkStart + chunkHours);
    for (let hour = chunkStart; hour < chunkEnd; hour++) {
      const hourStart = new Date(fromMs + hour * 3_600_000);
      // A daily intensity curve between 100 and 300 g/kWh, whole numbers.
      const intensity = 200 + Math.round(100 * Math.sin((hour % 24) * (Math.PI / 12)));
      for (let index = 0; index < options.entities; index++) {
        // Whole seconds of a 4-core host: busy 0..14400, idle the rest.
        const busySeconds = Math.floor(random() * 14_400);
        const idleSeconds = 14_400 - busySeconds;
        const row = fixtureRow(
          cluster,
          source,
          index,
          hourStart,
          busySeconds,
          idleSeconds,
          intensity,
          labels[index],
        );
        rows.push(row);
        totals.rows++;
        totals.busySeconds += busySeconds;
        totals.idleSeconds += idleSeconds;
        totals.energyKwh += row.energyKwh;
        totals.scope2LocationGrams += row.scope2LocationGrams;
        totals.cost += row.cost;
      }
    }
    ledger.commitChunk(cluster, source, rows, new Date(fromMs + chunkEnd * 3_600_000));
  }
  return totals;
}

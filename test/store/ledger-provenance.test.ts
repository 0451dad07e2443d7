/**
 * Ledger.provenanceSummary: the distinct factors and sources of the rows a report selects, read
 * from the daily rollup for whole UTC days and from the hour rows at partial-day edges, checked
 * against hand-computed counts and kWh and against a brute-force query of the `ledger_rows` view.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/store/ledger.js';
import type { Ledger, LedgerHourRow, ProvenanceRow } from '../../src/store/types.js';
import { fixtureRow } from '../helpers/ledger-fixture.js';

const ALICE = { owner: 'alice', project: 'p1', machine: 'm1', host: 'host-a' };
const BOB = { owner: 'bob', project: 'p1', machine: 'm2', host: 'host-b' };

/** Hour `hour` (0-23) of a March 2025 day, UTC. */
const at = (day: number, hour: number): Date => new Date(Date.UTC(2025, 2, day, hour));

/**
 * One entity-hour with the given watts: energy = (busy × busyW + idle × idleW) / 3.6e6 kWh (PUE 1),
 * everything else from the fixture (uk, GB national, PUE 1, no market factor).
 */
function row(
  index: number,
  labels: LedgerHourRow['labels'],
  hourStart: Date,
  busySeconds: number,
  idleSeconds: number,
  extra: Partial<LedgerHourRow> = {},
): LedgerHourRow {
  const busyWatts = extra.busyWattsPerCore ?? 12;
  const idleWatts = extra.idleWattsPerCore ?? 1;
  const energyKwh = (busySeconds * busyWatts + idleSeconds * idleWatts) / 3.6e6;
  return {
    ...fixtureRow('c1', 'nodes', index, hourStart, busySeconds, idleSeconds, 100, labels),
    energyItKwh: energyKwh,
    energyKwh,
    scope2LocationGrams: energyKwh * 100,
    scope2MarketGrams: energyKwh * (extra.marketFactorGPerKwh ?? 100),
    methodologyVersion: 'carbonctl-2026.1',
    ...extra,
  };
}

let dir: string;
let path: string;
let ledger: Ledger;

/*
 * The ledger (hand-computed energies):
 * - host-a (alice), 10 March, 24 h, ada 12 W / 1 W, busy 3600 s → 3600 × 12 / 3.6e6 = 0.012 kWh
 *   per hour, 0.288 kWh in all.
 * - host-a, 11 March, 24 h, custom 10 W / 2 W, market factor 50 g/kWh, busy 1800 idle 1800 →
 *   (18000 + 3600) / 3.6e6 = 0.006 kWh per hour, 0.144 kWh in all.
 * - host-b (bob), 11 March 00-03 h, ada, idle 3600 s → 3600 × 1 / 3.6e6 = 0.001 kWh per hour;
 *   04-05 h the same with forecast intensity (another intensity kind); 06 h the same factors as
 *   00-03 h but an extra estimation reason, which the summary must not split on.
 */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-provenance-'));
  path = join(dir, 'ledger.db');
  ledger = openLedger(path, { clock: () => new Date('2025-04-01T00:00:00Z') });
  const rows: LedgerHourRow[] = [];
  for (let hour = 0; hour < 24; hour++) rows.push(row(1, ALICE, at(10, hour), 3600, 0));
  for (let hour = 0; hour < 24; hour++) {
    rows.push(
      row(1, ALICE, at(11, hour), 1800, 1800, {
        powerProfile: 'custom',
        busyWattsPerCore: 10,
        idleWattsPerCore: 2,
        marketFactorGPerKwh: 50,
        isEstimated: false,
        estimationReasons: [],
      }),
    );
  }
  for (let hour = 0; hour < 4; hour++) rows.push(row(2, BOB, at(11, hour), 0, 3600));
  for (const hour of [4, 5]) {
    rows.push(
      row(2, BOB, at(11, hour), 0, 3600, {
        intensityKind: 'forecast',
        estimationReasons: ['intensity_forecast', 'market_factor_missing'],
      }),
    );
  }
  rows.push(
    row(2, BOB, at(11, 6), 0, 3600, {
      estimationReasons: ['market_factor_missing', 'power_profile_default'],
    }),
  );
  ledger.commitChunk('c1', 'nodes', rows, at(12, 0));
});

afterAll(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fields every expected row shares with the fixture (uk, GB national, PUE 1, USD). */
const ADA: Omit<ProvenanceRow, 'intensityKind' | 'entityHours' | 'energyKwh'> = {
  intensityProvider: 'uk',
  region: 'GB national',
  powerProfile: 'ada',
  busyWattsPerCore: 12,
  idleWattsPerCore: 1,
  memoryWattsPerGiB: 0,
  pue: 1,
  embodiedGramsPerCoreHour: 0,
  marketFactorGPerKwh: null,
  currency: 'USD',
  methodologyVersion: 'carbonctl-2026.1',
};
const CUSTOM = {
  ...ADA,
  powerProfile: 'custom',
  busyWattsPerCore: 10,
  idleWattsPerCore: 2,
  marketFactorGPerKwh: 50,
};

/** Compares summaries with kWh to 1e-12 (sums of floats), everything else exactly. */
function expectSummary(actual: ProvenanceRow[], expected: ProvenanceRow[]): void {
  expect(actual.map(({ energyKwh: _energy, ...rest }) => rest)).toEqual(
    expected.map(({ energyKwh: _energy, ...rest }) => rest),
  );
  actual.forEach((got, index) =>
    expect(got.energyKwh).toBeCloseTo(expected[index]?.energyKwh ?? Number.NaN, 12),
  );
}

describe('Ledger.provenanceSummary', () => {
  it('lists each distinct set of factors over whole days, with its entity-hours and kWh', () => {
    const summary = ledger.provenanceSummary({ from: at(10, 0), to: at(12, 0) });
    expectSummary(summary, [
      // ada actual: host-a's 24 h on the 10th (0.288) + host-b's 00-03 h (0.004) and 06 h (0.001).
      { ...ADA, intensityKind: 'actual', entityHours: 29, energyKwh: 0.293 },
      // custom sorts after ada within kind `actual`: host-a's 24 h on the 11th.
      { ...CUSTOM, intensityKind: 'actual', entityHours: 24, energyKwh: 0.144 },
      // forecast: host-b's 04-05 h.
      { ...ADA, intensityKind: 'forecast', entityHours: 2, energyKwh: 0.002 },
    ]);
  });

  it('reads partial-day edges from the hour rows', () => {
    // 10th 20:00 → 11th 02:00: host-a 20-23 h ada (4 × 0.012 = 0.048) and host-b 00-01 h
    // (2 × 0.001), host-a 00-01 h custom (2 × 0.006 = 0.012).
    expectSummary(ledger.provenanceSummary({ from: at(10, 20), to: at(11, 2) }), [
      { ...ADA, intensityKind: 'actual', entityHours: 6, energyKwh: 0.05 },
      { ...CUSTOM, intensityKind: 'actual', entityHours: 2, energyKwh: 0.012 },
    ]);
    // 10th 12:00 → 12th: hours 12-23 of the 10th (12 × 0.012 = 0.144) + the whole 11th from the rollup.
    expectSummary(ledger.provenanceSummary({ from: at(10, 12), to: at(12, 0) }), [
      { ...ADA, intensityKind: 'actual', entityHours: 17, energyKwh: 0.149 },
      { ...CUSTOM, intensityKind: 'actual', entityHours: 24, energyKwh: 0.144 },
      { ...ADA, intensityKind: 'forecast', entityHours: 2, energyKwh: 0.002 },
    ]);
  });

  it('applies label filters and returns nothing for an empty selection', () => {
    expectSummary(ledger.provenanceSummary({ from: at(10, 0), to: at(12, 0), owner: 'bob' }), [
      { ...ADA, intensityKind: 'actual', entityHours: 5, energyKwh: 0.005 },
      { ...ADA, intensityKind: 'forecast', entityHours: 2, energyKwh: 0.002 },
    ]);
    expect(ledger.provenanceSummary({ from: at(10, 0), to: at(11, 0), owner: 'bob' })).toEqual([]);
    expect(ledger.provenanceSummary({ from: at(20, 0), to: at(21, 0) })).toEqual([]);
  });

  it('agrees with a brute-force query of every hour row, for any range', () => {
    const db = new Database(path, { readonly: true });
    try {
      const bruteForce = db.prepare(
        `SELECT intensity_provider, intensity_kind, region, power_profile, busy_watts_per_core,
                idle_watts_per_core, count(*) AS n, total(energy_kwh) AS kwh
           FROM ledger_rows WHERE hour_start >= ? AND hour_start < ?
          GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
      );
      for (const [fromHour, toHour] of [
        [0, 48],
        [5, 47],
        [23, 25],
        [24, 48],
        [30, 31],
      ] as const) {
        const from = at(10, fromHour);
        const to = at(10, toHour);
        const wanted = bruteForce.all(
          from.toISOString().replace('.000Z', 'Z'),
          to.toISOString().replace('.000Z', 'Z'),
        ) as Array<Record<string, number | string>>;
        const got = ledger.provenanceSummary({ from, to });
        expect(
          got.map((item) => [
            item.intensityProvider,
            item.intensityKind,
            item.region,
            item.powerProfile,
            item.busyWattsPerCore,
            item.idleWattsPerCore,
            item.entityHours,
          ]),
          `${fromHour}-${toHour}`,
        ).toEqual(
          wanted.map((item) => [
            item.intensity_provider,
            item.intensity_kind,
            item.region,
            item.power_profile,
            item.busy_watts_per_core,
            item.idle_watts_per_core,
            item.n,
          ]),
        );
        got.forEach((item, index) =>
          expect(item.energyKwh).toBeCloseTo(Number(wanted[index]?.kwh), 12),
        );
      }
    } finally {
      db.close();
    }
  });
});

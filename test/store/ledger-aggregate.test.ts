import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataSourceError, InternalError } from '../../src/errors.js';
import { openLedger } from '../../src/store/ledger.js';
import type {
  AggregateBucket,
  AggregateRow,
  Ledger,
  LedgerHourRow,
} from '../../src/store/types.js';
import { fillLedger, fixtureRow } from '../helpers/ledger-fixture.js';

let dir: string;
let path: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-'));
  path = join(dir, 'ledger.db');
  ledger = openLedger(path, { clock: () => new Date('2025-06-01T00:00:00Z') });
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALICE = { owner: 'alice', project: 'p1', machine: 'm1', host: 'h1' };
const BOB = { owner: 'bob', project: 'p1', machine: 'm2', host: 'h2' };

/** A row with explicit results; everything not given is the fixture's (ada, PUE 1, not estimated). */
function makeRow(
  entityId: string,
  hour: string,
  values: Partial<LedgerHourRow> &
    Pick<LedgerHourRow, 'busySeconds' | 'idleSeconds' | 'energyKwh' | 'intensityGPerKwh' | 'cost'>,
  cluster = 'c1',
  source: 'nodes' | 'pods' = 'nodes',
): LedgerHourRow {
  const base = fixtureRow(
    cluster,
    source,
    0,
    new Date(hour),
    values.busySeconds,
    values.idleSeconds,
    values.intensityGPerKwh,
  );
  const scope2 = values.energyKwh * values.intensityGPerKwh;
  return {
    ...base,
    entityId,
    energyItKwh: values.energyKwh,
    scope2LocationGrams: scope2,
    scope2MarketGrams: scope2,
    scope3Grams: 0,
    isEstimated: false,
    estimationReasons: [],
    ...values,
  };
}

/*
 * The small ledger, with each row's numbers worked out by hand (ada: 12 W busy, 1 W idle):
 *   A1 h1 03-31T22Z busy 3600            → 0.012 kWh  × 100 g/kWh = 1.2 g, embodied 2 g, cost 0.5
 *   A2 h1 03-31T23Z busy 1800 idle 1800  → (21600 + 1800) / 3.6e6 = 0.0065 kWh × 200 = 1.3 g, 2 g, 0.25
 *   A3 h1 04-01T00Z idle 3600            → 0.001 kWh × 300 = 0.3 g, 2 g, 0.125
 *   B1 h2 03-31T23Z busy 3600            → 0.012 kWh × 200 = 2.4 g (forecast, estimated), cost 1
 *   B2 h2 04-02T10Z busy 4800, PUE 1.5   → IT 0.016 kWh, 0.024 kWh × 150 = 3.6 g; market 50 g/kWh → 1.2 g; cost 2
 * London months 2025: March = [03-01T00Z, 03-31T23Z), April = [03-31T23Z, 04-30T23Z) (BST).
 */
function fillSmallLedger(): void {
  const a1 = makeRow('h1', '2025-03-31T22:00:00Z', {
    busySeconds: 3600,
    idleSeconds: 0,
    energyKwh: 0.012,
    intensityGPerKwh: 100,
    cost: 0.5,
    scope3Grams: 2,
    embodiedGramsPerCoreHour: 2,
    labels: ALICE,
  });
  const a2 = makeRow('h1', '2025-03-31T23:00:00Z', {
    busySeconds: 1800,
    idleSeconds: 1800,
    energyKwh: 0.0065,
    intensityGPerKwh: 200,
    cost: 0.25,
    scope3Grams: 2,
    embodiedGramsPerCoreHour: 2,
    labels: ALICE,
  });
  const a3 = makeRow('h1', '2025-04-01T00:00:00Z', {
    busySeconds: 0,
    idleSeconds: 3600,
    energyKwh: 0.001,
    intensityGPerKwh: 300,
    cost: 0.125,
    scope3Grams: 2,
    embodiedGramsPerCoreHour: 2,
    labels: ALICE,
  });
  const b1 = makeRow('h2', '2025-03-31T23:00:00Z', {
    busySeconds: 3600,
    idleSeconds: 0,
    energyKwh: 0.012,
    intensityGPerKwh: 200,
    cost: 1,
    labels: BOB,
    intensityKind: 'forecast',
    isEstimated: true,
    estimationReasons: ['intensity_forecast'],
  });
  const b2 = makeRow('h2', '2025-04-02T10:00:00Z', {
    busySeconds: 4800,
    idleSeconds: 0,
    energyItKwh: 0.016,
    energyKwh: 0.024,
    pue: 1.5,
    intensityGPerKwh: 150,
    cost: 2,
    marketFactorGPerKwh: 50,
    scope2MarketGrams: 1.2,
    labels: BOB,
  });
  ledger.commitChunk('c1', 'nodes', [a1, a2, b1], new Date('2025-04-01T00:00:00Z'));
  ledger.commitChunk('c1', 'nodes', [a3, b2], new Date('2025-04-02T11:00:00Z'));
  // The same host name in another cluster is another entity.
  ledger.commitChunk(
    'c2',
    'nodes',
    [
      makeRow(
        'h1',
        '2025-04-01T12:00:00Z',
        {
          busySeconds: 3600,
          idleSeconds: 0,
          energyKwh: 0.012,
          intensityGPerKwh: 100,
          cost: 0.5,
          labels: ALICE,
        },
        'c2',
      ),
    ],
    new Date('2025-04-01T13:00:00Z'),
  );
  // Pods: two pods of one Deployment and a Job pod.
  //   P1 360 s busy → 0.0012 kWh × 100 = 0.12 g; P2 720 s → 0.0024 kWh → 0.24 g; P3 3600 s → 0.012 kWh → 1.2 g
  const web = (pod: string) => ({
    namespace: 'ns1',
    workload: 'web',
    workloadKind: 'Deployment',
    pod,
  });
  ledger.commitChunk(
    'c1',
    'pods',
    [
      makeRow(
        'ns1/web-abc',
        '2025-04-10T05:00:00Z',
        {
          busySeconds: 360,
          idleSeconds: 3240,
          reservedCoreSeconds: 3600,
          energyKwh: 0.0012,
          intensityGPerKwh: 100,
          cost: 0.1,
          labels: web('web-abc'),
        },
        'c1',
        'pods',
      ),
      makeRow(
        'ns1/web-def',
        '2025-04-10T05:00:00Z',
        {
          busySeconds: 720,
          idleSeconds: 2880,
          reservedCoreSeconds: 3600,
          energyKwh: 0.0024,
          intensityGPerKwh: 100,
          cost: 0.1,
          labels: web('web-def'),
        },
        'c1',
        'pods',
      ),
      makeRow(
        'ns2/job-x-1',
        '2025-04-10T06:00:00Z',
        {
          busySeconds: 3600,
          idleSeconds: 0,
          energyKwh: 0.012,
          intensityGPerKwh: 100,
          cost: 0.2,
          labels: { namespace: 'ns2', workload: 'job-x', workloadKind: 'Job', pod: 'job-x-1' },
        },
        'c1',
        'pods',
      ),
    ],
    new Date('2025-04-10T07:00:00Z'),
  );
}

const LONDON_MONTHS: AggregateBucket[] = [
  {
    label: '2025-03',
    start: new Date('2025-03-01T00:00:00Z'),
    end: new Date('2025-03-31T23:00:00Z'),
  },
  {
    label: '2025-04',
    start: new Date('2025-03-31T23:00:00Z'),
    end: new Date('2025-04-30T23:00:00Z'),
  },
];

function pick(rows: AggregateRow[], bucket: string | null, group: string | null): AggregateRow {
  const row = rows.find((r) => r.bucket === bucket && r.group === group);
  if (row === undefined) throw new Error(`no row for ${bucket} / ${group}`);
  return row;
}

describe('aggregate over a hand-computed ledger', () => {
  beforeEach(fillSmallLedger);

  it('sums by owner per London month, across the BST change', () => {
    const rows = ledger.aggregate({
      filter: { cluster: 'c1', source: 'nodes' },
      groupBy: 'owner',
      buckets: LONDON_MONTHS,
    });
    expect(rows.map((r) => [r.bucket, r.group])).toEqual([
      ['2025-03', 'alice'],
      ['2025-04', 'alice'],
      ['2025-04', 'bob'],
    ]);
    // March: A1 only (22:00Z is 22:00 GMT on 31 March).
    expect(pick(rows, '2025-03', 'alice')).toMatchObject({
      rowCount: 1,
      entityCount: 1,
      hours: 1,
      busySeconds: 3600,
      idleSeconds: 0,
      energyKwh: 0.012,
      scope3Grams: 2,
      cost: 0.5,
    });
    expect(pick(rows, '2025-03', 'alice').scope2LocationGrams).toBeCloseTo(1.2, 12);

    // April alice: A2 (23:00Z = 00:00 BST on 1 April) + A3.
    const aliceApril = pick(rows, '2025-04', 'alice');
    expect(aliceApril).toMatchObject({
      rowCount: 2,
      hours: 2,
      busySeconds: 1800,
      idleSeconds: 5400,
      scope3Grams: 4,
    });
    expect(aliceApril.energyKwh).toBeCloseTo(0.0075, 12); // 0.0065 + 0.001
    expect(aliceApril.scope2LocationGrams).toBeCloseTo(1.6, 12); // 1.3 + 0.3
    expect(aliceApril.intensityWeightedSum).toBeCloseTo(1.6, 12); // 0.0065×200 + 0.001×300
    expect(aliceApril.cost).toBeCloseTo(0.375, 12);
    expect(aliceApril.estimatedRows).toBe(0);
    expect(aliceApril.estimationReasons).toEqual([]);

    // April bob: B1 + B2.
    const bobApril = pick(rows, '2025-04', 'bob');
    expect(bobApril).toMatchObject({
      rowCount: 2,
      entityCount: 1,
      hours: 2,
      busySeconds: 8400,
      estimatedRows: 1,
      estimationReasons: ['intensity_forecast'],
      intensityKinds: ['actual', 'forecast'],
      intensityProviders: ['uk'],
      pueMin: 1,
      pueMax: 1.5,
      currency: 'USD',
      powerProfiles: ['ada'],
      methodologyVersions: ['1'],
    });
    expect(bobApril.energyItKwh).toBeCloseTo(0.028, 12); // 0.012 + 0.016
    expect(bobApril.energyKwh).toBeCloseTo(0.036, 12); // 0.012 + 0.024
    expect(bobApril.scope2LocationGrams).toBeCloseTo(6.0, 12); // 2.4 + 3.6
    expect(bobApril.scope2MarketGrams).toBeCloseTo(3.6, 12); // 2.4 + 0.024×50
    // Energy-weighted mean intensity: 6.0 g / 0.036 kWh = 166.67 g/kWh (the plain mean would be 175).
    expect(bobApril.intensityWeightedSum / bobApril.energyKwh).toBeCloseTo(166.6667, 3);
    expect(bobApril.coverageSum / bobApril.rowCount).toBe(1);
    expect(bobApril).not.toHaveProperty('workloadKind');
  });

  it('counts distinct entities and distinct hours for a whole bucket', () => {
    const rows = ledger.aggregate({
      filter: { cluster: 'c1', source: 'nodes' },
      groupBy: 'none',
      buckets: LONDON_MONTHS,
    });
    expect(rows.map((r) => [r.bucket, r.group, r.rowCount, r.entityCount, r.hours])).toEqual([
      ['2025-03', null, 1, 1, 1],
      // A2 and B1 share 03-31T23Z; A3 04-01T00Z; B2 04-02T10Z → 3 distinct hours of 4 rows.
      ['2025-04', null, 4, 2, 3],
    ]);
    // From 22:00Z the 31 March hours are read row by row (not from the day rollup): 22Z, 23Z
    // (twice), then 04-01T00Z and 04-02T10Z from the rollup → 4 distinct hours of 5 rows.
    const fromTen = ledger.aggregate({
      filter: { cluster: 'c1', source: 'nodes', from: new Date('2025-03-31T22:00:00Z') },
      groupBy: 'none',
    });
    expect(fromTen.map((r) => [r.rowCount, r.entityCount, r.hours])).toEqual([[5, 2, 4]]);
  });

  it("groups by Ada's group (project_machine) and filters on it", () => {
    const rows = ledger.aggregate({ filter: { source: 'nodes' }, groupBy: 'group' });
    expect(rows.map((r) => [r.bucket, r.group, r.rowCount])).toEqual([
      [null, 'p1_m1', 4], // A1-A3 and the c2 host
      [null, 'p1_m2', 2],
    ]);
    const bob = ledger.aggregate({ filter: { group: 'p1_m2' }, groupBy: 'owner' });
    expect(bob.map((r) => [r.group, r.rowCount])).toEqual([['bob', 2]]);
    // Pods have neither project nor machine: their group is null, and null sorts first.
    expect(ledger.aggregate({ filter: {}, groupBy: 'group' }).map((r) => r.group)).toEqual([
      null,
      'p1_m1',
      'p1_m2',
    ]);
  });

  it('groups workloads as namespace/name with their kind, and filters by either form', () => {
    const rows = ledger.aggregate({ filter: { source: 'pods' }, groupBy: 'workload' });
    expect(rows.map((r) => [r.group, r.workloadKind, r.entityCount, r.rowCount])).toEqual([
      ['ns1/web', 'Deployment', 2, 2],
      ['ns2/job-x', 'Job', 1, 1],
    ]);
    expect(rows[0]?.energyKwh).toBeCloseTo(0.0036, 12); // 0.0012 + 0.0024
    expect(rows[0]?.scope2LocationGrams).toBeCloseTo(0.36, 12);
    for (const workload of ['web', 'ns1/web']) {
      expect(
        ledger.aggregate({ filter: { workload }, groupBy: 'pod' }).map((r) => r.group),
      ).toEqual(['web-abc', 'web-def']);
    }
    expect(
      ledger
        .aggregate({ filter: { namespace: 'ns2' }, groupBy: 'namespace' })
        .map((r) => [r.group, r.busySeconds]),
    ).toEqual([['ns2', 3600]]);
  });

  it('groups by cluster and keeps same-named hosts of two clusters apart', () => {
    const rows = ledger.aggregate({ filter: { owner: 'alice' }, groupBy: 'cluster' });
    expect(rows.map((r) => [r.group, r.rowCount, r.entityCount])).toEqual([
      ['c1', 3, 1],
      ['c2', 1, 1],
    ]);
    expect(ledger.entityCount({ owner: 'alice' })).toBe(2);
    expect(
      ledger
        .aggregate({ filter: { host: 'h1' }, groupBy: 'entity' })
        .map((r) => [r.group, r.entityCount]),
    ).toEqual([['h1', 2]]);
    expect(ledger.countRows({ cluster: 'c2' })).toBe(1);
  });

  it('filters by a half-open time range without buckets', () => {
    // [04-01T00Z, 04-02T11Z) on c1 nodes: A3 and B2.
    const rows = ledger.aggregate({
      filter: {
        cluster: 'c1',
        source: 'nodes',
        from: new Date('2025-04-01T00:00:00Z'),
        to: new Date('2025-04-02T11:00:00Z'),
      },
      groupBy: 'none',
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      bucket: null,
      group: null,
      rowCount: 2,
      entityCount: 2,
      busySeconds: 4800,
      idleSeconds: 3600,
    });
    expect(rows[0]?.energyKwh).toBeCloseTo(0.025, 12);
    // `to` is exclusive: ending at B2's hour start leaves it out.
    expect(
      ledger.countRows({
        cluster: 'c1',
        source: 'nodes',
        from: new Date('2025-04-01T00:00:00Z'),
        to: new Date('2025-04-02T10:00:00Z'),
      }),
    ).toBe(1);
  });

  it('returns rows in bucket start order whatever order the buckets come in', () => {
    const reversed = [...LONDON_MONTHS].reverse();
    const rows = ledger.aggregate({
      filter: { source: 'nodes', cluster: 'c1' },
      groupBy: 'none',
      buckets: reversed,
    });
    expect(rows.map((r) => r.bucket)).toEqual(['2025-03', '2025-04']);
  });

  it('streams, and an abandoned stream leaves the ledger usable', () => {
    const iterator = ledger.iterateAggregate({ filter: {}, groupBy: 'owner' });
    const first = iterator.next();
    expect(first.done).toBe(false);
    iterator.return?.();
    expect(ledger.countRows()).toBe(9);
    for (const row of ledger.iterateAggregate({ filter: {}, groupBy: 'owner' })) {
      expect(row.group === null || typeof row.group === 'string').toBe(true);
      break;
    }
    expect(ledger.countRows()).toBe(9);
  });
});

describe('aggregate edge cases', () => {
  it('reports no currency for a group whose rows mix currencies', () => {
    ledger.commitChunk(
      'c1',
      'nodes',
      [
        makeRow('h1', '2025-01-01T00:00:00Z', {
          busySeconds: 1,
          idleSeconds: 0,
          energyKwh: 0.001,
          intensityGPerKwh: 1,
          cost: 1,
          currency: 'USD',
          labels: ALICE,
        }),
        makeRow('h1', '2025-01-01T01:00:00Z', {
          busySeconds: 1,
          idleSeconds: 0,
          energyKwh: 0.001,
          intensityGPerKwh: 1,
          cost: 1,
          currency: 'EUR',
          labels: ALICE,
        }),
      ],
      new Date('2025-01-01T02:00:00Z'),
    );
    expect(ledger.aggregate({ filter: {}, groupBy: 'owner' })[0]?.currency).toBeNull();
  });

  it('returns nothing for an empty ledger or an empty range', () => {
    expect(ledger.aggregate({ filter: {}, groupBy: 'owner' })).toEqual([]);
    expect(ledger.countRows()).toBe(0);
    expect(
      ledger.aggregate({
        filter: { from: new Date('2025-01-02T00:00:00Z'), to: new Date('2025-01-01T00:00:00Z') },
        groupBy: 'none',
      }),
    ).toEqual([]);
  });

  it('refuses overlapping buckets', () => {
    expect(() =>
      ledger.aggregate({
        filter: {},
        groupBy: 'none',
        buckets: [
          LONDON_MONTHS[1] as AggregateBucket,
          {
            label: 'x',
            start: new Date('2025-04-15T00:00:00Z'),
            end: new Date('2025-05-15T00:00:00Z'),
          },
        ],
      }),
    ).toThrow(InternalError);
  });
});

/** Calendar periods of a zone between two instants, as a report would build them. */
function periods(
  zone: string,
  from: string,
  to: string,
  unit: 'hour' | 'day' | 'week' | 'month',
): AggregateBucket[] {
  const buckets: AggregateBucket[] = [];
  const end = DateTime.fromISO(to, { zone });
  for (
    let at = DateTime.fromISO(from, { zone }).startOf(unit);
    at < end;
    at = at.plus({ [`${unit}s`]: 1 })
  ) {
    buckets.push({
      label: at.toISO() ?? '',
      start: at.toJSDate(),
      end: at.plus({ [`${unit}s`]: 1 }).toJSDate(),
    });
  }
  return buckets;
}

describe('every hour lands in exactly one period', () => {
  it('adds up to the generated totals for hourly, daily, weekly and monthly periods in several zones', () => {
    // 4 hosts × 1,680 hours from 1 March 2025 (across the BST and CEST changes), in 7-hour chunks.
    const totals = fillLedger(ledger, {
      entities: 4,
      from: new Date('2025-03-01T00:00:00Z'),
      hours: 1680,
      chunkHours: 7,
    });
    expect(totals.rows).toBe(6720);
    const range = { from: '2025-02-01T00:00:00', to: '2025-06-01T00:00:00' };
    for (const zone of ['Europe/London', 'Asia/Kolkata', 'America/St_Johns', 'UTC']) {
      for (const unit of ['hour', 'day', 'week', 'month'] as const) {
        const rows = ledger.aggregate({
          filter: {},
          groupBy: 'owner',
          buckets: periods(zone, range.from, range.to, unit),
        });
        const sum = (field: 'rowCount' | 'busySeconds' | 'idleSeconds' | 'energyKwh' | 'cost') =>
          rows.reduce((total, row) => total + row[field], 0);
        expect(sum('rowCount'), `${zone} ${unit}`).toBe(totals.rows);
        expect(sum('busySeconds'), `${zone} ${unit}`).toBe(totals.busySeconds);
        expect(sum('idleSeconds'), `${zone} ${unit}`).toBe(totals.idleSeconds);
        expect(sum('energyKwh')).toBeCloseTo(totals.energyKwh, 9);
        expect(sum('cost')).toBeCloseTo(totals.cost, 9);
      }
    }
  });

  it('gives the same numbers from the daily rollup as from the hour rows', () => {
    fillLedger(ledger, {
      entities: 3,
      from: new Date('2025-03-29T05:00:00Z'),
      hours: 24 * 6,
      chunkHours: 5,
    });
    // UTC days come from the rollup; Kolkata days (+05:30) are read hour by hour.
    const utcDays = ledger.aggregate({
      filter: {},
      groupBy: 'host',
      buckets: periods('UTC', '2025-03-29T00:00:00', '2025-04-05T00:00:00', 'day'),
    });
    const hourly = ledger.aggregate({
      filter: {},
      groupBy: 'host',
      buckets: periods('UTC', '2025-03-29T00:00:00', '2025-04-05T00:00:00', 'hour'),
    });
    for (const host of ['host-00000', 'host-00001', 'host-00002']) {
      for (const day of ['2025-03-30', '2025-03-31', '2025-04-01']) {
        const fromRollup = utcDays.find((row) => row.group === host && row.bucket?.startsWith(day));
        const fromHours = hourly.filter((row) => row.group === host && row.bucket?.startsWith(day));
        expect(fromRollup?.rowCount).toBe(24);
        expect(fromRollup?.hours).toBe(24);
        expect(fromHours).toHaveLength(24);
        expect(fromRollup?.busySeconds).toBe(
          fromHours.reduce((total, row) => total + row.busySeconds, 0),
        );
        expect(fromRollup?.intensityWeightedSum).toBeCloseTo(
          fromHours.reduce((total, row) => total + row.intensityWeightedSum, 0),
          9,
        );
      }
    }
  });
});

describe('damage found while reading', () => {
  it('reports a damaged hour table as a ledger error, not as numbers', () => {
    fillLedger(ledger, {
      entities: 20,
      from: new Date('2025-01-01T00:00:00Z'),
      hours: 48,
      chunkHours: 48,
    });
    ledger.close();
    const raw = new Database(path, { readonly: true });
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const pages = raw
      .prepare("SELECT pageno FROM dbstat WHERE name = 'entity_hours' AND pagetype = 'leaf'")
      .all() as Array<{ pageno: number }>;
    raw.close();
    const bytes = readFileSync(path);
    for (const { pageno } of pages) bytes.fill(0xa5, (pageno - 1) * pageSize, pageno * pageSize);
    writeFileSync(path, bytes);

    // The open-time check covers the small tables only, so the ledger opens...
    ledger = openLedger(path, { readonly: true });
    // ...and the first read of an hour row (an edge of a non-UTC-day range) says it is damaged.
    let error: unknown;
    try {
      ledger.aggregate({ filter: { from: new Date('2025-01-01T05:00:00Z') }, groupBy: 'none' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toContain('is damaged');
    expect(() => ledger.checkIntegrity('quick')).toThrow(/is damaged/);
  });
});

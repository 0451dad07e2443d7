import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InternalError } from '../../src/errors.js';
import { openLedger } from '../../src/store/ledger.js';
import type { Ledger, LedgerHourRow } from '../../src/store/types.js';
import { fillLedger, fixtureRow } from '../helpers/ledger-fixture.js';

const CLOCK = (): Date => new Date('2025-06-01T12:00:00Z');
let dir: string;
let path: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-'));
  path = join(dir, 'ledger.db');
  ledger = openLedger(path, { clock: CLOCK });
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, in key order, as one comparable value. */
function dumpTables(): Record<string, unknown[]> {
  const raw = new Database(path, { readonly: true });
  const tables = raw
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all() as Array<{ name: string }>;
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    const columns = raw.pragma(`table_info(${name})`) as unknown[];
    const order = columns.map((_, index) => index + 1).join(', ');
    dump[name] = raw.prepare(`SELECT * FROM ${name} ORDER BY ${order}`).all();
  }
  raw.close();
  return dump;
}

function row(
  index: number,
  hour: string,
  busySeconds: number,
  overrides: Partial<LedgerHourRow> = {},
): LedgerHourRow {
  return {
    ...fixtureRow('default', 'nodes', index, new Date(hour), busySeconds, 3600 - busySeconds, 200),
    ...overrides,
  };
}

describe('commitChunk', () => {
  it('is idempotent: the same chunk twice leaves identical contents and counts', () => {
    const options = {
      entities: 3,
      from: new Date('2025-01-01T20:00:00Z'),
      hours: 10,
      chunkHours: 5,
    };
    fillLedger(ledger, options);
    const once = dumpTables();
    expect(ledger.countRows()).toBe(30);
    fillLedger(ledger, options);
    expect(dumpTables()).toEqual(once);
    expect(ledger.countRows()).toBe(30);
    expect(ledger.entityCount()).toBe(3);
    // The rollup spans two UTC days (20:00-23:00 and 00:00-05:00) for each of the 3 hosts.
    expect(once.entity_days).toHaveLength(6);
  });

  it('replaces a re-tracked hour instead of adding to it, also when its labels changed', () => {
    ledger.commitChunk(
      'default',
      'nodes',
      [row(1, '2025-01-01T00:00:00Z', 3600)],
      new Date('2025-01-01T01:00:00Z'),
    );
    const relabelled = row(1, '2025-01-01T00:00:00Z', 1800, {
      labels: { owner: 'new-owner', host: 'host-00001' },
    });
    ledger.commitChunk('default', 'nodes', [relabelled], new Date('2025-01-01T01:00:00Z'));
    const rows = ledger.aggregate({ filter: {}, groupBy: 'owner' });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.group).toBe('new-owner');
    expect(rows[0]?.rowCount).toBe(1);
    // busy 1800 s, idle 1800 s: the second version only.
    expect(rows[0]?.busySeconds).toBe(1800);
    expect(rows[0]?.idleSeconds).toBe(1800);
  });

  it('writes nothing of a chunk, and no progress, when a row violates a constraint mid-chunk', () => {
    ledger.commitChunk(
      'default',
      'nodes',
      [row(1, '2025-01-01T00:00:00Z', 100)],
      new Date('2025-01-01T01:00:00Z'),
    );
    const before = dumpTables();
    const chunk = [
      row(1, '2025-01-01T01:00:00Z', 200),
      row(2, '2025-01-01T01:00:00Z', 300, { labels: { owner: 'someone-new' } }),
      row(3, '2025-01-01T01:00:00Z', 400, { coverage: 1.5 }), // CHECK (coverage <= 1)
      row(4, '2025-01-01T01:00:00Z', 500),
    ];
    expect(() =>
      ledger.commitChunk('default', 'nodes', chunk, new Date('2025-01-01T02:00:00Z')),
    ).toThrow(/refused a row \(CHECK constraint failed/);
    expect(dumpTables()).toEqual(before);
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toEqual(new Date('2025-01-01T01:00:00Z'));
    // The connection's intern caches must not keep ids of the rolled-back entities.
    ledger.commitChunk(
      'default',
      'nodes',
      [chunk[1] as LedgerHourRow],
      new Date('2025-01-01T02:00:00Z'),
    );
    expect(ledger.aggregate({ filter: {}, groupBy: 'owner' }).map((r) => r.group)).toEqual([
      'someone-new',
      'user01',
    ]);
  });

  it('rejects values SQLite would store wrongly (NaN, Infinity) before writing anything', () => {
    const chunk = [
      row(1, '2025-01-01T00:00:00Z', 100),
      row(2, '2025-01-01T00:00:00Z', 100, { energyKwh: Number.NaN }),
    ];
    expect(() =>
      ledger.commitChunk('default', 'nodes', chunk, new Date('2025-01-01T01:00:00Z')),
    ).toThrow(InternalError);
    const infinite = row(1, '2025-01-01T00:00:00Z', 100, { cost: Number.POSITIVE_INFINITY });
    expect(() =>
      ledger.commitChunk('default', 'nodes', [infinite], new Date('2025-01-01T01:00:00Z')),
    ).toThrow(/cost/);
    expect(ledger.countRows()).toBe(0);
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toBeNull();
  });

  it('rejects hours off the hour boundary and rows of another cluster', () => {
    expect(() =>
      ledger.commitChunk(
        'default',
        'nodes',
        [row(1, '2025-01-01T00:30:00Z', 100)],
        new Date('2025-01-01T01:00:00Z'),
      ),
    ).toThrow(/not on an hour boundary/);
    expect(() =>
      ledger.commitChunk(
        'other',
        'nodes',
        [row(1, '2025-01-01T00:00:00Z', 100)],
        new Date('2025-01-01T01:00:00Z'),
      ),
    ).toThrow(/committed as other\/nodes/);
    expect(() =>
      ledger.commitChunk('default', 'nodes', [], new Date('2025-01-01T01:30:00Z')),
    ).toThrow(/progress hour end/);
    expect(ledger.countRows()).toBe(0);
  });

  it('stores estimation reasons sorted and de-duplicated', () => {
    const estimated = row(1, '2025-01-01T00:00:00Z', 100, {
      estimationReasons: ['gap_interpolated', 'intensity_forecast', 'gap_interpolated'],
    });
    ledger.commitChunk('default', 'nodes', [estimated], new Date('2025-01-01T01:00:00Z'));
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT estimation_reasons FROM ledger_rows').get()).toEqual({
      estimation_reasons: 'gap_interpolated,intensity_forecast',
    });
    raw.close();
    expect(() =>
      ledger.commitChunk(
        'default',
        'nodes',
        [row(1, '2025-01-01T00:00:00Z', 1, { estimationReasons: ['a,b'] })],
        new Date('2025-01-01T01:00:00Z'),
      ),
    ).toThrow(InternalError);
  });

  it('records what was stored per entity-hour in the audit view', () => {
    ledger.commitChunk(
      'default',
      'nodes',
      [row(7, '2025-03-04T05:00:00Z', 900)],
      new Date('2025-03-04T06:00:00Z'),
    );
    const raw = new Database(path, { readonly: true });
    const stored = raw.prepare('SELECT * FROM ledger_rows').get() as Record<string, unknown>;
    raw.close();
    expect(stored).toMatchObject({
      cluster: 'default',
      source: 'nodes',
      entity: 'host-00007',
      hour_start: '2025-03-04T05:00:00Z',
      busy_s: 900,
      idle_s: 2700,
      reserved_core_s: null,
      owner: 'user07',
      project: 'proj07',
      machine: 'm2',
      namespace: null,
      intensity_g_per_kwh: 200,
      intensity_provider: 'uk',
      intensity_kind: 'actual',
      power_profile: 'ada',
      busy_watts_per_core: 12,
      market_factor_g_per_kwh: null,
      is_estimated: 0,
      methodology_version: '1',
      tracked_at: '2025-06-01T12:00:00Z',
    });
    // (900 × 12 + 2700 × 1) / 3.6e6 = 0.00375 kWh
    expect(stored.energy_kwh).toBeCloseTo(0.00375, 12);
  });
});

describe('progress marker', () => {
  it('starts empty, advances per (cluster, source), and never moves back for a backfill', () => {
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toBeNull();
    ledger.commitChunk(
      'default',
      'nodes',
      [row(1, '2025-02-01T00:00:00Z', 1)],
      new Date('2025-02-01T01:00:00Z'),
    );
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toEqual(new Date('2025-02-01T01:00:00Z'));
    // Backfilling January keeps the marker at February.
    ledger.commitChunk(
      'default',
      'nodes',
      [row(1, '2025-01-01T00:00:00Z', 1)],
      new Date('2025-01-01T01:00:00Z'),
    );
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toEqual(new Date('2025-02-01T01:00:00Z'));
    // An empty chunk (no usage in the window) still records progress.
    ledger.commitChunk('default', 'nodes', [], new Date('2025-02-01T05:00:00Z'));
    expect(ledger.lastTrackedHourEnd('default', 'nodes')).toEqual(new Date('2025-02-01T05:00:00Z'));
    expect(ledger.lastTrackedHourEnd('default', 'pods')).toBeNull();
    expect(ledger.lastTrackedHourEnd('other', 'nodes')).toBeNull();
  });

  it('reports the tracked range from the rows themselves', () => {
    expect(ledger.trackedRange()).toBeNull();
    ledger.commitChunk(
      'default',
      'nodes',
      [row(1, '2025-01-01T03:00:00Z', 1), row(2, '2025-01-02T07:00:00Z', 1)],
      new Date('2025-01-02T08:00:00Z'),
    );
    expect(ledger.trackedRange()).toEqual({
      from: new Date('2025-01-01T03:00:00Z'),
      to: new Date('2025-01-02T08:00:00Z'),
    });
    expect(ledger.trackedRange('default', 'pods')).toBeNull();
  });
});

describe('intensity cache', () => {
  const slot = (
    from: string,
    forecast: number | null,
    actual: number | null,
    index: string | null = 'moderate',
  ) => ({
    from: new Date(from),
    to: new Date(new Date(from).getTime() + 1_800_000),
    forecast,
    actual,
    index,
  });

  it('round-trips slots and returns those overlapping a half-open range in order', () => {
    const slots = [
      slot('2025-01-01T00:30:00Z', 181, 190),
      slot('2025-01-01T00:00:00Z', 180, null, null),
      slot('2025-01-01T01:00:00Z', 170, 175),
    ];
    ledger.cacheIntensitySlots('uk', 'national', slots, new Date('2025-01-01T02:00:00Z'));
    expect(
      ledger.cachedIntensitySlots(
        'uk',
        'national',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-01-01T01:00:00Z'),
      ),
    ).toEqual([
      slot('2025-01-01T00:00:00Z', 180, null, null),
      slot('2025-01-01T00:30:00Z', 181, 190),
    ]);
    // A range starting inside a slot includes that slot.
    expect(
      ledger.cachedIntensitySlots(
        'uk',
        'national',
        new Date('2025-01-01T01:15:00Z'),
        new Date('2025-01-01T02:00:00Z'),
      ),
    ).toEqual([slot('2025-01-01T01:00:00Z', 170, 175)]);
    expect(
      ledger.cachedIntensitySlots(
        'uk',
        'region-13',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-01-02T00:00:00Z'),
      ),
    ).toEqual([]);
    expect(
      ledger.cachedIntensitySlots(
        'electricitymaps',
        'national',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-01-02T00:00:00Z'),
      ),
    ).toEqual([]);
  });

  it('updates a slot with newer values but never forgets a known value for a null', () => {
    ledger.cacheIntensitySlots(
      'uk',
      'national',
      [slot('2025-01-01T00:00:00Z', 180, 190)],
      new Date('2025-01-01T02:00:00Z'),
    );
    ledger.cacheIntensitySlots(
      'uk',
      'national',
      [slot('2025-01-01T00:00:00Z', 185, null, null)],
      new Date('2025-01-01T03:00:00Z'),
    );
    expect(
      ledger.cachedIntensitySlots(
        'uk',
        'national',
        new Date('2025-01-01T00:00:00Z'),
        new Date('2025-01-01T00:30:00Z'),
      ),
    ).toEqual([slot('2025-01-01T00:00:00Z', 185, 190, 'moderate')]);
  });
});

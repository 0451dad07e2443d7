import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/input-error.js';
import { InternalError } from '../../src/errors.js';
import { openLedger } from '../../src/store/ledger.js';
import {
  LATEST_SCHEMA_VERSION,
  LEDGER_APPLICATION_ID,
  MIGRATIONS,
} from '../../src/store/schema.js';
import type { Ledger } from '../../src/store/types.js';
import { fixtureRow } from '../helpers/ledger-fixture.js';
import { removeDir, tempDir } from '../helpers/context.js';
import { finding } from '../helpers/recommendation-findings.js';

const T0 = new Date('2026-11-01T00:00:00Z');
const T1 = new Date('2026-11-08T00:00:00Z');
const T2 = new Date('2026-11-15T00:00:00Z');

let dir: string;
let path: string;
let ledger: Ledger;

beforeEach(() => {
  dir = tempDir();
  path = join(dir, 'ledger.db');
  ledger = openLedger(path, { clock: () => T0 });
});

afterEach(() => {
  ledger.close();
  removeDir(dir);
});

/** Three findings in two clusters: CO2e order 219 > 150 > 90, cost order c > a > b. */
function threeFindings() {
  return [
    finding({ id: 'aa11', monthlyCo2eGrams: 219, monthlyCost: 34.614045, priority: 'medium' }),
    finding({
      id: 'aa22',
      type: 'RIGHTSIZING_MEMORY',
      namespace: 'db',
      monthlyCo2eGrams: 150,
      monthlyCost: 2,
      priority: 'low',
      risk: 'medium',
    }),
    finding({
      id: 'bb33',
      type: 'IDLE_WORKSPACE',
      cluster: 'lab',
      monthlyCo2eGrams: 90,
      monthlyCost: 60,
      priority: 'high',
    }),
  ];
}

describe('schema version 2', () => {
  it('creates the recommendation tables in a new ledger', () => {
    expect(LATEST_SCHEMA_VERSION).toBe(3);
    expect(ledger.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    const raw = new Database(path, { readonly: true });
    const tables = raw
      .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name")
      .all()
      .map((row) => (row as { name: string }).name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'recommendations',
        'recommendations_list',
        'recommendations_scope',
        'savings_ledger',
        'savings_ledger_recommendation',
      ]),
    );
    raw.close();
  });

  it('upgrades a version 1 ledger in place, keeping its data', () => {
    const oldPath = join(dir, 'v1.db');
    const raw = new Database(oldPath);
    const v1 = MIGRATIONS[0];
    if (v1 === undefined) throw new Error('no migration 1');
    raw.exec(v1.sql);
    raw.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO ledger_meta (key, value) VALUES ('format', 'carbonctl-ledger')").run();
    raw
      .prepare(
        "INSERT INTO schema_migrations VALUES (1, 'initial schema', '2025-01-01T00:00:00.000Z')",
      )
      .run();
    raw.close();
    const first = openLedger(oldPath, { clock: () => T0 });
    first.commitChunk(
      'default',
      'nodes',
      [fixtureRow('default', 'nodes', 1, new Date('2026-10-01T00:00:00Z'), 1800, 1800, 200)],
      new Date('2026-10-01T01:00:00Z'),
    );
    expect(first.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    first.recommendations.sync([finding({ id: 'up1' })], { clusters: ['prod'], now: T0 });
    first.close();
    const check = new Database(oldPath, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(check.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);
    check.close();
    const reader = openLedger(oldPath, { readonly: true });
    expect(reader.countRows()).toBe(1);
    expect(reader.recommendations.ids()).toEqual(['up1']);
    reader.close();
  });
});

describe('sync', () => {
  it('stores findings and applies the merge rules across generations, persistently', () => {
    expect(
      ledger.recommendations.sync(threeFindings(), { clusters: ['prod', 'lab'], now: T0 }),
    ).toEqual({ created: 3, refreshed: 0, stale: 0, unchanged: 0 });
    ledger.recommendations.ignore('aa22', 'db is special', T0);
    ledger.close();
    ledger = openLedger(path, { clock: () => T1 });
    // Second generation of prod only: aa11 with new numbers, aa22 (ignored) found again, and
    // nothing of lab analysed, so bb33 stays active.
    const counts = ledger.recommendations.sync(
      [finding({ id: 'aa11', monthlyCo2eGrams: 250 }), threeFindings()[1]!],
      { clusters: ['prod'], now: T1 },
    );
    expect(counts).toEqual({ created: 0, refreshed: 1, stale: 0, unchanged: 1 });
    expect(ledger.recommendations.get('aa11')).toMatchObject({
      status: 'active',
      savings: { monthlyCo2eGrams: 250 },
      createdAt: T0.toISOString(),
      updatedAt: T1.toISOString(),
    });
    expect(ledger.recommendations.get('aa22')).toMatchObject({
      status: 'ignored',
      ignoredReason: 'db is special',
      lastSeenAt: T1.toISOString(),
    });
    expect(ledger.recommendations.get('bb33')?.status).toBe('active');
    // Third generation finds nothing anywhere: the active ones go stale, the ignored one stays.
    expect(ledger.recommendations.sync([], { clusters: ['prod', 'lab'], now: T2 })).toEqual({
      created: 0,
      refreshed: 0,
      stale: 2,
      unchanged: 0,
    });
    expect(ledger.recommendations.list({}).recommendations.map((r) => [r.id, r.status])).toEqual([
      ['aa11', 'stale'],
      ['aa22', 'ignored'],
      ['bb33', 'stale'],
    ]);
  });

  it('writes nothing when one finding cannot be stored (one transaction)', () => {
    const broken = finding({ id: 'zz99', monthlyCo2eGrams: -1 });
    expect(() =>
      ledger.recommendations.sync([finding({ id: 'ok01' }), broken], {
        clusters: ['prod'],
        now: T0,
      }),
    ).toThrow(InternalError);
    expect(ledger.recommendations.ids()).toEqual([]);
  });
});

describe('list', () => {
  beforeEach(() => {
    ledger.recommendations.sync(threeFindings(), { clusters: ['prod', 'lab'], now: T0 });
  });

  it('sorts by monthly CO2e (default) or cost, largest first', () => {
    const ids = (sort?: 'co2' | 'cost') =>
      ledger.recommendations.list(sort ? { sort } : {}).recommendations.map((r) => r.id);
    expect(ids()).toEqual(['aa11', 'aa22', 'bb33']);
    expect(ids('cost')).toEqual(['bb33', 'aa11', 'aa22']);
  });

  it('filters by status, type, priority, risk, cluster, namespace and minimum savings', () => {
    const ids = (query: Parameters<Ledger['recommendations']['list']>[0]) =>
      ledger.recommendations.list(query).recommendations.map((r) => r.id);
    expect(ids({ types: ['RIGHTSIZING_MEMORY', 'IDLE_WORKSPACE'] })).toEqual(['aa22', 'bb33']);
    expect(ids({ priorities: ['high', 'medium'] })).toEqual(['aa11', 'bb33']);
    expect(ids({ risks: ['medium'] })).toEqual(['aa22']);
    expect(ids({ cluster: 'lab' })).toEqual(['bb33']);
    expect(ids({ namespace: 'db' })).toEqual(['aa22']);
    expect(ids({ minMonthlyCo2eGrams: 150 })).toEqual(['aa11', 'aa22']);
    expect(ids({ minMonthlyCost: 30 })).toEqual(['aa11', 'bb33']);
    expect(ids({ statuses: ['ignored'] })).toEqual([]);
    expect(ids({ statuses: [] })).toEqual([]);
  });

  it('limits the rows but counts every match', () => {
    const { recommendations, total } = ledger.recommendations.list({ limit: 1 });
    expect(recommendations.map((r) => r.id)).toEqual(['aa11']);
    expect(total).toBe(3);
  });

  it('round-trips the finding exactly', () => {
    expect(ledger.recommendations.get('aa11')).toEqual({
      ...threeFindings()[0],
      status: 'active',
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
      lastSeenAt: T0.toISOString(),
      applied: null,
      appliedAt: null,
      ignoredReason: null,
    });
  });
});

describe('apply, ignore, restore', () => {
  beforeEach(() => {
    ledger.recommendations.sync(threeFindings(), { clusters: ['prod', 'lab'], now: T0 });
  });

  it('resolves unique prefixes and refuses ambiguous ones', () => {
    expect(ledger.recommendations.resolve('bb').id).toBe('bb33');
    expect(() => ledger.recommendations.resolve('aa')).toThrow(
      /id prefix aa is ambiguous: it matches 2 recommendations \(aa11, aa22\)/,
    );
  });

  it('records the realized savings of an apply and ends them at restore', () => {
    // Share (2 − 0.8) / (2 − 0.5) = 0.8 → 175.2 g, 0.876 kWh, 27.691236 USD per month.
    const { recommendation, realized } = ledger.recommendations.apply(
      'aa1',
      { actualCpuRequestCores: 0.8 },
      T1,
    );
    expect(recommendation).toMatchObject({
      id: 'aa11',
      status: 'applied',
      appliedAt: T1.toISOString(),
      applied: { cpu_request_cores: 0.8, replicas: 2 },
    });
    expect(realized.monthlyCo2eGrams).toBeCloseTo(175.2, 9);
    expect(ledger.recommendations.savingsEntries()).toEqual([
      {
        recommendationId: 'aa11',
        type: 'RIGHTSIZING_CPU',
        cluster: 'prod',
        namespace: 'shop',
        appliedAt: T1.toISOString(),
        endedAt: null,
        share: expect.closeTo(0.8, 12),
        monthlyCo2eGrams: expect.closeTo(175.2, 9),
        monthlyKwh: expect.closeTo(0.876, 12),
        monthlyCost: expect.closeTo(27.691236, 9),
        currency: 'USD',
        source: 'actual_request',
      },
    ]);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT month, applied_json FROM savings_ledger').get()).toEqual({
      month: '2026-11',
      applied_json: '{"cpu_request_cores":0.8,"replicas":2}',
    });
    raw.close();

    const restored = ledger.recommendations.restore('aa11', T2);
    expect(restored.previousStatus).toBe('applied');
    expect(restored.recommendation).toMatchObject({
      status: 'active',
      applied: null,
      appliedAt: null,
    });
    expect(ledger.recommendations.savingsEntries()[0]?.endedAt).toBe(T2.toISOString());
    // Entries overlapping a window: in effect T1 → T2 only.
    expect(
      ledger.recommendations.savingsEntries({ from: T2, to: new Date('2026-12-01T00:00:00Z') }),
    ).toEqual([]);
    expect(ledger.recommendations.savingsEntries({ from: T0, to: T2 })).toHaveLength(1);
  });

  it('refuses changes the lifecycle does not allow, leaving everything as it was', () => {
    ledger.recommendations.ignore('aa22', null, T1);
    expect(() => ledger.recommendations.apply('aa22', {}, T1)).toThrow(InvalidInputError);
    expect(() => ledger.recommendations.restore('bb33', T1)).toThrow(/it is active/);
    expect(() => ledger.recommendations.apply('aa22', { actualCpuRequestCores: 1 }, T1)).toThrow(
      InvalidInputError,
    );
    expect(ledger.recommendations.get('aa22')?.status).toBe('ignored');
    expect(ledger.recommendations.savingsEntries()).toEqual([]);
  });

  it('cannot change anything through a read-only ledger', () => {
    ledger.close();
    ledger = openLedger(path, { readonly: true });
    expect(ledger.recommendations.list({}).total).toBe(3);
    expect(() => ledger.recommendations.ignore('aa11', null, T1)).toThrow(InternalError);
    expect(() => ledger.recommendations.sync([], { clusters: ['prod'], now: T1 })).toThrow(
      InternalError,
    );
  });
});

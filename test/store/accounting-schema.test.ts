/**
 * Ledger schema version 3 (one accounting pipeline): per-cluster source decisions, and the
 * upgrade that stops market-based Scope 2 without a contractual factor from counting as an
 * estimate (SPEC §2 amendment: `is_estimated` marks estimated activity data or intensity only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/store/ledger.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/schema.js';
import { fixtureRow } from '../helpers/ledger-fixture.js';

const CLOCK = (): Date => new Date('2025-06-01T12:00:00Z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-v3-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('schema version 3', () => {
  it('stores a cluster source decision, keeps it across opens and lets it be changed', () => {
    const path = join(dir, 'ledger.db');
    const ledger = openLedger(path, { clock: CLOCK });
    expect(ledger.storedClusterSource('prod')).toBeNull();
    const window = {
      from: new Date('2025-01-06T00:00:00Z'),
      to: new Date('2025-01-06T06:00:00Z'),
    };
    ledger.storeClusterSource('prod', {
      source: 'pods',
      decidedBy: 'auto',
      decidedAt: new Date('2025-06-01T12:00:00Z'),
      window,
    });
    ledger.close();
    const again = openLedger(path, { clock: CLOCK });
    expect(again.storedClusterSource('prod')).toEqual({
      source: 'pods',
      decidedBy: 'auto',
      decidedAt: new Date('2025-06-01T12:00:00Z'),
      window,
    });
    again.storeClusterSource('prod', {
      source: 'nodes',
      decidedBy: 'config',
      decidedAt: new Date('2025-06-02T00:00:00Z'),
      window: null,
    });
    expect(again.storedClusterSource('prod')?.source).toBe('nodes');
    expect(again.storedClusterSource('prod')?.window).toBeNull();
    again.close();
  });

  it('upgrades a version 2 ledger: market_factor_missing is no longer an estimation reason', () => {
    const path = join(dir, 'ledger.db');
    const ledger = openLedger(path, { clock: CLOCK });
    const hour = new Date('2025-01-01T00:00:00Z');
    const marketOnly = {
      ...fixtureRow('default', 'nodes', 1, hour, 1800, 1800, 200),
      isEstimated: true,
      estimationReasons: ['market_factor_missing'],
    };
    const forecastToo = {
      ...fixtureRow('default', 'nodes', 2, hour, 1800, 1800, 200),
      intensityKind: 'forecast' as const,
      isEstimated: true,
      estimationReasons: ['intensity_forecast', 'market_factor_missing'],
    };
    ledger.commitChunk(
      'default',
      'nodes',
      [marketOnly, forecastToo],
      new Date('2025-01-01T01:00:00Z'),
    );
    ledger.close();
    // Back to version 2, as an earlier carbonctl left it.
    const raw = new Database(path);
    raw.exec('DROP TABLE cluster_sources');
    raw.exec('DELETE FROM schema_migrations WHERE version > 2');
    raw.pragma('user_version = 2');
    raw.close();

    const upgraded = openLedger(path, { clock: CLOCK });
    expect(upgraded.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    upgraded.close();
    const check = new Database(path, { readonly: true });
    const rows = check
      .prepare('SELECT entity, is_estimated, estimation_reasons FROM ledger_rows ORDER BY entity')
      .all();
    expect(rows).toEqual([
      { entity: 'host-00001', is_estimated: 0, estimation_reasons: '' },
      { entity: 'host-00002', is_estimated: 1, estimation_reasons: 'intensity_forecast' },
    ]);
    // The daily rollup agrees: one estimated row of two.
    expect(
      check.prepare('SELECT sum(estimated_rows) AS n, sum(row_count) AS m FROM entity_days').get(),
    ).toEqual({
      n: 1,
      m: 2,
    });
    check.close();
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataSourceError, InternalError } from '../../src/errors.js';
import { openLedger } from '../../src/store/ledger.js';
import {
  LATEST_SCHEMA_VERSION,
  LEDGER_APPLICATION_ID,
  MIGRATIONS,
} from '../../src/store/schema.js';
import { fixtureRow } from '../helpers/ledger-fixture.js';

const CLOCK = (): Date => new Date('2025-06-01T12:00:00Z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs fn and returns what it threw (failing the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function oneRow(hour = '2025-01-01T00:00:00Z') {
  return fixtureRow('default', 'nodes', 1, new Date(hour), 1800, 1800, 200);
}

describe('openLedger', () => {
  it('creates the parent directories and a migrated, marked WAL ledger', () => {
    const path = join(dir, 'nested', 'deeper', 'ledger.db');
    const ledger = openLedger(path, { clock: CLOCK });
    expect(ledger.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    ledger.close();

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(LEDGER_APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare("SELECT value FROM ledger_meta WHERE key = 'format'").get()).toEqual({
      value: 'carbonctl-ledger',
    });
    expect(raw.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual(
      MIGRATIONS.map(({ version, name }) => ({
        version,
        name,
        applied_at: '2025-06-01T12:00:00.000Z',
      })),
    );
    raw.close();
  });

  it('keeps the data across close and reopen without re-running migrations', () => {
    const path = join(dir, 'ledger.db');
    const first = openLedger(path, { clock: CLOCK });
    first.commitChunk('default', 'nodes', [oneRow()], new Date('2025-01-01T01:00:00Z'));
    first.close();

    const second = openLedger(path, { clock: () => new Date('2030-01-01T00:00:00Z') });
    expect(second.countRows()).toBe(1);
    expect(second.lastTrackedHourEnd('default', 'nodes')).toEqual(new Date('2025-01-01T01:00:00Z'));
    second.close();
    const raw = new Database(path, { readonly: true });
    // Still one row per migration, with the first open's time.
    expect(
      raw.prepare('SELECT count(*) AS n, max(applied_at) AS at FROM schema_migrations').get(),
    ).toEqual({
      n: MIGRATIONS.length,
      at: '2025-06-01T12:00:00.000Z',
    });
    raw.close();
  });

  it('opens an existing ledger read-only, and refuses writes through it', () => {
    const path = join(dir, 'ledger.db');
    const writer = openLedger(path, { clock: CLOCK });
    writer.commitChunk('default', 'nodes', [oneRow()], new Date('2025-01-01T01:00:00Z'));
    writer.close();

    const reader = openLedger(path, { readonly: true });
    expect(reader.readonly).toBe(true);
    expect(reader.countRows()).toBe(1);
    expect(() =>
      reader.commitChunk('default', 'nodes', [oneRow()], new Date('2025-01-01T01:00:00Z')),
    ).toThrow(InternalError);
    reader.close();
  });

  it('reports a missing ledger opened read-only, suggesting track, without creating it', () => {
    const path = join(dir, 'missing.db');
    const error = thrown(() => openLedger(path, { readonly: true }));
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as DataSourceError).message).toBe(`Ledger at ${path}: does not exist yet`);
    expect((error as DataSourceError).hint).toContain('carbonctl track');
    expect((error as DataSourceError).exitCode).toBe(3);
    expect(existsSync(path)).toBe(false);
  });

  it('does not create a missing ledger when create is false', () => {
    const path = join(dir, 'missing.db');
    expect(() => openLedger(path, { create: false })).toThrow(DataSourceError);
    expect(existsSync(path)).toBe(false);
  });

  it('initialises an empty (0-byte) file, which SQLite treats as an empty database', () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    const ledger = openLedger(path);
    expect(ledger.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    ledger.close();
  });

  it('rejects a file of random bytes and leaves it untouched', () => {
    const path = join(dir, 'random.db');
    const bytes = Buffer.alloc(8192);
    for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7919 + 13) % 251;
    writeFileSync(path, bytes);
    for (const readonly of [false, true]) {
      const error = thrown(() => openLedger(path, { readonly }));
      expect(error).toBeInstanceOf(DataSourceError);
      expect((error as Error).message).toBe(
        `Ledger at ${path}: is not a SQLite database; it is not a carbonctl ledger`,
      );
      expect((error as DataSourceError).hint).toContain('never overwrites');
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('rejects a SQLite database of something else and leaves it untouched', () => {
    const path = join(dir, 'other.db');
    const other = new Database(path);
    other.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
    other.close();
    const before = readFileSync(path);
    for (const readonly of [false, true]) {
      const error = thrown(() => openLedger(path, { readonly }));
      expect(error).toBeInstanceOf(DataSourceError);
      expect((error as Error).message).toContain('without the carbonctl ledger marker');
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.prepare('SELECT name FROM sqlite_schema').all()).toEqual([{ name: 'users' }]);
    check.close();
  });

  it('rejects a SQLite database carrying another application id', () => {
    const path = join(dir, 'app.db');
    const other = new Database(path);
    other.pragma('application_id = 1234');
    other.exec('CREATE TABLE t (x)');
    other.close();
    const error = thrown(() => openLedger(path));
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toContain('another application (application_id 0x4d2)');
  });

  it('detects a damaged ledger at open and leaves the file as it was', () => {
    const path = join(dir, 'ledger.db');
    const ledger = openLedger(path, { clock: CLOCK });
    ledger.commitChunk(
      'default',
      'nodes',
      [oneRow(), oneRow('2025-01-01T01:00:00Z')],
      new Date('2025-01-01T02:00:00Z'),
    );
    ledger.close(); // the last connection checkpoints the WAL into the main file
    const raw = new Database(path, { readonly: true });
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    const { rootpage } = raw
      .prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'label_sets'")
      .get() as { rootpage: number };
    raw.close();
    // Overwrite the label table's root page with garbage: a b-tree page of an unknown type.
    const bytes = readFileSync(path);
    bytes.fill(0xa5, (rootpage - 1) * pageSize, rootpage * pageSize);
    writeFileSync(path, bytes);

    const error = thrown(() => openLedger(path));
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Ledger at ${path.replace(/[.]/g, '\\.')}: is damaged \\(`),
    );
    expect((error as DataSourceError).hint).toContain('backup');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('a report opening an older ledger read-only upgrades it in place first, keeping its rows', () => {
    const path = join(dir, 'ledger.db');
    const first = openLedger(path, { clock: CLOCK });
    first.commitChunk('default', 'nodes', [oneRow()], new Date('2025-01-01T01:00:00Z'));
    first.close();
    // Make it a version 1 ledger again: drop what later migrations added.
    const raw = new Database(path);
    for (const { name } of raw
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('recommendations', 'savings_ledger', 'cluster_sources')",
      )
      .all() as Array<{ name: string }>)
      raw.exec(`DROP TABLE ${name}`);
    raw.exec('DELETE FROM schema_migrations WHERE version > 1');
    raw.pragma('user_version = 1');
    raw.close();

    const reader = openLedger(path, { readonly: true });
    expect(reader.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(reader.countRows()).toBe(1);
    reader.close();
  });

  it('refuses a ledger written by a newer carbonctl', () => {
    const path = join(dir, 'ledger.db');
    openLedger(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const error = thrown(() => openLedger(path));
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toContain(
      `newer carbonctl (schema version 99; this version understands up to ${LATEST_SCHEMA_VERSION})`,
    );
  });

  it('reports a directory given as the ledger path', () => {
    const error = thrown(() => openLedger(dir));
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as Error).message).toContain('is a directory');
  });

  it('passes a full integrity check on a healthy ledger', () => {
    const ledger = openLedger(join(dir, 'ledger.db'), { integrityCheck: 'full' });
    ledger.commitChunk('default', 'nodes', [oneRow()], new Date('2025-01-01T01:00:00Z'));
    expect(() => ledger.checkIntegrity('full')).not.toThrow();
    expect(() => ledger.checkIntegrity('quick')).not.toThrow();
    ledger.close();
  });
});

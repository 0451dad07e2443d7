/**
 * The ledger: a SQLite file (better-sqlite3) holding tracked entity-hours, the intensity cache,
 * track progress and track locks (SPEC §5–§7). Opening it never replaces or migrates a file that
 * is not a carbonctl ledger; every chunk of `track` is one transaction; reports aggregate in SQL.
 */
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { IntensitySlot } from '../core/ports.js';
import { DataSourceError, InternalError } from '../errors.js';
import {
  addDayMask,
  buildAggregateSql,
  buildProvenanceSql,
  countDistinctHours,
  CREATE_MAP_TABLES_SQL,
  DAY_MAP_TABLE,
  HOUR_MAP_TABLE,
  groupExpression,
  planBuckets,
  type DistinctHoursState,
} from './aggregate.js';
import {
  SqliteRecommendationRepository,
  type RecommendationRepository,
} from './recommendations.js';
import {
  LATEST_SCHEMA_VERSION,
  LEDGER_APPLICATION_ID,
  LEDGER_FORMAT_KEY,
  LEDGER_FORMAT_VALUE,
  MIGRATIONS,
} from './schema.js';
import type {
  AggregateQuery,
  AggregateRow,
  ClusterSourceDecision,
  GroupDimension,
  IntegrityCheckDepth,
  Ledger,
  LedgerFilter,
  LedgerHourRow,
  LedgerLabels,
  LedgerSource,
  EntitySpan,
  OpenLedgerOptions,
  ProvenanceRow,
  TrackLockHolder,
  TrackLockOwner,
} from './types.js';

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
/** How often a waiting `track` looks at the lock again. */
const LOCK_POLL_MS = 200;
/** The 16-byte magic string every SQLite 3 database file starts with (sqlite.org/fileformat.html §1.3.1). */
const SQLITE_MAGIC = 'SQLite format 3\u0000';
/** Separator of interning keys (ASCII unit separator). */
const KEY_SEPARATOR = '\u001f';

/**
 * The identity of an interned tuple, cheap to build per row. Null becomes '', which is unambiguous
 * because no position holds both null and '' (labels normalise '' to null; the one nullable
 * factor is a number, and String(number) is never '' and round-trips exactly). A value holding
 * the separator switches the key to JSON, which escapes it, so keys never collide.
 */
function internKey(values: ReadonlyArray<string | number | null>): string {
  const parts = values.map((value) => (value === null ? '' : String(value)));
  return parts.some((part) => part.includes(KEY_SEPARATOR))
    ? `json:${JSON.stringify(values)}`
    : parts.join(KEY_SEPARATOR);
}

/** The `source` every ledger error names, e.g. `Ledger at /home/a/.local/share/carbonctl/ledger.db`. */
export function ledgerSourceName(path: string): string {
  return `Ledger at ${path}`;
}

const RESTORE_HINT =
  'carbonctl leaves the file as it is. Restore it from a backup, or move it aside and rebuild it with `carbonctl track --from <date>`.';

function notALedger(path: string, what: string): DataSourceError {
  return new DataSourceError(ledgerSourceName(path), `${what}; it is not a carbonctl ledger`, {
    hint: 'Check --ledger / CARBONCTL_LEDGER / "ledger" in the config. carbonctl never overwrites a file it did not create: point it at a new path, or move that file away.',
  });
}

function damaged(path: string, detail: string, cause?: unknown): DataSourceError {
  return new DataSourceError(ledgerSourceName(path), `is damaged (${detail})`, {
    hint: RESTORE_HINT,
    cause,
  });
}

function isSqliteError(error: unknown): error is InstanceType<Database.SqliteError> {
  return error instanceof Database.SqliteError;
}

/** Maps a SQLite failure to the user-facing error (exit 3) that says what to do. */
function mapSqliteError(path: string, error: unknown): unknown {
  if (!isSqliteError(error)) return error;
  const source = ledgerSourceName(path);
  const code = error.code;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return damaged(path, error.message, error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DataSourceError(source, `is locked by another process (${error.message})`, {
      hint: 'Another carbonctl is writing to it; try again when it has finished.',
      cause: error,
    });
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new DataSourceError(source, `cannot be opened for this operation (${error.message})`, {
      hint: 'Check that the file and its directory exist and are readable/writable by this user.',
      cause: error,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new DataSourceError(source, 'cannot be written: the disk is full', {
      hint: 'Free some space and run again.',
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new DataSourceError(source, `could not be read or written (${error.message})`, {
      hint: 'Check the disk and the file system the ledger is on.',
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new InternalError(`${source}: refused a row (${error.message}).`, { cause: error });
  }
  return error;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DataSourceError(
      ledgerSourceName(path),
      `cannot be inspected (${(error as Error).message})`,
      {
        hint: 'Check the path and the permissions of its directories.',
        cause: error,
      },
    );
  }
}

/** Reads the 100-byte SQLite header (or less, for a short file). */
function readHeader(path: string): Buffer {
  const header = Buffer.alloc(100);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const length = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, length);
  } catch (error) {
    throw new DataSourceError(
      ledgerSourceName(path),
      `cannot be read (${(error as Error).message})`,
      {
        hint: 'Check that the file is readable by this user.',
        cause: error,
      },
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What an existing file turned out to be before we write anything to it. */
type Classification = { kind: 'empty' } | { kind: 'ledger'; version: number };

/** Rejects files that are not SQLite or carry another application's id, from the header alone. */
function checkHeader(path: string): void {
  const header = readHeader(path);
  if (header.length < 100 || header.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    throw notALedger(path, 'is not a SQLite database');
  }
  // Offset 68: the application id. Zero may still be ours with the id only in the WAL so far.
  const applicationId = header.readInt32BE(68);
  if (applicationId !== 0 && applicationId !== LEDGER_APPLICATION_ID) {
    throw notALedger(
      path,
      `is a SQLite database of another application (application_id 0x${(applicationId >>> 0).toString(16)})`,
    );
  }
}

/** Looks inside an open database: empty, one of our ledgers, or (throws) something else. */
function classify(db: Database.Database, path: string): Classification {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
  if (applicationId === 0 && version === 0 && objects === 0) return { kind: 'empty' };
  if (applicationId !== LEDGER_APPLICATION_ID) {
    throw notALedger(path, 'is a SQLite database without the carbonctl ledger marker');
  }
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'ledger_meta'")
    .get();
  const marker = hasMeta
    ? (db.prepare('SELECT value FROM ledger_meta WHERE key = ?').get(LEDGER_FORMAT_KEY) as
        { value: string } | undefined)
    : undefined;
  if (marker?.value !== LEDGER_FORMAT_VALUE || version < 1) {
    throw damaged(path, 'the carbonctl ledger marker is missing');
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new DataSourceError(
      ledgerSourceName(path),
      `was written by a newer carbonctl (schema version ${version}; this version understands up to ${LATEST_SCHEMA_VERSION})`,
      { hint: 'Upgrade carbonctl to read it.' },
    );
  }
  return { kind: 'ledger', version };
}

/**
 * Tables the open-time check reads: everything except the two fact tables (`entity_hours`,
 * `entity_days`), whose size grows with the ledger. A full quick_check of a year of 1,000 hosts
 * (815 MB) takes ~3.5 s, longer than a whole report may; damage in the fact tables still
 * surfaces as a "damaged" error when a read touches it, and `checkIntegrity` checks everything.
 */
const QUICK_CHECK_TABLES = [
  'ledger_meta',
  'schema_migrations',
  'entities',
  'label_sets',
  'provenance',
  'track_progress',
  'track_locks',
  'intensity_cache',
];

/** Runs SQLite's own structural checks; throws `damaged` with the first problem found. */
function runIntegrityCheck(
  db: Database.Database,
  path: string,
  depth: IntegrityCheckDepth | 'tables',
): void {
  const results: string[] = [];
  const collect = (pragma: string): void => {
    for (const row of db.pragma(pragma) as Array<Record<string, string>>) {
      const message = Object.values(row)[0];
      if (message !== undefined && message !== 'ok') results.push(message);
    }
  };
  if (depth === 'tables') {
    // quick_check(<table>) reads only that table and its indexes, so the cost stays flat as
    // the fact tables grow.
    collect('quick_check(sqlite_schema)');
    for (const table of QUICK_CHECK_TABLES) collect(`quick_check(${table})`);
  } else {
    collect(depth === 'full' ? 'integrity_check' : 'quick_check');
  }
  if (results.length > 0) throw damaged(path, results.slice(0, 3).join('; '));
}

/** Applies pending migrations in one IMMEDIATE transaction, re-checking what the file is inside it. */
function migrate(db: Database.Database, path: string, now: Date): number {
  return db
    .transaction(() => {
      // Another process may have initialised the file since we looked: decide under the lock.
      const state = classify(db, path);
      const current = state.kind === 'empty' ? 0 : state.version;
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        db.exec(migration.sql);
        db.prepare(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        ).run(migration.version, migration.name, now.toISOString());
      }
      if (state.kind === 'empty') {
        db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
        const insertMeta = db.prepare('INSERT INTO ledger_meta (key, value) VALUES (?, ?)');
        insertMeta.run(LEDGER_FORMAT_KEY, LEDGER_FORMAT_VALUE);
        insertMeta.run('created_at', now.toISOString());
      }
      if (current < LATEST_SCHEMA_VERSION) db.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
      return LATEST_SCHEMA_VERSION;
    })
    .immediate();
}

function openDatabase(path: string, readonly: boolean, busyTimeoutMs: number): Database.Database {
  try {
    const db = new Database(path, { readonly, fileMustExist: readonly });
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    return db;
  } catch (error) {
    throw mapSqliteError(path, error);
  }
}

/** Whether this process may write the file and its directory (for the WAL and journal files). */
function canWrite(path: string): boolean {
  try {
    accessSync(path, fsConstants.W_OK);
    accessSync(dirname(path), fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens (creating when allowed) the ledger at `path`. Rejects, without touching it, a file that
 * is not SQLite, a SQLite file of something else, a damaged file, or one from a newer carbonctl.
 */
export function openLedger(path: string, options: OpenLedgerOptions = {}): Ledger {
  return openLedgerAt(path, options, () => undefined);
}

/**
 * SQLite's WAL mode needs the `-shm` file beside the ledger, which a reader cannot create in a
 * directory it may not write (a read-only mount, a shared directory, a restored backup);
 * `immutable=1` would need URI filenames, which better-sqlite3 does not enable. Such a reader
 * opens a private copy of the ledger (and its `-wal`, if any) in a 0700 temp directory instead,
 * removed when it closes: the same data, nothing written beside the original.
 */
function needsPrivateCopy(path: string, readonly: boolean, stats: Stats | null): boolean {
  if (!readonly || stats === null || !stats.isFile() || stats.size === 0) return false;
  if (statOrNull(`${path}-shm`) !== null) return false;
  try {
    accessSync(dirname(path), fsConstants.W_OK);
  } catch {
    return true;
  }
  // Root ignores permission bits: a directory can still refuse (immutable flag, read-only mount).
  const probe = `${path}.carbonctl-probe-${process.pid}`;
  try {
    closeSync(openSync(probe, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY));
    rmSync(probe, { force: true });
    return false;
  } catch {
    return true;
  }
}

function openPrivateCopy(path: string, options: OpenLedgerOptions): Ledger {
  const directory = mkdtempSync(join(tmpdir(), 'carbonctl-ledger-'));
  const remove = (): void => rmSync(directory, { recursive: true, force: true });
  try {
    const copy = join(directory, basename(path));
    copyFileSync(path, copy);
    if (statOrNull(`${path}-wal`) !== null) copyFileSync(`${path}-wal`, `${copy}-wal`);
    return openLedgerAt(copy, { ...options, readonly: true }, remove);
  } catch (error) {
    remove();
    if (error instanceof DataSourceError) throw error;
    throw mapSqliteError(path, error);
  }
}

function openLedgerAt(path: string, options: OpenLedgerOptions, afterClose: () => void): Ledger {
  const readonly = options.readonly ?? false;
  const create = options.create ?? !readonly;
  const clock = options.clock ?? (() => new Date());
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const stats = statOrNull(path);
  if (stats?.isDirectory()) {
    throw new DataSourceError(ledgerSourceName(path), 'is a directory, not a ledger file', {
      hint: 'Point --ledger / CARBONCTL_LEDGER / "ledger" in the config at a file path.',
    });
  }
  if (stats === null && (readonly || !create)) {
    throw new DataSourceError(ledgerSourceName(path), 'does not exist yet', {
      hint: 'Run `carbonctl track` first to record usage, or point --ledger / CARBONCTL_LEDGER at an existing ledger.',
    });
  }
  if (needsPrivateCopy(path, readonly, stats)) return openPrivateCopy(path, options);

  let classification: Classification = { kind: 'empty' };
  if (stats !== null && stats.size > 0) {
    checkHeader(path);
    // Look with a read-only connection first so a foreign file is never written to.
    const probe = openDatabase(path, true, busyTimeoutMs);
    try {
      classification = classify(probe, path);
      if (classification.kind === 'ledger')
        runIntegrityCheck(probe, path, options.integrityCheck ?? 'tables');
    } catch (error) {
      throw mapSqliteError(path, error);
    } finally {
      probe.close();
    }
  }
  // A ledger from an older carbonctl read by a report (often a cron job right after an upgrade):
  // migrate it once through a short writable connection, then read as asked. Migrations only
  // add, and run in one transaction, so a concurrent track is never disturbed.
  if (
    readonly &&
    classification.kind === 'ledger' &&
    classification.version < LATEST_SCHEMA_VERSION &&
    canWrite(path)
  ) {
    openLedger(path, { ...options, readonly: false, create: false }).close();
    classification = { ...classification, version: LATEST_SCHEMA_VERSION };
  }
  if (readonly && classification.kind === 'empty') {
    throw new DataSourceError(
      ledgerSourceName(path),
      'is empty (nothing has been tracked into it)',
      {
        hint: 'Run `carbonctl track` first to record usage.',
      },
    );
  }

  if (stats === null) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // The ledger names owners and projects: readable by this user only. SQLite gives the
      // -wal and -shm files the mode of the database file, so they are 0600 too.
      closeSync(openSync(path, fsConstants.O_CREAT | fsConstants.O_WRONLY, 0o600));
    } catch (error) {
      throw new DataSourceError(
        ledgerSourceName(path),
        `cannot create its directory (${(error as Error).message})`,
        {
          hint: 'Check the permissions, or choose another path with --ledger / CARBONCTL_LEDGER.',
          cause: error,
        },
      );
    }
  }
  const db = openDatabase(path, readonly, busyTimeoutMs);
  try {
    let schemaVersion = classification.kind === 'ledger' ? classification.version : 0;
    if (!readonly) {
      // WAL: readers (reports) never block the writer (track) and vice versa; NORMAL sync is
      // still atomic and consistent after a crash (sqlite.org/wal.html).
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      if (schemaVersion < LATEST_SCHEMA_VERSION) schemaVersion = migrate(db, path, clock());
    } else if (schemaVersion < LATEST_SCHEMA_VERSION) {
      throw new DataSourceError(
        ledgerSourceName(path),
        `uses an older schema (version ${schemaVersion})`,
        {
          hint: 'Run `carbonctl track` once with this version to upgrade it.',
        },
      );
    }
    db.exec(CREATE_MAP_TABLES_SQL);
    db.aggregate('carbonctl_distinct_hours', {
      start: (): DistinctHoursState => new Map(),
      step: (state: DistinctHoursState, packed: unknown) => addDayMask(state, Number(packed)),
      result: countDistinctHours,
      deterministic: true,
    });
    return new SqliteLedger(db, path, readonly, schemaVersion, clock, afterClose);
  } catch (error) {
    db.close();
    throw mapSqliteError(path, error);
  }
}

/** Provenance fields of a row, interned in the `provenance` table. */
interface ProvenanceRecord {
  id: number;
  intensity_provider: string;
  intensity_kind: string;
  power_profile: string;
  pue: number;
  currency: string;
  estimation_reasons: string;
  methodology_version: string;
}

/** A raw row of the aggregate statement. */
interface AggregateSqlRow {
  bucket: number;
  grp: string | null;
  wk: string | null;
  entity_count: number;
  hours: number;
  row_count: number;
  estimated_rows: number;
  busy_s: number;
  idle_s: number;
  memory_gib_h: number;
  coverage_sum: number;
  energy_it_kwh: number;
  energy_kwh: number;
  scope2_location_g: number;
  scope2_market_g: number;
  scope3_g: number;
  cost: number;
  intensity_weighted_sum: number;
  provenance_ids: string | null;
}

const LABEL_FIELDS = [
  'project',
  'machine',
  'owner',
  'host',
  'namespace',
  'workload',
  'workloadKind',
  'pod',
] as const;

/** Prometheus treats an empty label as an absent one; so do we. */
function labelValue(labels: LedgerLabels, field: (typeof LABEL_FIELDS)[number]): string | null {
  const value = labels[field];
  return value === undefined || value === '' ? null : value;
}

function toEpochSeconds(date: Date, what: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new InternalError(`Ledger: ${what} is not a valid date.`);
  return Math.floor(ms / 1000);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

const NUMERIC_FIELDS = [
  'busySeconds',
  'idleSeconds',
  'memoryGiBHours',
  'coverage',
  'intensityGPerKwh',
  'busyWattsPerCore',
  'idleWattsPerCore',
  'memoryWattsPerGiB',
  'pue',
  'embodiedGramsPerCoreHour',
  'energyItKwh',
  'energyKwh',
  'scope2LocationGrams',
  'scope2MarketGrams',
  'scope3Grams',
  'cost',
] as const;

/** Rejects what SQLite's CHECKs cannot see: NaN binds as NULL, Infinity passes `>= 0`. */
function assertFiniteRow(row: LedgerHourRow): void {
  for (const field of NUMERIC_FIELDS) {
    if (!Number.isFinite(row[field])) {
      throw new InternalError(
        `Ledger: ${field} of ${row.entityId} at ${row.hourStart.toISOString()} is ${row[field]}, not a finite number.`,
      );
    }
  }
  for (const value of [row.reservedCoreSeconds, row.marketFactorGPerKwh]) {
    if (value !== null && !Number.isFinite(value)) {
      throw new InternalError(
        `Ledger: a factor of ${row.entityId} at ${row.hourStart.toISOString()} is ${value}.`,
      );
    }
  }
}

/** The provenance tuple of a row, in `provenance` column order. */
function provenanceValues(row: LedgerHourRow, reasons: string): Array<string | number | null> {
  return [
    row.intensityProvider,
    row.intensityKind,
    row.region,
    row.powerProfile,
    row.busyWattsPerCore,
    row.idleWattsPerCore,
    row.memoryWattsPerGiB,
    row.pue,
    row.embodiedGramsPerCoreHour,
    row.marketFactorGPerKwh,
    row.currency,
    row.isEstimated ? 1 : 0,
    reasons,
    row.methodologyVersion,
  ];
}

/** Whether two rows share every provenance field (the common case for consecutive rows). */
function sameProvenance(a: LedgerHourRow, b: LedgerHourRow): boolean {
  return (
    a.intensityProvider === b.intensityProvider &&
    a.intensityKind === b.intensityKind &&
    a.region === b.region &&
    a.powerProfile === b.powerProfile &&
    a.busyWattsPerCore === b.busyWattsPerCore &&
    a.idleWattsPerCore === b.idleWattsPerCore &&
    a.memoryWattsPerGiB === b.memoryWattsPerGiB &&
    a.pue === b.pue &&
    a.embodiedGramsPerCoreHour === b.embodiedGramsPerCoreHour &&
    a.marketFactorGPerKwh === b.marketFactorGPerKwh &&
    a.currency === b.currency &&
    a.isEstimated === b.isEstimated &&
    a.methodologyVersion === b.methodologyVersion &&
    (a.estimationReasons === b.estimationReasons ||
      (a.estimationReasons.length === b.estimationReasons.length &&
        a.estimationReasons.every((reason, index) => reason === b.estimationReasons[index])))
  );
}

/** The better-sqlite3 implementation of Ledger. */
class SqliteLedger implements Ledger {
  private readonly statements = new Map<string, Database.Statement>();
  /** Ids of committed interned rows (they are never deleted, so the cache cannot go stale). */
  private readonly entityIds = new Map<string, number>();
  private readonly labelSetIds = new Map<string, number>();
  private readonly provenanceIds = new Map<string, number>();
  private readonly heldLocks = new Set<() => void>();
  private closed = false;
  private recommendationRepository: RecommendationRepository | undefined;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly readonly: boolean,
    readonly schemaVersion: number,
    private readonly clock: () => Date,
    /** Run once after the file is closed (removes a reader's private copy). */
    private readonly afterClose: () => void = () => undefined,
  ) {}

  close(): void {
    if (this.closed) return;
    for (const release of [...this.heldLocks]) release();
    this.closed = true;
    this.db.close();
    this.afterClose();
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Runs fn, turning SQLite failures into errors that name the ledger and what to do. */
  private guard<T>(fn: () => T): T {
    if (this.closed)
      throw new InternalError(`${ledgerSourceName(this.path)} was used after close().`);
    try {
      return fn();
    } catch (error) {
      throw mapSqliteError(this.path, error);
    }
  }

  private assertWritable(): void {
    if (this.readonly)
      throw new InternalError(
        `${ledgerSourceName(this.path)} was opened read-only and cannot be written.`,
      );
  }

  commitChunk(
    cluster: string,
    source: LedgerSource,
    rows: readonly LedgerHourRow[],
    progressHourEnd: Date,
  ): void {
    this.assertWritable();
    const progressEndS = toEpochSeconds(progressHourEnd, 'the progress hour end');
    if (progressEndS % 3600 !== 0) {
      throw new InternalError(
        `Ledger: progress hour end ${progressHourEnd.toISOString()} is not on an hour boundary.`,
      );
    }
    const trackedAtS = toEpochSeconds(this.clock(), 'the clock');
    const newEntities = new Map<string, number>();
    const newLabelSets = new Map<string, number>();
    const newProvenance = new Map<string, number>();

    const upsertHour = this
      .statement(`INSERT INTO entity_hours (entity_id, hour, label_set_id, provenance_id,
        busy_s, idle_s, reserved_core_s, memory_gib_h, coverage, intensity_g_per_kwh, energy_it_kwh,
        energy_kwh, scope2_location_g, scope2_market_g, scope3_g, cost, is_estimated, tracked_at_s)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (entity_id, hour) DO UPDATE SET
        label_set_id = excluded.label_set_id, provenance_id = excluded.provenance_id,
        busy_s = excluded.busy_s, idle_s = excluded.idle_s, reserved_core_s = excluded.reserved_core_s,
        memory_gib_h = excluded.memory_gib_h, coverage = excluded.coverage,
        intensity_g_per_kwh = excluded.intensity_g_per_kwh, energy_it_kwh = excluded.energy_it_kwh,
        energy_kwh = excluded.energy_kwh, scope2_location_g = excluded.scope2_location_g,
        scope2_market_g = excluded.scope2_market_g, scope3_g = excluded.scope3_g, cost = excluded.cost,
        is_estimated = excluded.is_estimated, tracked_at_s = excluded.tracked_at_s`);
    const deleteDay = this.statement('DELETE FROM entity_days WHERE entity_id = ? AND day = ?');
    // The rollup is recomputed from the hour rows (never adjusted by differences), so it is
    // exactly what a fresh aggregation would give, however often a window is re-tracked.
    const rollupDay = this
      .statement(`INSERT INTO entity_days (entity_id, day, label_set_id, provenance_id,
        row_count, hour_mask, estimated_rows, busy_s, idle_s, memory_gib_h, coverage_sum, energy_it_kwh,
        energy_kwh, scope2_location_g, scope2_market_g, scope3_g, cost, intensity_weighted_sum)
      SELECT entity_id, @day, label_set_id, provenance_id, count(*), sum(1 << ((hour - @day) / 3600)),
        sum(is_estimated), total(busy_s), total(idle_s), total(memory_gib_h), total(coverage),
        total(energy_it_kwh), total(energy_kwh), total(scope2_location_g), total(scope2_market_g),
        total(scope3_g), total(cost), total(energy_kwh * intensity_g_per_kwh)
      FROM entity_hours WHERE entity_id = @entity AND hour >= @day AND hour < @day + ${DAY_S}
      GROUP BY label_set_id, provenance_id`);
    const saveProgress = this
      .statement(`INSERT INTO track_progress (cluster, source, last_hour_end_s, updated_at_s)
      VALUES (?, ?, ?, ?)
      ON CONFLICT (cluster, source) DO UPDATE SET
        last_hour_end_s = max(last_hour_end_s, excluded.last_hour_end_s), updated_at_s = excluded.updated_at_s`);

    const commit = this.db.transaction(() => {
      // Pass 1: validate and intern, grouping rows by entity: inserting each entity's hours
      // together touches one B-tree region at a time (~25 % faster than hour by hour).
      const byEntity = new Map<
        number,
        Array<{ row: LedgerHourRow; hourS: number; labelSetId: number; provenanceId: number }>
      >();
      // Per-chunk shortcuts around the interning keys: cluster and source are fixed, callers
      // reuse a labels object per entity, and consecutive rows mostly share provenance.
      const chunkEntities = new Map<string, number>();
      const chunkLabels = new WeakMap<LedgerLabels, number>();
      let previous: { row: LedgerHourRow; provenanceId: number } | undefined;
      for (const row of rows) {
        if (row.cluster !== cluster || row.source !== source) {
          throw new InternalError(
            `Ledger: a row of ${row.cluster}/${row.source} was committed as ${cluster}/${source}.`,
          );
        }
        assertFiniteRow(row);
        const hourS = toEpochSeconds(row.hourStart, `hourStart of ${row.entityId}`);
        if (row.hourStart.getTime() % HOUR_MS !== 0) {
          throw new InternalError(
            `Ledger: hourStart ${row.hourStart.toISOString()} of ${row.entityId} is not on an hour boundary.`,
          );
        }
        let entityId = chunkEntities.get(row.entityId);
        if (entityId === undefined) {
          entityId = this.internEntity(cluster, source, row.entityId, newEntities);
          chunkEntities.set(row.entityId, entityId);
        }
        let labelSetId = chunkLabels.get(row.labels);
        if (labelSetId === undefined) {
          labelSetId = this.internLabels(row.labels, newLabelSets);
          chunkLabels.set(row.labels, labelSetId);
        }
        const provenanceId =
          previous !== undefined && sameProvenance(previous.row, row)
            ? previous.provenanceId
            : this.internProvenance(row, newProvenance);
        previous = { row, provenanceId };
        let entityRows = byEntity.get(entityId);
        if (entityRows === undefined) byEntity.set(entityId, (entityRows = []));
        entityRows.push({ row, hourS, labelSetId, provenanceId });
      }
      // Pass 2: upsert, then recompute the rollup of every (entity, UTC day) touched.
      for (const [entityId, entityRows] of byEntity) {
        const days = new Set<number>();
        for (const { row, hourS, labelSetId, provenanceId } of entityRows) {
          upsertHour.run(
            entityId,
            hourS,
            labelSetId,
            provenanceId,
            row.busySeconds,
            row.idleSeconds,
            row.reservedCoreSeconds,
            row.memoryGiBHours,
            row.coverage,
            row.intensityGPerKwh,
            row.energyItKwh,
            row.energyKwh,
            row.scope2LocationGrams,
            row.scope2MarketGrams,
            row.scope3Grams,
            row.cost,
            row.isEstimated ? 1 : 0,
            trackedAtS,
          );
          days.add(Math.floor(hourS / DAY_S) * DAY_S);
        }
        for (const day of days) {
          deleteDay.run(entityId, day);
          rollupDay.run({ entity: entityId, day });
        }
      }
      saveProgress.run(cluster, source, progressEndS, trackedAtS);
    });
    this.guard(() => commit.immediate());
    // Only now are the new ids real: a rolled-back chunk must not leave them in the caches.
    for (const [key, id] of newEntities) this.entityIds.set(key, id);
    for (const [key, id] of newLabelSets) this.labelSetIds.set(key, id);
    for (const [key, id] of newProvenance) this.provenanceIds.set(key, id);
  }

  /** The id of an interned tuple: from the caches, the table, or a new row (pending until commit). */
  private intern(
    committed: Map<string, number>,
    pending: Map<string, number>,
    key: string,
    select: string,
    insert: string,
    insertValues: ReadonlyArray<string | number | null>,
  ): number {
    const known = committed.get(key) ?? pending.get(key);
    if (known !== undefined) return known;
    const existing = this.statement(select).get(key) as { id: number } | undefined;
    if (existing !== undefined) {
      committed.set(key, existing.id);
      return existing.id;
    }
    const created = this.statement(insert).get(key, ...insertValues) as { id: number };
    pending.set(key, created.id);
    return created.id;
  }

  private internEntity(
    cluster: string,
    source: LedgerSource,
    entityKey: string,
    pending: Map<string, number>,
  ): number {
    return this.intern(
      this.entityIds,
      pending,
      internKey([cluster, source, entityKey]),
      'SELECT id FROM entities WHERE entity_ref = ?',
      'INSERT INTO entities (entity_ref, cluster, source, entity_key) VALUES (?, ?, ?, ?) RETURNING id',
      [cluster, source, entityKey],
    );
  }

  private internLabels(labels: LedgerLabels, pending: Map<string, number>): number {
    const values = LABEL_FIELDS.map((field) => labelValue(labels, field));
    return this.intern(
      this.labelSetIds,
      pending,
      internKey(values),
      'SELECT id FROM label_sets WHERE label_key = ?',
      `INSERT INTO label_sets (label_key, project, machine, owner, host, namespace, workload, workload_kind, pod)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      values,
    );
  }

  private internProvenance(row: LedgerHourRow, pending: Map<string, number>): number {
    const reasons = row.estimationReasons.length === 0 ? [] : sortedUnique(row.estimationReasons);
    for (const reason of reasons) {
      if (reason === '' || reason.includes(',')) {
        throw new InternalError(
          `Ledger: estimation reason ${JSON.stringify(reason)} must be a non-empty word without commas.`,
        );
      }
    }
    const values = provenanceValues(row, reasons.join(','));
    return this.intern(
      this.provenanceIds,
      pending,
      internKey(values),
      'SELECT id FROM provenance WHERE prov_key = ?',
      `INSERT INTO provenance (prov_key, intensity_provider, intensity_kind, region, power_profile,
        busy_watts_per_core, idle_watts_per_core, memory_watts_per_gib, pue, embodied_g_per_core_hour,
        market_factor_g_per_kwh, currency, is_estimated, estimation_reasons, methodology_version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      values,
    );
  }

  storedClusterSource(cluster: string): ClusterSourceDecision | null {
    return this.guard(() => {
      const row = this.statement(
        'SELECT source, decided_by, decided_at_ms, window_from_ms, window_to_ms FROM cluster_sources WHERE cluster = ?',
      ).get(cluster) as
        | {
            source: LedgerSource;
            decided_by: ClusterSourceDecision['decidedBy'];
            decided_at_ms: number;
            window_from_ms: number | null;
            window_to_ms: number | null;
          }
        | undefined;
      if (row === undefined) return null;
      return {
        source: row.source,
        decidedBy: row.decided_by,
        decidedAt: new Date(row.decided_at_ms),
        window:
          row.window_from_ms === null || row.window_to_ms === null
            ? null
            : { from: new Date(row.window_from_ms), to: new Date(row.window_to_ms) },
      };
    });
  }

  storeClusterSource(cluster: string, decision: ClusterSourceDecision): void {
    this.assertWritable();
    this.guard(() =>
      this.statement(
        `INSERT INTO cluster_sources (cluster, source, decided_by, decided_at_ms, window_from_ms, window_to_ms)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (cluster) DO UPDATE SET source = excluded.source, decided_by = excluded.decided_by,
          decided_at_ms = excluded.decided_at_ms, window_from_ms = excluded.window_from_ms,
          window_to_ms = excluded.window_to_ms`,
      ).run(
        cluster,
        decision.source,
        decision.decidedBy,
        decision.decidedAt.getTime(),
        decision.window?.from.getTime() ?? null,
        decision.window?.to.getTime() ?? null,
      ),
    );
  }

  lastTrackedHourEnd(cluster: string, source: LedgerSource): Date | null {
    return this.guard(() => {
      const row = this.statement(
        'SELECT last_hour_end_s FROM track_progress WHERE cluster = ? AND source = ?',
      ).get(cluster, source) as { last_hour_end_s: number } | undefined;
      return row === undefined ? null : new Date(row.last_hour_end_s * 1000);
    });
  }

  tryAcquireTrackLock(
    cluster: string,
    source: LedgerSource,
    owner: TrackLockOwner,
  ): (() => void) | TrackLockHolder {
    this.assertWritable();
    const host = osHostname();
    const startedAtMs = owner.startedAt.getTime();
    const attempt = this.db.transaction((): TrackLockHolder | null => {
      const current = this.statement(
        'SELECT pid, hostname, started_at_ms FROM track_locks WHERE cluster = ? AND source = ?',
      ).get(cluster, source) as
        { pid: number; hostname: string; started_at_ms: number } | undefined;
      if (current !== undefined && isProcessAlive(current.pid, current.hostname, host)) {
        return {
          pid: current.pid,
          hostname: current.hostname,
          startedAt: new Date(current.started_at_ms),
        };
      }
      // No holder, or a holder that died (kill -9, crash): take the lock over.
      this.statement(
        `INSERT INTO track_locks (cluster, source, pid, hostname, started_at_ms, acquired_at_ms)
          VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (cluster, source) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname,
            started_at_ms = excluded.started_at_ms, acquired_at_ms = excluded.acquired_at_ms`,
      ).run(cluster, source, owner.pid, host, startedAtMs, this.clock().getTime());
      return null;
    });
    const holder = this.guard(() => attempt.immediate());
    if (holder !== null) return holder;
    const release = (): void => {
      if (!this.heldLocks.delete(release) || this.closed) return;
      this.guard(() =>
        this.statement(
          'DELETE FROM track_locks WHERE cluster = ? AND source = ? AND pid = ? AND hostname = ? AND started_at_ms = ?',
        ).run(cluster, source, owner.pid, host, startedAtMs),
      );
    };
    this.heldLocks.add(release);
    return release;
  }

  async acquireTrackLock(
    cluster: string,
    source: LedgerSource,
    owner: TrackLockOwner,
    waitMs: number,
  ): Promise<() => void> {
    // A monotonic clock: the wait is elapsed time, not a timestamp.
    const deadline = performance.now() + Math.max(0, waitMs);
    for (;;) {
      const result = this.tryAcquireTrackLock(cluster, source, owner);
      if (typeof result === 'function') return result;
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) {
        const where = result.hostname === osHostname() ? '' : ` on ${result.hostname}`;
        throw new DataSourceError(
          ledgerSourceName(this.path),
          `another carbonctl track (pid ${result.pid}${where}, started ${result.startedAt.toISOString()}) is running for cluster ${cluster} (${source})`,
          {
            hint: 'Wait for it to finish, or run this one later. A lock left by a process that died is taken over automatically.',
          },
        );
      }
      await sleep(Math.min(LOCK_POLL_MS, remainingMs));
    }
  }

  cacheIntensitySlots(
    provider: string,
    regionKey: string,
    slots: readonly IntensitySlot[],
    fetchedAt: Date,
  ): void {
    this.assertWritable();
    const upsert = this
      .statement(`INSERT INTO intensity_cache (provider, region_key, slot_from_ms, slot_to_ms,
        forecast_g_per_kwh, actual_g_per_kwh, intensity_index, fetched_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (provider, region_key, slot_from_ms) DO UPDATE SET
        slot_to_ms = excluded.slot_to_ms,
        forecast_g_per_kwh = coalesce(excluded.forecast_g_per_kwh, forecast_g_per_kwh),
        actual_g_per_kwh = coalesce(excluded.actual_g_per_kwh, actual_g_per_kwh),
        intensity_index = coalesce(excluded.intensity_index, intensity_index),
        fetched_at_ms = excluded.fetched_at_ms`);
    const fetchedAtMs = fetchedAt.getTime();
    const store = this.db.transaction(() => {
      for (const slot of slots) {
        for (const value of [slot.forecast, slot.actual]) {
          if (value !== null && !Number.isFinite(value)) {
            throw new InternalError(
              `Ledger: intensity ${value} for ${slot.from.toISOString()} is not a finite number.`,
            );
          }
        }
        upsert.run(
          provider,
          regionKey,
          slot.from.getTime(),
          slot.to.getTime(),
          slot.forecast,
          slot.actual,
          slot.index,
          fetchedAtMs,
        );
      }
    });
    this.guard(() => store.immediate());
  }

  cachedIntensitySlots(provider: string, regionKey: string, from: Date, to: Date): IntensitySlot[] {
    return this.guard(() => {
      const rows = this.statement(
        `SELECT slot_from_ms, slot_to_ms, forecast_g_per_kwh, actual_g_per_kwh, intensity_index
        FROM intensity_cache
        WHERE provider = ? AND region_key = ? AND slot_from_ms < ? AND slot_to_ms > ?
        ORDER BY slot_from_ms`,
      ).all(provider, regionKey, to.getTime(), from.getTime()) as Array<{
        slot_from_ms: number;
        slot_to_ms: number;
        forecast_g_per_kwh: number | null;
        actual_g_per_kwh: number | null;
        intensity_index: string | null;
      }>;
      return rows.map((row) => ({
        from: new Date(row.slot_from_ms),
        to: new Date(row.slot_to_ms),
        forecast: row.forecast_g_per_kwh,
        actual: row.actual_g_per_kwh,
        index: row.intensity_index,
      }));
    });
  }

  aggregate(query: AggregateQuery): AggregateRow[] {
    return [...this.iterateAggregate(query)];
  }

  *iterateAggregate(query: AggregateQuery): IterableIterator<AggregateRow> {
    const plan = planBuckets(query.filter, query.buckets);
    const built = buildAggregateSql(plan, query.groupBy, query.filter);
    if (built === null) return;
    const provenance = this.guard(() => {
      this.fillMap(DAY_MAP_TABLE, plan.dayMap);
      this.fillMap(HOUR_MAP_TABLE, plan.hourMap);
      return this.loadProvenance();
    });
    const statement = this.guard(() => this.statement(built.sql));
    const rows = this.guard(
      () => statement.iterate(built.params) as IterableIterator<AggregateSqlRow>,
    );
    try {
      for (;;) {
        const next = this.guard(() => rows.next());
        if (next.done === true) return;
        yield toAggregateRow(next.value, plan.labels, provenance, query.groupBy === 'workload');
      }
    } finally {
      // A consumer that stops early must not leave the connection busy with an open cursor.
      rows.return?.();
    }
  }

  private fillMap(table: string, entries: ReadonlyArray<[number, number]> | null): void {
    if (entries === null) return;
    this.statement(`DELETE FROM temp.${table}`).run();
    this.statement(
      `INSERT INTO temp.${table} SELECT value ->> 0, value ->> 1 FROM json_each(?)`,
    ).run(JSON.stringify(entries));
  }

  private loadProvenance(): Map<number, ProvenanceRecord> {
    const rows = this.statement(
      `SELECT id, intensity_provider, intensity_kind, power_profile, pue, currency,
        estimation_reasons, methodology_version FROM provenance`,
    ).all() as ProvenanceRecord[];
    return new Map(rows.map((row) => [row.id, row]));
  }

  provenanceSummary(filter: LedgerFilter = {}): ProvenanceRow[] {
    const built = buildProvenanceSql(filter);
    if (built === null) return [];
    const rows = this.guard(() => this.statement(built.sql).all(built.params)) as Array<{
      intensity_provider: string;
      intensity_kind: ProvenanceRow['intensityKind'];
      region: string;
      power_profile: string;
      busy_watts_per_core: number;
      idle_watts_per_core: number;
      memory_watts_per_gib: number;
      pue: number;
      embodied_g_per_core_hour: number;
      market_factor_g_per_kwh: number | null;
      currency: string;
      methodology_version: string;
      entity_hours: number;
      energy_kwh: number;
    }>;
    return rows.map((row) => ({
      intensityProvider: row.intensity_provider,
      intensityKind: row.intensity_kind,
      region: row.region,
      powerProfile: row.power_profile,
      busyWattsPerCore: row.busy_watts_per_core,
      idleWattsPerCore: row.idle_watts_per_core,
      memoryWattsPerGiB: row.memory_watts_per_gib,
      pue: row.pue,
      embodiedGramsPerCoreHour: row.embodied_g_per_core_hour,
      marketFactorGPerKwh: row.market_factor_g_per_kwh,
      currency: row.currency,
      methodologyVersion: row.methodology_version,
      entityHours: row.entity_hours,
      energyKwh: row.energy_kwh,
    }));
  }

  countRows(filter: LedgerFilter = {}): number {
    return this.counts(filter).rowCount;
  }

  entityCount(filter: LedgerFilter = {}): number {
    return this.counts(filter).entityCount;
  }

  groupBound(groupBy: GroupDimension): number {
    // Distinct values ever recorded (any filter sees at most these), from the small tables only.
    const from = groupBy === 'entity' || groupBy === 'cluster' ? 'entities e' : 'label_sets l';
    const row = this.guard(() =>
      this.statement(`SELECT count(DISTINCT ${groupExpression(groupBy)}) AS n FROM ${from}`).get(),
    ) as { n: number };
    return row.n;
  }

  private counts(filter: LedgerFilter): { rowCount: number; entityCount: number } {
    const plan = planBuckets(filter, undefined);
    const built = buildAggregateSql(plan, 'none', filter, 'counts');
    if (built === null) return { rowCount: 0, entityCount: 0 };
    const row = this.guard(() => this.statement(built.sql).get(built.params)) as
      { row_count: number; entity_count: number } | undefined;
    return { rowCount: row?.row_count ?? 0, entityCount: row?.entity_count ?? 0 };
  }

  trackedRange(cluster?: string, source?: LedgerSource): { from: Date; to: Date } | null {
    return this.guard(() => {
      // Per-entity min/max are primary-key seeks; a plain min(hour) would scan the table.
      const row = this.statement(
        `SELECT min(first_hour) AS first_hour, max(last_hour) AS last_hour FROM (
          SELECT (SELECT min(hour) FROM entity_hours WHERE entity_id = e.id) AS first_hour,
                 (SELECT max(hour) FROM entity_hours WHERE entity_id = e.id) AS last_hour
          FROM entities e
          WHERE (@cluster IS NULL OR e.cluster = @cluster) AND (@source IS NULL OR e.source = @source))`,
      ).get({
        cluster: cluster ?? null,
        source: source ?? null,
      }) as { first_hour: number | null; last_hour: number | null };
      if (row.first_hour === null || row.last_hour === null) return null;
      return { from: new Date(row.first_hour * 1000), to: new Date((row.last_hour + 3600) * 1000) };
    });
  }

  entitySpans(source?: LedgerSource): EntitySpan[] {
    return this.guard(() => {
      // Per-entity min/max are primary-key seeks, as in trackedRange.
      const rows = this.statement(
        `SELECT e.cluster AS cluster, e.source AS source, e.entity_key AS entity_key,
                (SELECT min(hour) FROM entity_hours WHERE entity_id = e.id) AS first_hour,
                (SELECT max(hour) FROM entity_hours WHERE entity_id = e.id) AS last_hour
         FROM entities e
         WHERE (@source IS NULL OR e.source = @source)
         ORDER BY e.cluster, e.source, e.entity_key`,
      ).all({ source: source ?? null }) as Array<{
        cluster: string;
        source: LedgerSource;
        entity_key: string;
        first_hour: number | null;
        last_hour: number | null;
      }>;
      return rows.flatMap((row) =>
        row.first_hour === null || row.last_hour === null
          ? []
          : [
              {
                cluster: row.cluster,
                source: row.source,
                entityId: row.entity_key,
                from: new Date(row.first_hour * 1000),
                to: new Date((row.last_hour + 3600) * 1000),
              },
            ],
      );
    });
  }

  checkIntegrity(depth: IntegrityCheckDepth): void {
    this.guard(() => runIntegrityCheck(this.db, this.path, depth));
  }

  get recommendations(): RecommendationRepository {
    return (this.recommendationRepository ??= new SqliteRecommendationRepository(this.db, {
      guard: (fn) => this.guard(fn),
      assertWritable: () => this.assertWritable(),
    }));
  }
}

/** Whether a lock holder is still running. On another host we cannot tell, so assume it is. */
function isProcessAlive(pid: number, holderHost: string, ourHost: string): boolean {
  if (holderHost !== ourHost) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function toAggregateRow(
  row: AggregateSqlRow,
  labels: ReadonlyArray<string | null>,
  provenance: ReadonlyMap<number, ProvenanceRecord>,
  withWorkloadKind: boolean,
): AggregateRow {
  const records = (row.provenance_ids ?? '')
    .split(',')
    .filter((id) => id !== '')
    .map((id) => {
      const record = provenance.get(Number(id));
      if (record === undefined)
        throw new InternalError(`Ledger: provenance ${id} is referenced but missing.`);
      return record;
    });
  const currencies = sortedUnique(records.map((record) => record.currency));
  const pues = records.map((record) => record.pue);
  const result: AggregateRow = {
    bucket: labels[row.bucket] ?? null,
    group: row.grp,
    entityCount: row.entity_count,
    hours: row.hours,
    busySeconds: row.busy_s,
    idleSeconds: row.idle_s,
    memoryGiBHours: row.memory_gib_h,
    energyItKwh: row.energy_it_kwh,
    energyKwh: row.energy_kwh,
    scope2LocationGrams: row.scope2_location_g,
    scope2MarketGrams: row.scope2_market_g,
    scope3Grams: row.scope3_g,
    cost: row.cost,
    intensityWeightedSum: row.intensity_weighted_sum,
    coverageSum: row.coverage_sum,
    estimatedRows: row.estimated_rows,
    rowCount: row.row_count,
    estimationReasons: sortedUnique(
      records.flatMap((record) =>
        record.estimation_reasons.split(',').filter((reason) => reason !== ''),
      ),
    ),
    intensityProviders: sortedUnique(records.map((record) => record.intensity_provider)),
    intensityKinds: sortedUnique(records.map((record) => record.intensity_kind)),
    powerProfiles: sortedUnique(records.map((record) => record.power_profile)),
    methodologyVersions: sortedUnique(records.map((record) => record.methodology_version)),
    pueMin: Math.min(...pues),
    pueMax: Math.max(...pues),
    currency: currencies.length === 1 ? (currencies[0] ?? null) : null,
  };
  if (withWorkloadKind) result.workloadKind = row.wk;
  return result;
}

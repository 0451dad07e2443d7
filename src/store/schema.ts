/**
 * The ledger's SQLite schema as an ordered list of migrations. A migration is never edited once
 * released: later features (recommendations, savings) append new versions. `PRAGMA user_version`
 * holds the applied version; `schema_migrations` records when each was applied.
 */

/**
 * `PRAGMA application_id` of a carbonctl ledger: the ASCII bytes `cbct`. It marks the file in
 * its header (offset 68) so `file(1)` and carbonctl can tell a ledger from another SQLite file.
 */
export const LEDGER_APPLICATION_ID = 0x63626374;

/** Key and value of the marker row in `ledger_meta`, checked at every open. */
export const LEDGER_FORMAT_KEY = 'format';
/** The marker value: a ledger whose marker row says anything else is not ours. */
export const LEDGER_FORMAT_VALUE = 'carbonctl-ledger';

/** One schema step, applied inside the migration transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/*
 * Layout choices (for the SPEC §12 bar: a year of 1,000 entities reported in < 2 s):
 * - Hours and days are integer epoch seconds (`hour`, `day`, `*_s`; `*_ms` are milliseconds);
 *   rows reference interned entities, label sets and provenance by integer id, so an hour row
 *   is ~120 bytes of numbers and group-by joins are primary-key lookups in small tables.
 * - `entity_hours` is WITHOUT ROWID keyed (entity_id, hour): the key *is* the upsert identity
 *   (cluster, source, entity, hour), and per-entity time ranges are one seek.
 * - `entity_days` is a UTC-daily rollup recomputed from `entity_hours` in the same transaction
 *   as every chunk; reports read whole days from it and only the partial-day edges of their
 *   periods (time-zone offsets, half-open ranges) from `entity_hours`.
 * - Labels live in `label_sets` per hour row (not on the entity) so a host that changes owner
 *   keeps its history attributed as it was tracked.
 */
const INITIAL_SCHEMA = `
CREATE TABLE ledger_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
);

CREATE TABLE entities (
  id INTEGER PRIMARY KEY,
  entity_ref TEXT NOT NULL UNIQUE,
  cluster TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('nodes', 'pods')),
  entity_key TEXT NOT NULL,
  UNIQUE (cluster, source, entity_key)
);

CREATE TABLE label_sets (
  id INTEGER PRIMARY KEY,
  label_key TEXT NOT NULL UNIQUE,
  project TEXT,
  machine TEXT,
  owner TEXT,
  host TEXT,
  namespace TEXT,
  workload TEXT,
  workload_kind TEXT,
  pod TEXT
);

CREATE TABLE provenance (
  id INTEGER PRIMARY KEY,
  prov_key TEXT NOT NULL UNIQUE,
  intensity_provider TEXT NOT NULL,
  intensity_kind TEXT NOT NULL CHECK (intensity_kind IN ('actual', 'forecast', 'static', 'fixed')),
  region TEXT NOT NULL,
  power_profile TEXT NOT NULL,
  busy_watts_per_core REAL NOT NULL CHECK (busy_watts_per_core >= 0),
  idle_watts_per_core REAL NOT NULL CHECK (idle_watts_per_core >= 0),
  memory_watts_per_gib REAL NOT NULL CHECK (memory_watts_per_gib >= 0),
  pue REAL NOT NULL CHECK (pue > 0),
  embodied_g_per_core_hour REAL NOT NULL CHECK (embodied_g_per_core_hour >= 0),
  market_factor_g_per_kwh REAL CHECK (market_factor_g_per_kwh IS NULL OR market_factor_g_per_kwh >= 0),
  currency TEXT NOT NULL,
  is_estimated INTEGER NOT NULL CHECK (is_estimated IN (0, 1)),
  estimation_reasons TEXT NOT NULL,
  methodology_version TEXT NOT NULL
);

CREATE TABLE entity_hours (
  entity_id INTEGER NOT NULL REFERENCES entities (id),
  hour INTEGER NOT NULL CHECK (hour >= 0 AND hour % 3600 = 0),
  label_set_id INTEGER NOT NULL REFERENCES label_sets (id),
  provenance_id INTEGER NOT NULL REFERENCES provenance (id),
  busy_s REAL NOT NULL CHECK (busy_s >= 0),
  idle_s REAL NOT NULL CHECK (idle_s >= 0),
  reserved_core_s REAL CHECK (reserved_core_s IS NULL OR reserved_core_s >= 0),
  memory_gib_h REAL NOT NULL CHECK (memory_gib_h >= 0),
  coverage REAL NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
  intensity_g_per_kwh REAL NOT NULL CHECK (intensity_g_per_kwh >= 0),
  energy_it_kwh REAL NOT NULL CHECK (energy_it_kwh >= 0),
  energy_kwh REAL NOT NULL CHECK (energy_kwh >= 0),
  scope2_location_g REAL NOT NULL CHECK (scope2_location_g >= 0),
  scope2_market_g REAL NOT NULL CHECK (scope2_market_g >= 0),
  scope3_g REAL NOT NULL CHECK (scope3_g >= 0),
  cost REAL NOT NULL CHECK (cost >= 0),
  is_estimated INTEGER NOT NULL CHECK (is_estimated IN (0, 1)),
  tracked_at_s INTEGER NOT NULL,
  PRIMARY KEY (entity_id, hour)
) WITHOUT ROWID;

CREATE TABLE entity_days (
  entity_id INTEGER NOT NULL,
  day INTEGER NOT NULL CHECK (day >= 0 AND day % 86400 = 0),
  label_set_id INTEGER NOT NULL,
  provenance_id INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  hour_mask INTEGER NOT NULL,
  estimated_rows INTEGER NOT NULL,
  busy_s REAL NOT NULL,
  idle_s REAL NOT NULL,
  memory_gib_h REAL NOT NULL,
  coverage_sum REAL NOT NULL,
  energy_it_kwh REAL NOT NULL,
  energy_kwh REAL NOT NULL,
  scope2_location_g REAL NOT NULL,
  scope2_market_g REAL NOT NULL,
  scope3_g REAL NOT NULL,
  cost REAL NOT NULL,
  intensity_weighted_sum REAL NOT NULL,
  PRIMARY KEY (entity_id, day, label_set_id, provenance_id)
) WITHOUT ROWID;

CREATE TABLE track_progress (
  cluster TEXT NOT NULL,
  source TEXT NOT NULL,
  last_hour_end_s INTEGER NOT NULL CHECK (last_hour_end_s % 3600 = 0),
  updated_at_s INTEGER NOT NULL,
  PRIMARY KEY (cluster, source)
) WITHOUT ROWID;

CREATE TABLE track_locks (
  cluster TEXT NOT NULL,
  source TEXT NOT NULL,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  acquired_at_ms INTEGER NOT NULL,
  PRIMARY KEY (cluster, source)
) WITHOUT ROWID;

CREATE TABLE intensity_cache (
  provider TEXT NOT NULL,
  region_key TEXT NOT NULL,
  slot_from_ms INTEGER NOT NULL,
  slot_to_ms INTEGER NOT NULL CHECK (slot_to_ms > slot_from_ms),
  forecast_g_per_kwh REAL,
  actual_g_per_kwh REAL,
  intensity_index TEXT,
  fetched_at_ms INTEGER NOT NULL,
  PRIMARY KEY (provider, region_key, slot_from_ms)
) WITHOUT ROWID;

-- For people auditing the file with the sqlite3 shell: one readable row per entity-hour.
CREATE VIEW ledger_rows AS
SELECT e.cluster, e.source, e.entity_key AS entity,
       strftime('%Y-%m-%dT%H:%M:%SZ', h.hour, 'unixepoch') AS hour_start,
       h.busy_s, h.idle_s, h.reserved_core_s, h.memory_gib_h, h.coverage,
       l.project, l.machine, l.owner, l.host, l.namespace, l.workload, l.workload_kind, l.pod,
       h.intensity_g_per_kwh, p.intensity_provider, p.intensity_kind, p.region,
       p.power_profile, p.busy_watts_per_core, p.idle_watts_per_core, p.memory_watts_per_gib,
       p.pue, p.embodied_g_per_core_hour, p.market_factor_g_per_kwh, p.currency,
       h.energy_it_kwh, h.energy_kwh, h.scope2_location_g, h.scope2_market_g, h.scope3_g, h.cost,
       h.is_estimated, p.estimation_reasons, p.methodology_version,
       strftime('%Y-%m-%dT%H:%M:%SZ', h.tracked_at_s, 'unixepoch') AS tracked_at
FROM entity_hours h
JOIN entities e ON e.id = h.entity_id
JOIN label_sets l ON l.id = h.label_set_id
JOIN provenance p ON p.id = h.provenance_id;
`;

/*
 * Version 2: recommendations and the savings ledger (SPEC §8).
 * - `recommendations` holds one row per stable id with its lifecycle; the finding itself (target,
 *   configs, snapshot, commands) is JSON in `finding_json`, and the columns `list` filters and
 *   sorts on are copied out of it so those stay SQL (`recommendations_list` index).
 * - `savings_ledger` gets one row per `apply`: the realized monthly savings and the share of the
 *   estimate, in effect from `applied_at` until a `restore` sets `ended_at`. Rows are never
 *   deleted, so realized savings of past months stay as they were.
 * Times are ISO 8601 UTC text (`toISOString()`), which sorts like the instants it names.
 */
const RECOMMENDATIONS_SCHEMA = `
CREATE TABLE recommendations (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL CHECK (type IN ('RIGHTSIZING_CPU', 'RIGHTSIZING_MEMORY', 'IDLE_WORKSPACE',
    'IDLE_WORKLOAD', 'CARBON_AWARE_SHIFT')),
  status TEXT NOT NULL CHECK (status IN ('active', 'applied', 'ignored', 'stale')),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
  risk TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  cluster TEXT NOT NULL,
  namespace TEXT,
  monthly_co2e_g REAL NOT NULL CHECK (monthly_co2e_g >= 0),
  monthly_kwh REAL NOT NULL CHECK (monthly_kwh >= 0),
  monthly_cost REAL NOT NULL CHECK (monthly_cost >= 0),
  currency TEXT NOT NULL,
  finding_json TEXT NOT NULL CHECK (json_valid(finding_json)),
  applied_json TEXT CHECK (applied_json IS NULL OR json_valid(applied_json)),
  applied_at TEXT,
  ignored_reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX recommendations_list ON recommendations (status, type, priority, risk);
CREATE INDEX recommendations_scope ON recommendations (cluster, namespace);

CREATE TABLE savings_ledger (
  id INTEGER PRIMARY KEY,
  recommendation_id TEXT NOT NULL REFERENCES recommendations (id),
  type TEXT NOT NULL,
  cluster TEXT NOT NULL,
  namespace TEXT,
  month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
  applied_at TEXT NOT NULL,
  ended_at TEXT CHECK (ended_at IS NULL OR ended_at >= applied_at),
  share REAL CHECK (share IS NULL OR share >= 0),
  monthly_co2e_g REAL NOT NULL CHECK (monthly_co2e_g >= 0),
  monthly_kwh REAL NOT NULL CHECK (monthly_kwh >= 0),
  monthly_cost REAL NOT NULL CHECK (monthly_cost >= 0),
  currency TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('recommended', 'actual_request', 'given')),
  applied_json TEXT NOT NULL CHECK (json_valid(applied_json))
);

CREATE INDEX savings_ledger_recommendation ON savings_ledger (recommendation_id, ended_at);
CREATE INDEX savings_ledger_applied ON savings_ledger (applied_at);
`;

/*
 * Version 3: one accounting pipeline (SPEC §2 amendment).
 * - `cluster_sources`: the source (`nodes` / `pods`) each cluster is accounted as. `auto` is
 *   decided once from the data of the window first metered, stored here and kept, so a later run
 *   (a backfill, a run after a scrape outage) never flips it silently; an explicit `source` in the
 *   config or a `--source` flag changes it, and says so.
 * - Market-based Scope 2 without a contractual factor is a factor choice (location-based grid
 *   average), not an estimate: rows written by earlier versions carried `market_factor_missing`
 *   in their estimation reasons; it is removed and `is_estimated` recomputed, so the flag only
 *   marks estimated activity data or intensity.
 */
const ACCOUNTING_SCHEMA = `
CREATE TABLE cluster_sources (
  cluster TEXT PRIMARY KEY,
  source TEXT NOT NULL CHECK (source IN ('nodes', 'pods')),
  decided_by TEXT NOT NULL CHECK (decided_by IN ('auto', 'config', 'flag')),
  decided_at_ms INTEGER NOT NULL,
  window_from_ms INTEGER,
  window_to_ms INTEGER
) WITHOUT ROWID;

UPDATE provenance
SET estimation_reasons = trim(
      replace(',' || estimation_reasons || ',', ',market_factor_missing,', ','), ','),
    prov_key = prov_key || '#v3'
WHERE ',' || estimation_reasons || ',' LIKE '%,market_factor_missing,%';
UPDATE provenance SET is_estimated = CASE WHEN estimation_reasons = '' THEN 0 ELSE 1 END;
UPDATE entity_hours SET is_estimated =
  (SELECT p.is_estimated FROM provenance p WHERE p.id = entity_hours.provenance_id);
UPDATE entity_days SET estimated_rows =
  CASE WHEN (SELECT p.is_estimated FROM provenance p WHERE p.id = entity_days.provenance_id) = 1
       THEN row_count ELSE 0 END;
`;

/** Every migration in order; the last one's version is the schema version this build writes. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'recommendations and savings ledger', sql: RECOMMENDATIONS_SCHEMA },
  {
    version: 3,
    name: 'cluster source decisions; market basis is not an estimate',
    sql: ACCOUNTING_SCHEMA,
  },
];

/** The schema version this build of carbonctl creates and understands. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

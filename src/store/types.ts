/**
 * The ledger's public types: what `track` writes per entity-hour, and what `usage`, `history`,
 * `heatmap` and `report` read back (SPEC §5–§7). Implementation in ./ledger.ts.
 */
import type { IntensityKind, IntensitySlot } from '../core/ports.js';
import type { PeriodAggregate } from '../core/report.js';
import type { RecommendationRepository } from './recommendations.js';

/** Which Prometheus view an entity comes from: node_exporter hosts or Kubernetes pods. */
export type LedgerSource = 'nodes' | 'pods';

/** The labels an entity-hour is attributed by; absent labels are stored as NULL. */
export interface LedgerLabels {
  project?: string;
  machine?: string;
  owner?: string;
  host?: string;
  namespace?: string;
  workload?: string;
  workloadKind?: string;
  pod?: string;
}

/** The hours an entity has rows for: first hour start, last hour end. */
export interface EntitySpan {
  cluster: string;
  source: LedgerSource;
  entityId: string;
  from: Date;
  to: Date;
}

/** One accounted entity for one UTC hour: activity data, the factors used and the results. */
export interface LedgerHourRow {
  cluster: string;
  source: LedgerSource;
  /** Stable id of the entity within (cluster, source): the host, or `namespace/pod`. */
  entityId: string;
  /** Start of the UTC hour; must be on an hour boundary. */
  hourStart: Date;
  busySeconds: number;
  idleSeconds: number;
  /** Requested-core-seconds (pods); null where nothing was reserved (hosts). */
  reservedCoreSeconds: number | null;
  memoryGiBHours: number;
  /** Fraction of the hour covered by samples, 0..1. */
  coverage: number;
  labels: LedgerLabels;
  intensityGPerKwh: number;
  intensityProvider: string;
  intensityKind: IntensityKind;
  /** Region / zone label of the intensity used, e.g. `GB national`, `DE`. */
  region: string;
  powerProfile: string;
  busyWattsPerCore: number;
  idleWattsPerCore: number;
  memoryWattsPerGiB: number;
  pue: number;
  embodiedGramsPerCoreHour: number;
  marketFactorGPerKwh: number | null;
  currency: string;
  energyItKwh: number;
  energyKwh: number;
  scope2LocationGrams: number;
  scope2MarketGrams: number;
  scope3Grams: number;
  cost: number;
  isEstimated: boolean;
  /** Why the row is estimated (`intensity_forecast`, …); stored sorted and de-duplicated. */
  estimationReasons: string[];
  methodologyVersion: string;
}

/** Which rows a read covers. `from`/`to` are a half-open UTC range on the hour start. */
export interface LedgerFilter {
  from?: Date;
  to?: Date;
  cluster?: string;
  source?: string;
  owner?: string;
  project?: string;
  machine?: string;
  /** `${project}_${machine}`, Ada's group. */
  group?: string;
  namespace?: string;
  /** Workload name; matches `namespace/name` too. */
  workload?: string;
  host?: string;
  pod?: string;
}

/** What an aggregate groups by. `group` = `${project}_${machine}`; `workload` = `namespace/name`. */
export type GroupDimension =
  | 'none'
  | 'cluster'
  | 'namespace'
  | 'workload'
  | 'project'
  | 'machine'
  | 'group'
  | 'owner'
  | 'host'
  | 'pod'
  | 'entity';

/** One reporting period, computed by the caller in the reporting time zone, as UTC instants. */
export interface AggregateBucket {
  label: string;
  /** Inclusive: an hour row belongs to the bucket when start <= hourStart < end. */
  start: Date;
  end: Date;
}

/** An aggregation request: filter, grouping and (optionally) periods. */
export interface AggregateQuery {
  filter: LedgerFilter;
  groupBy: GroupDimension;
  /** Absent or null: one bucket for the whole filtered range, reported with `bucket: null`. */
  buckets?: AggregateBucket[] | null;
}

/**
 * Sums over the hour rows of one (bucket, group). Buckets or groups without rows produce no
 * AggregateRow: filling empty periods is the report's job.
 */
export interface AggregateRow extends PeriodAggregate {
  bucket: string | null;
  group: string | null;
  /** Only for groupBy `workload`: the workload's kind (the smallest one if it changed). */
  workloadKind?: string | null;
  /** Distinct entities (cluster, source, entityId) with rows. */
  entityCount: number;
  /** Union of the rows' estimation reasons, sorted. */
  estimationReasons: string[];
  /** Union of the intensity providers used, sorted. */
  intensityProviders: string[];
  /** Union of the intensity kinds used (`actual`, `forecast`, …), sorted. */
  intensityKinds: string[];
  /** Union of the power profiles used, sorted. */
  powerProfiles: string[];
  /** Union of the methodology versions used, sorted. */
  methodologyVersions: string[];
}

/**
 * One distinct set of factors and sources used by the rows of a selection (the ledger's
 * provenance, estimation flags aside), with how much of the selection it covers.
 */
export interface ProvenanceRow {
  intensityProvider: string;
  intensityKind: IntensityKind;
  /** Region / zone label of the intensity used, e.g. `GB national`, `DE`. */
  region: string;
  powerProfile: string;
  busyWattsPerCore: number;
  idleWattsPerCore: number;
  memoryWattsPerGiB: number;
  pue: number;
  embodiedGramsPerCoreHour: number;
  marketFactorGPerKwh: number | null;
  currency: string;
  methodologyVersion: string;
  /** Entity-hours of the selection computed with this provenance. */
  entityHours: number;
  /** Their energy, kWh (after PUE). */
  energyKwh: number;
}

/** Who holds a track lock: shown to a second `track` that has to wait. */
export interface TrackLockOwner {
  pid: number;
  startedAt: Date;
}

/** A lock holder as recorded in the ledger. */
export interface TrackLockHolder extends TrackLockOwner {
  hostname: string;
}

/** How deep the open-time integrity check goes (see openLedger). */
export type IntegrityCheckDepth = 'quick' | 'full';

/** Options of openLedger. */
export interface OpenLedgerOptions {
  /** Open for reading only; a missing file is an error suggesting `carbonctl track`. */
  readonly?: boolean;
  /** Create the file (and its parent directories) when missing; default true unless readonly. */
  create?: boolean;
  /** The clock for `tracked_at` and lock timestamps; injected so tests are deterministic. */
  clock?: () => Date;
  /**
   * Open-time check. Default: `PRAGMA quick_check` of the header, schema and every small table
   * (not the fact tables, whose check grows with the ledger); `quick` / `full`: the whole file.
   */
  integrityCheck?: IntegrityCheckDepth;
  /** How long a statement waits for another process's write lock (default 10 s). */
  busyTimeoutMs?: number;
}

/** The source a cluster is accounted as, how it was decided, when, and from which window's data. */
export interface ClusterSourceDecision {
  source: LedgerSource;
  /** `auto`: from the data of `window`; `config`: an explicit `source` in the config; `flag`: `--source`. */
  decidedBy: 'auto' | 'config' | 'flag';
  decidedAt: Date;
  window: { from: Date; to: Date } | null;
}

/** The ledger: a carbonctl SQLite file holding entity-hours, intensity cache and progress. */
export interface Ledger {
  readonly path: string;
  readonly readonly: boolean;
  /** The schema version after open (migrations applied). */
  readonly schemaVersion: number;
  /** Closes the file, releasing track locks still held by this connection. */
  close(): void;
  /** Atomically upserts a chunk of rows AND advances the progress marker (one transaction). */
  commitChunk(
    cluster: string,
    source: LedgerSource,
    rows: readonly LedgerHourRow[],
    progressHourEnd: Date,
  ): void;
  /** The source a cluster is accounted as, once decided (SPEC §1.3 `source: auto`), or null. */
  storedClusterSource(cluster: string): ClusterSourceDecision | null;
  /** Records (or changes) the source a cluster is accounted as. */
  storeClusterSource(cluster: string, decision: ClusterSourceDecision): void;
  /** End of the last committed hour of (cluster, source), or null before the first commit. */
  lastTrackedHourEnd(cluster: string, source: LedgerSource): Date | null;
  /**
   * Cross-process lock for `track` on (cluster, source). Waits up to waitMs for a live holder,
   * then throws DataSourceError naming it; locks of dead processes are taken over.
   * Resolves to the release function.
   */
  acquireTrackLock(
    cluster: string,
    source: LedgerSource,
    owner: TrackLockOwner,
    waitMs: number,
  ): Promise<() => void>;
  /** One attempt at the lock: the release function, or the live holder that keeps it. */
  tryAcquireTrackLock(
    cluster: string,
    source: LedgerSource,
    owner: TrackLockOwner,
  ): (() => void) | TrackLockHolder;
  /** Stores fetched intensity slots; a known value is never replaced by a null. */
  cacheIntensitySlots(
    provider: string,
    regionKey: string,
    slots: readonly IntensitySlot[],
    fetchedAt: Date,
  ): void;
  /** Cached slots overlapping [from, to), sorted by start. */
  cachedIntensitySlots(provider: string, regionKey: string, from: Date, to: Date): IntensitySlot[];
  /** Aggregates in SQL; rows ordered by bucket start, then group. */
  aggregate(query: AggregateQuery): AggregateRow[];
  /** As aggregate, streamed: no other statement may run on this ledger until it is exhausted. */
  iterateAggregate(query: AggregateQuery): IterableIterator<AggregateRow>;
  /**
   * The distinct provenance of the hour rows matching the filter (what a report's metadata must
   * describe), sorted by its fields; empty when nothing matches.
   */
  provenanceSummary(filter?: LedgerFilter): ProvenanceRow[];
  /** Number of hour rows matching the filter. */
  countRows(filter?: LedgerFilter): number;
  /** Number of distinct entities with rows matching the filter. */
  entityCount(filter?: LedgerFilter): number;
  /**
   * An upper bound on the groups of a dimension, whatever the filter: the distinct values ever
   * recorded (a null group aside), read from the entity and label tables, not the hour rows.
   */
  groupBound(groupBy: GroupDimension): number;
  /** First hour start and last hour end with rows, optionally for one cluster/source; null when empty. */
  trackedRange(cluster?: string, source?: LedgerSource): { from: Date; to: Date } | null;
  /** Each entity's first hour start and last hour end (`workspaces`), optionally of one source. */
  entitySpans(source?: LedgerSource): EntitySpan[];
  /** Runs `PRAGMA quick_check` (or `integrity_check` for `full`) over the whole file; throws when damaged. */
  checkIntegrity(depth: IntegrityCheckDepth): void;
  /** Recommendations with their lifecycle, and the savings ledger (SPEC §8). */
  readonly recommendations: RecommendationRepository;
}

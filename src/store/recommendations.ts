/**
 * Recommendations and the savings ledger in the ledger file (SPEC §8, schema version 2). The
 * lifecycle rules are core/recommendation-lifecycle.ts; this module reads and writes them, each
 * change in one IMMEDIATE transaction so two carbonctl processes never interleave a
 * read-decide-write (a `generate` cron job beside a person running `apply`).
 */
import type Database from 'better-sqlite3';
import {
  assertTransition,
  findingOf,
  mergeFindings,
  realizedSavings,
  resolveIdPrefix,
  withStatus,
  type ApplyInput,
  type RealizedSavings,
  type RealizedSource,
  type SavingsEntry,
  type SyncCounts,
} from '../core/recommendation-lifecycle.js';
import type {
  RecommendationConfig,
  RecommendationFinding,
  RecommendationPriority,
  RecommendationRisk,
  RecommendationStatus,
  RecommendationType,
  StoredRecommendation,
} from '../core/recommendation-model.js';
import type { CarbonAwareRunEntry } from '../core/carbon-aware.js';

/** Which recommendations `list` returns, and in what order. Absent filters match everything. */
export interface RecommendationListQuery {
  statuses?: readonly RecommendationStatus[];
  types?: readonly RecommendationType[];
  priorities?: readonly RecommendationPriority[];
  risks?: readonly RecommendationRisk[];
  cluster?: string;
  namespace?: string;
  /** Only those saving at least this many gCO2e per month. */
  minMonthlyCo2eGrams?: number;
  /** Only those saving at least this much money per month. */
  minMonthlyCost?: number;
  /** Largest monthly CO2e saving first (default), or largest cost saving first. */
  sort?: 'co2' | 'cost';
  /** At most this many (after sorting); `total` still counts every match. */
  limit?: number;
}

/** What `apply` stored: the recommendation as it is now, and the savings-ledger entry. */
export interface ApplyOutcome {
  recommendation: StoredRecommendation;
  realized: RealizedSavings;
}

/** What `restore` did: the recommendation (active again) and the status it came back from. */
export interface RestoreOutcome {
  recommendation: StoredRecommendation;
  previousStatus: RecommendationStatus;
}

/** The recommendations and savings ledger of one ledger file. */
export interface RecommendationRepository {
  /**
   * Stores one generation's findings by the merge rules (new → active, active refreshed or
   * stale, stale found again → active, ignored/applied untouched) in one transaction.
   * `clusters` are the clusters this generation analysed: only their active ones can go stale.
   */
  sync(
    findings: readonly RecommendationFinding[],
    scope: { clusters: readonly string[]; now: Date },
  ): SyncCounts;
  /** The matching recommendations, sorted and limited, and how many matched in all. */
  list(query?: RecommendationListQuery): { recommendations: StoredRecommendation[]; total: number };
  /** Every stored id, sorted (for prefix resolution and shell completion). */
  ids(): string[];
  /** The recommendation with exactly this id, or null. */
  get(id: string): StoredRecommendation | null;
  /** The recommendation an id or unique id prefix names; InvalidInputError when none or several match. */
  resolve(prefix: string): StoredRecommendation;
  /** Marks it applied and records the realized savings in the savings ledger. */
  apply(id: string, input: ApplyInput, now: Date): ApplyOutcome;
  /** Marks it ignored, with an optional reason. */
  ignore(id: string, reason: string | null, now: Date): StoredRecommendation;
  /** Brings an ignored or applied one back to active; an applied one's savings stop accruing. */
  restore(id: string, now: Date): RestoreOutcome;
  /**
   * Records a finished `carbonctl run`: its job's CARBON_AWARE_SHIFT recommendation (applied;
   * created on the first run, refreshed by later ones) and one savings entry over the run.
   */
  recordCarbonAwareRun(
    finding: RecommendationFinding,
    entry: CarbonAwareRunEntry,
    details: Record<string, unknown>,
    now: Date,
  ): StoredRecommendation;
  /** Savings-ledger entries in effect at some point of [from, to) (all of them without a range). */
  savingsEntries(range?: { from: Date; to: Date }): SavingsEntry[];
}

/** What the repository needs from the ledger that owns the connection. */
export interface RepositoryHost {
  /** Runs fn, mapping SQLite failures to the ledger's user-facing errors. */
  guard<T>(fn: () => T): T;
  /** Throws when the ledger was opened read-only. */
  assertWritable(): void;
}

interface RecommendationRow {
  id: string;
  status: RecommendationStatus;
  finding_json: string;
  applied_json: string | null;
  applied_at: string | null;
  ignored_reason: string | null;
  created_at: string;
  updated_at: string;
  last_seen_at: string;
}

interface SavingsRow {
  recommendation_id: string;
  type: RecommendationType;
  cluster: string;
  namespace: string | null;
  applied_at: string;
  ended_at: string | null;
  share: number | null;
  monthly_co2e_g: number;
  monthly_kwh: number;
  monthly_cost: number;
  currency: string;
  source: RealizedSource;
}

const SELECT_COLUMNS = `id, status, finding_json, applied_json, applied_at, ignored_reason,
  created_at, updated_at, last_seen_at`;

function fromRow(row: RecommendationRow): StoredRecommendation {
  const finding = JSON.parse(row.finding_json) as RecommendationFinding;
  return {
    ...finding,
    id: row.id,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSeenAt: row.last_seen_at,
    applied:
      row.applied_json === null ? null : (JSON.parse(row.applied_json) as RecommendationConfig),
    appliedAt: row.applied_at,
    ignoredReason: row.ignored_reason,
  };
}

/** The finding part as stored in `finding_json` (lifecycle fields live in their own columns). */
function findingJson(recommendation: StoredRecommendation): string {
  return JSON.stringify(findingOf(recommendation));
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** The better-sqlite3 implementation, sharing the ledger's connection. */
export class SqliteRecommendationRepository implements RecommendationRepository {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly host: RepositoryHost,
  ) {}

  /** A prepared statement, prepared once per connection. */
  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private write<T>(fn: () => T): T {
    this.host.assertWritable();
    const transaction = this.db.transaction(fn);
    return this.host.guard(() => transaction.immediate());
  }

  private upsert(recommendation: StoredRecommendation): void {
    this.statement(
      `INSERT INTO recommendations (id, type, status, priority, risk, cluster, namespace,
          monthly_co2e_g, monthly_kwh, monthly_cost, currency, finding_json, applied_json, applied_at,
          ignored_reason, created_at, updated_at, last_seen_at)
        VALUES (@id, @type, @status, @priority, @risk, @cluster, @namespace, @co2e, @kwh, @cost,
          @currency, @finding, @applied, @appliedAt, @ignoredReason, @createdAt, @updatedAt, @lastSeenAt)
        ON CONFLICT (id) DO UPDATE SET type = excluded.type, status = excluded.status,
          priority = excluded.priority, risk = excluded.risk, cluster = excluded.cluster,
          namespace = excluded.namespace, monthly_co2e_g = excluded.monthly_co2e_g,
          monthly_kwh = excluded.monthly_kwh, monthly_cost = excluded.monthly_cost,
          currency = excluded.currency, finding_json = excluded.finding_json,
          applied_json = excluded.applied_json, applied_at = excluded.applied_at,
          ignored_reason = excluded.ignored_reason, created_at = excluded.created_at,
          updated_at = excluded.updated_at, last_seen_at = excluded.last_seen_at`,
    ).run({
      id: recommendation.id,
      type: recommendation.type,
      status: recommendation.status,
      priority: recommendation.priority,
      risk: recommendation.risk,
      cluster: recommendation.target.cluster,
      namespace: recommendation.target.namespace,
      co2e: recommendation.savings.monthlyCo2eGrams,
      kwh: recommendation.savings.monthlyKwh,
      cost: recommendation.savings.monthlyCost,
      currency: recommendation.savings.currency,
      finding: findingJson(recommendation),
      applied: recommendation.applied === null ? null : JSON.stringify(recommendation.applied),
      appliedAt: recommendation.appliedAt,
      ignoredReason: recommendation.ignoredReason,
      createdAt: recommendation.createdAt,
      updatedAt: recommendation.updatedAt,
      lastSeenAt: recommendation.lastSeenAt,
    });
  }

  private all(): StoredRecommendation[] {
    return (
      this.statement(
        `SELECT ${SELECT_COLUMNS} FROM recommendations ORDER BY id`,
      ).all() as RecommendationRow[]
    ).map(fromRow);
  }

  private getRow(id: string): StoredRecommendation | null {
    const row = this.statement(`SELECT ${SELECT_COLUMNS} FROM recommendations WHERE id = ?`).get(
      id,
    ) as RecommendationRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /** The one recommendation a prefix names, read inside the caller's transaction. */
  private resolveIn(prefix: string): StoredRecommendation {
    const id = resolveIdPrefix(this.allIds(), prefix);
    const found = this.getRow(id);
    // resolveIdPrefix only returns ids it was given, read in the same transaction.
    if (found === null) throw new Error(`recommendation ${id} vanished`);
    return found;
  }

  private allIds(): string[] {
    return (
      this.statement('SELECT id FROM recommendations ORDER BY id').all() as Array<{ id: string }>
    ).map((row) => row.id);
  }

  sync(
    findings: readonly RecommendationFinding[],
    scope: { clusters: readonly string[]; now: Date },
  ): SyncCounts {
    return this.write(() => {
      const plan = mergeFindings(this.all(), findings, scope);
      for (const recommendation of [...plan.inserts, ...plan.updates]) this.upsert(recommendation);
      return plan.counts;
    });
  }

  list(query: RecommendationListQuery = {}): {
    recommendations: StoredRecommendation[];
    total: number;
  } {
    const where: string[] = [];
    const params: Array<string | number> = [];
    const inList = (column: string, values: readonly string[] | undefined): void => {
      if (values === undefined) return;
      where.push(values.length === 0 ? '0' : `${column} IN (${placeholders(values.length)})`);
      params.push(...values);
    };
    inList('status', query.statuses);
    inList('type', query.types);
    inList('priority', query.priorities);
    inList('risk', query.risks);
    if (query.cluster !== undefined) {
      where.push('cluster = ?');
      params.push(query.cluster);
    }
    if (query.namespace !== undefined) {
      where.push('namespace = ?');
      params.push(query.namespace);
    }
    if (query.minMonthlyCo2eGrams !== undefined) {
      where.push('monthly_co2e_g >= ?');
      params.push(query.minMonthlyCo2eGrams);
    }
    if (query.minMonthlyCost !== undefined) {
      where.push('monthly_cost >= ?');
      params.push(query.minMonthlyCost);
    }
    const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const order =
      query.sort === 'cost'
        ? 'monthly_cost DESC, monthly_co2e_g DESC, id'
        : 'monthly_co2e_g DESC, monthly_cost DESC, id';
    const limitSql =
      query.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    return this.host.guard(() => {
      const total = (
        this.statement(`SELECT count(*) AS n FROM recommendations ${whereSql}`).get(params) as {
          n: number;
        }
      ).n;
      const rows = this.statement(
        `SELECT ${SELECT_COLUMNS} FROM recommendations ${whereSql} ORDER BY ${order} ${limitSql}`,
      ).all(params) as RecommendationRow[];
      return { recommendations: rows.map(fromRow), total };
    });
  }

  ids(): string[] {
    return this.host.guard(() => this.allIds());
  }

  get(id: string): StoredRecommendation | null {
    return this.host.guard(() => this.getRow(id));
  }

  resolve(prefix: string): StoredRecommendation {
    return this.host.guard(() => this.resolveIn(prefix));
  }

  apply(id: string, input: ApplyInput, now: Date): ApplyOutcome {
    return this.write(() => {
      const before = this.resolveIn(id);
      assertTransition(before.id, before.status, 'apply');
      const realized = realizedSavings(before, input);
      const appliedAt = now.toISOString();
      const recommendation = withStatus(before, 'applied', now, {
        applied: realized.applied,
        appliedAt,
        ignoredReason: null,
      });
      this.upsert(recommendation);
      this.statement(
        `INSERT INTO savings_ledger (recommendation_id, type, cluster, namespace, month, applied_at,
            ended_at, share, monthly_co2e_g, monthly_kwh, monthly_cost, currency, source, applied_json)
          VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        recommendation.id,
        recommendation.type,
        recommendation.target.cluster,
        recommendation.target.namespace,
        appliedAt.slice(0, 7),
        appliedAt,
        realized.share,
        realized.monthlyCo2eGrams,
        realized.monthlyKwh,
        realized.monthlyCost,
        realized.currency,
        realized.source,
        JSON.stringify(realized.applied),
      );
      return { recommendation, realized };
    });
  }

  ignore(id: string, reason: string | null, now: Date): StoredRecommendation {
    return this.write(() => {
      const before = this.resolveIn(id);
      assertTransition(before.id, before.status, 'ignore');
      const recommendation = withStatus(before, 'ignored', now, { ignoredReason: reason });
      this.upsert(recommendation);
      return recommendation;
    });
  }

  restore(id: string, now: Date): RestoreOutcome {
    return this.write(() => {
      const before = this.resolveIn(id);
      assertTransition(before.id, before.status, 'restore');
      const nowIso = now.toISOString();
      // From now on the change is undone: its realized savings stop accruing.
      this.statement(
        `UPDATE savings_ledger SET ended_at = max(applied_at, ?)
          WHERE recommendation_id = ? AND ended_at IS NULL`,
      ).run(nowIso, before.id);
      const recommendation = withStatus(before, 'active', now, {
        applied: null,
        appliedAt: null,
        ignoredReason: null,
      });
      this.upsert(recommendation);
      return { recommendation, previousStatus: before.status };
    });
  }

  recordCarbonAwareRun(
    finding: RecommendationFinding,
    entry: CarbonAwareRunEntry,
    details: Record<string, unknown>,
    now: Date,
  ): StoredRecommendation {
    return this.write(() => {
      const before = this.getRow(finding.id);
      const nowIso = now.toISOString();
      const recommendation: StoredRecommendation = {
        ...finding,
        status: 'applied',
        createdAt: before?.createdAt ?? nowIso,
        updatedAt: nowIso,
        lastSeenAt: nowIso,
        applied: finding.recommended,
        appliedAt: entry.appliedAt,
        ignoredReason: null,
      };
      this.upsert(recommendation);
      // `given`: measured figures, not derived from the recommendation's estimate.
      this.statement(
        `INSERT INTO savings_ledger (recommendation_id, type, cluster, namespace, month, applied_at,
            ended_at, share, monthly_co2e_g, monthly_kwh, monthly_cost, currency, source, applied_json)
          VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 'given', ?)`,
      ).run(
        recommendation.id,
        recommendation.type,
        recommendation.target.cluster,
        recommendation.target.namespace,
        entry.appliedAt.slice(0, 7),
        entry.appliedAt,
        entry.endedAt,
        entry.monthlyCo2eGrams,
        entry.monthlyKwh,
        entry.monthlyCost,
        entry.currency,
        JSON.stringify({ ...finding.recommended, carbon_aware_run: details }),
      );
      return recommendation;
    });
  }

  savingsEntries(range?: { from: Date; to: Date }): SavingsEntry[] {
    const rows = this.host.guard(() =>
      range === undefined
        ? this.statement('SELECT * FROM savings_ledger ORDER BY applied_at, id').all()
        : this.db
            .prepare(
              `SELECT * FROM savings_ledger
              WHERE applied_at < ? AND (ended_at IS NULL OR ended_at > ?)
              ORDER BY applied_at, id`,
            )
            .all(range.to.toISOString(), range.from.toISOString()),
    ) as SavingsRow[];
    return rows.map((row) => ({
      recommendationId: row.recommendation_id,
      type: row.type,
      cluster: row.cluster,
      namespace: row.namespace,
      appliedAt: row.applied_at,
      endedAt: row.ended_at,
      share: row.share,
      monthlyCo2eGrams: row.monthly_co2e_g,
      monthlyKwh: row.monthly_kwh,
      monthlyCost: row.monthly_cost,
      currency: row.currency,
      source: row.source,
    }));
  }
}

/**
 * The lifecycle of recommendations (SPEC §8), as pure rules: how a re-generation merges new
 * findings into the stored ones, which status changes are allowed, how an id prefix picks one
 * recommendation, how much of the estimated saving an applied change realized, and the
 * potential-vs-realized roll-ups of `recommendations savings`. The ledger (store/) applies
 * these decisions; nothing here reads the clock or does I/O.
 */
import { InvalidInputError } from './input-error.js';
import { enumerateBuckets, type TimeRange } from './periods.js';
import {
  RECOMMENDATION_TYPES,
  type RecommendationConfig,
  type RecommendationFinding,
  type RecommendationStatus,
  type RecommendationType,
  type StoredRecommendation,
} from './recommendation-model.js';

/** SPEC §8: estimated monthly savings are hourly × 730 (the average hours in a month, 8760 / 12). */
export const HOURS_PER_MONTH = 730;

const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Realized share

/**
 * SPEC §8 realized share of an applied change: (current − actual) / (current − recommended),
 * clamped to [0, 1]. Setting the request all the way to the recommendation realizes 1; going
 * further realizes no more than was estimated, and an increase realizes nothing. When nothing
 * was to be saved (current ≤ recommended) the share is 0: there is no saving to realize.
 */
export function realizedShare(current: number, actual: number, recommended: number): number {
  for (const value of [current, actual, recommended]) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`realizedShare needs finite non-negative amounts, got ${value}`);
    }
  }
  const possible = current - recommended;
  if (possible <= 0) return 0;
  return Math.min(1, Math.max(0, (current - actual) / possible));
}

/** What `apply` was told about the change that was made (all optional). */
export interface ApplyInput {
  /** `--actual-cpu-request`, in cores per replica. */
  actualCpuRequestCores?: number | null;
  /** `--actual-memory-request`, in bytes per replica. */
  actualMemoryRequestBytes?: number | null;
  /** `--realized-co2e`, in gCO2e per month. */
  realizedCo2eGrams?: number | null;
  /** `--realized-cost`, in the recommendation's currency per month. */
  realizedCost?: number | null;
}

/** Where the realized figures came from, recorded with them in the savings ledger. */
export type RealizedSource = 'recommended' | 'actual_request' | 'given';

/** The realized monthly savings of one applied recommendation (one savings-ledger entry). */
export interface RealizedSavings {
  /** Share of the estimate that was realized; null when given figures cannot be related to it. */
  share: number | null;
  monthlyCo2eGrams: number;
  monthlyKwh: number;
  monthlyCost: number;
  currency: string;
  source: RealizedSource;
  /** The configuration that was applied (the recommended one, with the actual requests put in). */
  applied: RecommendationConfig;
}

/** Total CPU cores a config reserves: the request per replica × replicas (1 when not known). */
function reservedCores(config: RecommendationConfig): number | undefined {
  if (config.cpu_request_cores === undefined) return undefined;
  return config.cpu_request_cores * (config.replicas ?? 1);
}

/** Which request flag applies to which type; the others have no request to compare. */
const REQUEST_FLAG_TYPES: Record<'cpu' | 'memory', readonly RecommendationType[]> = {
  cpu: ['RIGHTSIZING_CPU', 'IDLE_WORKLOAD'],
  memory: ['RIGHTSIZING_MEMORY'],
};

function requestDoesNotApply(flag: string, type: RecommendationType): InvalidInputError {
  return new InvalidInputError('a flag for this recommendation', {
    flag,
    message: `${flag} does not apply to a ${type} recommendation (it applies to ${
      flag === '--actual-cpu-request'
        ? REQUEST_FLAG_TYPES.cpu.join(' and ')
        : REQUEST_FLAG_TYPES.memory.join(', ')
    }); give --realized-co2e and/or --realized-cost instead`,
  });
}

/**
 * The share realized by the actual request that was set, or null when no actual request was
 * given. RIGHTSIZING_CPU compares the CPU request per replica, RIGHTSIZING_MEMORY the memory
 * request, IDLE_WORKLOAD the cores reserved over all replicas (the request was changed, the
 * replicas were not).
 */
function shareFromActualRequest(
  finding: RecommendationFinding,
  input: ApplyInput,
): { share: number; applied: RecommendationConfig } | null {
  const cpu = input.actualCpuRequestCores ?? null;
  const memory = input.actualMemoryRequestBytes ?? null;
  if (cpu !== null && !REQUEST_FLAG_TYPES.cpu.includes(finding.type))
    throw requestDoesNotApply('--actual-cpu-request', finding.type);
  if (memory !== null && !REQUEST_FLAG_TYPES.memory.includes(finding.type))
    throw requestDoesNotApply('--actual-memory-request', finding.type);
  const { current, recommended } = finding;
  if (cpu !== null && finding.type === 'RIGHTSIZING_CPU') {
    const from = current.cpu_request_cores;
    const to = recommended.cpu_request_cores;
    if (from === undefined || to === undefined) return null;
    return {
      share: realizedShare(from, cpu, to),
      applied: { ...recommended, cpu_request_cores: cpu },
    };
  }
  if (cpu !== null && finding.type === 'IDLE_WORKLOAD') {
    const from = reservedCores(current);
    const to = reservedCores(recommended) ?? 0;
    if (from === undefined) return null;
    // Only the request changed: the replicas kept running.
    const actualTotal = cpu * (current.replicas ?? 1);
    return {
      share: realizedShare(from, actualTotal, to),
      applied: { ...current, cpu_request_cores: cpu },
    };
  }
  if (memory !== null) {
    const from = current.memory_request_bytes;
    const to = recommended.memory_request_bytes;
    if (from === undefined || to === undefined) return null;
    return {
      share: realizedShare(from, memory, to),
      applied: { ...recommended, memory_request_bytes: memory },
    };
  }
  return null;
}

/**
 * The realized monthly savings of applying `finding` (SPEC §8). Given figures win; the others
 * are the estimate × the realized share, where the share comes from the actual request when
 * one was given, else from a given CO2e (kWh and CO2e are proportional at the same
 * intensity), else from a given cost; with nothing given the change is taken as made as
 * recommended (share 1).
 */
export function realizedSavings(
  finding: RecommendationFinding,
  input: ApplyInput,
): RealizedSavings {
  for (const [flag, value] of [
    ['--realized-co2e', input.realizedCo2eGrams],
    ['--realized-cost', input.realizedCost],
  ] as const) {
    if (value !== null && value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new InvalidInputError('a non-negative amount', { flag, value: String(value) });
    }
  }
  const estimate = finding.savings;
  const fromRequest = shareFromActualRequest(finding, input);
  const givenCo2e = input.realizedCo2eGrams ?? null;
  const givenCost = input.realizedCost ?? null;
  const ratio = (given: number, estimated: number): number | null =>
    estimated > 0 ? given / estimated : null;
  let share: number | null;
  let source: RealizedSource;
  if (fromRequest !== null) {
    share = fromRequest.share;
    source = 'actual_request';
  } else if (givenCo2e !== null) {
    share = ratio(givenCo2e, estimate.monthlyCo2eGrams);
    source = 'given';
  } else if (givenCost !== null) {
    share = ratio(givenCost, estimate.monthlyCost);
    source = 'given';
  } else {
    share = 1;
    source = 'recommended';
  }
  if (fromRequest !== null && (givenCo2e !== null || givenCost !== null)) source = 'given';
  const scaled = (estimated: number): number => (share === null ? 0 : estimated * share);
  return {
    share,
    monthlyCo2eGrams: givenCo2e ?? scaled(estimate.monthlyCo2eGrams),
    monthlyKwh: scaled(estimate.monthlyKwh),
    monthlyCost: givenCost ?? scaled(estimate.monthlyCost),
    currency: estimate.currency,
    source,
    applied: fromRequest?.applied ?? { ...finding.recommended },
  };
}

// ---------------------------------------------------------------------------------------------
// Status changes

/** What a person can do to a recommendation. */
export type LifecycleAction = 'apply' | 'ignore' | 'restore';

/**
 * Throws InvalidInputError (a usage error for the command) when `action` is not allowed from
 * `status`. A stale one may still be applied or ignored: it often went stale because someone
 * already made the change by hand, and recording that is the point of `apply`.
 */
export function assertTransition(
  id: string,
  status: RecommendationStatus,
  action: LifecycleAction,
): void {
  const allowed: Record<LifecycleAction, readonly RecommendationStatus[]> = {
    apply: ['active', 'stale'],
    ignore: ['active', 'stale'],
    restore: ['applied', 'ignored'],
  };
  if (allowed[action].includes(status)) return;
  const advice: Record<LifecycleAction, string> = {
    apply:
      status === 'applied'
        ? 'it is already applied'
        : 'it is ignored: `carbonctl recommendations restore` it first',
    ignore:
      status === 'ignored'
        ? 'it is already ignored'
        : 'it is applied: `carbonctl recommendations restore` it first',
    restore: `only ignored or applied ones can be restored, and it is ${status}`,
  };
  throw new InvalidInputError(`a recommendation that can be ${action}ed`, {
    value: id,
    message: `cannot ${action} recommendation ${id}: ${advice[action]}`,
  });
}

/** The stored recommendation after `status` changed at `now` (lifecycle fields only). */
export function withStatus(
  recommendation: StoredRecommendation,
  status: RecommendationStatus,
  now: Date,
  changes: Partial<Pick<StoredRecommendation, 'applied' | 'appliedAt' | 'ignoredReason'>> = {},
): StoredRecommendation {
  return { ...recommendation, ...changes, status, updatedAt: now.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Id prefixes

/**
 * The id `prefix` picks among `ids`, like git: an exact id, else the one id starting with the
 * prefix (case-insensitive). None, or more than one, is an InvalidInputError whose message
 * lists what matched so the user can type more characters.
 */
export function resolveIdPrefix(ids: readonly string[], prefix: string): string {
  const wanted = prefix.trim().toLowerCase();
  if (wanted === '') {
    throw new InvalidInputError('a recommendation id', {
      value: prefix,
      message: 'a recommendation id (or a unique prefix of one) is needed',
    });
  }
  const exact = ids.find((id) => id.toLowerCase() === wanted);
  if (exact !== undefined) return exact;
  const matches = ids.filter((id) => id.toLowerCase().startsWith(wanted)).sort();
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length === 0) {
    throw new InvalidInputError('a recommendation id', {
      value: prefix,
      message: `no recommendation has an id starting with ${prefix}`,
    });
  }
  const shown = matches.slice(0, 10).join(', ') + (matches.length > 10 ? ', …' : '');
  throw new InvalidInputError('a unique recommendation id prefix', {
    value: prefix,
    message: `id prefix ${prefix} is ambiguous: it matches ${matches.length} recommendations (${shown}); give more characters`,
  });
}

// ---------------------------------------------------------------------------------------------
// Re-generation

/** What a `generate` did to the stored recommendations. */
export interface SyncCounts {
  /** New findings, stored as active. */
  created: number;
  /** Active (or stale, found again and so active again) ones whose numbers were updated. */
  refreshed: number;
  /** Active ones whose condition no longer holds, now stale. */
  stale: number;
  /** Found again with the same numbers, or found again while ignored/applied (kept as they are). */
  unchanged: number;
}

/** The writes a re-generation needs: new rows and changed rows, plus the counts to print. */
export interface MergePlan {
  inserts: StoredRecommendation[];
  updates: StoredRecommendation[];
  counts: SyncCounts;
}

/** The finding part of a stored recommendation (without lifecycle fields). */
export function findingOf(recommendation: StoredRecommendation): RecommendationFinding {
  return {
    id: recommendation.id,
    type: recommendation.type,
    target: recommendation.target,
    title: recommendation.title,
    description: recommendation.description,
    current: recommendation.current,
    recommended: recommendation.recommended,
    currentHourlyCost: recommendation.currentHourlyCost,
    savings: recommendation.savings,
    priority: recommendation.priority,
    risk: recommendation.risk,
    snapshot: recommendation.snapshot,
    applyCommand: recommendation.applyCommand,
    revertCommand: recommendation.revertCommand,
  };
}

/** JSON with sorted keys, so two findings compare equal whatever order their keys were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : inner,
  );
}

/**
 * Merges the findings of one generation into the stored recommendations (SPEC §8):
 * - a new finding is stored as active;
 * - an active one found again gets the new numbers (refreshed, or unchanged when equal);
 * - a stale one found again is active again, with the new numbers;
 * - an ignored or applied one found again stays as it is (never resurrected; only its
 *   last-seen time moves);
 * - an active one of a cluster this generation covered that was not found again is stale.
 * `existing` may hold recommendations of other clusters: they are left alone.
 */
export function mergeFindings(
  existing: readonly StoredRecommendation[],
  findings: readonly RecommendationFinding[],
  scope: { clusters: readonly string[]; now: Date },
): MergePlan {
  const nowIso = scope.now.toISOString();
  const stored = new Map(existing.map((recommendation) => [recommendation.id, recommendation]));
  // The same id twice would be the same target and type: the later finding wins.
  const found = new Map(findings.map((finding) => [finding.id, finding]));
  const counts: SyncCounts = { created: 0, refreshed: 0, stale: 0, unchanged: 0 };
  const inserts: StoredRecommendation[] = [];
  const updates: StoredRecommendation[] = [];
  for (const finding of found.values()) {
    const before = stored.get(finding.id);
    if (before === undefined) {
      inserts.push({
        ...finding,
        status: 'active',
        createdAt: nowIso,
        updatedAt: nowIso,
        lastSeenAt: nowIso,
        applied: null,
        appliedAt: null,
        ignoredReason: null,
      });
      counts.created += 1;
      continue;
    }
    if (before.status === 'ignored' || before.status === 'applied') {
      updates.push({ ...before, lastSeenAt: nowIso });
      counts.unchanged += 1;
      continue;
    }
    const same = canonicalJson(findingOf(before)) === canonicalJson(finding);
    if (before.status === 'active' && same) {
      updates.push({ ...before, lastSeenAt: nowIso });
      counts.unchanged += 1;
      continue;
    }
    updates.push({
      ...before,
      ...finding,
      status: 'active',
      updatedAt: nowIso,
      lastSeenAt: nowIso,
    });
    counts.refreshed += 1;
  }
  const covered = new Set(scope.clusters);
  for (const before of existing) {
    if (before.status !== 'active' || found.has(before.id)) continue;
    if (!covered.has(before.target.cluster)) continue;
    updates.push({ ...before, status: 'stale', updatedAt: nowIso });
    counts.stale += 1;
  }
  return { inserts, updates, counts };
}

// ---------------------------------------------------------------------------------------------
// Savings roll-ups

/** One savings-ledger entry: the realized monthly savings of an applied recommendation while in effect. */
export interface SavingsEntry {
  recommendationId: string;
  type: RecommendationType;
  cluster: string;
  namespace: string | null;
  /** When the change was applied (ISO 8601 UTC). */
  appliedAt: string;
  /** When it was restored (no longer in effect), or null while it still is. */
  endedAt: string | null;
  share: number | null;
  monthlyCo2eGrams: number;
  monthlyKwh: number;
  monthlyCost: number;
  currency: string;
  source: RealizedSource;
}

/** Savings totals of one group: CO2e, energy and cost (money in the currency of the group's rows). */
export interface SavingsTotals {
  count: number;
  co2eGrams: number;
  energyKwh: number;
  cost: number;
  /** The currency of the costs, or null when recommendations in several currencies were added. */
  currency: string | null;
}

/** One type's potential (active) and realized (applied) savings. */
export interface SavingsByType {
  type: RecommendationType;
  /** Σ estimated monthly savings of the active recommendations (a run rate per month). */
  potentialMonthly: SavingsTotals;
  /** Σ realized monthly savings of the changes in effect at the end of the period (a run rate per month). */
  realizedMonthly: SavingsTotals;
  /** Realized over the period: each entry's hourly rate × the hours it was in effect within it. */
  realizedInPeriod: SavingsTotals;
}

/** Realized savings in one calendar bucket (month or year), per type and in total. */
export interface SavingsBucket {
  label: string;
  start: Date;
  end: Date;
  /** Types with realized savings in the bucket, in RECOMMENDATION_TYPES order. */
  byType: Array<{ type: RecommendationType } & SavingsTotals>;
  total: SavingsTotals;
}

/** The `recommendations savings` report. */
export interface SavingsReport {
  period: TimeRange;
  byType: SavingsByType[];
  months: SavingsBucket[];
  years: SavingsBucket[];
  totals: {
    potentialMonthly: SavingsTotals;
    realizedMonthly: SavingsTotals;
    realizedInPeriod: SavingsTotals;
  };
}

function emptyTotals(): SavingsTotals {
  return { count: 0, co2eGrams: 0, energyKwh: 0, cost: 0, currency: null };
}

/** Adds amounts to totals; the currency becomes null once two currencies meet. */
function addTo(
  totals: SavingsTotals,
  amounts: { co2eGrams: number; energyKwh: number; cost: number; currency: string },
): void {
  totals.count += 1;
  totals.co2eGrams += amounts.co2eGrams;
  totals.energyKwh += amounts.energyKwh;
  totals.cost += amounts.cost;
  // The first amount sets the currency; a second currency makes the cost sum meaningless.
  if (totals.count === 1) totals.currency = amounts.currency;
  else if (totals.currency !== amounts.currency) totals.currency = null;
}

/** Milliseconds of [from, to) that overlap [start, end). */
function overlapMs(from: number, to: number, start: number, end: number): number {
  return Math.max(0, Math.min(to, end) - Math.max(from, start));
}

/** The ms range an entry was in effect, clipped to `now` (the future has not happened). */
function effectMs(entry: SavingsEntry, nowMs: number): { from: number; to: number } {
  const from = Date.parse(entry.appliedAt);
  const ended = entry.endedAt === null ? nowMs : Math.min(Date.parse(entry.endedAt), nowMs);
  return { from, to: Math.max(from, ended) };
}

/** An entry's realized amounts over `ms` milliseconds: monthly rate / 730 per hour in effect. */
function realizedOver(
  entry: SavingsEntry,
  ms: number,
): { co2eGrams: number; energyKwh: number; cost: number; currency: string } {
  const months = ms / HOUR_MS / HOURS_PER_MONTH;
  return {
    co2eGrams: entry.monthlyCo2eGrams * months,
    energyKwh: entry.monthlyKwh * months,
    cost: entry.monthlyCost * months,
    currency: entry.currency,
  };
}

/**
 * Potential vs realized savings (SPEC §8 `savings`). Potential: the active recommendations'
 * estimated monthly savings (a run rate). Realized: per type, the monthly rate of the changes
 * in effect at the end of the period (or `now`), and what they saved within the period, per
 * calendar month and year of `zone`. A change saves its monthly figure / 730 for every hour
 * between its apply and its restore (or `now`), the same hourly × 730 convention as the
 * estimates, so a month's realized figure is exact however the month falls.
 */
export function savingsReport(input: {
  active: readonly RecommendationFinding[];
  entries: readonly SavingsEntry[];
  period: TimeRange;
  now: Date;
  zone: string;
}): SavingsReport {
  const nowMs = input.now.getTime();
  const periodFrom = input.period.from.getTime();
  const periodTo = input.period.to.getTime();
  const byType = new Map<RecommendationType, SavingsByType>(
    RECOMMENDATION_TYPES.map((type) => [
      type,
      {
        type,
        potentialMonthly: emptyTotals(),
        realizedMonthly: emptyTotals(),
        realizedInPeriod: emptyTotals(),
      },
    ]),
  );
  const totals = {
    potentialMonthly: emptyTotals(),
    realizedMonthly: emptyTotals(),
    realizedInPeriod: emptyTotals(),
  };
  for (const finding of input.active) {
    const group = byType.get(finding.type);
    if (group === undefined) continue;
    const monthly = {
      co2eGrams: finding.savings.monthlyCo2eGrams,
      energyKwh: finding.savings.monthlyKwh,
      cost: finding.savings.monthlyCost,
      currency: finding.savings.currency,
    };
    addTo(group.potentialMonthly, monthly);
    addTo(totals.potentialMonthly, monthly);
  }
  // The run rate at the end of the period (or now, when the period runs on into the future).
  const rateAtMs = Math.min(periodTo, nowMs);
  for (const entry of input.entries) {
    const group = byType.get(entry.type);
    if (group === undefined) continue;
    const effect = effectMs(entry, nowMs);
    const inEffectAtEnd =
      effect.from < rateAtMs && (entry.endedAt === null || effect.to > rateAtMs);
    if (inEffectAtEnd) {
      const monthly = realizedOver(entry, HOURS_PER_MONTH * HOUR_MS);
      addTo(group.realizedMonthly, monthly);
      addTo(totals.realizedMonthly, monthly);
    }
    const inPeriodMs = overlapMs(effect.from, effect.to, periodFrom, periodTo);
    if (inPeriodMs > 0) {
      addTo(group.realizedInPeriod, realizedOver(entry, inPeriodMs));
      addTo(totals.realizedInPeriod, realizedOver(entry, inPeriodMs));
    }
  }
  const buckets = (granularity: 'monthly' | 'yearly'): SavingsBucket[] =>
    enumerateBuckets(input.period.from, input.period.to, granularity, input.zone).map((bucket) => {
      const start = bucket.start.getTime();
      const end = bucket.end.getTime();
      const perType = new Map<RecommendationType, SavingsTotals>();
      const total = emptyTotals();
      for (const entry of input.entries) {
        const effect = effectMs(entry, nowMs);
        const ms = overlapMs(effect.from, effect.to, start, end);
        if (ms <= 0) continue;
        let typeTotals = perType.get(entry.type);
        if (typeTotals === undefined) perType.set(entry.type, (typeTotals = emptyTotals()));
        addTo(typeTotals, realizedOver(entry, ms));
        addTo(total, realizedOver(entry, ms));
      }
      return {
        label: bucket.label,
        start: bucket.start,
        end: bucket.end,
        byType: RECOMMENDATION_TYPES.flatMap((type) => {
          const typeTotals = perType.get(type);
          return typeTotals === undefined ? [] : [{ type, ...typeTotals }];
        }),
        total,
      };
    });
  return {
    period: input.period,
    byType: [...byType.values()],
    months: buckets('monthly'),
    years: buckets('yearly'),
    totals,
  };
}

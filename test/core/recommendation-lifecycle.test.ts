import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/input-error.js';
import {
  assertTransition,
  canonicalJson,
  mergeFindings,
  realizedSavings,
  realizedShare,
  resolveIdPrefix,
  savingsReport,
  type SavingsEntry,
} from '../../src/core/recommendation-lifecycle.js';
import type { StoredRecommendation } from '../../src/core/recommendation-model.js';
import { finding, type FindingInput } from '../helpers/recommendation-findings.js';

const T0 = new Date('2026-11-01T00:00:00Z');
const T1 = new Date('2026-11-08T00:00:00Z');

function stored(
  input: FindingInput,
  status: StoredRecommendation['status'],
  at = T0,
): StoredRecommendation {
  return {
    ...finding(input),
    status,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    lastSeenAt: at.toISOString(),
    applied: null,
    appliedAt: null,
    ignoredReason: null,
  };
}

function thrown(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('realizedShare', () => {
  it('is (current − actual) / (current − recommended)', () => {
    // 2 cores → recommended 0.5, actually set 0.8: (2 − 0.8) / (2 − 0.5) = 1.2 / 1.5 = 0.8.
    expect(realizedShare(2, 0.8, 0.5)).toBeCloseTo(0.8, 12);
    // Half-way: (2 − 1.25) / 1.5 = 0.5.
    expect(realizedShare(2, 1.25, 0.5)).toBeCloseTo(0.5, 12);
    expect(realizedShare(2, 0.5, 0.5)).toBe(1);
    expect(realizedShare(2, 2, 0.5)).toBe(0);
  });

  it('clamps to [0, 1]: going below the recommendation or increasing realizes no more, no less', () => {
    // (2 − 0.2) / 1.5 = 1.2 → 1; (2 − 3) / 1.5 = −0.67 → 0.
    expect(realizedShare(2, 0.2, 0.5)).toBe(1);
    expect(realizedShare(2, 3, 0.5)).toBe(0);
  });

  it('is 0 when nothing was to be saved, and refuses non-finite or negative amounts', () => {
    expect(realizedShare(1, 0.5, 1)).toBe(0);
    expect(() => realizedShare(Number.NaN, 1, 0)).toThrow(RangeError);
    expect(() => realizedShare(2, -1, 0)).toThrow(RangeError);
    expect(() => realizedShare(2, 1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('realizedSavings', () => {
  const cpu = finding({ id: 'aaaa1111' });

  it('takes the whole estimate when the change was made as recommended', () => {
    const realized = realizedSavings(cpu, {});
    expect(realized).toEqual({
      share: 1,
      monthlyCo2eGrams: 219,
      monthlyKwh: 1.095,
      monthlyCost: 34.614045,
      currency: 'USD',
      source: 'recommended',
      applied: { cpu_request_cores: 0.5, replicas: 2 },
    });
  });

  it('scales the estimate by the realized share of the actual CPU request', () => {
    // Share 0.8 (above): 219 × 0.8 = 175.2 g, 1.095 × 0.8 = 0.876 kWh, 34.614045 × 0.8 = 27.691236.
    const realized = realizedSavings(cpu, { actualCpuRequestCores: 0.8 });
    expect(realized.share).toBeCloseTo(0.8, 12);
    expect(realized.monthlyCo2eGrams).toBeCloseTo(175.2, 9);
    expect(realized.monthlyKwh).toBeCloseTo(0.876, 12);
    expect(realized.monthlyCost).toBeCloseTo(27.691236, 9);
    expect(realized.source).toBe('actual_request');
    expect(realized.applied).toEqual({ cpu_request_cores: 0.8, replicas: 2 });
  });

  it('uses the memory request for memory rightsizing', () => {
    // 2 GiB → 512 MiB recommended, 1 GiB set: (2048 − 1024) / (2048 − 512) = 1024 / 1536 = 2/3.
    const memory = finding({ id: 'bbbb', type: 'RIGHTSIZING_MEMORY', monthlyCo2eGrams: 90 });
    const realized = realizedSavings(memory, { actualMemoryRequestBytes: 2 ** 30 });
    expect(realized.share).toBeCloseTo(2 / 3, 12);
    expect(realized.monthlyCo2eGrams).toBeCloseTo(60, 9);
  });

  it('compares reserved cores over all replicas for an idle workload', () => {
    // 2 replicas × 2 cores = 4 reserved; recommended 0 (scaled to zero); request set to 0.5 per
    // replica = 1 core: (4 − 1) / (4 − 0) = 0.75.
    const idle = finding({ id: 'cccc', type: 'IDLE_WORKLOAD', monthlyCo2eGrams: 400 });
    const realized = realizedSavings(idle, { actualCpuRequestCores: 0.5 });
    expect(realized.share).toBeCloseTo(0.75, 12);
    expect(realized.monthlyCo2eGrams).toBeCloseTo(300, 9);
  });

  it('lets given figures win, relating kWh to a given CO2e (same intensity)', () => {
    // 109.5 g of 219 g = share 0.5 → 1.095 × 0.5 = 0.5475 kWh and 34.614045 × 0.5 cost.
    const realized = realizedSavings(cpu, { realizedCo2eGrams: 109.5 });
    expect(realized.share).toBeCloseTo(0.5, 12);
    expect(realized.monthlyCo2eGrams).toBe(109.5);
    expect(realized.monthlyKwh).toBeCloseTo(0.5475, 12);
    expect(realized.monthlyCost).toBeCloseTo(17.3070225, 9);
    expect(realized.source).toBe('given');
    // Both given: both kept as given; the share from the CO2e scales only the kWh.
    const both = realizedSavings(cpu, { realizedCo2eGrams: 109.5, realizedCost: 5 });
    expect(both.monthlyCost).toBe(5);
    expect(both.monthlyKwh).toBeCloseTo(0.5475, 12);
    // Only the cost: 17.3070225 / 34.614045 = 0.5.
    const cost = realizedSavings(cpu, { realizedCost: 17.3070225 });
    expect(cost.share).toBeCloseTo(0.5, 12);
    expect(cost.monthlyCo2eGrams).toBeCloseTo(109.5, 9);
  });

  it('refuses a request flag that does not fit the type, naming what to give instead', () => {
    const memory = finding({ id: 'bbbb', type: 'RIGHTSIZING_MEMORY' });
    expect(thrown(() => realizedSavings(memory, { actualCpuRequestCores: 1 })).message).toBe(
      '--actual-cpu-request does not apply to a RIGHTSIZING_MEMORY recommendation (it applies to RIGHTSIZING_CPU and IDLE_WORKLOAD); give --realized-co2e and/or --realized-cost instead',
    );
    const host = finding({ id: 'dddd', type: 'IDLE_WORKSPACE' });
    expect(thrown(() => realizedSavings(host, { actualMemoryRequestBytes: 1 })).message).toMatch(
      /^--actual-memory-request does not apply to a IDLE_WORKSPACE recommendation/,
    );
  });
});

describe('resolveIdPrefix', () => {
  const ids = ['3f9c01ab', '3f9d77ee', 'a71e0042', 'ab12', 'ab1234cd'];

  it('accepts an exact id or a unique prefix, ignoring case', () => {
    expect(resolveIdPrefix(ids, '3f9c01ab')).toBe('3f9c01ab');
    expect(resolveIdPrefix(ids, '3f9c')).toBe('3f9c01ab');
    expect(resolveIdPrefix(ids, 'A71')).toBe('a71e0042');
    // An exact id wins over the longer ids it is a prefix of.
    expect(resolveIdPrefix(ids, 'ab12')).toBe('ab12');
    expect(resolveIdPrefix(ids, 'ab123')).toBe('ab1234cd');
  });

  it('lists the candidates of an ambiguous prefix', () => {
    const error = thrown(() => resolveIdPrefix(ids, '3f9'));
    expect(error.message).toBe(
      'id prefix 3f9 is ambiguous: it matches 2 recommendations (3f9c01ab, 3f9d77ee); give more characters',
    );
  });

  it('says when nothing matches, or nothing was given', () => {
    expect(thrown(() => resolveIdPrefix(ids, 'zz')).message).toBe(
      'no recommendation has an id starting with zz',
    );
    expect(thrown(() => resolveIdPrefix(ids, '  ')).message).toMatch(/id .* is needed/);
    expect(thrown(() => resolveIdPrefix([], 'a')).message).toMatch(/no recommendation/);
  });
});

describe('assertTransition', () => {
  it('allows apply/ignore from active or stale, restore from applied or ignored', () => {
    for (const status of ['active', 'stale'] as const) {
      expect(() => assertTransition('x', status, 'apply')).not.toThrow();
      expect(() => assertTransition('x', status, 'ignore')).not.toThrow();
      expect(() => assertTransition('x', status, 'restore')).toThrow(InvalidInputError);
    }
    for (const status of ['applied', 'ignored'] as const) {
      expect(() => assertTransition('x', status, 'restore')).not.toThrow();
    }
  });

  it('says what to do instead', () => {
    expect(thrown(() => assertTransition('ab12', 'ignored', 'apply')).message).toBe(
      'cannot apply recommendation ab12: it is ignored: `carbonctl recommendations restore` it first',
    );
    expect(thrown(() => assertTransition('ab12', 'applied', 'apply')).message).toBe(
      'cannot apply recommendation ab12: it is already applied',
    );
    expect(thrown(() => assertTransition('ab12', 'active', 'restore')).message).toBe(
      'cannot restore recommendation ab12: only ignored or applied ones can be restored, and it is active',
    );
  });
});

describe('mergeFindings', () => {
  it('stores new findings as active with the generation time', () => {
    const plan = mergeFindings([], [finding({ id: 'n1' })], { clusters: ['prod'], now: T1 });
    expect(plan.counts).toEqual({ created: 1, refreshed: 0, stale: 0, unchanged: 0 });
    expect(plan.inserts).toHaveLength(1);
    expect(plan.inserts[0]).toMatchObject({
      id: 'n1',
      status: 'active',
      createdAt: T1.toISOString(),
      updatedAt: T1.toISOString(),
      lastSeenAt: T1.toISOString(),
      applied: null,
    });
  });

  it('refreshes the numbers of active ones, and leaves equal ones unchanged', () => {
    const existing = [stored({ id: 'a1' }, 'active'), stored({ id: 'a2' }, 'active')];
    const plan = mergeFindings(
      existing,
      [finding({ id: 'a1', monthlyCo2eGrams: 300 }), finding({ id: 'a2' })],
      { clusters: ['prod'], now: T1 },
    );
    expect(plan.counts).toEqual({ created: 0, refreshed: 1, stale: 0, unchanged: 1 });
    const a1 = plan.updates.find((r) => r.id === 'a1');
    expect(a1?.savings.monthlyCo2eGrams).toBe(300);
    expect(a1?.createdAt).toBe(T0.toISOString());
    expect(a1?.updatedAt).toBe(T1.toISOString());
    const a2 = plan.updates.find((r) => r.id === 'a2');
    expect(a2?.updatedAt).toBe(T0.toISOString());
    expect(a2?.lastSeenAt).toBe(T1.toISOString());
  });

  it('never resurrects ignored or applied ones, and does not touch their numbers', () => {
    const existing = [stored({ id: 'i1' }, 'ignored'), stored({ id: 'p1' }, 'applied')];
    const plan = mergeFindings(
      existing,
      [finding({ id: 'i1', monthlyCo2eGrams: 999 }), finding({ id: 'p1', monthlyCo2eGrams: 999 })],
      { clusters: ['prod'], now: T1 },
    );
    expect(plan.counts).toEqual({ created: 0, refreshed: 0, stale: 0, unchanged: 2 });
    expect(plan.updates.map((r) => [r.id, r.status, r.savings.monthlyCo2eGrams])).toEqual([
      ['i1', 'ignored', 219],
      ['p1', 'applied', 219],
    ]);
  });

  it('marks active ones not found again stale, only in the clusters analysed', () => {
    const existing = [
      stored({ id: 's1', cluster: 'prod' }, 'active'),
      stored({ id: 's2', cluster: 'lab' }, 'active'),
      stored({ id: 's3', cluster: 'prod' }, 'ignored'),
    ];
    const plan = mergeFindings(existing, [], { clusters: ['prod'], now: T1 });
    expect(plan.counts).toEqual({ created: 0, refreshed: 0, stale: 1, unchanged: 0 });
    expect(plan.updates.map((r) => [r.id, r.status])).toEqual([['s1', 'stale']]);
  });

  it('makes a stale one found again active, with the new numbers', () => {
    const plan = mergeFindings(
      [stored({ id: 'st' }, 'stale')],
      [finding({ id: 'st', monthlyCo2eGrams: 250 })],
      { clusters: ['prod'], now: T1 },
    );
    expect(plan.counts.refreshed).toBe(1);
    expect(plan.updates[0]).toMatchObject({ id: 'st', status: 'active' });
    expect(plan.updates[0]?.savings.monthlyCo2eGrams).toBe(250);
  });

  it('compares findings whatever the order of their keys', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(
      canonicalJson({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }),
    );
  });
});

describe('savingsReport', () => {
  // 175.2 g/month realized (share 0.8 of 219 g) = 175.2 / 730 = 0.24 g per hour in effect;
  // 0.876 kWh/month = 0.0012 kWh/h; 27.691236 USD/month = 0.0379332 USD/h.
  const entry: SavingsEntry = {
    recommendationId: 'aaaa1111',
    type: 'RIGHTSIZING_CPU',
    cluster: 'prod',
    namespace: 'shop',
    appliedAt: '2026-11-21T12:00:00.000Z',
    endedAt: null,
    share: 0.8,
    monthlyCo2eGrams: 175.2,
    monthlyKwh: 0.876,
    monthlyCost: 27.691236,
    currency: 'USD',
    source: 'actual_request',
  };
  const period = {
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2027-01-10T12:00:00Z'),
  };
  const now = new Date('2027-01-10T12:00:00Z');

  it('accrues realized savings per hour in effect, per month and per year', () => {
    const report = savingsReport({
      active: [finding({ id: 'other', type: 'IDLE_WORKSPACE', monthlyCo2eGrams: 500 })],
      entries: [entry],
      period,
      now,
      zone: 'UTC',
    });
    // Nov 21 12:00 → Dec 1 = 228 h → 54.72 g; December 744 h → 178.56 g; Jan 1 → Jan 10 12:00 = 228 h.
    expect(report.months.map((m) => m.label)).toEqual(['2026-11', '2026-12', '2027-01']);
    expect(report.months.map((m) => m.total.co2eGrams)).toEqual([
      expect.closeTo(54.72, 9),
      expect.closeTo(178.56, 9),
      expect.closeTo(54.72, 9),
    ]);
    expect(report.months[1]?.total.energyKwh).toBeCloseTo(0.8928, 12); // 0.0012 × 744
    expect(report.months[1]?.total.cost).toBeCloseTo(28.2223008, 9); // 0.0379332 × 744
    expect(report.months[1]?.byType).toEqual([
      expect.objectContaining({ type: 'RIGHTSIZING_CPU', count: 1, currency: 'USD' }),
    ]);
    // 2026: 54.72 + 178.56 = 233.28 g; 2027: 54.72 g.
    expect(report.years.map((y) => [y.label, y.total.co2eGrams])).toEqual([
      ['2026', expect.closeTo(233.28, 9)],
      ['2027', expect.closeTo(54.72, 9)],
    ]);
    const cpu = report.byType.find((t) => t.type === 'RIGHTSIZING_CPU');
    expect(cpu?.realizedMonthly).toMatchObject({ count: 1, co2eGrams: expect.closeTo(175.2, 9) });
    // 228 + 744 + 228 = 1200 h × 0.24 = 288 g.
    expect(cpu?.realizedInPeriod.co2eGrams).toBeCloseTo(288, 9);
    const workspace = report.byType.find((t) => t.type === 'IDLE_WORKSPACE');
    expect(workspace?.potentialMonthly).toMatchObject({ count: 1, co2eGrams: 500 });
    expect(report.totals.potentialMonthly.co2eGrams).toBe(500);
    expect(report.totals.realizedInPeriod.co2eGrams).toBeCloseTo(288, 9);
  });

  it('stops accruing at restore, and no longer counts it in the run rate', () => {
    const restored = { ...entry, endedAt: '2026-12-01T00:00:00.000Z' };
    const report = savingsReport({ active: [], entries: [restored], period, now, zone: 'UTC' });
    expect(report.months.map((m) => m.total.co2eGrams)).toEqual([expect.closeTo(54.72, 9), 0, 0]);
    expect(report.totals.realizedMonthly.count).toBe(0);
    expect(report.totals.realizedInPeriod.co2eGrams).toBeCloseTo(54.72, 9);
  });

  it('buckets months in the reporting zone', () => {
    // In Europe/London (GMT in winter, UTC+0) the buckets match UTC; in Asia/Tokyo (UTC+9)
    // November ends at 2026-11-30T15:00Z: 228 − 9 = 219 h in November → 52.56 g.
    const report = savingsReport({
      active: [],
      entries: [entry],
      period: { from: new Date('2026-10-31T15:00:00Z'), to: now },
      now,
      zone: 'Asia/Tokyo',
    });
    expect(report.months[0]?.label).toBe('2026-11');
    expect(report.months[0]?.total.co2eGrams).toBeCloseTo(52.56, 9);
  });

  it('does not add costs in different currencies', () => {
    const report = savingsReport({
      active: [
        finding({ id: 'u', currency: 'USD' }),
        finding({ id: 'g', currency: 'GBP', type: 'IDLE_WORKSPACE' }),
      ],
      entries: [],
      period,
      now,
      zone: 'UTC',
    });
    expect(report.totals.potentialMonthly.currency).toBeNull();
    expect(report.byType.find((t) => t.type === 'IDLE_WORKSPACE')?.potentialMonthly.currency).toBe(
      'GBP',
    );
  });
});

import { describe, it, expect } from 'vitest';
import {
  runRateOf,
  countPodsAndWorkloads,
  isStale,
  parseEnumList,
  sharePercent,
  workloadOf,
  type OwnerReferences,
} from '../../src/core/clusters.js';
import {
  addToFootprintTotal,
  computeFootprint,
  DEFAULT_METHODOLOGY_FACTORS,
  emptyFootprintTotal,
} from '../../src/core/methodology.js';
import { InvalidInputError } from '../../src/core/units.js';

describe('isStale (SPEC §10: newest sample older than 180 s)', () => {
  const now = new Date('2026-11-21T12:00:00Z');
  it('is fresh up to 180 s and stale after', () => {
    expect(isStale(new Date(now.getTime() - 180_000), now)).toBe(false);
    expect(isStale(new Date(now.getTime() - 181_000), now)).toBe(true);
    expect(isStale(null, now)).toBe(true);
  });
});

describe('parseEnumList', () => {
  const providers = ['aws', 'gcp', 'azure', 'on-prem'] as const;
  it('splits, trims and de-duplicates', () => {
    expect(parseEnumList(' aws, gcp,aws ', providers, '--provider')).toEqual(['aws', 'gcp']);
  });
  it('names the unknown value and the allowed set', () => {
    expect(() => parseEnumList('aws,ibm', providers, '--provider')).toThrow(
      '--provider ibm: unknown value (allowed: aws, gcp, azure, on-prem)',
    );
    expect(() => parseEnumList(',', providers, '--provider')).toThrow(InvalidInputError);
  });
});

describe('workloads', () => {
  const owners: OwnerReferences = {
    pods: new Map([
      ['shop/web-6d4f-a', { kind: 'ReplicaSet', name: 'web-6d4f' }],
      ['shop/web-7c9b-b', { kind: 'ReplicaSet', name: 'web-7c9b' }],
      ['shop/nightly-123-x', { kind: 'Job', name: 'nightly-123' }],
      ['shop/db-0', { kind: 'StatefulSet', name: 'db' }],
    ]),
    replicaSets: new Map([
      ['shop/web-6d4f', { kind: 'Deployment', name: 'web' }],
      ['shop/web-7c9b', { kind: 'Deployment', name: 'web' }],
    ]),
    jobs: new Map([['shop/nightly-123', { kind: 'CronJob', name: 'nightly' }]]),
  };

  it('rolls ReplicaSets up to Deployments and Jobs up to CronJobs', () => {
    expect(workloadOf('shop/web-6d4f-a', owners)).toBe('Deployment/shop/web');
    expect(workloadOf('shop/nightly-123-x', owners)).toBe('CronJob/shop/nightly');
    expect(workloadOf('shop/db-0', owners)).toBe('StatefulSet/shop/db');
    expect(workloadOf('tmp/debug', owners)).toBe('Pod/tmp/debug');
  });

  it('counts a rollout as one workload', () => {
    // Pods: 5; namespaces: shop, tmp; workloads: Deployment web, CronJob nightly, StatefulSet db, Pod debug.
    expect(
      countPodsAndWorkloads(
        [
          'shop/web-6d4f-a',
          'shop/web-7c9b-b',
          'shop/nightly-123-x',
          'shop/db-0',
          'tmp/debug',
          'tmp/debug',
        ],
        owners,
      ),
    ).toEqual({ pods: 5, namespaces: 2, workloads: 4 });
  });
});

describe('runRateOf', () => {
  it('is the metered footprint per hour, and × 730 per month', () => {
    // An hour metered as 2 busy and 6 idle cores (as track books a node_exporter host), 32 GiB.
    const activity = { busySeconds: 2 * 3600, idleSeconds: 6 * 3600, memoryGiBHours: 32 };
    const total = emptyFootprintTotal();
    addToFootprintTotal(
      total,
      activity,
      computeFootprint(activity, 200, DEFAULT_METHODOLOGY_FACTORS),
    );
    const rate = runRateOf(total, 1);
    // (2 × 12 W + 6 × 1 W) × 1 h = 30 Wh = 0.03 kWh; × 200 g/kWh = 6 g.
    expect(rate.energyKwhPerHour).toBeCloseTo(0.03, 12);
    expect(rate.co2eGramsPerHour).toBeCloseTo(6, 10);
    expect(rate.intensityGPerKwh).toBeCloseTo(200, 10);
    // 8 core-h × 0.031611 + 32 GiB-h × 0.004237 = 0.252888 + 0.135584 = 0.388472 USD.
    expect(rate.costPerHour).toBeCloseTo(0.388472, 9);
    // × 730 h: 4.38 kg and 283.58456 USD.
    expect(rate.co2eKgPerMonth).toBeCloseTo(4.38, 10);
    expect(rate.costPerMonth).toBeCloseTo(283.58456, 6);
  });

  it('averages over several metered hours and refuses zero hours', () => {
    const total = emptyFootprintTotal();
    const activity = { busySeconds: 3600, idleSeconds: 0, memoryGiBHours: 0 };
    for (const intensity of [100, 300])
      addToFootprintTotal(
        total,
        activity,
        computeFootprint(activity, intensity, DEFAULT_METHODOLOGY_FACTORS),
      );
    const rate = runRateOf(total, 2);
    // 0.012 kWh an hour; (0.012 × 100 + 0.012 × 300) / 2 = 2.4 g an hour; energy-weighted 200 g/kWh.
    expect(rate.energyKwhPerHour).toBeCloseTo(0.012, 12);
    expect(rate.co2eGramsPerHour).toBeCloseTo(2.4, 10);
    expect(rate.intensityGPerKwh).toBeCloseTo(200, 10);
    expect(() => runRateOf(total, 0)).toThrow(RangeError);
  });

  it('shares are percent of a known, non-zero whole', () => {
    expect(sharePercent(2, 8)).toBe(25);
    expect(sharePercent(null, 8)).toBeNull();
    expect(sharePercent(2, 0)).toBeNull();
  });
});

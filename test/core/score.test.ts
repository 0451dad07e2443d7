import { describe, expect, it } from 'vitest';
import {
  carbonAwareScheduling,
  carbonEfficiency,
  nodeEfficiency,
  resourceEfficiency,
  scalingPractices,
  stability,
  sustainabilityScore,
  wasteOfHosts,
  wasteOfWorkloads,
  workloadEfficiency,
  type ScoreWorkload,
} from '../../src/core/score.js';

const GIB = 1024 ** 3;
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2025, 2, 3);

function workload(overrides: Partial<ScoreWorkload>): ScoreWorkload {
  return {
    namespace: 'shop',
    workload: 'web',
    kind: 'Deployment',
    energyKwh: 1,
    busyCoreSeconds: 0,
    reservedCoreSeconds: 0,
    memoryUsedBytes: null,
    memoryRequestBytes: null,
    restarts: 0,
    cpuP50Cores: null,
    cpuMaxCores: null,
    hasAutoscaler: false,
    batch: false,
    scalable: true,
    ...overrides,
  };
}

describe('resource_efficiency', () => {
  it('averages the capped CPU and memory ratios of a workload', () => {
    // CPU 0.25 of its request, memory 1.5× its request (capped at 1): (0.25 + 1) / 2.
    expect(
      workloadEfficiency(
        workload({
          busyCoreSeconds: 900,
          reservedCoreSeconds: 3600,
          memoryUsedBytes: 1.5 * GIB,
          memoryRequestBytes: GIB,
        }),
      ),
    ).toBe(0.625);
    // Only a CPU request: the CPU ratio alone; neither: left out.
    expect(workloadEfficiency(workload({ busyCoreSeconds: 360, reservedCoreSeconds: 3600 }))).toBe(
      0.1,
    );
    expect(workloadEfficiency(workload({}))).toBeNull();
  });

  it('weights workloads by their energy', () => {
    // a: efficiency 0.5 with 3 kWh; b: 0.9 with 1 kWh → (1.5 + 0.9) / 4 = 0.6.
    const result = resourceEfficiency([
      workload({ workload: 'a', energyKwh: 3, busyCoreSeconds: 50, reservedCoreSeconds: 100 }),
      workload({ workload: 'b', energyKwh: 1, busyCoreSeconds: 90, reservedCoreSeconds: 100 }),
      workload({ workload: 'no-requests', energyKwh: 5 }),
    ]);
    expect(result.status).toBe('scored');
    expect(result.score).toBeCloseTo(60, 10);
    expect(result.inputs.workloads).toBe(2);
    // a wastes 0.5 × 3 kWh, b 0.1 × 1 kWh: a is named.
    expect(result.advice).toContain('shop/a');
  });

  it('is a neutral 50 without workloads that have requests', () => {
    const result = resourceEfficiency([workload({})]);
    expect(result).toMatchObject({ status: 'no_data', score: 50 });
  });
});

describe('carbon_efficiency', () => {
  it('is 100 × (1 − intensity × PUE / 800)', () => {
    // 2 kWh priced at 400 g → 200 g/kWh; × PUE 1.2 = 240 → 100 × (1 − 0.3) = 70.
    const result = carbonEfficiency(2, 400, 1.2);
    expect(result.score).toBeCloseTo(70, 10);
    expect(result.inputs.energy_weighted_intensity_g_per_kwh).toBe(200);
  });

  it('floors at 0 above 800 g/kWh and is neutral without energy', () => {
    expect(carbonEfficiency(1, 900, 1).score).toBe(0);
    expect(carbonEfficiency(0, 0, 1)).toMatchObject({ status: 'no_data', score: 50 });
  });
});

describe('waste_elimination', () => {
  it('halves the idle-workload share and the idle-namespace share', () => {
    // 4 long-running workloads, 1 idle (1 % busy < 2 %); namespaces shop, old, etl: old is idle.
    const result = wasteOfWorkloads(
      [
        workload({ workload: 'a', busyCoreSeconds: 50, reservedCoreSeconds: 100 }),
        workload({ workload: 'b', busyCoreSeconds: 50, reservedCoreSeconds: 100 }),
        workload({ workload: 'c', busyCoreSeconds: 50, reservedCoreSeconds: 100 }),
        workload({
          namespace: 'old',
          workload: 'd',
          busyCoreSeconds: 1,
          reservedCoreSeconds: 100,
        }),
        workload({
          namespace: 'etl',
          workload: 'job',
          kind: 'CronJob',
          batch: true,
          busyCoreSeconds: 0,
          reservedCoreSeconds: 100,
        }),
      ],
      0.02,
    );
    // 100 × (1 − (1/4 + 1/3) / 2) = 70.8333…
    expect(result.score).toBeCloseTo(100 * (1 - (1 / 4 + 1 / 3) / 2), 10);
    expect(result.inputs.idle_workload_names).toEqual(['old/d']);
    expect(result.inputs.idle_namespace_names).toEqual(['old']);
  });

  it('counts idle hosts for workspaces', () => {
    const result = wasteOfHosts(
      [
        { host: 'a', busyCoreSeconds: 1, idleCoreSeconds: 99 },
        { host: 'b', busyCoreSeconds: 50, idleCoreSeconds: 50 },
        { host: 'c', busyCoreSeconds: 30, idleCoreSeconds: 70 },
        { host: 'off', busyCoreSeconds: 0, idleCoreSeconds: 0 },
      ],
      0.02,
    );
    // 3 hosts with CPU time, 1 idle: 100 × 2/3.
    expect(result.score).toBeCloseTo(200 / 3, 10);
    expect(result.inputs.idle_host_names).toEqual(['a']);
  });
});

describe('node_efficiency', () => {
  it('is the mean of min(utilization / 0.7, 1)', () => {
    // 0.35 → 0.5; 0.9 → 1; 0.07 → 0.1: mean 0.5333…
    const result = nodeEfficiency([
      { host: 'a', busyCoreSeconds: 35, idleCoreSeconds: 65 },
      { host: 'b', busyCoreSeconds: 90, idleCoreSeconds: 10 },
      { host: 'c', busyCoreSeconds: 7, idleCoreSeconds: 93 },
    ]);
    expect(result.score).toBeCloseTo((100 * 1.6) / 3, 10);
    expect(result.inputs.least_utilized_node).toBe('c');
    expect(nodeEfficiency([])).toMatchObject({ status: 'no_data', score: 50 });
  });
});

describe('scaling_practices', () => {
  it('counts spiky scalable workloads without an autoscaler', () => {
    const result = scalingPractices([
      // peak 4 × median, no HPA: should autoscale
      workload({ workload: 'spiky', cpuP50Cores: 0.1, cpuMaxCores: 0.4 }),
      // the same with an HPA: fine
      workload({ workload: 'scaled', cpuP50Cores: 0.1, cpuMaxCores: 0.4, hasAutoscaler: true }),
      // peak 2 × median: steady enough
      workload({ workload: 'steady', cpuP50Cores: 0.3, cpuMaxCores: 0.6 }),
      // a DaemonSet cannot be scaled by replicas: not counted
      workload({
        workload: 'agent',
        kind: 'DaemonSet',
        scalable: false,
        cpuP50Cores: 0,
        cpuMaxCores: 1,
      }),
    ]);
    expect(result.score).toBeCloseTo(100 * (1 - 1 / 3), 10);
    expect(result.inputs.should_autoscale_names).toEqual(['shop/spiky']);
  });
});

describe('carbon_aware_scheduling', () => {
  it('is 100 × (1 − batch energy share in hours above 1.5 × the day’s cleanest)', () => {
    const intensity = new Map<number, number>([
      [DAY0, 100],
      [DAY0 + HOUR, 150],
      [DAY0 + 2 * HOUR, 151],
      // the next day has its own floor
      [DAY0 + 24 * HOUR, 300],
      [DAY0 + 25 * HOUR, 400],
    ]);
    const batch = new Map<number, number>([
      [DAY0, 1],
      [DAY0 + HOUR, 1], // 150 = 1.5 × 100: not above
      [DAY0 + 2 * HOUR, 2], // above
      [DAY0 + 25 * HOUR, 4], // 400 < 450: not above
    ]);
    const result = carbonAwareScheduling(batch, intensity);
    expect(result.score).toBeCloseTo(100 * (1 - 2 / 8), 10);
    expect(carbonAwareScheduling(new Map(), intensity)).toMatchObject({
      status: 'no_data',
      score: 50,
    });
  });
});

describe('stability', () => {
  it('is 100 − 10 × mean restarts, at least 0', () => {
    expect(
      stability([
        workload({ restarts: 0 }),
        workload({ restarts: 3 }),
        workload({ restarts: null }),
      ]).score,
    ).toBeCloseTo(85, 10);
    expect(stability([workload({ restarts: 20 })]).score).toBe(0);
  });
});

describe('overall score', () => {
  it('weighs the seven dimensions with GreenKube’s weights', () => {
    const result = sustainabilityScore({
      source: 'pods',
      energyKwh: 1,
      scope2LocationGrams: 400, // 400 g/kWh → carbon 50
      pue: 1,
      workloads: [
        workload({
          energyKwh: 1,
          busyCoreSeconds: 50,
          reservedCoreSeconds: 100,
          restarts: 1,
          cpuP50Cores: 0.5,
          cpuMaxCores: 0.5,
        }),
      ],
      hosts: [{ host: 'n', busyCoreSeconds: 35, idleCoreSeconds: 65 }],
      batchEnergyByHour: new Map(),
      hourlyIntensity: new Map([[DAY0, 400]]),
      idleBusyFraction: 0.02,
    });
    // resource 50, carbon 50, waste 100, node 50, scaling 100, carbon-aware 50 (no data), stability 90
    const expected =
      0.25 * 50 + 0.2 * 50 + 0.15 * 100 + 0.15 * 50 + 0.1 * 100 + 0.1 * 50 + 0.05 * 90;
    expect(result.overall_score).toBeCloseTo(expected, 10);
    expect(result.dimension_scores).toEqual({
      resource_efficiency: 50,
      carbon_efficiency: 50,
      waste_elimination: 100,
      node_efficiency: 50,
      scaling_practices: 100,
      carbon_aware_scheduling: 50,
      stability: 90,
    });
    expect(result.dimensions.find((d) => d.dimension === 'carbon_aware_scheduling')?.status).toBe(
      'no_data',
    );
  });

  it('renormalises the weights of the dimensions that apply to workspaces', () => {
    const result = sustainabilityScore({
      source: 'nodes',
      energyKwh: 1,
      scope2LocationGrams: 200, // → 75
      pue: 1,
      workloads: [],
      hosts: [
        { host: 'a', busyCoreSeconds: 70, idleCoreSeconds: 30 }, // node 1
        { host: 'b', busyCoreSeconds: 1, idleCoreSeconds: 99 }, // idle, node 1/70
      ],
      batchEnergyByHour: new Map(),
      hourlyIntensity: new Map(),
      idleBusyFraction: 0.02,
    });
    const node = (100 * (1 + 0.01 / 0.7)) / 2;
    // weights 0.20, 0.15, 0.15 renormalised to 0.4, 0.3, 0.3
    expect(result.overall_score).toBeCloseTo(0.4 * 75 + 0.3 * 50 + 0.3 * node, 10);
    const byName = Object.fromEntries(result.dimensions.map((d) => [d.dimension, d]));
    expect(byName.stability).toMatchObject({
      status: 'not_applicable',
      score: null,
      effective_weight: 0,
    });
    expect(byName.carbon_efficiency?.effective_weight).toBeCloseTo(0.4, 12);
    expect(byName.node_efficiency?.effective_weight).toBeCloseTo(0.3, 12);
  });
});

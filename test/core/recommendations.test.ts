import { describe, expect, it } from 'vitest';
import {
  DEFAULT_METHODOLOGY_FACTORS,
  type MethodologyFactors,
} from '../../src/core/methodology.js';
import {
  buildCarbonAwareShift,
  buildCpuRightsizing,
  buildIdleWorkload,
  buildIdleWorkspace,
  buildMemoryRightsizing,
  workloadBody,
  DEFAULT_RECOMMENDATION_RULES,
  fnv1a64Hex,
  formatHourRanges,
  generateFindings,
  idleRisk,
  isBatchWorkload,
  isCiNamespace,
  kubectlScale,
  kubectlSetRequests,
  priorityFor,
  quantileOf,
  recommendationId,
  recommendedCpuCores,
  recommendedMemoryBytes,
  rightsizingRisk,
  shellQuote,
  shiftRisk,
  type BatchUsageStats,
  type ContainerUsageStats,
  type EngineContext,
  type HostUsageStats,
  type UsageDistribution,
  type WorkloadUsageStats,
} from '../../src/core/recommendations.js';
import type { RecommendationTarget } from '../../src/core/recommendation-model.js';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const HOUR_MS = 3_600_000;
const FROM = new Date('2025-03-03T00:00:00Z');

/** A context over `hours` hours from FROM at a flat 200 g/kWh with the SPEC defaults (ada, PUE 1). */
function engineContext(
  options: { hours?: number; factors?: MethodologyFactors; hourly?: Map<number, number> } = {},
): EngineContext {
  const hours = options.hours ?? 336;
  return {
    cluster: 'prod',
    window: { from: FROM, to: new Date(FROM.getTime() + hours * HOUR_MS) },
    rules: { ...DEFAULT_RECOMMENDATION_RULES },
    factors: options.factors ?? DEFAULT_METHODOLOGY_FACTORS,
    meanIntensityGPerKwh: 200,
    hourlyIntensityGPerKwh: options.hourly ?? new Map(),
  };
}

function distribution(values: Partial<UsageDistribution> & { p95: number }): UsageDistribution {
  return {
    p50: values.p50 ?? values.p95 / 2,
    p95: values.p95,
    p99: values.p99 ?? values.p95,
    max: values.max ?? values.p95,
    atPercentile: values.atPercentile ?? values.p95,
    mean: values.mean ?? values.p50 ?? values.p95 / 2,
    samples: values.samples ?? 4032,
  };
}

function container(overrides: Partial<ContainerUsageStats> = {}): ContainerUsageStats {
  return {
    container: 'app',
    cpuRequestCores: 2,
    memoryRequestBytes: null,
    cpu: distribution({ p50: 0.3, p95: 0.42, p99: 0.6, max: 0.6, mean: 0.33 }),
    memory: null,
    restarts: 0,
    oomKills: 0,
    observedHours: 336,
    ...overrides,
  };
}

function workload(overrides: Partial<WorkloadUsageStats> = {}): WorkloadUsageStats {
  return {
    namespace: 'shop',
    workload: 'web',
    workloadKind: 'Deployment',
    replicas: 2,
    containers: [container()],
    ...overrides,
  };
}

const target: RecommendationTarget = {
  cluster: 'prod',
  kind: 'container',
  namespace: 'shop',
  workload: 'web',
  workloadKind: 'Deployment',
  container: 'app',
  host: null,
};

describe('recommendation ids', () => {
  it('implements FNV-1a 64-bit (published test vectors)', () => {
    // Offset basis and the vectors of the FNV reference (isthe.com/chongo/tech/comp/fnv).
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
  });

  it('gives the same 12-hex-digit id for the same type and target, in every run', () => {
    const id = recommendationId('RIGHTSIZING_CPU', target);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(recommendationId('RIGHTSIZING_CPU', { ...target })).toBe(id);
    // Pinned: a change of the canonical form would orphan every stored recommendation.
    expect(id).toBe(
      fnv1a64Hex(
        JSON.stringify([
          'RIGHTSIZING_CPU',
          'prod',
          'container',
          'shop',
          'Deployment',
          'web',
          'app',
          null,
        ]),
      ).slice(0, 12),
    );
  });

  it('gives different ids for a different type, container, cluster, workload kind or host', () => {
    const id = recommendationId('RIGHTSIZING_CPU', target);
    expect(recommendationId('RIGHTSIZING_MEMORY', target)).not.toBe(id);
    expect(recommendationId('RIGHTSIZING_CPU', { ...target, container: 'sidecar' })).not.toBe(id);
    expect(recommendationId('RIGHTSIZING_CPU', { ...target, cluster: 'staging' })).not.toBe(id);
    // A StatefulSet named like the Deployment is another target.
    expect(
      recommendationId('RIGHTSIZING_CPU', { ...target, workloadKind: 'StatefulSet' }),
    ).not.toBe(id);
    // A label value cannot forge another target by containing a separator.
    expect(
      recommendationId('RIGHTSIZING_CPU', { ...target, namespace: 'shop","web', workload: '' }),
    ).not.toBe(id);
  });
});

describe('priority (SPEC §8)', () => {
  it.each([
    [50, 0, 'high'],
    [49.99, 0, 'medium'],
    [0, 10_000, 'high'],
    [0, 9_999, 'medium'],
    [10, 0, 'medium'],
    [9.99, 0, 'low'],
    [0, 2_000, 'medium'],
    [0, 1_999, 'low'],
    [0, 0, 'low'],
  ] as const)('cost %s/month and %s gCO2e/month is %s', (monthlyCost, monthlyCo2eGrams, want) => {
    expect(priorityFor({ monthlyCost, monthlyCo2eGrams })).toBe(want);
  });
});

describe('recommended values', () => {
  it('is the percentile × headroom, rounded up to a whole millicore / Mi', () => {
    // 0.42 × 1.2 = 0.504 cores = 504m exactly (not 505m from binary noise).
    expect(recommendedCpuCores(0.42, 1.2)).toBe(0.504);
    // 0.4201 × 1.2 = 0.50412 → 505m.
    expect(recommendedCpuCores(0.4201, 1.2)).toBe(0.505);
    // 300Mi × 1.2 = 360Mi; 100.5Mi × 1.2 = 120.6Mi → 121Mi.
    expect(recommendedMemoryBytes(300 * MIB, 1.2)).toBe(360 * MIB);
    expect(recommendedMemoryBytes(100.5 * MIB, 1.2)).toBe(121 * MIB);
  });

  it('is floored at 10m CPU and 16Mi memory', () => {
    expect(recommendedCpuCores(0.001, 1.2)).toBe(0.01);
    expect(recommendedCpuCores(0, 1.2)).toBe(0.01);
    expect(recommendedMemoryBytes(2 * MIB, 1.2)).toBe(16 * MIB);
  });
});

describe('RIGHTSIZING_CPU', () => {
  it('recommends p95 × 1.2 for an over-requested container, with savings by hand', () => {
    const found = buildCpuRightsizing(engineContext(), workload(), container());
    expect(found).not.toBeNull();
    const f = found!;
    expect(f.type).toBe('RIGHTSIZING_CPU');
    expect(f.target).toEqual(target);
    expect(f.id).toBe(recommendationId('RIGHTSIZING_CPU', target));
    expect(f.description).toBe('CPU request 2000m is 4.8× the p95 usage 420m; recommend 504m');
    expect(f.title).toBe('Rightsize CPU of shop/web/app');
    expect(f.current).toEqual({
      cpu_request_cores: 2,
      replicas: 2,
      containers: [
        {
          name: 'app',
          requests: { cpu: 2, memory: null },
          limits: { cpu: null, memory: null },
          without_limits: ['cpu', 'memory'],
        },
      ],
    });
    // No limits before, none added for CPU (throttled, not killed), and no memory request to
    // size a memory limit from: flagged as without limits.
    expect(f.recommended).toEqual({
      cpu_request_cores: 0.504,
      replicas: 2,
      containers: [
        {
          name: 'app',
          requests: { cpu: 0.504, memory: null },
          limits: { cpu: null, memory: null },
          without_limits: ['cpu', 'memory'],
        },
      ],
    });
    // Δ = (2 − 0.504) × 2 replicas = 2.992 cores of idle reservation fewer each hour:
    // energy = 2.992 × 3600 s × 1 W / 3.6e6 = 0.002992 kWh/h → × 730 = 2.18416 kWh/month;
    // CO2e = 0.002992 × 200 g/kWh × 730 = 436.832 g/month;
    // cost = 2.992 core-h × 0.031611 = 0.094580112 /h → × 730 = 69.04348176 /month → high.
    expect(f.savings.monthlyKwh).toBeCloseTo(2.18416, 9);
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(436.832, 6);
    expect(f.savings.hourlyCost).toBeCloseTo(0.094580112, 12);
    expect(f.savings.monthlyCost).toBeCloseTo(69.04348176, 8);
    expect(f.savings.currency).toBe('USD');
    expect(f.priority).toBe('high');
    // Current hourly cost: 2 cores × 2 replicas × 0.031611 = 0.126444 (no memory request).
    expect(f.currentHourlyCost).toBeCloseTo(0.126444, 12);
    // 504m < the observed p99 and max 600m: peaks get throttled → medium.
    expect(f.risk).toBe('medium');
    expect(f.applyCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=cpu=504m',
    );
    expect(f.revertCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=cpu=2000m',
    );
    expect(f.snapshot).toEqual({
      windowFrom: '2025-03-03T00:00:00.000Z',
      windowTo: '2025-03-17T00:00:00.000Z',
      samples: 4032,
      unit: 'cores',
      p50: 0.3,
      p95: 0.42,
      p99: 0.6,
      max: 0.6,
      replicas: 2,
      restarts: 0,
      oomKills: 0,
    });
  });

  it('uses the configured percentile and headroom', () => {
    const context = engineContext();
    context.rules = { ...context.rules, cpuPercentile: 90, headroom: 1.5 };
    const found = buildCpuRightsizing(
      context,
      workload(),
      container({ cpu: distribution({ p95: 0.42, atPercentile: 0.4, p99: 0.6, max: 0.6 }) }),
    );
    // 0.4 × 1.5 = 0.6 → 600m; 2000/400 = 5.0.
    expect(found?.recommended.cpu_request_cores).toBe(0.6);
    expect(found?.description).toBe('CPU request 2000m is 5.0× the p90 usage 400m; recommend 600m');
  });

  it('never recommends an increase', () => {
    // p95 0.42 → 504m, above the 400m request.
    expect(
      buildCpuRightsizing(engineContext(), workload(), container({ cpuRequestCores: 0.4 })),
    ).toBeNull();
    // A 5m request is below the 10m floor: nothing, not "raise it to 10m".
    expect(
      buildCpuRightsizing(
        engineContext(),
        workload(),
        container({ cpuRequestCores: 0.005, cpu: distribution({ p95: 0 }) }),
      ),
    ).toBeNull();
  });

  it('fires only when the request is ≥ 1.25 × the recommendation and frees ≥ 50m', () => {
    const at = (request: number, replicas = 2) =>
      buildCpuRightsizing(
        engineContext(),
        workload({ replicas }),
        container({ cpuRequestCores: request }),
      );
    // 1.25 × 0.504 = 0.63.
    expect(at(0.629)).toBeNull();
    expect(at(0.63)).not.toBeNull();
    // 25m request, p95 1m → floor 10m: 2.5× but frees only 15m on one replica.
    expect(
      buildCpuRightsizing(
        engineContext(),
        workload({ replicas: 1 }),
        container({ cpuRequestCores: 0.025, cpu: distribution({ p95: 0.001 }) }),
      ),
    ).toBeNull();
    // The same on 4 replicas frees 60m: worth it.
    expect(
      buildCpuRightsizing(
        engineContext(),
        workload({ replicas: 4 }),
        container({ cpuRequestCores: 0.025, cpu: distribution({ p95: 0.001 }) }),
      )?.recommended.cpu_request_cores,
    ).toBe(0.01);
  });

  it('says "far above" when the percentile usage is zero', () => {
    const found = buildCpuRightsizing(
      engineContext(),
      workload(),
      container({ cpu: distribution({ p95: 0, p99: 0, max: 0 }) }),
    );
    expect(found?.description).toBe(
      'CPU request 2000m is far above the p95 usage 0m; recommend 10m',
    );
  });

  it('skips containers without a request and workloads it cannot change', () => {
    expect(
      buildCpuRightsizing(engineContext(), workload(), container({ cpuRequestCores: null })),
    ).toBeNull();
    expect(
      buildCpuRightsizing(engineContext(), workload({ workloadKind: 'Pod' }), container()),
    ).toBeNull();
    expect(buildCpuRightsizing(engineContext(), workload({ replicas: 0 }), container())).toBeNull();
  });

  it('includes PUE, embodied carbon and the energy price in the savings', () => {
    const factors: MethodologyFactors = {
      ...DEFAULT_METHODOLOGY_FACTORS,
      pue: 1.5,
      embodiedGramsPerCoreHour: 2,
      cost: { ...DEFAULT_METHODOLOGY_FACTORS.cost, perKwh: 0.3 },
    };
    const f = buildCpuRightsizing(engineContext({ factors }), workload(), container())!;
    // Energy = 0.002992 kWh × 1.5 = 0.004488 kWh/h; CO2e = 0.004488 × 200 + 2.992 core-h × 2 g
    // = 0.8976 + 5.984 = 6.8816 g/h → × 730 = 5023.568 g; cost = 0.094580112 + 0.004488 × 0.3
    // = 0.095926512 /h.
    expect(f.savings.monthlyKwh).toBeCloseTo(0.004488 * 730, 9);
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(5023.568, 6);
    expect(f.savings.hourlyCost).toBeCloseTo(0.095926512, 12);
  });

  it('quotes names that a shell would misread', () => {
    const f = buildCpuRightsizing(
      engineContext(),
      workload({ namespace: 'shop', workload: "we'b" }),
      container({ container: 'a b' }),
    )!;
    expect(f.applyCommand).toBe(
      `kubectl -n shop set resources 'deployment/we'\\''b' -c 'a b' --requests=cpu=504m`,
    );
  });
});

describe('workload bodies with limits', () => {
  it('keeps CPU limits at or above the recommended request and raises memory limits to request × headroom', () => {
    const context = engineContext();
    const body = workloadBody(
      context,
      workload({
        containers: [
          // Rightsized to 504m / 360Mi; its 400Mi memory limit is raised to 432Mi, 300m CPU
          // limit (below the new 504m request) raised to 504m.
          container({
            memoryRequestBytes: GIB,
            memory: distribution({
              p50: 300 * MIB,
              p95: 300 * MIB,
              p99: 300 * MIB,
              max: 300 * MIB,
              atPercentile: 300 * MIB,
            }),
            cpuLimitCores: 0.3,
            memoryLimitBytes: 400 * MIB,
          }),
          // Sized right (0.09 of 0.1): unchanged requests; a 1Gi limit stays.
          container({
            container: 'sidecar',
            cpuRequestCores: 0.1,
            cpu: distribution({ p50: 0.09, p95: 0.09, p99: 0.09, max: 0.09, atPercentile: 0.09 }),
            memoryRequestBytes: 64 * MIB,
            memory: distribution({
              p50: 60 * MIB,
              p95: 60 * MIB,
              p99: 60 * MIB,
              max: 60 * MIB,
              atPercentile: 60 * MIB,
            }),
            cpuLimitCores: 0.5,
            memoryLimitBytes: GIB,
          }),
        ],
      }),
    );
    expect(body.recommended).toEqual([
      {
        name: 'app',
        requests: { cpu: 0.504, memory: 360 * MIB },
        limits: { cpu: 0.504, memory: 432 * MIB },
      },
      {
        name: 'sidecar',
        requests: { cpu: 0.1, memory: 64 * MIB },
        limits: { cpu: 0.5, memory: GIB },
      },
    ]);
    expect(body.current.map((c) => c.limits)).toEqual([
      { cpu: 0.3, memory: 400 * MIB },
      { cpu: 0.5, memory: GIB },
    ]);
  });
});

describe('RIGHTSIZING_MEMORY', () => {
  const memoryContainer = (overrides: Partial<ContainerUsageStats> = {}): ContainerUsageStats =>
    container({
      memoryRequestBytes: GIB,
      memory: distribution({
        p50: 300 * MIB,
        p95: 300 * MIB,
        p99: 300 * MIB,
        max: 300 * MIB,
        atPercentile: 300 * MIB,
      }),
      ...overrides,
    });

  it('recommends p99 × 1.2, with savings by hand', () => {
    const f = buildMemoryRightsizing(
      engineContext(),
      workload({ containers: [memoryContainer()] }),
      memoryContainer(),
    )!;
    expect(f.description).toBe(
      'Memory request 1Gi is 3.4× the p99 working set 300Mi; recommend 360Mi',
    );
    // The body has the container's CPU rightsizing too (2 cores → 504m), and a memory limit of
    // ⌈360Mi × 1.2⌉ = 432Mi where there was none.
    expect(f.recommended).toEqual({
      memory_request_bytes: 360 * MIB,
      replicas: 2,
      containers: [
        {
          name: 'app',
          requests: { cpu: 0.504, memory: 360 * MIB },
          limits: { cpu: null, memory: 432 * MIB },
          without_limits: ['cpu', 'memory'],
        },
      ],
    });
    // Δ = (1024 − 360) Mi × 2 = 1328 Mi = 1.296875 GiB-h per hour; memory draws 0 W by default.
    // Cost = 1.296875 × 0.004237 = 0.005494859375 /h → × 730 = 4.01124734375 /month → low.
    expect(f.savings.monthlyCo2eGrams).toBe(0);
    expect(f.savings.monthlyKwh).toBe(0);
    expect(f.savings.monthlyCost).toBeCloseTo(4.01124734375, 10);
    expect(f.priority).toBe('low');
    // Constant working set: 360Mi is 20 % over the max → low risk.
    expect(f.risk).toBe('low');
    expect(f.applyCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=memory=360Mi',
    );
    expect(f.revertCommand).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=memory=1Gi',
    );
  });

  it('prices memory energy with memoryWattsPerGiB', () => {
    const factors: MethodologyFactors = {
      ...DEFAULT_METHODOLOGY_FACTORS,
      power: { ...DEFAULT_METHODOLOGY_FACTORS.power, memoryWattsPerGiB: 0.5 },
    };
    const f = buildMemoryRightsizing(engineContext({ factors }), workload(), memoryContainer())!;
    // 1.296875 GiB × 3600 s × 0.5 W / 3.6e6 = 0.0006484375 kWh/h; × 200 × 730 = 94.671875 g.
    expect(f.savings.monthlyKwh).toBeCloseTo(0.0006484375 * 730, 12);
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(94.671875, 9);
  });

  it('is high risk after an OOM kill or when the recommendation is under the observed max', () => {
    expect(
      buildMemoryRightsizing(
        engineContext(),
        workload(),
        memoryContainer({ oomKills: 1, restarts: 1 }),
      )?.risk,
    ).toBe('high');
    expect(
      buildMemoryRightsizing(
        engineContext(),
        workload(),
        memoryContainer({
          memory: distribution({
            p95: 300 * MIB,
            p99: 300 * MIB,
            atPercentile: 300 * MIB,
            max: 400 * MIB,
          }),
        }),
      )?.risk,
    ).toBe('high');
  });

  it('never recommends an increase and needs 64Mi freed', () => {
    expect(
      buildMemoryRightsizing(
        engineContext(),
        workload(),
        memoryContainer({ memoryRequestBytes: 300 * MIB }),
      ),
    ).toBeNull();
    // 100Mi request, 40Mi × 1.2 = 48Mi: 2.08× but frees 52Mi on one replica.
    expect(
      buildMemoryRightsizing(
        engineContext(),
        workload({ replicas: 1 }),
        memoryContainer({
          memoryRequestBytes: 100 * MIB,
          memory: distribution({ p95: 40 * MIB, atPercentile: 40 * MIB }),
        }),
      ),
    ).toBeNull();
  });
});

describe('risk', () => {
  const base = distribution({ p50: 0.3, p95: 0.42, p99: 0.45, max: 0.5 });
  const cpu = (recommended: number, extra: Partial<Parameters<typeof rightsizingRisk>[0]> = {}) =>
    rightsizingRisk({
      resource: 'cpu',
      recommended,
      distribution: base,
      restarts: 0,
      oomKills: 0,
      observedHours: 336,
      ...extra,
    });

  it('is low with headroom over the max, two weeks of history and no restarts', () => {
    expect(cpu(0.51)).toBe('low');
  });

  it('is medium below the CPU max or p99, after restarts, or with under a week of data', () => {
    expect(cpu(0.49)).toBe('medium');
    expect(cpu(0.44)).toBe('medium');
    expect(cpu(0.51, { restarts: 2 })).toBe('medium');
    expect(cpu(0.51, { observedHours: 100 })).toBe('medium');
    // A week measured from counters may come out a hair short; it still counts as a week.
    expect(cpu(0.51, { observedHours: 167.99999999 })).toBe('low');
  });

  it('is high below the p95 or with under a day of data', () => {
    expect(cpu(0.41)).toBe('high');
    expect(cpu(0.51, { observedHours: 23 })).toBe('high');
  });

  it('wants 10 % memory headroom over the max for low', () => {
    const memory = (recommended: number) =>
      rightsizingRisk({
        resource: 'memory',
        recommended,
        distribution: base,
        restarts: 0,
        oomKills: 0,
        observedHours: 336,
      });
    expect(memory(0.56)).toBe('low');
    expect(memory(0.54)).toBe('medium');
    expect(memory(0.49)).toBe('high');
  });

  it('rates idle and shift findings by history, restarts, peaks and repetition', () => {
    expect(idleRisk({ observedHours: 336, peakShare: 0.01, restarts: 0 })).toBe('low');
    expect(idleRisk({ observedHours: 336, peakShare: 0.6, restarts: 0 })).toBe('medium');
    expect(idleRisk({ observedHours: 336, peakShare: null, restarts: 1 })).toBe('medium');
    expect(idleRisk({ observedHours: 48, peakShare: 0, restarts: 0 })).toBe('medium');
    expect(idleRisk({ observedHours: 12, peakShare: 0, restarts: 0 })).toBe('high');
    expect(shiftRisk(5)).toBe('low');
    expect(shiftRisk(1)).toBe('medium');
  });
});

describe('IDLE_WORKLOAD', () => {
  const legacy = (overrides: Partial<ContainerUsageStats> = {}): WorkloadUsageStats =>
    workload({
      workload: 'legacy',
      replicas: 1,
      containers: [
        container({
          cpuRequestCores: 1,
          memoryRequestBytes: 256 * MIB,
          cpu: distribution({ p50: 0.005, p95: 0.005, p99: 0.005, max: 0.006, mean: 0.005 }),
          ...overrides,
        }),
      ],
    });

  it('scales a workload using under 2 % of its request to zero, with savings by hand', () => {
    const f = buildIdleWorkload(engineContext(), legacy())!;
    expect(f.type).toBe('IDLE_WORKLOAD');
    expect(f.target).toEqual({
      cluster: 'prod',
      kind: 'workload',
      namespace: 'shop',
      workload: 'legacy',
      workloadKind: 'Deployment',
      container: null,
      host: null,
    });
    expect(f.description).toBe(
      'Deployment shop/legacy used 5m of its 1000m CPU request per replica (0.5%, idle below 2%) over 14 days; scale it to zero',
    );
    // Per hour: busy 0.005 × 3600 = 18 s, idle 3582 s, memory 0.25 GiB-h.
    // Energy = (18 × 12 + 3582 × 1) / 3.6e6 = 0.001055 kWh → × 200 × 730 = 154.03 g/month.
    // Cost = 1 core-h × 0.031611 + 0.25 × 0.004237 = 0.03267025 /h → 23.8492825 /month → medium.
    expect(f.savings.monthlyKwh).toBeCloseTo(0.001055 * 730, 12);
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(154.03, 9);
    expect(f.savings.monthlyCost).toBeCloseTo(23.8492825, 9);
    expect(f.currentHourlyCost).toBeCloseTo(0.03267025, 12);
    expect(f.priority).toBe('medium');
    expect(f.risk).toBe('low');
    expect(f.current).toEqual({
      replicas: 1,
      cpu_request_cores: 1,
      memory_request_bytes: 256 * MIB,
      state: 'running',
    });
    expect(f.recommended).toEqual({ replicas: 0, state: 'suspended' });
    expect(f.applyCommand).toBe('kubectl -n shop scale deployment/legacy --replicas=0');
    expect(f.revertCommand).toBe('kubectl -n shop scale deployment/legacy --replicas=1');
  });

  it('does not fire at or above the idle fraction, with under a day of data, or for a DaemonSet', () => {
    expect(
      buildIdleWorkload(engineContext(), legacy({ cpu: distribution({ p95: 0.05, mean: 0.02 }) })),
    ).toBeNull();
    expect(buildIdleWorkload(engineContext(), legacy({ observedHours: 20 }))).toBeNull();
    expect(
      buildIdleWorkload(engineContext(), { ...legacy(), workloadKind: 'DaemonSet' }),
    ).toBeNull();
  });

  it('replaces the rightsizing findings of the same workload', () => {
    const stats = legacy();
    // On its own this container would be rightsized: 1000m vs p95 5m → 10m.
    expect(buildCpuRightsizing(engineContext(), stats, stats.containers[0]!)).not.toBeNull();
    const findings = generateFindings(engineContext(), {
      workloads: [stats],
      hosts: [],
      batch: [],
    });
    expect(findings.map((f) => f.type)).toEqual(['IDLE_WORKLOAD']);
  });
});

describe('IDLE_WORKSPACE', () => {
  // 4 cores for 48 h = 691,200 core-seconds, 0.5 % busy: 3,456 busy, 687,744 idle.
  const idleHost: HostUsageStats = {
    host: 'lab-07',
    cores: 4,
    busySeconds: 3456,
    idleSeconds: 687_744,
    busyCores: distribution({ p50: 0.02, p95: 0.02, p99: 0.02, max: 0.04, samples: 576 }),
    observedHours: 48,
  };

  it('suspends a host busy under 2 % of its CPU time, with savings by hand', () => {
    const f = buildIdleWorkspace(engineContext({ hours: 48 }), idleHost)!;
    expect(f.type).toBe('IDLE_WORKSPACE');
    expect(f.target.kind).toBe('host');
    expect(f.target.host).toBe('lab-07');
    expect(f.description).toBe(
      'Workspace lab-07 (4 cores) was busy 0.5% of its CPU time over 2 days (idle below 2%); suspend or delete it',
    );
    // Mean hour: 72 busy s and 14,328 idle s → (72 × 12 + 14328 × 1) / 3.6e6 = 0.00422 kWh;
    // × 200 g/kWh × 730 = 616.12 g/month; cost = 4 core-h × 0.031611 = 0.126444 /h
    // → 92.30412 /month → high.
    expect(f.savings.monthlyKwh).toBeCloseTo(0.00422 * 730, 12);
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(616.12, 9);
    expect(f.savings.monthlyCost).toBeCloseTo(92.30412, 9);
    expect(f.priority).toBe('high');
    // 48 h of history: under a week.
    expect(f.risk).toBe('medium');
    expect(f.applyCommand).toBeNull();
    expect(f.revertCommand).toBeNull();
    // The snapshot is the busy share: 0.02 of 4 cores = 0.005.
    expect(f.snapshot.unit).toBe('fraction');
    expect(f.snapshot.p95).toBeCloseTo(0.005, 12);
    expect(f.snapshot.max).toBeCloseTo(0.01, 12);
    expect(f.snapshot.samples).toBe(576);
  });

  it('leaves busy hosts, a host exactly at the threshold and a brand-new host alone', () => {
    const context = engineContext({ hours: 48 });
    expect(
      buildIdleWorkspace(context, { ...idleHost, busySeconds: 345_600, idleSeconds: 345_600 }),
    ).toBeNull();
    // 2 % exactly is not "less than 2 %".
    expect(
      buildIdleWorkspace(context, { ...idleHost, busySeconds: 13_824, idleSeconds: 677_376 }),
    ).toBeNull();
    expect(buildIdleWorkspace(context, { ...idleHost, observedHours: 10 })).toBeNull();
  });
});

describe('CARBON_AWARE_SHIFT', () => {
  /** Two days of hourly intensity 105 + 20 × hour g/kWh: cleanest at 00:00 (105). */
  const hourly = new Map<number, number>();
  for (let hour = 0; hour < 48; hour++)
    hourly.set(FROM.getTime() + hour * HOUR_MS, 105 + 20 * (hour % 24));
  const context = engineContext({ hours: 48, hourly });
  const runsAt = (hours: number[], seconds = 5400): Map<number, number> =>
    new Map(
      [0, 24].flatMap((day) => hours.map((h) => [FROM.getTime() + (day + h) * HOUR_MS, seconds])),
    );
  const nightly = (hours: number[]): BatchUsageStats => ({
    namespace: 'etl',
    workload: 'nightly-report',
    workloadKind: 'CronJob',
    busySecondsByHour: runsAt(hours),
    samples: hours.length * 2,
  });

  it('moves a CronJob that runs at dirty hours to the cleanest hour, with savings by hand', () => {
    const f = buildCarbonAwareShift(context, nightly([14, 15]))!;
    expect(f.type).toBe('CARBON_AWARE_SHIFT');
    // 1.5 busy cores for an hour: 5400 s × 12 W / 3.6e6 = 0.018 kWh per run hour.
    // Per day: 0.018 × (385 − 105) + 0.018 × (405 − 105) = 10.44 g; 2 days = 20.88 g in 48 h
    // → 20.88 / 48 × 730 = 317.55 g/month. Run intensity (385 + 405) / 2 = 395 g/kWh,
    // 395 / 105 − 1 = 276 % above the cleanest.
    expect(f.savings.monthlyCo2eGrams).toBeCloseTo(317.55, 9);
    expect(f.savings.monthlyKwh).toBe(0);
    expect(f.savings.monthlyCost).toBe(0);
    expect(f.priority).toBe('low');
    expect(f.risk).toBe('low');
    expect(f.current).toEqual({ run_hours_utc: [14, 15], intensity_g_per_kwh: 395 });
    expect(f.recommended).toEqual({ run_hours_utc: [0], intensity_g_per_kwh: 105 });
    expect(f.description).toBe(
      "CronJob etl/nightly-report ran at 14:00–16:00 UTC at 395 g/kWh, 276% above the day's cleanest hour (105 g/kWh); running it then would save 318 gCO2e/month",
    );
    expect(f.applyCommand).toBeNull();
    expect(f.snapshot.unit).toBe('g_per_kwh');
    expect(f.snapshot.p50).toBe(395);
    expect(f.snapshot.max).toBe(405);
    expect(f.target).toMatchObject({
      kind: 'workload',
      namespace: 'etl',
      workload: 'nightly-report',
    });
  });

  it('needs the run hours to be at least 20 % above the cleanest hour', () => {
    // 00:00 is the cleanest; 01:00 is 125 / 105 = 1.19×; 02:00 is 145 / 105 = 1.38×.
    expect(buildCarbonAwareShift(context, nightly([0]))).toBeNull();
    expect(buildCarbonAwareShift(context, nightly([1]))).toBeNull();
    expect(buildCarbonAwareShift(context, nightly([2]))).not.toBeNull();
  });

  it('only considers batch work', () => {
    expect(isBatchWorkload('CronJob', 'etl')).toBe(true);
    expect(isBatchWorkload('Job', 'default')).toBe(true);
    expect(isBatchWorkload('Pod', 'ci')).toBe(true);
    expect(isBatchWorkload('TaskRun', 'tekton-pipelines')).toBe(true);
    expect(isBatchWorkload('Deployment', 'ci')).toBe(false);
    expect(isBatchWorkload('Pod', 'shop')).toBe(false);
    expect(isCiNamespace('gitlab-runner')).toBe(true);
    expect(isCiNamespace('web-ci')).toBe(true);
    expect(isCiNamespace('cicd')).toBe(false);
    expect(isCiNamespace('pricing')).toBe(false);
    const findings = generateFindings(context, {
      workloads: [],
      hosts: [],
      batch: [{ ...nightly([14]), workloadKind: 'Deployment', namespace: 'shop' }],
    });
    expect(findings).toEqual([]);
  });
});

describe('generateFindings', () => {
  it('skips batch workloads for rightsizing and sorts by CO2e saved', () => {
    const hourly = new Map<number, number>([[FROM.getTime() + 14 * HOUR_MS, 400]]);
    hourly.set(FROM.getTime(), 100);
    const context = engineContext({ hours: 24, hourly });
    context.window = { from: FROM, to: new Date(FROM.getTime() + 24 * HOUR_MS) };
    const findings = generateFindings(context, {
      workloads: [
        workload(),
        workload({ workload: 'report', workloadKind: 'CronJob', namespace: 'etl' }),
      ],
      hosts: [],
      batch: [
        {
          namespace: 'ci',
          workload: 'ci',
          workloadKind: 'Namespace',
          busySecondsByHour: new Map([[FROM.getTime() + 14 * HOUR_MS, 7200]]),
          samples: 1,
        },
      ],
    });
    // The shift: 7200 s × 12 W / 3.6e6 = 0.024 kWh × (400 − 100) = 7.2 g in 24 h → 219 g/month;
    // the CPU rightsizing saves 436.832 g/month, so it comes first.
    expect(findings.map((f) => [f.type, f.target.workload])).toEqual([
      ['RIGHTSIZING_CPU', 'web'],
      ['CARBON_AWARE_SHIFT', 'ci'],
    ]);
    expect(findings[1]!.savings.monthlyCo2eGrams).toBeCloseTo(219, 9);
    expect(findings[1]!.description).toMatch(/^Batch pods in namespace ci ran at 14:00–15:00 UTC/);
  });
});

describe('helpers', () => {
  it('builds kubectl commands', () => {
    expect(kubectlSetRequests('a', 'StatefulSet', 'db', 'pg', 'memory', '2Gi')).toBe(
      'kubectl -n a set resources statefulset/db -c pg --requests=memory=2Gi',
    );
    expect(kubectlScale('a', 'Deployment', 'x', 3)).toBe(
      'kubectl -n a scale deployment/x --replicas=3',
    );
    expect(shellQuote('x"} or vector(1)')).toBe(`'x"} or vector(1)'`);
  });

  it('formats run hours as ranges', () => {
    expect(formatHourRanges([15, 14, 18])).toBe('14:00–16:00, 18:00–19:00 UTC');
    expect(formatHourRanges([23])).toBe('23:00–00:00 UTC');
  });

  it('interpolates quantiles like PromQL', () => {
    // rank = 0.95 × (5 − 1) = 3.8 → 4 + 0.8 × (5 − 4) = 4.8.
    expect(quantileOf([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8, 12);
    expect(quantileOf([7], 0.5)).toBe(7);
  });
});

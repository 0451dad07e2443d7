/**
 * Hand-built recommendation findings for the lifecycle, store and command tests, with numbers
 * derived by the SPEC §2/§8 rules so they are easy to check by hand:
 *
 * A CPU rightsizing of 2 cores → 0.5 core on the ada profile frees 1.5 reserved idle cores:
 *   1.5 cores × 1 W = 1.5 W = 0.0015 kWh/h → × 730 = 1.095 kWh/month;
 *   at 200 g/kWh: 0.3 g/h → 219 gCO2e/month;
 *   cost 1.5 cores × 0.031611 USD/core-hour = 0.0474165 USD/h → 34.614045 USD/month.
 */
import type {
  RecommendationFinding,
  RecommendationPriority,
  RecommendationRisk,
  RecommendationType,
} from '../../src/core/recommendation-model.js';

/** What a test varies; everything else has the defaults above. */
export interface FindingInput {
  id: string;
  type?: RecommendationType;
  cluster?: string;
  namespace?: string;
  workload?: string;
  container?: string;
  host?: string;
  currentCores?: number;
  recommendedCores?: number;
  currentMemoryBytes?: number;
  recommendedMemoryBytes?: number;
  monthlyCo2eGrams?: number;
  monthlyKwh?: number;
  monthlyCost?: number;
  currency?: string;
  priority?: RecommendationPriority;
  risk?: RecommendationRisk;
  description?: string;
}

/** One finding; the default is the CPU rightsizing worked out in the file comment. */
export function finding(input: FindingInput): RecommendationFinding {
  const type = input.type ?? 'RIGHTSIZING_CPU';
  const host = type === 'IDLE_WORKSPACE';
  const cluster = input.cluster ?? 'prod';
  const namespace = host ? null : (input.namespace ?? 'shop');
  const workload = host ? null : (input.workload ?? 'web');
  const container = type.startsWith('RIGHTSIZING') ? (input.container ?? 'app') : null;
  const monthlyCost = input.monthlyCost ?? 34.614045;
  const current =
    type === 'RIGHTSIZING_MEMORY'
      ? { memory_request_bytes: input.currentMemoryBytes ?? 2 * 2 ** 30, replicas: 2 }
      : host
        ? { cores: 4, state: 'running' }
        : { cpu_request_cores: input.currentCores ?? 2, replicas: 2 };
  const recommended =
    type === 'RIGHTSIZING_MEMORY'
      ? { memory_request_bytes: input.recommendedMemoryBytes ?? 2 ** 29, replicas: 2 }
      : host
        ? { cores: 4, state: 'suspended' }
        : type === 'IDLE_WORKLOAD'
          ? { cpu_request_cores: input.currentCores ?? 2, replicas: 0 }
          : { cpu_request_cores: input.recommendedCores ?? 0.5, replicas: 2 };
  const target = host
    ? `${cluster}/${input.host ?? 'ws-1'}`
    : `${namespace ?? ''}/${workload ?? ''}${container === null ? '' : `/${container}`}`;
  return {
    id: input.id,
    type,
    target: {
      cluster,
      kind: host ? 'host' : container === null ? 'workload' : 'container',
      namespace,
      workload,
      workloadKind: host ? null : 'Deployment',
      container,
      host: host ? (input.host ?? 'ws-1') : null,
    },
    title: `${type} of ${target}`,
    description:
      input.description ?? 'CPU request 2000m is 4.8× the p95 usage 420m; recommend 500m',
    current,
    recommended,
    currentHourlyCost: 0.126444,
    savings: {
      monthlyCo2eGrams: input.monthlyCo2eGrams ?? 219,
      monthlyKwh: input.monthlyKwh ?? 1.095,
      monthlyCost,
      hourlyCost: monthlyCost / 730,
      currency: input.currency ?? 'USD',
    },
    priority: input.priority ?? 'medium',
    risk: input.risk ?? 'low',
    snapshot: {
      windowFrom: '2026-11-07T12:00:00.000Z',
      windowTo: '2026-11-21T12:00:00.000Z',
      samples: 4032,
      unit: 'cores',
      p50: 0.3,
      p95: 0.42,
      p99: 0.45,
      max: 0.6,
      replicas: 2,
      restarts: 0,
      oomKills: 0,
    },
    applyCommand: host
      ? null
      : `kubectl -n ${namespace ?? ''} set resources deployment/${workload ?? ''} -c ${container ?? ''} --requests=cpu=500m`,
    revertCommand: host
      ? null
      : `kubectl -n ${namespace ?? ''} set resources deployment/${workload ?? ''} -c ${container ?? ''} --requests=cpu=2000m`,
  };
}

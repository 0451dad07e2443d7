/**
 * `carbonctl recommendations` through the in-process runner. Generations are simulated by
 * syncing hand-built findings through the store API (the engine has its own tests against the
 * real Prometheus), so every number here is checked against the hand computation in
 * test/helpers/recommendation-findings.ts.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecommendationFinding } from '../../src/core/recommendation-model.js';
import type { Prompter } from '../../src/io/prompter.js';
import { openLedger } from '../../src/store/ledger.js';
import { removeDir, run, tempDir, type RunOptions } from '../helpers/context.js';
import { finding } from '../helpers/recommendation-findings.js';

const GENERATED_AT = new Date('2026-11-21T12:00:00Z');

let dir: string;
let ledgerPath: string;

beforeEach(() => {
  dir = tempDir();
  ledgerPath = join(dir, 'ledger.db');
});

afterEach(() => removeDir(dir));

/** A generation, as `generate` would store it (same store call, same merge rules). */
function generate(
  findings: RecommendationFinding[],
  clusters: string[] = ['prod', 'lab'],
  now = GENERATED_AT,
): void {
  const ledger = openLedger(ledgerPath, { clock: () => now });
  try {
    ledger.recommendations.sync(findings, { clusters, now });
  } finally {
    ledger.close();
  }
}

function findings(): RecommendationFinding[] {
  return [
    finding({ id: '3f9c01ab' }),
    finding({
      id: '3f9d77ee',
      type: 'RIGHTSIZING_MEMORY',
      namespace: 'db',
      workload: 'pg',
      container: 'postgres',
      monthlyCo2eGrams: 150,
      monthlyKwh: 0.75,
      monthlyCost: 2,
      priority: 'low',
      risk: 'medium',
    }),
    finding({
      id: 'a71e0042',
      type: 'IDLE_WORKSPACE',
      cluster: 'lab',
      host: 'ws-7',
      monthlyCo2eGrams: 90,
      monthlyKwh: 0.45,
      monthlyCost: 60,
      priority: 'high',
    }),
  ];
}

function carbonctl(args: string[], options: RunOptions = {}) {
  return run(args, { dir, ...options, env: { CARBONCTL_LEDGER: ledgerPath, ...options.env } });
}

/** A prompter that answers confirm() with `answer` and remembers the questions. */
function confirming(answer: boolean): Prompter & { questions: string[] } {
  const questions: string[] = [];
  const unexpected = () => Promise.reject(new Error('unexpected prompt'));
  return {
    questions,
    input: unexpected,
    select: unexpected,
    password: unexpected,
    confirm: (message: string) => {
      questions.push(message);
      return Promise.resolve(answer);
    },
  };
}

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('recommendations list', () => {
  beforeEach(() => generate(findings()));

  it('prints the Kubeadapt-like JSON, money as {amount, currency} with 4-decimal amounts', async () => {
    const result = await carbonctl(['recommendations', '-o', 'json', '--type', 'RIGHTSIZING_CPU']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    // current hourly cost 0.126444 → "0.1264 USD"; estimated hourly 34.614045 / 730 = 0.0474165
    // → "0.0474 USD"; monthly 34.614045 → "34.6140 USD".
    expect(json(result.stdout)).toEqual({
      data: [
        {
          id: '3f9c01ab',
          kind: 'Recommendation',
          metadata: {
            recommendation_type: 'RIGHTSIZING_CPU',
            resource_type: 'Deployment',
            resource_name: 'web',
            resource_uid: null,
            namespace: 'shop',
            container: 'app',
            cluster: { id: 'prod', name: 'prod' },
            title: 'RIGHTSIZING_CPU of shop/web/app',
            description: 'CPU request 2000m is 4.8× the p95 usage 420m; recommend 500m',
            // p95 0.42 cores of a 2-core request = 21 %.
            cause: 'p95 CPU 420m vs request 2000m (21.0 % of the request)',
            risk_level: 'low',
            priority: 'medium',
            status: 'active',
            data_points_analyzed: 4032,
            created_at: '2026-11-21T12:00:00.000Z',
            updated_at: '2026-11-21T12:00:00.000Z',
            last_seen_at: '2026-11-21T12:00:00.000Z',
            applied_at: null,
            ignored_reason: null,
          },
          current: {
            config: { cpu_request_cores: 2, replicas: 2 },
            hourly_cost: { amount: '0.1264', currency: 'USD' },
          },
          recommended: { config: { cpu_request_cores: 0.5, replicas: 2 } },
          // Kubeadapt: an empty config while nothing is applied.
          applied: { config: {} },
          savings: {
            estimated_hourly: { amount: '0.0474', currency: 'USD' },
            estimated_monthly_cost: { amount: '34.6140', currency: 'USD' },
            estimated_monthly_co2e_g: 219,
            estimated_monthly_kwh: 1.095,
          },
          metrics_snapshot: {
            window: {
              start_at: '2026-11-07T12:00:00.000Z',
              end_at: '2026-11-21T12:00:00.000Z',
              samples: 4032,
            },
            cpu: {
              request_cores: 2,
              used_cores_p50: 0.3,
              used_cores_p95: 0.42,
              utilization_percent_p95: 21,
            },
            memory: null,
            replicas: { desired_avg: 2, running_avg: 2 },
            restarts_total: 0,
            oom_kills_total: 0,
          },
        },
      ],
      meta: { total: 1 },
    });
  });

  it('lists active ones by monthly CO2e by default, by cost with --sort cost, limited with --limit', async () => {
    const ids = async (args: string[]) => {
      const result = await carbonctl(['recommendations', 'list', '-o', 'json', ...args]);
      expect(result.code).toBe(0);
      const data = json(result.stdout) as { data: Array<{ id: string }>; meta: { total: number } };
      return [data.data.map((item) => item.id), data.meta.total];
    };
    expect(await ids([])).toEqual([['3f9c01ab', '3f9d77ee', 'a71e0042'], 3]);
    expect(await ids(['--sort', 'cost'])).toEqual([['a71e0042', '3f9c01ab', '3f9d77ee'], 3]);
    expect(await ids(['--sort', 'cost', '--limit', '2'])).toEqual([['a71e0042', '3f9c01ab'], 3]);
    expect(await ids(['--priority', 'high,low'])).toEqual([['3f9d77ee', 'a71e0042'], 2]);
    expect(await ids(['--risk', 'medium'])).toEqual([['3f9d77ee'], 1]);
    expect(await ids(['--namespace', 'db'])).toEqual([['3f9d77ee'], 1]);
    expect(await ids(['--cluster', 'lab'])).toEqual([['a71e0042'], 1]);
    // Kubeadapt's filters: workload by name or namespace/name (or host), resource type.
    expect(await ids(['--workload', 'web'])).toEqual([['3f9c01ab'], 1]);
    expect(await ids(['--workload', 'db/pg'])).toEqual([['3f9d77ee'], 1]);
    expect(await ids(['--workload', 'ws-7'])).toEqual([['a71e0042'], 1]);
    expect(await ids(['--resource-type', 'Host'])).toEqual([['a71e0042'], 1]);
    expect(await ids(['--resource-type', 'Deployment', '--limit', '1'])).toEqual([['3f9c01ab'], 2]);
    // History (GreenKube): generated 2026-11-21T12:00, so seen in a window from that day, not after it.
    expect(await ids(['--from', '2026-11-21', '--to', '2026-11-21'])).toEqual([
      ['3f9c01ab', '3f9d77ee', 'a71e0042'],
      3,
    ]);
    expect(await ids(['--from', '2026-11-22'])).toEqual([[], 0]);
    // A date-only --to is the end of that day: 2026-11-20 ends before the generation.
    expect(await ids(['--to', '2026-11-20'])).toEqual([[], 0]);
    expect(await ids(['--to', '2026-11-21'])).toEqual([['3f9c01ab', '3f9d77ee', 'a71e0042'], 3]);
    // 0.1kg = 100 g: 219 and 150 qualify, 90 does not.
    expect(await ids(['--min-savings-co2e', '0.1kg'])).toEqual([['3f9c01ab', '3f9d77ee'], 2]);
    expect(await ids(['--min-savings-cost', '30'])).toEqual([['3f9c01ab', 'a71e0042'], 2]);
    expect(await ids(['--status', 'ignored,stale'])).toEqual([[], 0]);
  });

  it('rejects unknown enum values with exit 2, listing the allowed set', async () => {
    const type = await carbonctl(['recommendations', '--type', 'RIGHTSIZING_CPU,RIGHTSIZING_GPU']);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain(
      '--type RIGHTSIZING_GPU: unknown value (allowed: RIGHTSIZING_CPU, RIGHTSIZING_MEMORY, IDLE_WORKSPACE, IDLE_WORKLOAD, CARBON_AWARE_SHIFT)',
    );
    const status = await carbonctl(['recommendations', 'list', '--status', 'done']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('(allowed: active, applied, ignored, stale)');
    const priority = await carbonctl(['recommendations', 'list', '--priority', 'urgent']);
    expect(priority.stderr).toContain('(allowed: high, medium, low)');
    const sort = await carbonctl(['recommendations', 'list', '--sort', 'kwh']);
    expect(sort.code).toBe(2);
    expect(sort.stderr).toMatch(/co2, cost/);
    const mass = await carbonctl(['recommendations', 'list', '--min-savings-co2e', 'lots']);
    expect(mass.code).toBe(2);
    expect(mass.stderr).toContain('--min-savings-co2e lots is not a mass');
  });

  it('prints a plain table with units in the headers when not on a terminal', async () => {
    const result = await carbonctl(['recommendations']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+Type\s+Target\s+Change\s+Status\s+Priority\s+Risk\s+Saves gCO2e\/month\s+Saves kWh\/month\s+Saves USD\/month$/,
    );
    expect(lines[1]).toMatch(
      /^3f9c01ab\s+RIGHTSIZING_CPU\s+prod\/shop\/web\/app\s+cpu 2000m, replicas 2 → cpu 500m, replicas 2\s+active\s+medium\s+low\s+219\s+1\.09\s+34\.6$/,
    );
    expect(lines[3]).toMatch(
      /^a71e0042\s+IDLE_WORKSPACE\s+lab\/ws-7\s+4 cores, running → 4 cores, suspended/,
    );
  });

  it('writes CSV with full precision', async () => {
    const result = await carbonctl(['recommendations', '-o', 'csv', '--limit', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[1]).toContain(',219,1.095,34.614045');
  });
});

describe('recommendations with no ledger yet', () => {
  it('lists nothing, with a notice, and exit 0', async () => {
    const result = await carbonctl(['recommendations', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({ data: [], meta: { total: 0 } });
    expect(result.stderr).toContain('recommendations generate');
  });

  it('refuses show/apply with exit 2, saying to generate first', async () => {
    for (const args of [
      ['show', 'abc'],
      ['apply', 'abc', '--yes'],
    ]) {
      const result = await carbonctl(['recommendations', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('there are no recommendations yet');
    }
  });
});

describe('recommendations show', () => {
  beforeEach(() => generate(findings()));

  it('shows one by unique prefix with the metrics snapshot and the kubectl command', async () => {
    const result = await carbonctl(['recommendations', 'show', '3f9c', '-o', 'json']);
    expect(result.code).toBe(0);
    const data = (json(result.stdout) as { data: Record<string, unknown> }).data;
    expect(data.id).toBe('3f9c01ab');
    expect(data.metrics_snapshot).toEqual({
      window: { from: '2026-11-07T12:00:00.000Z', to: '2026-11-21T12:00:00.000Z' },
      samples: 4032,
      unit: 'cores',
      p50: 0.3,
      p95: 0.42,
      p99: 0.45,
      max: 0.6,
      replicas: 2,
      restarts: 0,
      oom_kills: 0,
    });
    expect(data.apply_command).toBe(
      'kubectl -n shop set resources deployment/web -c app --requests=cpu=500m',
    );
    const table = await carbonctl(['recommendations', 'show', '3F9C']);
    expect(table.stdout).toMatch(/p50 \/ p95 \/ p99 \/ max\s+300m \/ 420m \/ 450m \/ 600m/);
    expect(table.stdout).toContain(
      'To apply it:\n  kubectl -n shop set resources deployment/web -c app --requests=cpu=500m\n',
    );
  });

  it('refuses an ambiguous prefix with exit 2, listing the candidates', async () => {
    const result = await carbonctl(['recommendations', 'show', '3f9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'id prefix 3f9 is ambiguous: it matches 2 recommendations (3f9c01ab, 3f9d77ee); give more characters',
    );
    const unknown = await carbonctl(['recommendations', 'show', 'ffff']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no recommendation has an id starting with ffff');
  });
});

describe('confirmation', () => {
  beforeEach(() => generate(findings()));

  it('off a terminal, apply and ignore need --yes (exit 2 naming it) and change nothing', async () => {
    for (const verb of ['apply', 'ignore']) {
      const result = await carbonctl(['recommendations', verb, '3f9c']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `recommendations ${verb} needs --yes when not run on a terminal`,
      );
    }
    const list = await carbonctl(['recommendations', '-o', 'json', '--status', 'active']);
    expect((json(list.stdout) as { meta: { total: number } }).meta.total).toBe(3);
  });

  it('on a terminal, asks first; yes applies, no cancels (exit 130) and changes nothing', async () => {
    const no = confirming(false);
    const declined = await carbonctl(['recommendations', 'apply', '3f9c'], {
      tty: true,
      prompter: no,
    });
    expect(declined.code).toBe(130);
    expect(no.questions).toEqual([
      'Record 3f9c01ab (RIGHTSIZING_CPU of prod/shop/web/app: cpu 2000m, replicas 2 → cpu 500m, replicas 2) as applied, saving 219 gCO2e, 1.09 kWh and 34.6140 USD per month (100% of the estimate)?',
    ]);
    const still = await carbonctl(['recommendations', 'show', '3f9c', '-o', 'json']);
    expect(
      (json(still.stdout) as { data: { metadata: { status: string } } }).data.metadata.status,
    ).toBe('active');

    const yes = confirming(true);
    const applied = await carbonctl(['recommendations', 'ignore', 'a71e'], {
      tty: true,
      prompter: yes,
    });
    expect(applied.code).toBe(0);
    expect(yes.questions).toHaveLength(1);
    expect(applied.stdout).toContain('Ignored a71e0042');
  });

  it('with --yes on a terminal, does not ask', async () => {
    const prompter = confirming(false);
    const result = await carbonctl(['recommendations', 'ignore', 'a71e', '--yes'], {
      tty: true,
      prompter,
    });
    expect(result.code).toBe(0);
    expect(prompter.questions).toEqual([]);
  });
});

describe('the lifecycle', () => {
  it('generate → ignore → generate (still ignored) → restore → apply with an actual request → savings', async () => {
    generate(findings());
    const ignore = await carbonctl(
      ['recommendations', 'ignore', '3f9c', '--reason', 'peak season', '--yes', '-o', 'json'],
      { now: new Date('2026-11-22T00:00:00Z') },
    );
    expect(ignore.code).toBe(0);
    expect(json(ignore.stdout)).toMatchObject({
      id: '3f9c01ab',
      status: 'ignored',
      ignored_reason: 'peak season',
    });

    // A week later: the CPU one is found again with bigger numbers, the memory one is gone.
    generate(
      [finding({ id: '3f9c01ab', monthlyCo2eGrams: 500 }), findings()[2]!],
      ['prod', 'lab'],
      new Date('2026-11-28T12:00:00Z'),
    );
    const afterSecond = await carbonctl([
      'recommendations',
      '-o',
      'json',
      '--status',
      'active,applied,ignored,stale',
    ]);
    const statuses = (
      json(afterSecond.stdout) as {
        data: Array<{
          id: string;
          metadata: { status: string };
          savings: { estimated_monthly_co2e_g: number };
        }>;
      }
    ).data.map((item) => [item.id, item.metadata.status, item.savings.estimated_monthly_co2e_g]);
    expect(statuses).toEqual([
      ['3f9c01ab', 'ignored', 219],
      ['3f9d77ee', 'stale', 150],
      ['a71e0042', 'active', 90],
    ]);

    const restore = await carbonctl(['recommendations', 'restore', '3f9c'], {
      now: new Date('2026-11-30T00:00:00Z'),
    });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toBe('Restored 3f9c01ab to active (it was ignored).\n');

    // Applied 2026-12-01T00:00Z with 800m set: share (2 − 0.8) / (2 − 0.5) = 0.8 →
    // 219 × 0.8 = 175.2 g, 1.095 × 0.8 = 0.876 kWh, 34.614045 × 0.8 = 27.691236 USD per month.
    const apply = await carbonctl(
      ['recommendations', 'apply', '3f9c', '--actual-cpu-request', '800m', '--yes', '-o', 'json'],
      { now: new Date('2026-12-01T00:00:00Z') },
    );
    expect(apply.code).toBe(0);
    const applied = json(apply.stdout) as {
      realized: {
        share: number;
        monthly_co2e_g: number;
        monthly_kwh: number;
        monthly_cost: string;
        source: string;
      };
    };
    expect(applied).toMatchObject({
      id: '3f9c01ab',
      status: 'applied',
      applied_at: '2026-12-01T00:00:00.000Z',
      applied: { config: { cpu_request_cores: 0.8, replicas: 2 } },
    });
    expect(applied.realized.share).toBeCloseTo(0.8, 12);
    expect(applied.realized.monthly_co2e_g).toBeCloseTo(175.2, 9);
    expect(applied.realized.monthly_kwh).toBeCloseTo(0.876, 12);
    expect(applied.realized.monthly_cost).toBe('27.6912 USD');
    expect(applied.realized.source).toBe('actual_request');

    // A generation after the apply leaves it applied.
    generate(
      [finding({ id: '3f9c01ab', monthlyCo2eGrams: 10 }), findings()[2]!],
      ['prod', 'lab'],
      new Date('2026-12-05T00:00:00Z'),
    );

    // Savings on 2027-01-16T00:00Z: in effect Dec 1 → Jan 16 = 31 + 15 days = 1104 h;
    // 175.2 / 730 = 0.24 g/h → December 744 h = 178.56 g, January 360 h = 86.4 g, total 264.96 g.
    const savings = await carbonctl(['recommendations', 'savings', '-o', 'json'], {
      now: new Date('2027-01-16T00:00:00Z'),
    });
    expect(savings.code).toBe(0);
    const report = json(savings.stdout) as {
      period: { from: string; to: string };
      by_type: Array<{
        type: string;
        potential: { monthly: Record<string, unknown> };
        realized: { monthly: Record<string, unknown>; in_period: Record<string, unknown> };
      }>;
      months: Array<{ period: string; realized: { co2e_g: number; kwh: number; cost: string } }>;
      years: Array<{ period: string; realized: { co2e_g: number } }>;
      totals: {
        potential: { monthly: Record<string, unknown>; yearly: Record<string, unknown> };
        realized: { in_period: { co2e_g: number; cost: string } };
      };
    };
    // The default period starts with the month of the first apply.
    expect(report.period).toEqual({
      from: '2026-12-01T00:00:00+00:00',
      to: '2027-01-16T00:00:00+00:00',
    });
    expect(report.months.map((m) => [m.period, m.realized.co2e_g])).toEqual([
      ['2026-12', expect.closeTo(178.56, 9)],
      ['2027-01', expect.closeTo(86.4, 9)],
    ]);
    // December kWh 0.0012 × 744 = 0.8928; cost 0.0379332 × 744 = 28.2223008 → "28.2223 USD".
    expect(report.months[0]?.realized.kwh).toBeCloseTo(0.8928, 12);
    expect(report.months[0]?.realized.cost).toBe('28.2223 USD');
    expect(report.years.map((y) => [y.period, y.realized.co2e_g])).toEqual([
      ['2026', expect.closeTo(178.56, 9)],
      ['2027', expect.closeTo(86.4, 9)],
    ]);
    expect(report.totals.realized.in_period.co2e_g).toBeCloseTo(264.96, 9);
    // Potential: only the workspace is active (90 g, 0.45 kWh, 60 USD per month; × 12 a year).
    expect(report.totals.potential.monthly).toEqual({
      count: 1,
      co2e_g: 90,
      kwh: 0.45,
      cost: '60.0000 USD',
    });
    expect(report.totals.potential.yearly).toEqual({
      count: 1,
      co2e_g: 1080,
      kwh: 5.4,
      cost: '720.0000 USD',
    });
    const cpu = report.by_type.find((t) => t.type === 'RIGHTSIZING_CPU');
    expect(cpu?.realized.monthly).toEqual({
      count: 1,
      co2e_g: expect.closeTo(175.2, 9),
      kwh: expect.closeTo(0.876, 12),
      cost: '27.6912 USD',
    });

    // Restoring the applied one prints the command that puts the original request back, and
    // its savings stop accruing from then on.
    const undo = await carbonctl(['recommendations', 'restore', '3f9c'], {
      now: new Date('2027-01-16T00:00:00Z'),
    });
    expect(undo.code).toBe(0);
    expect(undo.stdout).toBe(
      'Restored 3f9c01ab to active (it was applied).\n' +
        'To put the original configuration back (cpu 2000m, replicas 2), run:\n' +
        '  kubectl -n shop set resources deployment/web -c app --requests=cpu=2000m\n',
    );
    const later = await carbonctl(
      ['recommendations', 'savings', '-o', 'json', '--from', '2026-12-01', '--to', '2027-02-28'],
      {
        now: new Date('2027-03-01T00:00:00Z'),
      },
    );
    const laterReport = json(later.stdout) as typeof report;
    expect(laterReport.months.map((m) => m.realized.co2e_g)).toEqual([
      expect.closeTo(178.56, 9),
      expect.closeTo(86.4, 9),
      0,
    ]);
  });

  it('refuses request flags that do not fit the type, and bad quantities, with exit 2', async () => {
    generate(findings());
    const wrong = await carbonctl([
      'recommendations',
      'apply',
      '3f9c',
      '--actual-memory-request',
      '1Gi',
      '--yes',
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      '--actual-memory-request does not apply to a RIGHTSIZING_CPU recommendation',
    );
    const bad = await carbonctl([
      'recommendations',
      'apply',
      '3f9c',
      '--actual-cpu-request',
      'two',
      '--yes',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--actual-cpu-request two is not a CPU quantity');
    const twice = await carbonctl(['recommendations', 'apply', 'a71e', '--yes']);
    expect(twice.code).toBe(0);
    const again = await carbonctl(['recommendations', 'apply', 'a71e', '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('cannot apply recommendation a71e0042: it is already applied');
  });
});

describe('completion of recommendation ids', () => {
  it('lists the ids from the ledger for `__complete recommendations`, nothing without a ledger', async () => {
    const none = await carbonctl(['__complete', 'recommendations']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    generate(findings());
    const result = await carbonctl(['__complete', 'recommendations']);
    expect(result.stdout).toBe('3f9c01ab\n3f9d77ee\na71e0042\n');
  });

  it('completes the id argument of show/apply/ignore/restore in the scripts', async () => {
    const bash = await carbonctl(['completion', 'bash']);
    for (const verb of ['show', 'apply', 'ignore', 'restore']) {
      expect(bash.stdout).toContain(
        `"recommendations ${verb}") if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "`,
      );
    }
    expect(bash.stdout).toContain('$(carbonctl __complete recommendations 2>/dev/null)');
    const fish = await carbonctl(['completion', 'fish']);
    expect(fish.stdout).toContain(
      "complete -c carbonctl -n '__fish_seen_subcommand_from apply; and __fish_seen_subcommand_from recommendations' -a '(carbonctl __complete recommendations 2>/dev/null)'",
    );
  });
});

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir } from '../helpers/context.js';
import { startLoopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { findAll, parseXml } from './budget-xml.js';
import type { CheckData } from '../../src/commands/budget/result.js';
import type { ServerResponse } from 'node:http';

// Until the lead adds `budget` and `clusters` to src/commands/registry.ts, register them for
// these tests; once registered this adds nothing.

const NOW = new Date('2026-11-21T12:00:00Z');

/** Offline inputs of SPEC §2's conformance example: 1000 busy + 5000 idle s at 185 g/kWh. */
const OFFLINE = ['--busy-cpu-seconds', '1000', '--idle-cpu-seconds', '5000', '--intensity', '185'];
// Energy (1000 × 12 + 5000 × 1) J / 3.6e6 = 0.0047222 kWh; CO2e × 185 = 0.8736111 g;
// cost (6000 / 3600) core-h × 0.031611 = 0.052685 USD.

function json(stdout: string): CheckData {
  return JSON.parse(stdout) as CheckData;
}

describe('budget check offline (no Prometheus)', () => {
  it('passes within budget (exit 0) with the SPEC §9 JSON shape', async () => {
    const result = await run(['budget', 'check', '--max-co2e', '1g', ...OFFLINE, '-o', 'json'], {
      now: NOW,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const data = json(result.stdout);
    expect(data.status).toBe('pass');
    expect(data.mode).toBe('offline');
    expect(data.measured.co2e_g).toBeCloseTo(0.8736111, 6);
    expect(data.measured.energy_kwh).toBeCloseTo(0.0047222, 7);
    expect(data.measured.cost).toBeCloseTo(0.052685, 6);
    expect(data.limits).toEqual({
      co2e_g: 1,
      energy_kwh: null,
      cost: null,
      max_increase_percent: null,
    });
    // 0.8736111 / 1 g = 87.36 %.
    expect(data.percent_used).toBeCloseTo(87.36111, 4);
    expect(data.window).toBeNull();
    expect(data.is_estimated).toBe(false);
  });

  it('fails over budget with exit 4, still printing the result', async () => {
    const result = await run(
      ['budget', 'check', '--max-co2e', '0.5g', '--max-energy', '1kWh', ...OFFLINE, '-o', 'json'],
      { now: NOW },
    );
    expect(result.code).toBe(4);
    const data = json(result.stdout);
    expect(data.status).toBe('fail');
    expect(data.checks).toEqual([
      expect.objectContaining({ metric: 'co2e', limit: 0.5, status: 'fail' }),
      expect.objectContaining({ metric: 'energy', limit: 1, status: 'pass' }),
    ]);
    // Binding limit: 0.8736 / 0.5 = 174.7 %.
    expect(data.percent_used).toBeCloseTo(174.72222, 4);
    expect(result.stderr).toContain('error: over budget: co2e 0.874 gCO2e > 0.5 gCO2e');
  });

  it('accepts kg and t limits and a cost limit', async () => {
    const kg = await run(['budget', 'check', '--max-co2e', '0.0008kg', ...OFFLINE, '-o', 'json'], {
      now: NOW,
    });
    // 0.0008 kg = 0.8 g < 0.8736 g.
    expect(kg.code).toBe(4);
    expect(json(kg.stdout).limits.co2e_g).toBeCloseTo(0.8, 12);
    const tonnes = await run(['budget', 'check', '--max-co2e', '0.1t', ...OFFLINE, '-o', 'json'], {
      now: NOW,
    });
    expect(tonnes.code).toBe(0);
    expect(json(tonnes.stdout).limits.co2e_g).toBe(100_000);
    const cost = await run(['budget', 'check', '--max-cost', '0.05', ...OFFLINE, '-o', 'json'], {
      now: NOW,
    });
    // 0.052685 USD > 0.05.
    expect(cost.code).toBe(4);
  });

  it('prints measured vs limit and percent used for people', async () => {
    const result = await run(['budget', 'check', '--max-co2e', '1g', ...OFFLINE], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Budget check: PASS — 0.874 gCO2e of 1 gCO2e (87.4% used)');
    expect(result.stdout).toMatch(/CO2e \(gCO2e\)\s+0\.874\s+1\s+87\.4%\s+within/);
    expect(result.stdout).toContain('Offline: 1,000 busy + 5,000 idle CPU core-seconds');
  });

  it('uses a named budget’s limits from the config', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({ budgets: [{ name: 'ci', scope: { namespace: 'ci' }, max_co2e_g: 0.5 }] }),
    );
    const result = await run(['budget', 'check', '--budget', 'ci', ...OFFLINE, '-o', 'json'], {
      now: NOW,
      dir,
    });
    expect(result.code).toBe(4);
    expect(json(result.stdout)).toMatchObject({ budget: 'ci', limits: { co2e_g: 0.5 } });
    const unknown = await run(['budget', 'check', '--budget', 'nope', ...OFFLINE], {
      now: NOW,
      dir,
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--budget nope is not a configured budget');
    expect(unknown.stderr).toContain('Configured budgets: ci.');
  });
});

describe('budget check usage errors (exit 2)', () => {
  const cases: Array<[string, string[], string]> = [
    ['a bad mass', ['--max-co2e', '5 parsecs', ...OFFLINE], '--max-co2e 5 parsecs is not a mass'],
    ['a negative energy', ['--max-energy', '-1', ...OFFLINE], '--max-energy -1 is not an energy'],
    [
      'a non-numeric cost',
      ['--max-cost', 'lots', ...OFFLINE],
      '--max-cost lots is not a non-negative number',
    ],
    ['no limit at all', [...OFFLINE], 'budget check needs a limit'],
    ['no window when live', ['--max-co2e', '1kg'], 'budget check needs a window to measure'],
    [
      'two windows',
      ['--max-co2e', '1kg', '--window', '1h', '--since', '2026-11-21'],
      '--window and --since cannot be combined',
    ],
    ['--to without --from', ['--max-co2e', '1kg', '--to', '2026-11-21'], '--to needs --from'],
    ['a bad duration', ['--max-co2e', '1kg', '--window', '5m'], '--window 5m'],
    ['a window in the future', ['--max-co2e', '1kg', '--since', '2026-12-01'], 'is empty'],
    [
      'offline with a window',
      ['--max-co2e', '1kg', '--window', '1h', ...OFFLINE],
      '--window measures live',
    ],
    [
      '--max-increase without a baseline',
      ['--max-co2e', '1kg', '--max-increase', '10%', ...OFFLINE],
      '--max-increase needs --baseline',
    ],
    [
      'a bad percentage',
      ['--baseline', 'x.json', '--max-increase', 'ten', ...OFFLINE],
      '--max-increase ten is not a percentage',
    ],
    [
      'an injection attempt in --selector',
      ['--max-co2e', '1kg', '--window', '1h', '--selector', 'x"} or vector(1) #'],
      '--selector: label matchers',
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}`, async () => {
      const result = await run(['budget', 'check', ...args], { now: NOW });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    });
  }
});

describe('budget check on GitHub Actions and with --junit', () => {
  it('writes ::error annotations to stderr and a step summary, keeping stdout one JSON document', async () => {
    const dir = tempDir();
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const result = await run(['budget', 'check', '--max-co2e', '0.5g', ...OFFLINE, '-o', 'json'], {
      now: NOW,
      dir,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.code).toBe(4);
    expect(json(result.stdout).status).toBe('fail');
    // At the start of a line, no timestamp prefix: the runner only parses commands there.
    // `%` is escaped as `%25` in workflow commands (GitHub shows "175% used").
    expect(result.stderr).toMatch(
      /^::error title=Carbon budget::over budget: co2e: 0\.874 gCO2e of 0\.5 gCO2e \(175%25 used\)$/m,
    );
    const markdown = readFileSync(summary, 'utf8');
    expect(markdown.startsWith('# earlier step\n### Carbon budget check: ❌ fail\n')).toBe(true);
    expect(markdown).toContain('| CO2e (gCO2e) | 0.874 | 0.5 | 175% | OVER |');
    expect(markdown).toContain('- Offline: 1,000 busy + 5,000 idle CPU core-seconds');
  });

  it('writes ::notice annotations when within budget, and nothing off GitHub', async () => {
    const onGithub = await run(['budget', 'check', '--max-co2e', '1g', ...OFFLINE], {
      now: NOW,
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(onGithub.code).toBe(0);
    expect(onGithub.stderr).toMatch(
      /^::notice title=Carbon budget::within budget: co2e: 0\.874 gCO2e of 1 gCO2e \(87\.4%25 used\)$/m,
    );
    const local = await run(['budget', 'check', '--max-co2e', '1g', ...OFFLINE], { now: NOW });
    expect(local.stderr).not.toContain('::');
  });

  it('writes a well-formed JUnit XML file with one test case per limit', async () => {
    const dir = tempDir();
    const file = join(dir, 'reports', 'carbon.xml');
    const result = await run(
      [
        'budget',
        'check',
        '--max-co2e',
        '0.5g',
        '--max-energy',
        '1kWh',
        ...OFFLINE,
        '--junit',
        file,
      ],
      { now: NOW, dir },
    );
    expect(result.code).toBe(4);
    const xml = readFileSync(file, 'utf8');
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => c.attributes.name)).toEqual(['co2e <= 0.5 gCO2e', 'energy <= 1 kWh']);
    const [failure] = findAll(cases[0]!, 'failure');
    expect(failure!.attributes.type).toBe('BudgetExceeded');
    expect(failure!.attributes.message).toBe(
      '0.874 gCO2e is over the limit of 0.5 gCO2e (175% used)',
    );
    expect(findAll(cases[1]!, 'failure')).toEqual([]);
    const properties = Object.fromEntries(
      findAll(root, 'property').map((p) => [p.attributes.name, p.attributes.value]),
    );
    expect(Number(properties['measured.co2e_g'])).toBeCloseTo(0.8736111, 6);
  });

  it('keeps the JUnit file well-formed whatever the budget name holds', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    const name = 'a<b>&"c\' ]]> \u0007';
    writeFileSync(
      join(dir, 'config', 'config.json'),
      JSON.stringify({ budgets: [{ name, max_co2e_g: 1 }] }),
    );
    const file = join(dir, 'carbon.xml');
    const result = await run(['budget', 'check', '--budget', name, ...OFFLINE, '--junit', file], {
      now: NOW,
      dir,
    });
    expect(result.code).toBe(0);
    const root = parseXml(readFileSync(file, 'utf8'));
    const suite = findAll(root, 'testsuite')[0]!;
    // The bell character is not allowed in XML at all; the rest survives escaped.
    expect(suite.attributes.name).toBe('carbon budget a<b>&"c\' ]]> ');
  });
});

describe('budget check baselines', () => {
  it('writes a baseline and fails on a regression above --max-increase', async () => {
    const dir = tempDir();
    const baseline = join(dir, 'baseline.json');
    const write = await run(
      ['budget', 'check', ...OFFLINE, '--write-baseline', baseline, '-o', 'json'],
      { now: NOW, dir },
    );
    expect(write.code).toBe(0);
    const recorded = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(recorded.format).toBe('carbonctl-budget-baseline/1');
    expect(recorded.measured.co2e_g).toBeCloseTo(0.8736111, 6);

    const check = (busy: string) =>
      run(
        [
          'budget',
          'check',
          '--busy-cpu-seconds',
          busy,
          '--idle-cpu-seconds',
          '5000',
          '--intensity',
          '185',
          '--baseline',
          baseline,
          '--max-increase',
          '10%',
          '-o',
          'json',
        ],
        { now: NOW, dir },
      );
    // 1100 busy: (13,200 + 5,000) / (12,000 + 5,000) J = +7.06 % ≤ 10 %.
    const within = await check('1100');
    expect(within.code).toBe(0);
    expect(json(within.stdout).baseline).toMatchObject({
      metric: 'co2e',
      status: 'pass',
      max_increase_percent: 10,
    });
    expect(json(within.stdout).baseline!.increase_percent).toBeCloseTo(7.0588235, 6);
    // 1200 busy: (14,400 + 5,000) / 17,000 = +14.1 % > 10 %.
    const regression = await check('1200');
    expect(regression.code).toBe(4);
    const data = json(regression.stdout);
    expect(data.status).toBe('fail');
    expect(data.baseline!.increase_percent).toBeCloseTo(14.1176471, 6);
    expect(regression.stderr).toContain('co2e regression over the baseline');
  });

  it('compares energy when asked, so a dirtier grid is not a regression', async () => {
    const dir = tempDir();
    const baseline = join(dir, 'baseline.json');
    await run(['budget', 'check', ...OFFLINE, '--write-baseline', baseline], { now: NOW, dir });
    // Same CPU-seconds at 300 g/kWh instead of 185: CO2e +62 %, energy +0 %.
    const args = [
      'budget',
      'check',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '300',
      '--baseline',
      baseline,
    ];
    expect((await run(args, { now: NOW, dir })).code).toBe(4);
    expect((await run([...args, '--baseline-metric', 'energy'], { now: NOW, dir })).code).toBe(0);
  });

  it('refuses a missing or foreign baseline file (exit 2)', async () => {
    const dir = tempDir();
    const missing = await run(
      ['budget', 'check', ...OFFLINE, '--baseline', join(dir, 'none.json')],
      { now: NOW, dir },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"hello": 1}');
    const bad = await run(['budget', 'check', ...OFFLINE, '--baseline', foreign], {
      now: NOW,
      dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has no usable measured.co2e_g');
  });
});

/** A Prometheus API that knows no series at all. */
function emptyPrometheus(req: { url: string; body: string }, res: ServerResponse): void {
  res.setHeader('content-type', 'application/json');
  if (req.url.startsWith('/api/v1/query_range')) {
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
  } else if (req.url.startsWith('/api/v1/query')) {
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
}

describe('budget check against loopback Prometheus servers', () => {
  let empty: LoopbackServer;
  let failing: LoopbackServer;
  let closedUrl: string;
  beforeAll(async () => {
    empty = await startLoopbackServer(emptyPrometheus);
    failing = await startLoopbackServer((_req, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain');
      res.end('upstream exploded');
    });
    const closed = await startLoopbackServer(() => undefined);
    closedUrl = closed.url;
    await closed.close();
  });
  afterAll(async () => {
    await empty.close();
    await failing.close();
  });

  const live = ['--max-co2e', '1kg', '--window', '1h', '--intensity', '185'];

  it('warns and passes when there is no data for the selection', async () => {
    const result = await run(
      [
        'budget',
        'check',
        ...live,
        '--namespace',
        'nobody',
        '--prometheus-url',
        empty.url,
        '-o',
        'json',
      ],
      { now: NOW },
    );
    expect(result.code).toBe(0);
    const data = json(result.stdout);
    expect(data).toMatchObject({ status: 'pass', missing_data: true, entity_count: 0 });
    expect(data.measured.co2e_g).toBe(0);
    expect(result.stderr).toContain('warning: no data for the selection in the window');
    // The namespace reached PromQL as an escaped matcher.
    const queries = empty.requests.map((r) => new URLSearchParams(r.body).get('query') ?? '');
    expect(queries.some((q) => q.includes('namespace="nobody"'))).toBe(true);
  });

  it('exits 5 on missing data with --fail-on-missing-data, with a JUnit failure', async () => {
    const dir = tempDir();
    const file = join(dir, 'carbon.xml');
    const result = await run(
      [
        'budget',
        'check',
        ...live,
        '--prometheus-url',
        empty.url,
        '--fail-on-missing-data',
        '--junit',
        file,
        '-o',
        'json',
      ],
      { now: NOW, dir, env: { GITHUB_ACTIONS: 'true' } },
    );
    expect(result.code).toBe(5);
    expect(json(result.stdout)).toMatchObject({ status: 'fail', missing_data: true });
    expect(result.stderr).toMatch(
      /^::error title=Carbon budget::no data for the selection in the window$/m,
    );
    const failure = findAll(parseXml(readFileSync(file, 'utf8')), 'failure')[0]!;
    expect(failure.attributes.type).toBe('MissingData');
  });

  it('exits 3 when Prometheus refuses connections, reporting it to CI', async () => {
    const dir = tempDir();
    const file = join(dir, 'carbon.xml');
    const result = await run(
      ['budget', 'check', ...live, '--prometheus-url', closedUrl, '--junit', file],
      {
        now: NOW,
        dir,
        env: { GITHUB_ACTIONS: 'true' },
      },
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Prometheus at ${closedUrl}/`);
    expect(result.stderr).toMatch(
      /^::error title=Carbon budget::carbonctl budget check could not measure: /m,
    );
    const root = parseXml(readFileSync(file, 'utf8'));
    expect(root.attributes).toMatchObject({ tests: '1', errors: '1' });
    expect(findAll(root, 'error')[0]!.attributes.type).toBe('DataSourceError');
  });

  it('exits 3 when Prometheus answers HTTP 500 after retries', async () => {
    const result = await run(['budget', 'check', ...live, '--prometheus-url', failing.url], {
      now: NOW,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('answered HTTP 500');
    // Retried before giving up (HttpClient: 3 retries after the first attempt).
    expect(failing.requests.length).toBeGreaterThan(1);
  });
});

describe('budget check intensity from the GB Carbon Intensity API (loopback)', () => {
  let uk: LoopbackServer;
  /** What the range endpoint answers: the hour 12:00Z as an actual and a forecast half-hour. */
  let rangeSlots: Array<{ from: string; to: string; actual: number | null; forecast: number }> = [];
  beforeAll(async () => {
    uk = await startLoopbackServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const slot = (from: string, to: string, actual: number | null, forecast: number) => ({
        from,
        to,
        intensity: { forecast, actual, index: 'moderate' },
      });
      if (/^\/intensity\/[^/]+\/fw24h$/.test(req.url)) {
        res.end(
          JSON.stringify({
            data: [
              slot('2026-11-21T12:00Z', '2026-11-21T12:30Z', null, 220),
              slot('2026-11-21T12:30Z', '2026-11-21T13:00Z', null, 240),
            ],
          }),
        );
      } else if (/^\/intensity\/[^/]+\/[^/]+$/.test(req.url)) {
        res.end(
          JSON.stringify({ data: rangeSlots.map((s) => slot(s.from, s.to, s.actual, s.forecast)) }),
        );
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  afterAll(() => uk.close());
  const cpu = ['--busy-cpu-seconds', '1000', '--idle-cpu-seconds', '5000'];
  const at = new Date('2026-11-21T12:40:00Z');

  it('uses the current hour’s actual and forecast halves, flagged as a forecast', async () => {
    rangeSlots = [
      { from: '2026-11-21T12:00Z', to: '2026-11-21T12:30Z', actual: 100, forecast: 110 },
      { from: '2026-11-21T12:30Z', to: '2026-11-21T13:00Z', actual: null, forecast: 200 },
    ];
    const result = await run(['budget', 'check', '--max-co2e', '1g', ...cpu, '-o', 'json'], {
      now: at,
      env: { CARBONCTL_INTENSITY_URL: uk.url },
    });
    expect(result.code).toBe(0);
    const data = json(result.stdout);
    // Hour mean: (100 actual + 200 forecast) / 2 = 150 g/kWh; 0.0047222 kWh × 150 = 0.7083333 g.
    expect(data.intensity.mean_g_per_kwh).toBeCloseTo(150, 10);
    expect(data.measured.co2e_g).toBeCloseTo(0.7083333, 6);
    expect(data).toMatchObject({ is_estimated: true, estimation_reasons: ['intensity_forecast'] });
  });

  it('falls back to the forecast endpoint when the range has nothing for the hour', async () => {
    rangeSlots = [];
    const result = await run(['budget', 'check', '--max-co2e', '1g', ...cpu, '-o', 'json'], {
      now: at,
      env: { CARBONCTL_INTENSITY_URL: uk.url },
    });
    // (220 + 240) / 2 = 230 g/kWh; 0.0047222 kWh × 230 = 1.0861111 g, over the 1 g limit.
    expect(result.code).toBe(4);
    const data = json(result.stdout);
    expect(data.intensity.mean_g_per_kwh).toBeCloseTo(230, 10);
    expect(data.measured.co2e_g).toBeCloseTo(1.0861111, 6);
    expect(data).toMatchObject({ status: 'fail', estimation_reasons: ['intensity_forecast'] });
    expect(uk.requests.some((r) => r.url.endsWith('/fw24h'))).toBe(true);
  });
});

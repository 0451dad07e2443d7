import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrometheusText } from '../../src/output/prometheus-text.js';
import { openLedger } from '../../src/store/ledger.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { finding } from '../helpers/recommendation-findings.js';
import { hourRow, tinyLedgerRows, writeLedger } from './ledger-readers.js';

const PROMTOOL = '/usr/bin/promtool';

/** `promtool check metrics` on the text: exit status and what it said (lint problems included). */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let dir: string;
let ledgerPath: string;

beforeAll(() => {
  dir = tempDir();
  ledgerPath = join(dir, 'ledger.db');
  writeLedger(ledgerPath, [
    ...tinyLedgerRows(),
    // A project whose name needs escaping in the exposition format.
    hourRow({
      entityId: 'host-q',
      hour: '2026-11-04T00:00:00Z',
      busySeconds: 3600,
      idleSeconds: 0,
      intensity: 50,
      labels: { project: 'say "hi"\\now', owner: 'q' },
    }),
  ]);
});

afterAll(() => removeDir(dir));

describe('export prometheus', () => {
  it('prints month-to-date gauges per cluster and project/namespace', async () => {
    const result = await run(['export', 'prometheus', '--ledger', ledgerPath], { dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    // November so far (the test clock is 2026-11-21T12Z): astro = alice 3.9 g + bob 3.6 g; shop = 0.65 g.
    expect(lines).toContain(
      'carbonctl_month_to_date_co2e_grams{cluster="default",project="astro"} 7.5',
    );
    expect(lines).toContain(
      'carbonctl_month_to_date_co2e_grams{cluster="k8s",namespace="shop"} 0.65',
    );
    expect(lines).toContain(
      'carbonctl_month_to_date_energy_kwh{cluster="default",project="astro"} 0.062',
    );
    expect(lines).toContain(
      'carbonctl_month_to_date_energy_kwh{cluster="default",project="say \\"hi\\"\\\\now"} 0.012',
    );
    expect(lines).toContain(
      'carbonctl_month_to_date_cost{cluster="k8s",currency="USD",namespace="shop"} 0.031611',
    );
    // The last committed hour of each (cluster, source): 2026-11-04T01:00Z and 2026-11-02T11:00Z.
    expect(lines).toContain(
      `carbonctl_ledger_last_tracked_timestamp_seconds{cluster="default",source="nodes"} ${Date.parse('2026-11-04T01:00:00Z') / 1000}`,
    );
    expect(lines).toContain(
      `carbonctl_ledger_last_tracked_timestamp_seconds{cluster="k8s",source="pods"} ${Date.parse('2026-11-02T11:00:00Z') / 1000}`,
    );
    expect(result.stdout).toMatch(
      /^# HELP carbonctl_month_to_date_co2e_grams Location-based Scope 2 emissions in gCO2e since 2026-11-01T00:00:00\+00:00 \(UTC\)/,
    );
  });

  it('passes `promtool check metrics`', async () => {
    const result = await run(['export', 'prometheus', '--ledger', ledgerPath], { dir });
    const check = promtoolCheck(result.stdout);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('writes the textfile atomically, replacing the previous one', async () => {
    const path = join(dir, 'textfile', 'carbonctl.prom');
    execFileSync('mkdir', ['-p', join(dir, 'textfile')]);
    writeFileSync(path, 'stale 1\n');
    const result = await run(
      ['export', 'prometheus', '--ledger', ledgerPath, '--textfile', path, '-o', 'json'],
      { dir },
    );
    expect(result.code).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^# HELP carbonctl_month_to_date_co2e_grams /);
    // 3 series (astro, the escaped project, shop) × 3 month-to-date families + 2 last-tracked
    // samples; the 6 recommendation families have no samples (no recommendations yet).
    expect(JSON.parse(result.stdout)).toEqual({
      path,
      families: 10,
      samples: 11,
      bytes: Buffer.byteLength(text),
    });
    expect(readdirSync(join(dir, 'textfile'))).toEqual(['carbonctl.prom']);
    expect(promtoolCheck(text).status).toBe(0);
  });

  it('warns when the textfile name will not be picked up by node_exporter', async () => {
    const result = await run(
      ['export', 'prometheus', '--ledger', ledgerPath, '--textfile', join(dir, 'carbon.txt')],
      { dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/only reads files ending in \.prom/);
  });

  it('keeps the metric families (without samples) when the month has no data yet', async () => {
    const result = await run(['export', 'prometheus', '--ledger', ledgerPath], {
      dir,
      now: new Date('2027-01-05T00:00:00Z'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /# TYPE carbonctl_month_to_date_co2e_grams gauge\n# HELP carbonctl_month_to_date_energy_kwh/,
    );
    expect(promtoolCheck(result.stdout).status).toBe(0);
  });
});

/** The samples of an exposition text: `name{labels}` → value. */
function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('export prometheus: recommendations', () => {
  let recDir: string;
  let recLedger: string;

  beforeAll(() => {
    recDir = tempDir();
    recLedger = join(recDir, 'ledger.db');
    writeLedger(recLedger, tinyLedgerRows());
    const ledger = openLedger(recLedger);
    ledger.recommendations.sync(
      [
        finding({ id: '3f9c01ab' }),
        finding({ id: '3f9d77ee', type: 'RIGHTSIZING_MEMORY', priority: 'low' }),
        finding({
          id: 'a71e0042',
          type: 'IDLE_WORKSPACE',
          cluster: 'lab',
          monthlyCo2eGrams: 90,
          priority: 'high',
        }),
      ],
      { clusters: ['prod', 'lab'], now: new Date('2026-11-10T00:00:00Z') },
    );
    // Applied 2026-11-11T00:00Z with 800m: share 0.8 → 175.2 g, 0.876 kWh, 27.691236 USD per month.
    ledger.recommendations.apply(
      '3f9c',
      { actualCpuRequestCores: 0.8 },
      new Date('2026-11-11T00:00:00Z'),
    );
    ledger.close();
  });

  afterAll(() => removeDir(recDir));

  it('exports active recommendations by type and priority and the realized savings', async () => {
    const result = await run(['export', 'prometheus', '--ledger', recLedger], { dir: recDir });
    expect(result.code).toBe(0);
    const samples = samplesOf(result.stdout);
    expect(
      samples.get(
        'carbonctl_recommendations_active{cluster="lab",priority="high",type="IDLE_WORKSPACE"}',
      ),
    ).toBe(1);
    expect(
      samples.get(
        'carbonctl_recommendations_active{cluster="prod",priority="low",type="RIGHTSIZING_MEMORY"}',
      ),
    ).toBe(1);
    // Applied, so no longer active; the series stays, at 0.
    expect(
      samples.get(
        'carbonctl_recommendations_active{cluster="prod",priority="medium",type="RIGHTSIZING_CPU"}',
      ),
    ).toBe(0);
    // 2 clusters × 5 types × 3 priorities, zero-filled.
    expect(
      [...samples.keys()].filter((k) => k.startsWith('carbonctl_recommendations_active{')),
    ).toHaveLength(30);
    expect(
      samples.get(
        'carbonctl_recommendations_potential_co2e_grams_per_month{cluster="lab",type="IDLE_WORKSPACE"}',
      ),
    ).toBe(90);
    expect(
      samples.get(
        'carbonctl_recommendations_potential_co2e_grams_per_month{cluster="prod",type="RIGHTSIZING_MEMORY"}',
      ),
    ).toBe(219);
    expect(
      samples.get(
        'carbonctl_recommendations_realized_co2e_grams_per_month{cluster="prod",type="RIGHTSIZING_CPU"}',
      ),
    ).toBeCloseTo(175.2, 9);
    // Month to date at 2026-11-21T12:00Z: in effect Nov 11 00:00 → Nov 21 12:00 = 252 h;
    // 0.24 g/h × 252 = 60.48 g; 0.0012 kWh/h × 252 = 0.3024 kWh; 0.0379332 USD/h × 252 = 9.5591664.
    expect(
      samples.get(
        'carbonctl_recommendations_realized_month_to_date_co2e_grams{cluster="prod",type="RIGHTSIZING_CPU"}',
      ),
    ).toBeCloseTo(60.48, 9);
    expect(
      samples.get(
        'carbonctl_recommendations_realized_month_to_date_energy_kwh{cluster="prod",type="RIGHTSIZING_CPU"}',
      ),
    ).toBeCloseTo(0.3024, 12);
    expect(
      samples.get(
        'carbonctl_recommendations_realized_month_to_date_cost{cluster="prod",currency="USD",type="RIGHTSIZING_CPU"}',
      ),
    ).toBeCloseTo(9.5591664, 9);
    const check = promtoolCheck(result.stdout);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('narrows the recommendation gauges with --cluster', async () => {
    const result = await run(['export', 'prometheus', '--ledger', recLedger, '--cluster', 'lab'], {
      dir: recDir,
    });
    expect(result.code).toBe(0);
    const names = [...samplesOf(result.stdout).keys()].filter((k) =>
      k.startsWith('carbonctl_recommendations'),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((k) => !k.includes('cluster="lab"'))).toEqual([]);
  });
});

describe('renderPrometheusText', () => {
  it('escapes label values and help text, sorts samples and spells special values', () => {
    const text = renderPrometheusText([
      {
        name: 'x_total_things',
        help: 'multi\nline \\ help',
        type: 'gauge',
        samples: [
          { labels: { b: 'two', a: 'line\nbreak' }, value: Number.POSITIVE_INFINITY },
          { labels: { a: 'q"uote' }, value: -0.5 },
          { labels: {}, value: Number.NaN },
        ],
      },
    ]);
    expect(text).toBe(
      '# HELP x_total_things multi\\nline \\\\ help\n' +
        '# TYPE x_total_things gauge\n' +
        'x_total_things NaN\n' +
        'x_total_things{a="line\\nbreak",b="two"} +Inf\n' +
        'x_total_things{a="q\\"uote"} -0.5\n',
    );
  });

  it('refuses invalid names and duplicate series', () => {
    expect(() =>
      renderPrometheusText([{ name: '1bad', help: '', type: 'gauge', samples: [] }]),
    ).toThrow(/invalid Prometheus metric name/);
    expect(() =>
      renderPrometheusText([
        {
          name: 'ok',
          help: '',
          type: 'gauge',
          samples: [{ labels: { 'bad-label': 'x' }, value: 1 }],
        },
      ]),
    ).toThrow(/invalid Prometheus label name/);
    expect(() =>
      renderPrometheusText([
        {
          name: 'ok',
          help: '',
          type: 'gauge',
          samples: [
            { labels: { a: 'x' }, value: 1 },
            { labels: { a: 'x' }, value: 2 },
          ],
        },
      ]),
    ).toThrow(/duplicate series/);
  });
});

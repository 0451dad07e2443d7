import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type HTMLElement } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/context.js';
import {
  HTML_REPORT_ARGS,
  INJECTION_OWNER,
  VANISHED_OWNER,
  writeHtmlReportLedger,
} from '../helpers/report-html-fixture.js';
import { escapeXml, niceTicks, sparklineSvg, stackedBarChart } from '../../src/output/svg.js';

type Row = Record<string, unknown> & {
  period: string;
  owner: string | null;
  total_kgco2e: number;
  energy_kwh: number;
  cost: number;
  avg_intensity_g_per_kwh: number | null;
};
interface ExportDocument {
  metadata: { data_quality: { coverage_percent: number; estimated_share: number } };
  esrs_e1: Record<string, number>;
  rows: Row[];
  totals: Record<string, number>;
}

let dir: string;
let ledger: string;
let html: string;
let page: HTMLElement;
let json: ExportDocument;

async function exportJson(args: string[]): Promise<ExportDocument> {
  const result = await run(
    ['report', 'export', '--ledger', ledger, ...args, '--format', 'json', '--out', '-'],
    { dir },
  );
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ExportDocument;
}

/** The full-precision value of the element carrying `data-field`, as a number (null when empty). */
function value(element: HTMLElement | null | undefined): number | null {
  expect(element, 'element present').toBeTruthy();
  const text = element?.getAttribute('data-value') ?? '';
  return text === '' ? null : Number(text);
}

function field(scope: HTMLElement, name: string): HTMLElement[] {
  return scope.querySelectorAll(`[data-field="${name}"]`);
}

function sum(values: number[]): number {
  return values.reduce((total, next) => total + next, 0);
}

beforeAll(async () => {
  dir = tempDir();
  ledger = join(dir, 'ledger.db');
  writeHtmlReportLedger(ledger);
  const result = await run(
    ['report', 'export', '--ledger', ledger, ...HTML_REPORT_ARGS, '--format', 'html', '--out', '-'],
    { dir },
  );
  expect(result.code, result.stderr).toBe(0);
  html = result.stdout;
  page = parse(html);
  json = await exportJson(HTML_REPORT_ARGS);
});

afterAll(() => removeDir(dir));

describe('report export --format html: the numbers are the JSON export’s', () => {
  it('shows the ESRS E1 totals, cost, coverage and estimated share of the JSON export', () => {
    for (const key of [
      'energy_consumption_mwh',
      'scope2_location_tco2e',
      'scope2_market_tco2e',
      'scope3_tco2e',
      'total_tco2e',
      'total_market_tco2e',
    ]) {
      const shown = field(page, `esrs_e1.${key}`);
      expect(shown.length, key).toBeGreaterThan(0);
      for (const element of shown) expect(value(element), key).toBe(json.esrs_e1[key]);
    }
    expect(value(field(page, 'totals.cost')[0])).toBe(json.totals.cost);
    expect(value(field(page, 'metadata.data_quality.coverage_percent')[0])).toBe(
      json.metadata.data_quality.coverage_percent,
    );
    expect(value(field(page, 'metadata.data_quality.estimated_share')[0])).toBe(
      json.metadata.data_quality.estimated_share,
    );
    // The fixture makes them meaningful: a forecast on 1 day in 11, a market factor of 60 g/kWh.
    expect(json.metadata.data_quality.estimated_share).toBeGreaterThan(0.05);
    expect(json.esrs_e1.scope2_market_tco2e).toBeLessThan(json.esrs_e1.scope2_location_tco2e ?? 0);
  });

  it('lists every owner with the sum of its JSON rows, its share and its per-week values', () => {
    const rows = page.querySelectorAll('#table-groups tr.group');
    // 10 owners (one without the label) in 2026 Q3: all fit in the table.
    expect(rows).toHaveLength(10);
    const grand = sum(json.rows.map((row) => row.total_kgco2e));
    let previousTotal = Infinity;
    for (const row of rows) {
      const name = row.querySelector('th')?.text ?? '';
      const owner = name === '(no owner)' ? null : name;
      const mine = json.rows.filter((r) => r.owner === owner);
      expect(mine.length, name).toBe(json.rows.length / 10);
      const total = value(row.querySelector('[data-field="group.total_kgco2e"]'));
      // Summed in period order, like a reader of the JSON: the very same double.
      expect(total, name).toBe(sum(mine.map((r) => r.total_kgco2e)));
      expect(value(row.querySelector('[data-field="group.energy_kwh"]'))).toBe(
        sum(mine.map((r) => r.energy_kwh)),
      );
      expect(value(row.querySelector('[data-field="group.cost"]'))).toBe(
        sum(mine.map((r) => r.cost)),
      );
      expect(value(row.querySelector('[data-field="group.share"]'))).toBeCloseTo(
        (total ?? 0) / grand,
        12,
      );
      // Largest first.
      expect(total ?? 0).toBeLessThanOrEqual(previousTotal);
      previousTotal = total ?? 0;
      expect(row.querySelectorAll('svg.sparkline polyline')).toHaveLength(1);
    }
  });

  it('compares each owner with its own JSON rows of the previous quarter, naming new and vanished owners', async () => {
    const previous = await exportJson([
      '--from',
      '2026-04-01',
      '--to',
      '2026-06-30',
      '--group-by',
      'owner',
      '--granularity',
      'quarterly',
    ]);
    const before = new Map(previous.rows.map((row) => [row.owner, row.total_kgco2e]));
    for (const row of page.querySelectorAll('#table-groups tr.group')) {
      const name = row.querySelector('th')?.text ?? '';
      const owner = name === '(no owner)' ? null : name;
      const current = value(row.querySelector('[data-field="group.total_kgco2e"]')) ?? 0;
      const change = row.querySelector('[data-field="group.change_percent"]');
      if (name === 'viz-lab') {
        // Not in Q2: new, no percentage.
        expect(before.has('viz-lab')).toBe(false);
        expect(change?.text).toBe('new');
        expect(value(change)).toBeNull();
        continue;
      }
      const earlier = before.get(owner);
      expect(earlier, name).toBeGreaterThan(0);
      expect(value(row.querySelector('[data-field="group.previous_total_kgco2e"]'))).toBeCloseTo(
        earlier ?? 0,
        12,
      );
      expect(value(change)).toBeCloseTo(((current - (earlier ?? 0)) / (earlier ?? 1)) * 100, 9);
    }
    const vanished = page.querySelector('#vanished');
    expect(vanished?.text).toContain(VANISHED_OWNER);
    expect(
      value(vanished?.querySelector('[data-field="vanished.previous_total_kgco2e"]')),
    ).toBeCloseTo(before.get(VANISHED_OWNER) ?? -1, 12);
  });

  it('computes the headline changes from the previous quarter and the same quarter a year earlier', async () => {
    const previous = await exportJson(['--from', '2026-04-01', '--to', '2026-06-30']);
    const yearAgo = await exportJson(['--from', '2025-07-01', '--to', '2025-09-30']);
    const current = json.esrs_e1.total_tco2e ?? 0;
    const change = (before: number): number => ((current - before) / before) * 100;
    const vsPrevious = field(page, 'esrs_e1.total_tco2e.change_vs_previous')[0];
    const vsYear = field(page, 'esrs_e1.total_tco2e.change_vs_year')[0];
    expect(value(vsPrevious)).toBeCloseTo(change(previous.esrs_e1.total_tco2e ?? 0), 9);
    expect(value(vsYear)).toBeCloseTo(change(yearAgo.esrs_e1.total_tco2e ?? 0), 9);
    // Direction in a symbol and a word, not in colour alone.
    expect(vsPrevious?.text).toMatch(/^▼ [\d.]+% down vs 2026-Q2$/);
    expect(vsYear?.text).toMatch(/^▼ [\d.]+% down vs 2025-Q3, a year earlier$/);
  });

  it('stacks one bar per week and series (7 largest owners and other), equal to the JSON rows', () => {
    const weeks = [...new Set(json.rows.map((row) => row.period))];
    expect(weeks[0]).toBe('2026-W27');
    expect(weeks).toHaveLength(14);
    const chart = page.querySelector('svg#chart-periods');
    expect(chart?.querySelector('title')?.text).toContain('Emissions per week by owner');
    expect(chart?.querySelector('desc')?.text).toContain('14 week bars');
    const bars = chart?.querySelectorAll('rect.bar') ?? [];
    expect(bars).toHaveLength(14 * 8);
    const ranked = page
      .querySelectorAll('#table-groups tr.group th')
      .map((th) => (th.text === '(no owner)' ? null : th.text));
    for (const period of weeks) {
      const group = chart?.querySelector(`g.period[data-period="${period}"]`);
      const periodBars = group?.querySelectorAll('rect.bar') ?? [];
      expect(periodBars).toHaveLength(8);
      const of = (owner: string | null): number =>
        json.rows.find((row) => row.period === period && row.owner === owner)?.total_kgco2e ?? NaN;
      ranked.slice(0, 7).forEach((owner, index) => {
        expect(value(periodBars[index])).toBe(of(owner));
      });
      const other = sum(ranked.slice(7).map(of));
      expect(periodBars[7]?.getAttribute('data-series')).toBe('other (3)');
      expect(value(periodBars[7])).toBeCloseTo(other, 12);
      // The intensity point is the energy-weighted mean of the period's rows.
      const rows = json.rows.filter((row) => row.period === period);
      const energy = sum(rows.map((row) => row.energy_kwh));
      const weighted = sum(rows.map((row) => row.energy_kwh * (row.avg_intensity_g_per_kwh ?? 0)));
      const tableRow = page.querySelector(`#table-periods tr[data-period="${period}"]`);
      expect(
        value(tableRow?.querySelector('[data-field="period.avg_intensity_g_per_kwh"]')),
      ).toBeCloseTo(weighted / energy, 9);
      expect(value(tableRow?.querySelector('[data-field="period.sum_kgco2e"]'))).toBeCloseTo(
        sum(rows.map((row) => row.total_kgco2e)),
        12,
      );
    }
    expect(chart?.querySelectorAll('g.line circle.intensity-dot')).toHaveLength(14);
    expect(page.querySelector('p.note')?.text ?? '').toBeTruthy();
    expect(html).toContain('2026-W27 and 2026-W40 are partial weeks');
  });

  it('draws one shaded day per local day whose values add up to the total', () => {
    const days = page.querySelectorAll('svg#chart-days rect.day');
    expect(days).toHaveLength(92);
    expect(days[0]?.getAttribute('data-date')).toBe('2026-07-01');
    const total = sum(days.map((day) => value(day) ?? 0));
    expect(total / 1000).toBeCloseTo(json.esrs_e1.total_tco2e ?? 0, 12);
    // Five shades with a legend naming each range; the busiest day has the darkest.
    expect(page.querySelectorAll('svg#chart-days rect.legend-shade')).toHaveLength(5);
    const busiest = days.reduce((a, b) => ((value(a) ?? 0) >= (value(b) ?? 0) ? a : b));
    expect(busiest.getAttribute('data-shade')).toBe('4');
    expect(page.querySelectorAll('#table-days tbody tr')).toHaveLength(92);
  });

  it('renders an owner named like markup as text, and nothing that runs or fetches', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/url\(|@import/i);
    const tags = new Set<string>();
    for (const element of page.querySelectorAll('*')) {
      tags.add(element.rawTagName.toLowerCase());
      for (const name of Object.keys(element.attributes)) {
        expect(name.toLowerCase(), `<${element.rawTagName} ${name}>`).not.toMatch(
          /^(src|srcset|href|xlink:href|action|formaction|on.*)$/,
        );
      }
    }
    for (const tag of ['script', 'img', 'link', 'iframe', 'object', 'embed', 'a', 'image', 'use'])
      expect(tags.has(tag), tag).toBe(false);
    const cell = page
      .querySelectorAll('#table-groups tr.group th')
      .find((th) => th.text === INJECTION_OWNER);
    expect(cell, 'the owner appears as its literal text').toBeTruthy();
    expect(
      page.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'),
    ).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  });

  it('gives every chart a title, a description and a table', () => {
    for (const chart of page.querySelectorAll('svg.chart')) {
      expect(chart.getAttribute('role')).toBe('img');
      expect(chart.querySelector('title')?.text).toBeTruthy();
      expect(chart.querySelector('desc')?.text).toBeTruthy();
    }
    expect(page.querySelector('#table-periods')).toBeTruthy();
    expect(page.querySelector('#table-days')).toBeTruthy();
    expect(page.querySelector('#table-esrs')).toBeTruthy();
    expect(page.querySelector('#table-estimation')?.text).toContain('intensity_forecast');
  });

  it('names the share of entity-hours each derivable estimation reason covers', () => {
    // One day in 11 is priced with a forecast; every entity-hour of those days carries it.
    const forecast = value(field(page, 'estimation.intensity_forecast')[0]);
    expect(forecast).toBeCloseTo(json.metadata.data_quality.estimated_share, 12);
  });
});

describe('report export --format html: edge cases', () => {
  it('renders a period without data as a page of zeros, never NaN', async () => {
    const result = await run(
      [
        'report',
        'export',
        '--ledger',
        ledger,
        '--from',
        '2024-01-01',
        '--to',
        '2024-01-31',
        '--group-by',
        'owner',
        '--format',
        'html',
        '--out',
        '-',
      ],
      { dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('No data in the ledger');
    expect(result.stdout).not.toMatch(/NaN|Infinity|undefined/);
    const empty = parse(result.stdout);
    expect(value(field(empty, 'esrs_e1.total_tco2e')[0])).toBe(0);
    expect(empty.querySelectorAll('svg#chart-days rect.day')).toHaveLength(31);
    expect(empty.querySelector('#headline-h')?.parentNode?.text).toContain('no data for 2023-12');
  });

  it('draws a single series when the report is not grouped', async () => {
    const result = await run(
      [
        'report',
        'export',
        '--ledger',
        ledger,
        '--from',
        '2026-07-01',
        '--to',
        '2026-09-30',
        '--format',
        'html',
        '--out',
        '-',
      ],
      { dir },
    );
    const single = parse(result.stdout);
    // 3 months × 1 series; the table of groups explains how to get one.
    expect(single.querySelectorAll('svg#chart-periods rect.bar')).toHaveLength(3);
    expect(single.querySelector('#groups-h')?.parentNode?.text).toContain('--group-by owner');
  });
});

describe('report export --format html: files', () => {
  it('infers html from the --out extension and writes the file atomically', async () => {
    const out = join(dir, 'reports', 'carbon-{period}.html');
    const result = await run(
      ['report', 'export', '--ledger', ledger, ...HTML_REPORT_ARGS, '--out', out, '-o', 'json'],
      { dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const written = JSON.parse(result.stdout) as { path: string; format: string };
    expect(written.format).toBe('html');
    expect(written.path).toBe(join(dir, 'reports', 'carbon-2026-Q3.html'));
    expect(readFileSync(written.path, 'utf8')).toBe(html);
  });

  it('refuses -o json with an HTML export to stdout', async () => {
    const result = await run(
      ['report', 'export', '--ledger', ledger, '--format', 'html', '--out', '-', '-o', 'json'],
      { dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('-o json and --format html contradict each other');
  });
});

describe('SVG primitives', () => {
  it('escapes markup and strips control characters', () => {
    expect(escapeXml('<a href="x">&\'\u001b[31m')).toBe(
      '&lt;a href=&quot;x&quot;&gt;&amp;&#39;[31m',
    );
  });

  it('picks round axis ticks that reach the maximum', () => {
    expect(niceTicks(12.1)).toEqual([0, 2.5, 5, 7.5, 10, 12.5]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('stacks bars from the bottom in series order with heights proportional to the values', () => {
    const svg = parse(
      stackedBarChart({
        id: 'c',
        title: 't',
        description: 'd',
        categories: ['a'],
        series: [
          { name: 'x', colour: '#000', values: [2.5] },
          { name: 'y', colour: '#111', values: [7.5] },
        ],
        unit: 'kg',
        width: 200,
        height: 160,
      }),
    );
    // Plot area: top 16, bottom 160 − 44 = 116, so 100 px for the axis maximum 10.
    const [x, y] = svg.querySelectorAll('rect.bar');
    expect(x?.getAttribute('height')).toBe('25');
    expect(x?.getAttribute('y')).toBe('91');
    expect(y?.getAttribute('height')).toBe('75');
    expect(y?.getAttribute('y')).toBe('16');
  });

  it('draws a sparkline scaled to its maximum', () => {
    const svg = parse(sparklineSvg([0, 5, 10], 'label', { width: 26, height: 16 }));
    expect(svg.querySelector('polyline')?.getAttribute('points')).toBe('3,13 13,8 23,3');
    expect(svg.querySelector('title')?.text).toBe('label');
  });
});

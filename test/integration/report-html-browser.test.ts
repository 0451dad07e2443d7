/**
 * The HTML report in a real browser: headless Chromium opens the exported file, the charts
 * render with the expected number of bars, nothing leaves the page (every request is recorded
 * and only the file itself may be one), the owner named like markup shows as text and runs
 * nothing, and a PNG screenshot (plus a PDF print) is kept as a test artifact in .tmp/artifacts/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumBinary, CHROMIUM_ARGS } from '../helpers/chromium.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import {
  HTML_REPORT_ARGS,
  INJECTION_OWNER,
  writeHtmlReportLedger,
} from '../helpers/report-html-fixture.js';

const binary = chromiumBinary();
const ARTIFACTS = join(import.meta.dirname, '..', '..', '.tmp', 'artifacts');

describe.skipIf(binary === null)('report export --format html in headless Chromium', () => {
  let dir: string;
  let file: string;
  let periods: number;
  let series: number;
  let browser: Browser;

  beforeAll(async () => {
    dir = tempDir();
    const ledger = join(dir, 'ledger.db');
    writeHtmlReportLedger(ledger);
    file = join(dir, 'carbon-2026-Q3.html');
    const result = await run(
      ['report', 'export', '--ledger', ledger, ...HTML_REPORT_ARGS, '--out', file],
      { dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const json = await run(
      [
        'report',
        'export',
        '--ledger',
        ledger,
        ...HTML_REPORT_ARGS,
        '--format',
        'json',
        '--out',
        '-',
      ],
      { dir },
    );
    const rows = (
      JSON.parse(json.stdout) as { rows: Array<{ period: string; owner: string | null }> }
    ).rows;
    periods = new Set(rows.map((row) => row.period)).size;
    const owners = new Set(rows.map((row) => row.owner)).size;
    // The 7 largest owners and "other" when there are more.
    series = owners > 7 ? 8 : owners;
    browser = await chromium.launch({
      executablePath: binary ?? undefined,
      args: CHROMIUM_ARGS,
      // playwright-core gives each launch a fresh temporary profile (user data dir).
    });
  });

  afterAll(async () => {
    await browser?.close();
    removeDir(dir);
  });

  it('renders the charts, fetches nothing, shows the markup owner as text, and prints', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 1200 } });
    const requests: string[] = [];
    context.on('request', (request) => requests.push(request.url()));
    // Anything but the file itself is refused (and still recorded above).
    await context.route('**/*', (route) =>
      route.request().url() === pathToFileURL(file).href ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const count = (selector: string): Promise<number> => page.locator(selector).count();
    const bars = await page.locator('svg#chart-periods rect.bar').all();
    let drawnBars = 0;
    for (const bar of bars) if (((await bar.boundingBox())?.height ?? 0) > 0) drawnBars += 1;
    const chartBox = await page.locator('svg#chart-periods').boundingBox();
    const rendered = {
      chartWidth: chartBox?.width ?? 0,
      chartHeight: chartBox?.height ?? 0,
      bars: bars.length,
      drawnBars,
      days: await count('svg#chart-days rect.day'),
      heatmapWidth: (await page.locator('svg#chart-days').boundingBox())?.width ?? 0,
      sparklines: await count('#table-groups svg.sparkline polyline'),
      scripts: await count('script'),
      images: await count('img'),
      ownerCells: await page.locator('#table-groups tr.group th').allTextContents(),
    };
    expect(rendered.bars).toBe(periods * series);
    expect(rendered.bars).toBe(14 * 8);
    // Every owner uses CPU every week, so every bar has a visible height.
    expect(rendered.drawnBars).toBe(rendered.bars);
    expect(rendered.chartWidth).toBeGreaterThan(800);
    expect(rendered.chartHeight).toBeGreaterThan(250);
    expect(rendered.days).toBe(92);
    expect(rendered.heatmapWidth).toBeGreaterThan(300);
    expect(rendered.sparklines).toBe(10);
    expect(rendered.scripts).toBe(0);
    expect(rendered.images).toBe(0);
    expect(rendered.ownerCells).toContain(INJECTION_OWNER);

    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'report-html.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    writeFileSync(join(ARTIFACTS, 'report-html.pdf'), pdf);
    if (process.env['UPDATE_SCREENSHOT'] === '1') {
      // The README's picture: the top of the page down to the end of the owners table.
      const groups = await page.locator('#table-groups').boundingBox();
      await page.screenshot({
        path: join(import.meta.dirname, '..', '..', 'docs', 'report-html.png'),
        fullPage: true,
        clip: {
          x: 0,
          y: 0,
          width: 1000,
          height: Math.ceil((groups?.y ?? 1200) + (groups?.height ?? 0) + 70),
        },
      });
    }
    console.log(`browser test artifacts: ${screenshot} and report-html.pdf beside it`);

    // No request left the page: the only one was the file itself.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
    await context.close();
  });
});

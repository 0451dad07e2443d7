/**
 * The HTML report (`report export --format html`): one self-contained page — inline CSS and
 * SVG, no script, no font, no image, no link to anything — that a manager can open from an
 * email, read offline and print to PDF. Plain data in, a string out. Every number shown
 * carries its full-precision value in `data-value` next to a `data-field` naming the JSON
 * export field it equals; every label from outside is escaped.
 */
import type { DataQuality, EsrsE1Totals } from '../core/report.js';
import { formatHumanNumber, formatMass } from './format.js';
import {
  OTHER_COLOUR,
  SERIES_PALETTE,
  calendarHeatmapSvg,
  escapeXml,
  sparklineSvg,
  stackedBarChart,
} from './svg.js';

/** Headline figures of another period, for the change arrows. */
export interface HtmlComparison {
  mode: 'previous' | 'year';
  /** The period's label (`2026-10`, `2025`, `2026-09-01_2026-09-30`). */
  label: string;
  from: string;
  to: string;
  /** False when the ledger has nothing for that period: no change is shown. */
  hasData: boolean;
  esrs: EsrsE1Totals;
  cost: number | null;
}

/** One group of the top-groups table. */
export interface HtmlGroup {
  /** Display name (`(no owner)` for the unlabelled group). */
  name: string;
  total_kgco2e: number;
  energy_kwh: number;
  cost: number | null;
  /** Share of the report's total_kgco2e, 0..1. */
  share: number;
  previous_total_kgco2e: number | null;
  change_percent: number | null;
  status: 'new' | 'vanished' | 'continuing';
  /** total_kgco2e per period, for the sparkline. */
  values: number[];
}

/** One estimation reason with the share of the report it affects, where the ledger can tell. */
export interface HtmlEstimationReason {
  reason: string;
  description: string;
  /** Share (0..1) of entity-hours carrying it; null when the ledger does not break it down. */
  entity_hours_share: number | null;
}

/** Everything the page shows. */
export interface HtmlReportModel {
  title: string;
  /** `text`: the range for people, `1 Jul 2026 – 30 Sep 2026`. */
  period: { label: string; from: string; to: string; text: string };
  timezone: string;
  granularity: string;
  groupBy: string;
  filters: Record<string, string>;
  generatedAt: string;
  version: string;
  esrs: EsrsE1Totals;
  cost: number | null;
  currency: string | null;
  quality: DataQuality;
  comparisons: HtmlComparison[];
  /** Period labels, in order. */
  periods: string[];
  /** Periods shorter than their calendar unit (the report starts or ends inside them). */
  partialPeriods: string[];
  /** Energy-weighted intensity of each period over every group; null without energy. */
  intensity: Array<number | null>;
  /** Stacked series (top groups, then "other"), total_kgco2e per period. */
  series: Array<{ name: string; other: boolean; values: number[] }>;
  /** Largest groups first (the table lists them all up to its limit). */
  groups: HtmlGroup[];
  /** Groups with usage in the previous period and none in this one. */
  vanished: Array<{ name: string; previous_total_kgco2e: number }>;
  /** Groups beyond the table's rows, summed; null when every group is listed. */
  rest: { count: number; total_kgco2e: number; share: number } | null;
  /** total_kgco2e per local day of the range. */
  days: Array<{ date: string; value: number }>;
  estimation: HtmlEstimationReason[];
  methodology: Record<string, unknown>;
  boundaries: Record<string, unknown>;
  /** Methodology versions of the rows (more than one means figures were computed differently). */
  methodologyVersions: string[];
}

const CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p, li { max-width: 72ch; }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin: 18px 0 6px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--panel); }
.card.primary { border-color: var(--accent); border-width: 2px; }
.card .label { font-size: 13px; color: var(--muted); }
.card .figure { font-size: 24px; font-weight: 650; margin: 2px 0 4px; font-variant-numeric: tabular-nums; }
.card .change { font-size: 13px; margin: 0; }
.up { color: #9a3412; } .down { color: #0b6b3a; } .flat, .none { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
tbody th { font-size: 15px; color: var(--ink); font-weight: 500; }
td.num, th.num { text-align: right; }
tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
svg.chart { width: 100%; height: auto; display: block; margin: 6px 0; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.chart text { fill: var(--muted); }
svg.chart .legend text { fill: var(--ink); font-size: 12px; }
svg.chart .grid { stroke: #eaeef2; }
svg.chart .baseline { stroke: #8c959f; }
svg.chart .bar { stroke: #fff; stroke-width: 0.5; }
svg.chart .intensity-line { fill: none; stroke: #1f2328; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.chart .intensity-dot { fill: #fff; stroke: #1f2328; stroke-width: 1.5; }
svg.heatmap { width: auto; max-width: 100%; }
td.change { white-space: nowrap; }
svg.sparkline polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
svg.sparkline circle { fill: var(--accent); }
details { margin: 4px 0 10px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.note { color: var(--muted); font-size: 13px; }
code { font-size: 13px; background: var(--panel); padding: 1px 4px; border-radius: 4px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media (max-width: 720px) { .cards { grid-template-columns: 1fr 1fr; } }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  section, .card, table, svg { break-inside: avoid; }
  details > summary { display: none; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm; }
`;

/** A number for people, with its exact value and JSON field beside it for machines and tests. */
function figure(field: string, value: number | null, text?: string): string {
  const shown = text ?? formatHumanNumber(value);
  return `<span data-field="${escapeXml(field)}" data-value="${value === null ? '' : String(value)}">${escapeXml(shown)}</span>`;
}

function percent(share: number): string {
  return `${formatHumanNumber(share * 100)}%`;
}

/** "▲ 12.3% (up) vs 2026-10" — direction in a symbol and a word, never in colour alone. */
function changeText(change: number | null, againstLabel: string, field: string): string {
  if (change === null) {
    return `<span class="none" data-field="${escapeXml(field)}" data-value="">new: nothing in ${escapeXml(againstLabel)}</span>`;
  }
  const rounded = Number(change.toPrecision(3));
  const direction = rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'flat';
  const symbol = rounded > 0 ? '▲' : rounded < 0 ? '▼' : '＝';
  const magnitude = formatHumanNumber(Math.abs(change));
  const words = direction === 'flat' ? 'unchanged' : `${magnitude}% ${direction}`;
  return (
    `<span class="${direction}" data-field="${escapeXml(field)}" data-value="${String(change)}">` +
    `${symbol} ${escapeXml(words)} vs ${escapeXml(againstLabel)}</span>`
  );
}

function relativeChange(current: number, previous: number): number | null {
  if (previous === 0) return current === 0 ? 0 : null;
  return ((current - previous) / Math.abs(previous)) * 100;
}

function comparisonLines(
  model: HtmlReportModel,
  pick: (esrs: EsrsE1Totals, cost: number | null) => number | null,
  field: string,
): string {
  const current = pick(model.esrs, model.cost);
  return model.comparisons
    .map((comparison) => {
      const against =
        comparison.mode === 'previous' ? comparison.label : `${comparison.label}, a year earlier`;
      if (!comparison.hasData) {
        return `<p class="change"><span class="none">no data for ${escapeXml(against)}</span></p>`;
      }
      const previous = pick(comparison.esrs, comparison.cost);
      if (current === null || previous === null) {
        return `<p class="change"><span class="none">not comparable with ${escapeXml(against)}</span></p>`;
      }
      return `<p class="change">${changeText(relativeChange(current, previous), against, `${field}.change_vs_${comparison.mode}`)}</p>`;
    })
    .join('');
}

function headline(model: HtmlReportModel): string {
  const { esrs, quality } = model;
  const card = (label: string, body: string, changes: string, primary = false): string =>
    `<div class="card${primary ? ' primary' : ''}"><div class="label">${escapeXml(label)}</div>` +
    `<div class="figure">${body}</div>${changes}</div>`;
  return [
    '<section aria-labelledby="headline-h"><h2 id="headline-h">Headline</h2><div class="cards">',
    card(
      'Total emissions, location-based (Scope 2 + 3)',
      figure('esrs_e1.total_tco2e', esrs.total_tco2e, formatMass(esrs.total_tco2e * 1e6)),
      comparisonLines(model, (e) => e.total_tco2e, 'esrs_e1.total_tco2e'),
      true,
    ),
    card(
      'Total emissions, market-based (Scope 2 + 3)',
      figure(
        'esrs_e1.total_market_tco2e',
        esrs.total_market_tco2e,
        formatMass(esrs.total_market_tco2e * 1e6),
      ),
      comparisonLines(model, (e) => e.total_market_tco2e, 'esrs_e1.total_market_tco2e'),
    ),
    card(
      'Energy consumption',
      figure(
        'esrs_e1.energy_consumption_mwh',
        esrs.energy_consumption_mwh,
        esrs.energy_consumption_mwh >= 1
          ? `${formatHumanNumber(esrs.energy_consumption_mwh)} MWh`
          : `${formatHumanNumber(esrs.energy_consumption_mwh * 1000)} kWh`,
      ),
      comparisonLines(model, (e) => e.energy_consumption_mwh, 'esrs_e1.energy_consumption_mwh'),
    ),
    card(
      'Cost',
      model.cost === null
        ? '<span data-field="totals.cost" data-value="">mixed currencies</span>'
        : `${figure('totals.cost', model.cost)} ${escapeXml(model.currency ?? '')}`,
      comparisonLines(model, (_, cost) => cost, 'totals.cost'),
    ),
    card(
      'Coverage',
      figure(
        'metadata.data_quality.coverage_percent',
        quality.coverage_percent,
        `${formatHumanNumber(quality.coverage_percent)}%`,
      ),
      `<p class="change"><span class="none">${quality.hours_with_data} of ${quality.hours_in_period} hours have data</span></p>`,
    ),
    card(
      'Estimated share',
      figure(
        'metadata.data_quality.estimated_share',
        quality.estimated_share,
        percent(quality.estimated_share),
      ),
      `<p class="change"><span class="none">${quality.estimated_entity_hours} of ${quality.entity_hours} entity-hours carry an estimate</span></p>`,
    ),
    '</div>',
    `<p class="note">Location-based uses the grid's intensity hour by hour; market-based uses the supplier or residual-mix factor where one is configured. Changes compare the same figure over the ${model.comparisons.map((c) => (c.mode === 'previous' ? 'previous period' : 'same period a year earlier')).join(' and ')}.</p>`,
    '</section>',
  ].join('\n');
}

function seriesColour(index: number, other: boolean): string {
  return other ? OTHER_COLOUR : (SERIES_PALETTE[index % SERIES_PALETTE.length] ?? OTHER_COLOUR);
}

function periodChart(model: HtmlReportModel): string {
  const series = model.series.map((entry, index) => ({
    name: entry.name,
    colour: seriesColour(index, entry.other),
    values: entry.values,
  }));
  const grouped = model.groupBy !== 'none';
  const chart = stackedBarChart({
    id: 'chart-periods',
    title: `Emissions per ${periodNoun(model.granularity)}${grouped ? ` by ${model.groupBy}` : ''} (kgCO2e) and average grid intensity (g/kWh)`,
    description:
      `${model.periods.length} ${periodNoun(model.granularity)} bars, ` +
      (grouped
        ? `each stacked by the ${model.series.filter((s) => !s.other).length} largest ${model.groupBy} groups` +
          (model.series.some((s) => s.other) ? ' and the rest as "other"' : '')
        : 'one per period') +
      '; the dashed line is the energy-weighted average grid intensity. The table below gives every value.',
    categories: model.periods,
    series,
    unit: 'kgCO2e',
    line: { name: 'average intensity', unit: 'g/kWh', values: model.intensity },
  });
  const header = model.series
    .map(
      (entry, index) =>
        `<th class="num" scope="col"><span class="swatch" style="background:${seriesColour(index, entry.other)}"></span>${escapeXml(entry.name)}</th>`,
    )
    .join('');
  const rows = model.periods
    .map((period, periodIndex) => {
      const cells = model.series
        .map(
          (entry) =>
            `<td class="num">${figure('period.total_kgco2e', entry.values[periodIndex] ?? 0)}</td>`,
        )
        .join('');
      const total = model.series.reduce((sum, entry) => sum + (entry.values[periodIndex] ?? 0), 0);
      return (
        `<tr data-period="${escapeXml(period)}"><th scope="row">${escapeXml(period)}</th>${cells}` +
        `<td class="num">${figure('period.sum_kgco2e', total)}</td>` +
        `<td class="num">${figure('period.avg_intensity_g_per_kwh', model.intensity[periodIndex] ?? null)}</td></tr>`
      );
    })
    .join('\n');
  return [
    `<section aria-labelledby="periods-h"><h2 id="periods-h">Emissions per ${escapeXml(periodNoun(model.granularity))}</h2>`,
    chart,
    model.partialPeriods.length === 0
      ? ''
      : `<p class="note">${escapeXml(model.partialPeriods.join(' and '))} ${model.partialPeriods.length === 1 ? 'is a partial' : 'are partial'} ${escapeXml(periodNoun(model.granularity))}${model.partialPeriods.length === 1 ? '' : 's'}: the report covers only part of ${model.partialPeriods.length === 1 ? 'it' : 'them'}, so ${model.partialPeriods.length === 1 ? 'its bar is' : 'their bars are'} shorter.</p>`,
    '<details><summary>Chart as a table</summary>',
    `<table id="table-periods"><thead><tr><th scope="col">period</th>${header}<th class="num" scope="col">total kgCO2e</th><th class="num" scope="col">avg g/kWh</th></tr></thead><tbody>`,
    rows,
    '</tbody></table></details></section>',
  ].join('\n');
}

function periodNoun(granularity: string): string {
  return (
    {
      hourly: 'hour',
      daily: 'day',
      weekly: 'week',
      monthly: 'month',
      quarterly: 'quarter',
      yearly: 'year',
    }[granularity] ?? 'period'
  );
}

function changeCell(group: HtmlGroup, against: string | null): string {
  if (against === null) return '<td class="num change none">–</td>';
  if (group.status === 'new')
    return `<td class="num change"><span class="none" data-field="group.change_percent" data-value="">new</span></td>`;
  if (group.status === 'vanished')
    return `<td class="num change"><span class="down" data-field="group.change_percent" data-value="-100">vanished</span></td>`;
  const change = group.change_percent;
  if (change === null) return '<td class="num change none">–</td>';
  const rounded = Number(change.toPrecision(3));
  const symbol = rounded > 0 ? '▲ +' : rounded < 0 ? '▼ −' : '＝ ';
  const direction = rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'flat';
  return `<td class="num change"><span class="${direction}" data-field="group.change_percent" data-value="${String(change)}">${symbol}${escapeXml(formatHumanNumber(Math.abs(change)))}%</span></td>`;
}

/** Vanished groups named under the table; the rest are counted. */
const VANISHED_NAMED = 20;

function groupsTable(model: HtmlReportModel): string {
  if (model.groupBy === 'none') {
    return (
      '<section aria-labelledby="groups-h"><h2 id="groups-h">Largest groups</h2>' +
      '<p class="note">This report is not grouped. Export with <code>--group-by owner</code> (or project, namespace, workload …) to see who and what the emissions come from.</p></section>'
    );
  }
  const previous = model.comparisons.find((c) => c.mode === 'previous') ?? null;
  const against = previous === null ? null : previous.label;
  const rows = model.groups
    .map((group, index) => {
      const spark = sparklineSvg(
        group.values,
        `${group.name}: kgCO2e per ${periodNoun(model.granularity)}, ${model.periods[0] ?? ''} to ${model.periods[model.periods.length - 1] ?? ''}`,
      );
      return (
        `<tr class="group" data-group="${escapeXml(group.name)}"><td class="num">${index + 1}</td>` +
        `<th scope="row">${escapeXml(group.name)}</th>` +
        `<td class="num">${figure('group.total_kgco2e', group.total_kgco2e)}</td>` +
        `<td class="num">${figure('group.share', group.share, percent(group.share))}</td>` +
        `<td class="num">${figure('group.previous_total_kgco2e', group.previous_total_kgco2e)}</td>` +
        changeCell(group, against) +
        `<td class="num">${figure('group.energy_kwh', group.energy_kwh)}</td>` +
        `<td class="num">${figure('group.cost', group.cost)}</td>` +
        `<td>${spark}</td></tr>`
      );
    })
    .join('\n');
  const rest =
    model.rest === null
      ? ''
      : `<tr class="rest"><td></td><th scope="row">${model.rest.count} more ${escapeXml(model.groupBy)} groups</th>` +
        `<td class="num">${figure('rest.total_kgco2e', model.rest.total_kgco2e)}</td>` +
        `<td class="num">${figure('rest.share', model.rest.share, percent(model.rest.share))}</td><td colspan="5"></td></tr>`;
  return [
    `<section aria-labelledby="groups-h"><h2 id="groups-h">Largest ${escapeXml(model.groupBy)} groups</h2>`,
    '<table id="table-groups"><thead><tr>',
    '<th class="num" scope="col">#</th>',
    `<th scope="col">${escapeXml(model.groupBy)}</th>`,
    '<th class="num" scope="col">kgCO2e</th>',
    '<th class="num" scope="col">share</th>',
    `<th class="num" scope="col">kgCO2e ${escapeXml(against === null ? 'before' : against)}</th>`,
    '<th class="num" scope="col">change</th>',
    '<th class="num" scope="col">kWh</th>',
    `<th class="num" scope="col">cost ${escapeXml(model.currency ?? '')}</th>`,
    `<th scope="col">per ${escapeXml(periodNoun(model.granularity))}</th>`,
    '</tr></thead><tbody>',
    rows,
    rest,
    '</tbody></table>',
    model.vanished.length === 0
      ? ''
      : `<p id="vanished">No usage any more (had some in ${escapeXml(against ?? 'the previous period')}): ${model.vanished
          .slice(0, VANISHED_NAMED)
          .map(
            (entry) =>
              `<span class="vanished-group">${escapeXml(entry.name)}</span> (${figure('vanished.previous_total_kgco2e', entry.previous_total_kgco2e)} kgCO2e)`,
          )
          .join(
            ', ',
          )}${model.vanished.length > VANISHED_NAMED ? ` and ${model.vanished.length - VANISHED_NAMED} more` : ''}.</p>`,
    '<p class="note">kgCO2e = location-based Scope 2 + Scope 3. "new": no usage in the previous period.</p>',
    '</section>',
  ].join('\n');
}

function heatmap(model: HtmlReportModel): string {
  const svg = calendarHeatmapSvg(model.days, {
    id: 'chart-days',
    title: 'Daily emissions (kgCO2e)',
    description: `One square per day from ${model.days[0]?.date ?? ''} to ${model.days[model.days.length - 1]?.date ?? ''}, darker for more emissions; the legend gives each shade's range and the table below every value.`,
    unit: 'kgCO2e',
  });
  const rows = model.days
    .map(
      (day) =>
        `<tr data-date="${day.date}"><th scope="row">${day.date}</th><td class="num">${figure('day.total_kgco2e', day.value)}</td></tr>`,
    )
    .join('\n');
  return [
    '<section aria-labelledby="days-h"><h2 id="days-h">Day by day</h2>',
    svg,
    '<details><summary>Calendar as a table</summary>',
    `<table id="table-days"><thead><tr><th scope="col">date (${escapeXml(model.timezone)})</th><th class="num" scope="col">kgCO2e</th></tr></thead><tbody>`,
    rows,
    '</tbody></table></details></section>',
  ].join('\n');
}

function esrsBlock(model: HtmlReportModel): string {
  const { esrs } = model;
  const row = (para: string, label: string, field: string, value: number, unit: string): string =>
    `<tr><td>${escapeXml(para)}</td><th scope="row">${escapeXml(label)}</th><td class="num">${figure(`esrs_e1.${field}`, value)}</td><td>${unit}</td></tr>`;
  return [
    '<section aria-labelledby="esrs-h"><h2 id="esrs-h">ESRS E1 figures</h2>',
    '<table id="table-esrs"><thead><tr><th scope="col">datapoint</th><th scope="col">figure</th><th class="num" scope="col">value</th><th scope="col">unit</th></tr></thead><tbody>',
    row(
      'E1-5 §37',
      'Energy consumption',
      'energy_consumption_mwh',
      esrs.energy_consumption_mwh,
      'MWh',
    ),
    row(
      'E1-6 §49',
      'Gross Scope 2, location-based',
      'scope2_location_tco2e',
      esrs.scope2_location_tco2e,
      'tCO2e',
    ),
    row(
      'E1-6 §49',
      'Gross Scope 2, market-based',
      'scope2_market_tco2e',
      esrs.scope2_market_tco2e,
      'tCO2e',
    ),
    row('E1-6 §51', 'Scope 3 (embodied hardware)', 'scope3_tco2e', esrs.scope3_tco2e, 'tCO2e'),
    row('E1-6 §52(a)', 'Total, location-based', 'total_tco2e', esrs.total_tco2e, 'tCO2e'),
    row(
      'E1-6 §52(b)',
      'Total, market-based',
      'total_market_tco2e',
      esrs.total_market_tco2e,
      'tCO2e',
    ),
    '</tbody></table>',
    '<p class="note">IT operations only (the tracked clusters): no Scope 1, storage, network or GPUs. Full precision is in the JSON and CSV exports.</p>',
    '</section>',
  ].join('\n');
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return value.map(describe).join('; ');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key.replace(/_/g, ' ')} ${describe(inner)}`)
      .join(', ');
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** `12 W busy, 1 W idle per core, 0 W per GiB of memory` (each set when they differ). */
function describeWatts(watts: unknown): string {
  const sets = Array.isArray(watts) ? (watts as unknown[]) : [watts];
  return sets
    .map((set) => {
      const record = (set ?? {}) as Record<string, unknown>;
      return `${describe(record.busy_per_core)} W busy, ${describe(record.idle_per_core)} W idle per core, ${describe(record.memory_per_gib)} W per GiB of memory`;
    })
    .join('; ');
}

function quality(model: HtmlReportModel): string {
  const { quality: q } = model;
  const reasons =
    model.estimation.length === 0
      ? '<p>No value in this report is estimated.</p>'
      : [
          '<table id="table-estimation"><thead><tr><th scope="col">reason</th><th scope="col">what it means</th><th class="num" scope="col">share of entity-hours</th></tr></thead><tbody>',
          ...model.estimation.map(
            (entry) =>
              `<tr><th scope="row"><code>${escapeXml(entry.reason)}</code></th><td>${escapeXml(entry.description)}</td>` +
              `<td class="num">${
                entry.entity_hours_share === null
                  ? '<span class="none">within the estimated share</span>'
                  : figure(
                      `estimation.${entry.reason}`,
                      entry.entity_hours_share,
                      percent(entry.entity_hours_share),
                    )
              }</td></tr>`,
          ),
          '</tbody></table>',
        ].join('\n');
  return [
    '<section aria-labelledby="quality-h"><h2 id="quality-h">Data quality and estimates</h2>',
    `<p>Coverage ${figure('metadata.data_quality.coverage_percent', q.coverage_percent, `${formatHumanNumber(q.coverage_percent)}%`)}: ` +
      `${q.hours_with_data} of the ${q.hours_in_period} hours of the period have ledger data (gaps are never filled in). ` +
      `${q.estimated_entity_hours} of ${q.entity_hours} entity-hours (${percent(q.estimated_share)}) carry at least one estimate:</p>`,
    reasons,
    '</section>',
  ].join('\n');
}

function methodology(model: HtmlReportModel): string {
  const m = model.methodology;
  const sources = Array.isArray(m.emission_factor_sources)
    ? (m.emission_factor_sources as Array<Record<string, unknown>>)
    : [];
  const market = (m.market_factor ?? {}) as Record<string, unknown>;
  const embodied = (m.embodied ?? {}) as Record<string, unknown>;
  const cost = (m.cost ?? {}) as Record<string, unknown>;
  const formulas = (m.formulas ?? {}) as Record<string, unknown>;
  const boundaries = model.boundaries;
  const operational = (boundaries.operational ?? {}) as Record<string, unknown>;
  const organisational = (boundaries.organisational ?? {}) as Record<string, unknown>;
  const fact = (term: string, value: unknown): string =>
    `<dt>${escapeXml(term)}</dt><dd>${escapeXml(describe(value))}</dd>`;
  return [
    '<section aria-labelledby="method-h"><h2 id="method-h">Methodology and factor provenance</h2>',
    '<dl class="facts">',
    fact('methodology version', m.version),
    fact('power profile', m.power_profile),
    fact('power', describeWatts(m.watts)),
    fact('PUE', m.pue),
    fact('grid intensity', m.intensity_provider),
    fact('intensity kinds used', m.intensity_kinds),
    fact('region / zone', m.region),
    fact('market-based factor', `${describe(market.g_per_kwh)} g/kWh — ${describe(market.note)}`),
    fact(
      'embodied (Scope 3)',
      `${describe(embodied.grams_per_core_hour)} g per core-hour — ${describe(embodied.reported_as)}`,
    ),
    fact(
      'prices',
      `${describe(cost.per_core_hour)} per core-hour, ${describe(cost.per_gib_hour)} per GiB-hour, ${describe(cost.per_kwh)} per kWh (${describe(cost.currency)}; ${describe(cost.prices_from)})`,
    ),
    fact('factors from', m.factors_from),
    '</dl>',
    '<h3>Emission factor sources</h3><ul>',
    ...sources.map(
      (source) =>
        `<li>${escapeXml(describe(source.dataset))} — ${escapeXml(describe(source.factor_type))}, ${escapeXml(describe(source.unit))}${
          source.note === undefined ? '' : `. ${escapeXml(describe(source.note))}`
        }</li>`,
    ),
    '</ul>',
    '<h3>Formulas</h3><dl class="facts">',
    ...Object.entries(formulas).map(([key, value]) => fact(key, value)),
    '</dl>',
    '<h3>Boundaries</h3><dl class="facts">',
    fact('standards', boundaries.standards),
    fact('consolidation', organisational.consolidation),
    fact('clusters', organisational.clusters),
    fact('Scope 2', operational.scope2),
    fact('Scope 3', operational.scope3),
    fact('excluded', operational.excluded),
    fact('public cloud', operational.public_cloud_note),
    '</dl>',
    '<h3>Restatements</h3>',
    model.methodologyVersions.length > 1
      ? `<p>The rows of this period were computed with more than one methodology version (${escapeXml(model.methodologyVersions.join(', '))}); figures computed under the older version were not recalculated.</p>`
      : '<p>None recorded: carbonctl keeps no register of earlier reports, and every row of this period was computed with one methodology version. Re-running this export gives the same figures.</p>',
    '</section>',
  ].join('\n');
}

/** The whole page. */
export function renderHtmlReport(model: HtmlReportModel): string {
  const filters = Object.entries(model.filters)
    .map(([key, value]) => `${key} = ${value}`)
    .join(', ');
  const scope = [
    `${model.period.text} (${model.timezone})`,
    `${model.granularity} periods`,
    model.groupBy === 'none' ? 'not grouped' : `by ${model.groupBy}`,
    filters === '' ? 'all clusters and labels' : `only ${filters}`,
  ].join(' · ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No script, no network: even a label that slipped past escaping could not run or fetch.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<meta name="generator" content="carbonctl ${escapeXml(model.version)}">`,
    `<title>${escapeXml(model.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    `<header><h1>${escapeXml(model.title)}</h1><p class="sub">${escapeXml(scope)}</p></header>`,
    headline(model),
    periodChart(model),
    groupsTable(model),
    heatmap(model),
    esrsBlock(model),
    quality(model),
    methodology(model),
    `<footer>Generated by carbonctl ${escapeXml(model.version)} at ${escapeXml(model.generatedAt)} from the local ledger. The same figures, at full precision, are in <code>report export --format json</code> with the same flags.</footer>`,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}

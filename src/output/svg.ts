/**
 * Static SVG charts for the HTML report: stacked bars with a line on a second axis, a
 * sparkline and a calendar heatmap. Pure string builders, no DOM: every text that may come
 * from outside is escaped, every chart carries `<title>`/`<desc>`, and every mark carries
 * its value in `data-value` (full precision) and a `<title>` tooltip, so nothing is told by
 * colour alone. The palette is Okabe–Ito (distinguishable with the common colour-vision
 * deficiencies); the heatmap uses one hue in five lightness steps.
 */
import { shadeIndex } from './charts.js';
import { formatHumanNumber } from './format.js';
import { cleanExternal } from './sanitize.js';

/** Okabe–Ito colours for series, in order; the last (grey) is kept for "other". */
export const SERIES_PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
] as const;
/** The colour of the "other" series. */
export const OTHER_COLOUR = '#999999';
/** Heatmap shades from "no data" to the maximum (one blue hue, light to dark). */
export const HEATMAP_SHADES = ['#ebedf0', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] as const;

/** Escapes text for HTML/XML content and attribute values, after stripping control characters. */
export function escapeXml(text: string): string {
  return cleanExternal(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A number as an attribute: full precision, `null` as empty. */
function dataValue(value: number | null): string {
  return value === null ? '' : String(value);
}

/** Coordinates to 2 decimals: small files, no visible difference. */
function coordinate(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Round axis ticks from 0 to at least `max`: steps of 1, 2, 2.5 or 5 × 10^k, about `count`
 * of them. Returns [0, 1] when max is 0 or not positive, so an empty chart still has an axis.
 */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((s) => s >= rough) ??
    10 * magnitude;
  const ticks: number[] = [];
  for (let index = 0; ; index += 1) {
    // Multiply rather than add, so 0.1-steps do not drift (0.30000000000000004).
    const tick = Number((index * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/** One stacked series: its name, colour and one value per category (null = no data). */
export interface BarSeries {
  name: string;
  colour: string;
  values: ReadonlyArray<number>;
}

/** A line drawn over the bars against its own (right) axis. */
export interface LineSeries {
  name: string;
  unit: string;
  values: ReadonlyArray<number | null>;
}

/** What stackedBarChart draws. */
export interface StackedBarChartOptions {
  id: string;
  title: string;
  description: string;
  categories: ReadonlyArray<string>;
  series: ReadonlyArray<BarSeries>;
  unit: string;
  line?: LineSeries;
  width?: number;
  height?: number;
}

/**
 * Vertical stacked bars, one column per category, one `rect.bar` per (category, series) in
 * series order from the bottom (zero values give zero-height bars, so the count is always
 * categories × series), with the legend below and an optional line on a right-hand axis.
 */
export function stackedBarChart(options: StackedBarChartOptions): string {
  const width = options.width ?? 880;
  const height = options.height ?? 300;
  const margin = { top: 16, right: options.line ? 64 : 16, bottom: 44, left: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const categories = options.categories;
  const totals = categories.map((_, index) =>
    options.series.reduce((sum, series) => sum + (series.values[index] ?? 0), 0),
  );
  const ticks = niceTicks(Math.max(0, ...totals));
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (value: number): number => margin.top + plotHeight - (value / top) * plotHeight;
  const slot = categories.length > 0 ? plotWidth / categories.length : plotWidth;
  const barWidth = Math.max(1, slot * 0.7);
  const parts: string[] = [];
  const titleId = `${options.id}-title`;
  const descId = `${options.id}-desc`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="${escapeXml(options.id)}" role="img" ` +
      `viewBox="0 0 ${width} ${height - 12 + 22 * legendRows(options) + 2}" aria-labelledby="${titleId} ${descId}">`,
    `<title id="${titleId}">${escapeXml(options.title)}</title>`,
    `<desc id="${descId}">${escapeXml(options.description)}</desc>`,
  );
  // Grid and left axis.
  parts.push('<g class="axis axis-left">');
  for (const tick of ticks) {
    const ty = coordinate(y(tick));
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${ty}" y2="${ty}" class="grid"/>`,
      `<text x="${margin.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatHumanNumber(tick))}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${coordinate(margin.top + plotHeight / 2)}" text-anchor="middle" transform="rotate(-90 14 ${coordinate(margin.top + plotHeight / 2)})">${escapeXml(options.unit)}</text>`,
    '</g>',
  );
  // Bars, one group per category.
  const labelEvery = Math.max(1, Math.ceil(categories.length / 12));
  categories.forEach((category, index) => {
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    let base = 0;
    parts.push(`<g class="period" data-period="${escapeXml(category)}">`);
    for (const series of options.series) {
      const value = series.values[index] ?? 0;
      const y0 = y(base);
      const y1 = y(base + value);
      base += value;
      parts.push(
        `<rect class="bar" x="${coordinate(x)}" y="${coordinate(y1)}" width="${coordinate(barWidth)}" ` +
          `height="${coordinate(Math.max(0, y0 - y1))}" fill="${series.colour}" ` +
          `data-series="${escapeXml(series.name)}" data-value="${dataValue(value)}">` +
          `<title>${escapeXml(`${category} · ${series.name}: ${formatHumanNumber(value)} ${options.unit}`)}</title></rect>`,
      );
    }
    if (index % labelEvery === 0) {
      parts.push(
        `<text class="category" x="${coordinate(margin.left + index * slot + slot / 2)}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${escapeXml(category)}</text>`,
      );
    }
    parts.push('</g>');
  });
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" class="baseline"/>`,
  );
  if (options.line) parts.push(lineOverlay(options.line, margin, plotWidth, plotHeight, slot));
  parts.push(legend(options, margin.left, height, plotWidth));
  parts.push('</svg>');
  return parts.join('\n');
}

/** Legend entries per row. */
const LEGEND_COLUMNS = 3;

function legendRows(options: StackedBarChartOptions): number {
  const entries = options.series.length + (options.line ? 1 : 0);
  return Math.max(1, Math.ceil(entries / LEGEND_COLUMNS));
}

function legend(
  options: StackedBarChartOptions,
  left: number,
  top: number,
  plotWidth: number,
): string {
  const column = plotWidth / LEGEND_COLUMNS;
  const parts = ['<g class="legend">'];
  const entries: Array<{ name: string; swatch: string }> = options.series.map((series) => ({
    name: series.name,
    swatch: `<rect width="12" height="12" fill="${series.colour}"/>`,
  }));
  if (options.line) {
    entries.push({
      name: `${options.line.name} (${options.line.unit}, right axis)`,
      swatch:
        '<line x1="0" x2="14" y1="6" y2="6" class="intensity-line"/><circle cx="7" cy="6" r="3" class="intensity-dot"/>',
    });
  }
  entries.forEach((entry, index) => {
    const x = left + (index % LEGEND_COLUMNS) * column;
    const y = top - 12 + Math.floor(index / LEGEND_COLUMNS) * 22;
    const name = entry.name.length > 44 ? `${entry.name.slice(0, 43)}…` : entry.name;
    parts.push(
      `<g class="legend-entry" transform="translate(${coordinate(x)} ${y})">${entry.swatch}` +
        `<text x="18" y="10">${escapeXml(name)}</text></g>`,
    );
  });
  parts.push('</g>');
  return parts.join('\n');
}

function lineOverlay(
  line: LineSeries,
  margin: { top: number; left: number },
  plotWidth: number,
  plotHeight: number,
  slot: number,
): string {
  const present = line.values.filter((value): value is number => value !== null);
  const ticks = niceTicks(Math.max(0, ...present), 4);
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (value: number): number => margin.top + plotHeight - (value / top) * plotHeight;
  const right = margin.left + plotWidth;
  const parts = ['<g class="axis axis-right">'];
  for (const tick of ticks) {
    parts.push(
      `<text x="${right + 6}" y="${coordinate(y(tick))}" dominant-baseline="middle">${escapeXml(formatHumanNumber(tick))}</text>`,
    );
  }
  const middle = coordinate(margin.top + plotHeight / 2);
  parts.push(
    `<text x="${right + 52}" y="${middle}" text-anchor="middle" transform="rotate(90 ${right + 52} ${middle})">${escapeXml(line.unit)}</text>`,
    '</g>',
    '<g class="line">',
  );
  // Break the line where a period has no value: no invented points.
  let segment: string[] = [];
  const segments: string[][] = [];
  line.values.forEach((value, index) => {
    if (value === null) {
      if (segment.length > 0) segments.push(segment);
      segment = [];
      return;
    }
    segment.push(`${coordinate(margin.left + index * slot + slot / 2)},${coordinate(y(value))}`);
  });
  if (segment.length > 0) segments.push(segment);
  for (const points of segments) {
    if (points.length > 1)
      parts.push(`<polyline class="intensity-line" points="${points.join(' ')}"/>`);
  }
  line.values.forEach((value, index) => {
    if (value === null) return;
    parts.push(
      `<circle class="intensity-dot" cx="${coordinate(margin.left + index * slot + slot / 2)}" cy="${coordinate(y(value))}" r="3" data-value="${dataValue(value)}">` +
        `<title>${escapeXml(`${line.name}: ${formatHumanNumber(value)} ${line.unit}`)}</title></circle>`,
    );
  });
  parts.push('</g>');
  return parts.join('\n');
}

/**
 * A small line of `values` (scaled between 0 and their max) for a table row, with a dot on
 * the last value. `label` becomes its `<title>`.
 */
export function sparklineSvg(
  values: ReadonlyArray<number>,
  label: string,
  options: { width?: number; height?: number } = {},
): string {
  const width = options.width ?? 96;
  const height = options.height ?? 22;
  const max = Math.max(0, ...values);
  const step = values.length > 1 ? (width - 6) / (values.length - 1) : 0;
  const points = values.map((value, index) => {
    const x = 3 + (values.length > 1 ? index * step : (width - 6) / 2);
    const y = height - 3 - (max > 0 ? (value / max) * (height - 6) : 0);
    return [x, y] as const;
  });
  const last = points[points.length - 1];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<title>${escapeXml(label)}</title>` +
    (points.length > 1
      ? `<polyline points="${points.map(([x, y]) => `${coordinate(x)},${coordinate(y)}`).join(' ')}"/>`
      : '') +
    (last ? `<circle cx="${coordinate(last[0])}" cy="${coordinate(last[1])}" r="2"/>` : '') +
    '</svg>'
  );
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ISO weekday (1 = Monday) of a YYYY-MM-DD date. */
function isoWeekday(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The value bounds of heatmap shade `index` (1..4) for a maximum, as the legend says them. */
export function shadeBounds(index: number, max: number): { from: number; to: number } {
  return { from: ((index - 1) / 4) * max, to: (index / 4) * max };
}

/**
 * A calendar of days (weeks as columns, Monday to Sunday as rows) shaded in 5 steps (none,
 * then quarters of the maximum, as in `heatmap`), with month and weekday labels and a legend
 * that names each shade's range. One `rect.day` per day, carrying its date and value.
 */
export function calendarHeatmapSvg(
  days: ReadonlyArray<{ date: string; value: number }>,
  options: { id: string; title: string; description: string; unit: string },
): string {
  const cell = 17;
  const gap = 3;
  const left = 34;
  const top = 20;
  const first = days[0];
  const offset = first ? isoWeekday(first.date) - 1 : 0;
  const weeks = Math.max(1, Math.ceil((offset + days.length) / 7));
  const max = days.reduce((highest, day) => Math.max(highest, day.value), 0);
  const width = Math.max(left + weeks * (cell + gap) + 8, 420);
  const gridHeight = top + 7 * (cell + gap);
  const height = gridHeight + 52;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" id="${escapeXml(options.id)}" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `aria-labelledby="${options.id}-title ${options.id}-desc">`,
    `<title id="${options.id}-title">${escapeXml(options.title)}</title>`,
    `<desc id="${options.id}-desc">${escapeXml(options.description)}</desc>`,
  ];
  [0, 2, 4, 6].forEach((row) => {
    parts.push(
      `<text class="weekday" x="${left - 6}" y="${top + row * (cell + gap) + cell - 3}" text-anchor="end">${WEEKDAYS[row]}</text>`,
    );
  });
  let lastMonth = '';
  days.forEach((day, index) => {
    const position = offset + index;
    const column = Math.floor(position / 7);
    const row = position % 7;
    const x = left + column * (cell + gap);
    const y = top + row * (cell + gap);
    const month = day.date.slice(5, 7);
    if (month !== lastMonth && (row === 0 || index === 0)) {
      parts.push(
        `<text class="month" x="${x}" y="${top - 6}">${MONTHS[Number(month) - 1] ?? ''}</text>`,
      );
      lastMonth = month;
    }
    const shade = shadeIndex(day.value, max);
    parts.push(
      `<rect class="day" x="${x}" y="${y}" width="${cell}" height="${cell}" rx="2" fill="${HEATMAP_SHADES[shade]}" ` +
        `data-date="${day.date}" data-value="${dataValue(day.value)}" data-shade="${shade}">` +
        `<title>${day.date}: ${escapeXml(formatHumanNumber(day.value))} ${escapeXml(options.unit)}</title></rect>`,
    );
  });
  // Legend: each shade with the range of values it stands for.
  const legendY = gridHeight + 14;
  parts.push(`<g class="legend" transform="translate(${left} ${legendY})">`);
  let x = 0;
  HEATMAP_SHADES.forEach((colour, index) => {
    const text = index === 0 ? 'no data / 0' : `≤ ${formatHumanNumber(shadeBounds(index, max).to)}`;
    parts.push(
      `<rect x="${x}" y="0" width="${cell}" height="${cell}" rx="2" fill="${colour}" class="legend-shade"/>` +
        `<text x="${x + cell + 4}" y="${cell - 3}">${escapeXml(text)}</text>`,
    );
    x += cell + 12 + text.length * 6.4;
  });
  parts.push(
    `<text x="0" y="${cell + 22}" class="note">${escapeXml(`${options.unit} per day; darker = more`)}</text>`,
    '</g>',
    '</svg>',
  );
  return parts.join('\n');
}

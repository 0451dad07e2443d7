/**
 * Terminal charts: a sparkline for forecasts, stacked busy/idle bars for history, and a
 * GitHub-style calendar heatmap. Pure string builders; colour comes in through `Paint`.
 */
import { formatHumanNumber } from './format.js';

/** The few colour functions charts use (a chalk instance satisfies it). */
export interface Paint {
  green: (s: string) => string;
  yellow: (s: string) => string;
  red: (s: string) => string;
  gray: (s: string) => string;
  dim: (s: string) => string;
  cyan: (s: string) => string;
}

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** One-line sparkline of a series, scaled between its min and max. */
export function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  return values
    .map((value) => {
      const index = span === 0 ? 3 : Math.round(((value - min) / span) * (SPARK.length - 1));
      return SPARK[index] ?? '';
    })
    .join('');
}

/** Horizontal stacked bars (busy █, idle ░) with the numbers, one line per label. */
export function stackedBars(
  labels: string[],
  busy: number[],
  idle: number[],
  options: { width?: number; unit: string; paint: Paint },
): string {
  const width = options.width ?? 40;
  const totals = labels.map((_, i) => (busy[i] ?? 0) + (idle[i] ?? 0));
  const max = Math.max(0, ...totals);
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const lines = labels.map((label, i) => {
    const b = busy[i] ?? 0;
    const d = idle[i] ?? 0;
    const busyCells = max === 0 ? 0 : Math.round((b / max) * width);
    const idleCells = max === 0 ? 0 : Math.round(((b + d) / max) * width) - busyCells;
    const bar =
      options.paint.red('█'.repeat(busyCells)) +
      options.paint.gray('░'.repeat(Math.max(0, idleCells)));
    const pad = ' '.repeat(Math.max(0, width - busyCells - Math.max(0, idleCells)));
    return `${label.padEnd(labelWidth)} ${bar}${pad} ${formatHumanNumber(b + d)} ${options.unit}`;
  });
  lines.push(
    `${' '.repeat(labelWidth)} ${options.paint.red('█')} busy  ${options.paint.gray('░')} idle`,
  );
  return lines.join('\n') + '\n';
}

const SHADES = ['·', '░', '▒', '▓', '█'];

/** Quantise a value into one of 5 shades (0 = none). */
export function shadeIndex(value: number, max: number): number {
  if (value <= 0 || max <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((value / max) * 4)));
}

/**
 * A calendar of a year: 7 rows (Mon–Sun) × weeks, 5 shades, month labels on top and a legend.
 * `days` are ISO dates (YYYY-MM-DD) in order with their values; `firstWeekday` is the ISO
 * weekday (1 = Monday) of the first day.
 */
export function calendarHeatmap(
  days: Array<{ date: string; value: number }>,
  firstWeekday: number,
  options: { unit: string; paint: Paint },
): string {
  const max = Math.max(0, ...days.map((d) => d.value));
  const columns: string[][] = [];
  const monthLabels: string[] = [];
  let column: string[] = new Array<string>(firstWeekday - 1).fill(' ');
  let lastMonth = '';
  const paintShade = (index: number): string => {
    const glyph = SHADES[index] ?? '·';
    if (index === 0) return options.paint.dim(glyph);
    if (index <= 2) return options.paint.green(glyph);
    if (index === 3) return options.paint.yellow(glyph);
    return options.paint.red(glyph);
  };
  days.forEach((day) => {
    if (column.length === 0) {
      const month = day.date.slice(5, 7);
      monthLabels[columns.length] = month !== lastMonth ? monthName(month) : '';
      lastMonth = month;
    } else if (columns.length === 0 && monthLabels.length === 0) {
      monthLabels[0] = monthName(day.date.slice(5, 7));
      lastMonth = day.date.slice(5, 7);
    }
    column.push(paintShade(shadeIndex(day.value, max)));
    if (column.length === 7) {
      columns.push(column);
      column = [];
    }
  });
  if (column.length > 0)
    columns.push([...column, ...new Array<string>(7 - column.length).fill(' ')]);
  // Month labels are three letters: write each where its month starts, if it fits.
  let header = '';
  for (let i = 0; i < columns.length; i += 1) {
    const label = monthLabels[i];
    if (label && header.length <= i) header = header.padEnd(i) + label;
  }
  const weekdayNames = ['Mon', '   ', 'Wed', '   ', 'Fri', '   ', 'Sun'];
  const lines = [`    ${header}`];
  for (let row = 0; row < 7; row += 1) {
    lines.push(`${weekdayNames[row] ?? ''} ${columns.map((c) => c[row] ?? ' ').join('')}`);
  }
  const legend = [0, 1, 2, 3, 4].map((i) => paintShade(i)).join(' ');
  lines.push('', `    less ${legend} more   (max ${formatHumanNumber(max)} ${options.unit}/day)`);
  return lines.join('\n') + '\n';
}

function monthName(month: string): string {
  return (
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
      Number(month) - 1
    ] ?? ''
  );
}

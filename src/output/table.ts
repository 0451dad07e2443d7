/**
 * Tables: box-drawn (cli-table3) on a terminal, plain aligned columns in pipes and logs, CSV with
 * full precision, Markdown for CI step summaries. Commands describe a table as data; they never
 * format cells themselves.
 */
import { formatHumanNumber } from './format.js';
import { cleanExternal } from './sanitize.js';

/** One column: a key into the row, a header with its unit, and how to show the value. */
export interface Column {
  key: string;
  header: string;
  kind?: 'text' | 'number' | 'percent';
}

/** A cell value: text, a number (formatted for people in tables, full precision in CSV), or empty. */
export type Cell = string | number | boolean | null | undefined;

/** A table as data. */
export interface TableData {
  title?: string;
  columns: Column[];
  rows: Array<Record<string, Cell>>;
  /** A totals row, printed under a rule. */
  footer?: Record<string, Cell>;
}

/** Text of a cell for people. */
export function humanCell(value: Cell, column: Column): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    return column.kind === 'percent' ? `${formatHumanNumber(value)}%` : formatHumanNumber(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return cleanExternal(value);
}

function isRightAligned(column: Column): boolean {
  return column.kind === 'number' || column.kind === 'percent';
}

/** Plain aligned columns: what a pipe, a log file or `watch` sees. */
export function renderPlainTable(table: TableData): string {
  const header = table.columns.map((c) => c.header);
  const body = table.rows.map((row) => table.columns.map((c) => humanCell(row[c.key], c)));
  const footer = table.footer
    ? [table.columns.map((c) => humanCell(table.footer?.[c.key], c))]
    : [];
  const all = [header, ...body, ...footer];
  const widths = table.columns.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const column = table.columns[i];
        const width = widths[i] ?? 0;
        return column && isRightAligned(column) ? padStart(cell, width) : padEnd(cell, width);
      })
      .join('  ')
      .trimEnd();
  const lines: string[] = [];
  if (table.title) lines.push(table.title);
  lines.push(line(header));
  for (const row of body) lines.push(line(row));
  if (footer[0]) {
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    lines.push(line(footer[0]));
  }
  return lines.join('\n') + '\n';
}

/** Markdown table, for GitHub step summaries and issues. */
export function renderMarkdownTable(table: TableData): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const lines: string[] = [];
  if (table.title) lines.push(`**${escape(table.title)}**`, '');
  lines.push(`| ${table.columns.map((c) => escape(c.header)).join(' | ')} |`);
  lines.push(`|${table.columns.map((c) => (isRightAligned(c) ? '---:' : '---')).join('|')}|`);
  const rows = table.footer ? [...table.rows, table.footer] : table.rows;
  rows.forEach((row, index) => {
    const cells = table.columns.map((c) => escape(humanCell(row[c.key], c)));
    const isFooter = table.footer !== undefined && index === rows.length - 1;
    lines.push(`| ${(isFooter ? cells.map((x) => (x ? `**${x}**` : x)) : cells).join(' | ')} |`);
  });
  return lines.join('\n') + '\n';
}

/** Box-drawn table on a terminal, through cli-table3 (loaded only when needed). */
export async function renderBoxTable(
  table: TableData,
  style: { bold: (s: string) => string },
): Promise<string> {
  const { default: CliTable } = await import('cli-table3');
  const instance = new CliTable({
    head: table.columns.map((c) => style.bold(c.header)),
    colAligns: table.columns.map((c) => (isRightAligned(c) ? 'right' : 'left')),
    style: { head: [], border: [] },
  });
  for (const row of table.rows) instance.push(table.columns.map((c) => humanCell(row[c.key], c)));
  if (table.footer) {
    instance.push(table.columns.map((c) => style.bold(humanCell(table.footer?.[c.key], c))));
  }
  return (table.title ? `${style.bold(table.title)}\n` : '') + instance.toString() + '\n';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Visible width of a string (ANSI escapes do not count). */
export function displayWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/**
 * CSV with full precision and spreadsheet formula injection neutralised (SPEC §7): a text cell
 * starting with = + - @ tab or CR gets a leading apostrophe; numbers are never altered.
 */
import { stringify } from 'csv-stringify/sync';
import type { Cell, TableData } from './table.js';

const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralise one text cell against formula injection (OWASP CSV injection guidance). */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One CSV cell: numbers as full-precision numbers, text neutralised, empty for null. */
export function csvCell(value: Cell): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? value : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return neutraliseFormula(value);
}

/** Header plus rows, RFC 4180 quoting, `\n` line ends. */
export function renderCsv(
  table: Pick<TableData, 'columns' | 'rows'>,
  options?: { header?: boolean },
): string {
  const records: Array<Array<string | number>> = table.rows.map((row) =>
    table.columns.map((c) => csvCell(row[c.key])),
  );
  if (options?.header ?? true) records.unshift(table.columns.map((c) => c.header));
  return stringify(records, { cast: { number: (n) => String(n) }, record_delimiter: '\n' });
}

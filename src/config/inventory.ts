/**
 * Reads a workspace inventory CSV (config `clusters[].workspaces.inventory`): a header line with
 * `host` and any of `owner, project, machine, tag, created, deleted` (other columns ignored),
 * then one line per workspace. Dates are `YYYY-MM-DD` (midnight UTC) or ISO 8601. Every problem
 * is reported at once with its line, as a config error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { InventoryEntry, WorkspaceInventory } from '../core/workspaces.js';
import { ConfigError } from '../errors.js';

const COLUMNS = ['host', 'owner', 'project', 'machine', 'tag', 'created', 'deleted'] as const;

function parseDate(text: string): Date | null {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Parses inventory CSV text; `name` names the file in errors. */
export function parseInventory(text: string, name: string): WorkspaceInventory {
  let records: string[][];
  try {
    const parsed: unknown = parse(text, {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    });
    records = parsed as string[][];
  } catch (error) {
    throw new ConfigError(
      `workspace inventory ${name} is not valid CSV: ${(error as Error).message}`,
    );
  }
  const header = (records[0] ?? []).map((column) => column.toLowerCase());
  if (!header.includes('host')) {
    throw new ConfigError(`workspace inventory ${name} has no "host" column in its header`, {
      hint: `The first line names the columns: ${COLUMNS.join(',')} (all but host optional).`,
    });
  }
  const index = Object.fromEntries(COLUMNS.map((column) => [column, header.indexOf(column)]));
  const problems: string[] = [];
  const inventory = new Map<string, InventoryEntry>();
  records.slice(1).forEach((record, position) => {
    const line = position + 2;
    const cell = (column: (typeof COLUMNS)[number]): string | null => {
      const at = index[column] ?? -1;
      const value = at < 0 ? '' : (record[at] ?? '');
      return value === '' ? null : value;
    };
    const host = cell('host');
    if (host === null) {
      problems.push(`line ${line}: no host`);
      return;
    }
    const dates: Record<'created' | 'deleted', Date | null> = { created: null, deleted: null };
    for (const column of ['created', 'deleted'] as const) {
      const text = cell(column);
      if (text === null) continue;
      const date = parseDate(text);
      if (date === null) problems.push(`line ${line}: ${column} ${text} is not a date`);
      dates[column] = date;
    }
    if (dates.created && dates.deleted && dates.deleted <= dates.created)
      problems.push(`line ${line}: deleted is not after created`);
    if (inventory.has(host)) problems.push(`line ${line}: host ${host} is listed twice`);
    inventory.set(host, {
      host,
      owner: cell('owner'),
      project: cell('project'),
      machine: cell('machine'),
      tag: cell('tag'),
      created: dates.created,
      deleted: dates.deleted,
    });
  });
  if (problems.length > 0) {
    throw new ConfigError(`workspace inventory ${name} has ${problems.length} problem(s)`, {
      hint: problems.join('; '),
    });
  }
  return inventory;
}

/** Reads and parses the inventory file at `path`. */
export function readInventory(path: string): WorkspaceInventory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `workspace inventory ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { hint: 'Check clusters[].workspaces.inventory in the config.' },
    );
  }
  return parseInventory(text, path);
}

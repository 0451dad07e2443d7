/**
 * The optional people CSV (config `people`): `owner,name,email` per line, with a header naming
 * the columns (`owner` required). It turns owner ids into display names and addresses for
 * show-back: `usage --by owner` tables and `report export --split-by owner` entries. Problems
 * are reported at once with their lines (config error, exit 2).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../errors.js';

/** One person. */
export interface Person {
  owner: string;
  name: string | null;
  email: string | null;
}

/** Parses people CSV text; `name` names the file in errors. */
export function parsePeople(text: string, file: string): Map<string, Person> {
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
    throw new ConfigError(`people file ${file} is not valid CSV: ${(error as Error).message}`);
  }
  const header = (records[0] ?? []).map((column) => column.toLowerCase());
  const at = (column: string): number => header.indexOf(column);
  if (at('owner') < 0) {
    throw new ConfigError(`people file ${file} has no "owner" column in its header`, {
      hint: 'The first line names the columns: owner,name,email.',
    });
  }
  const people = new Map<string, Person>();
  const problems: string[] = [];
  records.slice(1).forEach((record, position) => {
    const cell = (column: string): string | null => {
      const index = at(column);
      const value = index < 0 ? '' : (record[index] ?? '');
      return value === '' ? null : value;
    };
    const owner = cell('owner');
    if (owner === null) {
      problems.push(`line ${position + 2}: no owner`);
      return;
    }
    if (people.has(owner)) problems.push(`line ${position + 2}: owner ${owner} is listed twice`);
    people.set(owner, { owner, name: cell('name'), email: cell('email') });
  });
  if (problems.length > 0) {
    throw new ConfigError(`people file ${file} has ${problems.length} problem(s)`, {
      hint: problems.join('; '),
    });
  }
  return people;
}

/** Reads the people file at `path`. */
export function readPeople(path: string): Map<string, Person> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `people file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { hint: 'Check "people" in the config.' },
    );
  }
  return parsePeople(text, path);
}

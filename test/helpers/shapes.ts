/**
 * The seeds' JSON shapes (fixtures/seed-shapes): load one, and compare carbonctl's output with it
 * key by key and type by type. `"*"` in a fixture matches every entry of a map whose keys vary.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'seed-shapes');

/** A fixture of fixtures/seed-shapes, parsed. */
export function seedShape(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Every path of `expected` missing from `actual` or of another type, as `path: why`. */
export function shapeMismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (jsonType(expected) !== jsonType(actual))
    return [`${path}: expected ${jsonType(expected)}, got ${jsonType(actual)}`];
  if (jsonType(expected) === 'array') {
    // An example list: every element of the output has the shape of the example's first one.
    const example = (expected as unknown[])[0];
    const items = actual as unknown[];
    if (example === undefined) return [];
    if (items.length === 0) return [`${path}: expected at least one element`];
    return items.flatMap((item, index) => shapeMismatches(example, item, `${path}[${index}]`));
  }
  if (jsonType(expected) !== 'object') return [];
  const wanted = expected as Record<string, unknown>;
  const got = actual as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    if (key === '*') {
      const entries = Object.entries(got);
      if (entries.length === 0) problems.push(`${path}: expected at least one entry`);
      for (const [name, entry] of entries)
        problems.push(...shapeMismatches(value, entry, `${path}.${name}`));
    } else if (!(key in got)) {
      problems.push(`${path}.${key}: missing`);
    } else {
      problems.push(...shapeMismatches(value, got[key], `${path}.${key}`));
    }
  }
  return problems;
}

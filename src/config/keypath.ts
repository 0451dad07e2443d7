/** Dot paths into the settings object: `intensity.provider`, `clusters[0].prometheus.url`. */
import { UsageError } from '../errors.js';

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

/** Parse `a.b[0].c` into segments. */
export function parsePath(path: string): PathSegment[] {
  if (!/^[A-Za-z_$][\w$-]*(\[\d+\]|\.[A-Za-z_$][\w$-]*)*$/.test(path)) {
    throw new UsageError(`"${path}" is not a setting key`, {
      hint: 'Keys look like intensity.provider or clusters[0].prometheus.url; see `carbonctl config list`.',
    });
  }
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return segments;
}

/** Format segments back to a path. */
export function formatPath(segments: ReadonlyArray<PathSegment>): string {
  return segments
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

/** Read a value at a path; undefined when absent. */
export function getAt(root: unknown, segments: ReadonlyArray<PathSegment>): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Set a value at a path, creating objects/arrays on the way. */
export function setAt(
  root: Record<string, unknown>,
  segments: ReadonlyArray<PathSegment>,
  value: unknown,
): void {
  let current: Record<string | number, unknown> = root;
  segments.forEach((segment, index) => {
    if (index === segments.length - 1) {
      current[segment] = value;
      return;
    }
    const next = current[segment];
    if (next === null || typeof next !== 'object') {
      current[segment] = typeof segments[index + 1] === 'number' ? [] : {};
    }
    current = current[segment] as Record<string | number, unknown>;
  });
}

/** Delete the value at a path; returns whether something was there. */
export function deleteAt(root: unknown, segments: ReadonlyArray<PathSegment>): boolean {
  const parent = getAt(root, segments.slice(0, -1));
  const last = segments[segments.length - 1];
  if (parent === null || typeof parent !== 'object' || last === undefined) return false;
  const record = parent as Record<string | number, unknown>;
  if (!(last in record)) return false;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete record[last];
  return true;
}

/** Every leaf (non-object value, array of scalars, or empty object) with its path. */
export function leaves(root: unknown, prefix: PathSegment[] = []): Array<[PathSegment[], unknown]> {
  if (root === null || typeof root !== 'object') return [[prefix, root]];
  if (Array.isArray(root)) {
    if (root.length === 0 || root.every((item) => item === null || typeof item !== 'object')) {
      return [[prefix, root]];
    }
    return root.flatMap((item, index) => leaves(item, [...prefix, index]));
  }
  const entries = Object.entries(root as Record<string, unknown>);
  if (entries.length === 0) return [[prefix, root]];
  return entries.flatMap(([key, value]) => leaves(value, [...prefix, key]));
}

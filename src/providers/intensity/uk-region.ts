/**
 * GB Carbon Intensity API region selection, kept free of zod and undici so the CLI can
 * validate `--region` and label a provider without loading the HTTP stack.
 */
import { UsageError } from '../../errors.js';

/** Where GB intensity figures are for: the national series, a region id, or an outward postcode. */
export type UkRegion =
  { kind: 'national' } | { kind: 'regionid'; id: number } | { kind: 'postcode'; outward: string };

/**
 * Short names of regions 1–17 as the API documentation lists them (reference
 * carbon-intensity-apis.md §1.7, from carbon-intensity/api-definitions docs/index.html).
 * 15–17 are aggregates (England, Scotland, Wales).
 */
export const UK_REGION_NAMES: Readonly<Record<number, string>> = {
  1: 'North Scotland',
  2: 'South Scotland',
  3: 'North West England',
  4: 'North East England',
  5: 'Yorkshire',
  6: 'North Wales',
  7: 'South Wales',
  8: 'West Midlands',
  9: 'East Midlands',
  10: 'East England',
  11: 'South West England',
  12: 'South England',
  13: 'London',
  14: 'South East England',
  15: 'England',
  16: 'Scotland',
  17: 'Wales',
};

// Outward code of a UK postcode: area (1–2 letters), district digit, optional digit/letter.
const OUTWARD = /^[A-Z]{1,2}\d[A-Z\d]?$/;
// A full postcode written without the space: outward part then the inward `9AA`.
const FULL_WITHOUT_SPACE = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/;

const REGION_HINT =
  'use a GB region id 1-17 (e.g. 13 for London) or an outward postcode such as RG41 or OX1; leave region unset for national figures';

/** Parses `--region` / `intensity.region`: null or empty = national, `1`–`17`, or a postcode (`OX1 3QD` → `OX1`). */
export function parseUkRegion(region: string | null): UkRegion {
  if (region === null) return { kind: 'national' };
  const text = region.trim().toUpperCase();
  if (text === '') return { kind: 'national' };

  if (/^\d+$/.test(text)) {
    const id = Number(text);
    if (id >= 1 && id <= 17) return { kind: 'regionid', id };
    throw new UsageError(`region ${region} is not a GB region id (expected 1-17)`, {
      hint: REGION_HINT,
    });
  }

  // The API takes the outward code only; drop the inward part whether or not it is spaced.
  const parts = text.split(/\s+/);
  let outward = parts[0] ?? '';
  if (parts.length === 1) {
    const joined = FULL_WITHOUT_SPACE.exec(outward);
    if (joined?.[1] !== undefined) outward = joined[1];
  }
  const inwardOk =
    parts.length === 1 || (parts.length === 2 && /^\d[A-Z]{2}$/.test(parts[1] ?? ''));
  if (!OUTWARD.test(outward) || !inwardOk) {
    throw new UsageError(
      `region ${JSON.stringify(region)} is not a GB region id (1-17) or a UK postcode`,
      { hint: REGION_HINT },
    );
  }
  return { kind: 'postcode', outward };
}

/** A human label for the region, e.g. `GB national`, `region 13 (London)`, `postcode OX1`. */
export function ukRegionLabel(region: UkRegion): string {
  switch (region.kind) {
    case 'national':
      return 'GB national';
    case 'regionid':
      return `region ${region.id} (${UK_REGION_NAMES[region.id] ?? 'unknown'})`;
    case 'postcode':
      return `postcode ${region.outward}`;
  }
}

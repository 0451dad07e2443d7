/**
 * Parsers and formatters for the values people type: durations, masses, energies, plain
 * numbers, Kubernetes CPU/memory quantities and points in time. Pure: every function takes
 * what it needs (including the time zone) as arguments and never reads the clock.
 */
import { DateTime } from 'luxon';

import { InvalidInputError } from './input-error.js';

export { InvalidInputError };

// The `expected` texts, shared so messages read the same everywhere.
/** `expected` text for a bad date or timestamp. */
export const EXPECTED_TIME = 'a date (expected YYYY-MM-DD or an ISO 8601 timestamp)';
/** `expected` text for a bad duration. */
export const EXPECTED_DURATION =
  'a duration (expected e.g. 30min, 6h, 7d, 2w, 3mo, 1y; use "min" for minutes, "mo" for months)';
/** `expected` text for a bad time zone. */
export const EXPECTED_ZONE = 'a time zone (expected an IANA name such as UTC or Europe/London)';

// A plain decimal number as people type it: no sign, no hex, no `Infinity`, optional exponent.
// `Number('')` is 0 and `Number('0x10')` is 16, so `Number` alone is too lenient.
const DECIMAL = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`;
const DECIMAL_RE = new RegExp(`^${DECIMAL}$`);

/** Parses a finite, non-negative decimal number (`0`, `1.5`, `2e3`); rejects signs, NaN, Infinity, `1e400`, trailing junk. */
export function parseNonNegativeNumber(text: string): number {
  const trimmed = text.trim();
  const value = DECIMAL_RE.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidInputError('a non-negative number', { value: text });
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Durations

/** The units a duration can be given in. */
export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days' | 'weeks' | 'months' | 'years';

/** A parsed duration: `amount` of `unit`, plus the text the user typed (for messages and provenance). */
export interface DurationSpec {
  amount: number;
  unit: DurationUnit;
  text: string;
}

// Accepted spellings (lower-cased). A bare `m` is deliberately absent: minutes or months?
const DURATION_UNITS: ReadonlyMap<string, DurationUnit> = new Map<string, DurationUnit>([
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((k) => [k, 'seconds'] as const),
  ...['min', 'mins', 'minute', 'minutes'].map((k) => [k, 'minutes'] as const),
  ...['h', 'hr', 'hrs', 'hour', 'hours'].map((k) => [k, 'hours'] as const),
  ...['d', 'day', 'days'].map((k) => [k, 'days'] as const),
  ...['w', 'wk', 'wks', 'week', 'weeks'].map((k) => [k, 'weeks'] as const),
  ...['mo', 'mos', 'month', 'months'].map((k) => [k, 'months'] as const),
  ...['y', 'yr', 'yrs', 'year', 'years'].map((k) => [k, 'years'] as const),
]);

const DURATION_RE = new RegExp(`^(${DECIMAL})\\s*([a-z]+)$`, 'i');

/** Parses `30s`, `30min`, `6h`, `7d`, `2w`, `3mo`, `1y` (and long forms like `6hours`); rejects bare `m`, 0, negatives. */
export function parseDuration(text: string): DurationSpec {
  const trimmed = text.trim();
  const match = DURATION_RE.exec(trimmed);
  if (match === null) {
    throw new InvalidInputError(EXPECTED_DURATION, { value: text });
  }
  const amount = Number(match[1]);
  const suffix = (match[2] ?? '').toLowerCase();
  if (suffix === 'm') {
    throw new InvalidInputError(
      'a duration ("m" is ambiguous: write "min" for minutes or "mo" for months)',
      { value: text },
    );
  }
  const unit = DURATION_UNITS.get(suffix);
  if (unit === undefined || !Number.isFinite(amount) || amount <= 0) {
    throw new InvalidInputError(EXPECTED_DURATION, { value: text });
  }
  // Calendar units have no fixed length, so a fraction of one has no clear meaning.
  if ((unit === 'months' || unit === 'years') && !Number.isInteger(amount)) {
    throw new InvalidInputError(
      'a duration (months and years must be whole numbers, e.g. 3mo or 1y)',
      { value: text },
    );
  }
  if (amount * NOMINAL_DAYS[unit] > MAX_DURATION_DAYS) {
    throw new InvalidInputError(`a duration of at most ${MAX_DURATION_YEARS} years`, {
      value: text,
    });
  }
  return { amount, unit, text: trimmed };
}

/** The longest duration any flag accepts: longer ones are typing mistakes, not windows. */
export const MAX_DURATION_YEARS = 100;
const MAX_DURATION_DAYS = MAX_DURATION_YEARS * 366;
/** Upper bound of each unit in days, for the maximum above only. */
const NOMINAL_DAYS: Readonly<Record<DurationUnit, number>> = {
  seconds: 1 / 86_400,
  minutes: 1 / 1_440,
  hours: 1 / 24,
  days: 1,
  weeks: 7,
  months: 31,
  years: 366,
};

/** Nominal days of a duration (a month 30.44 days, a year 365.25), for bounds checks. */
export function nominalDays(duration: DurationSpec): number {
  const average: Record<DurationUnit, number> = {
    ...NOMINAL_DAYS,
    months: 30.436875,
    years: 365.2425,
  };
  return duration.amount * average[duration.unit];
}

const MILLIS_PER_UNIT: Readonly<Record<Exclude<DurationUnit, 'months' | 'years'>, number>> = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

/**
 * The nominal length of a duration in milliseconds (a day is 24 h, a week 7 d). Months and
 * years throw, because their length depends on where in the calendar they fall: use
 * `addDuration`/`subtractDuration` for those.
 */
export function durationToMillis(duration: DurationSpec): number {
  if (duration.unit === 'months' || duration.unit === 'years') {
    throw new InvalidInputError(
      'a fixed-length duration (use s, min, h, d or w here, not mo or y)',
      {
        value: duration.text,
      },
    );
  }
  return duration.amount * MILLIS_PER_UNIT[duration.unit];
}

/** Throws unless `zone` is an IANA zone luxon knows (or `UTC`). */
export function assertValidZone(zone: string): void {
  // A fixed instant, not the clock: only the zone's validity matters here.
  if (!DateTime.fromMillis(0, { zone }).isValid) {
    throw new InvalidInputError(EXPECTED_ZONE, { value: zone });
  }
}

function shiftByDuration(date: Date, duration: DurationSpec, zone: string, sign: 1 | -1): Date {
  assertValidZone(zone);
  // Seconds/minutes/hours are exact elapsed time; days and longer are calendar steps in the
  // zone, so `7d` across a DST change lands on the same local clock time (167 or 169 h).
  const shifted = DateTime.fromJSDate(date, { zone }).plus({
    [duration.unit]: sign * duration.amount,
  });
  if (!shifted.isValid) {
    throw new InvalidInputError('a duration that stays within the supported date range', {
      value: duration.text,
    });
  }
  return shifted.toJSDate();
}

/** `date` minus `duration`, calendar-correct in `zone` for days, weeks, months and years. */
export function subtractDuration(date: Date, duration: DurationSpec, zone: string): Date {
  return shiftByDuration(date, duration, zone, -1);
}

/** `date` plus `duration`, calendar-correct in `zone` for days, weeks, months and years. */
export function addDuration(date: Date, duration: DurationSpec, zone: string): Date {
  return shiftByDuration(date, duration, zone, 1);
}

// ---------------------------------------------------------------------------------------------
// Mass and energy

const MASS_RE = new RegExp(`^(${DECIMAL})\\s*([a-z0-9]*)$`, 'i');
const GRAMS_PER_MASS_UNIT: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['g', 1],
  ['gco2e', 1],
  ['gco2eq', 1],
  ['kg', 1_000],
  ['kgco2e', 1_000],
  ['kgco2eq', 1_000],
  // t = metric tonne.
  ['t', 1_000_000],
  ['tco2e', 1_000_000],
  ['tco2eq', 1_000_000],
]);

/** Parses a CO2e mass into grams: `500g`, `2kg`, `0.1t`, `500` (grams), `2kgCO2e`; case-insensitive, non-negative. */
export function parseMassGrams(text: string): number {
  const match = MASS_RE.exec(text.trim());
  const factor =
    match === null ? undefined : GRAMS_PER_MASS_UNIT.get((match[2] ?? '').toLowerCase());
  const amount = match === null ? Number.NaN : Number(match[1]);
  const grams = factor === undefined ? Number.NaN : amount * factor;
  if (!Number.isFinite(grams) || grams < 0) {
    throw new InvalidInputError('a mass (expected e.g. 500g, 2kg or 0.1t of CO2e)', {
      value: text,
    });
  }
  return grams;
}

const KWH_PER_ENERGY_UNIT: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['kwh', 1],
  ['wh', 0.001],
  ['mwh', 1_000],
  ['gwh', 1_000_000],
]);

/** Parses an energy into kWh: `1.5` (kWh), `1.5kWh`, `500Wh`, `2MWh`; non-negative. */
export function parseEnergyKwh(text: string): number {
  const match = MASS_RE.exec(text.trim());
  const factor =
    match === null ? undefined : KWH_PER_ENERGY_UNIT.get((match[2] ?? '').toLowerCase());
  const amount = match === null ? Number.NaN : Number(match[1]);
  const kwh = factor === undefined ? Number.NaN : amount * factor;
  if (!Number.isFinite(kwh) || kwh < 0) {
    throw new InvalidInputError('an energy (expected e.g. 1.5, 1.5kWh, 500Wh or 2MWh)', {
      value: text,
    });
  }
  return kwh;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource: decimal SI and binary suffixes)

const CORES_PER_CPU_SUFFIX: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['m', 1e-3],
  // metrics-server and cAdvisor-derived tools report nano- and micro-cores.
  ['u', 1e-6],
  ['n', 1e-9],
]);

const QUANTITY_RE = new RegExp(`^(${DECIMAL})([a-zA-Z]*)$`);

/** Parses a Kubernetes CPU quantity into cores: `500m` → 0.5, `2` → 2, `250000000n` → 0.25. */
export function parseCpuQuantity(text: string): number {
  const match = QUANTITY_RE.exec(text.trim());
  const factor = match === null ? undefined : CORES_PER_CPU_SUFFIX.get(match[2] ?? '');
  const cores = factor === undefined || match === null ? Number.NaN : Number(match[1]) * factor;
  if (!Number.isFinite(cores) || cores < 0) {
    throw new InvalidInputError(
      'a CPU quantity (expected cores such as 2 or 0.5, or millicores such as 500m)',
      {
        value: text,
      },
    );
  }
  return cores;
}

const BYTES_PER_MEMORY_SUFFIX: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['m', 1e-3], // Kubernetes allows milli-bytes (e.g. `128974848000m`).
  ['k', 1e3],
  ['K', 1e3], // not valid in Kubernetes, but unambiguous: accept it.
  ['M', 1e6],
  ['G', 1e9],
  ['T', 1e12],
  ['P', 1e15],
  ['E', 1e18],
  ['Ki', 2 ** 10],
  ['Mi', 2 ** 20],
  ['Gi', 2 ** 30],
  ['Ti', 2 ** 40],
  ['Pi', 2 ** 50],
  ['Ei', 2 ** 60],
]);

/** Parses a Kubernetes memory quantity into bytes: `512Mi`, `1Gi`, `1G`, `1e9`, `128974848`. */
export function parseMemoryQuantity(text: string): number {
  const match = QUANTITY_RE.exec(text.trim());
  const factor = match === null ? undefined : BYTES_PER_MEMORY_SUFFIX.get(match[2] ?? '');
  const bytes = factor === undefined || match === null ? Number.NaN : Number(match[1]) * factor;
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new InvalidInputError(
      'a memory quantity (expected bytes such as 512Mi, 1Gi, 1G or 128974848)',
      {
        value: text,
      },
    );
  }
  return bytes;
}

// Rounding up with a little slack so binary floating-point noise (0.51 × 1000 =
// 510.00000000000006) does not add a unit, while a real fraction still rounds up: a formatted
// request must never undercut the computed one.
function ceilWithSlack(value: number): number {
  return Math.ceil(value - 1e-6);
}

/** Formats cores as Kubernetes millicores, rounding up to a whole millicore: 0.51 → `510m`, 2 → `2000m`. */
export function formatCpuQuantity(cores: number): string {
  if (!Number.isFinite(cores) || cores < 0) {
    throw new RangeError(
      `CPU quantity must be a finite non-negative number of cores, got ${cores}`,
    );
  }
  return `${Math.max(0, ceilWithSlack(cores * 1000))}m`;
}

const BINARY_SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/**
 * Formats bytes as a Kubernetes binary quantity: the largest suffix that divides the value
 * exactly (`268435456` → `256Mi`, 1.5 GiB → `1536Mi`); otherwise rounded up to a whole Mi
 * (or Ki below 1 Mi), so a recommended request is never smaller than computed.
 */
export function formatMemoryQuantity(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(
      `memory quantity must be a finite non-negative number of bytes, got ${bytes}`,
    );
  }
  if (bytes === 0) return '0';
  for (const [suffix, size] of BINARY_SUFFIXES) {
    if (bytes >= size && Number.isInteger(bytes / size)) return `${bytes / size}${suffix}`;
  }
  if (bytes >= 2 ** 20) return `${ceilWithSlack(bytes / 2 ** 20)}Mi`;
  if (bytes >= 2 ** 10) return `${ceilWithSlack(bytes / 2 ** 10)}Ki`;
  return `${ceilWithSlack(bytes)}`;
}

// ---------------------------------------------------------------------------------------------
// Points in time

const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
// Date, `T` or space, hh:mm[:ss[.fff]], optional `Z` or ±hh[:mm] offset.
/** Real UTC offsets run from -12:00 to +14:00; anything beyond ±14:00 is a typo. */
const MAX_OFFSET_MINUTES = 14 * 60;

/** False for a timestamp whose explicit UTC offset is beyond ±14:00 (`+25:00`) or has minutes ≥ 60. */
function offsetWithinRange(timestamp: string): boolean {
  const match = /[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?([+-])(\d{2}):?(\d{2})?$/i.exec(timestamp);
  if (match === null) return true;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  return minutes < 60 && hours * 60 + minutes <= MAX_OFFSET_MINUTES;
}

const TIMESTAMP_RE =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses `YYYY-MM-DD` (the start of that day in `zone`, or with `endOfDay` the start of the
 * next day, because ranges are half-open) or an ISO 8601 timestamp (with an offset, or in
 * `zone` when it has none). Rejects impossible dates such as `2025-13-01` and `2025-02-30`.
 */
export function parseTimeInput(text: string, zone: string, options?: { endOfDay?: boolean }): Date {
  assertValidZone(zone);
  const trimmed = text.trim();
  if (DATE_ONLY_RE.test(trimmed)) {
    const start = DateTime.fromISO(trimmed, { zone }).startOf('day');
    if (!start.isValid) throw new InvalidInputError(EXPECTED_TIME, { value: text });
    return (options?.endOfDay === true ? start.plus({ days: 1 }).startOf('day') : start).toJSDate();
  }
  if (TIMESTAMP_RE.test(trimmed)) {
    if (!offsetWithinRange(trimmed)) {
      throw new InvalidInputError(
        'a timestamp with a real UTC offset (from -14:00 to +14:00, e.g. +01:00 or Z)',
        { value: text },
      );
    }
    const normalised = trimmed.replace(' ', 'T').replace(/z$/, 'Z').replace(/t/, 'T');
    const parsed = DateTime.fromISO(normalised, { zone });
    // luxon reads `T24:00` as the next midnight; people mean a wall-clock time, so refuse it.
    if (parsed.isValid && !/T24/.test(normalised)) return parsed.toJSDate();
  }
  throw new InvalidInputError(EXPECTED_TIME, { value: text });
}

/**
 * Grid carbon-intensity maths: the GB index bands, an hour's intensity from half-hourly (or
 * hourly) slots, and the carbon-aware "best window" search of SPEC §3.
 */
import type { IntensityKind, IntensitySlot } from './ports.js';

/** The index bands of the GB Carbon Intensity API, lowest first. */
export type IntensityIndex = 'very low' | 'low' | 'moderate' | 'high' | 'very high';

/** The five index bands in ascending order. */
export const INTENSITY_INDEX_BANDS: readonly IntensityIndex[] = [
  'very low',
  'low',
  'moderate',
  'high',
  'very high',
];

/**
 * Lower bounds (gCO2/kWh) of `low`, `moderate`, `high` and `very high` per year: Table 2 of
 * the GB Carbon Intensity national methodology (Jan 2021 issue), as transcribed in
 * reference/carbon-intensity-apis.md §1.6.
 */
const INDEX_LOWER_BOUNDS_BY_YEAR: ReadonlyMap<number, readonly [number, number, number, number]> =
  new Map([
    [2017, [100, 200, 300, 400]],
    [2018, [80, 180, 280, 380]],
    [2019, [60, 160, 260, 360]],
    [2020, [55, 150, 230, 350]],
    [2021, [50, 140, 220, 330]],
    [2022, [45, 130, 210, 310]],
    [2023, [40, 120, 200, 290]],
    [2024, [35, 110, 190, 270]],
    [2025, [30, 100, 180, 250]],
    [2026, [25, 90, 170, 230]],
    [2027, [20, 80, 160, 210]],
    [2028, [15, 70, 150, 190]],
    [2029, [10, 60, 140, 170]],
    [2030, [5, 50, 130, 150]],
  ]);
const FIRST_INDEX_YEAR = 2017;
const LAST_INDEX_YEAR = 2030;

/**
 * The index band of an intensity in a given year. Years outside 2017–2030 use the nearest
 * table year; a value on a boundary belongs to the higher band (the table's "High" upper
 * bound equals the "Very high" lower bound).
 */
export function intensityIndex(gPerKwh: number, year: number): IntensityIndex {
  if (!Number.isFinite(gPerKwh))
    throw new RangeError(`intensity must be a finite number, got ${gPerKwh}`);
  const tableYear = Math.min(LAST_INDEX_YEAR, Math.max(FIRST_INDEX_YEAR, Math.trunc(year)));
  const bounds = INDEX_LOWER_BOUNDS_BY_YEAR.get(tableYear);
  if (bounds === undefined) throw new RangeError(`no index table for ${year}`); // unreachable: table is complete
  let band = 0;
  for (const bound of bounds) {
    if (gPerKwh >= bound) band += 1;
  }
  return INTENSITY_INDEX_BANDS[band] ?? 'very high';
}

/**
 * Upper bound of a usable grid intensity, g/kWh (SPEC §2: a provider value outside (0, 2000] is
 * unusable). The dirtiest grids average about 1,000 g/kWh (lignite/coal plant ~1,100–1,200 g/kWh,
 * reference/methodology.md), so 2,000 leaves room for any real hour and rejects unit errors.
 */
export const MAX_USABLE_INTENSITY_G_PER_KWH = 2000;

/**
 * True when a provider's intensity can be used for accounting: a finite number in (0, 2000]
 * g/kWh (SPEC §2). Zero, negative, absurd, non-numeric or missing values are unusable: they are
 * never cached and fall through the fallback chain like a missing value.
 */
export function isUsableIntensity(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value > 0 &&
    value <= MAX_USABLE_INTENSITY_G_PER_KWH
  );
}

/** Which value of a slot to read. */
type SlotValue = (slot: IntensitySlot) => { value: number; usedForecast: boolean } | null;

// Accounting reads measured outturn first; an unusable value is a gap, never 0.
const actualThenForecast: SlotValue = (slot) => {
  if (isUsableIntensity(slot.actual)) return { value: slot.actual, usedForecast: false };
  if (isUsableIntensity(slot.forecast)) return { value: slot.forecast, usedForecast: true };
  return null;
};

// Scheduling compares like with like: forecasts first, outturn only where no forecast exists.
const forecastThenActual: SlotValue = (slot) => {
  if (isUsableIntensity(slot.forecast)) return { value: slot.forecast, usedForecast: true };
  if (isUsableIntensity(slot.actual)) return { value: slot.actual, usedForecast: false };
  return null;
};

/**
 * Time-weighted mean over `[fromMs, toMs)` of `sorted` slots, or null unless that interval is
 * covered without gaps by slots with a value. Overlapping slots (duplicates) count once: the
 * earlier-starting slot wins for the overlap.
 */
function meanOver(
  sorted: readonly IntensitySlot[],
  fromMs: number,
  toMs: number,
  pick: SlotValue,
  startIndex = 0,
): { mean: number; usedForecast: boolean } | null {
  let cursor = fromMs;
  let weightedSum = 0;
  let usedForecast = false;
  for (let index = startIndex; index < sorted.length && cursor < toMs; index += 1) {
    const slot = sorted[index];
    if (slot === undefined) break;
    const slotFrom = slot.from.getTime();
    const slotTo = slot.to.getTime();
    if (slotTo <= cursor) continue;
    if (slotFrom > cursor) return null; // a gap
    const picked = pick(slot);
    if (picked === null) return null;
    const segmentEnd = Math.min(slotTo, toMs);
    weightedSum += picked.value * (segmentEnd - cursor);
    usedForecast ||= picked.usedForecast;
    cursor = segmentEnd;
  }
  if (cursor < toMs) return null;
  return { mean: weightedSum / (toMs - fromMs), usedForecast };
}

function sortSlots(slots: readonly IntensitySlot[]): IntensitySlot[] {
  return [...slots].sort(
    (a, b) => a.from.getTime() - b.from.getTime() || a.to.getTime() - b.to.getTime(),
  );
}

const HOUR_MS = 3_600_000;

/**
 * The intensity of the hour `[hourStart, +1h)`: the time-weighted mean of `actual ?? forecast`
 * over the slots covering it (two half-hours for the UK, one slot for Electricity Maps);
 * `kind` is `forecast` if any part used a forecast. Null unless the whole hour is covered.
 */
export function hourlyIntensity(
  slots: readonly IntensitySlot[],
  hourStart: Date,
): { intensityGPerKwh: number; kind: 'actual' | 'forecast' } | null {
  const fromMs = hourStart.getTime();
  const result = meanOver(sortSlots(slots), fromMs, fromMs + HOUR_MS, actualThenForecast);
  if (result === null) return null;
  return { intensityGPerKwh: result.mean, kind: result.usedForecast ? 'forecast' : 'actual' };
}

/** An hour's intensity from provider slots, and whether any part of it was a forecast. */
export interface SlotHourIntensity {
  intensityGPerKwh: number;
  kind: 'actual' | 'forecast';
}

/**
 * {@link hourlyIntensity} for every whole hour of `[fromMs, toMs)` at once: the slots are sorted
 * once and walked forwards, so a window of N hours costs O(N + slots), not N sorts. Hours the
 * slots do not cover with usable values are absent.
 */
export function hourlyIntensityIndex(
  slots: readonly IntensitySlot[],
  fromMs: number,
  toMs: number,
): Map<number, SlotHourIntensity> {
  const sorted = sortSlots(slots);
  const byHour = new Map<number, SlotHourIntensity>();
  let start = 0;
  for (let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS; hour < toMs; hour += HOUR_MS) {
    while (start < sorted.length && (sorted[start] as IntensitySlot).to.getTime() <= hour) start++;
    const result = meanOver(sorted, hour, hour + HOUR_MS, actualThenForecast, start);
    if (result !== null)
      byHour.set(hour, {
        intensityGPerKwh: result.mean,
        kind: result.usedForecast ? 'forecast' : 'actual',
      });
  }
  return byHour;
}

/** The estimation reason an intensity of this kind adds (SPEC §2), if any. */
export function intensityReasons(kind: IntensityKind): string[] {
  if (kind === 'forecast') return ['intensity_forecast'];
  if (kind === 'static') return ['intensity_static_annual'];
  return [];
}

/** The intensity an hour is priced at, with what kind of figure it is and why it is estimated. */
export interface HourIntensity {
  gPerKwh: number;
  kind: IntensityKind;
  reasons: string[];
}

/**
 * SPEC §2's fallback chain for one hour, as one decision: the provider's value (actual, else
 * forecast, already combined in `provider`) → the static annual average for the zone, only when
 * estimates are allowed → null (the caller refuses: exit 3 naming the hours). `fixedKind`
 * names offline providers' constant values for what they are (`static`, `fixed`).
 */
export function decideHourIntensity(input: {
  provider: SlotHourIntensity | null;
  fixedKind: 'static' | 'fixed' | null;
  staticAnnualGPerKwh: number | null;
  allowEstimates: boolean;
}): HourIntensity | null {
  if (input.provider !== null && isUsableIntensity(input.provider.intensityGPerKwh)) {
    const kind: IntensityKind = input.fixedKind ?? input.provider.kind;
    return { gPerKwh: input.provider.intensityGPerKwh, kind, reasons: intensityReasons(kind) };
  }
  if (input.allowEstimates && isUsableIntensity(input.staticAnnualGPerKwh)) {
    return {
      gPerKwh: input.staticAnnualGPerKwh,
      kind: 'static',
      reasons: intensityReasons('static'),
    };
  }
  return null;
}

/**
 * Time-weighted mean over `[fromMs, toMs)` of `actual ?? forecast` (usable values only), or null
 * unless the slots cover it without gaps; for intervals that are not whole hours (a run).
 */
export function meanIntensityBetween(
  slots: readonly IntensitySlot[],
  fromMs: number,
  toMs: number,
): { mean: number; usedForecast: boolean } | null {
  return meanOver(sortSlots(slots), fromMs, toMs, actualThenForecast);
}

/** The cleanest window found by `bestWindow`, and how it compares with starting now. */
export interface BestWindow {
  start: Date;
  end: Date;
  meanIntensity: number;
  nowMeanIntensity: number;
  savingPercent: number;
}

// Means closer than this are ties (they differ only by floating-point summation order).
const TIE_TOLERANCE = 1e-9;

/**
 * The contiguous window of `windowMinutes` with the lowest time-weighted mean of
 * `forecast ?? actual`, starting at a slot boundary no earlier than the slot containing
 * `now`; ties go to the earliest start. `nowMeanIntensity` is the window starting at the
 * slot containing `now` (or the first slot, if all are later). Null when the slots cannot
 * hold a window starting now, or hold none at all.
 */
export function bestWindow(
  slots: readonly IntensitySlot[],
  windowMinutes: number,
  now: Date,
): BestWindow | null {
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) {
    throw new RangeError(`windowMinutes must be a positive number, got ${windowMinutes}`);
  }
  const windowMs = windowMinutes * 60_000;
  const nowMs = now.getTime();
  const sorted = sortSlots(slots);
  // Candidates start at the slot containing now and at every later slot boundary.
  const firstIndex = sorted.findIndex((slot) => slot.to.getTime() > nowMs);
  if (firstIndex < 0) return null;

  let best: { startMs: number; mean: number } | null = null;
  let nowMean: number | null = null;
  let previousStartMs = Number.NEGATIVE_INFINITY;
  for (let index = firstIndex; index < sorted.length; index += 1) {
    const slot = sorted[index];
    if (slot === undefined) break;
    const startMs = slot.from.getTime();
    if (startMs === previousStartMs) continue; // duplicate slot
    previousStartMs = startMs;
    const result = meanOver(sorted, startMs, startMs + windowMs, forecastThenActual, index);
    if (index === firstIndex) {
      if (result === null) return null;
      nowMean = result.mean;
    }
    if (result !== null && (best === null || result.mean < best.mean - TIE_TOLERANCE)) {
      best = { startMs, mean: result.mean };
    }
  }
  if (best === null || nowMean === null) return null;
  return {
    start: new Date(best.startMs),
    end: new Date(best.startMs + windowMs),
    meanIntensity: best.mean,
    nowMeanIntensity: nowMean,
    savingPercent: nowMean > 0 ? ((nowMean - best.mean) / nowMean) * 100 : 0,
  };
}

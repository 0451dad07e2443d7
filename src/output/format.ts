/**
 * Numbers for people (SPEC §1.1): three significant figures for small values, thousands
 * separators for large ones. JSON and CSV never go through here: they carry full precision.
 */

// Created on first use: building an Intl formatter loads ICU data (~10 ms), which a command
// that prints JSON never needs (SPEC §12 start-up).
let grouped: Intl.NumberFormat | undefined;

/** Round a number for a table cell: 0.004722 → "0.00472", 12.345 → "12.3", 12345.6 → "12,346". */
export function formatHumanNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000)
    return (grouped ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })).format(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(magnitude)));
  // toPrecision(3) without exponent notation for tiny values.
  const rounded = Number(value.toPrecision(3));
  return digits > 0 ? trimZeros(rounded.toFixed(Math.min(digits, 20))) : String(rounded);
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** A percentage for people: 12.3 %. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${formatHumanNumber(value)}%`;
}

/** Money as a decimal string with 4 places (SPEC §8), e.g. "0.0316". */
export function formatMoney4(value: number): string {
  return value.toFixed(4);
}

/** Pick a mass unit for people: grams below 1 kg, then kg, then t. */
export function formatMass(grams: number): string {
  const magnitude = Math.abs(grams);
  if (magnitude >= 1e6) return `${formatHumanNumber(grams / 1e6)} tCO2e`;
  if (magnitude >= 1e3) return `${formatHumanNumber(grams / 1e3)} kgCO2e`;
  return `${formatHumanNumber(grams)} gCO2e`;
}

/** A relative change for people: `+12.3%`, `−4.5%`, `0%`; `new` when there was nothing before (null). */
export function formatChangePercent(value: number | null): string {
  if (value === null) return 'new';
  if (!Number.isFinite(value)) return '–';
  const rounded = Number(value.toPrecision(3));
  if (rounded === 0) return '0%';
  return `${rounded > 0 ? '+' : '−'}${formatHumanNumber(Math.abs(value))}%`;
}

/** A human age: `3 d 4 h`, `5 h 10 min`, `12 min`. */
export function formatAge(milliseconds: number): string {
  const minutes = Math.max(0, Math.round(milliseconds / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days} d${hours > 0 ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${rest > 0 ? ` ${rest} min` : ''}`;
  return `${rest} min`;
}

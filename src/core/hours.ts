/**
 * UTC hour alignment, the ledger's bucket (SPEC §1.4: the ledger stores UTC hours): one place for
 * flooring, ceiling and covering windows, used by every command that meters or prices an hour.
 */

/** Milliseconds in an hour. */
export const HOUR_MS = 3_600_000;

/** The start of the UTC hour containing `instant`. */
export function floorToHour(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);
}

/** `instant` itself when on a whole hour, else the start of the next hour. */
export function ceilToHour(instant: Date): Date {
  return new Date(Math.ceil(instant.getTime() / HOUR_MS) * HOUR_MS);
}

/** The UTC hour `[from, to)` containing `instant`. */
export function hourContaining(instant: Date): { from: Date; to: Date } {
  const from = floorToHour(instant);
  return { from, to: new Date(from.getTime() + HOUR_MS) };
}

/** The last complete UTC hour before `instant` (the hour ending at its floor). */
export function lastCompleteHour(instant: Date): { from: Date; to: Date } {
  const to = floorToHour(instant);
  return { from: new Date(to.getTime() - HOUR_MS), to };
}

/** The whole UTC hours covering a window: floor(from) to ceil(to). */
export function coveringHours(window: { from: Date; to: Date }): { from: Date; to: Date } {
  return { from: floorToHour(window.from), to: ceilToHour(window.to) };
}

/** The start (epoch ms) of every UTC hour of `[from, to)`, which must be whole hours. */
export function hourStarts(window: { from: Date; to: Date }): number[] {
  const starts: number[] = [];
  for (let hour = window.from.getTime(); hour < window.to.getTime(); hour += HOUR_MS)
    starts.push(hour);
  return starts;
}

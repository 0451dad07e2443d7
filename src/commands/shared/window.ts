/** Checks on a `--from/--to` window (luxon behind it: imported only by the commands that use it). */
import { assertNonEmptyWindow, type TimeRange } from '../../core/periods.js';
import { InvalidInputError } from '../../core/input-error.js';
import { UsageError } from '../../errors.js';

/**
 * An explicit `--from/--to` window after a command clipped it to `end` (e.g. `track`'s last
 * complete hour): a reversed, empty or future window is a usage error (exit 2) naming the flags,
 * as `report export` does, never a silent "up to date".
 */
export function nonEmptyWindow(range: TimeRange, end: Date, zone: string): TimeRange {
  try {
    return assertNonEmptyWindow(range, end, zone, '--from and --to');
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
}

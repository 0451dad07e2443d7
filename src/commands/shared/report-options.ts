/**
 * Option lists shared by the ledger readers (`usage`, `history`, `heatmap`, `report`, `export
 * prometheus`), described once (STYLE.md §10). Cheap to import: declarations only, so the
 * command registry does not load luxon or SQLite at start-up.
 */
import { FILTER_OPTIONS, LEDGER_OPTION, TZ_OPTION, type OptionSpec } from '../options.js';

/** Filters, zone and ledger: what every ledger reader accepts. */
export const READER_OPTIONS: OptionSpec[] = [...FILTER_OPTIONS, TZ_OPTION, LEDGER_OPTION];

/** `--compare` values (core COMPARE_MODES). */
export const COMPARE_CHOICES = ['previous', 'year'] as const;

/** `--compare previous|year` of `usage` and `report summary`. */
export const COMPARE_OPTION: OptionSpec = {
  flags: '--compare <period>',
  description:
    'add the previous period (same number of months/weeks/days just before) or the same period a year earlier, with previous_* and change_percent per group',
  choices: COMPARE_CHOICES,
};

/** `carbonctl history`: busy and idle bars per hour, day or month, from the ledger (SPEC §6). */
import type { OptionSpec } from '../options.js';
import { READER_OPTIONS } from '../shared/report-options.js';
import type { CommandSpec } from '../spec.js';

/** `--view` values: a day in hours, a month in days, a year in months. */
export const HISTORY_VIEWS = ['day', 'month', 'year'] as const;

/** `--data` values shared by history and heatmap. */
export const DATA_TYPES = ['carbon', 'electricity'] as const;

export const HISTORY_OPTIONS: OptionSpec[] = [
  {
    flags: '--view <view>',
    description:
      'day (hourly bars), month (daily) or year (monthly); default from the date flag, else month',
    choices: HISTORY_VIEWS,
  },
  { flags: '--date <YYYY-MM-DD>', description: 'the day to show (day view; default today)' },
  { flags: '--month <YYYY-MM>', description: 'the month to show (month view; default this month)' },
  { flags: '--year <YYYY>', description: 'the year to show (year view; default this year)' },
  {
    flags: '--data <type>',
    description: 'carbon (gCO2e, default) or electricity (kWh)',
    choices: DATA_TYPES,
  },
  ...READER_OPTIONS,
];

export const historyCommand: CommandSpec = {
  name: 'history',
  description: 'Busy/idle history as stacked bars: a day by hour, a month by day, a year by month',
  options: HISTORY_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl history --view month --month 2025-03',
    'carbonctl history --view day --date 2025-03-14 --data electricity --owner aa123456',
    'carbonctl history --view year --year 2025 --project astro -o json',
  ],
  load: () => import('./history.js'),
};

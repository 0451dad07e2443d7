/** `carbonctl report summary|export`: CSRD-ready exports from the ledger, for people and cron (SPEC §7). */
import { PERIOD_OPTIONS, type OptionSpec } from '../options.js';
import { UsageError } from '../../errors.js';
import { COMPARE_OPTION, READER_OPTIONS } from '../shared/report-options.js';
import type { CommandSpec } from '../spec.js';

// Literal lists (not imported from the core) so the registry stays free of luxon at start-up;
// test/commands/report.test.ts checks they match core/periods.ts and core/report.ts.
/** `--granularity` values (core GRANULARITIES). */
export const REPORT_GRANULARITY_CHOICES = [
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'yearly',
] as const;
/** `--group-by` values (core REPORT_GROUP_BYS). */
export const REPORT_GROUP_BY_CHOICES = [
  'none',
  'cluster',
  'namespace',
  'workload',
  'project',
  'machine',
  'group',
  'owner',
  'host',
] as const;
/** `--format` values of the written file. */
export const REPORT_FORMAT_CHOICES = ['csv', 'json', 'html'] as const;
/** Coverage below this percentage warns, and fails with --strict, unless --min-coverage says otherwise. */
export const DEFAULT_MIN_COVERAGE_PERCENT = 95;

/** A percentage from 0 to 100. */
export function percentNumber(value: string, flag: string): number {
  const trimmed = value.trim().replace(/%$/, '');
  const parsed = /^(\d+(\.\d*)?|\.\d+)$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 100)) {
    throw new UsageError(`${flag} ${value} is not a percentage from 0 to 100`, {
      hint: `e.g. ${flag} 95`,
    });
  }
  return parsed;
}

/** Period, granularity, grouping, filters and output options: summary and export take the same arguments. */
export const REPORT_OPTIONS: OptionSpec[] = [
  ...PERIOD_OPTIONS,
  {
    flags: '--granularity <unit>',
    description:
      'one row per hour, day, ISO week, month (default), quarter or year, in the reporting zone',
    choices: REPORT_GRANULARITY_CHOICES,
  },
  {
    flags: '--group-by <dimension>',
    description: 'one row per period and … (default none)',
    choices: REPORT_GROUP_BY_CHOICES,
  },
  ...READER_OPTIONS,
  {
    flags: '--format <format>',
    description:
      'file format: csv (default; json or html when --out ends in .json or .html), json, or html (a self-contained page with charts)',
    choices: REPORT_FORMAT_CHOICES,
  },
  {
    flags: '--out <file|->',
    description:
      'write to this file ({period}, {year}, {month}, {date} are filled in); - or absent: stdout',
  },
  { flags: '--force', description: 'replace an existing --out file' },
  {
    flags: '--strict',
    description: `exit 5, writing nothing, when coverage is below --min-coverage`,
  },
  {
    flags: '--min-coverage <percent>',
    description: `coverage threshold for the warning and --strict (default ${DEFAULT_MIN_COVERAGE_PERCENT})`,
    parse: percentNumber,
  },
];

/** `--split-by` values. */
export const SPLIT_BY_CHOICES = ['owner', 'project', 'namespace'] as const;

/** `report export` takes the report arguments and `--split-by`. */
export const EXPORT_OPTIONS: OptionSpec[] = [
  ...REPORT_OPTIONS,
  {
    flags: '--split-by <dimension>',
    description:
      'one file per owner, project or namespace (same format and flags, only that group’s rows), named by {group} in --out',
    choices: SPLIT_BY_CHOICES,
  },
];

/** `report summary` takes the export's arguments and `--compare`. */
export const SUMMARY_OPTIONS: OptionSpec[] = [...REPORT_OPTIONS, COMPARE_OPTION];

const summaryCommand: CommandSpec = {
  name: 'summary',
  description: 'Preview an export: rows, period, totals, coverage and share of estimated values',
  options: SUMMARY_OPTIONS,
  examples: [
    'carbonctl report summary --last-month',
    'carbonctl report summary --years 2025 --group-by project -o json',
    'carbonctl report summary --last-month --group-by owner --compare year',
  ],
  load: () => import('./summary.js'),
};

const exportCommand: CommandSpec = {
  name: 'export',
  description:
    'Write the CSRD / ESRS E1 export (CSV, JSON or an HTML page), atomically; cron-ready',
  options: EXPORT_OPTIONS,
  examples: [
    'carbonctl report export --last-month --format csv --out reports/carbon-{period}.csv',
    'carbonctl report export --years 2025 --granularity monthly --group-by namespace --format json --out esrs-{year}.json',
    'carbonctl report export --ytd --tz Europe/London --strict --out - | gzip > ytd.csv.gz',
    "carbonctl report export --last-month --granularity daily --group-by project --format html --out 'carbon-{period}.html'",
    "carbonctl report export --last-month --split-by owner --group-by project --out 'mail/{group}/carbon-{period}.html'",
  ],
  load: () => import('./export.js'),
};

export const reportCommand: CommandSpec = {
  name: 'report',
  description: 'CSRD-ready reports from the ledger: summary and export',
  examples: [
    'carbonctl report summary --last-month',
    'carbonctl report export --last-month --format csv --out reports/carbon-{period}.csv',
  ],
  subcommands: [summaryCommand, exportCommand],
};

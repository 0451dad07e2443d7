/**
 * What the ledger readers (`usage`, `history`, `heatmap`, `report`, `export prometheus`) share
 * at run time: their settings, the label filters and period flags turned into a ledger query
 * (with usage errors that name the flag), and opening the ledger read-only.
 */
import type { Context } from '../../context.js';
import type { Settings } from '../../config/schema.js';
import { resolvePeriod, type PeriodSelector, type TimeRange } from '../../core/periods.js';
import { InvalidInputError } from '../../core/units.js';
import { DataSourceError, UsageError } from '../../errors.js';
import { openLedger } from '../../store/ledger.js';
import type { Ledger, LedgerFilter } from '../../store/types.js';
import { settingOverrides, type OptionSpec } from '../options.js';
import { optionalString } from '../parse.js';
import type { Invocation } from '../spec.js';

/**
 * The ledger of these settings, read-only (a report never takes a write lock, so it runs
 * beside a `track` cron job) and closed when the run ends. A missing or empty ledger is a
 * DataSourceError (exit 3) that says to run `carbonctl track` first.
 */
export function openReadLedger(context: Context, settings: Settings): Ledger {
  const path = settings.ledger;
  if (path === null || path === '') {
    throw new DataSourceError('Ledger', 'no ledger path is configured', {
      hint: 'Set --ledger, CARBONCTL_LEDGER or "ledger" in the config, then run `carbonctl track` to fill it.',
    });
  }
  const ledger = openLedger(path, { readonly: true });
  context.onDispose(() => ledger.close());
  return ledger;
}

/** The label filters of SPEC §6 as option keys → ledger filter fields (same names). */
const FILTER_KEYS = [
  'cluster',
  'owner',
  'project',
  'machine',
  'group',
  'namespace',
  'workload',
  'host',
] as const;

/** Effective settings of a reader command: its --tz/--ledger flags over env, file and defaults. */
export async function readerSettings(
  context: Context,
  invocation: Invocation,
  specs: readonly OptionSpec[],
): Promise<Settings> {
  return (await context.settings({ flags: settingOverrides(invocation.command, specs) })).settings;
}

/** The label filters given on the command line (no time range). */
export function ledgerFilterFrom(opts: Record<string, unknown>): LedgerFilter {
  const filter: LedgerFilter = {};
  for (const key of FILTER_KEYS) {
    const value = optionalString(opts, key);
    if (value !== undefined) filter[key] = value;
  }
  return filter;
}

/** The filters as a plain object for JSON metadata (only those given). */
export function describeFilters(filter: LedgerFilter): Record<string, string> {
  const described: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value !== undefined) described[key] = value;
  }
  return described;
}

function alias(opts: Record<string, unknown>, name: string, aliasName: string): string | undefined {
  const value = optionalString(opts, name);
  const aliased = optionalString(opts, aliasName);
  if (value !== undefined && aliased !== undefined) {
    throw new UsageError(`--${name} and --${aliasName} are the same option; give one of them`);
  }
  return value ?? aliased;
}

/** A four-digit year from a flag, or a usage error naming the flag. */
export function parseYear(flag: string, text: string): number {
  if (!/^\s*\d{4}\s*$/.test(text)) {
    throw new UsageError(`${flag} ${text} is not a year (expected four digits, e.g. 2025)`);
  }
  return Number(text);
}

/** The period flags present in `opts` (PERIOD_OPTIONS, plus `--month`/`--year` where a command has them). */
export function periodSelectorFrom(opts: Record<string, unknown>): PeriodSelector {
  const selector: PeriodSelector = {};
  const from = alias(opts, 'from', 'start');
  const to = alias(opts, 'to', 'end');
  if (from !== undefined) selector.from = from;
  if (to !== undefined) selector.to = to;
  const last = optionalString(opts, 'last');
  if (last !== undefined) selector.last = last;
  if (opts.lastMonth === true) selector.lastMonth = true;
  if (opts.thisMonth === true) selector.thisMonth = true;
  if (opts.ytd === true) selector.ytd = true;
  if (Array.isArray(opts.years) && opts.years.length > 0) {
    selector.years = opts.years.map((year) => parseYear('--years', String(year)));
  }
  const date = optionalString(opts, 'date');
  if (date !== undefined) selector.date = date;
  const month = optionalString(opts, 'month');
  if (month !== undefined) selector.month = month;
  const year = optionalString(opts, 'year');
  if (year !== undefined) selector.year = parseYear('--year', year);
  return selector;
}

/** True when no period flag was given. */
export function isEmptySelector(selector: PeriodSelector): boolean {
  return Object.keys(selector).length === 0;
}

/** Runs a core computation; its InvalidInputError becomes a usage error (exit 2) with the same words. */
export function asUsage<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new UsageError(error.message, {
        hint: 'Run with --help to see the period flags and an example.',
      });
    }
    throw error;
  }
}

/** The range a selector means in `zone`, or `defaults` when no period flag was given. */
export function resolveReaderPeriod(
  selector: PeriodSelector,
  now: Date,
  zone: string,
  defaults: PeriodSelector,
): TimeRange {
  return asUsage(() => resolvePeriod(isEmptySelector(selector) ? defaults : selector, now, zone));
}

/**
 * Shared options, described once (STYLE.md §10) and registered from these lists, so help, the
 * README and the completion scripts agree. An option that overrides a setting names its
 * settings path; it only counts when commander says its value came from the command line.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { SettingOverride } from '../config/resolve.js';
import { INTENSITY_PROVIDERS, POWER_PROFILE_NAMES } from '../config/enums.js';
import { redactUrl } from '../core/secrets.js';

/** One option, declared as data. */
export interface OptionSpec {
  flags: string;
  description: string;
  choices?: readonly string[];
  /** Settings path this flag overrides (config precedence: flag > env > file > default). */
  setting?: string;
  /** Convert the raw text; throw UsageError naming the flag on bad input. */
  parse?: (value: string, flag: string) => unknown;
  /** Repeatable: values collect into an array. */
  repeatable?: boolean;
  /** Value used when a flag with an optional argument is given bare (`--forecast`). */
  preset?: unknown;
  hidden?: boolean;
  /** Names of options this one conflicts with (commander attribute names). */
  conflicts?: string[];
}

/** A finite number ≥ 0; anything else is a usage error naming the flag. */
export function nonNegativeNumber(value: string, flag: string): number {
  const trimmed = value.trim();
  const parsed = trimmed === '' ? Number.NaN : Number(trimmed);
  if (
    !Number.isFinite(parsed) ||
    parsed < 0 ||
    !/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)
  ) {
    throw new UsageError(`${flag} ${value} is not a non-negative number`, {
      hint: `Give ${flag} a finite number ≥ 0, e.g. ${flag} ${exampleValue(flag)}.`,
    });
  }
  return parsed;
}

/** A plausible value for a numeric flag, for hints (never an absurd `--pue 1000`). */
export function exampleValue(flag: string): string {
  if (/pue/.test(flag)) return '1.2';
  if (/intensity|threshold/.test(flag)) return '200';
  if (/busy-power/.test(flag)) return '12';
  if (/idle-power/.test(flag)) return '1';
  if (/power/.test(flag)) return '10';
  if (/seconds/.test(flag)) return '3600';
  if (/cores?\b/.test(flag)) return '4';
  if (/percent|coverage/.test(flag)) return '95';
  return '100';
}

/** An http(s) URL (`--prometheus-url`); anything else is a usage error before any request. */
export function httpUrl(value: string, flag: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(value);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`${flag} ${redactUrl(value)} is not an http(s) URL`, {
      hint: `e.g. ${flag} http://prometheus:9090`,
    });
  }
  return value;
}

/** A PUE: a number ≥ 1. */
export function pueNumber(value: string, flag: string): number {
  const parsed = nonNegativeNumber(value, flag);
  if (parsed < 1)
    throw new UsageError(`${flag} ${value} is below 1.0`, {
      hint: 'PUE is total facility energy / IT energy, so at least 1.0 (e.g. 1.2).',
    });
  return parsed;
}

/** An integer within bounds. */
export function integerBetween(min: number, max: number) {
  return (value: string, flag: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || parsed < min || parsed > max) {
      throw new UsageError(`${flag} ${value} is not a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

export const OUTPUT_OPTION: OptionSpec = {
  flags: '-o, --output <format>',
  description: 'output format',
  choices: ['table', 'json', 'csv', 'markdown'],
};

/** Options on the root program, recognised before and after the command. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  OUTPUT_OPTION,
  { flags: '-q, --quiet', description: 'only errors on stderr' },
  {
    flags: '-v, --verbose',
    description: 'show HTTP requests and PromQL (secrets redacted); stack traces on errors',
  },
  { flags: '--no-color', description: 'no colour (also NO_COLOR; FORCE_COLOR forces it)' },
  {
    flags: '--config <file>',
    description: 'config file (default: user config dir; env CARBONCTL_CONFIG)',
  },
];

export const INTENSITY_OPTIONS: OptionSpec[] = [
  {
    flags: '--provider <name>',
    description: 'intensity provider',
    choices: INTENSITY_PROVIDERS,
    setting: 'intensity.provider',
  },
  {
    flags: '--region <id|postcode>',
    description: 'GB region id 1-17 or outward postcode (uk provider)',
    setting: 'intensity.region',
  },
  {
    flags: '--zone <code>',
    description: 'zone or country code (electricitymaps, static)',
    setting: 'intensity.zone',
  },
];

export const POWER_OPTIONS: OptionSpec[] = [
  {
    flags: '--power-profile <name>',
    description: 'power profile',
    choices: POWER_PROFILE_NAMES,
    setting: 'power.profile',
  },
  {
    flags: '--busy-power-w <watts>',
    description: 'watts per busy core (default 12, ada profile)',
    setting: 'power.busyWattsPerCore',
    parse: nonNegativeNumber,
  },
  {
    flags: '--idle-power-w <watts>',
    description: 'watts per idle core (default 1, ada profile)',
    setting: 'power.idleWattsPerCore',
    parse: nonNegativeNumber,
  },
  {
    flags: '--pue <x>',
    description: 'power usage effectiveness, ≥ 1 (default 1.0)',
    setting: 'pue',
    parse: pueNumber,
  },
];

export const TZ_OPTION: OptionSpec = {
  flags: '--tz <zone>',
  description: 'reporting time zone (IANA, e.g. Europe/London; env CARBONCTL_TZ)',
  setting: 'timezone',
};

export const LEDGER_OPTION: OptionSpec = {
  flags: '--ledger <file>',
  description: 'ledger file (env CARBONCTL_LEDGER)',
  setting: 'ledger',
};

export const PROMETHEUS_OPTIONS: OptionSpec[] = [
  {
    flags: '--prometheus-url <url>',
    parse: httpUrl,
    description: 'Prometheus-compatible query URL (env CARBONCTL_PROMETHEUS_URL)',
  },
  { flags: '--cluster <name>', description: 'act on this configured cluster only' },
];

export const PERIOD_OPTIONS: OptionSpec[] = [
  {
    flags: '--from <time>',
    description: 'start, YYYY-MM-DD or ISO 8601 (inclusive; alias --start)',
  },
  {
    flags: '--to <time>',
    description: 'end, YYYY-MM-DD (end of that day) or ISO 8601 (exclusive; alias --end)',
  },
  { flags: '--start <time>', description: 'alias of --from', hidden: true },
  { flags: '--end <time>', description: 'alias of --to', hidden: true },
  { flags: '--last <duration>', description: 'the last duration up to now, e.g. 24h, 7d, 3mo' },
  { flags: '--last-month', description: 'the previous calendar month' },
  { flags: '--this-month', description: 'the current calendar month so far' },
  { flags: '--ytd', description: 'the year to date' },
  { flags: '--years <year>', description: 'whole calendar year(s), repeatable', repeatable: true },
  { flags: '--date <YYYY-MM-DD>', description: 'one day' },
];

export const FILTER_OPTIONS: OptionSpec[] = [
  { flags: '--owner <user>', description: 'only this owner' },
  { flags: '--project <name>', description: 'only this project' },
  { flags: '--machine <name>', description: 'only this machine type' },
  { flags: '--group <project_machine>', description: 'only this group ({project}_{machine})' },
  { flags: '--namespace <ns>', description: 'only this Kubernetes namespace' },
  { flags: '--workload <name>', description: 'only this workload (name or namespace/name)' },
  { flags: '--host <host>', description: 'only this host' },
  { flags: '--cluster <name>', description: 'only this cluster' },
];

/** Register options on a command. */
export function addOptions(command: Command, specs: ReadonlyArray<OptionSpec>): Command {
  for (const spec of specs) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.hidden) option.hideHelp();
    if (spec.preset !== undefined) option.preset(spec.preset);
    if (spec.conflicts) option.conflicts(spec.conflicts);
    const flag = option.long ?? option.short ?? spec.flags;
    if (spec.repeatable) {
      option.argParser((value: string, previous: unknown) => {
        const parsed = spec.parse ? spec.parse(value, flag) : value;
        const earlier: unknown[] = Array.isArray(previous) ? (previous as unknown[]) : [];
        return [...earlier, parsed];
      });
    } else if (spec.parse) {
      const parse = spec.parse;
      option.argParser((value: string) => parse(value, flag));
    }
    command.addOption(option);
  }
  return command;
}

/** The settings overrides a command's flags carry: only flags given on the command line. */
export function settingOverrides(
  command: Command,
  specs: ReadonlyArray<OptionSpec>,
): SettingOverride[] {
  const values = command.opts();
  const overrides: SettingOverride[] = [];
  for (const spec of specs) {
    if (!spec.setting) continue;
    const option = new Option(spec.flags);
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== 'cli') continue;
    overrides.push({
      path: spec.setting,
      value: values[key],
      origin: 'flag',
      name: option.long ?? spec.flags,
    });
  }
  return overrides;
}

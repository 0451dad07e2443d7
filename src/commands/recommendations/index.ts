/**
 * `carbonctl recommendations` (SPEC §8): what to change, and what the changes saved. Declared
 * as data; each subcommand's module loads only when it runs. Enum lists (`--status`, `--type`,
 * …) are validated by the subcommand, so an unknown value is a usage error naming the allowed set.
 */
import {
  INTENSITY_OPTIONS,
  integerBetween,
  LEDGER_OPTION,
  nonNegativeNumber,
  PERIOD_OPTIONS,
  POWER_OPTIONS,
  TZ_OPTION,
  type OptionSpec,
  httpUrl,
} from '../options.js';
import type { CommandSpec } from '../spec.js';

const PROMETHEUS_URL_OPTION: OptionSpec = {
  flags: '--prometheus-url <url>',
  parse: httpUrl,
  description: 'Prometheus-compatible query URL (env CARBONCTL_PROMETHEUS_URL)',
};

const ALLOW_ESTIMATES_OPTION: OptionSpec = {
  flags: '--allow-estimates',
  description: 'use the static annual average intensity when the provider has none (flagged)',
};

/** The flags of `recommendations generate` (also honoured by `list --refresh`). */
export const RECOMMENDATIONS_GENERATE_OPTIONS: OptionSpec[] = [
  { flags: '--cluster <name>', description: 'analyse this configured cluster only' },
  {
    flags: '--lookback <duration>',
    description:
      'analyse the last duration up to now, e.g. 14d (default recommendations.lookbackDays)',
  },
  { flags: '--from <time>', description: 'analysis window start, YYYY-MM-DD or ISO 8601' },
  {
    flags: '--to <time>',
    description: 'analysis window end (exclusive; a date means the end of that day)',
  },
  { flags: '--start <time>', description: 'alias of --from', hidden: true },
  { flags: '--end <time>', description: 'alias of --to', hidden: true },
  PROMETHEUS_URL_OPTION,
  ALLOW_ESTIMATES_OPTION,
  LEDGER_OPTION,
  TZ_OPTION,
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
];

/** The flags of `recommendations [list]`. */
export const RECOMMENDATIONS_LIST_OPTIONS: OptionSpec[] = [
  {
    flags: '--status <list>',
    description: 'only these states: active,applied,ignored,stale (default: active)',
  },
  {
    flags: '--type <list>',
    description:
      'only these types: RIGHTSIZING_CPU,RIGHTSIZING_MEMORY,IDLE_WORKSPACE,IDLE_WORKLOAD,CARBON_AWARE_SHIFT',
  },
  { flags: '--priority <list>', description: 'only these priorities: high,medium,low' },
  { flags: '--risk <list>', description: 'only these risk levels: low,medium,high' },
  { flags: '--namespace <ns>', description: 'only this Kubernetes namespace' },
  {
    flags: '--cluster <name>',
    description: 'only this cluster (with --refresh: analyse only this one)',
  },
  {
    flags: '--min-savings-co2e <g/month>',
    description: 'only those saving at least this CO2e per month, e.g. 500g, 2kg (bare: grams)',
  },
  {
    flags: '--min-savings-cost <per month>',
    description: 'only those saving at least this much money per month',
    parse: nonNegativeNumber,
  },
  {
    flags: '--sort <key>',
    description: 'order by monthly saving: co2 (default) or cost',
    choices: ['co2', 'cost'],
  },
  {
    flags: '--limit <n>',
    description: 'show at most n recommendations',
    parse: integerBetween(1, 1_000_000),
  },
  {
    flags: '--workload <name>',
    description: 'only this workload (name or namespace/name) or host',
  },
  {
    flags: '--resource-type <list>',
    description: 'only these resource types, e.g. Deployment,StatefulSet,Host',
  },
  {
    flags: '--from <time>',
    description: 'history: only those seen from this time (YYYY-MM-DD or ISO 8601)',
  },
  { flags: '--to <time>', description: 'history: only those created before this time' },
  { flags: '--refresh', description: 'run `recommendations generate` first' },
  PROMETHEUS_URL_OPTION,
  ALLOW_ESTIMATES_OPTION,
  LEDGER_OPTION,
  TZ_OPTION,
];

/** The flags of `recommendations apply`. */
export const RECOMMENDATIONS_APPLY_OPTIONS: OptionSpec[] = [
  {
    flags: '--actual-cpu-request <quantity>',
    description: 'the CPU request actually set, e.g. 600m (realized share of the saving)',
  },
  {
    flags: '--actual-memory-request <quantity>',
    description: 'the memory request actually set, e.g. 384Mi (realized share of the saving)',
  },
  {
    flags: '--realized-co2e <mass>',
    description: 'the CO2e actually saved per month, e.g. 800g, 1.2kg (bare: grams)',
  },
  {
    flags: '--realized-cost <amount>',
    description: 'the money actually saved per month',
    parse: nonNegativeNumber,
  },
  { flags: '--yes', description: 'do not ask for confirmation (required when not on a terminal)' },
  LEDGER_OPTION,
];

/** The flags of `recommendations ignore`. */
export const RECOMMENDATIONS_IGNORE_OPTIONS: OptionSpec[] = [
  { flags: '--reason <text>', description: 'why it is ignored (shown by show and list -o json)' },
  { flags: '--yes', description: 'do not ask for confirmation (required when not on a terminal)' },
  LEDGER_OPTION,
];

/** The flags of `recommendations savings`. */
export const RECOMMENDATIONS_SAVINGS_OPTIONS: OptionSpec[] = [
  ...PERIOD_OPTIONS,
  LEDGER_OPTION,
  TZ_OPTION,
];

const ID_ARGUMENT = {
  name: 'id',
  description: 'a recommendation id, or any unique prefix of one',
  required: true,
};

/** `carbonctl recommendations`: the spec the registry lists. */
export const recommendationsCommand: CommandSpec = {
  name: 'recommendations',
  description: 'What to change (rightsizing, idle, carbon-aware shifts) and what the changes saved',
  examples: [
    'carbonctl recommendations generate --lookback 14d',
    'carbonctl recommendations --priority high --sort cost',
    'carbonctl recommendations apply 3f9c --actual-cpu-request 600m',
    'carbonctl recommendations savings --ytd',
  ],
  subcommands: [
    {
      name: 'list',
      description: 'The stored recommendations, largest saving first (the default)',
      isDefault: true,
      options: RECOMMENDATIONS_LIST_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: [
        'carbonctl recommendations list',
        'carbonctl recommendations list --status active,stale --type RIGHTSIZING_CPU,RIGHTSIZING_MEMORY',
        'carbonctl recommendations list --namespace shop --min-savings-co2e 1kg --sort cost --limit 10',
        'carbonctl recommendations list --refresh -o json',
      ],
      load: () => import('./list.js'),
    },
    {
      name: 'generate',
      description:
        'Analyse Prometheus over the lookback and store the findings (refreshes active ones, marks lapsed ones stale)',
      options: RECOMMENDATIONS_GENERATE_OPTIONS,
      examples: [
        'carbonctl recommendations generate',
        'carbonctl recommendations generate --cluster prod --lookback 7d',
        'carbonctl recommendations generate --from 2026-03-01 --to 2026-03-15',
      ],
      load: () => import('./generate.js'),
    },
    {
      name: 'show',
      description: 'One recommendation: numbers, metrics snapshot and the kubectl command',
      arguments: [ID_ARGUMENT],
      options: [LEDGER_OPTION],
      examples: [
        'carbonctl recommendations show 3f9c',
        'carbonctl recommendations show 3f9c -o json',
      ],
      load: () => import('./show.js'),
    },
    {
      name: 'apply',
      description:
        'Record that a recommendation was applied, with the savings it realized (asks first on a terminal)',
      arguments: [ID_ARGUMENT],
      options: RECOMMENDATIONS_APPLY_OPTIONS,
      examples: [
        'carbonctl recommendations apply 3f9c',
        'carbonctl recommendations apply 3f9c --actual-cpu-request 600m --yes',
        'carbonctl recommendations apply a71e --realized-co2e 1.5kg --realized-cost 4.20 --yes',
      ],
      load: () => import('./apply.js'),
    },
    {
      name: 'ignore',
      description:
        'Ignore a recommendation; re-generation keeps it ignored (asks first on a terminal)',
      arguments: [ID_ARGUMENT],
      options: RECOMMENDATIONS_IGNORE_OPTIONS,
      examples: ['carbonctl recommendations ignore 3f9c --reason "peak season sizing" --yes'],
      load: () => import('./ignore.js'),
    },
    {
      name: 'restore',
      description:
        'Bring an ignored or applied recommendation back to active (for an applied one, prints the revert command)',
      arguments: [ID_ARGUMENT],
      options: [LEDGER_OPTION],
      examples: ['carbonctl recommendations restore 3f9c'],
      load: () => import('./restore.js'),
    },
    {
      name: 'savings',
      description: 'Potential (active) vs realized (applied) savings by type, per month and year',
      options: RECOMMENDATIONS_SAVINGS_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: [
        'carbonctl recommendations savings',
        'carbonctl recommendations savings --years 2026 -o json',
        'carbonctl recommendations savings --from 2026-01-01 --to 2026-06-30',
      ],
      load: () => import('./savings.js'),
    },
  ],
};

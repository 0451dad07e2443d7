/**
 * `carbonctl budget check|status` (SPEC §9): carbon budgets in CI and month-to-date against
 * named budgets. Declared as data; the implementations load only when a subcommand runs, and
 * values that need the core's parsers (masses, energies, times) are parsed there, so listing
 * the commands stays cheap.
 */
import {
  INTENSITY_OPTIONS,
  LEDGER_OPTION,
  nonNegativeNumber,
  POWER_OPTIONS,
  PROMETHEUS_OPTIONS,
  TZ_OPTION,
  type OptionSpec,
} from '../options.js';
import type { CommandSpec } from '../spec.js';

/** The flags of `budget check`. */
export const BUDGET_CHECK_OPTIONS: OptionSpec[] = [
  {
    flags: '--max-co2e <mass>',
    description: 'CO2e limit, e.g. 500g, 2kg, 0.1t (bare number: grams)',
  },
  { flags: '--max-energy <kWh>', description: 'energy limit, e.g. 1.5, 1.5kWh, 500Wh' },
  {
    flags: '--max-cost <amount>',
    description: 'cost limit in the configured currency',
    parse: nonNegativeNumber,
  },
  {
    flags: '--budget <name>',
    description: 'use a named budget from the config (limits and scope)',
  },
  {
    flags: '--window <duration>',
    description: 'measure the last duration up to now, e.g. 30min, 1h',
  },
  {
    flags: '--since <time>',
    description: 'measure from this time (ISO 8601 or YYYY-MM-DD) up to now',
  },
  { flags: '--from <time>', description: 'window start, YYYY-MM-DD or ISO 8601 (alias --start)' },
  {
    flags: '--to <time>',
    description: 'window end, exclusive; a date means the end of that day (alias --end)',
  },
  { flags: '--start <time>', description: 'alias of --from', hidden: true },
  { flags: '--end <time>', description: 'alias of --to', hidden: true },
  ...PROMETHEUS_OPTIONS,
  { flags: '--source <source>', description: 'which usage to read', choices: ['nodes', 'pods'] },
  { flags: '--namespace <ns>', description: 'only this Kubernetes namespace (pods)' },
  { flags: '--project <name>', description: 'only this project (workspaces)' },
  { flags: '--owner <user>', description: 'only this owner (workspaces)' },
  {
    flags: '--selector <matchers>',
    description: 'extra PromQL label matchers, e.g. \'job="ci", pipeline="123"\'',
  },
  {
    flags: '--busy-cpu-seconds <n>',
    description: 'offline: busy CPU core-seconds (no Prometheus needed)',
    parse: nonNegativeNumber,
  },
  {
    flags: '--idle-cpu-seconds <n>',
    description: 'offline: idle CPU core-seconds',
    parse: nonNegativeNumber,
  },
  {
    flags: '--intensity <g/kWh>',
    description: 'grid carbon intensity for every hour; without it the provider is asked',
    parse: nonNegativeNumber,
  },
  {
    flags: '--allow-estimates',
    description: 'use the static annual average when the provider has no value (flagged)',
  },
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
  TZ_OPTION,
  { flags: '--baseline <file>', description: 'fail on a regression against this baseline file' },
  {
    flags: '--max-increase <percent>',
    description: 'allowed increase over the baseline (default 10%)',
  },
  {
    flags: '--baseline-metric <metric>',
    description: 'what the baseline compares (default co2e; energy ignores grid changes)',
    choices: ['co2e', 'energy', 'cost'],
  },
  { flags: '--write-baseline <file>', description: 'write this measurement as a baseline file' },
  { flags: '--junit <file>', description: 'write a JUnit XML report (GitLab, Jenkins)' },
  {
    flags: '--fail-on-missing-data',
    description: 'exit 5 when there is no data for the selection (default: warn, exit 0)',
  },
];

/** The flags of `budget status`. */
export const BUDGET_STATUS_OPTIONS: OptionSpec[] = [
  { flags: '--budget <name>', description: 'only this named budget' },
  LEDGER_OPTION,
  TZ_OPTION,
];

/** `carbonctl budget`: the spec the registry lists. */
export const budgetCommand: CommandSpec = {
  name: 'budget',
  description: 'Carbon budgets: fail a CI job over budget, month-to-date status',
  examples: [
    'carbonctl budget check --max-co2e 500g --window 1h --namespace ci',
    'carbonctl budget status',
  ],
  subcommands: [
    {
      name: 'check',
      description:
        'Measure a window live from Prometheus (or given CPU-seconds) and compare with limits; exit 4 when over budget',
      options: BUDGET_CHECK_OPTIONS,
      examples: [
        'carbonctl budget check --max-co2e 500g --window 1h --namespace ci-runner',
        'carbonctl budget check --budget team-a --junit carbon-budget.xml',
        'carbonctl budget check --max-energy 2kWh --since 2026-03-01T09:00Z --selector \'pipeline_id="4711"\'',
        'carbonctl budget check --max-co2e 2kg --busy-cpu-seconds 7200 --idle-cpu-seconds 600 --intensity 185',
        'carbonctl budget check --window 30min --namespace ci --baseline main.json --max-increase 10%',
      ],
      load: () => import('./check.js'),
    },
    {
      name: 'status',
      description:
        'Month-to-date use against the named budgets in the config, projected to month end',
      options: BUDGET_STATUS_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: ['carbonctl budget status', 'carbonctl budget status --budget team-a -o json'],
      load: () => import('./status.js'),
    },
  ],
};

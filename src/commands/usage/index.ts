/** `carbonctl usage`: who and what used how much, from the ledger (SPEC §6). */
import { integerBetween, PERIOD_OPTIONS, type OptionSpec } from '../options.js';
import { COMPARE_OPTION, READER_OPTIONS } from '../shared/report-options.js';
import type { CommandSpec } from '../spec.js';

/** The `--by` dimensions of `usage`. */
export const USAGE_DIMENSIONS = [
  'owner',
  'project',
  'machine',
  'group',
  'host',
  'namespace',
  'workload',
  'pod',
  'cluster',
  'tag',
] as const;

/** The `--sort` measures of `usage`. */
export const USAGE_SORTS = ['co2', 'energy', 'cost'] as const;

export const USAGE_OPTIONS: OptionSpec[] = [
  {
    flags: '--by <dimension>',
    description:
      'one row per … (default: owner; namespace when the selection has only Kubernetes data)',
    choices: USAGE_DIMENSIONS,
  },
  ...PERIOD_OPTIONS,
  ...READER_OPTIONS,
  {
    flags: '--top <n>',
    description: 'only the n largest rows (the totals still cover every row)',
    parse: integerBetween(1, 1_000_000),
  },
  {
    flags: '--sort <measure>',
    description: 'order rows by co2 (default), energy or cost, largest first',
    choices: USAGE_SORTS,
  },
  COMPARE_OPTION,
  {
    flags: '--shape <shape>',
    description: 'JSON rows: flat (default) or ada (per-workspace, with --by host)',
    choices: ['flat', 'ada'],
  },
];

export const usageCommand: CommandSpec = {
  name: 'usage',
  description:
    'CPU time, energy, emissions and cost per owner, project, group, namespace … (default: this month)',
  options: USAGE_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl usage --by owner --last-month',
    'carbonctl usage --by group --project astro --years 2025 -o json',
    'carbonctl usage --by workload --namespace shop --top 10 --sort energy',
    'carbonctl usage --by project --last-month --compare previous',
    'carbonctl usage --by tag --this-month',
    'carbonctl usage --by host --owner aa123456 --shape ada -o json',
  ],
  load: () => import('./usage.js'),
};

/**
 * `carbonctl clusters [list] | show <name>` (SPEC §10): the inventory of the configured clusters
 * from their Prometheus — capacity, utilisation, counts, run rate and staleness.
 */
import { nonNegativeNumber, type OptionSpec, httpUrl } from '../options.js';
import type { CommandSpec } from '../spec.js';

const SHARED_OPTIONS: OptionSpec[] = [
  {
    flags: '--prometheus-url <url>',
    parse: httpUrl,
    description: 'Prometheus-compatible query URL (env CARBONCTL_PROMETHEUS_URL)',
  },
  {
    flags: '--intensity <g/kWh>',
    description: 'grid carbon intensity for the run rate; without it the provider is asked',
    parse: nonNegativeNumber,
  },
  {
    flags: '--allow-estimates',
    description: 'use the static annual average when the provider has no value (flagged)',
  },
];

/** The flags of `clusters list`. */
export const CLUSTERS_LIST_OPTIONS: OptionSpec[] = [
  { flags: '--provider <list>', description: 'only these providers: aws,gcp,azure,on-prem' },
  {
    flags: '--environment <list>',
    description: 'only these environments, e.g. production,staging',
  },
  { flags: '--status <list>', description: 'only clusters in these states: active,stale' },
  { flags: '--region <list>', description: 'only clusters in these configured regions' },
  {
    flags: '--sort <key>',
    description: 'order: config (as configured), name, run-rate (hourly cost, highest first)',
    choices: ['config', 'name', 'run-rate'],
  },
  { flags: '--cluster <name>', description: 'only this configured cluster' },
  ...SHARED_OPTIONS,
];

/** The flags of `clusters show`. */
export const CLUSTERS_SHOW_OPTIONS: OptionSpec[] = [...SHARED_OPTIONS];

const loadList = () => import('./list.js');

/** `carbonctl clusters`: the spec the registry lists. */
export const clustersCommand: CommandSpec = {
  name: 'clusters',
  description: 'Inventory of the configured clusters: capacity, utilization, run rate, staleness',
  examples: ['carbonctl clusters', 'carbonctl clusters show prod -o json'],
  subcommands: [
    {
      name: 'list',
      description: 'One line per configured cluster (the default)',
      isDefault: true,
      options: CLUSTERS_LIST_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: [
        'carbonctl clusters list',
        'carbonctl clusters list --provider aws,gcp --status stale',
        'carbonctl clusters list --environment production -o json',
        'carbonctl clusters list --region eu-west-1,us-east-1 --sort run-rate',
      ],
      load: loadList,
    },
    {
      name: 'show',
      description: 'Everything known about one cluster',
      arguments: [{ name: 'name', description: 'a configured cluster name', required: true }],
      options: CLUSTERS_SHOW_OPTIONS,
      examples: ['carbonctl clusters show prod', 'carbonctl clusters show lab -o json'],
      load: () => import('./show.js'),
    },
  ],
};

/** `carbonctl config …`: see and change the configuration (SPEC §1.3). */
import {
  LEDGER_OPTION,
  TZ_OPTION,
  INTENSITY_OPTIONS,
  POWER_OPTIONS,
  PROMETHEUS_OPTIONS,
} from '../options.js';
import type { CommandSpec } from '../spec.js';

const load = () => import('./config.js');

/** Flags `config list` accepts so it can show a flag's effect and source. */
export const CONFIG_LIST_OPTIONS = [
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
  TZ_OPTION,
  LEDGER_OPTION,
  ...PROMETHEUS_OPTIONS,
];

export const configCommand: CommandSpec = {
  name: 'config',
  description: 'Show and change the configuration',
  examples: [
    'carbonctl config list',
    'carbonctl config set intensity.provider electricitymaps',
    'carbonctl config validate',
  ],
  subcommands: [
    {
      name: 'path',
      description: 'Print the config file path',
      examples: ['carbonctl config path'],
      load,
    },
    {
      name: 'list',
      description: 'Every effective setting and where it came from (flag, env, file, default)',
      options: CONFIG_LIST_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: [
        'carbonctl config list',
        'CARBONCTL_TZ=Europe/London carbonctl config list -o json',
      ],
      load,
    },
    {
      name: 'get',
      description: 'Print one effective setting',
      arguments: [
        {
          name: 'key',
          description: 'e.g. intensity.provider or clusters[0].prometheus.url',
          required: true,
        },
      ],
      examples: ['carbonctl config get pue'],
      load,
    },
    {
      name: 'set',
      description: 'Set a value in the config file (validated; JSON values accepted)',
      arguments: [
        { name: 'key', description: 'setting key', required: true },
        {
          name: 'value',
          description: 'value (numbers, true/false, null and JSON are parsed)',
          required: true,
        },
      ],
      examples: [
        'carbonctl config set pue 1.2',
        'carbonctl config set clusters \'[{"name":"hpc","prometheus":{"url":"http://prom:9090"}}]\'',
      ],
      load,
    },
    {
      name: 'unset',
      description: 'Remove a value from the config file (back to its default)',
      arguments: [{ name: 'key', description: 'setting key', required: true }],
      examples: ['carbonctl config unset intensity.region'],
      load,
    },
    {
      name: 'validate',
      description: 'Check the config file and report every problem at once',
      examples: [
        'carbonctl config validate',
        'carbonctl --config ci/carbonctl.json config validate',
      ],
      load,
    },
  ],
};

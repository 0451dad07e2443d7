/** `carbonctl export prometheus`: ledger gauges for node_exporter's textfile collector (SPEC §11). */
import type { OptionSpec } from '../options.js';
import { READER_OPTIONS } from '../shared/report-options.js';
import type { CommandSpec } from '../spec.js';

export const EXPORT_PROMETHEUS_OPTIONS: OptionSpec[] = [
  {
    flags: '--textfile <path>',
    description:
      'write atomically to this file (e.g. /var/lib/node_exporter/textfile/carbonctl.prom); default: stdout',
  },
  {
    flags: '--score [duration]',
    description:
      'also score the clusters live from Prometheus over the last duration (default 7d): carbonctl_sustainability_score{cluster} and _dimension_score{cluster,dimension}',
  },
  {
    flags: '--allow-estimates',
    description: 'with --score: use the static annual average when the provider has no value',
  },
  ...READER_OPTIONS,
];

const prometheusCommand: CommandSpec = {
  name: 'prometheus',
  description: 'Month-to-date gCO2e, kWh and cost per project and namespace as Prometheus gauges',
  options: EXPORT_PROMETHEUS_OPTIONS,
  formats: ['table', 'json'],
  examples: [
    'carbonctl export prometheus --textfile /var/lib/node_exporter/textfile/carbonctl.prom',
    'carbonctl export prometheus --cluster prod --tz Europe/London',
    'carbonctl export prometheus --score 7d --textfile /var/lib/node_exporter/textfile/carbonctl.prom',
  ],
  load: () => import('./prometheus.js'),
};

export const exportCommand: CommandSpec = {
  name: 'export',
  description: 'Export ledger figures to other systems (Prometheus textfile)',
  examples: [
    'carbonctl export prometheus --textfile /var/lib/node_exporter/textfile/carbonctl.prom',
  ],
  subcommands: [prometheusCommand],
};

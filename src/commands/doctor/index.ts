/** `carbonctl doctor`: is everything carbonctl depends on in working order? (SPEC §10) */
import { LEDGER_OPTION, httpUrl } from '../options.js';
import type { CommandSpec } from '../spec.js';

export const DOCTOR_OPTIONS = [
  { flags: '--cluster <name>', description: 'check this configured cluster only' },
  {
    flags: '--prometheus-url <url>',
    parse: httpUrl,
    description: 'Prometheus-compatible query URL (env CARBONCTL_PROMETHEUS_URL)',
  },
  LEDGER_OPTION,
];

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  description:
    'Check the config, the ledger, each Prometheus and its metrics, and the intensity provider',
  options: DOCTOR_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: ['carbonctl doctor', 'carbonctl doctor --cluster hpc -o json'],
  load: () => import('./doctor.js'),
};

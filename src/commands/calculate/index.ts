/** `carbonctl calculate`: what some CPU time cost the planet (SPEC §4). */
import {
  integerBetween,
  INTENSITY_OPTIONS,
  nonNegativeNumber,
  POWER_OPTIONS,
  type OptionSpec,
} from '../options.js';
import type { CommandSpec } from '../spec.js';

export const CALCULATE_OPTIONS: OptionSpec[] = [
  {
    flags: '--busy-cpu-seconds <n>',
    description: 'busy CPU core-seconds',
    parse: nonNegativeNumber,
  },
  {
    flags: '--idle-cpu-seconds <n>',
    description: 'idle CPU core-seconds',
    parse: nonNegativeNumber,
  },
  {
    flags: '--memory-gib-hours <n>',
    description: 'memory GiB-hours (with power.memoryWattsPerGiB)',
    parse: nonNegativeNumber,
  },
  ...POWER_OPTIONS,
  {
    flags: '--intensity <g/kWh>',
    description: 'grid carbon intensity; without it the provider is asked',
    parse: nonNegativeNumber,
  },
  ...INTENSITY_OPTIONS,
  { flags: '--at <time>', description: 'use the provider’s intensity at this time (default: now)' },
  {
    flags: '--equivalencies <count>',
    description: 'how many equivalencies (1-15, default 5)',
    parse: integerBetween(1, 15),
  },
  { flags: '--energy-only', description: 'electricity only: skip intensity and carbon' },
];

export const calculateCommand: CommandSpec = {
  name: 'calculate',
  description: 'Energy, emissions and cost of busy/idle CPU core-seconds',
  options: CALCULATE_OPTIONS,
  examples: [
    'carbonctl calculate --busy-cpu-seconds 1000 --idle-cpu-seconds 5000 --intensity 185',
    'carbonctl calculate --busy-cpu-seconds 3600 --power-profile aws --provider uk -o json',
    'carbonctl calculate --busy-cpu-seconds 86400 --energy-only',
  ],
  load: () => import('./calculate.js'),
};

/** `carbonctl init`: write a config file, interactively or from flags (SPEC §1.3). */
import { INTENSITY_PROVIDERS, POWER_PROFILE_NAMES } from '../../config/enums.js';
import { pueNumber, httpUrl } from '../options.js';
import type { CommandSpec } from '../spec.js';

export const initCommand: CommandSpec = {
  name: 'init',
  description:
    'Create the config file: Prometheus URL, intensity provider and region, power profile, PUE',
  options: [
    {
      flags: '--prometheus-url <url>',
      parse: httpUrl,
      description: 'Prometheus-compatible query URL',
    },
    { flags: '--cluster-name <name>', description: 'name of this cluster (default "default")' },
    { flags: '--provider <name>', description: 'intensity provider', choices: INTENSITY_PROVIDERS },
    { flags: '--region <id|postcode>', description: 'GB region id 1-17 or outward postcode (uk)' },
    { flags: '--zone <code>', description: 'zone or country code (electricitymaps, static)' },
    { flags: '--intensity <g/kWh>', description: 'the value for the fixed provider' },
    { flags: '--power-profile <name>', description: 'power profile', choices: POWER_PROFILE_NAMES },
    { flags: '--pue <x>', description: 'power usage effectiveness (≥ 1)', parse: pueNumber },
    { flags: '--tz <zone>', description: 'reporting time zone (IANA)' },
    { flags: '--skip-check', description: 'do not test the Prometheus URL' },
    { flags: '-y, --yes', description: 'accept defaults for anything not given; never prompt' },
    { flags: '--force', description: 'replace an existing config file' },
  ],
  examples: [
    'carbonctl init',
    'carbonctl init --yes --prometheus-url http://prometheus:9090 --provider uk --region 13 --power-profile ada --pue 1.2',
    'carbonctl --config ./carbonctl.json init --yes --provider static --zone DE',
  ],
  load: () => import('./init.js'),
};

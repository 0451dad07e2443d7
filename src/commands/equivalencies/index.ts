/** `carbonctl equivalencies`: an amount of CO2e in everyday terms (SPEC §4). */
import { integerBetween } from '../options.js';
import type { CommandSpec } from '../spec.js';

export const equivalenciesCommand: CommandSpec = {
  name: 'equivalencies',
  description: 'Express an amount of CO2e in everyday equivalents, with sources',
  arguments: [
    { name: 'amount', description: 'amount of CO2e, e.g. 1000, 500g, 2kg, 0.1t', required: true },
  ],
  options: [
    { flags: '--unit <unit>', description: 'unit of a bare amount', choices: ['g', 'kg', 't'] },
    {
      flags: '--count <n>',
      description: 'how many of the most readable (1-15, default 5)',
      parse: integerBetween(1, 15),
    },
    { flags: '--all', description: 'every equivalency, not only the most readable' },
  ],
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl equivalencies 1000',
    'carbonctl equivalencies 2 --unit kg --count 3',
    'carbonctl equivalencies 0.1t --all -o json',
  ],
  load: () => import('./equivalencies.js'),
};

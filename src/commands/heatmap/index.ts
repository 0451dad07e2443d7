/** `carbonctl heatmap`: a GitHub-style calendar of a year's daily emissions or energy (SPEC §6). */
import type { OptionSpec } from '../options.js';
import { DATA_TYPES } from '../history/index.js';
import { READER_OPTIONS } from '../shared/report-options.js';
import type { CommandSpec } from '../spec.js';

export const HEATMAP_OPTIONS: OptionSpec[] = [
  { flags: '--year <YYYY>', description: 'the year to show (default this year)' },
  {
    flags: '--data <type>',
    description: 'carbon (gCO2e, default) or electricity (kWh)',
    choices: DATA_TYPES,
  },
  ...READER_OPTIONS,
];

export const heatmapCommand: CommandSpec = {
  name: 'heatmap',
  description: 'Calendar heatmap of a year: one cell per day, 5 shades',
  options: HEATMAP_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl heatmap --year 2025',
    'carbonctl heatmap --year 2025 --data electricity --namespace shop -o json',
  ],
  load: () => import('./heatmap.js'),
};

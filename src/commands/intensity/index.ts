/** `carbonctl intensity`: grid carbon intensity now, ahead, and the cleanest window (SPEC §3). */
import { INTENSITY_OPTIONS, integerBetween } from '../options.js';
import type { CommandSpec } from '../spec.js';

export const INTENSITY_COMMAND_OPTIONS = [
  ...INTENSITY_OPTIONS,
  { flags: '--at <time>', description: 'the intensity at a past time instead of now' },
  {
    flags: '--forecast [hours]',
    description: 'half-hourly forecast for the next hours (1-48, default 24)',
    parse: integerBetween(1, 48),
    preset: 24,
  },
  {
    flags: '--best-window <duration>',
    description: 'find the cleanest contiguous window of this length, e.g. 3h',
  },
  {
    flags: '--within <duration>',
    description: 'search horizon for --best-window (default 24h, at most 48h)',
  },
];

export const intensityCommand: CommandSpec = {
  name: 'intensity',
  description: 'Grid carbon intensity now, the forecast, and the cleanest window ahead',
  options: INTENSITY_COMMAND_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl intensity',
    'carbonctl intensity --region 13 --forecast 12',
    'carbonctl intensity --best-window 3h --within 24h -o json',
    'carbonctl intensity --provider electricitymaps --zone DE',
  ],
  load: () => import('./intensity.js'),
};

/**
 * `carbonctl score` (GreenKube's sustainability score): an overall 0–100 score per cluster and
 * seven dimension scores, each with its inputs and how to raise it; `--min-score` makes it a CI
 * gate (exit 4 below), with GitHub annotations, a step summary and a JUnit file like `budget check`.
 */
import {
  INTENSITY_OPTIONS,
  LEDGER_OPTION,
  nonNegativeNumber,
  PERIOD_OPTIONS,
  POWER_OPTIONS,
  PROMETHEUS_OPTIONS,
  TZ_OPTION,
  type OptionSpec,
} from '../options.js';
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../spec.js';

/** 0–100, for `--min-score`. */
function scoreBound(value: string, flag: string): number {
  const number = nonNegativeNumber(value, flag);
  if (number > 100) {
    throw new UsageError(`${flag} ${value} is above 100`, {
      hint: `Scores run from 0 to 100, e.g. ${flag} 60.`,
    });
  }
  return number;
}

/** The flags of `score`. */
export const SCORE_OPTIONS: OptionSpec[] = [
  ...PROMETHEUS_OPTIONS,
  { flags: '--all-clusters', description: 'score every configured cluster (the default)' },
  ...PERIOD_OPTIONS,
  {
    flags: '--min-score <0-100>',
    description: 'fail (exit 4) when a cluster scores below this',
    parse: scoreBound,
  },
  {
    flags: '--junit <file>',
    description: 'write a JUnit XML report of the gate (GitLab, Jenkins)',
  },
  {
    flags: '--intensity <g/kWh>',
    description: 'grid carbon intensity for every hour; without it the provider is asked',
    parse: nonNegativeNumber,
  },
  {
    flags: '--allow-estimates',
    description: 'use the static annual average when the provider has no value (flagged)',
  },
  ...INTENSITY_OPTIONS,
  ...POWER_OPTIONS,
  LEDGER_OPTION,
  TZ_OPTION,
];

/** `carbonctl score`: the spec the registry lists. */
export const scoreCommand: CommandSpec = {
  name: 'score',
  description:
    'Sustainability score (0-100) per cluster over seven dimensions, with the inputs and how to raise each; --min-score gates CI',
  options: SCORE_OPTIONS,
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: [
    'carbonctl score',
    'carbonctl score --cluster prod --last 7d -o json',
    'carbonctl score --min-score 60 --junit score.xml',
  ],
  load: () => import('./score.js'),
};

/** `carbonctl help exit-codes` (and `help <command>`). */
import type { CommandSpec } from '../spec.js';

export const helpCommand: CommandSpec = {
  name: 'help',
  description: 'Help topics: `help exit-codes`, or `help <command>`',
  arguments: [{ name: 'topic', description: 'exit-codes, or a command name', variadic: true }],
  formats: ['table', 'json', 'csv', 'markdown'],
  examples: ['carbonctl help exit-codes', 'carbonctl help track'],
  load: () => import('./help.js'),
};

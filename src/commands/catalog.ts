/**
 * The top-level commands as one line each, in the order `--help` lists them, with their full
 * declaration imported on demand: a run registers only the command it was asked for (SPEC §12
 * start-up bar), and `--help` lists the others from these lines. `registry.ts` is the full tree
 * (tests, completions); a test keeps the two in step (name, description, usage term, order).
 */
import type { CommandSpec } from './spec.js';

/** One top-level command: what `carbonctl --help` shows, and how to load its declaration. */
export interface CommandEntry {
  name: string;
  description: string;
  /** What follows the name in the command list: ` [options]` and the arguments. */
  term: string;
  hidden?: boolean;
  spec: () => Promise<CommandSpec>;
}

export const COMMAND_CATALOG: ReadonlyArray<CommandEntry> = [
  {
    name: 'intensity',
    description: 'Grid carbon intensity now, the forecast, and the cleanest window ahead',
    term: ' [options]',
    spec: async () => (await import('./intensity/index.js')).intensityCommand,
  },
  {
    name: 'calculate',
    description: 'Energy, emissions and cost of busy/idle CPU core-seconds',
    term: ' [options]',
    spec: async () => (await import('./calculate/index.js')).calculateCommand,
  },
  {
    name: 'equivalencies',
    description: 'Express an amount of CO2e in everyday equivalents, with sources',
    term: ' [options] <amount>',
    spec: async () => (await import('./equivalencies/index.js')).equivalenciesCommand,
  },
  {
    name: 'track',
    description:
      'Read CPU usage from Prometheus into the ledger, hour by hour (idempotent, resumable)',
    term: ' [options]',
    spec: async () => (await import('./track/index.js')).trackCommand,
  },
  {
    name: 'usage',
    description:
      'CPU time, energy, emissions and cost per owner, project, group, namespace … (default: this month)',
    term: ' [options]',
    spec: async () => (await import('./usage/index.js')).usageCommand,
  },
  {
    name: 'history',
    description:
      'Busy/idle history as stacked bars: a day by hour, a month by day, a year by month',
    term: ' [options]',
    spec: async () => (await import('./history/index.js')).historyCommand,
  },
  {
    name: 'heatmap',
    description: 'Calendar heatmap of a year: one cell per day, 5 shades',
    term: ' [options]',
    spec: async () => (await import('./heatmap/index.js')).heatmapCommand,
  },
  {
    name: 'report',
    description: 'CSRD-ready reports from the ledger: summary and export',
    term: '',
    spec: async () => (await import('./report/index.js')).reportCommand,
  },
  {
    name: 'recommendations',
    description:
      'What to change (rightsizing, idle, carbon-aware shifts) and what the changes saved',
    term: '',
    spec: async () => (await import('./recommendations/index.js')).recommendationsCommand,
  },
  {
    name: 'export',
    description: 'Export ledger figures to other systems (Prometheus textfile)',
    term: '',
    spec: async () => (await import('./export/index.js')).exportCommand,
  },
  {
    name: 'budget',
    description: 'Carbon budgets: fail a CI job over budget, month-to-date status',
    term: '',
    spec: async () => (await import('./budget/index.js')).budgetCommand,
  },
  {
    name: 'score',
    description:
      'Sustainability score (0-100) per cluster over seven dimensions, with the inputs and how to raise each; --min-score gates CI',
    term: ' [options]',
    spec: async () => (await import('./score/index.js')).scoreCommand,
  },
  {
    name: 'wait',
    description: 'Sleep until the cleanest forecast window for a job, then exit 0',
    term: ' [options]',
    spec: async () => (await import('./defer/index.js')).waitCommand,
  },
  {
    name: 'run',
    description:
      'Run a command in the cleanest forecast window before a deadline, and record what it saved',
    term: ' [options] <command...>',
    spec: async () => (await import('./defer/index.js')).runCommand,
  },
  {
    name: 'clusters',
    description: 'Inventory of the configured clusters: capacity, utilization, run rate, staleness',
    term: '',
    spec: async () => (await import('./clusters/index.js')).clustersCommand,
  },
  {
    name: 'workspaces',
    description: 'Workspaces (node_exporter hosts) with owner, tag, state and this month’s use',
    term: '',
    spec: async () => (await import('./workspaces/index.js')).workspacesCommand,
  },
  {
    name: 'doctor',
    description:
      'Check the config, the ledger, each Prometheus and its metrics, and the intensity provider',
    term: ' [options]',
    spec: async () => (await import('./doctor/index.js')).doctorCommand,
  },
  {
    name: 'config',
    description: 'Show and change the configuration',
    term: '',
    spec: async () => (await import('./config/index.js')).configCommand,
  },
  {
    name: 'init',
    description:
      'Create the config file: Prometheus URL, intensity provider and region, power profile, PUE',
    term: ' [options]',
    spec: async () => (await import('./init/index.js')).initCommand,
  },
  {
    name: 'completion',
    description: 'Print a shell completion script (bash, zsh or fish)',
    term: ' <shell>',
    spec: async () => (await import('./completion/index.js')).completionCommand,
  },
  {
    name: 'help',
    description: 'Help topics: `help exit-codes`, or `help <command>`',
    term: ' [topic...]',
    spec: async () => (await import('./help/index.js')).helpCommand,
  },
  {
    name: '__complete',
    description: 'values for completion scripts',
    term: ' <kind>',
    hidden: true,
    spec: async () => (await import('./completion/index.js')).completeHelperCommand,
  },
];

/** Commands that walk the whole tree (help pages of other commands, completion scripts). */
const WHOLE_TREE = new Set(['help', 'completion']);

/**
 * The declarations a run needs: the asked command's in full; the others as catalog lines, or
 * every declaration when the command reads the whole tree or the name is not recognised (so
 * commander's own error and suggestion stay exactly as with the full tree).
 */
export async function commandsFor(
  asked: string | undefined,
): Promise<Array<CommandSpec | CommandEntry>> {
  const known = COMMAND_CATALOG.some((entry) => entry.name === asked);
  const whole = asked !== undefined && (!known || WHOLE_TREE.has(asked));
  return Promise.all(
    COMMAND_CATALOG.map(async (entry): Promise<CommandSpec | CommandEntry> =>
      whole || entry.name === asked ? entry.spec() : entry,
    ),
  );
}

/** The term `usage` shows for a full declaration (commander's own rule), for the drift test. */
export function termOf(spec: CommandSpec): string {
  const args = (spec.arguments ?? []).map((argument) => {
    const name = argument.variadic ? `${argument.name}...` : argument.name;
    return argument.required ? `<${name}>` : `[${name}]`;
  });
  return `${spec.options?.length ? ' [options]' : ''}${args.length ? ` ${args.join(' ')}` : ''}`;
}

/**
 * `carbonctl workspaces [list] | show <host>` (Ada's workspaces): every node_exporter workspace
 * the ledger knows, with its owner, project, machine and inventory tag, its state and this
 * month's energy and emissions.
 */
import { LEDGER_OPTION, PERIOD_OPTIONS, TZ_OPTION, type OptionSpec } from '../options.js';
import type { CommandSpec } from '../spec.js';

/** The flags of `workspaces list` and `show`. */
export const WORKSPACES_OPTIONS: OptionSpec[] = [
  { flags: '--cluster <name>', description: 'only workspaces of this cluster' },
  { flags: '--owner <user>', description: 'only workspaces of this owner' },
  { flags: '--project <name>', description: 'only workspaces of this project' },
  { flags: '--tag <name>', description: 'only workspaces with this inventory tag' },
  {
    flags: '--state <state>',
    description: 'only workspaces in this state',
    choices: ['active', 'idle', 'gone'],
  },
  LEDGER_OPTION,
  TZ_OPTION,
];

/** The flags of `workspaces groups`. */
export const WORKSPACES_GROUPS_OPTIONS: OptionSpec[] = [
  ...PERIOD_OPTIONS,
  LEDGER_OPTION,
  TZ_OPTION,
];

/** `carbonctl workspaces`: the spec the registry lists. */
export const workspacesCommand: CommandSpec = {
  name: 'workspaces',
  description: 'Workspaces (node_exporter hosts) with owner, tag, state and this month’s use',
  examples: ['carbonctl workspaces', 'carbonctl workspaces show ws-042 -o json'],
  subcommands: [
    {
      name: 'list',
      description: 'One line per workspace (the default)',
      isDefault: true,
      options: WORKSPACES_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: [
        'carbonctl workspaces list',
        'carbonctl workspaces list --owner alice --state idle',
        'carbonctl workspaces list --tag teaching -o csv',
      ],
      load: () => import('./list.js'),
    },
    {
      name: 'show',
      description: 'One workspace in full',
      arguments: [{ name: 'host', description: 'the workspace host', required: true }],
      options: [
        LEDGER_OPTION,
        TZ_OPTION,
        { flags: '--cluster <name>', description: 'its cluster' },
      ],
      examples: ['carbonctl workspaces show ws-042', 'carbonctl workspaces show ws-042 -o json'],
      load: () => import('./show.js'),
    },
    {
      name: 'groups',
      description:
        'Groups ({project}_{machine}) with workspace counts, those with no use in the period included (Ada /groups)',
      options: WORKSPACES_GROUPS_OPTIONS,
      formats: ['table', 'json', 'csv', 'markdown'],
      examples: ['carbonctl workspaces groups', 'carbonctl workspaces groups --last-month -o json'],
      load: () => import('./groups.js'),
    },
  ],
};

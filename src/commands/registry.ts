/** Every top-level command, in the order `--help` lists them. */
import { calculateCommand } from './calculate/index.js';
import { completeHelperCommand, completionCommand } from './completion/index.js';
import { intensityCommand } from './intensity/index.js';
import { configCommand } from './config/index.js';
import { equivalenciesCommand } from './equivalencies/index.js';
import { helpCommand } from './help/index.js';
import { initCommand } from './init/index.js';
import { trackCommand } from './track/index.js';
import { budgetCommand } from './budget/index.js';
import { runCommand, waitCommand } from './defer/index.js';
import { clustersCommand } from './clusters/index.js';
import { doctorCommand } from './doctor/index.js';
import { exportCommand } from './export/index.js';
import { heatmapCommand } from './heatmap/index.js';
import { historyCommand } from './history/index.js';
import { recommendationsCommand } from './recommendations/index.js';
import { reportCommand } from './report/index.js';
import { scoreCommand } from './score/index.js';
import { usageCommand } from './usage/index.js';
import { workspacesCommand } from './workspaces/index.js';
import type { CommandSpec } from './spec.js';

export const COMMANDS: ReadonlyArray<CommandSpec> = [
  intensityCommand,
  calculateCommand,
  equivalenciesCommand,
  trackCommand,
  usageCommand,
  historyCommand,
  heatmapCommand,
  reportCommand,
  recommendationsCommand,
  exportCommand,
  budgetCommand,
  scoreCommand,
  waitCommand,
  runCommand,
  clustersCommand,
  workspacesCommand,
  doctorCommand,
  configCommand,
  initCommand,
  completionCommand,
  helpCommand,
  completeHelperCommand,
];

/** Every top-level command, in the order `--help` lists them. */
import { calculateCommand } from './calculate/index.js';
import { completeHelperCommand, completionCommand } from './completion/index.js';
import { intensityCommand } from './intensity/index.js';
import { configCommand } from './config/index.js';
import { equivalenciesCommand } from './equivalencies/index.js';
import { helpCommand } from './help/index.js';
import { initCommand } from './init/index.js';
import { trackCommand } from './track/index.js';
import { doctorCommand } from './doctor/index.js';
import type { CommandSpec } from './spec.js';

export const COMMANDS: ReadonlyArray<CommandSpec> = [
  intensityCommand,
  calculateCommand,
  equivalenciesCommand,
  trackCommand,
  doctorCommand,
  configCommand,
  initCommand,
  completionCommand,
  helpCommand,
  completeHelperCommand,
];

/**
 * A command is declared as data (name, flags, examples) and implemented in a module that is
 * imported only when the command runs, so start-up stays fast (SPEC §12).
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { CommandResult, OutputFormat } from '../output/render.js';
import type { OptionSpec } from './options.js';

/** What a command implementation receives from the parser. */
export interface Invocation {
  /** Positional arguments. */
  args: string[];
  /** The command's own option values. */
  opts: Record<string, unknown>;
  /** The commander command (for option value sources). */
  command: Command;
  /** The chosen output format. */
  output: OutputFormat;
}

/** The module behind a command. */
export interface CommandModule {
  execute(invocation: Invocation, context: Context): Promise<CommandResult | undefined>;
}

/** A positional argument. */
export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
  choices?: readonly string[];
}

/** A command or a group of subcommands. */
export interface CommandSpec {
  name: string;
  description: string;
  arguments?: ArgumentSpec[];
  options?: OptionSpec[];
  examples?: string[];
  subcommands?: CommandSpec[];
  /** Run this subcommand when the parent is called alone (e.g. `clusters` → `clusters list`). */
  isDefault?: boolean;
  /** Not listed in help or completions (internal helpers). */
  hidden?: boolean;
  /** Output formats this command supports (default: table, json, markdown; csv for lists). */
  formats?: ReadonlyArray<OutputFormat>;
  load?: () => Promise<CommandModule>;
}

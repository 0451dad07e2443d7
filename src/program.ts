/**
 * The commander tree: global flags, every command from its declaration, and commander's own
 * errors routed through ours (exitOverride) so one place maps them to exit codes.
 */
import { Command, CommanderError, Help } from 'commander';
import type { Context } from './context.js';
import { UsageError } from './errors.js';
import { addOptions, GLOBAL_OPTIONS } from './commands/options.js';
import type { CommandSpec } from './commands/spec.js';
import { commandsFor, type CommandEntry } from './commands/catalog.js';
import type { OutputFormat } from './output/render.js';

/**
 * Build the program for one run of `args` (argv without node and the script): the asked
 * command's declaration is loaded and registered in full, the others as one-line entries that
 * `--help` lists (SPEC §12 start-up bar).
 */
export async function programFor(context: Context, args: readonly string[]): Promise<Command> {
  return buildProgram(context, await commandsFor(askedCommand(args)));
}

/** Global flags that take a value in the next argument (`-o json`, `--config file`). */
const GLOBAL_VALUE_FLAGS = new Set(
  GLOBAL_OPTIONS.filter((option) => /[<[]/.test(option.flags)).flatMap((option) =>
    option.flags
      .split(/[ ,]+/)
      .filter((part) => part.startsWith('-'))
      .map((part) => part.trim()),
  ),
);

/** The first argument that is not a global flag or its value: the top-level command asked for. */
export function askedCommand(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--') return args[index + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (GLOBAL_VALUE_FLAGS.has(arg)) index += 1;
  }
  return undefined;
}

/** Build the program from full declarations and one-line entries. */
export function buildProgram(
  context: Context,
  commands: ReadonlyArray<CommandSpec | CommandEntry>,
): Command {
  const program = new Command('carbonctl');
  const entryTerms = new Map<Command, string>();
  program
    .description(
      'Carbon accounting for shared compute: CPU usage from Prometheus to energy, emissions and cost with time-resolved grid carbon intensity.',
    )
    .version(context.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      // A command registered from its catalog line shows the same term its declaration would.
      subcommandTerm(this: Help, command: Command): string {
        const term = entryTerms.get(command);
        return term === undefined
          ? Help.prototype.subcommandTerm.call(this, command)
          : `${command.name()}${term}`;
      },
    })
    .addHelpCommand(false);
  addOptions(program, GLOBAL_OPTIONS);
  program.addHelpText(
    'after',
    `
Examples:
  $ carbonctl calculate --busy-cpu-seconds 1000 --idle-cpu-seconds 5000 --intensity 185
  $ carbonctl intensity --forecast 24 --best-window 3h
  $ carbonctl run --for 2h --within 12h -- make train
  $ carbonctl track --prometheus-url http://prometheus:9090
  $ carbonctl help exit-codes

Docs: the README; exit codes: carbonctl help exit-codes`,
  );
  for (const item of commands) {
    let command: Command;
    if ('spec' in item) {
      command = new Command(item.name).description(item.description);
      entryTerms.set(command, item.term);
    } else {
      command = buildCommand(item, context, program);
    }
    program.addCommand(command, item.hidden ? { hidden: true } : {});
  }
  configureErrors(program, context);
  return program;
}

function buildCommand(spec: CommandSpec, context: Context, program: Command): Command {
  const command = new Command(spec.name).description(spec.description);
  command.helpOption('-h, --help', 'show help');
  for (const argument of spec.arguments ?? []) {
    const name = argument.variadic ? `${argument.name}...` : argument.name;
    command.argument(argument.required ? `<${name}>` : `[${name}]`, argument.description);
  }
  addOptions(command, spec.options ?? []);
  if (spec.examples?.length) {
    command.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}`);
  }
  for (const sub of spec.subcommands ?? []) {
    command.addCommand(buildCommand(sub, context, program), {
      isDefault: Boolean(sub.isDefault),
      hidden: Boolean(sub.hidden),
    });
  }
  const load = spec.load;
  if (load) {
    command.action(async (...actionArgs: unknown[]) => {
      const self = actionArgs[actionArgs.length - 1] as Command;
      const globals = program.opts();
      const output = (globals.output as OutputFormat | undefined) ?? 'table';
      context.io.configure({
        quiet: Boolean(globals.quiet),
        verbose: Boolean(globals.verbose),
        color: globals.color === false ? false : undefined,
        json: output === 'json',
      });
      const formats = spec.formats ?? ['table', 'json', 'markdown'];
      if (!formats.includes(output)) {
        throw new UsageError(
          `-o ${output} is not available for \`carbonctl ${commandPath(self)}\``,
          {
            hint: `Use one of: ${formats.join(', ')}.`,
          },
        );
      }
      const module = await load();
      const result = await module.execute(
        { args: self.args, opts: self.opts(), command: self, output },
        context,
      );
      if (result) {
        const { renderResult, FormatUnavailableError } = await import('./output/render.js');
        const style = context.io.style;
        const rendered = await renderResult(result, output, {
          green: style.green,
          yellow: style.yellow,
          red: style.red,
          gray: style.gray,
          dim: style.dim,
          cyan: style.cyan,
          bold: style.bold,
          borders: context.io.borders,
        }).catch((error: unknown) => {
          // A format the command lists but this particular result cannot take (csv of a
          // single answer such as `intensity --best-window`): a usage error, never a bug.
          if (!(error instanceof FormatUnavailableError)) throw error;
          throw new UsageError(
            `-o ${output} is not available for \`carbonctl ${commandPath(self)}\` with these options (the answer is not a list)`,
            { hint: `Use one of: ${formats.filter((format) => format !== output).join(', ')}.` },
          );
        });
        context.io.out(rendered);
        if (result.failure) throw result.failure;
      }
    });
  } else if (spec.subcommands?.length && !spec.subcommands.some((s) => s.isDefault)) {
    command.action(() => {
      command.help({ error: true });
    });
  }
  return command;
}

/** `config list` style path of a command. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) {
    names.unshift(current.name());
  }
  return names.join(' ');
}

function configureErrors(program: Command, context: Context): void {
  const apply = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => context.io.out(text),
      writeErr: (text) => context.io.stderr.write(text),
      // main.ts prints commander's errors itself, through the same path as ours.
      outputError: () => undefined,
    });
    command.commands.forEach(apply);
  };
  apply(program);
}

/** Turn a commander error into ours: help/version are success, everything else is usage (2). */
export function fromCommanderError(error: CommanderError): UsageError | null {
  if (error.code === 'commander.help' && error.exitCode !== 0) {
    return new UsageError('a subcommand is required', {
      hint: 'The subcommands are listed above.',
    });
  }
  if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code))
    return null;
  if (error.code === 'commander.executeSubCommandAsync') return null;
  const message = error.message.replace(/^error:\s*/, '');
  if (error.exitCode === 0) return null;
  return new UsageError(message, { hint: 'Run with --help to see the flags and an example.' });
}

export { CommanderError };

/** Help topics beyond commander's per-command help. */
import type { Context } from '../../context.js';
import { EXIT_CODES, UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { Invocation } from '../spec.js';

/** `help exit-codes` prints the table of SPEC §1.2; `help <command>` shows that command's help. */
export function execute(
  invocation: Invocation,
  _context: Context,
): Promise<CommandResult | undefined> {
  const topic = invocation.args;
  if (topic.length === 0 || topic[0] === 'exit-codes') {
    if (topic.length === 0) {
      invocation.command.parent?.outputHelp();
      return Promise.resolve(undefined);
    }
    return Promise.resolve({
      data: { exit_codes: EXIT_CODES },
      csv: () => ({
        columns: [
          { key: 'code', header: 'code', kind: 'number' },
          { key: 'meaning', header: 'meaning' },
        ],
        rows: EXIT_CODES.map((e) => ({ ...e })),
      }),
      human: () => [
        {
          table: {
            title: 'carbonctl exit codes',
            columns: [
              { key: 'code', header: 'Code' },
              { key: 'meaning', header: 'Meaning' },
            ],
            rows: EXIT_CODES.map((e) => ({ code: String(e.code), meaning: e.meaning })),
          },
        },
      ],
    });
  }
  let command = invocation.command.parent;
  for (const name of topic) {
    const next = command?.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!next) {
      throw new UsageError(`no help topic "${topic.join(' ')}"`, {
        hint: 'Try `carbonctl help exit-codes` or `carbonctl --help` for the list of commands.',
      });
    }
    command = next;
  }
  command?.outputHelp();
  return Promise.resolve(undefined);
}

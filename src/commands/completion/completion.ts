/** Print a completion script, or dynamic values for one. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { Invocation } from '../spec.js';
import { generateCompletion, SHELLS, type Shell } from './generate.js';

/** Command entry for both `completion` and `__complete`. */
export async function execute(
  invocation: Invocation,
  context: Context,
): Promise<CommandResult | undefined> {
  const root = rootOf(invocation.command);
  if (invocation.command.name() === '__complete') {
    const kind = invocation.args[0];
    let values: string[] = [];
    try {
      const { settings } = await context.settings();
      if (kind === 'clusters') values = settings.clusters.map((c) => c.name);
      else if (kind === 'budgets') values = settings.budgets.map((b) => b.name);
      else if (kind === 'recommendations') values = await recommendationIds(settings.ledger);
    } catch {
      values = []; // completion must never print errors into the shell
    }
    context.io.out(values.length ? values.join('\n') + '\n' : '');
    return undefined;
  }
  const shell = invocation.args[0] as Shell;
  if (!SHELLS.includes(shell)) {
    throw new UsageError(`completion ${String(shell)} is not a supported shell`, {
      hint: `Use one of: ${SHELLS.join(', ')}.`,
    });
  }
  context.io.out(generateCompletion(root, shell));
  return undefined;
}

/** Recommendation ids from the ledger, read-only; none when there is no ledger yet. */
async function recommendationIds(path: string | null): Promise<string[]> {
  if (path === null || path === '' || !existsSync(path)) return [];
  const { openLedger } = await import('../../store/ledger.js');
  const ledger = openLedger(path, { readonly: true });
  try {
    return ledger.recommendations.ids();
  } finally {
    ledger.close();
  }
}

function rootOf(command: Command): Command {
  let current = command;
  while (current.parent) current = current.parent;
  return current;
}

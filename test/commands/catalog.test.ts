/**
 * The lazy command catalog (one line per top-level command, declarations imported on demand)
 * must list exactly the full tree of registry.ts, and a run must register only what it needs
 * while answering exactly as the full tree would.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_CATALOG, commandsFor, termOf } from '../../src/commands/catalog.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { askedCommand } from '../../src/program.js';
import { run } from '../helpers/context.js';

describe('command catalog', () => {
  it('has one line per command of the full tree, in the same order, with the same text', async () => {
    expect(COMMAND_CATALOG.map((entry) => entry.name)).toEqual(COMMANDS.map((spec) => spec.name));
    for (const [index, entry] of COMMAND_CATALOG.entries()) {
      const spec = COMMANDS[index]!;
      expect(entry.description, entry.name).toBe(spec.description);
      expect(entry.term, entry.name).toBe(termOf(spec));
      expect(Boolean(entry.hidden), entry.name).toBe(Boolean(spec.hidden));
      // The loader gives the very declaration the registry holds.
      expect(await entry.spec(), entry.name).toBe(spec);
    }
  });

  it('finds the asked command after global flags and their values', () => {
    expect(askedCommand(['calculate', '--intensity', '185'])).toBe('calculate');
    expect(askedCommand(['-o', 'json', 'usage', '--by', 'owner'])).toBe('usage');
    expect(askedCommand(['--output', 'csv', '--config', 'x.json', '-q', 'report', 'export'])).toBe(
      'report',
    );
    expect(askedCommand(['--output=json', 'track'])).toBe('track');
    expect(askedCommand(['--help'])).toBeUndefined();
    expect(askedCommand([])).toBeUndefined();
  });

  it('loads only the asked declaration; the whole tree for help, completion or an unknown name', async () => {
    const loaded = (items: Awaited<ReturnType<typeof commandsFor>>): string[] =>
      items.filter((item) => !('spec' in item)).map((item) => item.name);
    expect(loaded(await commandsFor('calculate'))).toEqual(['calculate']);
    expect(loaded(await commandsFor(undefined))).toEqual([]);
    expect(loaded(await commandsFor('help'))).toHaveLength(COMMANDS.length);
    expect(loaded(await commandsFor('completion'))).toHaveLength(COMMANDS.length);
    expect(loaded(await commandsFor('calculat'))).toHaveLength(COMMANDS.length);
  });

  it('lists every command in --help with its usage term, and suggests a near name', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}equivalencies \[options\] <amount> +Express an amount/m);
    expect(help.stdout).toMatch(/^ {2}run \[options\] <command\.\.\.> +Run a command/m);
    expect(help.stdout).toMatch(/^ {2}report +CSRD-ready reports/m);
    expect(help.stdout).not.toContain('__complete');
    const typo = await run(['calculat']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('(Did you mean calculate?)');
  });
});

/**
 * Walks every command and flag of the registry with malformed values and checks the contract
 * of SPEC §1.2 for each: exit 2, exactly one `error:` line on stderr, no stack trace, nothing
 * on stdout — and no request to any data source (Prometheus and the intensity provider point at
 * a closed loopback port, so a value that slipped through would surface as exit 3).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandSpec } from '../../src/commands/spec.js';
import type { OptionSpec } from '../../src/commands/options.js';
import { removeDir, run, tempDir } from '../helpers/context.js';

/** Malformed values by the placeholder a flag declares (`--from <time>` → time). */
const MALFORMED: Record<string, string[]> = {
  time: ['2025-13-01', '2026-01-01T00:00:00+25:00', 'next tuesday', '2026-02-30'],
  'YYYY-MM-DD': ['2025-13-01', '2026-02-30', '01/02/2026'],
  'YYYY-MM': ['2025-13', '2025/01'],
  YYYY: ['20x5', '99999'],
  year: ['20x5', '99999'],
  duration: ['99999999y', '5m', '-3h', 'soon'],
  zone: ['Mars/Olympus_Mons', 'UTC+99'],
  n: ['-1', 'abc', '1e999'],
  x: ['-1', 'abc', '0.5'],
  watts: ['-1', 'abc'],
  'g/kWh': ['-5', 'abc'],
  count: ['-1', 'abc'],
  seconds: ['-1', 'abc'],
  percent: ['-1', 'abc', '101'],
  kWh: ['-1', 'abc'],
  mass: ['-5kg', 'lots'],
  amount: ['-1', 'abc'],
  'g/month': ['-1', 'abc'],
  'per month': ['-1', 'abc'],
  quantity: ['-1', 'lots'],
  url: ['ftp://prometheus:9090', 'not a url'],
  matchers: ['job=node', 'x"} or vector(1) #'],
  hours: ['-1', 'abc', '100000'],
  list: ['no-such-value'],
};

/** Flags whose values are free text (names, paths, filters): no value is malformed for them. */
const FREE_TEXT = new Set([
  'name',
  'file',
  'file|-',
  'path',
  'user',
  'ns',
  'host',
  'project_machine',
  'text',
  'id|postcode',
  'code',
  'metric',
]);

/** A valid positional argument for each command that needs one. */
const ARGUMENTS: Record<string, string[]> = {
  'recommendations show': ['rec-1'],
  'recommendations apply': ['rec-1'],
  'recommendations ignore': ['rec-1'],
  'recommendations restore': ['rec-1'],
  'clusters show': ['default'],
  'config get': ['pue'],
  'config set': ['pue', '1.2'],
  'config unset': ['pue'],
  completion: ['bash'],
  help: ['exit-codes'],
};

interface FuzzCase {
  title: string;
  args: string[];
}

function placeholder(option: OptionSpec): string | null {
  return /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags)?.slice(1).find(Boolean) ?? null;
}

function longFlag(option: OptionSpec): string {
  return /--[a-z][a-z0-9-]*/.exec(option.flags)?.[0] ?? option.flags;
}

function leafCommands(specs: ReadonlyArray<CommandSpec>, prefix: string[] = []) {
  const leaves: Array<{ path: string[]; spec: CommandSpec }> = [];
  for (const spec of specs) {
    if (spec.hidden) continue;
    const path = [...prefix, spec.name];
    if (spec.load) leaves.push({ path, spec });
    leaves.push(...leafCommands(spec.subcommands ?? [], path));
  }
  return leaves;
}

function cases(): FuzzCase[] {
  const all: FuzzCase[] = [];
  for (const { path, spec } of leafCommands(COMMANDS)) {
    const base = [...path, ...(ARGUMENTS[path.join(' ')] ?? [])];
    const name = path.join(' ');
    all.push({ title: `${name} --no-such-flag`, args: [...base, '--no-such-flag'] });
    all.push({ title: `${name} -o bogus`, args: [...base, '-o', 'bogus'] });
    for (const option of spec.options ?? []) {
      if (option.hidden) continue;
      const flag = longFlag(option);
      const kind = placeholder(option);
      if (kind === null) {
        // A boolean flag given a value it does not take.
        continue;
      }
      if (option.flags.includes('<')) {
        all.push({ title: `${name} ${flag} (missing value)`, args: [...base, flag] });
      }
      const values = option.choices
        ? ['not-a-choice']
        : kind in MALFORMED
          ? (MALFORMED[kind] ?? [])
          : FREE_TEXT.has(kind)
            ? []
            : ['-1'];
      for (const value of values) {
        all.push({
          title: `${name} ${flag} ${JSON.stringify(value)}`,
          args: [...base, flag, value],
        });
      }
    }
  }
  return all;
}

const ALL = cases();
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('every command and flag of the registry, with malformed values', () => {
  it('has at least 200 cases', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(200);
  });

  it.each(ALL.map((c) => [c.title, c.args] as const))(
    '%s → exit 2, one error line, no stack',
    async (_title, args) => {
      const dir = tempDir('carbonctl-fuzz-');
      dirs.push(dir);
      const result = await run([...args], {
        dir,
        env: {
          // Closed loopback ports: a value that reached a data source would be exit 3, not 2.
          CARBONCTL_PROMETHEUS_URL: 'http://127.0.0.1:9',
          CARBONCTL_INTENSITY_URL: 'http://127.0.0.1:9',
        },
      });
      const lines = result.stderr.split('\n').filter((line) => line !== '');
      const errorLines = lines.filter((line) => /^(\S+ )?error: /.test(line));
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 2 });
      expect(errorLines).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(result.stderr).not.toContain('internal error');
      expect(result.stdout).toBe('');
    },
  );
});

/** `carbonctl equivalencies`: parse the amount, pick the equivalencies, show them. */
import {
  computeEquivalencies,
  topEquivalencies,
  type EquivalencyValue,
} from '../../core/equivalencies.js';
import { parseMassGrams } from '../../core/units.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import type { TableData } from '../../output/table.js';
import { parseFlag } from '../parse.js';
import type { Invocation } from '../spec.js';

const UNIT_GRAMS: Record<string, number> = { g: 1, kg: 1e3, t: 1e6 };

/** Validated inputs. */
export interface EquivalenciesOptions {
  grams: number;
  count: number;
  all: boolean;
}

/** Parse the amount (with an optional --unit for a bare number). */
export function parseOptions(args: string[], opts: Record<string, unknown>): EquivalenciesOptions {
  const amount = args[0] ?? '';
  const unit = opts.unit as string | undefined;
  let grams: number;
  if (unit !== undefined) {
    if (!/^\s*[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(amount)) {
      throw new UsageError(
        `amount ${amount} is not a number (with --unit ${unit}, give a bare number)`,
      );
    }
    grams = Number(amount) * (UNIT_GRAMS[unit] ?? 1);
    if (!Number.isFinite(grams)) throw new UsageError(`amount ${amount} is too large`);
  } else {
    grams = parseFlag('amount', amount, parseMassGrams);
  }
  return { grams, count: (opts.count as number | undefined) ?? 5, all: opts.all === true };
}

/** Ada's `{total_gco2eq, top_equivalencies}` shape. */
export function run(options: EquivalenciesOptions): {
  total_gco2eq: number;
  top_equivalencies: Record<string, Omit<EquivalencyValue, 'key'>>;
} {
  const chosen = options.all
    ? computeEquivalencies(options.grams)
    : topEquivalencies(options.grams, options.count);
  const top: Record<string, Omit<EquivalencyValue, 'key'>> = {};
  for (const { key, ...rest } of chosen) top[key] = rest;
  return { total_gco2eq: options.grams, top_equivalencies: top };
}

/** Command entry. */
export function execute(invocation: Invocation, _context: Context): Promise<CommandResult> {
  const data = run(parseOptions(invocation.args, invocation.opts));
  const table = (): TableData => ({
    columns: [
      { key: 'key', header: 'Equivalency' },
      { key: 'value', header: 'Value', kind: 'number' },
      { key: 'unit', header: 'Unit' },
      { key: 'source', header: 'Source' },
    ],
    rows: Object.entries(data.top_equivalencies).map(([key, e]) => ({
      key,
      value: e.value,
      unit: e.unit,
      source: e.source,
    })),
  });
  return Promise.resolve({
    data,
    csv: table,
    human: () => [{ text: `${data.total_gco2eq} gCO2e is about:\n` }, { table: table() }],
  });
}

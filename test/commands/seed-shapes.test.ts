/**
 * Contract tests of the seeds' JSON shapes (SPEC §4, §6): each fixture in fixtures/seed-shapes is
 * a seed's documented example reduced to its keys; carbonctl's `-o json` must have every key
 * with the same JSON type (extra keys are allowed). `"*"` in a fixture matches every entry of a
 * map whose keys vary.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { seedShape, shapeMismatches } from '../helpers/shapes.js';
import { tinyLedgerRows, writeLedger } from './ledger-readers.js';

const fixture = seedShape;

async function json(args: string[], dir?: string): Promise<unknown> {
  const result = await run([...args, '-o', 'json'], dir === undefined ? {} : { dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('the shape checker', () => {
  it('names missing keys, wrong types and empty wildcard maps', () => {
    expect(shapeMismatches({ a: 1, b: { c: 'x' } }, { a: 2, b: { c: 'y' }, extra: true })).toEqual(
      [],
    );
    expect(shapeMismatches({ a: 1, b: { c: 'x' } }, { a: '1', b: {} })).toEqual([
      '$.a: expected number, got string',
      '$.b.c: missing',
    ]);
    expect(shapeMismatches({ m: { '*': { v: 1 } } }, { m: {} })).toEqual([
      '$.m: expected at least one entry',
    ]);
    expect(shapeMismatches({ m: { '*': { v: 1 } } }, { m: { k: { v: null } } })).toEqual([
      '$.m.k.v: expected number, got null',
    ]);
    expect(shapeMismatches({ l: [{ v: 1 }] }, { l: [{ v: 2 }, { w: 3 }] })).toEqual([
      '$.l[1].v: missing',
    ]);
    expect(shapeMismatches({ l: [{ v: 1 }] }, { l: [] })).toEqual([
      '$.l: expected at least one element',
    ]);
  });
});

describe("Ada's shapes", () => {
  it('calculate -o json', async () => {
    const data = await json([
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '185',
    ]);
    expect(shapeMismatches(fixture('ada-calculate.json'), data)).toEqual([]);
    // Ada's default: five equivalencies, totalling the carbon.
    const equivalencies = (
      data as { equivalencies: { total_gco2eq: number; top_equivalencies: object } }
    ).equivalencies;
    expect(Object.keys(equivalencies.top_equivalencies)).toHaveLength(5);
    expect(equivalencies.total_gco2eq).toBeCloseTo(0.8736111, 6);
  });

  it('calculate --energy-only -o json (the electricity estimate)', async () => {
    const data = (await json([
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--energy-only',
    ])) as Record<string, number>;
    expect(shapeMismatches(fixture('ada-electricity-estimate.json'), data)).toEqual([]);
    expect(data.busy_kwh).toBeCloseTo(1000 / 300_000, 12);
    expect(data.idle_kwh).toBeCloseTo(5000 / 3_600_000, 12);
    expect(data.total_kwh).toBeCloseTo(1000 / 300_000 + 5000 / 3_600_000, 12);
    expect([data.busy_power_w, data.idle_power_w]).toEqual([12, 1]);
  });

  it('equivalencies -o json', async () => {
    const data = await json(['equivalencies', '1000']);
    expect(shapeMismatches(fixture('ada-equivalencies.json'), data)).toEqual([]);
  });

  describe('usage summaries', () => {
    let dir: string;
    let ledger: string;
    beforeAll(() => {
      dir = tempDir();
      ledger = join(dir, 'ledger.db');
      writeLedger(ledger, tinyLedgerRows());
    });
    afterAll(() => removeDir(dir));

    it('usage -o json', async () => {
      const data = await json(['usage', '--ledger', ledger], dir);
      expect(shapeMismatches(fixture('ada-usage-summary.json'), data)).toEqual([]);
    });

    it('usage --by host --owner u --shape ada -o json (per-workspace rows)', async () => {
      const data = await json(
        ['usage', '--ledger', ledger, '--by', 'host', '--owner', 'alice', '--shape', 'ada'],
        dir,
      );
      // Every row has the shape of the fixture's example row.
      expect(shapeMismatches(fixture('ada-workspace-usage.json'), data)).toEqual([]);
    });
  });
});

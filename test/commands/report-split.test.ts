import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportSplitData } from '../../src/commands/report/export.js';
import { fileNamePart } from '../../src/core/report.js';
import { removeDir, run, tempDir } from '../helpers/context.js';
import { hourRow, tinyLedgerRows, writeLedger } from './ledger-readers.js';

let dir: string;
let ledger: string;
const NOVEMBER = ['--from', '2026-11-01', '--to', '2026-11-30'];

beforeAll(() => {
  dir = tempDir();
  ledger = join(dir, 'ledger.db');
  writeLedger(ledger, [
    ...tinyLedgerRows(),
    // An owner whose name is not a safe file name.
    hourRow({
      entityId: 'host-d',
      hour: '2026-11-04T08:00:00Z',
      busySeconds: 7200,
      idleSeconds: 0,
      intensity: 150,
      labels: { owner: '../<evil>', host: 'host-d' },
    }),
  ]);
});

afterAll(() => removeDir(dir));

async function split(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(['report', 'export', '--ledger', ledger, ...NOVEMBER, ...args], { dir });
}

describe('report export --split-by', () => {
  it('writes one file per owner, each equal to the export filtered to that owner', async () => {
    const out = join(dir, 'csv', '{group}', 'carbon-{period}.csv');
    const result = await split(['--split-by', 'owner', '--out', out, '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout) as ReportSplitData;
    expect(data.files.map((file) => file.group)).toEqual(['../<evil>', 'alice', 'bob']);
    expect(data.files[1]?.path).toBe(join(dir, 'csv', 'alice', 'carbon-2026-11.csv'));
    // The unsafe name stays inside csv/: no directory traversal, a hash keeps it unique.
    expect(data.files[0]?.path).toMatch(
      new RegExp(`^${join(dir, 'csv')}/___evil_-[0-9a-f]{8}/carbon-2026-11\\.csv$`),
    );
    for (const file of data.files) {
      const filtered = await run(
        ['report', 'export', '--ledger', ledger, ...NOVEMBER, '--owner', file.group, '--out', '-'],
        { dir },
      );
      expect(readFileSync(file.path, 'utf8'), file.group).toBe(filtered.stdout);
    }
    // The pod has no owner label: in none of the files, and the user is told how much.
    expect(data.unlabelled?.energy_kwh).toBeCloseTo(0.0065, 12);
    expect(result.stderr).toContain('has no owner label and is in none of the files');
    expect(readdirSync(join(dir, 'csv')).sort()).toHaveLength(3);
  });

  it('writes HTML pages whose title names the group', async () => {
    const out = join(dir, 'html', 'carbon-{period}-{group}.html');
    const result = await split(['--split-by', 'project', '--group-by', 'owner', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const page = parse(readFileSync(join(dir, 'html', 'carbon-2026-11-astro.html'), 'utf8'));
    expect(page.querySelector('h1')?.text).toBe('Carbon report 2026-11 · project astro');
    expect(page.querySelectorAll('#table-groups tr.group th').map((th) => th.text)).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('checks every target before writing any, and replaces them only with --force', async () => {
    const target = join(dir, 'force');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'bob.csv'), 'signed off\n');
    const out = join(target, '{group}.csv');
    const refused = await split(['--split-by', 'owner', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('1 of the 3 files already exist');
    expect(existsSync(join(target, 'alice.csv'))).toBe(false);
    expect(readFileSync(join(target, 'bob.csv'), 'utf8')).toBe('signed off\n');
    const forced = await split(['--split-by', 'owner', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(target, 'bob.csv'), 'utf8')).toMatch(/^period,period_start,/);
  });

  it('needs {group} in --out, and {group} needs --split-by', async () => {
    const missing = await split(['--split-by', 'owner', '--out', join(dir, 'x.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out needs a path with {group} (or {owner}) in it');
    const stdout = await split(['--split-by', 'owner', '--out', '-']);
    expect(stdout.code).toBe(2);
    const stray = await split(['--out', join(dir, '{group}.csv')]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('{group}, which is filled in only with --split-by');
  });
});

describe('fileNamePart', () => {
  const hash = (text: string): string => `h${text.length}hhhhhhhhhh`;
  it('keeps safe names and replaces the rest, adding a hash when it changed anything', () => {
    expect(fileNamePart('alice', hash)).toBe('alice');
    expect(fileNamePart('team-a_1.2@x+y', hash)).toBe('team-a_1.2@x+y');
    expect(fileNamePart('a/b', hash)).toBe('a_b-h3hhhhhh');
    expect(fileNamePart('..', hash)).toBe('_-h2hhhhhh');
    expect(fileNamePart('', hash)).toBe('_-h0hhhhhh');
  });
});

describe('show-back per owner with a people file', () => {
  it('names the files by {owner} and gives each owner’s name and address for mailing', async () => {
    const people = join(dir, 'people.csv');
    writeFileSync(people, 'owner,name,email\nalice,Alice Liddell,alice@example.org\nbob,Bob,\n');
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify({ people }));
    try {
      const out = join(dir, 'mail', 'carbon-{owner}-{period}.csv');
      const result = await split(['--split-by', 'owner', '--out', out, '-o', 'json']);
      expect(result.code, result.stderr).toBe(0);
      const data = JSON.parse(result.stdout) as ReportSplitData;
      const alice = data.files.find((file) => file.group === 'alice')!;
      expect(alice.path).toBe(join(dir, 'mail', 'carbon-alice-2026-11.csv'));
      expect(alice).toMatchObject({ name: 'Alice Liddell', email: 'alice@example.org' });
      expect(data.files.find((file) => file.group === 'bob')).toMatchObject({
        name: 'Bob',
        email: null,
      });
      // An owner missing from the people file keeps the id only.
      expect(data.files.find((file) => file.group === '../<evil>')).toMatchObject({
        name: null,
        email: null,
      });
      // usage --by owner shows the display name beside the id.
      const usage = await run(
        ['usage', '--ledger', ledger, ...NOVEMBER, '--by', 'owner', '-o', 'json'],
        { dir },
      );
      const rows = (JSON.parse(usage.stdout) as { rows: Array<Record<string, unknown>> }).rows;
      expect(rows.find((row) => row.owner === 'alice')).toMatchObject({
        name: 'Alice Liddell',
        email: 'alice@example.org',
      });
      const table = await run(['usage', '--ledger', ledger, ...NOVEMBER, '--by', 'owner'], {
        dir,
      });
      expect(table.stdout).toMatch(/alice\s+Alice Liddell/);
    } finally {
      removeDir(join(dir, 'config'));
    }
  });
});

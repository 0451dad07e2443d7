import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { writeFileAtomic, writeToStream } from '../../src/io/files.js';
import { Capture, removeDir, tempDir } from '../helpers/context.js';
import { makeReadOnly } from './read-only.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('writeFileAtomic', () => {
  it('writes a string and reports its size and SHA-256', async () => {
    const path = join(dir, 'a.csv');
    const written = await writeFileAtomic(path, 'a,b\n1,2\n');
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n');
    expect(written).toEqual({ path, bytes: 8, sha256: sha256('a,b\n1,2\n') });
    // A report follows the umask, like any file a tool creates (README: File modes).
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir)).toEqual(['a.csv']);
  });

  it('streams chunks from a sync or async iterable', async () => {
    async function* chunks() {
      yield 'héllo ';
      await new Promise((resolve) => setImmediate(resolve));
      yield Buffer.from('wörld');
    }
    const written = await writeFileAtomic(join(dir, 'b.txt'), chunks());
    expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('héllo wörld');
    expect(written.bytes).toBe(Buffer.byteLength('héllo wörld'));
    await writeFileAtomic(join(dir, 'c.txt'), ['1', '2', '3']);
    expect(readFileSync(join(dir, 'c.txt'), 'utf8')).toBe('123');
  });

  it('refuses to replace an existing file without force, naming --force, and leaves it untouched', async () => {
    const path = join(dir, 'report.csv');
    writeFileSync(path, 'old');
    const attempt = writeFileAtomic(path, 'new');
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(writeFileAtomic(path, 'new')).rejects.toMatchObject({
      message: `${path} already exists`,
      hint: expect.stringMatching(/--force/),
    });
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['report.csv']);
    await writeFileAtomic(path, 'new', { force: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('leaves neither a partial file nor a temp file when the producer fails midway', async () => {
    const path = join(dir, 'partial.csv');
    function* failing() {
      yield 'header\n';
      yield 'row 1\n';
      throw new Error('the ledger went away');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('the ledger went away');
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps the previous version intact when a forced rewrite fails midway', async () => {
    const path = join(dir, 'keep.csv');
    writeFileSync(path, 'previous report');
    function* failing() {
      yield 'new header\n';
      throw new Error('interrupted');
    }
    await expect(writeFileAtomic(path, failing(), { force: true })).rejects.toThrow('interrupted');
    expect(readFileSync(path, 'utf8')).toBe('previous report');
    expect(readdirSync(dir)).toEqual(['keep.csv']);
  });

  it('fails with a clear usage error in a read-only directory and leaves nothing behind', async () => {
    const target = join(dir, 'ro');
    mkdirSync(target);
    const undo = makeReadOnly(target);
    try {
      await expect(writeFileAtomic(join(target, 'x.csv'), 'data')).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(
          /x\.csv cannot be written: .*ro is not writable \((EACCES|EPERM)\)/,
        ),
      });
      expect(readdirSync(target)).toEqual([]);
    } finally {
      undo();
    }
  });

  it('creates missing directories on request, and says so when it may not', async () => {
    const nested = join(dir, 'reports', '2025', 'carbon.csv');
    await expect(writeFileAtomic(nested, 'x')).rejects.toMatchObject({
      message: expect.stringMatching(/does not exist/),
    });
    await writeFileAtomic(nested, 'x', { createDirectories: true });
    expect(readFileSync(nested, 'utf8')).toBe('x');
  });

  it('refuses a directory as the target', async () => {
    await expect(writeFileAtomic(dir, 'x', { force: true })).rejects.toMatchObject({
      message: `${dir} is a directory`,
    });
  });
});

describe('writeToStream', () => {
  it('writes every chunk in order and counts bytes', async () => {
    const out = new Capture();
    const bytes = await writeToStream(out, ['a', Buffer.from('é'), 'c']);
    expect(out.text).toBe('aéc');
    expect(bytes).toBe(4);
  });
});

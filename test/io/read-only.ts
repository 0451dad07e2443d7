/** Test support: a directory this process cannot write to, even as root. */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes `dir` unwritable for this process: chmod 0555, and when we are root (which ignores
 * permission bits) the ext4 immutable flag too. Returns the undo function.
 */
export function makeReadOnly(dir: string): () => void {
  chmodSync(dir, 0o555);
  const probe = join(dir, '.probe');
  try {
    writeFileSync(probe, 'x');
  } catch {
    return () => chmodSync(dir, 0o755);
  }
  // Root: permission bits do not apply.
  rmSync(probe);
  execFileSync('chattr', ['+i', dir]);
  try {
    writeFileSync(probe, 'x');
  } catch {
    return () => {
      execFileSync('chattr', ['-i', dir]);
      chmodSync(dir, 0o755);
    };
  }
  throw new Error(`cannot make ${dir} read-only in this environment`);
}

/**
 * Writing the config file, through `conf` (atomic write). The file is always written with mode
 * 0600: it may hold a Prometheus token or an Electricity Maps token (SPEC §1.3).
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import Conf from 'conf';

/** Replace the config file's contents with `data`, atomically, readable only by the user. */
export function writeConfigFile(path: string, data: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const layout = existingLayout(path);
  const extension = extname(path);
  const store = new Conf<Record<string, unknown>>({
    projectName: 'carbonctl',
    cwd: dirname(path),
    configName: basename(path, extension),
    fileExtension: extension.replace(/^\./, ''),
    configFileMode: 0o600,
    // We validate with zod before writing; conf must not second-guess or wipe the file.
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
    watch: false,
    // Keep the file's own layout (indentation, final newline) so a hand-edited file stays
    // reviewable in a diff; a new file gets two spaces and a final newline.
    serialize: (value) => JSON.stringify(value, null, layout.indent) + layout.newline,
  });
  store.store = data;
  // An existing file keeps its old mode on rename in some setups: enforce 0600.
  chmodSync(path, 0o600);
}

/** The indentation and final newline of the file at `path`; two spaces and `\n` for a new one. */
export function existingLayout(path: string): { indent: string; newline: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { indent: '  ', newline: '\n' };
  }
  if (text.trim() === '') return { indent: '  ', newline: '\n' };
  const indent = /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const newline = /\r?\n$/.exec(text)?.[0] ?? '';
  return { indent, newline };
}

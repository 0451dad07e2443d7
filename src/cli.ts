/**
 * The bin's entry: `--version`, and `--help` at commander's default width, are answered here
 * before anything else is loaded; every other run imports the program (SPEC §12 start-up bar).
 */
import { readFileSync } from 'node:fs';
import type { ProcessLike } from './main.js';

/**
 * `carbonctl --help` as the program prints it 80 columns wide (a pipe, a CI log, an 80-column
 * terminal), written beside this file by the build from the built program itself.
 */
const PRERENDERED_HELP = new URL('./help.txt', import.meta.url);

/** Variables whose values io masks in stdout: with any of them set, the program prints help. */
const SECRET_VARIABLES = [
  'CARBONCTL_PROMETHEUS_TOKEN',
  'CARBONCTL_PROMETHEUS_PASSWORD',
  'CARBONCTL_ELECTRICITYMAPS_TOKEN',
  'CARBONCTL_PROMETHEUS_URL',
  'CARBONCTL_INTENSITY_URL',
];

/** The prerendered top-level help when it is exactly what the program would print, else null. */
function prerenderedHelp(proc: ProcessLike): string | null {
  const stdout = proc.stdout as ProcessLike['stdout'] & { columns?: number };
  // Commander wraps to the terminal's width, or 80 when stdout is not a terminal.
  const width = stdout.isTTY ? stdout.columns : 80;
  if (width !== 80 || SECRET_VARIABLES.some((name) => proc.env[name])) return null;
  try {
    return readFileSync(PRERENDERED_HELP, 'utf8');
  } catch {
    return null; // not built (tests run the sources): the program prints it
  }
}

/** Replaced at build time from package.json (esbuild `define`); see version.ts. */
declare const __CARBONCTL_VERSION__: string | undefined;

/** Run carbonctl for this process; resolves to the exit code. */
export async function run(proc: ProcessLike): Promise<number> {
  const args = proc.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    // A reader that went away (`carbonctl --version | true`) is not an error.
    proc.stdout.on('error', () => undefined);
    proc.stdout.write(
      `${typeof __CARBONCTL_VERSION__ === 'string' ? __CARBONCTL_VERSION__ : '0.0.0-dev'}\n`,
    );
    return 0;
  }
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    const help = prerenderedHelp(proc);
    if (help !== null) {
      proc.stdout.on('error', () => undefined);
      proc.stdout.write(help);
      return 0;
    }
  }
  const { main } = await import('./main.js');
  return main(proc);
}

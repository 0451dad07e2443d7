/**
 * The bin's entry: `--version` is answered here, before anything else is loaded; every other
 * run imports the program (SPEC §12 start-up bar).
 */
import type { ProcessLike } from './main.js';

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
  const { main } = await import('./main.js');
  return main(proc);
}

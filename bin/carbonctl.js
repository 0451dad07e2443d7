#!/usr/bin/env node
// `--version` is answered here, before any other module loads; `--help` and everything else go
// through dist/cli.js, which loads the program only when it is needed (SPEC §12 start-up bar).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version the build stamps into dist/ comes from the same package.json.
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.on('error', () => undefined);
  process.stdout.write(`${version}\n`);
} else {
  const { run } = await import('../dist/cli.js');
  process.exitCode = await run(process);
}

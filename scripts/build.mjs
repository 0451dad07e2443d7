// Bundle src/ into dist/ with esbuild: one small entry plus a chunk per lazily imported
// command, so `carbonctl --version` loads almost nothing (SPEC §12 start-up bar).
// Type-checking is separate (`npm run typecheck`).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/main.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addon: must stay a real require at run time.
  external: ['better-sqlite3'],
  define: { __CARBONCTL_VERSION__: JSON.stringify(pkg.version) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __carbonctlCreateRequire } from 'node:module'; const require = __carbonctlCreateRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  logLevel: 'warning',
});

// `carbonctl --help` as the built program prints it into a pipe (80 columns): src/cli.ts prints
// this file for `--help` at that width without loading the program. No carbonctl variables, so
// nothing is masked; the program itself renders it, so it cannot drift from the command tree.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('CARBONCTL_')),
);
const help = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    "const { main } = await import('./dist/main.js'); process.exitCode = await main(process);",
    '--',
    'carbonctl', // argv[1], as the bin's path is
    '--help',
  ],
  { encoding: 'utf8', env: { ...env, NO_COLOR: '1' }, cwd: new URL('..', import.meta.url) },
);
if (help.status !== 0 || help.stdout === '')
  throw new Error(`rendering --help failed: ${help.stderr}`);
writeFileSync(new URL('../dist/help.txt', import.meta.url), help.stdout);

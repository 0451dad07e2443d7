// Bundle src/ into dist/ with esbuild: one small entry plus a chunk per lazily imported
// command, so `carbonctl --version` loads almost nothing (SPEC §12 start-up bar).
// Type-checking is separate (`npm run typecheck`).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

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

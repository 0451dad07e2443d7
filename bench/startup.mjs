#!/usr/bin/env node
// Start-up benchmark (SPEC §12): median wall time of `carbonctl --version` and of an offline
// `calculate … -o json` against bare `node -e 0`, over repeated runs, printed as ratios.
// Target: both within 2× of bare node. Run after `npm run build`: node bench/startup.mjs [runs]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 30);
const bin = fileURLToPath(new URL('../bin/carbonctl.js', import.meta.url));
const cases = {
  'node -e 0': ['-e', '0'],
  'carbonctl --version': [bin, '--version'],
  'carbonctl calculate … -o json': [
    bin,
    'calculate',
    '--busy-cpu-seconds',
    '1000',
    '--idle-cpu-seconds',
    '5000',
    '--intensity',
    '185',
    '-o',
    'json',
  ],
};

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// Warm the file cache once, then interleave the cases so drift affects all equally.
for (const args of Object.values(cases)) time(args);
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let i = 0; i < runs; i += 1) {
  for (const [name, args] of Object.entries(cases)) samples[name].push(time(args));
}
const baseline = median(samples['node -e 0']);
console.log(`runs: ${runs} each (node ${process.version})`);
for (const [name, values] of Object.entries(samples)) {
  const m = median(values);
  console.log(
    `${name.padEnd(32)} median ${m.toFixed(1).padStart(7)} ms   ratio ${(m / baseline).toFixed(2)}×`,
  );
}

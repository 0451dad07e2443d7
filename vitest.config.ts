import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites start real servers (Prometheus, loopback replays); keep the
    // machine's two cores from thrashing.
    maxWorkers: 2,
    reporters: ['default'],
  },
});

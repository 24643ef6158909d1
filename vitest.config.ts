import { defineConfig } from 'vitest/config';

// Tests run in forked child processes: the simulation kernel replaces a few globals (Date,
// Math.random, timers) with tripwires for the duration of a run, and a fork keeps that local.
//
// Two projects: everything but the integration suites runs in parallel; the integration suites
// share real servers (they stop replica threads, change semi-sync timeouts, fail over and kill
// cluster nodes, then restore them), so their files run one at a time.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false },
      },
    ],
  },
});

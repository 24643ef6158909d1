import { defineConfig } from 'vitest/config';

// Tests run in forked child processes: the simulation kernel replaces a few globals (Date,
// Math.random, timers) with tripwires for the duration of a run, and a fork keeps that local.
//
// Three projects:
// - unit: everything in test/ but the two below, files in parallel (`npm test`);
// - integration: the suites against real servers, which they share (they stop replica threads,
//   change semi-sync timeouts, fail over and kill cluster nodes, then restore them), so their
//   files run one at a time (`npm test`);
// - slow: what spawns fresh hasim processes or runs a simulated hour (test/slow/; `npm run
//   test:slow`, and CI runs it after `npm test`).
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/slow/**'],
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false },
      },
      {
        extends: true,
        test: { name: 'slow', include: ['test/slow/**/*.test.ts'] },
      },
    ],
  },
});

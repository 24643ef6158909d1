import { defineConfig } from 'vitest/config';

// Tests run in forked child processes: the simulation kernel replaces a few globals (Date,
// Math.random, timers) with tripwires for the duration of a run, and a fork keeps that local.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});

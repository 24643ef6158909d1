import { describe, expect, it } from 'vitest';
import { SimFaults } from '#sim/faults/registry.ts';
import { Simulation } from '#sim/kernel/simulation.ts';
import { expandTimeline, scheduleTimeline, timelineFaultProblem } from '#src/harness/fault-timeline.ts';
import { RunHarness } from '#src/harness/run-harness.ts';

describe('fault timeline', () => {
  it('expands durations into the inverse verb, in time order; at one instant ends first, then starts in file order', () => {
    const steps = expandTimeline([
      { atMs: 5_000, verb: 'crash', target: 'redis/shard-1/master', forMs: 10_000 },
      { atMs: 1_000, verb: 'outage', target: 'upstream/primary', forMs: 4_000 },
      { atMs: 5_000, verb: 'fail-next', target: 'upstream/primary', args: { count: 2 } },
    ]);
    expect(steps.map((s) => `${s.atMs} ${s.action.verb} ${s.action.target}`)).toEqual([
      '1000 outage upstream/primary',
      '5000 heal upstream/primary',
      '5000 crash redis/shard-1/master',
      '5000 fail-next upstream/primary',
      '15000 restart redis/shard-1/master',
    ]);
  });

  it('refuses a duration on a verb with no inverse, and negative times', () => {
    expect(timelineFaultProblem({ atMs: 0, verb: 'failover', target: 'x', forMs: 10 })).toMatch(/no inverse/);
    expect(timelineFaultProblem({ atMs: -1, verb: 'crash', target: 'x' })).toMatch(/at: expected/);
    expect(timelineFaultProblem({ atMs: 0, verb: 'crash', target: 'x', forMs: 5 })).toBeUndefined();
  });

  it('injects at the scheduled virtual times and reports a failing injection', async () => {
    const sim = new Simulation({ seed: 1 });
    const harness = new RunHarness({}, { clock: sim.clock });
    const faults = new SimFaults();
    const seen: string[] = [];
    faults.register('mysql/primary', {
      crash: () => void seen.push(`crash@${sim.clock.now()}`),
      restart: () => void seen.push(`restart@${sim.clock.now()}`),
    });
    const errors: string[] = [];
    sim.spawn(() =>
      harness.run(async () => {
        scheduleTimeline(
          harness,
          faults,
          [
            { atMs: 100, verb: 'crash', target: 'mysql/primary', forMs: 50 },
            { atMs: 120, verb: 'crash', target: 'mysql/replica-7' },
          ],
          (error, action) => errors.push(`${action.target}: ${String(error)}`),
        );
        await sim.clock.sleep(200);
      }),
    );
    await sim.run();
    expect(seen).toEqual(['crash@100', 'restart@150']);
    expect(errors).toEqual([
      "mysql/replica-7: FaultError: no fault target 'mysql/replica-7' (targets: mysql/primary)",
    ]);
  });
});

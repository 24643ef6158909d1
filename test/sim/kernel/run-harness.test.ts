import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { RunHarness } from '#src/harness/run-harness.ts';

// A background component that re-arms a timer forever (a gossip cron): without a stop, a run never
// becomes idle.
function cron(sim: Simulation, everyMs: number): { stop(): void; ticks: () => number } {
  let ticks = 0;
  let handle = sim.clock.schedule(everyMs, function tick() {
    ticks++;
    handle = sim.clock.schedule(everyMs, tick);
  });
  return { stop: () => handle.cancel(), ticks: () => ticks };
}

describe('RunHarness', () => {
  it('drains the requests in flight after the last arrival, stops the background, and sim.run() ends on its own', async () => {
    const sim = new Simulation({ seed: 1 });
    const harness = new RunHarness({}, { clock: sim.clock });
    const background = cron(sim, 100);
    harness.own(background);
    const finished: number[] = [];
    let result: unknown;
    sim.spawn(async () => {
      result = await harness.run(async () => {
        for (let i = 0; i < 3; i++) {
          void harness.track(sim.clock.sleep(1_000 * (i + 1)).then(() => finished.push(sim.clock.now())));
          await sim.clock.sleep(10);
        }
      });
    });
    const run = await sim.run();
    expect(finished).toEqual([1_000, 2_010, 3_020]);
    expect(result).toEqual({ started: 3, settled: 3, abandoned: 0 });
    expect(run.nowMs).toBe(3_020);
    expect(background.ticks()).toBe(30);
  });

  it('stops after drainTimeoutMs with the stragglers reported as abandoned', async () => {
    const sim = new Simulation({ seed: 1 });
    const harness = new RunHarness({ drainTimeoutMs: 500 }, { clock: sim.clock });
    let result: unknown;
    sim.spawn(async () => {
      result = await harness.run(async () => {
        void harness.track(sim.clock.sleep(10_000));
      });
    });
    await sim.run({ untilMs: 600 });
    expect(result).toEqual({ started: 1, settled: 0, abandoned: 1 });
    expect(harness.inFlight).toBe(1);
  });

  it('cancels its own pending timers at stop', async () => {
    const sim = new Simulation({ seed: 1 });
    const harness = new RunHarness({}, { clock: sim.clock });
    let fired = false;
    sim.spawn(() =>
      harness.run(async () => {
        harness.at(5_000, () => {
          fired = true;
        });
      }),
    );
    const run = await sim.run();
    expect(fired).toBe(false);
    expect(run.nowMs).toBe(0);
  });

  it('refuses tracking before the run starts and a second run', async () => {
    const sim = new Simulation({ seed: 1 });
    const harness = new RunHarness({}, { clock: sim.clock });
    expect(() => harness.track(Promise.resolve())).toThrow(/while idle/);
    sim.spawn(() => harness.run(async () => {}));
    await sim.run();
    await expect(harness.run(async () => {})).rejects.toThrow(/called twice/);
  });
});

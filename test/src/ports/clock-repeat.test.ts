import { describe, expect, it } from 'vitest';
import { repeat } from '#src/ports/clock.ts';
import { newSim } from '#test/helpers/sim.ts';

// `repeat`: the polling loop of a live run's watchdog, cluster observer and progress, on a Clock.
describe('repeat', () => {
  it('calls every intervalMs from now and stops when cancelled', async () => {
    const sim = newSim('clock-repeat');
    const calls: number[] = [];
    const handle = repeat(sim.clock, 250, () => calls.push(sim.clock.now()));
    sim.clock.schedule(1_000, () => handle.cancel());
    await sim.run({ untilMs: 5_000 });
    expect(calls).toEqual([250, 500, 750]);
  });

  it('a handle cancelled inside its own call makes no further calls', async () => {
    const sim = newSim('clock-repeat-self');
    let calls = 0;
    const handle = repeat(sim.clock, 100, () => {
      calls++;
      if (calls === 2) handle.cancel();
    });
    await sim.run({ untilMs: 1_000 });
    expect(calls).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { Simulation, TraceBudgetError } from '#sim/kernel/simulation.ts';

// The kernel's hard stop on a trace that grows past its budget: the run fails at the next timer
// with a TraceBudgetError naming the budget, however the simulated code handles errors.

/** A task that emits one event per virtual millisecond, forever. */
function chatter(sim: Simulation): void {
  sim.spawn(async () => {
    for (let i = 0; ; i++) {
      // Made-up events: the budget mechanism is under test, not the vocabulary.
      sim.trace.emit('test', 'tick', { i, pad: 'x'.repeat(40) });
      await sim.clock.sleep(1);
    }
  });
}

describe('Simulation trace budgets', () => {
  it('eventsMax stops a run just past the budget', async () => {
    const sim = new Simulation({ seed: 1, eventsMax: 100, trace: { check: 'off' } });
    chatter(sim);
    const error = await sim.run({ untilMs: 1_000_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceBudgetError);
    expect(error).toMatchObject({ budget: 'eventsMax', max: 100 });
    expect(sim.trace.events).toBe(101);
  });

  it('traceCharsMax stops a run once the event lines pass the size', async () => {
    const sim = new Simulation({ seed: 1, traceCharsMax: 10_000, trace: { check: 'off' } });
    chatter(sim);
    const error = await sim.run({ untilMs: 1_000_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ budget: 'traceCharsMax', max: 10_000 });
    expect(sim.trace.chars).toBeGreaterThan(10_000);
    expect(sim.trace.chars).toBeLessThan(10_200);
  });

  it('without budgets nothing changes: the same run passes', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    chatter(sim);
    await sim.run({ untilMs: 500 });
    expect(sim.trace.events).toBe(501);
  });
});

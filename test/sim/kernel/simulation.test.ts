import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Barrier, Simulation, StallError, StepLimitError, TaskFailedError } from '#sim/index.ts';

describe('Simulation clock and timers', () => {
  it('starts at 0 and moves only when timers fire', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    const seen: number[] = [];
    sim.spawn(async () => {
      seen.push(sim.clock.now());
      await sim.clock.sleep(250);
      seen.push(sim.clock.now());
      await sim.clock.sleep(0.2); // fractions round up to a whole millisecond
      seen.push(sim.clock.now());
    });
    const result = await sim.run();
    expect(seen).toEqual([0, 250, 251]);
    expect(result.nowMs).toBe(251);
    expect(result.pendingTasks).toBe(0);
  });

  it('fires timers in (time, scheduling order), and settles each continuation before the next timer', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    const log: string[] = [];
    const worker = (name: string, ms: number) => async () => {
      await sim.clock.sleep(ms);
      log.push(`${name} woke`);
      await Promise.resolve(); // a continuation several microtasks deep
      await Promise.resolve();
      log.push(`${name} done`);
    };
    sim.spawn(worker('a', 10));
    sim.spawn(worker('b', 5));
    sim.spawn(worker('c', 10));
    await sim.run();
    expect(log).toEqual(['b woke', 'b done', 'a woke', 'a done', 'c woke', 'c done']);
  });

  it('at one instant, a continuation runs before the next timer fires (per-timer tie rule)', async () => {
    // Timer scheduled after the sleep: the sleeper wakes first and cancels it in time, also after
    // a chain of microtask hops, under either barrier.
    const lateFires = async (barrier: Barrier, hops: number) => {
      const sim = new Simulation({ seed: 1, barrier, trace: { check: 'off' } });
      let lateFired = false;
      sim.spawn(async () => {
        const wake = sim.clock.sleep(10);
        const late = sim.clock.schedule(10, () => {
          lateFired = true;
        });
        await wake;
        let chain = Promise.resolve();
        for (let i = 0; i < hops; i++) chain = chain.then(() => undefined);
        await chain;
        late.cancel();
      });
      await sim.run();
      return lateFired;
    };
    for (const barrier of ['nextTick', 'setImmediate'] as const) {
      expect(await lateFires(barrier, 0)).toBe(false);
      expect(await lateFires(barrier, 50)).toBe(false);
    }

    // Timer scheduled before the sleep: it fires first, and cancelling afterwards is a no-op.
    const sim2 = new Simulation({ seed: 1, trace: { check: 'off' } });
    let earlyFired = false;
    sim2.spawn(async () => {
      const early = sim2.clock.schedule(10, () => {
        earlyFired = true;
      });
      await sim2.clock.sleep(10);
      early.cancel();
    });
    await sim2.run();
    expect(earlyFired).toBe(true);
  });

  it('advanceBy fires timers due in (now, now + ms] and leaves the clock at now + ms', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    const fired: number[] = [];
    for (const at of [5, 10, 11]) sim.clock.schedule(at, () => fired.push(at));
    await sim.advanceBy(10);
    expect(fired).toEqual([5, 10]);
    expect(sim.clock.now()).toBe(10);
    await sim.advanceBy(100);
    expect(fired).toEqual([5, 10, 11]);
    expect(sim.clock.now()).toBe(110);
  });

  it('run({ untilMs }) stops there with tasks legitimately pending', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    sim.spawn(async () => {
      for (;;) await sim.clock.sleep(100);
    });
    const result = await sim.run({ untilMs: 1_000 });
    expect(result.nowMs).toBe(1_000);
    expect(result.pendingTasks).toBe(1);
  });

  it('sleep rejects with the signal reason on abort, and the cancelled timer never fires', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    const outcome: string[] = [];
    sim.spawn(async () => {
      const controller = new AbortController();
      sim.clock.schedule(30, () => controller.abort(new Error('deadline')));
      try {
        await sim.clock.sleep(100, controller.signal);
        outcome.push('slept');
      } catch (error) {
        outcome.push(`aborted at ${sim.clock.now()}: ${(error as Error).message}`);
      }
      const aborted = AbortSignal.abort();
      await sim.clock.sleep(5, aborted).catch((e: Error) => outcome.push(e.name));
    });
    const result = await sim.run();
    expect(outcome).toEqual(['aborted at 30: deadline', 'AbortError']);
    // Idle at 30: the aborted 100 ms timer was removed, so the run did not go on to t=100.
    expect(result.nowMs).toBe(30);
  });

  it('spawned tasks start in spawn order at the current time and resolve with their value', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    const order: number[] = [];
    const results = [1, 2, 3].map((i) =>
      sim.spawn(async () => {
        order.push(i);
        return i * 10;
      }),
    );
    await sim.run();
    expect(order).toEqual([1, 2, 3]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });
});

describe('Simulation failures are loud', () => {
  it('a task waiting on nothing that can ever happen is a stall, naming the task', async () => {
    const sim = new Simulation({ seed: 9, trace: { check: 'off' } });
    sim.spawn(() => new Promise<void>(() => {}), { name: 'waits-forever' });
    const failure = await sim.run().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StallError);
    expect((failure as Error).message).toMatch(
      /stalled at t=0 ms \(seed 9\): 1 task\(s\) pending \(waits-forever\)/,
    );
  });

  it('a timer loop hits stepsMax', async () => {
    const sim = new Simulation({ seed: 1, stepsMax: 1_000, trace: { check: 'off' } });
    sim.spawn(async () => {
      for (;;) await sim.clock.sleep(0);
    });
    await expect(sim.run()).rejects.toBeInstanceOf(StepLimitError);
  });

  it('a rejected task fails the run with its time and cause', async () => {
    const sim = new Simulation({ seed: 4, trace: { check: 'off' } });
    sim.spawn(
      async () => {
        await sim.clock.sleep(42);
        throw new Error('boom');
      },
      { name: 'exploder' },
    );
    const failure = (await sim.run().catch((e: unknown) => e)) as TaskFailedError;
    expect(failure).toBeInstanceOf(TaskFailedError);
    expect(failure.message).toBe('simulated task exploder failed at t=42 ms (seed 4): Error: boom');
    expect((failure.cause as Error).message).toBe('boom');
  });

  it('an unhandled rejection in simulated code fails the run, noticed at the firing that left it', () => {
    // In a child process: vitest itself treats any unhandled rejection as a failed test file.
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/unhandled-rejection.mts')],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(
      'TaskFailedError: unhandled promise rejection in simulated code, noticed at t=3 ms (seed 8): Error: nobody listens',
    );
  });

  it('refuses a second concurrent run', async () => {
    const sim = new Simulation({ seed: 1, trace: { check: 'off' } });
    sim.spawn(() => sim.clock.sleep(10));
    const first = sim.run();
    expect(() => sim.run()).toThrow(/already in progress/);
    await first;
  });
});

describe('Simulation barriers', () => {
  const workload = async (sim: Simulation) => {
    const random = sim.random.fork('w');
    for (let w = 0; w < 20; w++) {
      sim.spawn(async () => {
        for (let j = 0; j < 20; j++) {
          await sim.clock.sleep(1 + Math.floor(random.next() * 5));
          await Promise.all([sim.clock.sleep(1), Promise.resolve().then(() => sim.clock.sleep(2))]);
          sim.trace.emit('w', 'step', { w, j });
        }
      });
    }
    await sim.run();
    return sim.traceHash;
  };

  it('setImmediate safe mode gives the same trace as the nextTick barrier', async () => {
    const a = await workload(new Simulation({ seed: 3, trace: { check: 'off' } }));
    const b = await workload(new Simulation({ seed: 3, barrier: 'setImmediate', trace: { check: 'off' } }));
    expect(b).toBe(a);
  });

  it("the nextTick barrier gives the same trace without Node's drain (its fallback form)", async () => {
    const a = await workload(new Simulation({ seed: 3, trace: { check: 'off' } }));
    const own = Object.getOwnPropertyDescriptor(process, '_tickCallback');
    Object.defineProperty(process, '_tickCallback', { configurable: true, writable: true, value: undefined });
    try {
      const b = await workload(new Simulation({ seed: 3, trace: { check: 'off' } }));
      expect(b).toBe(a);
    } finally {
      if (own) Object.defineProperty(process, '_tickCallback', own);
    }
  });

  it('safe mode tolerates simulated code that queues process.nextTick', async () => {
    const sim = new Simulation({ seed: 1, barrier: 'setImmediate', trace: { check: 'off' } });
    const seen: number[] = [];
    sim.spawn(async () => {
      await sim.clock.sleep(5);
      await new Promise<void>((resolve) => process.nextTick(resolve));
      seen.push(sim.clock.now());
      await sim.clock.sleep(5);
      seen.push(sim.clock.now());
    });
    await sim.run();
    expect(seen).toEqual([5, 10]);
  });

  it('running in chunks gives the same trace as one run', async () => {
    const whole = new Simulation({ seed: 5, trace: { check: 'off' } });
    const chunked = new Simulation({ seed: 5, trace: { check: 'off' } });
    const build = (sim: Simulation) => {
      const random = sim.random.fork('c');
      for (let w = 0; w < 10; w++) {
        sim.spawn(async () => {
          for (let j = 0; j < 30; j++) {
            await sim.clock.sleep(Math.floor(random.next() * 50));
            sim.trace.emit('c', 'tick', { w, j });
          }
        });
      }
    };
    build(whole);
    build(chunked);
    await whole.run();
    while (chunked.pendingTasks > 0) await chunked.advanceBy(7);
    expect(chunked.traceHash).toBe(whole.traceHash);
    expect(chunked.trace.events).toBe(300);
  });
});

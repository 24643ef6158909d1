import { describe, expect, it } from 'vitest';
import { Simulation, TripwireError } from '#sim/index.ts';

const leaks: Array<[string, () => unknown]> = [
  ['Date.now()', () => Date.now()],
  ['new Date()', () => new Date()],
  ['Date()', () => (Date as unknown as () => string)()],
  ['Math.random()', () => Math.random()],
  ['performance.now()', () => performance.now()],
  ['process.hrtime()', () => process.hrtime()],
  ['process.hrtime.bigint()', () => process.hrtime.bigint()],
  ['setTimeout()', () => setTimeout(() => {}, 1)],
  ['setInterval()', () => setInterval(() => {}, 1)],
  ['setImmediate()', () => setImmediate(() => {})],
  ['process.nextTick()', () => process.nextTick(() => {})],
  ['crypto.randomUUID()', () => crypto.randomUUID()],
  ['crypto.getRandomValues()', () => crypto.getRandomValues(new Uint8Array(4))],
];

describe('tripwires', () => {
  it.each(leaks)('simulated code calling %s fails the run with a clear message', async (call, leak) => {
    const sim = new Simulation({ seed: 11 });
    sim.spawn(async () => {
      await sim.clock.sleep(20);
      leak();
    });
    const failure = await sim.run().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TripwireError);
    expect((failure as Error).message).toContain(`simulated code called ${call} at t=20 ms (seed 11)`);
  });

  it('fails the run even when simulated code swallows the error', async () => {
    const sim = new Simulation({ seed: 2 });
    let swallowed = false;
    sim.spawn(async () => {
      try {
        Math.random();
      } catch {
        swallowed = true;
      }
    });
    await expect(sim.run()).rejects.toThrow(/Math\.random\(\).*Use the injected Random/);
    expect(swallowed).toBe(true);
  });

  it('allows what is deterministic: new Date(ms), Date.UTC, Date.parse', async () => {
    const sim = new Simulation({ seed: 1 });
    const out = sim.spawn(async () => [
      new Date(86_400_000).toISOString(),
      Date.UTC(2020, 0, 1),
      Date.parse('2020-01-01T00:00:00Z'),
      new Date(0) instanceof Date,
    ]);
    await sim.run();
    expect(await out).toEqual(['1970-01-02T00:00:00.000Z', 1577836800000, 1577836800000, true]);
  });

  it('restores the real globals after a run, including a failed one', async () => {
    const realNow = Date.now;
    const realRandom = Math.random;
    const sim = new Simulation({ seed: 1 });
    sim.spawn(async () => {
      Date.now();
    });
    await sim.run().catch(() => {});
    expect(Date.now).toBe(realNow);
    expect(Math.random).toBe(realRandom);
    expect(typeof Date.now()).toBe('number');
    expect(new Date()).toBeInstanceOf(Date);
  });

  it('can be switched off for code that is not simulated', async () => {
    const sim = new Simulation({ seed: 1, tripwires: false });
    const value = sim.spawn(async () => typeof Date.now());
    await sim.run();
    expect(await value).toBe('number');
  });
});

describe('console output during a run', () => {
  it('is allowed: console.log in a task neither trips nor disturbs the run', async () => {
    const sim = new Simulation({ seed: 1 });
    const realLog = console.log;
    const done = sim.spawn(async () => {
      await sim.clock.sleep(5);
      console.log('debugging a simulated task at', sim.clock.now());
      console.error('and on stderr');
      await sim.clock.sleep(5);
      return sim.clock.now();
    });
    await sim.run();
    expect(await done).toBe(10);
    expect(console.log).toBe(realLog);
  });

  it('does not open a gap: the tripwires still fire right after a console call', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.spawn(async () => {
      console.log('before');
      Date.now();
    });
    await expect(sim.run()).rejects.toThrow(/Date\.now\(\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { expectedArrivals, phasedArrivals } from '#sim/workload/phases.ts';
import { RequestMix } from '#sim/workload/requests.ts';
import { Zipf } from '#sim/workload/zipf.ts';

async function arrivalTimes(seed: number, phases: Parameters<typeof phasedArrivals>[2]): Promise<number[]> {
  const sim = new Simulation({ seed });
  const times: number[] = [];
  sim.spawn(() =>
    phasedArrivals(sim.clock, sim.random.fork('arrivals'), phases, () => times.push(sim.clock.now())),
  );
  await sim.run();
  return times;
}

describe('phased arrivals (seed 21)', () => {
  it('a ramp from 0 to 200/s over 10 s gives about 1,000 arrivals, more in the second half', async () => {
    const times = await arrivalTimes(21, [{ durationMs: 10_000, arrivalRate: 0, rampTo: 200 }]);
    expect(expectedArrivals([{ durationMs: 10_000, arrivalRate: 0, rampTo: 200 }])).toBe(1_000);
    expect(times.length).toBeGreaterThan(900);
    expect(times.length).toBeLessThan(1_100);
    const firstHalf = times.filter((t) => t < 5_000).length;
    // Expected 250 of 1,000 in the first half (the area under the ramp).
    expect(firstHalf).toBeGreaterThan(200);
    expect(firstHalf).toBeLessThan(300);
  });

  it('phases run back to back; a zero-rate phase is a pause; the same seed gives the same times', async () => {
    const phases = [
      { durationMs: 2_000, arrivalRate: 100 },
      { durationMs: 3_000, arrivalRate: 0 },
      { durationMs: 1_000, arrivalRate: 100 },
    ];
    const a = await arrivalTimes(21, phases);
    expect(a.filter((t) => t >= 2_000 && t < 5_000)).toEqual([]);
    expect(a.some((t) => t >= 5_000)).toBe(true);
    expect(await arrivalTimes(21, phases)).toEqual(a);
  });
});

describe('request mix', () => {
  it('Zipf with s = 1 puts rank 0 at about 1/H(n) of the draws', () => {
    const sim = new Simulation({ seed: 3 });
    const z = new Zipf({ n: 100, s: 1 });
    let zeros = 0;
    const r = sim.random.fork('z');
    for (let i = 0; i < 10_000; i++) if (z.next(r) === 0) zeros++;
    // H(100) = 5.187; 1/H = 0.1928.
    expect(zeros / 10_000).toBeGreaterThan(0.18);
    expect(zeros / 10_000).toBeLessThan(0.206);
  });

  it('draws users and prompts from their own forks, the same for the same seed', () => {
    const a = new RequestMix(
      { users: 10, prompts: 50 },
      { random: new Simulation({ seed: 5 }).random.fork('w') },
    );
    const b = new RequestMix(
      { users: 10, prompts: 50 },
      { random: new Simulation({ seed: 5 }).random.fork('w') },
    );
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => /^user-\d$/.test(x.userId) && /^prompt-\d+$/.test(x.prompt))).toBe(true);
  });

  it('refuses a population it cannot hold', () => {
    expect(() => new Zipf({ n: 0, s: 1 })).toThrow(/n must be an integer/);
    expect(() => new Zipf({ n: 10, s: -1 })).toThrow(/s must be/);
  });
});

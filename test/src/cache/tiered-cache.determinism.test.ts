// Same seed → same cache trace, event for event; another seed → another trace. The workload mixes
// Poisson arrivals, XFetch draws and a jittered TTL, so every source of chance is exercised.
import { describe, expect, it } from 'vitest';
import { nextExponential } from '#src/ports/random.ts';
import { makeNode, newSim, sharedBackends, type TraceEvent } from './helpers/stack.ts';

async function run(seed: string): Promise<TraceEvent[]> {
  const sim = newSim(seed);
  const main = sim.spawn(async () => {
    const shared = await sharedBackends(sim);
    const loader = async (prompt: string) => {
      await sim.clock.sleep(2_000);
      return `answer to ${prompt}`;
    };
    const { get } = makeNode<string>(sim, shared, {
      strategy: 'read-through',
      loader,
      xfetch: { beta: 1 },
      singleFlight: true,
      l2Options: { ttlMs: 30_000, ttlJitterRatio: 0.2 },
      l2Random: sim.random.fork('jitter'),
      l1: { expireAfterWriteMs: 5_000 },
    });
    const arrivals = sim.random.fork('arrivals');
    for (let i = 0; i < 400; i++) {
      await sim.clock.sleep(nextExponential(arrivals, 200));
      const prompt = `prompt ${i % 7}`;
      sim.spawn(async () => {
        await get(prompt);
      });
    }
    return shared.trace.events;
  });
  await sim.run();
  return main;
}

describe('cache trace determinism', () => {
  it('seed "det-1" twice gives identical events; seed "det-2" differs', async () => {
    const a = await run('det-1');
    const b = await run('det-1');
    const c = await run('det-2');
    expect(a.length).toBe(574); // pinned for seed 'det-1'
    expect(c.length).toBe(584); // pinned for seed 'det-2'
    expect(a.length).toBeGreaterThan(400); // sanity, any seed: at least one event per request
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set(a.map((e) => e.k))).toEqual(
      new Set([
        'l1-hit',
        'l1-miss',
        'l2-hit',
        'l2-miss',
        'l3-hit',
        'l3-miss',
        'load',
        'fill',
        'xfetch-early',
      ]),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimLlmUpstream } from '#sim/llm/upstream.ts';
import { LlmError } from '#src/ports/llm.ts';

// One provider on a fresh simulation; `calls` requests one after another, each with its outcome.
async function drive(
  seed: number,
  setup: (u: SimLlmUpstream) => void,
  calls: number,
): Promise<{ outcomes: string[]; times: number[] }> {
  const sim = new Simulation({ seed });
  const upstream = new SimLlmUpstream(
    { model: 'primary' },
    { clock: sim.clock, random: sim.random.fork('llm') },
  );
  setup(upstream);
  const outcomes: string[] = [];
  const times: number[] = [];
  sim.spawn(async () => {
    for (let id = 0; id < calls; id++) {
      const start = sim.clock.now();
      try {
        const r = await upstream.complete({ id, prompt: 'p' });
        outcomes.push(`ok:${r.outputTokens}`);
      } catch (e) {
        outcomes.push(e instanceof LlmError ? `err:${e.status}` : 'other');
      }
      times.push(sim.clock.now() - start);
    }
  });
  await sim.run();
  return { outcomes, times };
}

describe('provider faults (seed 11)', () => {
  it('fail-next fails exactly the next N calls with the given status, then serves again', async () => {
    const { outcomes } = await drive(11, (u) => u.faults.failNext({ count: 2, status: 429 }), 4);
    expect(outcomes.slice(0, 2)).toEqual(['err:429', 'err:429']);
    expect(outcomes[2]).toMatch(/^ok:/);
    expect(outcomes[3]).toMatch(/^ok:/);
  });

  it('a fault changes outcomes but not the draws: healthy calls after it match a run without it', async () => {
    const healthy = await drive(11, () => {}, 5);
    const faulted = await drive(11, (u) => u.faults.failNext({ count: 2, status: 500 }), 5);
    expect(faulted.outcomes.slice(2)).toEqual(healthy.outcomes.slice(2));
  });

  it('outage (error) refuses every call at once with 503 until healed', async () => {
    const { outcomes, times } = await drive(11, (u) => u.faults.outage({}), 3);
    expect(outcomes).toEqual(['err:503', 'err:503', 'err:503']);
    expect(times).toEqual([0, 0, 0]);
  });

  it('outage (hang) answers a 504 only after hangMs', async () => {
    const { outcomes, times } = await drive(11, (u) => u.faults.outage({ mode: 'hang', hangMs: 30_000 }), 1);
    expect(outcomes).toEqual(['err:504']);
    expect(times).toEqual([30_000]);
  });

  it('slowdown multiplies the latency of every call', async () => {
    const healthy = await drive(11, () => {}, 3);
    const slow = await drive(11, (u) => u.faults.slowdown({ factor: 3 }), 3);
    expect(slow.outcomes).toEqual(healthy.outcomes);
    for (let i = 0; i < 3; i++) {
      expect(slow.times[i]).toBeGreaterThanOrEqual(3 * (healthy.times[i] ?? 0) - 3);
      expect(slow.times[i]).toBeLessThanOrEqual(3 * (healthy.times[i] ?? 0) + 3);
    }
  });

  it('a 429 storm with probability 1 refuses every call with its Retry-After; heal ends it', async () => {
    const sim = new Simulation({ seed: 11 });
    const u = new SimLlmUpstream({ model: 'primary' }, { clock: sim.clock, random: sim.random.fork('llm') });
    u.faults.rateLimitStorm({ probability: 1, retryAfterMs: 2500 });
    const seen: unknown[] = [];
    sim.spawn(async () => {
      await u.complete({ id: 1, prompt: 'p' }).catch((e: unknown) => seen.push(e));
      u.faults.heal();
      seen.push(await u.complete({ id: 2, prompt: 'p' }));
    });
    await sim.run();
    expect(seen[0]).toBeInstanceOf(LlmError);
    expect((seen[0] as LlmError).status).toBe(429);
    expect((seen[0] as LlmError).retryAfterMs).toBe(2500);
    expect(seen[1]).toMatchObject({ model: 'primary' });
  });

  it('a storm with probability 0.5 refuses about half the calls, the same ones for the same seed', async () => {
    const a = await drive(12, (u) => u.faults.rateLimitStorm({ probability: 0.5 }), 200);
    const b = await drive(12, (u) => u.faults.rateLimitStorm({ probability: 0.5 }), 200);
    expect(a.outcomes).toEqual(b.outcomes);
    const refused = a.outcomes.filter((o) => o === 'err:429').length;
    expect(refused).toBeGreaterThan(70);
    expect(refused).toBeLessThan(130);
  });

  it('refuses bad arguments with a RangeError naming the argument', () => {
    const sim = new Simulation({ seed: 1 });
    const u = new SimLlmUpstream({ model: 'm' }, { clock: sim.clock, random: sim.random });
    expect(() => u.faults.failNext({ count: 0 })).toThrow(/args.count/);
    expect(() => u.faults.slowdown({ factor: 0.5 })).toThrow(/args.factor/);
    expect(() => u.faults.rateLimitStorm({ probability: 2 })).toThrow(/args.probability/);
    expect(() => u.faults.outage({ mode: 'sideways' })).toThrow(/args.mode/);
  });
});

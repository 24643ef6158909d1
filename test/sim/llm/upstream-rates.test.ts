import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimLlmUpstream } from '#sim/llm/upstream.ts';

// The provider's standing rates (sim/llm/upstream.ts): errorRate fails a call with a 500 at its
// first token, rateLimitRate refuses one at once with a 429 and Retry-After. Plans are drawn
// without the clock, 4,000 calls from one seed.

const CALLS = 4_000;

function plans(config: { errorRate?: number; rateLimitRate?: number; rateLimitRetryAfterMs?: number }) {
  const sim = new Simulation({ seed: 'rates' });
  const upstream = new SimLlmUpstream({ model: 'm', ...config }, { clock: sim.clock, random: sim.random });
  return Array.from({ length: CALLS }, (_, id) => upstream.plan({ id, prompt: 'p' }));
}

describe('a provider with rateLimitRate', () => {
  it('refuses that share of calls at once with a 429 carrying Retry-After', () => {
    const all = plans({ rateLimitRate: 0.3, rateLimitRetryAfterMs: 2_500 });
    const limited = all.filter((p) => p.kind === 'fail' && p.error.status === 429);
    // Binomial(4000, 0.3): mean 1200, sd 29.
    expect(limited.length).toBeGreaterThan(1_100);
    expect(limited.length).toBeLessThan(1_300);
    for (const p of limited) if (p.kind === 'fail') expect(p.error.retryAfterMs).toBe(2_500);
    expect(all.filter((p) => p.kind === 'serve')).toHaveLength(CALLS - limited.length);
  });

  it('leaves the draws of a provider without it as they were', () => {
    const without = plans({ errorRate: 0.1 });
    const zero = plans({ errorRate: 0.1, rateLimitRate: 0 });
    expect(zero).toEqual(without);
    expect(without.filter((p) => p.kind === 'serve' && p.failsAtFirstToken).length).toBeGreaterThan(300);
  });

  it('refuses a rate outside [0, 1]', () => {
    expect(() => plans({ rateLimitRate: 1.5 })).toThrow(/rateLimitRate must be in \[0, 1\]/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, ScenarioError } from '#sim/index.ts';

// `topology.merge.schedulerThreads` reaches the article's merger (Coalescer 'seed'): with its one
// thread the calls for a key never overlap; with more, callers arriving while a call runs start a
// second call for the same key (the entry was removed when the task started).
const scenario = (merge: string) => `
kind: gateway
name: merge-threads
seed: merge-threads
variant: article
topology:
  instances: 1
  layers: [merge]
  ${merge}
  redis: { masters: 1, replicasPerMaster: 0 }
  mysql: { replicas: 0 }
  providers:
    - { name: primary, model: m, ttftMedianMs: 500, decodeTokensPerSecond: 200, outputTokensMu: 4, outputTokensSigma: 0.1 }
workload:
  phases: [{ durationMs: 3s, arrivalRate: 0 }]
  bursts: [{ at: 0, count: 100, withinMs: 2s, prompt: hot }]
expect:
  always: [no-duplicate-upstream-call]
`;

async function run(merge: string) {
  const { result } = await runScenario(parseScenario(scenario(merge), 'inline'), { seed: 'merge-threads' });
  const layers = (result.report as { layers: Record<string, Record<string, number>> }).layers;
  return { calls: layers.coalesce?.call ?? 0, invariant: result.expectations[0] };
}

describe('topology.merge.schedulerThreads', () => {
  it("defaults to the article's one thread: calls for one key never overlap", async () => {
    const { calls, invariant } = await run('');
    expect(invariant?.ok).toBe(true);
    expect(calls).toBeGreaterThan(0);
    expect(await run('merge: { schedulerThreads: 1 }')).toEqual({ calls, invariant });
  });

  it('with four threads the article merger makes overlapping calls for one key', async () => {
    const { calls, invariant } = await run('merge: { schedulerThreads: 4 }');
    expect(invariant?.ok).toBe(false);
    expect(invariant?.measured).toMatch(/^[1-9]\d* duplicate of \d+ upstream calls$/);
    expect(calls).toBeGreaterThan((await run('')).calls);
  });

  it('must be a positive integer', () => {
    expect(() => parseScenario(scenario('merge: { schedulerThreads: 0 }'), 'inline')).toThrow(ScenarioError);
  });
});

// `topology.merge.windowMs` is the wait before the merged call starts (the article's 50 ms): with
// 0 the fixed variant's singleflight calls at once, so each answer comes 50 ms sooner.
describe('topology.merge.windowMs', () => {
  const latency = async (merge: string) => {
    const text = scenario(merge)
      .replace('variant: article', 'variant: fixed')
      .replace(
        'bursts: [{ at: 0, count: 100, withinMs: 2s, prompt: hot }]',
        'bursts: [{ at: 0, count: 1, prompt: hot }]',
      );
    const { result } = await runScenario(parseScenario(text, 'inline'), { seed: 'merge-window' });
    return (result.report as { latencyMs: { max: number } }).latencyMs.max;
  };

  it("defaults to the article's 50 ms; 0 starts the call at once", async () => {
    const article = await latency('');
    expect(await latency('merge: { windowMs: 50 }')).toBe(article);
    expect(await latency('merge: { windowMs: 0 }')).toBe(article - 50);
  });

  it('must be an integer number of ms >= 0', () => {
    expect(() => parseScenario(scenario('merge: { windowMs: -1 }'), 'inline')).toThrow(ScenarioError);
  });
});

// The article's `chatWithFallback` (section 5.3: every model started at once with
// `orTimeout(10 s)`, futures joined in list order) against one-at-a-time fallback, on the virtual
// clock. Every figure below was produced by running this code (seeds named in each test).

import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import {
  type AllModelsFailedError,
  ArticleFallbackPolicy,
  type ProviderPolicy,
  SequentialFallbackPolicy,
} from '#src/gateway/providers/index.ts';
import type { Outcome } from '#src/outcome.ts';
import type { Clock } from '#src/ports/clock.ts';
import type { LlmUpstream } from '#src/ports/llm.ts';
import type { TraceSink } from '#src/ports/trace.ts';
import { flatRecorder } from '../../../helpers/sim.ts';

type Build = (
  upstreams: readonly LlmUpstream[],
  ports: { clock: Clock; random: Simulation['random']; trace: TraceSink },
) => ProviderPolicy;

const article: Build = (upstreams, ports) => new ArticleFallbackPolicy({ upstreams }, ports);
const sequential: Build = (upstreams, ports) => new SequentialFallbackPolicy({ upstreams }, ports);

async function runOne(seed: number, build: Build, setup: (sim: Simulation) => readonly SimLlmUpstream[]) {
  const sim = new Simulation({ seed });
  const trace = flatRecorder(sim.clock);
  const policy = build(setup(sim), { clock: sim.clock, random: sim.random.fork('policy'), trace });
  let out: Outcome<{ model: string; attempts: number }> | undefined;
  let endedAt = -1;
  sim.spawn(async () => {
    out = await policy.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
    endedAt = sim.clock.now();
  });
  await sim.run();
  const answered = (model: string) => trace.events.find((e) => e.k === 'answered' && e.model === model);
  return { out, endedAt, events: trace.events, answered };
}

function model(sim: Simulation, name: string, ttftMedianMs = 400): SimLlmUpstream {
  return new SimLlmUpstream(
    { model: name, ttftMedianMs },
    { clock: sim.clock, random: sim.random.fork(name) },
  );
}

const hungPrimary = (sim: Simulation) => {
  const primary = model(sim, 'gpt-4o');
  primary.faults.outage({ mode: 'hang' });
  return [primary, model(sim, 'claude')];
};

describe('SequentialFallbackPolicy', () => {
  it('adds the timeouts: a hung primary answers after 10 s plus the fallback latency', async () => {
    const run = await runOne(13, sequential, hungPrimary);
    expect(run.out?.kind).toBe('admitted');
    if (run.out?.kind === 'admitted') expect(run.out.value).toMatchObject({ model: 'claude', attempts: 2 });
    const fallbackMs = Number(run.answered('claude')?.ms);
    expect(fallbackMs).toBeGreaterThan(0);
    expect(run.endedAt).toBe(10_000 + fallbackMs);
    expect(run.events.find((e) => e.k === 'attempt' && e.model === 'claude')?.t).toBe(10_000);
  });

  it('fails with every model error when all time out: the sum of the timeouts', async () => {
    const run = await runOne(13, sequential, (sim) => {
      const [a, b] = hungPrimary(sim) as [SimLlmUpstream, SimLlmUpstream];
      b.faults.outage({ mode: 'hang' });
      return [a, b];
    });
    expect(run.out?.kind).toBe('failed');
    if (run.out?.kind === 'failed') expect((run.out.error as AllModelsFailedError).errors).toHaveLength(2);
    expect(run.endedAt).toBe(20_000);
  });
});

describe('ArticleFallbackPolicy (section 5.3 as written)', () => {
  it('starts every model at once: a hung primary costs its 10 s timeout, not 10 s plus the fallback', async () => {
    const run = await runOne(13, article, hungPrimary);
    expect(run.out?.kind).toBe('admitted');
    if (run.out?.kind === 'admitted') expect(run.out.value).toMatchObject({ model: 'claude', attempts: 2 });
    // The fallback answered long before; the join in list order waits for the primary's timeout.
    expect(Number(run.answered('claude')?.ms)).toBeLessThan(10_000);
    expect(run.endedAt).toBe(10_000);
    expect(run.events.filter((e) => e.k === 'attempt').map((e) => e.t)).toEqual([0, 0]);
  });

  it('a later answer waits for the slowest earlier model (primary fails at its first token)', async () => {
    const run = await runOne(13, article, (sim) => {
      const primary = new SimLlmUpstream(
        { model: 'gpt-4o', ttftMedianMs: 4000, errorRate: 1 },
        { clock: sim.clock, random: sim.random.fork('gpt-4o') },
      );
      return [primary, model(sim, 'claude')];
    });
    const failedAt = Number(run.events.find((e) => e.k === 'attempt-failed')?.t);
    const claudeMs = Number(run.answered('claude')?.ms);
    expect(claudeMs).toBeLessThan(failedAt);
    expect(run.endedAt).toBe(failedAt);
    if (run.out?.kind === 'admitted') expect(run.out.value.model).toBe('claude');
  });

  it('calls every model even when the primary answers', async () => {
    const run = await runOne(13, article, (sim) => [model(sim, 'gpt-4o'), model(sim, 'claude')]);
    if (run.out?.kind === 'admitted') expect(run.out.value).toMatchObject({ model: 'gpt-4o', attempts: 2 });
    expect(run.out?.kind).toBe('admitted');
    expect(run.endedAt).toBe(Number(run.answered('gpt-4o')?.ms));
  });
});

// LiteLLM's router on the virtual clock. Rules reproduced (BerriAI/litellm):
// - `litellm/router_utils/cooldown_handlers.py` `_should_cooldown_deployment` (v2): a 429 cools a
//   deployment down at once when its model group has more than one deployment, for `cooldown_time`
//   (`litellm/constants.py` DEFAULT_COOLDOWN_TIME_SECONDS = 5); the deployment returns when the
//   cooldown expires, with no probe.
// - `litellm/router.py` `async_function_with_retries` / `_time_to_sleep_before_retry`: no wait when
//   another deployment of the group is healthy; otherwise openai-python's backoff
//   `min(0.5 s · 2^n, 8 s) · (1 − 0.25 U)` with n = 0, 0, 1, 2, … and one more wait after the last retry.
// Seeds are named in each test; every figure below was produced by running this code.

import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import {
  fromLiteLlmConfig,
  LiteLlmRouterPolicy,
  NoDeploymentsAvailableError,
} from '#src/gateway/providers/index.ts';
import { LlmError } from '#src/ports/llm.ts';
import { flatRecorder } from '../../../helpers/sim.ts';

function upstream(sim: Simulation, model: string, name: string): SimLlmUpstream {
  return new SimLlmUpstream(
    { model, ttftMedianMs: 400 },
    { clock: sim.clock, random: sim.random.fork(name) },
  );
}

describe('LiteLlmRouterPolicy: cooldown', () => {
  it('cools a deployment down on a 429 in a 2-deployment group and routes to the other until it ends', async () => {
    const sim = new Simulation({ seed: 7 });
    const trace = flatRecorder(sim.clock);
    const a = upstream(sim, 'gpt-4o', 'a');
    const b = upstream(sim, 'gpt-4o', 'b');
    const router = new LiteLlmRouterPolicy(
      { upstreams: [a, b], routingStrategy: 'order' },
      { clock: sim.clock, random: sim.random.fork('router'), trace },
    );
    a.faults.failNext({ count: 1, status: 429 });
    const served: { at: number; model: string; attempts: number }[] = [];
    for (const at of [0, 1000, 2000, 3000, 4000, 6000]) {
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        const out = await router.call({ id: at, prompt: 'hi' }, { requestId: at });
        if (out.kind !== 'admitted') throw new Error(`request at ${at} did not get an answer`);
        served.push({ at, model: out.value.model, attempts: out.value.attempts });
      });
    }
    await sim.run();

    // The 429 at t = 0 cools gpt-4o#0 for 5 s; the retry goes to gpt-4o#1 at once (no wait,
    // another deployment is healthy), and so does every request until t = 5000.
    expect(served.map((s) => s.model)).toEqual([
      'gpt-4o#1',
      'gpt-4o#1',
      'gpt-4o#1',
      'gpt-4o#1',
      'gpt-4o#1',
      'gpt-4o#0',
    ]);
    expect(served[0]?.attempts).toBe(2);
    const cooldowns = trace.events.filter((e) => e.k === 'cooldown' || e.k === 'cooldown-end');
    expect(cooldowns).toEqual([
      { t: 0, c: 'upstream', k: 'cooldown', model: 'gpt-4o#0', untilMs: 5000, reason: '429 in a group of 2' },
      { t: 5000, c: 'upstream', k: 'cooldown-end', model: 'gpt-4o#0' },
    ]);
    const failedAttempt = trace.events.find((e) => e.k === 'attempt-failed');
    expect(failedAttempt).toMatchObject({
      t: 0,
      id: 0,
      model: 'gpt-4o#0',
      n: 1,
      status: 429,
      next: 'cooldown',
    });
    const retried = trace.events.find((e) => e.k === 'attempt' && e.n === 2);
    expect(retried).toMatchObject({ t: 0, model: 'gpt-4o#1' });
  });

  it('does not cool down the only deployment of a group on a 429', async () => {
    const sim = new Simulation({ seed: 7 });
    const trace = flatRecorder(sim.clock);
    const only = upstream(sim, 'gpt-4o', 'only');
    const router = new LiteLlmRouterPolicy(
      { upstreams: [only] },
      { clock: sim.clock, random: sim.random.fork('router'), trace },
    );
    only.faults.failNext({ count: 1, status: 429 });
    let attempts = 0;
    sim.spawn(async () => {
      const out = await router.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
      if (out.kind === 'admitted') attempts = out.value.attempts;
    });
    await sim.run();
    expect(attempts).toBe(2);
    expect(trace.events.some((e) => e.k === 'cooldown')).toBe(false);
  });

  it('answers "No deployments available" when every deployment of the only group is cooling', async () => {
    const sim = new Simulation({ seed: 7 });
    const a = upstream(sim, 'gpt-4o', 'a');
    const b = upstream(sim, 'gpt-4o', 'b');
    const router = new LiteLlmRouterPolicy(
      { upstreams: [a, b], routingStrategy: 'order', numRetries: 1 },
      { clock: sim.clock, random: sim.random.fork('router') },
    );
    a.faults.failNext({ count: 1, status: 429 });
    b.faults.failNext({ count: 1, status: 429 });
    let error: unknown;
    sim.spawn(async () => {
      const out = await router.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
      if (out.kind === 'failed') error = out.error;
      const again = await router.call({ id: 2, prompt: 'hi' }, { requestId: 2 });
      if (again.kind === 'failed') error = again.error;
    });
    await sim.run();
    expect(error).toBeInstanceOf(NoDeploymentsAvailableError);
    expect((error as Error).message).toMatch(/^No deployments available for selected model/);
  });
});

describe('LiteLlmRouterPolicy: failure ratio per clock minute', () => {
  /** Requests at `times` (ms) to a 2-deployment group; deployment #0 fails 3 calls, later 1 more. */
  async function ratioRun(lateFailureAtMs: number) {
    const sim = new Simulation({ seed: 19 });
    const trace = flatRecorder(sim.clock);
    const a = upstream(sim, 'gpt-4o', 'a');
    const b = upstream(sim, 'gpt-4o', 'b');
    const router = new LiteLlmRouterPolicy(
      { upstreams: [a, b], routingStrategy: 'order' },
      { clock: sim.clock, random: sim.random.fork('router'), trace },
    );
    a.faults.failNext({ count: 3, status: 500 });
    sim.spawn(async () => {
      // Request 1: three 500s on #0 (order routing retries it; no wait, #1 is healthy).
      await router.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
      // Requests 2 and 3 succeed on #0: 3 failures in 5 calls this minute.
      await router.call({ id: 2, prompt: 'hi' }, { requestId: 2 });
      await router.call({ id: 3, prompt: 'hi' }, { requestId: 3 });
      await sim.clock.sleep(lateFailureAtMs - sim.clock.now());
      a.faults.failNext({ count: 1, status: 500 });
      await router.call({ id: 4, prompt: 'hi' }, { requestId: 4 });
    });
    await sim.run();
    return trace.events.filter((e) => e.k === 'cooldown');
  }

  it('cools a deployment when more than half of at least 5 calls this minute failed', async () => {
    // _should_cooldown_deployment rule (c): 4 of 6 > 0.5, 6 >= DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS.
    const cooldowns = await ratioRun(30_000);
    expect(cooldowns).toEqual([
      {
        t: 30_000,
        c: 'upstream',
        k: 'cooldown',
        model: 'gpt-4o#0',
        untilMs: 35_000,
        reason: '4 of 6 calls of this minute failed',
      },
    ]);
  });

  it('counts per clock minute: the same failure in the next minute starts from zero', async () => {
    const cooldowns = await ratioRun(60_000);
    expect(cooldowns).toEqual([]);
  });
});

describe('fromLiteLlmConfig', () => {
  it("converts LiteLLM's seconds to ms once, at the edge", () => {
    const options = fromLiteLlmConfig(
      { num_retries: 3, cooldown_time: 30, retry_after: 1, timeout: 600 },
      [],
    );
    expect(options).toMatchObject({
      numRetries: 3,
      cooldownMs: 30_000,
      retryAfterMs: 1000,
      timeoutMs: 600_000,
    });
  });

  it('bad options throw a RangeError naming the field and its unit', () => {
    const sim = new Simulation({ seed: 1 });
    const ports = { clock: sim.clock, random: sim.random };
    const one = [upstream(sim, 'gpt-4o', 'a')];
    expect(() => new LiteLlmRouterPolicy({ upstreams: one, cooldownMs: -1 }, ports)).toThrow(
      /LiteLlmRouterPolicy: cooldownMs must be a number >= 0 \(ms\)/,
    );
    expect(() => new LiteLlmRouterPolicy({ upstreams: [] }, ports)).toThrow(RangeError);
  });
});

describe('LiteLlmRouterPolicy: retries', () => {
  it('waits the openai-python backoff before each of 3 retries and once after the last (seed 11)', async () => {
    const sim = new Simulation({ seed: 11 });
    const trace = flatRecorder(sim.clock);
    const only = upstream(sim, 'gpt-4o', 'only');
    const router = new LiteLlmRouterPolicy(fromLiteLlmConfig({ num_retries: 3 }, [only]), {
      clock: sim.clock,
      random: sim.random.fork('router'),
      trace,
    });
    only.faults.failNext({ count: 4, status: 503 });
    let endedAt = -1;
    let error: unknown;
    sim.spawn(async () => {
      const out = await router.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
      endedAt = sim.clock.now();
      if (out.kind === 'failed') error = out.error;
    });
    await sim.run();

    const starts = trace.events.filter((e) => e.k === 'attempt').map((e) => e.t);
    // Exponents 0, 0, 1, 2 (router.py passes remaining_retries = num_retries, then num_retries − k);
    // each wait is base · (1 − 0.25 U) with U from the policy's random fork, rounded up to a ms by
    // the clock. The same fork name gives the same draws, so the test recomputes them.
    const twin = sim.random.fork('router');
    const waits = [500, 500, 1000, 2000].map((base) => Math.ceil(base * (1 - 0.25 * twin.next())));
    let t = 0;
    const expected = [0, ...waits.slice(0, 3).map((w) => (t += w))];
    expect(starts).toEqual(expected);
    expect(starts).toEqual([0, 488, 901, 1880]);
    expect(endedAt).toBe(expected[3]! + waits[3]!);
    expect(endedAt).toBe(3782);
    for (const [i, w] of waits.entries()) {
      const base = [500, 500, 1000, 2000][i]!;
      expect(w).toBeGreaterThanOrEqual(0.75 * base);
      expect(w).toBeLessThanOrEqual(base);
    }
    // The error reported is the group's first one (router.py raises `original_exception`).
    expect(error).toBeInstanceOf(LlmError);
    expect(trace.events.filter((e) => e.k === 'attempt-failed').map((e) => e.next)).toEqual([
      'retry',
      'retry',
      'retry',
      'exhausted',
    ]);
  });
});

describe('LiteLlmRouterPolicy: retry storm', () => {
  it('a 100% 429 storm on the primary costs 1 + num_retries + 1 fallback calls per request', async () => {
    const sim = new Simulation({ seed: 3 });
    const trace = flatRecorder(sim.clock);
    const primary = upstream(sim, 'gpt-4o', 'primary');
    const fallback = upstream(sim, 'claude', 'fallback');
    primary.faults.rateLimitStorm({ probability: 1, retryAfterMs: 1000 });
    const router = new LiteLlmRouterPolicy(
      { upstreams: [primary, fallback] },
      { clock: sim.clock, random: sim.random.fork('router'), trace },
    );
    const REQUESTS = 10;
    const results: { attempts: number; model: string; ms: number }[] = [];
    for (let id = 0; id < REQUESTS; id++) {
      sim.spawn(async () => {
        await sim.clock.sleep(id * 100);
        const start = sim.clock.now();
        const out = await router.call({ id, prompt: 'hi' }, { requestId: id });
        if (out.kind !== 'admitted') throw new Error(`request ${id} failed`);
        results.push({ attempts: out.value.attempts, model: out.value.model, ms: sim.clock.now() - start });
      });
    }
    await sim.run();

    // A one-deployment group never cools down on a 429, so every request retries the stormed
    // primary twice (num_retries = 2), waiting the storm's Retry-After (1 s, honoured as
    // 0 < v ≤ 60 s) before each retry and once after the last, then falls back: 4 calls, 3 of
    // them on the primary, for one answer.
    expect(results.map((r) => r.attempts)).toEqual(Array(REQUESTS).fill(4));
    expect(results.every((r) => r.model === 'claude')).toBe(true);
    const perModel = (m: string) => trace.events.filter((e) => e.k === 'attempt' && e.model === m).length;
    expect(perModel('gpt-4o')).toBe(3 * REQUESTS);
    expect(perModel('claude')).toBe(REQUESTS);
    expect(trace.events.filter((e) => e.k === 'cooldown')).toEqual([]);
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(3000);
  });

  it('with two stormed deployments, cooldowns cut the calls to 2 + 1 fallback', async () => {
    const sim = new Simulation({ seed: 3 });
    const a = upstream(sim, 'gpt-4o', 'a');
    const b = upstream(sim, 'gpt-4o', 'b');
    const fallback = upstream(sim, 'claude', 'fallback');
    a.faults.rateLimitStorm({ probability: 1 });
    b.faults.rateLimitStorm({ probability: 1 });
    const router = new LiteLlmRouterPolicy(
      { upstreams: [a, b, fallback] },
      { clock: sim.clock, random: sim.random.fork('router') },
    );
    let attempts = 0;
    sim.spawn(async () => {
      const out = await router.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
      if (out.kind === 'admitted') attempts = out.value.attempts;
    });
    await sim.run();
    // Each 429 cools its deployment (group of 2), so the second call goes to the other deployment
    // at once; the last retry finds no deployment out of cooldown ("No deployments available",
    // no upstream call), and the router moves to the fallback group.
    expect(attempts).toBe(3);
  });
});

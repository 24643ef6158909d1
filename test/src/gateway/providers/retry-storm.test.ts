// Retry amplification during a 100% 429 storm on the primary, per policy and stacked, on the
// virtual clock (seed 17). Each hop that retries multiplies the calls the rate-limited provider
// receives: the pattern of HKUDS/nanobot#2760 (app retries × SDK max_retries = 2 against an
// always-429 mock). Rules: openai-python `_base_client.py` (max_retries 2), BerriAI/litellm
// `litellm/router.py` (num_retries 2, then the fallback group), Portkey-AI/gateway
// `src/handlers/retryHandler.ts` (retry.attempts, then the fallback target). Every figure below was
// produced by running this code.

import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import {
  LiteLlmRouterPolicy,
  OpenAiSdkPolicy,
  PortkeyPolicy,
  type ProviderPolicy,
  type ProviderPorts,
} from '#src/gateway/providers/index.ts';
import type { LlmUpstream } from '#src/ports/llm.ts';
import { flatRecorder } from '../../../helpers/sim.ts';

/** A gateway seen as one upstream by a client in front of it: its failure is the client's error. */
function asUpstream(policy: ProviderPolicy, model: string): LlmUpstream {
  return {
    model,
    async complete(request, signal) {
      const out = await policy.call({ ...request, signal }, { requestId: request.id });
      if (out.kind === 'admitted') return out.value.response;
      throw out.kind === 'failed' ? out.error : new Error('refused');
    },
  };
}

const REQUESTS = 5;

/**
 * Runs `REQUESTS` requests through the policy `build` returns, with the primary under a 100% 429
 * storm (Retry-After 1 s), and counts the calls each provider received.
 */
async function storm(
  build: (primary: LlmUpstream, fallback: LlmUpstream, ports: ProviderPorts) => ProviderPolicy,
) {
  const sim = new Simulation({ seed: 17 });
  const trace = flatRecorder(sim.clock);
  const make = (model: string) =>
    new SimLlmUpstream({ model, ttftMedianMs: 400 }, { clock: sim.clock, random: sim.random.fork(model) });
  const primary = make('gpt-4o');
  const fallback = make('claude');
  primary.faults.rateLimitStorm({ probability: 1, retryAfterMs: 1000 });
  const counted = (u: LlmUpstream, calls: { n: number }): LlmUpstream => ({
    model: u.model,
    complete(request, signal) {
      calls.n++;
      return u.complete(request, signal);
    },
  });
  const primaryCalls = { n: 0 };
  const fallbackCalls = { n: 0 };
  const policy = build(counted(primary, primaryCalls), counted(fallback, fallbackCalls), {
    clock: sim.clock,
    random: sim.random.fork('policy'),
    trace,
  });
  let answered = 0;
  for (let id = 0; id < REQUESTS; id++) {
    sim.spawn(async () => {
      await sim.clock.sleep(id * 10_000);
      const out = await policy.call({ id, prompt: 'hi' }, { requestId: id });
      if (out.kind === 'admitted') answered++;
    });
  }
  await sim.run();
  return {
    primaryPerRequest: primaryCalls.n / REQUESTS,
    fallbackPerRequest: fallbackCalls.n / REQUESTS,
    answered,
  };
}

describe('retry storm: upstream calls per request while the primary answers only 429', () => {
  it('OpenAI SDK alone: 1 + max_retries = 3 calls, then the error', async () => {
    const r = await storm((primary, _f, ports) => new OpenAiSdkPolicy({ upstream: primary }, ports));
    expect(r).toEqual({ primaryPerRequest: 3, fallbackPerRequest: 0, answered: 0 });
  });

  it('LiteLLM router: 1 + num_retries on the primary, then 1 on the fallback group', async () => {
    const r = await storm(
      (primary, fallback, ports) => new LiteLlmRouterPolicy({ upstreams: [primary, fallback] }, ports),
    );
    expect(r).toEqual({ primaryPerRequest: 3, fallbackPerRequest: 1, answered: REQUESTS });
  });

  it('Portkey with retry.attempts 3: 4 calls on the primary, then 1 on the fallback target', async () => {
    const r = await storm(
      (primary, fallback, ports) =>
        new PortkeyPolicy({ upstreams: [primary, fallback], retryAttempts: 3 }, ports),
    );
    expect(r).toEqual({ primaryPerRequest: 4, fallbackPerRequest: 1, answered: REQUESTS });
  });

  it('the SDK in front of a LiteLLM gateway without fallback: 3 × 3 = 9 calls on the stormed primary', async () => {
    const r = await storm((primary, _f, ports) => {
      const gateway = new LiteLlmRouterPolicy({ upstreams: [primary] }, ports);
      return new OpenAiSdkPolicy({ upstream: asUpstream(gateway, 'gateway') }, ports);
    });
    // Every SDK attempt is one whole gateway request (1 + 2 retries); the SDK retries the
    // gateway's final 429 twice more.
    expect(r).toEqual({ primaryPerRequest: 9, fallbackPerRequest: 0, answered: 0 });
  });
});

// The OpenAI client's retries on the virtual clock. Rules reproduced (openai/openai-python
// `src/openai/_base_client.py` `_calculate_retry_timeout` and `_should_retry`,
// `src/openai/_constants.py`): max_retries 2; a server's Retry-After is obeyed when 0 < v ≤ 60 s,
// otherwise the wait is min(0.5 s · 2^n, 8 s) · (1 − 0.25 U); timeouts are retried.
// Every figure below was produced by running this code (seeds named in each test).

import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import { OpenAiSdkPolicy, ProviderTimeoutError } from '#src/gateway/providers/index.ts';
import type { Outcome } from '#src/outcome.ts';
import { flatRecorder } from '../../../helpers/sim.ts';

async function runOne(seed: number, fault: (m: SimLlmUpstream) => void, timeoutMs?: number) {
  const sim = new Simulation({ seed });
  const trace = flatRecorder(sim.clock);
  const m = new SimLlmUpstream(
    { model: 'gpt-4o', ttftMedianMs: 400 },
    { clock: sim.clock, random: sim.random.fork('m') },
  );
  fault(m);
  const sdk = new OpenAiSdkPolicy(
    { upstream: m, timeoutMs },
    { clock: sim.clock, random: sim.random.fork('sdk'), trace },
  );
  let out: Outcome<{ attempts: number }> | undefined;
  let endedAt = -1;
  sim.spawn(async () => {
    out = await sdk.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
    endedAt = sim.clock.now();
  });
  await sim.run();
  const starts = trace.events.filter((e) => e.k === 'attempt').map((e) => e.t);
  return { sim, out, endedAt, starts, events: trace.events };
}

describe('OpenAiSdkPolicy', () => {
  it('honours a Retry-After of 1 s before each retry', async () => {
    const run = await runOne(21, (m) => m.faults.failNext({ count: 2, status: 429 }));
    // ProviderFaults sends Retry-After 1000 ms with an injected 429.
    expect(run.starts).toEqual([0, 1000, 2000]);
    expect(run.out?.kind).toBe('admitted');
    if (run.out?.kind === 'admitted') expect(run.out.value.attempts).toBe(3);
  });

  it('ignores a Retry-After over 60 s and backs off with jitter instead (seed 21)', async () => {
    const run = await runOne(21, (m) => m.faults.rateLimitStorm({ probability: 1, retryAfterMs: 61_000 }));
    const twin = run.sim.random.fork('sdk');
    const waits = [500, 1000].map((base) => Math.ceil(base * (1 - 0.25 * twin.next())));
    expect(run.starts).toEqual([0, waits[0], waits[0]! + waits[1]!]);
    expect(run.starts).toEqual([0, 481, 1275]);
    expect(run.out?.kind).toBe('failed');
  });

  it('retries a timed-out call: 3 calls of 1 s each plus two backoffs', async () => {
    const run = await runOne(21, (m) => m.faults.outage({ mode: 'hang' }), 1000);
    expect(run.out?.kind).toBe('failed');
    if (run.out?.kind === 'failed') expect(run.out.error).toBeInstanceOf(ProviderTimeoutError);
    const failedAt = run.events.filter((e) => e.k === 'attempt-failed').map((e) => [e.t, e.status, e.next]);
    expect(failedAt.map(([, status]) => status)).toEqual([0, 0, 0]);
    expect(failedAt.map(([, , next]) => next)).toEqual(['retry', 'retry', 'exhausted']);
    expect(run.starts.length).toBe(3);
    expect(run.endedAt).toBe(run.starts[2]! + 1000);
  });

  it("stops at once when the request's signal aborts: no retry of a caller's abort", async () => {
    const sim = new Simulation({ seed: 21 });
    const trace = flatRecorder(sim.clock);
    const m = new SimLlmUpstream({ model: 'gpt-4o' }, { clock: sim.clock, random: sim.random.fork('m') });
    m.faults.outage({ mode: 'hang' });
    const sdk = new OpenAiSdkPolicy(
      { upstream: m },
      { clock: sim.clock, random: sim.random.fork('sdk'), trace },
    );
    const controller = new AbortController();
    sim.clock.schedule(3000, () => controller.abort(new Error('client went away')));
    let endedAt = -1;
    let kind = '';
    sim.spawn(async () => {
      const out = await sdk.call({ id: 1, prompt: 'hi', signal: controller.signal }, { requestId: 1 });
      endedAt = sim.clock.now();
      kind = out.kind;
    });
    await sim.run();
    expect({ endedAt, kind }).toEqual({ endedAt: 3000, kind: 'failed' });
    expect(trace.events.filter((e) => e.k === 'attempt-failed')).toEqual([
      {
        t: 3000,
        c: 'upstream',
        k: 'attempt-failed',
        id: 1,
        model: 'gpt-4o',
        n: 1,
        status: 0,
        error: 'Error: client went away',
        next: 'exhausted',
      },
    ]);
  });
});

// Portkey's gateway on the virtual clock. Rules reproduced (Portkey-AI/gateway):
// - `src/handlers/retryHandler.ts` `retryRequest`: async-retry with `randomize: false` and the
//   library defaults (minTimeout 1000 ms, factor 2), so the waits are 1, 2, 4 s; with
//   `use_retry_after_header`, a 429's Retry-After is waited instead, a value ≥ 60 s
//   (`src/globals.ts` MAX_RETRY_LIMIT_MS) or over what is left of the 60 s budget ends the retries;
//   `fetchWithTimeout` turns a call over `request_timeout` into a synthetic 408.
// - `src/handlers/handlerUtils.ts`: the `fallback` strategy moves on only for `on_status_codes`.
// Every figure below was produced by running this code (seeds named in each test).

import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import { type PortkeyOptions, PortkeyPolicy } from '#src/gateway/providers/index.ts';
import type { Outcome } from '#src/outcome.ts';
import { flatRecorder } from '../../../helpers/sim.ts';

/** Runs one request through a Portkey policy over `upstreams` built by `setup`. */
async function runOne(
  seed: number,
  setup: (sim: Simulation) => readonly SimLlmUpstream[],
  options: Omit<PortkeyOptions, 'upstreams'>,
) {
  const sim = new Simulation({ seed });
  const trace = flatRecorder(sim.clock);
  const upstreams = setup(sim);
  const policy = new PortkeyPolicy(
    { ...options, upstreams },
    { clock: sim.clock, random: sim.random.fork('portkey'), trace },
  );
  let out: Outcome<{ model: string; attempts: number }> | undefined;
  let endedAt = -1;
  sim.spawn(async () => {
    out = await policy.call({ id: 1, prompt: 'hi' }, { requestId: 1 });
    endedAt = sim.clock.now();
  });
  await sim.run();
  const starts = trace.events.filter((e) => e.k === 'attempt').map((e) => e.t);
  return { out, endedAt, starts, events: trace.events };
}

function model(sim: Simulation, name: string): SimLlmUpstream {
  return new SimLlmUpstream(
    { model: name, ttftMedianMs: 400 },
    { clock: sim.clock, random: sim.random.fork(name) },
  );
}

describe('PortkeyPolicy: retries', () => {
  it('waits 1, 2, 4 s between retries (async-retry defaults, randomize: false)', async () => {
    const run = await runOne(
      5,
      (sim) => {
        const m = model(sim, 'gpt-4o');
        m.faults.failNext({ count: 4, status: 503 });
        return [m];
      },
      { retryAttempts: 3 },
    );
    expect(run.starts).toEqual([0, 1000, 3000, 7000]);
    expect(run.out?.kind).toBe('failed');
    expect(run.events.filter((e) => e.k === 'attempt-failed').map((e) => e.next)).toEqual([
      'retry',
      'retry',
      'retry',
      'exhausted',
    ]);
  });

  it('does not retry a status outside retry.on_status_codes', async () => {
    const run = await runOne(
      5,
      (sim) => {
        const m = model(sim, 'gpt-4o');
        m.faults.failNext({ count: 1, status: 400 });
        return [m];
      },
      { retryAttempts: 3 },
    );
    expect(run.starts).toEqual([0]);
  });

  it('waits a 429 Retry-After instead, and stops once the 60 s budget would be exceeded', async () => {
    const run = await runOne(
      5,
      (sim) => {
        const m = model(sim, 'gpt-4o');
        m.faults.rateLimitStorm({ probability: 1, retryAfterMs: 25_000 });
        return [m];
      },
      { retryAttempts: 5, useRetryAfterHeader: true },
    );
    // 25 s + 25 s leave 10 s of the 60 s budget; a third 25 s wait is over it, so the retries end.
    expect(run.starts).toEqual([0, 25_000, 50_000]);
    expect(run.endedAt).toBe(50_000);
  });

  it('a single Retry-After of 60 s or more skips retrying altogether', async () => {
    const run = await runOne(
      5,
      (sim) => {
        const m = model(sim, 'gpt-4o');
        m.faults.rateLimitStorm({ probability: 1, retryAfterMs: 60_000 });
        return [m];
      },
      { retryAttempts: 5, useRetryAfterHeader: true },
    );
    expect(run.starts).toEqual([0]);
    expect(run.endedAt).toBe(0);
  });
});

describe('PortkeyPolicy: request_timeout and fallback', () => {
  it('a hung target becomes a synthetic 408 at request_timeout; 408 in on_status_codes falls back', async () => {
    const run = await runOne(
      9,
      (sim) => {
        const primary = model(sim, 'gpt-4o');
        primary.faults.outage({ mode: 'hang' });
        return [primary, model(sim, 'claude')];
      },
      { requestTimeoutMs: 2000, onStatusCodes: [408, 429, 500, 503] },
    );
    expect(run.out?.kind).toBe('admitted');
    if (run.out?.kind === 'admitted') expect(run.out.value).toMatchObject({ model: 'claude', attempts: 2 });
    expect(run.starts).toEqual([0, 2000]);
    const timedOut = run.events.find((e) => e.k === 'attempt-failed');
    expect(timedOut).toMatchObject({ t: 2000, model: 'gpt-4o', status: 0, next: 'fallback' });
    const answered = run.events.find((e) => e.k === 'answered');
    expect(run.endedAt).toBe(2000 + Number(answered?.ms));
  });

  it('a status outside on_status_codes ends the chain', async () => {
    const run = await runOne(
      9,
      (sim) => {
        const primary = model(sim, 'gpt-4o');
        primary.faults.outage({ mode: 'hang' });
        return [primary, model(sim, 'claude')];
      },
      { requestTimeoutMs: 2000, onStatusCodes: [429] },
    );
    expect(run.out?.kind).toBe('failed');
    expect(run.starts).toEqual([0]);
    expect(run.endedAt).toBe(2000);
  });
});

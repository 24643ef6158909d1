import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import {
  AllModelsFailedError,
  type ChatWithFallbackOptions,
  chatWithFallback,
  type FallbackResult,
  ModelFallback,
  type RejectedExecutionHandlerName,
  ThreadPoolExecutor,
  type TimeoutError,
  withTimeout,
} from '#src/executor/index.ts';
import { abortReason } from '#src/ports/clock.ts';
import { LlmError, type LlmRequest, type LlmResponse, type LlmUpstream } from '#src/ports/llm.ts';

/** A model with a fixed latency that answers, fails with a 503, or never answers within the test. */
class FixedUpstream implements LlmUpstream {
  /** What happened to each call: 'ok@t', 'failed@t', 'aborted@t'. */
  readonly log: string[] = [];
  /** The abort reasons this model's calls saw. */
  readonly reasons: unknown[] = [];
  constructor(
    readonly model: string,
    readonly latencyMs: number,
    readonly outcome: 'ok' | 'error',
    readonly sim: Simulation,
  ) {}
  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    try {
      await this.sim.clock.sleep(this.latencyMs, signal);
    } catch (error) {
      this.log.push(`aborted@${this.sim.clock.now()}`);
      this.reasons.push(error);
      throw error;
    }
    if (this.outcome === 'error') {
      this.log.push(`failed@${this.sim.clock.now()}`);
      throw new LlmError(503, `${this.model}: unavailable`);
    }
    this.log.push(`ok@${this.sim.clock.now()}`);
    return { model: this.model, text: `answer ${request.id}`, inputTokens: 1, outputTokens: 1 };
  }
}

type Spec = ReadonlyArray<readonly [model: string, latencyMs: number, outcome: 'ok' | 'error']>;

/** One request through chatWithFallback on a fresh simulation; returns who answered, when, and each call's fate. */
async function run(
  spec: Spec,
  options: ChatWithFallbackOptions,
  extra?: (sim: Simulation) => Partial<ChatWithFallbackOptions>,
) {
  const sim = new Simulation({ seed: 'fallback' });
  const ups = spec.map(([m, l, o]) => new FixedUpstream(m, l, o, sim));
  const p = sim.spawn(async () => {
    const r: FallbackResult = await chatWithFallback(
      { id: 1, prompt: 'p' },
      ups,
      { ...options, ...extra?.(sim) },
      { clock: sim.clock },
    );
    return { answer: r.fallback ? 'fallback' : r.model, atMs: sim.clock.now() };
  });
  const end = await sim.run();
  return { ...(await p), calls: ups.map((u) => `${u.model}:${u.log.join(',')}`), simEndMs: end.nowMs };
}

// A is slow (30 s, beyond every timeout), B answers at 1 s, C at 2 s. Timeouts 10 s as in the article.
const slowFirst: Spec = [
  ['A', 30_000, 'ok'],
  ['B', 1_000, 'ok'],
  ['C', 2_000, 'ok'],
];

describe('chatWithFallback on the same upstream latencies (A 30 s, B 1 s, C 2 s; timeouts 10 s)', () => {
  it("seed (the article's code): B answered at 1 s but waits for A's 10 s timeout; A runs on to 30 s", async () => {
    expect(await run(slowFirst, { mode: 'seed' })).toEqual({
      answer: 'B',
      atMs: 10_000,
      calls: ['A:ok@30000', 'B:ok@1000', 'C:ok@2000'],
      simEndMs: 30_000,
    });
  });
  it('firstSuccess: B wins at 1 s; A and C are aborted then', async () => {
    expect(await run(slowFirst, { mode: 'firstSuccess' })).toEqual({
      answer: 'B',
      atMs: 1_000,
      calls: ['A:aborted@1000', 'B:ok@1000', 'C:aborted@1000'],
      simEndMs: 1_000,
    });
  });
  it('sequential: A is aborted at its 10 s timeout, then B answers at 11 s; C never called', async () => {
    expect(await run(slowFirst, { mode: 'sequential' })).toEqual({
      answer: 'B',
      atMs: 11_000,
      calls: ['A:aborted@10000', 'B:ok@11000', 'C:'],
      simEndMs: 11_000,
    });
  });
});

describe('firstSuccess tells the cancelled calls why', () => {
  it('losers see an AbortError when another model answered, a TimeoutError at the deadline', async () => {
    const sim = new Simulation({ seed: 'fallback-reasons' });
    const slow = new FixedUpstream('slow', 5_000, 'ok', sim);
    const fast = new FixedUpstream('fast', 100, 'ok', sim);
    const hung = new FixedUpstream('hung', 60_000, 'ok', sim);
    sim.spawn(() => chatWithFallback({ id: 1, prompt: 'p' }, [slow, fast], {}, { clock: sim.clock }));
    sim.spawn(() =>
      chatWithFallback({ id: 2, prompt: 'p' }, [hung], { deadlineMs: 2_000 }, { clock: sim.clock }),
    );
    await sim.run();
    expect(slow.reasons.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      ['AbortError', 'chatWithFallback: another model answered first'],
    ]);
    expect(hung.reasons.map((e) => [(e as Error).name, (e as TimeoutError).timeoutMs])).toEqual([
      ['TimeoutError', 2_000],
    ]);
  });
});

describe('a failing first model (A 503 at 0.5 s, B ok at 3 s)', () => {
  const spec: Spec = [
    ['A', 500, 'error'],
    ['B', 3_000, 'ok'],
  ];
  it.each([
    ['seed', 3_000],
    ['firstSuccess', 3_000], // a failure does not win (unlike CompletableFuture.anyOf)
    ['sequential', 3_500], // B starts only after A failed
  ] as const)('%s answers B at %i ms', async (mode, atMs) => {
    const r = await run(spec, { mode });
    expect([r.answer, r.atMs]).toEqual(['B', atMs]);
  });
});

describe('nobody answers in time (A, B, C all 60 s)', () => {
  const hang: Spec = [
    ['A', 60_000, 'ok'],
    ['B', 60_000, 'ok'],
    ['C', 60_000, 'ok'],
  ];
  it('seed as written: every future has its own 10 s orTimeout from the start, so the fallback comes at 10 s; the calls run on to 60 s', async () => {
    const r = await run(hang, { mode: 'seed' });
    expect([r.answer, r.atMs, r.simEndMs]).toEqual(['fallback', 10_000, 60_000]);
  });
  it('seed with only the lazy per-join timeout (timeoutMs Infinity): the timeouts add up, 3 × 10 s', async () => {
    const r = await run(hang, { mode: 'seed', timeoutMs: Number.POSITIVE_INFINITY, joinTimeoutMs: 10_000 });
    expect([r.answer, r.atMs]).toEqual(['fallback', 30_000]);
  });
  it('firstSuccess: fallback at the 10 s global deadline, all three aborted', async () => {
    const r = await run(hang, { mode: 'firstSuccess' });
    expect(r).toEqual({
      answer: 'fallback',
      atMs: 10_000,
      calls: ['A:aborted@10000', 'B:aborted@10000', 'C:aborted@10000'],
      simEndMs: 10_000,
    });
  });
  it('sequential: the sum of the per-model timeouts (30 s), or the overall deadline when given', async () => {
    expect((await run(hang, { mode: 'sequential' })).atMs).toBe(30_000);
    const capped = await run(hang, { mode: 'sequential', deadlineMs: 15_000 });
    expect([capped.answer, capped.atMs, capped.calls]).toEqual([
      'fallback',
      15_000,
      ['A:aborted@10000', 'B:aborted@15000', 'C:'],
    ]);
  });
});

describe('seed on a one-thread pool (ForkJoinPool.commonPool on 2 cores has parallelism 1)', () => {
  it('the blocking calls run one after another, so a fast model queued behind a slow one times out too', async () => {
    const r = await run(
      [
        ['A', 30_000, 'ok'],
        ['B', 1_000, 'ok'],
      ],
      { mode: 'seed' },
      (sim) => ({
        executor: new ThreadPoolExecutor({ corePoolSize: 1, maxPoolSize: 1 }, { clock: sim.clock }),
      }),
    );
    // B's future times out at 10 s while B waits for the thread. When the thread takes B at 30 s,
    // CompletableFuture.AsyncSupply.run sees the future already completed and skips the call, so
    // B is never called (OpenJDK 17, test/fixtures/jvm/SeedFallback.java, `DiscardPolicy 5` row).
    expect(r).toEqual({
      answer: 'fallback',
      atMs: 10_000,
      calls: ['A:ok@30000', 'B:'],
      simEndMs: 30_000,
    });
  });
});

// Rows printed by the article's chatWithFallback with `supplyAsync(…, pool)` on OpenJDK 17.0.15:
// test/fixtures/jvm/SeedFallback.java (output in SeedFallback.out.txt); one pool thread, models
// A 3000 ms, B 200 ms, C 200 ms, orTimeout 1000 ms; times in ms (Java's rounded to 100 ms).
describe('seed on a saturated pool: what supplyAsync(…, executor) does with each rejection policy', () => {
  const rows: ReadonlyArray<{
    policy: RejectedExecutionHandlerName;
    queueCapacity: number;
    outcome: string;
    calls: string[];
  }> = [
    // B meets the busy thread: AbortPolicy throws out of supplyAsync, so out of chatWithFallback;
    // C is never submitted, A runs on.
    { policy: 'AbortPolicy', queueCapacity: 0, outcome: 'RejectedExecutionException@0', calls: ['A 0-3000'] },
    // B is queued, C is refused: the same throw. B's future times out at 1000 and the thread skips
    // it at 3000.
    { policy: 'AbortPolicy', queueCapacity: 1, outcome: 'RejectedExecutionException@0', calls: ['A 0-3000'] },
    // B and C run on the caller, one after the other; B's future is done, but the join waits for
    // A's orTimeout at 1000 first.
    {
      policy: 'CallerRunsPolicy',
      queueCapacity: 0,
      outcome: 'B@1000',
      calls: ['A 0-3000', 'B 0-200', 'C 200-400'],
    },
    // B and C are dropped: their futures never complete until orTimeout, so all three fall back.
    { policy: 'DiscardPolicy', queueCapacity: 0, outcome: 'fallback@1000', calls: ['A 0-3000'] },
    // B and C wait in the queue, time out at 1000, and are skipped when the thread takes them.
    { policy: 'DiscardPolicy', queueCapacity: 5, outcome: 'fallback@1000', calls: ['A 0-3000'] },
  ];
  it.each(
    rows.map((r) => ({
      ...r,
      queue: r.queueCapacity === 0 ? 'SynchronousQueue' : `queue ${r.queueCapacity}`,
    })),
  )('$policy, $queue: $outcome', async (row) => {
    const sim = new Simulation({ seed: `fallback-saturated-${row.policy}-${row.queueCapacity}` });
    const calls: string[] = [];
    const model = (name: string, latencyMs: number): LlmUpstream => ({
      model: name,
      async complete(request) {
        const start = sim.clock.now();
        await sim.clock.sleep(latencyMs);
        calls.push(`${name} ${start}-${sim.clock.now()}`);
        return { model: name, text: `answer ${request.id}`, inputTokens: 1, outputTokens: 1 };
      },
    });
    const executor = new ThreadPoolExecutor(
      {
        corePoolSize: 1,
        maxPoolSize: 1,
        queueCapacity: row.queueCapacity,
        rejectedExecutionHandler: row.policy,
      },
      { clock: sim.clock },
    );
    const p = sim.spawn(async () => {
      try {
        const r = await chatWithFallback(
          { id: 1, prompt: 'p' },
          [model('A', 3_000), model('B', 200), model('C', 200)],
          { mode: 'seed', timeoutMs: 1_000, executor },
          { clock: sim.clock },
        );
        return `${r.fallback ? 'fallback' : r.model}@${sim.clock.now()}`;
      } catch (error) {
        return `${(error as Error).name}@${sim.clock.now()}`;
      }
    });
    await sim.run();
    expect(await p).toBe(row.outcome);
    expect(calls.sort()).toEqual(row.calls);
  });

  it('without an executor (the article as printed: ForkJoinPool.commonPool) nothing is refused', async () => {
    const r = await run(
      [
        ['A', 3_000, 'ok'],
        ['B', 200, 'ok'],
        ['C', 200, 'ok'],
      ],
      { mode: 'seed', timeoutMs: 1_000 },
    );
    expect(r).toEqual({
      answer: 'B',
      atMs: 1_000,
      calls: ['A:ok@3000', 'B:ok@200', 'C:ok@200'],
      simEndMs: 3_000,
    });
  });
});

describe('withTimeout aborts the underlying call', () => {
  it('rejects with TimeoutError at the limit and the call sees its signal abort', async () => {
    const sim = new Simulation({ seed: 'with-timeout' });
    const up = new FixedUpstream('A', 600, 'ok', sim);
    const p = sim.spawn(async () =>
      withTimeout((s) => up.complete({ id: 1, prompt: 'p' }, s), 100, sim.clock).catch((e: unknown) => [
        (e as Error).name,
        (e as TimeoutError).timeoutMs,
        sim.clock.now(),
      ]),
    );
    const end = await sim.run();
    expect(await p).toEqual(['TimeoutError', 100, 100]);
    expect(up.log).toEqual(['aborted@100']);
    expect(end.nowMs).toBe(100); // nothing of the call is left running
  });
  it('passes the value through when the call is in time, and follows an outer signal', async () => {
    const sim = new Simulation({ seed: 'with-timeout-ok' });
    const up = new FixedUpstream('A', 50, 'ok', sim);
    const outer = new AbortController();
    const ok = sim.spawn(() => withTimeout((s) => up.complete({ id: 7, prompt: 'p' }, s), 100, sim.clock));
    const cancelled = sim.spawn(async () => {
      const r = withTimeout((s) => sim.clock.sleep(1_000, s), 5_000, sim.clock, outer.signal).catch(
        (e: unknown) => e,
      );
      await sim.clock.sleep(10);
      outer.abort(new Error('client went away'));
      return r;
    });
    await sim.run();
    expect((await ok).text).toBe('answer 7');
    expect(((await cancelled) as Error).message).toBe('client went away');
    expect(abortReason(outer.signal)).toBeInstanceOf(Error);
  });
});

describe('chatWithFallback options are validated', () => {
  const sim = new Simulation({ seed: 'fallback-options' });
  const up = new FixedUpstream('A', 1, 'ok', sim);
  it.each([
    [{ timeoutMs: 0 }, [up], /timeoutMs must be > 0/],
    [{ mode: 'seed' as const, joinTimeoutMs: -1 }, [up], /joinTimeoutMs must be > 0/],
    [{ mode: 'firstSuccess' as const, deadlineMs: 0 }, [up], /deadlineMs must be > 0/],
    [{}, [], /at least one model/],
    [{ mode: 'race' as unknown as 'seed' }, [up], /mode must be/],
  ])('%o', (options, ups, message) => {
    expect(() => chatWithFallback({ id: 1, prompt: 'p' }, ups, options, { clock: sim.clock })).toThrow(
      message,
    );
  });
});

describe('ModelFallback.attempt: the FallbackResult mapped onto one Outcome', () => {
  it('an answer is admitted with the model and its response', async () => {
    const sim = new Simulation({ seed: 'fallback-attempt-ok' });
    const fallback = new ModelFallback(
      { upstreams: [new FixedUpstream('A', 100, 'error', sim), new FixedUpstream('B', 200, 'ok', sim)] },
      { clock: sim.clock },
    );
    const p = sim.spawn(() => fallback.attempt({ id: 7, prompt: 'p' }));
    await sim.run();
    expect(await p).toEqual({
      kind: 'admitted',
      value: { model: 'B', response: { model: 'B', text: 'answer 7', inputTokens: 1, outputTokens: 1 } },
    });
  });

  it('the fallback is failed with AllModelsFailedError carrying every failure', async () => {
    const sim = new Simulation({ seed: 'fallback-attempt-failed' });
    const fallback = new ModelFallback(
      { upstreams: [new FixedUpstream('A', 100, 'error', sim)], mode: 'sequential' },
      { clock: sim.clock },
    );
    const p = sim.spawn(() => fallback.attempt({ id: 1, prompt: 'p' }));
    await sim.run();
    const out = await p;
    expect(out.kind).toBe('failed');
    const error = out.kind === 'failed' ? out.error : undefined;
    expect(error).toBeInstanceOf(AllModelsFailedError);
    expect((error as AllModelsFailedError).failures.map((f) => f.model)).toEqual(['A']);
  });

  it("seed mode: the executor's AbortPolicy refusal is refused by the pool", async () => {
    const sim = new Simulation({ seed: 'fallback-attempt-refused' });
    const executor = new ThreadPoolExecutor(
      { corePoolSize: 1, maxPoolSize: 1, queueCapacity: 0, rejectedExecutionHandler: 'AbortPolicy' },
      { clock: sim.clock },
    );
    const fallback = new ModelFallback(
      {
        upstreams: [new FixedUpstream('A', 3_000, 'ok', sim), new FixedUpstream('B', 200, 'ok', sim)],
        mode: 'seed',
        timeoutMs: 1_000,
        executor,
      },
      { clock: sim.clock },
    );
    const p = sim.spawn(() => fallback.attempt({ id: 1, prompt: 'p' }));
    await sim.run();
    expect(await p).toEqual({ kind: 'refused', reason: { by: 'pool', policy: 'AbortPolicy' } });
  });
});

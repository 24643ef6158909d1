import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { type Coalesced, Coalescer, type CoalescerOptions, promptMergeKey } from '#src/coalesce/index.ts';
import { traceEventProblem } from '#src/ports/trace-events.ts';

describe("promptMergeKey (the article's PromptMergingService.hashPrompt)", () => {
  // Expected keys printed by the article's derivation (MessageDigest SHA-256 of getBytes(UTF_8),
  // Base64.getEncoder(), substring(0, 16)) on OpenJDK 17.0.15 (test/fixtures/jvm/Hp.java, output
  // test/fixtures/jvm/Hp.out.txt, one line per row in this order).
  it.each([
    ['', '47DEQpj8HBSa+/TI'],
    ['hello', 'LPJNul+wow4m6Dsq'],
    ['What is Redis Cluster?', '3CSTp7Nl4NoD2dNX'],
    ['你好,世界', 'jqSlbP7RP9D2IaEm'],
    ['emoji \uD83D\uDE00', 'wH4qqfqioxMY3Cy7'],
    ['lone \uD800 high', 'ag1NlSYyQnpRm3Np'], // Java encodes an unpaired surrogate as '?'
    ['lone \uDC00 low', 'VyRPKTuNhNNCPJHT'],
    ['?', 'io3oI9XtPhJ0amLv'],
  ])('%j → %s', (prompt, key) => {
    expect(promptMergeKey(prompt)).toBe(key);
  });
});

/** An upstream with a fixed latency on the simulation's clock that records when it ran. */
function upstream(sim: Simulation, latencyMs: number, log: Array<[string, number]> = []) {
  let n = 0;
  return (key: string, fail = false) =>
    async () => {
      const id = ++n;
      log.push([key, sim.clock.now()]);
      await sim.clock.sleep(latencyMs);
      if (fail) throw new Error(`upstream ${key} failed`);
      return `${key}#${id}`;
    };
}

describe('Coalescer singleflight (golang/sync singleflight/singleflight.go)', () => {
  it('shares one call among everyone who arrives before it settles; shared is true for all of them', async () => {
    const sim = new Simulation({ seed: 'coalesce-sf-basic' });
    const c = new Coalescer({}, { clock: sim.clock });
    const call = upstream(sim, 100);
    const got: Array<[number, Coalesced<string>]> = [];
    for (const at of [0, 50, 99]) {
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        const r = await c.execute('k', call('k'));
        got.push([sim.clock.now(), r]);
      });
    }
    // Arrives exactly when the call settles, on a timer set after the call's (at t=1): the call
    // settles first and this caller starts a new call (Go deletes the entry as soon as fn returns).
    sim.spawn(async () => {
      await sim.clock.sleep(1);
      await sim.clock.sleep(99);
      const r = await c.execute('k', call('k'));
      got.push([sim.clock.now(), r]);
    });
    await sim.run();
    expect(got).toEqual([
      [100, { value: 'k#1', shared: true }],
      [100, { value: 'k#1', shared: true }],
      [100, { value: 'k#1', shared: true }],
      [200, { value: 'k#2', shared: false }],
    ]);
    expect([c.upstreamCalls, c.merged, c.pendingKeys]).toEqual([2, 2, 0]);
  });

  it('shares the error with every waiter (the same error object), and does not cache it', async () => {
    const sim = new Simulation({ seed: 'coalesce-sf-error' });
    const c = new Coalescer({ variant: 'singleflight' }, { clock: sim.clock });
    const call = upstream(sim, 10);
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      sim.spawn(async () => {
        await c.execute('k', call('k', true)).catch((e: unknown) => errors.push(e));
      });
    }
    const after = sim.spawn(async () => {
      await sim.clock.sleep(10);
      return c.execute('k', call('k'));
    });
    await sim.run();
    expect(errors).toHaveLength(3);
    expect(errors[1]).toBe(errors[0]);
    expect(errors[2]).toBe(errors[0]);
    expect(await after).toEqual({ value: 'k#2', shared: false });
  });

  it('forget(key): the next caller starts a new call; the old call keeps its waiters and does not remove the new entry', async () => {
    const sim = new Simulation({ seed: 'coalesce-sf-forget' });
    const c = new Coalescer({}, { clock: sim.clock });
    const call = upstream(sim, 100);
    const results: Array<Coalesced<string>> = [];
    const at = (ms: number, fn: () => void) =>
      sim.spawn(async () => {
        await sim.clock.sleep(ms);
        fn();
      });
    at(0, () => void c.execute('k', call('k')).then((r) => results.push(r)));
    at(10, () => void c.execute('k', call('k')).then((r) => results.push(r)));
    at(20, () => c.forget('k'));
    at(30, () => void c.execute('k', call('k')).then((r) => results.push(r))); // new call #2, ends at 130
    at(110, () => void c.execute('k', call('k')).then((r) => results.push(r))); // joins #2 (#1 ended at 100)
    await sim.run();
    expect(results).toEqual([
      { value: 'k#1', shared: true },
      { value: 'k#1', shared: true },
      { value: 'k#2', shared: true },
      { value: 'k#2', shared: true },
    ]);
    expect(c.upstreamCalls).toBe(2);
  });

  it('windowMs > 0 delays the start but keeps the entry until the call settles', async () => {
    const sim = new Simulation({ seed: 'coalesce-sf-window' });
    const c = new Coalescer({ windowMs: 50 }, { clock: sim.clock });
    const log: Array<[string, number]> = [];
    const call = upstream(sim, 100, log);
    for (const at of [0, 40, 120]) {
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        await c.execute('k', call('k'));
      });
    }
    await sim.run();
    expect(log).toEqual([['k', 50]]);
    expect([c.upstreamCalls, c.merged]).toEqual([1, 2]);
  });
});

describe('Coalescer trace', () => {
  it('reports each upstream call and its settlement with the number of callers', async () => {
    const sim = new Simulation({ seed: 'coalesce-trace', trace: { keepLines: 100 } });
    const c = new Coalescer({}, { clock: sim.clock, trace: sim.trace });
    const call = upstream(sim, 10);
    for (let i = 0; i < 3; i++) sim.spawn(() => c.execute('k', call('k')));
    await sim.run();
    const events = sim.trace.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      { t: 0, c: 'coalesce', k: 'call', key: 'k', callers: 1 },
      { t: 10, c: 'coalesce', k: 'settle', key: 'k', ok: true, callers: 3 },
    ]);
  });
});

describe("Coalescer seed (the article's PromptMergingService)", () => {
  it('merges within the 50 ms window, then removes the entry before the upstream call', async () => {
    const sim = new Simulation({ seed: 'coalesce-seed-basic' });
    const c = new Coalescer({ variant: 'seed' }, { clock: sim.clock });
    const log: Array<[string, number]> = [];
    const call = upstream(sim, 1_000, log);
    const got: Array<[number, number, Coalesced<string>]> = [];
    for (const at of [0, 49, 60]) {
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        const r = await c.execute('k', call('k'));
        got.push([at, sim.clock.now(), r]);
      });
    }
    await sim.run();
    // #1 runs on the single scheduler thread 50..1050; the caller at 60 found no entry, made a new
    // one whose task (due 110) waits for the thread and runs 1050..2050.
    expect(log).toEqual([
      ['k', 50],
      ['k', 1050],
    ]);
    expect(got).toEqual([
      [0, 1050, { value: 'k#1', shared: true }],
      [49, 1050, { value: 'k#1', shared: true }],
      [60, 2050, { value: 'k#2', shared: false }],
    ]);
  });

  it('head-of-line blocking: a different prompt waits for the one scheduler thread', async () => {
    const finish = async (options: CoalescerOptions) => {
      const sim = new Simulation({ seed: 'coalesce-hol' });
      const c = new Coalescer(options, { clock: sim.clock });
      const call = upstream(sim, 2_000);
      const a = sim.spawn(async () => {
        await c.execute('A', call('A'));
        return sim.clock.now();
      });
      const b = sim.spawn(async () => {
        await sim.clock.sleep(1);
        await c.execute('B', call('B'));
        return sim.clock.now();
      });
      await sim.run();
      return [await a, await b];
    };
    expect(await finish({ variant: 'seed' })).toEqual([2050, 4050]); // B (arrived at 1) waits 4,049 ms
    expect(await finish({ variant: 'seed', schedulerThreads: 2 })).toEqual([2050, 2051]);
    expect(await finish({ variant: 'singleflight' })).toEqual([2000, 2001]);
    expect(await finish({ variant: 'singleflight', windowMs: 50 })).toEqual([2050, 2051]);
  });

  it('releases a scheduler thread when the upstream call fails, and rejects every merged caller', async () => {
    const sim = new Simulation({ seed: 'coalesce-seed-error' });
    const c = new Coalescer({ variant: 'seed' }, { clock: sim.clock });
    const call = upstream(sim, 100);
    const outcome: string[] = [];
    for (const key of ['x', 'x', 'y']) {
      sim.spawn(async () => {
        await c.execute(key, call(key, key === 'x')).then(
          (r) => outcome.push(`${key} ok ${r.value} @${sim.clock.now()}`),
          (e: Error) => outcome.push(`${key} ${e.message} @${sim.clock.now()}`),
        );
      });
    }
    await sim.run();
    expect(outcome).toEqual(['x upstream x failed @150', 'x upstream x failed @150', 'y ok y#2 @250']);
  });
});

/**
 * One identical prompt every 10 ms for 10 s, upstream latency 2 s (a stream chosen for this test,
 * cache-exec.md §4.5). Returns upstream calls and the worst caller latency.
 */
async function identicalStream(options: CoalescerOptions) {
  const sim = new Simulation({ seed: 'coalesce-identical-stream' });
  const c = new Coalescer(options, { clock: sim.clock });
  const call = upstream(sim, 2_000);
  let worstMs = 0;
  sim.spawn(async () => {
    for (let t = 0; t < 10_000; t += 10) {
      const start = sim.clock.now();
      void c.execute('p', call('p')).then(() => {
        worstMs = Math.max(worstMs, sim.clock.now() - start);
      });
      await sim.clock.sleep(10);
    }
  });
  await sim.run();
  return { calls: c.upstreamCalls, merged: c.merged, worstMs };
}

describe('the seed flaws on one identical-prompt stream (10 ms apart, 2 s upstream, 10 s)', () => {
  it('seed with many scheduler threads: the entry lives 50 ms, so 200 calls of 5 callers each', async () => {
    expect(await identicalStream({ variant: 'seed', schedulerThreads: 1_000 })).toEqual({
      calls: 200,
      merged: 800,
      worstMs: 2_050,
    });
  });
  it('seed as written (1 thread): calls serialise at 50, 2050, … 10050; a caller waits up to 4 s', async () => {
    // Entry made at 50 waits for the thread until 2050 and collects every caller until then.
    expect(await identicalStream({ variant: 'seed' })).toEqual({ calls: 6, merged: 994, worstMs: 4_000 });
  });
  it('singleflight: one call per 2 s (0, 2000, … 8000), nobody waits more than 2 s', async () => {
    expect(await identicalStream({ variant: 'singleflight' })).toEqual({
      calls: 5,
      merged: 995,
      worstMs: 2_000,
    });
  });
});

describe('property: singleflight has at most one upstream call in flight per key (fast-check seed 3003)', () => {
  it('and starts exactly the calls a plain interval model predicts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: 40 }),
            key: fc.constantFrom('a', 'b', 'c'),
            latencyMs: fc.integer({ min: 1, max: 100 }),
            fails: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        async (arrivals) => {
          const sim = new Simulation({ seed: 'coalesce-property' });
          const c = new Coalescer({}, { clock: sim.clock });
          // Upstream calls of each key running right now, and each key's most at once. Decrement
          // the current count (not one captured at the call's start: once two calls overlapped,
          // that would be stale and the count would be wrong from then on).
          const inFlight = new Map<string, number>();
          const maxInFlight = new Map<string, number>();
          let settled = 0;
          sim.spawn(async () => {
            for (const a of arrivals) {
              await sim.clock.sleep(a.gapMs);
              void c
                .execute(a.key, async () => {
                  const n = (inFlight.get(a.key) ?? 0) + 1;
                  inFlight.set(a.key, n);
                  maxInFlight.set(a.key, Math.max(maxInFlight.get(a.key) ?? 0, n));
                  await sim.clock.sleep(a.latencyMs);
                  inFlight.set(a.key, inFlight.get(a.key)! - 1);
                  if (a.fails) throw new Error('x');
                  return 1;
                })
                .then(
                  () => settled++,
                  () => settled++,
                );
            }
          });
          await sim.run();
          // Model: a caller joins iff it arrives strictly before the key's current call ends.
          const endOf = new Map<string, number>();
          let t = 0;
          let calls = 0;
          for (const a of arrivals) {
            t += a.gapMs;
            if (t < (endOf.get(a.key) ?? -1)) continue;
            endOf.set(a.key, t + a.latencyMs);
            calls++;
          }
          const overlapping = [...maxInFlight].filter(([, n]) => n > 1);
          expect(overlapping).toEqual([]);
          expect([...inFlight].filter(([, n]) => n !== 0)).toEqual([]);
          expect(settled).toBe(arrivals.length);
          expect(c.upstreamCalls).toBe(calls);
          expect(c.upstreamCalls + c.merged).toBe(arrivals.length);
          expect(c.pendingKeys).toBe(0);
        },
      ),
      { seed: 3003, numRuns: 200 },
    );
  });
});

describe('property: seed never runs more upstream calls at once than it has scheduler threads (fast-check seed 3004)', () => {
  it('and every caller settles', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: 60 }),
            key: fc.constantFrom('a', 'b', 'c'),
            latencyMs: fc.integer({ min: 1, max: 200 }),
            fails: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        async (threads, arrivals) => {
          const sim = new Simulation({ seed: 'coalesce-seed-property' });
          const c = new Coalescer({ variant: 'seed', schedulerThreads: threads }, { clock: sim.clock });
          let inFlight = 0;
          let maxInFlight = 0;
          let settled = 0;
          sim.spawn(async () => {
            for (const a of arrivals) {
              await sim.clock.sleep(a.gapMs);
              void c
                .execute(a.key, async () => {
                  maxInFlight = Math.max(maxInFlight, ++inFlight);
                  await sim.clock.sleep(a.latencyMs);
                  inFlight--;
                  if (a.fails) throw new Error('x');
                  return 1;
                })
                .then(
                  () => settled++,
                  () => settled++,
                );
            }
          });
          await sim.run();
          expect(maxInFlight).toBeLessThanOrEqual(threads);
          expect(settled).toBe(arrivals.length);
          expect(c.upstreamCalls + c.merged).toBe(arrivals.length);
          expect([c.pendingKeys, c.schedulerQueueSize]).toEqual([0, 0]);
        },
      ),
      { seed: 3004, numRuns: 150 },
    );
  });
});

describe('Coalescer options are validated', () => {
  const sim = new Simulation({ seed: 'coalesce-options' });
  it.each([
    [{ windowMs: -1 }, /windowMs must be an integer >= 0/],
    [{ windowMs: 1.5 }, /windowMs must be an integer >= 0/],
    [{ variant: 'seed' as const, schedulerThreads: 0 }, /schedulerThreads must be a positive integer/],
    [{ variant: 'merge' as unknown as 'seed' }, /variant must be 'seed' or 'singleflight'/],
  ])('%o', (options, message) => {
    expect(() => new Coalescer(options, { clock: sim.clock })).toThrow(message);
  });
});

describe('Coalescer on the real clock', () => {
  it('singleflight shares a call with SystemClock (windowMs 0: no timer involved)', async () => {
    const c = new Coalescer({}, { clock: new SystemClock() });
    let release!: (v: string) => void;
    const upstreamCall = () =>
      new Promise<string>((r) => {
        release = r;
      });
    const a = c.execute('k', upstreamCall);
    const b = c.execute('k', upstreamCall);
    release('v');
    expect(await Promise.all([a, b])).toEqual([
      { value: 'v', shared: true },
      { value: 'v', shared: true },
    ]);
    expect([c.upstreamCalls, c.merged]).toEqual([1, 1]);
  });
});

describe('Coalescer counters', () => {
  it('upstreamCalls and merged are read-only: only the coalescer counts', async () => {
    const sim = new Simulation({ seed: 'coalesce-counters' });
    const c = new Coalescer({}, { clock: sim.clock });
    const both = sim.spawn(() => Promise.all([c.execute('k', async () => 1), c.execute('k', async () => 2)]));
    await sim.run();
    expect(await both).toEqual([
      { value: 1, shared: true },
      { value: 1, shared: true },
    ]);
    expect([c.upstreamCalls, c.merged]).toEqual([1, 1]);
    expect(() => {
      (c as unknown as { upstreamCalls: number }).upstreamCalls = 0;
    }).toThrow(TypeError);
    expect(() => {
      (c as unknown as { merged: number }).merged = 0;
    }).toThrow(TypeError);
  });
});

describe('coalesce trace events fit the vocabulary (src/ports/trace-events.ts)', () => {
  it('call and settle, ok and failed', async () => {
    const events: [string, string, Readonly<Record<string, unknown>> | undefined][] = [];
    const sim = new Simulation({ seed: 'coalesce-vocabulary' });
    const c = new Coalescer({}, { clock: sim.clock, trace: { emit: (co, k, f) => events.push([co, k, f]) } });
    const done = sim.spawn(() =>
      Promise.allSettled([
        c.execute('a', async () => 1),
        c.execute('b', () => Promise.reject(new Error('x'))),
      ]),
    );
    await sim.run();
    await done;
    expect(events.map(([, k, f]) => `${k}:${String(f?.key)}:${String(f?.ok)}`)).toEqual([
      'call:a:undefined',
      'call:b:undefined',
      'settle:a:true',
      'settle:b:false',
    ]);
    expect(events.map(([co, k, f]) => traceEventProblem(co, k, f))).toEqual(events.map(() => undefined));
  });
});

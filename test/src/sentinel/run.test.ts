// Sentinel.run follows @SentinelResource (sentinel-extension/sentinel-annotation-aspectj/.../
// SentinelResourceAspect.java and AbstractSentinelAspectSupport.java): refusals go to blockHandler,
// else fallback; business errors are traced (exceptionsToTrace defaults to Throwable) and go to
// fallback; exceptionsToIgnore is checked first; the entry exits in `finally`, after the fallback.

import { describe, expect, it } from 'vitest';
import type { TraceFields } from '#src/ports/trace.ts';
import { type BlockException, DegradeException, Sentinel } from '#src/sentinel/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../helpers/sentinel-rules.ts';

const R = 'chatCompletion';
const openOnFirstError = { resource: R, grade: 2, count: 0, minRequestAmount: 1, timeWindow: 10 } as const;

function setup() {
  const clock = new ManualClock();
  const events: [string, string, TraceFields | undefined][] = [];
  const s = new Sentinel({}, { clock, trace: { emit: (c, k, f) => events.push([c, k, f]) } });
  return { clock, s, events };
}

class IgnoredError extends Error {}

describe('Sentinel.run (the @SentinelResource aspect)', () => {
  it('a refused call runs the fallback with the DegradeException and never runs fn', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    await s.run(
      R,
      () => Promise.reject(new Error('upstream 500')),
      () => 'fallback',
    );
    let ran = false;
    const got = await s.run(
      R,
      () => {
        ran = true;
        return 'ok';
      },
      (e) => (e instanceof DegradeException ? 'degraded' : 'other'),
    );
    expect(got).toBe('degraded');
    expect(ran).toBe(false);
  });

  it('blockHandler takes refusals before fallback; business errors still go to fallback', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const h = {
      blockHandler: (e: BlockException) => `block:${e.name}`,
      fallback: (e: unknown) => `fallback:${(e as Error).message}`,
    };
    expect(await s.run(R, () => Promise.reject(new Error('boom')), h)).toBe('fallback:boom');
    expect(await s.run(R, () => 'ok', h)).toBe('block:DegradeException');
  });

  it('a business error is traced on the entry: the exception breaker counts it, and it is rethrown without fallback', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    await expect(s.run(R, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(s.circuitBreakers(R)[0]!.state).toBe('OPEN');
  });

  it('exceptionsToIgnore: rethrown untraced, the breaker stays closed', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const h = { exceptionsToIgnore: (e: unknown) => e instanceof IgnoredError, fallback: () => 'fb' };
    await expect(s.run(R, () => Promise.reject(new IgnoredError('x')), h)).rejects.toBeInstanceOf(
      IgnoredError,
    );
    expect(s.circuitBreakers(R)[0]!.state).toBe('CLOSED');
  });

  it("the article's hand-written aspect (catches BlockException only, never traces) cannot trip an exception rule", async () => {
    // ha-architecture-article §1.4 SentinelAspect: try { SphU.entry; proceed } catch (BlockException) finally exit.
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const articleAspect = { exceptionsToTrace: () => false, blockHandler: () => 'service_degraded' };
    for (let i = 0; i < 20; i++) {
      await expect(s.run(R, () => Promise.reject(new Error('500')), articleAspect)).rejects.toThrow('500');
    }
    expect(s.circuitBreakers(R)[0]!.state).toBe('CLOSED');
  });

  it('a BlockException thrown by fn (a nested resource refused) goes to blockHandler and is not traced', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError, { ...openOnFirstError, resource: 'inner' }]));
    await s.run(
      'inner',
      () => Promise.reject(new Error('x')),
      () => 'fb',
    );
    const got = await s.run(R, () => s.run('inner', () => 'never'), {
      blockHandler: (e) => `outer saw ${e.rule.resource}`,
    });
    expect(got).toBe('outer saw inner');
    expect(s.circuitBreakers(R)[0]!.state).toBe('CLOSED');
  });

  it("the entry exits after the fallback returns, so the fallback's time is in the response time", async () => {
    const { s, clock } = setup();
    s.loadDegradeRules(
      sentinelDegradeRules([
        { resource: R, grade: 0, count: 100, minRequestAmount: 1, slowRatioThreshold: 0, timeWindow: 1 },
      ]),
    );
    const out = await s.run(
      R,
      () => Promise.reject(new Error('fast failure')),
      () => {
        clock.advance(150);
        return 'slow fallback';
      },
    );
    expect(out).toBe('slow fallback');
    expect(s.circuitBreakers(R)[0]!.state).toBe('OPEN');
  });

  it("emits 'sentinel' trace events for state changes and refusals", async () => {
    const { s, clock, events } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    await s.run(
      R,
      () => Promise.reject(new Error('x')),
      () => 'fb',
    );
    await s.run(
      R,
      () => 'ok',
      () => 'fb',
    );
    clock.advance(10_000);
    await s.run(R, () => 'ok');
    expect(events).toEqual([
      ['sentinel', 'state', { resource: R, grade: 2, prev: 'CLOSED', next: 'OPEN', snapshot: 1 }],
      ['sentinel', 'block', { resource: R, by: 'degrade' }],
      ['sentinel', 'state', { resource: R, grade: 2, prev: 'OPEN', next: 'HALF_OPEN', snapshot: null }],
      ['sentinel', 'state', { resource: R, grade: 2, prev: 'HALF_OPEN', next: 'CLOSED', snapshot: null }],
    ]);
  });

  it('setError ignores BlockExceptions and nullish values, keeps the last error, and is inert after exit', async () => {
    // Tracer.shouldTrace / Tracer.traceEntry.
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const e = await s.entry(R);
    e.setError(null);
    e.setError(new DegradeException(s.circuitBreakers(R)[0]!.rule));
    expect(e.error).toBeUndefined();
    const last = new Error('last');
    e.setError(new Error('first'));
    e.setError(last);
    expect(e.error).toBe(last);
    e.exit();
    e.setError(new Error('late'));
    expect(e.error).toBe(last);
    e.exit(); // idempotent: counted once
    expect(s.node(R)!.curThreadNum()).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { createGateway } from '#src/gateway/gateway.ts';
import { cacheLayer, type PromptCache } from '#src/gateway/layers/cache.ts';
import { executorLayer, type Pool } from '#src/gateway/layers/executor.ts';
import {
  type BucketGuard,
  type LimiterGuard,
  redisLimiterLayer,
  tokenBucketLayer,
} from '#src/gateway/layers/limiters.ts';
import { type Merger, mergeLayer } from '#src/gateway/layers/merge.ts';
import { type ProviderStage, providersTerminal } from '#src/gateway/layers/providers.ts';
import { type SentinelGuard, sentinelLayer } from '#src/gateway/layers/sentinel.ts';
import type { GatewayResponse } from '#src/gateway/request.ts';
import { admitted, failed, type Outcome, refused } from '#src/outcome.ts';
import type { TraceFields, TraceSink } from '#src/ports/trace.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

class Recorder implements TraceSink {
  readonly events: string[] = [];
  emit(component: string, kind: string, fields?: TraceFields): void {
    this.events.push(`${component} ${kind} ${JSON.stringify(fields ?? {})}`);
  }
}

const answer = (text: string): ProviderStage => ({
  call: async (r) =>
    admitted({
      response: { model: 'primary', text: `${text}:${r.prompt}`, inputTokens: 0, outputTokens: 7 },
      model: 'primary',
      attempts: 1,
    }),
});

const open: BucketGuard = { attempt: () => admitted(undefined) };
const passAll: SentinelGuard = {
  async attempt(_resource, fn) {
    try {
      return admitted(await fn());
    } catch (error) {
      return failed(error);
    }
  },
};

describe('createGateway', () => {
  it('traces the request and its response, and lists its layers top to bottom', async () => {
    const trace = new Recorder();
    const gw = createGateway(
      {
        instance: 'gw-1',
        layers: [tokenBucketLayer(open), sentinelLayer(passAll, { resource: 'chat' })],
        terminal: providersTerminal(answer('a')),
      },
      { clock: new ManualClock(), trace },
    );
    expect(gw.layers).toEqual(['token-bucket', 'sentinel']);
    const out = await gw.handle({ id: 1, userId: 'u1', prompt: 'hi' });
    expect(out).toEqual(admitted({ text: 'a:hi', model: 'primary', servedBy: 'upstream', outputTokens: 7 }));
    expect(trace.events).toEqual([
      'gateway/gw-1 request {"id":1,"user":"u1"}',
      'token-bucket/gw-1 admitted {"id":1}',
      'gateway/gw-1 response {"id":1,"ms":0,"outcome":"ok","servedBy":"upstream","model":"primary"}',
    ]);
  });

  it('a limited request never reaches the layers below and is refused with the limiter named', async () => {
    const trace = new Recorder();
    let reached = false;
    const empty: BucketGuard = { attempt: () => refused({ by: 'token-bucket', permits: 1 }) };
    const gw = createGateway(
      {
        instance: 'gw-2',
        layers: [tokenBucketLayer(empty)],
        terminal: () => async () => {
          reached = true;
          return failed(new Error('unreachable'));
        },
      },
      { clock: new ManualClock(), trace },
    );
    expect(await gw.handle({ id: 9, userId: 'u', prompt: 'p' })).toEqual(
      refused({ by: 'token-bucket', permits: 1 }),
    );
    expect(reached).toBe(false);
    expect(trace.events.at(-1)).toBe(
      'gateway/gw-2 response {"id":9,"ms":0,"outcome":"refused","by":"token-bucket"}',
    );
  });

  it('the Redis limiter fails open when Redis cannot answer (and says so), or closed when asked', async () => {
    const down: LimiterGuard = { attempt: async () => failed(new Error('CLUSTERDOWN')) };
    for (const [onError, expected] of [
      ['allow', 'ok'],
      ['deny', 'failed'],
    ] as const) {
      const trace = new Recorder();
      const gw = createGateway(
        {
          instance: 'g',
          layers: [redisLimiterLayer(down, { onError })],
          terminal: providersTerminal(answer('a')),
        },
        { clock: new ManualClock(), trace },
      );
      const out = await gw.handle({ id: 1, userId: 'u', prompt: 'p' });
      expect(out.kind === 'admitted' ? 'ok' : out.kind).toBe(expected);
      expect(trace.events[1]).toBe(
        `redis-limiter/g error {"id":1,"key":"u","error":"Error: CLUSTERDOWN","allowed":${onError === 'allow'}}`,
      );
    }
  });

  it("Sentinel: a failure below is thrown into the entry (so breakers count it) and answered by the article's fallback", async () => {
    const seen: unknown[] = [];
    const counting: SentinelGuard = {
      async attempt(_r, fn) {
        try {
          return admitted(await fn());
        } catch (error) {
          seen.push(error);
          return failed(error);
        }
      },
    };
    const fallback = (): GatewayResponse => ({
      text: 'busy',
      model: 'none',
      servedBy: 'fallback',
      outputTokens: 0,
    });
    const gw = createGateway(
      {
        instance: 'g',
        layers: [sentinelLayer(counting, { resource: 'chatCompletion', fallback })],
        terminal: () => async () => failed(new Error('503')),
      },
      { clock: new ManualClock() },
    );
    expect(await gw.handle({ id: 1, userId: 'u', prompt: 'p' })).toEqual(admitted(fallback()));
    expect(seen).toHaveLength(1);
    const blocking: SentinelGuard = {
      attempt: async () => refused({ by: 'degrade-rule', resource: 'chatCompletion', grade: 'RT' }),
    };
    const trace = new Recorder();
    const gw2 = createGateway(
      {
        instance: 'g',
        layers: [sentinelLayer(blocking, { resource: 'chatCompletion', fallback })],
        terminal: providersTerminal(answer('a')),
      },
      { clock: new ManualClock(), trace },
    );
    expect(await gw2.handle({ id: 2, userId: 'u', prompt: 'p' })).toEqual(admitted(fallback()));
    expect(trace.events.slice(1, 3)).toEqual([
      'sentinel/g blocked {"id":2,"by":"degrade-rule","grade":"RT"}',
      'sentinel/g fallback {"id":2,"reason":"degrade-rule"}',
    ]);
  });

  it('the cache answers by tier; a miss runs the path below as the loader; a failure below is not cached', async () => {
    const store = new Map<string, GatewayResponse>();
    const cache: PromptCache = {
      async get(prompt, loader) {
        const hit = store.get(prompt);
        if (hit) return { value: hit, tier: 'l1' };
        const value = await loader();
        store.set(prompt, value);
        return { value, tier: 'loader' };
      },
    };
    let calls = 0;
    const gw = createGateway(
      {
        instance: 'g',
        layers: [cacheLayer(cache)],
        terminal: () => async (r) => {
          calls++;
          return r.prompt === 'bad'
            ? failed(new Error('500'))
            : admitted({ text: 'x', model: 'm', servedBy: 'upstream', outputTokens: 3 });
        },
      },
      { clock: new ManualClock() },
    );
    expect(await gw.handle({ id: 1, userId: 'u', prompt: 'p' })).toMatchObject({
      value: { servedBy: 'upstream', outputTokens: 3 },
    });
    expect(await gw.handle({ id: 2, userId: 'u', prompt: 'p' })).toMatchObject({
      value: { servedBy: 'l1', outputTokens: 0 },
    });
    const bad = await gw.handle({ id: 3, userId: 'u', prompt: 'bad' });
    expect(bad.kind).toBe('failed');
    expect(store.has('bad')).toBe(false);
    expect(calls).toBe(2);
  });

  it('merged callers share one call below and its outcome; the executor refusal names the policy', async () => {
    const inflight = new Map<string, Promise<unknown>>();
    const merger: Merger = {
      async execute<T>(key: string, fn: () => Promise<T>) {
        const running = inflight.get(key) as Promise<T> | undefined;
        if (running) return { value: await running, shared: true };
        const p = fn();
        inflight.set(key, p);
        const value = await p;
        inflight.delete(key);
        return { value, shared: false };
      },
    };
    let calls = 0;
    const clock = new ManualClock();
    const trace = new Recorder();
    const gw = createGateway(
      {
        instance: 'g',
        layers: [mergeLayer(merger, { key: (r) => r.prompt })],
        terminal: () => async () => {
          calls++;
          await Promise.resolve();
          return admitted({ text: 'x', model: 'm', servedBy: 'upstream', outputTokens: 1 });
        },
      },
      { clock, trace },
    );
    const [a, b] = await Promise.all([
      gw.handle({ id: 1, userId: 'u', prompt: 'p' }),
      gw.handle({ id: 2, userId: 'v', prompt: 'p' }),
    ]);
    expect(calls).toBe(1);
    expect(a).toEqual(b);
    expect(trace.events).toContain('coalesce/g merged {"id":2,"key":"p"}');

    const full: Pool = {
      attempt: async <T>() => refused<T>({ by: 'pool', policy: 'AbortPolicy' }) as Outcome<T>,
    };
    const trace2 = new Recorder();
    const gw2 = createGateway(
      { instance: 'g', layers: [executorLayer(full)], terminal: providersTerminal(answer('a')) },
      { clock, trace: trace2 },
    );
    expect(await gw2.handle({ id: 5, userId: 'u', prompt: 'p' })).toEqual(
      refused({ by: 'pool', policy: 'AbortPolicy' }),
    );
    expect(trace2.events[1]).toBe('executor/g refused {"id":5,"policy":"AbortPolicy"}');
  });
});

import { describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisLimiter } from '#src/limit/lua/redis-limiter.ts';
import { FIXED_WINDOW_SCRIPT } from '#src/limit/lua/scripts.ts';
import type { Clock } from '#src/ports/clock.ts';

function clockAt(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return { now: () => now, sleep: async () => {}, schedule: () => ({ cancel() {} }), set: (m) => (now = m) };
}

describe('RedisLimiter', () => {
  it("runs the article's script verbatim (section 4.2)", () => {
    expect(FIXED_WINDOW_SCRIPT).toBe(
      "local key = KEYS[1] local limit = tonumber(ARGV[1]) local window = tonumber(ARGV[2]) local current = redis.call('INCR', key) if current == 1 then redis.call('EXPIRE', key, window) end return current <= limit and 1 or 0",
    );
  });

  it('names keys like the article for fixed-window, hash-tagged otherwise', () => {
    const deps = { redis: new SimRedis({}, { clock: clockAt(0) }), clock: clockAt(0) };
    expect(
      new RedisLimiter({ algorithm: 'fixed-window', limit: 1, windowMs: 1000 }, deps).redisKey('u1'),
    ).toBe('rate_limit:u1');
    expect(new RedisLimiter({ algorithm: 'gcra', limit: 1, windowMs: 1000 }, deps).redisKey('u1')).toBe(
      'rate_limit:{u1}:gcra',
    );
  });

  it.each([
    [{ algorithm: 'fixed-window', limit: 3, windowMs: 1500 }, /windowMs must be a whole number of seconds/],
    [{ algorithm: 'gcra', limit: 0, windowMs: 1000 }, /limit must be an integer >= 1/],
    [{ algorithm: 'gcra', limit: 2, windowMs: 0 }, /windowMs must be an integer >= 1/],
    [{ algorithm: 'gcra', limit: 2, windowMs: 1000, burst: -1 }, /burst must be an integer >= 0/],
    [{ algorithm: 'leaky', limit: 2, windowMs: 1000 }, /algorithm must be one of/],
  ] as const)('rejects bad options %j', (options, message) => {
    const ports = { redis: new SimRedis({}, { clock: clockAt(0) }), clock: clockAt(0) };
    expect(() => new RedisLimiter(options as never, ports)).toThrow(RangeError);
    expect(() => new RedisLimiter(options as never, ports)).toThrow(message);
  });

  it('attempt: admitted with the decision, then refused by the redis-limiter with retryAfterMs', async () => {
    const clock = clockAt(0);
    const redis = new SimRedis({}, { clock: clock });
    const limiter = new RedisLimiter({ algorithm: 'gcra', limit: 2, windowMs: 1000 }, { redis, clock });
    expect(await limiter.attempt('a', 1)).toEqual({
      kind: 'admitted',
      value: { allowed: true, remaining: 1, retryAfterMs: undefined },
    });
    expect((await limiter.attempt('a', 1)).kind).toBe('admitted');
    expect(await limiter.attempt('a', 1)).toEqual({
      kind: 'refused',
      reason: { by: 'redis-limiter', algorithm: 'gcra', retryAfterMs: 500 },
    });
  });

  it('attempt: fixed-window refuses without retryAfterMs; a Redis error comes back failed', async () => {
    const clock = clockAt(0);
    const redis = new SimRedis({}, { clock: clock });
    const limiter = new RedisLimiter(
      { algorithm: 'fixed-window', limit: 1, windowMs: 1000 },
      { redis, clock },
    );
    expect((await limiter.attempt('a', 1)).kind).toBe('admitted');
    expect(await limiter.attempt('a', 1)).toEqual({
      kind: 'refused',
      reason: { by: 'redis-limiter', algorithm: 'fixed-window' },
    });
    const boom = new Error('LOADING Redis is loading the dataset in memory');
    const broken = new RedisLimiter(
      { algorithm: 'gcra', limit: 1, windowMs: 1000 },
      {
        redis: { evalsha: () => Promise.reject(boom), eval: () => Promise.reject(boom) } as never,
        clock,
      },
    );
    expect(await broken.attempt('a', 1)).toEqual({ kind: 'failed', error: boom });
    await expect(broken.attempt('a', 0)).rejects.toThrow(RangeError);
  });

  it('falls back to EVAL on NOSCRIPT once, then EVALSHA hits the cache', async () => {
    const clock = clockAt(0);
    const redis = new SimRedis({}, { clock: clock });
    const limiter = new RedisLimiter({ algorithm: 'gcra', limit: 2, windowMs: 1000 }, { redis, clock });
    expect(await limiter.tryAcquire('a')).toBe(true);
    expect(limiter.stats).toEqual({ evalsha: 1, noscriptFallbacks: 1 });
    expect(await limiter.tryAcquire('a')).toBe(true);
    expect(await limiter.decide('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    expect(limiter.stats).toEqual({ evalsha: 3, noscriptFallbacks: 1 });
    redis.execute(['SCRIPT', 'FLUSH']);
    clock.set(1000);
    expect(await limiter.tryAcquire('a')).toBe(true);
    expect(limiter.stats.noscriptFallbacks).toBe(2);
  });

  it('charges a cost on token-bucket and reports the wait', async () => {
    const clock = clockAt(0);
    const redis = new SimRedis({}, { clock: clock });
    const limiter = new RedisLimiter(
      { algorithm: 'token-bucket', limit: 10, windowMs: 1000 },
      { redis, clock },
    );
    expect(await limiter.decide('a', 7)).toEqual({ allowed: true, remaining: 3, retryAfterMs: undefined });
    expect(await limiter.decide('a', 7)).toEqual({ allowed: false, remaining: 3, retryAfterMs: 400 });
    clock.set(400);
    expect((await limiter.decide('a', 7)).allowed).toBe(true);
    await expect(
      new RedisLimiter({ algorithm: 'sliding-log', limit: 2, windowMs: 1000 }, { redis, clock }).decide(
        'a',
        2,
      ),
    ).rejects.toThrow(/cost > 1 needs token-bucket or gcra/);
  });

  it('sliding-log: two gateway nodes sharing a key in the same millisecond both count', async () => {
    const clock = clockAt(1_000);
    const redis = new SimRedis({}, { clock: clock });
    const options = { algorithm: 'sliding-log', limit: 3, windowMs: 1000 } as const;
    const a = new RedisLimiter({ ...options, instanceId: 'gw-a' }, { redis, clock });
    const b = new RedisLimiter({ ...options, instanceId: 'gw-b' }, { redis, clock });
    // Same ms, same sequence numbers: with one member name per node, nothing is overwritten.
    const decisions = [await a.decide('k'), await b.decide('k'), await a.decide('k'), await b.decide('k')];
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(await redis.zcard('rate_limit:{k}:sliding-log')).toBe(3);
    expect(() => new RedisLimiter({ ...options, instanceId: 'has space' }, { redis, clock })).toThrow(
      /instanceId/,
    );
  });
});

// ONE set of test bodies for a single Redis node, run against the simulated node (SimRedis),
// ioredis-mock and a real redis-server 7.0 (127.0.0.1:6379). Expected values are redis-server's;
// where ioredis-mock is known to differ the target lists the divergence
// and the case asserts the mock's own behaviour instead, so a change on either side shows up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLimiter, type RedisLimiterAlgorithm } from '#src/limit/lua/redis-limiter.ts';
import type { Clock } from '#src/ports/clock.ts';
import type { RedisPort } from '#src/ports/redis.ts';

/** Known ways a target departs from redis-server 7.0. */
export type RedisDivergence =
  | 'no-argument-errors' // INCR on "abc", SET EX 0, ZADD "abc" all succeed (ioredis-mock)
  | 'no-type-errors' // GET on a hash returns the hash (ioredis-mock)
  | 'no-script-command' // SCRIPT LOAD is unsupported (ioredis-mock)
  | 'raw-lua-replies'; // Lua values are not converted to RESP; script errors resolve to false (ioredis-mock)

/** What a contract run needs from a backend. */
export interface RedisContractTarget {
  readonly redis: RedisPort;
  /** Unique prefix for every key this run creates. */
  readonly prefix: string;
  /** Moves the server's clock forward, when the target can (not a real server). */
  readonly advance?: (ms: number) => Promise<void>;
  readonly divergences: ReadonlySet<RedisDivergence>;
  /**
   * Any command, replies as ioredis delivers them; the cases of issue 12 section 2 (exact edge
   * cases and the commands beyond RedisPort) run only on targets that have it and no
   * 'no-argument-errors' divergence.
   */
  readonly call?: (args: string[]) => Promise<unknown>;
  /** Deletes the run's keys and closes connections. */
  close(): Promise<void>;
}

/** A clock the limiter reads `now` from: explicit values, the same on every backend. */
export function scheduleClock(startMs: number): Clock & { set(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    sleep: async () => {},
    schedule: () => ({ cancel() {} }),
    set(ms: number) {
      now = ms;
    },
  };
}

/** Base of the limiter schedule: a realistic epoch time in ms (beyond 2^31, so floats in Lua). */
export const SCHEDULE_BASE_MS = 1_700_000_000_000;
/** Offsets (ms) of the request sequence every limiter is run on, bunched at the window edges. */
export const SCHEDULE_MS = [0, 10, 20, 30, 40, 50, 990, 1000, 1010, 1500, 1990, 2000, 2010, 2020, 2030, 5000];

/**
 * Decisions (1 = allowed) on SCHEDULE_MS with limit 4 per 1000 ms. Observed identically on
 * SimRedis, ioredis-mock and redis-server 7.0.15.
 */
export const EXPECTED_DECISIONS: Record<Exclude<RedisLimiterAlgorithm, 'fixed-window'>, number[]> = {
  'sliding-log': [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1],
  'sliding-counter': [1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1],
  'token-bucket': [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
  gcra: [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
};

/** Declares the contract suite for one backend. */
export function redisNodeContract(name: string, open: () => Promise<RedisContractTarget>): void {
  describe(`Redis node contract: ${name}`, () => {
    let t: RedisContractTarget;
    let r: RedisPort;
    const k = (s: string) => `${t.prefix}:${s}`;
    const has = (d: RedisDivergence) => t.divergences.has(d);

    beforeAll(async () => {
      t = await open();
      r = t.redis;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('SET / GET / EXISTS / DEL', async () => {
      expect(await r.set(k('a'), 'v1')).toBe('OK');
      expect(await r.get(k('a'))).toBe('v1');
      expect(await r.exists(k('a'), k('a'), k('missing'))).toBe(2);
      expect(await r.del(k('a'), k('missing'))).toBe(1);
      expect(await r.get(k('a'))).toBeNull();
    });

    it('SET NX writes once', async () => {
      expect(await r.set(k('nx'), '1', 'NX')).toBe('OK');
      expect(await r.set(k('nx'), '2', 'NX')).toBeNull();
      expect(await r.get(k('nx'))).toBe('1');
    });

    it('INCR / INCRBY and the not-an-integer error', async () => {
      expect(await r.incr(k('c'))).toBe(1);
      expect(await r.incrby(k('c'), 5)).toBe(6);
      await r.set(k('s'), 'abc');
      if (has('no-argument-errors')) expect(await r.incr(k('s'))).toBeNaN();
      else await expect(r.incr(k('s'))).rejects.toThrow(/^ERR value is not an integer or out of range$/);
    });

    it('WRONGTYPE on a hash read as a string', async () => {
      await r.hset(k('h1'), 'f', '1');
      if (has('no-type-errors')) expect(await r.get(k('h1'))).toEqual({ f: '1' });
      else
        await expect(r.get(k('h1'))).rejects.toThrow(
          /^WRONGTYPE Operation against a key holding the wrong kind of value$/,
        );
    });

    it('SET EX 0 is an invalid expire time', async () => {
      if (has('no-argument-errors')) expect(await r.set(k('e0'), '1', 'EX', 0)).toBe('OK');
      else
        await expect(r.set(k('e0'), '1', 'EX', 0)).rejects.toThrow(
          /^ERR invalid expire time in 'set' command$/,
        );
    });

    it('TTL / PTTL: -2 missing, -1 persistent, seconds rounded', async () => {
      expect(await r.ttl(k('nokey'))).toBe(-2);
      expect(await r.pttl(k('nokey'))).toBe(-2);
      await r.set(k('p'), 'v');
      expect(await r.ttl(k('p'))).toBe(-1);
      await r.set(k('t'), 'v', 'EX', 10);
      expect(await r.ttl(k('t'))).toBe(10);
      const pttl = await r.pttl(k('t'));
      expect(pttl).toBeGreaterThan(9_000);
      expect(pttl).toBeLessThanOrEqual(10_000);
      expect(await r.pexpire(k('t'), 1_700)).toBe(1);
      expect(await r.ttl(k('t'))).toBe(2);
      expect(await r.expire(k('nokey'), 10)).toBe(0);
    });

    it('a key expires once its time has passed (clock-driven targets)', async (ctx) => {
      if (!t.advance) ctx.skip();
      await r.set(k('x'), 'v', 'PX', 1_000);
      await t.advance?.(999);
      expect(await r.get(k('x'))).toBe('v');
      await t.advance?.(2);
      expect(await r.get(k('x'))).toBeNull();
      expect(await r.pttl(k('x'))).toBe(-2);
    });

    it('hashes: HSET / HGET / HGETALL / HDEL', async () => {
      expect(await r.hset(k('h'), 'a', '1', 'b', '2')).toBe(2);
      expect(await r.hset(k('h'), 'a', '3')).toBe(0);
      expect(await r.hget(k('h'), 'a')).toBe('3');
      expect(await r.hget(k('h'), 'zz')).toBeNull();
      expect(await r.hgetall(k('h'))).toEqual({ a: '3', b: '2' });
      expect(await r.hdel(k('h'), 'a', 'zz')).toBe(1);
      expect(await r.hgetall(k('nohash'))).toEqual({});
    });

    it('sorted sets: ZADD / ZRANGEBYSCORE / ZREMRANGEBYSCORE / ZCARD', async () => {
      expect(await r.zadd(k('z'), 2, 'b', 1, 'a', 3, 'c')).toBe(3);
      expect(await r.zrangebyscore(k('z'), '-inf', '+inf')).toEqual(['a', 'b', 'c']);
      expect(await r.zrangebyscore(k('z'), '(1', 3)).toEqual(['b', 'c']);
      expect(await r.zremrangebyscore(k('z'), '-inf', 2)).toBe(2);
      expect(await r.zcard(k('z'))).toBe(1);
      if (has('no-argument-errors')) expect(await r.zadd(k('z'), 'abc', 'm')).toBe(1);
      else await expect(r.zadd(k('z'), 'abc', 'm')).rejects.toThrow(/^ERR value is not a valid float$/);
    });

    it('EVALSHA of an unknown script is NOSCRIPT; SCRIPT LOAD caches it', async () => {
      await expect(r.evalsha('ffffffffffffffffffffffffffffffffffffffff', 0)).rejects.toThrow(
        /^NOSCRIPT No matching script\. Please use EVAL\.$/,
      );
      if (has('no-script-command')) return;
      const sha = await r.script('LOAD', 'return ARGV[1]');
      expect(sha).toBe('098e0f0d1448c0a81dafe820f66d460eb09263da');
      expect(await r.evalsha(String(sha), 0, 'hi')).toBe('hi');
    });

    it("Lua replies: Redis's conversions", async () => {
      const reply = await r.eval('return {1, 3.99, "a", false, true}', 0);
      expect(reply).toEqual(has('raw-lua-replies') ? [1, 3.99, 'a', false, true] : [1, 3, 'a', null, 1]);
      await r.set(k('lua-s'), 'abc');
      if (has('raw-lua-replies'))
        expect(await r.eval("return redis.call('INCR', KEYS[1])", 1, k('lua-s'))).toBe(false);
      else {
        await expect(r.eval("return redis.call('INCR', KEYS[1])", 1, k('lua-s'))).rejects.toThrow(
          /^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script:1\.$/,
        );
      }
    });

    const edge = (title: string, body: (call: (...args: string[]) => Promise<unknown>) => Promise<void>) =>
      it(title, async (ctx) => {
        const call = t.call;
        if (call === undefined || has('no-argument-errors')) ctx.skip();
        else await body((...args) => call(args));
      });
    const fails = (p: Promise<unknown>) =>
      p.then(
        (v) => ({ value: v }),
        (e: Error) => ({ error: e.message }),
      );

    edge('SET: the last EX wins, another unit conflicts; DECRBY INT64_MIN overflows', async (call) => {
      expect(await call('SET', k('ex'), 'v', 'EX', '100', 'EX', '200')).toBe('OK');
      expect(await call('TTL', k('ex'))).toBe(200);
      expect(await fails(call('SET', k('ex'), 'v', 'EX', '100', 'PX', '200'))).toEqual({
        error: 'ERR syntax error',
      });
      await call('SET', k('min'), '-9223372036854775808');
      expect(await fails(call('DECRBY', k('min'), '-9223372036854775808'))).toEqual({
        error: 'ERR decrement would overflow',
      });
      expect(await fails(call('EXPIRE', k('ex'), 'abc', 'FOO'))).toEqual({
        error: 'ERR Unsupported option FOO',
      });
    });

    edge(
      "ZADD parses scores like strtod (0x10 yes, 1e-400/1e309 no); '' and '(' bounds are 0",
      async (call) => {
        expect(await call('ZADD', k('zs'), '0x10', 'a', '-0', 'b')).toBe(2);
        expect(await call('ZRANGE', k('zs'), '0', '-1', 'WITHSCORES')).toEqual(['b', '0', 'a', '16']);
        expect(await fails(call('ZADD', k('zs'), '1e-400', 'c'))).toEqual({
          error: 'ERR value is not a valid float',
        });
        expect(await fails(call('ZADD', k('zs'), '1e309', 'c'))).toEqual({
          error: 'ERR value is not a valid float',
        });
        expect(await call('ZRANGEBYSCORE', k('zs'), '', '+inf')).toEqual(['b', 'a']);
        expect(await call('ZRANGEBYSCORE', k('zs'), '(', '+inf')).toEqual(['a']);
        expect(await call('ZADD', k('zs'), 'INCR', '1.5', 'a')).toBe('17.5');
        expect(await call('ZRANGE', k('zs'), '+inf', '(0', 'BYSCORE', 'REV', 'LIMIT', '0', '1')).toEqual([
          'a',
        ]);
        expect(await call('ZCOUNT', k('zs'), '-inf', '(17.5')).toBe(1);
      },
    );

    edge('strings and hashes: MSET/MGET, GETDEL, APPEND, INCRBYFLOAT, HINCRBYFLOAT, HSETNX', async (call) => {
      expect(await call('MSET', k('m1'), '日本', k('m2'), '2')).toBe('OK');
      expect(await call('MGET', k('m1'), k('zs-none'), k('m2'))).toEqual(['日本', null, '2']);
      expect(await call('APPEND', k('m1'), '語')).toBe(9);
      expect(await call('GETDEL', k('m1'))).toBe('日本語');
      expect(await call('INCRBYFLOAT', k('m2'), '0.1')).toBe('2.1');
      expect(await call('INCRBYFLOAT', k('m2'), '1.5e-7')).toBe('2.10000015');
      expect(await call('HSETNX', k('hf'), 'f', '5000')).toBe(1);
      expect(await call('HINCRBYFLOAT', k('hf'), 'f', '1.5e-7')).toBe('5000.00000014999999998');
      expect(await fails(call('HINCRBYFLOAT', k('hf'), 'f', 'inf'))).toEqual({
        error: 'ERR value is NaN or Infinity',
      });
    });

    edge('lists: a capped history with LPUSH + LTRIM, LPOP with a count', async (call) => {
      for (let i = 1; i <= 6; i++) await call('LPUSH', k('chat'), `m${i}`);
      expect(await call('LTRIM', k('chat'), '0', '3')).toBe('OK');
      expect(await call('LRANGE', k('chat'), '0', '-1')).toEqual(['m6', 'm5', 'm4', 'm3']);
      expect(await call('RPOP', k('chat'), '2')).toEqual(['m3', 'm4']);
      expect(await call('LLEN', k('chat'))).toBe(2);
      expect(await fails(call('LPOP', k('chat'), '-1'))).toEqual({
        error: 'ERR value is out of range, must be positive',
      });
    });

    it('PUBLISH without subscribers reaches 0', async () => {
      expect(await r.publish(k('chan'), 'm')).toBe(0);
    });

    it("the article's fixed-window script: limit 3 per 10 s admits 3 of 5, TTL 10", async () => {
      const limiter = new RedisLimiter(
        { algorithm: 'fixed-window', limit: 3, windowMs: 10_000, keyPrefix: `${t.prefix}:rl:` },
        { redis: r, clock: scheduleClock(0) },
      );
      const decisions: boolean[] = [];
      for (let i = 0; i < 5; i++) decisions.push(await limiter.tryAcquire('u1'));
      expect(decisions).toEqual([true, true, true, false, false]);
      expect(await r.ttl(limiter.redisKey('u1'))).toBe(10);
      expect(await r.get(limiter.redisKey('u1'))).toBe('5');
    });

    for (const algorithm of Object.keys(EXPECTED_DECISIONS) as (keyof typeof EXPECTED_DECISIONS)[]) {
      it(`${algorithm}: decisions on the explicit-now schedule (limit 4 per 1000 ms)`, async () => {
        const clock = scheduleClock(SCHEDULE_BASE_MS);
        const limiter = new RedisLimiter(
          { algorithm, limit: 4, windowMs: 1_000, keyPrefix: `${t.prefix}:rl:` },
          { redis: r, clock },
        );
        const decisions: number[] = [];
        for (const offset of SCHEDULE_MS) {
          clock.set(SCHEDULE_BASE_MS + offset);
          decisions.push((await limiter.tryAcquire(`u-${algorithm}`)) ? 1 : 0);
        }
        expect(decisions).toEqual(EXPECTED_DECISIONS[algorithm]);
        expect(limiter.stats.evalsha).toBe(SCHEDULE_MS.length);
        // At most the first EVALSHA meets a cache without the script and falls back to EVAL (a
        // shared real server may have it cached from an earlier run).
        expect(limiter.stats.noscriptFallbacks).toBeLessThanOrEqual(1);
      });
    }
  });
}

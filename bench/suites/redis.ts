// Redis benches: the simulated node against ioredis-mock (plain commands, Lua), and the Lua
// limiter through ioredis on the real 6379 against rate-limiter-flexible's RateLimiterRedis on the
// same server. Each pair runs the same operations in one process; the harness reports the ratio.
import net from 'node:net';
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { SimRedis } from '../../sim/redis/node.ts';
import { RedisLimiter } from '../../src/limit/lua/redis-limiter.ts';
import { FIXED_WINDOW_SCRIPT, GCRA_SCRIPT } from '../../src/limit/lua/scripts.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { BenchCase, Measurement } from '../harness.ts';

const COMMANDS = 30_000;
const LUA_CALLS = 5_000;
const MOCK_LUA_CALLS = 300;
const LIMITER_CALLS = 5_000;
const IN_FLIGHT = 50;
/** The database of the shared 6379 these benches may use. */
const BENCH_DB = 9;

const fixedClock = (ms: number): Clock => ({
  now: () => ms,
  sleep: async () => {},
  schedule: () => ({ cancel() {} }),
});

async function simCommands(): Promise<Measurement> {
  const node = new SimRedis({}, { clock: fixedClock(0) });
  const t0 = performance.now();
  for (let i = 0; i < COMMANDS; i += 3) {
    await node.set(`k${i % 1000}`, 'v', 'PX', 60_000);
    await node.incr(`c${i % 1000}`);
    await node.get(`k${i % 1000}`);
  }
  return { ops: COMMANDS, ms: performance.now() - t0 };
}

async function mockCommands(): Promise<Measurement> {
  const mock = new RedisMock({ port: 26379 });
  const t0 = performance.now();
  for (let i = 0; i < COMMANDS; i += 3) {
    await mock.set(`k${i % 1000}`, 'v', 'PX', 60_000);
    await mock.incr(`c${i % 1000}`);
    await mock.get(`k${i % 1000}`);
  }
  const ms = performance.now() - t0;
  await mock.flushall();
  mock.disconnect();
  return { ops: COMMANDS, ms };
}

const MIX_COMMANDS = 30_000;

/**
 * A chat-history and cache mix of the commands issue 12 added: a capped history (LPUSH + LTRIM,
 * LRANGE of the newest 20), a batch read/write (MSET / MGET), a counter hash (HINCRBY) and a
 * sliding log read (ZADD, ZRANGE BYSCORE LIMIT) -- 6 commands per round, awaited one by one.
 */
async function mix(redis: {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}): Promise<Measurement> {
  const t0 = performance.now();
  for (let i = 0; i < MIX_COMMANDS; i += 6) {
    const user = `u${i % 100}`;
    await redis.call('LPUSH', `chat:${user}`, `message ${i}`);
    await redis.call('LTRIM', `chat:${user}`, 0, 49);
    await redis.call('LRANGE', `chat:${user}`, 0, 19);
    if (i % 12 === 0) await redis.call('MSET', `a:${user}`, i, `b:${user}`, i + 1);
    else await redis.call('MGET', `a:${user}`, `b:${user}`);
    await redis.call('HINCRBY', `stats:${user}`, 'tokens', 17);
    if (i % 12 === 0) await redis.call('ZADD', `log:${user}`, i, `r${i}`);
    else await redis.call('ZRANGE', `log:${user}`, i - 600, '+inf', 'BYSCORE', 'LIMIT', 0, 10);
  }
  return { ops: MIX_COMMANDS, ms: performance.now() - t0 };
}

async function simMix(): Promise<Measurement> {
  const node = new SimRedis({}, { clock: fixedClock(0) });
  return mix({ call: (command, ...args) => node.command([command, ...args]) });
}

async function mockMix(): Promise<Measurement> {
  const mock = new RedisMock({ port: 26381 });
  // ioredis-mock has no generic call(): each command is its method.
  const methods = mock as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  const m = await mix({
    call: (command, ...args) => {
      const method = methods[command.toLowerCase()];
      if (method === undefined) throw new Error(`ioredis-mock has no ${command}`);
      return method.apply(mock, args);
    },
  });
  await mock.flushall();
  mock.disconnect();
  return m;
}

/** A small script: one command and its reply, the shortest round trip through the interpreter. */
const SMALL_SCRIPT = "return redis.call('GET', KEYS[1])";

/** One EVAL's arguments after the script: numkeys, keys, ARGV. */
type EvalArgs = (i: number) => (string | number)[];

const LUA_SCRIPTS: Record<string, { script: string; args: EvalArgs }> = {
  gcra: { script: GCRA_SCRIPT, args: (i) => [1, `g${i % 100}`, i, 10, 100, 1] },
  // The article's fixed-window limiter with a limit never reached, as the gateway calls it.
  limiter: { script: FIXED_WINDOW_SCRIPT, args: (i) => [1, `w${i % 100}`, 1_000_000_000, 60] },
  small: { script: SMALL_SCRIPT, args: (i) => [1, `s${i % 100}`] },
};

function simLua(which: string): () => Promise<Measurement> {
  const { script, args } = LUA_SCRIPTS[which]!;
  return async () => {
    const node = new SimRedis({}, { clock: fixedClock(0) });
    const sha = String(await node.script('LOAD', script));
    const t0 = performance.now();
    for (let i = 0; i < LUA_CALLS; i++) await node.command(['EVALSHA', sha, ...args(i)]);
    return { ops: LUA_CALLS, ms: performance.now() - t0 };
  };
}

let mockPort = 26380;

function mockLua(which: string): () => Promise<Measurement> {
  const { script, args } = LUA_SCRIPTS[which]!;
  return async () => {
    const mock = new RedisMock({ port: mockPort++ });
    const t0 = performance.now();
    for (let i = 0; i < MOCK_LUA_CALLS; i++) {
      const [numkeys, ...rest] = args(i);
      await mock.eval(script, numkeys as number, ...rest);
    }
    const ms = performance.now() - t0;
    await mock.flushall();
    mock.disconnect();
    return { ops: MOCK_LUA_CALLS, ms };
  };
}

/** Runs `calls` operations with `IN_FLIGHT` concurrent callers. */
async function concurrently(calls: number, op: (i: number) => Promise<unknown>): Promise<Measurement> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < calls) await op(next++);
    }),
  );
  return { ops: calls, ms: performance.now() - t0 };
}

async function ours(): Promise<Measurement> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: BENCH_DB });
  const prefix = `hasim:bench:${process.pid}:`;
  const limiter = new RedisLimiter(
    { algorithm: 'fixed-window', limit: 1_000_000_000, windowMs: 60_000, keyPrefix: prefix },
    { redis, clock: fixedClock(0) },
  );
  await limiter.tryAcquire('warm');
  const m = await concurrently(LIMITER_CALLS, (i) => limiter.tryAcquire(`u${i % 100}`));
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  return m;
}

async function rateLimiterFlexible(): Promise<Measurement> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: BENCH_DB });
  const keyPrefix = `hasim:bench:rlf:${process.pid}`;
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    points: 1_000_000_000,
    duration: 60,
    keyPrefix,
  });
  await limiter.consume('warm');
  const m = await concurrently(LIMITER_CALLS, (i) => limiter.consume(`u${i % 100}`));
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  return m;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const realRedisUp = await listening(6379);
if (!realRedisUp)
  console.log('[bench redis] skipping the real-Redis limiter case: nothing listens on 127.0.0.1:6379');

export const cases: BenchCase[] = [
  {
    name: `redis: simulated node commands/s (SET PX / INCR / GET, ${COMMANDS.toLocaleString('en')} awaited calls)`,
    unit: 'commands/s',
    ours: { label: 'SimRedis', run: simCommands },
    peer: { label: 'ioredis-mock', run: mockCommands },
  },
  {
    name: `redis: simulated node commands/s (chat-history mix: LPUSH/LTRIM/LRANGE, MSET/MGET, HINCRBY, ZADD/ZRANGE BYSCORE, ${MIX_COMMANDS.toLocaleString('en')} awaited calls)`,
    unit: 'commands/s',
    ours: { label: 'SimRedis', run: simMix },
    peer: { label: 'ioredis-mock', run: mockMix },
  },
  ...(
    [
      ['gcra', 'GCRA script'],
      ['limiter', "Lua evals/s: the article's fixed-window limiter script"],
      ['small', "Lua evals/s: small script, return redis.call('GET', KEYS[1])"],
    ] as const
  ).map(([which, what]) => ({
    name: `redis: Lua evaluations/s (${what})`,
    unit: 'evals/s',
    ours: { label: 'SimRedis EVALSHA (one Lua state per node)', run: simLua(which) },
    peer: { label: 'ioredis-mock EVAL (fengari VM per call)', run: mockLua(which) },
  })),
  ...(realRedisUp
    ? [
        {
          name: `redis: limiter decisions/s on redis-server 6379 via ioredis (${IN_FLIGHT} in flight)`,
          unit: 'decisions/s',
          ours: { label: 'RedisLimiter fixed-window (article script, EVALSHA)', run: ours },
          peer: { label: 'rate-limiter-flexible RateLimiterRedis', run: rateLimiterFlexible },
        },
      ]
    : []),
];

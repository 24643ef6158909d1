// Differential fuzz: random command sequences (with wrong types, bad numbers and wrong arities on
// purpose) replayed on SimRedis and on the real redis-server 6379; every reply and every error line
// must be identical. Keys live under a unique prefix and are deleted afterwards.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, StatusReply, toClientValue } from '#sim/redis/reply.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'redis node differential (real 6379)',
  ports: [6379],
  hint: MACHINE_SERVICE_HINT,
});

const key = fc.constantFrom('a', 'b', 'h', 'z');
const value = fc.oneof(
  fc.constantFrom('0', '1', '-5', '10', 'abc', '3.5', '', '9223372036854775807', ' 1'),
  fc.integer().map(String),
);
const score = fc.oneof(
  fc.constantFrom('1', '2.5', '-inf', '+inf', '(1', 'nan', 'x', '1e3'),
  fc.integer({ min: -5, max: 5 }).map(String),
);
const field = fc.constantFrom('f', 'g');

/** Commands without relative time (TTL values would differ by the real server's elapsed ms). */
const command = fc.oneof(
  fc.tuple(fc.constant('GET'), key),
  fc.tuple(fc.constant('SET'), key, value),
  fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('NX', 'XX', 'GET', 'EX', 'PX', 'KEEPTTL', 'FOO')),
  fc.tuple(fc.constant('INCR'), key),
  fc.tuple(fc.constant('INCRBY'), key, value),
  fc.tuple(fc.constant('DECR'), key),
  fc.tuple(fc.constant('DEL'), key, key),
  fc.tuple(fc.constant('EXISTS'), key, key),
  fc.tuple(fc.constant('TYPE'), key),
  fc.tuple(fc.constant('PERSIST'), key),
  fc.tuple(fc.constant('TTL'), key),
  fc.tuple(fc.constant('HSET'), key, field, value),
  fc.tuple(fc.constant('HSET'), key, field),
  fc.tuple(fc.constant('HGET'), key, field),
  fc.tuple(fc.constant('HDEL'), key, field),
  fc.tuple(fc.constant('HGETALL'), key),
  fc.tuple(fc.constant('HINCRBY'), key, field, value),
  fc.tuple(fc.constant('HMGET'), key, field, field),
  fc.tuple(fc.constant('ZADD'), key, score, field),
  fc.tuple(fc.constant('ZADD'), key, fc.constantFrom('NX', 'XX', 'CH', 'GT'), score, field),
  fc.tuple(fc.constant('ZCARD'), key),
  fc.tuple(fc.constant('ZSCORE'), key, field),
  fc.tuple(fc.constant('ZREM'), key, field),
  fc.tuple(fc.constant('ZRANGEBYSCORE'), key, score, score),
  fc.tuple(fc.constant('ZRANGEBYSCORE'), key, score, score, fc.constant('WITHSCORES')),
  fc.tuple(fc.constant('ZREMRANGEBYSCORE'), key, score, score),
  fc.tuple(fc.constantFrom('INCR', 'GET', 'HGET', 'ZCARD', 'EXISTS')),
);

/**
 * ioredis parses RESP integers by decimal accumulation in doubles, so beyond 2^53 it is off in the
 * last digits (9223372036854775807 arrives as 9223372036854778000): compare those to 12 digits.
 */
function comparable(reply: unknown): unknown {
  if (typeof reply === 'number' && Math.abs(reply) > 2 ** 53) return `~${reply.toPrecision(12)}`;
  if (Array.isArray(reply)) return reply.map(comparable);
  return reply;
}

function simReply(node: SimRedis, args: string[]): unknown {
  try {
    const reply = node.execute(args);
    return reply instanceof StatusReply ? reply.text : toClientValue(reply);
  } catch (error) {
    if (error instanceof RedisReplyError) return { error: error.message };
    throw error;
  }
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let redis: Redis;
  const prefix = uniqueName('hasim:diff');
  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, db: 9, maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('replies like redis-server 7.0 on 150 random command sequences (seed 11)', {
    timeout: 120_000,
  }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (sequence) => {
        const ns = `${prefix}:${run++}:`;
        const node = new SimRedis(
          {},
          { clock: { now: () => 0, sleep: async () => {}, schedule: () => ({ cancel() {} }) } },
        );
        // Prefix the key arguments (position 1 for these commands, and 2 for DEL/EXISTS).
        const scoped = sequence.map((cmd) => {
          const args = [...cmd] as string[];
          const keyPositions = args[0] === 'DEL' || args[0] === 'EXISTS' ? [1, 2] : [1];
          for (const i of keyPositions) if (args[i] !== undefined) args[i] = ns + args[i];
          return args;
        });
        const pipeline = redis.pipeline();
        for (const args of scoped) pipeline.call(args[0] as string, ...args.slice(1));
        const real = ((await pipeline.exec()) ?? []).map(([error, reply]) =>
          error ? { error: (error as Error).message } : reply,
        );
        const simulated = scoped.map((args) => simReply(node, args));
        expect(simulated.map(comparable)).toEqual(real.map(comparable));
      }),
      { seed: 11, numRuns: 150 },
    );
  });
});

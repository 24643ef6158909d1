// Differential fuzz of the Lua -> RESP conversions and number formatting: random Lua values
// (integers, floats, huge numbers, strings, booleans, nil holes, nested tables, {ok=}/{err=}) and
// arithmetic/tostring/concatenation expressions returned by EVAL on SimRedis and on the real
// redis-server 6379 must give the same reply or the same error line.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, StatusReply, toClientValue } from '#sim/redis/reply.ts';
import { gateBackend, MACHINE_SERVICE_HINT } from './backends.ts';

const gate = await gateBackend({
  name: 'redis Lua differential (real 6379)',
  ports: [6379],
  hint: MACHINE_SERVICE_HINT,
});

const number = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom(
    '0.5',
    '-2.5',
    '3.99',
    '1e20',
    '-1e20',
    '2^53',
    '2^31',
    '2^31 * 3',
    '1/3',
    '10/2',
    '7 % 3',
    '-0',
  ),
);
const scalar = fc.oneof(number, fc.constantFrom('"a"', '""', 'true', 'false', 'nil', '"12"'));
const value: fc.Arbitrary<string> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `{${items.join(', ')}}`),
    fc.constantFrom(
      '{ok="FINE"}',
      '{err="MY error"}',
      'redis.status_reply("S")',
      'redis.error_reply("oops")',
    ),
  ),
})).value;
const expression = fc.oneof(
  value,
  number.map((n) => `tostring(${n})`),
  fc.tuple(number, number).map(([a, b]) => `"k" .. (${a}) .. ":" .. (${b})`),
  // Operands in parentheses; `%` is Lua 5.1's a - floor(a/b)*b, huge doubles included.
  fc
    .tuple(number, number)
    .map(
      ([a, b]) =>
        `{(${a}) + (${b}), (${a}) * (${b}), (${a}) % (${b}), math.floor(${a}), tonumber(tostring(${b}))}`,
    ),
);

function simReply(node: SimRedis, script: string): unknown {
  try {
    const reply = node.execute(['EVAL', script, '0']);
    return reply instanceof StatusReply ? reply.text : toClientValue(reply);
  } catch (error) {
    if (error instanceof RedisReplyError) return { error: error.message };
    throw error;
  }
}

function comparable(reply: unknown): unknown {
  if (reply instanceof Error) return { error: reply.message };
  if (typeof reply === 'number' && Math.abs(reply) > 2 ** 53) return `~${reply.toPrecision(12)}`;
  if (Array.isArray(reply)) return reply.map(comparable);
  return reply;
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, db: 9, maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('converts 300 random Lua values like redis-server 7.0 (seed 5)', { timeout: 120_000 }, async () => {
    const node = new SimRedis(
      {},
      { clock: { now: () => 0, sleep: async () => {}, schedule: () => ({ cancel() {} }) } },
    );
    const scripts = fc.sample(expression, { seed: 5, numRuns: 300 }).map((e) => `return ${e}`);
    const pipeline = redis.pipeline();
    for (const script of scripts) pipeline.eval(script, 0);
    const real = ((await pipeline.exec()) ?? []).map(([error, reply]) =>
      error ? { error: (error as Error).message } : reply,
    );
    const mismatches = scripts
      .map((script, i) => ({ script, sim: comparable(simReply(node, script)), real: comparable(real[i]) }))
      .filter((row) => JSON.stringify(row.sim) !== JSON.stringify(row.real));
    expect(mismatches).toEqual([]);
    // The pipeline cached 300 scripts on the shared server: drop nothing else, they are harmless.
  });
});

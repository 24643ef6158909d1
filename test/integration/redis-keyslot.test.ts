// Differential fuzz: keyHashSlot(key) against the real `CLUSTER KEYSLOT` of the 6-node cluster on
// 127.0.0.1:7000 (KEYSLOT needs cluster mode), with keys full of braces, empty tags and non-ASCII.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyHashSlot } from '#src/ports/redis-slots.ts';
import { BACKENDS_SH_HINT, gateBackend } from './backends.ts';

const gate = await gateBackend({ name: 'redis keyslot differential', ports: [7000], hint: BACKENDS_SH_HINT });

/** Keys drawn mostly from brace-heavy alphabets, so every branch of the tag rule is exercised. */
const braceKey = fc.oneof(
  fc.string({ unit: fc.constantFrom('{', '}', 'a', 'b', ''), maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('{', '}', 'x', 'é', '€', '😀', ' '), maxLength: 10 }),
  fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) => `${a}{${b}}${c}`),
  fc.string({ maxLength: 40 }),
);

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 7000, lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it('agrees with CLUSTER KEYSLOT on 2000 brace-heavy keys (seed 4)', { timeout: 60_000 }, async () => {
    const keys = fc.sample(braceKey, { seed: 4, numRuns: 2000 });
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.call('CLUSTER', 'KEYSLOT', key);
    const replies = (await pipeline.exec()) ?? [];
    const mismatches = keys.filter((key, i) => Number(replies[i]?.[1]) !== keyHashSlot(key));
    expect(mismatches).toEqual([]);
    expect(replies).toHaveLength(keys.length);
  });
});

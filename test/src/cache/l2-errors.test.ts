import { describe, expect, it } from 'vitest';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import type { CacheEntry } from '#src/cache/tiered-cache-types.ts';
import type { RedisPort } from '#src/ports/redis.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

// A Redis that answers nothing: every command rejects as a cluster client does while a shard's
// master is down (ioredis: "Too many Cluster redirections").
const down = new Proxy({} as RedisPort, {
  get: () => () =>
    Promise.reject(new Error('Too many Cluster redirections. Last error: Connection is closed.')),
});

function cache(l2Errors: 'throw' | 'miss') {
  const l2 = new RedisL2<CacheEntry<string>>({}, { redis: down });
  return new TieredCache<string>({ strategy: 'read-through', l2, l2Errors }, { clock: new ManualClock() });
}

describe('TieredCache l2Errors', () => {
  it("'throw' (the article's code): a Redis error on the read path fails the read", async () => {
    await expect(cache('throw').get('hello', async () => 'answer')).rejects.toThrow(/Cluster redirections/);
  });

  it("'miss': the read falls through to the loader, and the failed fill is dropped", async () => {
    const read = await cache('miss').get('hello', async () => 'answer');
    expect(read).toMatchObject({ value: 'answer', tier: 'loader' });
  });
});

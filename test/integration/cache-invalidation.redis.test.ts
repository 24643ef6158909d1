// The L1 invalidation broadcast over real Redis pub/sub (127.0.0.1:6379): two "gateway nodes",
// each with its own L1 (LocalCache, article settings), sharing L2 on Redis. Node A's write deletes
// the L2 key and PUBLISHes the hash; node B's subscriber connection (ioredis needs a separate one in
// subscriber mode) drops B's L1 copy. Without the message B would serve its copy for up to 1 min.
// Unique key prefix and channel; everything deleted and closed at the end.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { RedisInvalidationBus } from '#src/cache/invalidation-bus.ts';
import { LocalCache } from '#src/cache/local-cache.ts';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import type { CacheEntry } from '#src/cache/tiered-cache-types.ts';
import type { RedisPort, RedisSubscriber } from '#src/ports/redis.ts';
import { gateBackend, MACHINE_SERVICE_HINT, pollUntil, uniqueName } from './backends.ts';

const PORT = 6379;
const gate = await gateBackend({
  name: 'L1 invalidation over Redis pub/sub 6379',
  ports: [PORT],
  hint: MACHINE_SERVICE_HINT,
});

/** A RedisSubscriber on a dedicated ioredis connection. */
function ioredisSubscriber(connection: Redis): RedisSubscriber {
  return {
    async subscribe(channel, onMessage) {
      const listener = (ch: string, message: string) => {
        if (ch === channel) onMessage(message, ch);
      };
      connection.on('message', listener);
      await connection.subscribe(channel);
      return async () => {
        connection.off('message', listener);
        await connection.unsubscribe(channel);
      };
    },
  };
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  const connections: Redis[] = [];
  const prefix = `${uniqueName('hasim:inv')}:`;
  const channel = uniqueName('hasim:invalidate');
  const clock = new SystemClock();
  const open = async () => {
    const c = new Redis({ host: '127.0.0.1', port: PORT, lazyConnect: true, maxRetriesPerRequest: 2 });
    await c.connect();
    connections.push(c);
    return c;
  };
  let command: Redis;
  const nodes: { cache: TieredCache<string>; l1: LocalCache<string, CacheEntry<string>> }[] = [];

  beforeAll(async () => {
    command = await open();
    for (const name of ['a', 'b']) {
      const random = new SeededRandom(`invalidation/${name}`);
      const l1 = new LocalCache<string, CacheEntry<string>>(
        { maximumSize: 10_000, expireAfterWriteMs: 60_000, recordStats: true },
        { clock, random: random.fork('l1') },
      );
      const l2 = new RedisL2<CacheEntry<string>>(
        { keyPrefix: prefix },
        { redis: command as unknown as RedisPort },
      );
      const bus = new RedisInvalidationBus(
        { channel },
        { redis: command as unknown as RedisPort, subscriber: ioredisSubscriber(await open()) },
      );
      const cache = new TieredCache<string>(
        { strategy: 'cache-aside', l1, l2, bus, nodeId: name },
        { clock, random },
      );
      await cache.start();
      nodes.push({ cache, l1 });
    }
  });

  afterAll(async () => {
    for (const node of nodes) await node.cache.close();
    if (command) {
      const keys = await command.keys(`${prefix}*`);
      if (keys.length > 0) await command.del(...keys);
    }
    for (const c of connections) await c.quit();
  });

  it("node A's write reaches node B's L1 through PUBLISH, well before B's 1 min expiry", {
    timeout: 30_000,
  }, async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const prompt = 'real pub/sub prompt';
    const hash = a.cache.hash(prompt);
    await a.cache.fill(prompt, 'v1');
    expect((await b.cache.get(prompt)).value).toBe('v1'); // L2 hit, back-filled into B's L1
    expect(b.l1.getIfPresent(hash)?.value).toBe('v1');

    await a.cache.write(prompt, 'v2'); // cache-aside: no L3 here, so L2 delete + L1 invalidate + PUBLISH
    const dropped = await pollUntil(
      async () => (b.l1.getIfPresent(hash) === undefined ? true : undefined),
      5_000,
    );
    expect(dropped).toBe(true);
    expect(b.cache.stats().busInvalidations).toBeGreaterThanOrEqual(1);
    expect((await b.cache.get(prompt)).value).toBeUndefined(); // B no longer serves v1
  });
});

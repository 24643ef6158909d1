// L2 contract over the embedded backends: the simulated Redis (sim/redis SimRedis) on a manual
// clock, and ioredis-mock (wall-clock expiry, driven here with a fake
// `Date`). The real-Redis arm is in test/integration/cache-l2.redis.test.ts.
import RedisMock from 'ioredis-mock';
import { vi } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import type { RedisPort } from '#src/ports/redis.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { defineL2Contract } from './cache-l2.contract.ts';

defineL2Contract('L2 contract: ioredis-mock', async () => {
  // ioredis-mock keeps one keyspace per host:port/db; a port of its own keeps this suite apart.
  const redis = new RedisMock({ port: 16_379 });
  vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 });
  return {
    redis: redis as unknown as RedisPort,
    prefix: 'hasim:l2c:',
    advanceMs: (ms) => {
      vi.advanceTimersByTime(ms);
    },
    close: async () => {
      vi.useRealTimers();
      redis.disconnect();
    },
  };
});

defineL2Contract('L2 contract: SimRedis (the simulated redis-server 7)', async () => {
  const clock = new ManualClock(0);
  return {
    redis: new SimRedis({}, { clock }),
    prefix: 'hasim:l2c:',
    advanceMs: (ms) => clock.advance(ms),
    close: async () => {},
  };
});

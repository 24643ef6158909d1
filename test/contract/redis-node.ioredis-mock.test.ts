// The Redis node contract against ioredis-mock, with its Date driven by a test clock so that
// expiry (it reads Date.now) can be fast-forwarded.
import { createIoredisMockPort, useVirtualDate } from '#src/adapters/ioredis-mock.ts';
import { redisNodeContract, SCHEDULE_BASE_MS, scheduleClock } from './redis-node.contract.ts';

redisNodeContract('ioredis-mock', async () => {
  const clock = scheduleClock(0);
  const restoreDate = useVirtualDate(clock, SCHEDULE_BASE_MS);
  // A port of its own: mock instances on the same host:port share a keyspace.
  const redis = createIoredisMockPort({ port: 16379 });
  return {
    redis,
    prefix: 'hasim:contract',
    divergences: new Set([
      'no-argument-errors',
      'no-type-errors',
      'no-script-command',
      'raw-lua-replies',
    ] as const),
    advance: async (ms) => clock.set(clock.now() + ms),
    close: async () => {
      await redis.flushall();
      redis.disconnect();
      restoreDate();
    },
  };
});

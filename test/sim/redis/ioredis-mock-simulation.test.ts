// ioredis-mock as the embedded stand-in inside a simulation: the
// setImmediate barrier (the mock queues process.nextTick), no tripwires (it reads Date.now), and
// useVirtualDate so that its lazy expiry follows the virtual clock.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { createIoredisMockPort, useVirtualDate } from '#src/adapters/ioredis-mock.ts';
import { RedisLimiter } from '#src/limit/lua/redis-limiter.ts';

describe('ioredis-mock driven by a simulation', () => {
  it("expires the article's fixed window on virtual time (seed ioredis-mock-sim)", async () => {
    const sim = new Simulation({ seed: 'ioredis-mock-sim', barrier: 'setImmediate', tripwires: false });
    const restoreDate = useVirtualDate(sim.clock, 1_700_000_000_000);
    const redis = createIoredisMockPort({ port: 16400 });
    try {
      const limiter = new RedisLimiter(
        { algorithm: 'fixed-window', limit: 2, windowMs: 10_000 },
        { redis, clock: sim.clock },
      );
      const task = sim.spawn(async () => {
        const first = [
          await limiter.tryAcquire('u'),
          await limiter.tryAcquire('u'),
          await limiter.tryAcquire('u'),
        ];
        await sim.clock.sleep(9_999);
        const pttlBeforeEdge = await redis.pttl(limiter.redisKey('u'));
        const stillLimited = await limiter.tryAcquire('u');
        await sim.clock.sleep(1);
        const afterEdge = await limiter.tryAcquire('u');
        return { first, pttlBeforeEdge, stillLimited, afterEdge, virtualMs: sim.clock.now() };
      });
      await sim.run();
      expect(await task).toEqual({
        first: [true, true, false],
        pttlBeforeEdge: 1,
        stillLimited: false,
        afterEdge: true,
        virtualMs: 10_000,
      });
    } finally {
      await redis.flushall();
      redis.disconnect();
      restoreDate();
    }
  });
});

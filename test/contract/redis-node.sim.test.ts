// The Redis node contract against the simulated node, on a clock the test moves.
import { SimRedis } from '#sim/redis/node.ts';
import { redisNodeContract, SCHEDULE_BASE_MS, scheduleClock } from './redis-node.contract.ts';

redisNodeContract('SimRedis', async () => {
  // The node's clock is the schedule's: limiter GC expiries follow the same virtual time.
  const clock = scheduleClock(SCHEDULE_BASE_MS);
  const node = new SimRedis({}, { clock });
  return {
    redis: node,
    prefix: 'hasim:contract',
    divergences: new Set(),
    advance: async (ms) => clock.set(clock.now() + ms),
    call: (args) => node.command(args),
    close: async () => {},
  };
});

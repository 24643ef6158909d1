// L2 contract over the machine's real redis-server on 127.0.0.1:6379 (ioredis), with a unique key
// prefix and cleanup. Skipped with a visible reason when nothing listens; failed under CI=true.
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';
import type { RedisPort } from '#src/ports/redis.ts';
import { defineL2Contract } from '../contract/cache-l2.contract.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const PORT = 6379;
const gate = await gateBackend({
  name: 'L2 contract: real Redis 6379',
  ports: [PORT],
  hint: MACHINE_SERVICE_HINT,
});

if (gate.mustFail) {
  describe(gate.title, () => it('has its backend', () => gate.assertAvailable()));
} else if (gate.skip) {
  describe.skip(gate.title, () => it('skipped', () => {}));
} else {
  defineL2Contract(gate.title, async () => {
    const redis = new Redis({ host: '127.0.0.1', port: PORT, lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    return {
      redis: redis as unknown as RedisPort,
      prefix: `${uniqueName('hasim:l2c')}:`,
      close: async () => {
        await redis.quit();
      },
    };
  });
}

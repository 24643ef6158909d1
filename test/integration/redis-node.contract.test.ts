// The Redis node contract against the real redis-server on 127.0.0.1:6379 (keys under a unique
// prefix, deleted afterwards). Skipped with a visible reason when nothing listens.
import { describe, it } from 'vitest';
import { createIoredisPort } from '#src/adapters/ioredis.ts';
import { redisNodeContract } from '../contract/redis-node.contract.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'redis node contract (real 6379)',
  ports: [6379],
  hint: MACHINE_SERVICE_HINT,
});

if (gate.mustFail) {
  describe(gate.title, () => it('has its backend', () => gate.assertAvailable()));
} else if (gate.skip) {
  describe.skip(gate.title, () => it('skipped', () => {}));
} else {
  redisNodeContract('redis-server 127.0.0.1:6379', async () => {
    // Database 9: the one this project's tests may use on the shared server.
    const redis = createIoredisPort({ lazyConnect: true, db: 9 });
    await redis.connect();
    const prefix = uniqueName('hasim:contract');
    return {
      redis,
      prefix,
      divergences: new Set(),
      call: (args) => redis.call(args[0] as string, ...args.slice(1)),
      close: async () => {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  });
}

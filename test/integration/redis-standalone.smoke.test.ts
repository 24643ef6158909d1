// Smoke test for the machine's own Redis on 127.0.0.1:6379 (the standalone L2 cache backend):
// proves ioredis can reach it and that SET with a TTL, GET and DEL behave, before the contract
// suites rely on it. Skipped with a visible reason when nothing listens, failed under CI=true.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const PORT = 6379;
const gate = await gateBackend({ name: 'redis standalone smoke', ports: [PORT], hint: MACHINE_SERVICE_HINT });

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }

  let redis: Redis;
  const key = uniqueName('hasim:smoke:standalone');

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: PORT, lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
  });

  afterAll(async () => {
    if (!redis) return;
    await redis.del(key);
    await redis.quit();
  });

  it('sets a key with a TTL, reads it back and deletes it', { timeout: 30_000 }, async () => {
    expect(await redis.set(key, 'v1', 'EX', 60)).toBe('OK');
    expect(await redis.get(key)).toBe('v1');
    const ttlS = await redis.ttl(key);
    expect(ttlS).toBeGreaterThan(0);
    expect(ttlS).toBeLessThanOrEqual(60);
    expect(await redis.del(key)).toBe(1);
    expect(await redis.get(key)).toBeNull();
    expect(await redis.exists(key)).toBe(0);
  });
});

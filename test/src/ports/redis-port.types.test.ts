// Compile-time proof that the real clients satisfy RedisPort as they are: if an ioredis client,
// an ioredis Cluster or ioredis-mock stopped being assignable, `tsc --noEmit` would fail here.
import type { Cluster, Redis } from 'ioredis';
import type RedisMock from 'ioredis-mock';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RedisPort } from '#src/ports/redis.ts';

describe('RedisPort', () => {
  it('is a structural subset of ioredis Redis, Cluster and ioredis-mock', () => {
    expectTypeOf<Redis>().toExtend<RedisPort>();
    expectTypeOf<Cluster>().toExtend<RedisPort>();
    expectTypeOf<InstanceType<typeof RedisMock>>().toExtend<RedisPort>();
    // Assignments as components write them (no cast needed).
    const assign = (redis: Redis, cluster: Cluster): RedisPort[] => [redis, cluster];
    expect(typeof assign).toBe('function');
  });
});

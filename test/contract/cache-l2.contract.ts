// The L2 contract: one set of test bodies, run over every Redis the cache can sit on
// (ioredis-mock and the in-test ClockRedis in cache-l2.test.ts; a real redis-server 7 in
// test/integration/cache-l2.redis.test.ts; the simulated Redis once it lands). What must hold on
// all of them: the article's key and TTL, JSON round trips (unicode included), misses as
// `undefined`, and the lease scripts' replies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { DEFAULT_L2_TTL_MS, RedisL2 } from '#src/cache/redis-l2.ts';
import type { RedisPort } from '#src/ports/redis.ts';

/** One backend the contract runs on. */
export interface L2Arm {
  readonly redis: RedisPort;
  /** A key prefix no other run shares; every key the suite writes starts with it. */
  readonly prefix: string;
  /** Moves the backend's clock forward, when the backend's time can be controlled (not on real Redis). */
  readonly advanceMs?: (ms: number) => void | Promise<void>;
  /** Deletes what the suite wrote and closes connections. */
  readonly close: () => Promise<void>;
}

const SEED = 'cache-l2-contract';

export function defineL2Contract(title: string, makeArm: () => Promise<L2Arm>): void {
  describe(title, () => {
    let arm: L2Arm;
    let l2: RedisL2<unknown>;
    const written = new Set<string>();
    const hash = (name: string) => {
      written.add(name);
      return name;
    };

    beforeAll(async () => {
      arm = await makeArm();
      l2 = new RedisL2<unknown>(
        { keyPrefix: arm.prefix },
        { redis: arm.redis, random: new SeededRandom(SEED) },
      );
    });

    afterAll(async () => {
      if (!arm) return;
      for (const name of written) await arm.redis.del(l2.key(name));
      await arm.close();
    });

    it('misses are undefined, and PTTL of a missing key is -2', async () => {
      expect(await l2.get(hash('absent'))).toBeUndefined();
      expect(await l2.pttl(hash('absent'))).toBe(-2);
      expect(await l2.delete(hash('absent'))).toBe(false);
    });

    it('writes JSON under prefix + hash with the 1 h TTL (SET EX 3600), observed through PTTL and TTL', async () => {
      const h = hash('ttl-default');
      expect(await l2.set(h, { text: 'ok' })).toBe(DEFAULT_L2_TTL_MS);
      expect(await arm.redis.get(arm.prefix + h)).toBe('{"text":"ok"}');
      const pttl = await l2.pttl(h);
      expect(pttl).toBeGreaterThan(DEFAULT_L2_TTL_MS - 5_000);
      expect(pttl).toBeLessThanOrEqual(DEFAULT_L2_TTL_MS);
      expect(await arm.redis.ttl(arm.prefix + h)).toBe(3600);
    });

    it('a TTL that is not whole seconds goes out as PX', async () => {
      const h = hash('ttl-px');
      await l2.set(h, 'v', 1_500);
      const pttl = await l2.pttl(h);
      expect(pttl).toBeGreaterThan(1_000);
      expect(pttl).toBeLessThanOrEqual(1_500);
    });

    it('round-trips values through JSON, unicode and nesting included', async () => {
      const values: unknown[] = [
        '你好，世界',
        'emoji 🚀 and a lone surrogate-free pair 𝄞',
        { model: 'gpt-4o', text: 'Grüße\n"quoted"\t\\', tokens: [1, 2, 3], nested: { ok: true, none: null } },
        0,
        -1.5,
        false,
        [],
        '',
      ];
      for (const [i, value] of values.entries()) {
        const h = hash(`json-${i}`);
        await l2.set(h, value);
        expect(await l2.get(h)).toEqual(value);
      }
    });

    it('delete removes the key; a second delete finds nothing', async () => {
      const h = hash('delete');
      await l2.set(h, 'v');
      expect(await l2.delete(h)).toBe(true);
      expect(await l2.get(h)).toBeUndefined();
      expect(await l2.delete(h)).toBe(false);
    });

    it('expires after the TTL (boundary excluded: absent 1 ms past the TTL)', async (ctx) => {
      if (!arm.advanceMs) ctx.skip();
      const h = hash('expiry');
      await l2.set(h, 'v', 1_000);
      await arm.advanceMs?.(999);
      expect(await l2.get(h)).toBe('v');
      await arm.advanceMs?.(2);
      expect(await l2.get(h)).toBeUndefined();
      expect(await l2.pttl(h)).toBe(-2);
    });

    it('lease: a miss grants one lease, a second reader waits, the holder sets the value', async () => {
      const h = hash('lease');
      const first = await l2.leaseGet(h);
      expect(first.kind).toBe('lease');
      expect((await l2.leaseGet(h)).kind).toBe('wait');
      expect(await l2.get(h)).toBeUndefined(); // the marker is not a value
      const leasePttl = await l2.pttl(h);
      expect(leasePttl).toBeGreaterThan(0);
      expect(leasePttl).toBeLessThanOrEqual(l2.leaseTtlMs);
      if (first.kind !== 'lease') throw new Error('unreachable');
      expect(await l2.leaseSet(h, first.token, { text: 'v1 ✓' })).toBe(true);
      expect(await l2.leaseGet(h)).toEqual({ kind: 'hit', value: { text: 'v1 ✓' } });
      expect(await l2.pttl(h)).toBeGreaterThan(l2.leaseTtlMs);
    });

    it('lease: a delete revokes the lease, so the late (stale) set is refused', async () => {
      const h = hash('lease-revoked');
      const lease = await l2.leaseGet(h);
      if (lease.kind !== 'lease') throw new Error(`expected a lease, got ${lease.kind}`);
      expect(await l2.delete(h)).toBe(true);
      expect(await l2.leaseSet(h, lease.token, 'stale')).toBe(false);
      expect(await l2.get(h)).toBeUndefined();
      // A newer lease does not honour the old token either.
      const newer = await l2.leaseGet(h);
      expect(newer.kind).toBe('lease');
      expect(await l2.leaseSet(h, lease.token, 'stale')).toBe(false);
    });
  });
}

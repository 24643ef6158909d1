// Every default in docs/cache.md "Parameters (units, defaults)", observed through behaviour where
// it has one (a flush after 1,000 ms, 100 rows per statement, the 1,001st key run by the caller,
// 100 lease waits of 10 ms), so that the page cannot drift from the code unnoticed.
import { describe, expect, it } from 'vitest';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { inSim, makeNode, sharedBackends } from './helpers/stack.ts';

const SEED = 'documented-defaults';

describe('docs/cache.md parameters: the defaults', () => {
  it('RedisL2: ttlMs 3,600,000, no jitter, keyPrefix llm:, leaseTtlMs 10,000; MysqlL3: table llm_cache', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const l2 = new RedisL2<string>({}, { redis: shared.redis });
      const l3 = new MysqlL3<string>({}, { sql: shared.sql, clock: sim.clock });
      return {
        ttlMs: l2.ttlMs,
        ttlJitterRatio: l2.ttlJitterRatio,
        draws: [l2.drawTtlMs(), l2.drawTtlMs()],
        key: l2.key('h'),
        leaseTtlMs: l2.leaseTtlMs,
        table: l3.table,
      };
    });
    expect(o).toEqual({
      ttlMs: 3_600_000,
      ttlJitterRatio: 0,
      draws: [3_600_000, 3_600_000],
      key: 'llm:h',
      leaseTtlMs: 10_000,
      table: 'llm_cache',
    });
  });

  it("TieredCache: hashScheme 'article', singleFlight off", async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(100);
        return 'answer';
      };
      const { cache, get } = makeNode<string>(sim, shared, { strategy: 'read-through', loader, l3: false });
      await Promise.all([get('p'), get('p')]);
      return { hash: cache.hash('hello'), calls };
    });
    expect(o).toEqual({ hash: 'LPJNul+wow4m6Dsq', calls: 2 });
  });

  it('xfetch, refreshAfterWriteMs, negativeTtlMs, leases and bus are off: no early or background load, no negative entry', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const loader = async (prompt: string) => {
        await sim.clock.sleep(10_000); // Δ = 10 s: XFetch, if on, would fire near expiry almost surely
        return prompt === 'absent' ? undefined : 'answer';
      };
      const { cache, get } = makeNode<string>(sim, shared, { strategy: 'read-through', loader, l1: false });
      await get('p'); // stored at t = 10 s, L2 copy until 3,610,000 ms
      while (sim.clock.now() < 3_590_000) {
        await sim.clock.sleep(10_000);
        await get('p');
      }
      await sim.clock.sleep(3_609_900 - sim.clock.now());
      await get('p'); // 100 ms before expiry: XFetch would fire with probability e^(-0.01)
      await get('absent');
      await get('absent');
      return { stats: cache.stats(), absentInL2: await shared.redis.exists(`llm:${cache.hash('absent')}`) };
    });
    expect(o.stats).toMatchObject({
      loaderCalls: 3, // 'p' once, 'absent' twice
      earlyRefreshes: 0,
      refreshes: 0,
      negativeHits: 0,
      leaseWaits: 0,
      busInvalidations: 0,
    });
    expect(o.absentInL2).toBe(0);
  });

  it('write-behind: flushIntervalMs 1,000, batchSize 100, capacity 1,000 with caller-runs', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache } = makeNode<string>(sim, shared, { strategy: 'write-behind', l1: false });
      const inserts = () => shared.sql.count('INSERT');
      const before = inserts();
      await cache.write('first', 'v');
      await sim.clock.sleep(999);
      const at999 = inserts() - before;
      await sim.clock.sleep(1);
      const at1000 = inserts() - before;
      for (let i = 0; i < 1_001; i++) await cache.write(`k${i}`, 'v'); // the 1,001st finds the queue full
      const queued = cache.queuedWrites;
      const beforeFlush = inserts();
      await cache.flush();
      return {
        at999,
        at1000,
        queued,
        flushStatements: inserts() - beforeFlush,
        stats: cache.stats(),
      };
    });
    expect(o.at999).toBe(0);
    expect(o.at1000).toBe(1);
    expect(o.queued).toBe(1_000);
    expect(o.flushStatements).toBe(10); // 1,000 rows, 100 per statement
    expect(o.stats).toMatchObject({ callerRunsWrites: 1, rejectedWrites: 0, flushedWrites: 1_001 });
  });

  it('leases: a reader meeting another holder waits 10 ms at a time, 100 times, then gives up', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const holder = makeNode<string>(sim, shared, { name: 'holder', leases: {}, l3: false });
      const reader = makeNode<string>(sim, shared, { name: 'reader', leases: {}, l3: false });
      await holder.cache.get('p'); // cache-aside miss: the holder now has the lease and never fills
      const from = sim.clock.now();
      const read = await reader.cache.get('p');
      return {
        got: read.value,
        tier: read.tier,
        readWaits: read.leaseWaits,
        waitedMs: sim.clock.now() - from,
        leaseWaits: reader.cache.stats().leaseWaits,
      };
    });
    expect(o).toEqual({ got: undefined, tier: 'miss', readWaits: 100, waitedMs: 1_000, leaseWaits: 100 });
  });
});

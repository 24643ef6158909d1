// The tiered cache on real backends: L2 on redis-server 127.0.0.1:6379, L3 on MariaDB
// 127.0.0.1:3306 (db `test`), the system clock. Same component code as in the simulations.
// Unique key prefix and table; both removed at the end. No sleeps: the stale-set interleaving is
// forced by holding the reader's SELECT reply until the writer is done.
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { LocalCache } from '#src/cache/local-cache.ts';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import type { CacheEntry, CacheStrategy, CacheTier, LeaseOptions } from '#src/cache/tiered-cache-types.ts';
import type { WriteBehindOptions } from '#src/cache/write-behind-queue.ts';
import type { RedisPort } from '#src/ports/redis.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '#src/ports/sql.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'tiered cache on real Redis 6379 + MariaDB 3306',
  ports: [6379, 3306],
  hint: MACHINE_SERVICE_HINT,
});

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backends', () => gate.assertAvailable());
    return;
  }
  const clock = new SystemClock();
  const prefix = `${uniqueName('hasim:tiered')}:`;
  const table = uniqueName('hasim_tiered').replace(/[^A-Za-z0-9_]/g, '_');
  let redis: Redis;
  let pool: mysql.Pool;
  /**
   * When set, the next SELECT runs, reports that it ran, and its reply waits for `release` (the
   * "slow replica" of the stale-set race).
   */
  let hold: { ran: () => void; release: Promise<void> } | undefined;
  let sql: SqlPort;

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    pool = mysql.createPool({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      database: 'test',
      connectionLimit: 4,
    });
    sql = {
      async query<Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) {
        const [result] = await pool.query(text, params as unknown[]);
        if (text.startsWith('SELECT') && hold) {
          const { ran, release } = hold;
          hold = undefined;
          ran();
          await release;
        }
        if (Array.isArray(result)) return { rows: result as Row[], affectedRows: 0 } satisfies SqlResult<Row>;
        return { rows: [], affectedRows: (result as mysql.ResultSetHeader).affectedRows };
      },
    };
    await new MysqlL3({ table }, { sql, clock }).createTable();
  });

  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    if (pool) {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    }
  });

  function node(
    name: string,
    options: { strategy: CacheStrategy; leases?: LeaseOptions | undefined; writeBehind?: WriteBehindOptions },
  ) {
    const random = new SeededRandom(`tiered-real/${name}`);
    const l1 = new LocalCache<string, CacheEntry<string>>(
      { maximumSize: 10_000, expireAfterWriteMs: 60_000, recordStats: true },
      { clock, random: random.fork('l1') },
    );
    const l2 = new RedisL2<CacheEntry<string>>(
      { keyPrefix: prefix },
      { redis: redis as unknown as RedisPort, random: random.fork('l2') },
    );
    const l3 = new MysqlL3<string>({ table }, { sql, clock });
    return {
      cache: new TieredCache<string>({ l1, l2, l3, nodeId: name, ...options }, { clock, random }),
      l1,
      l2,
      l3,
    };
  }

  const read = (value: string, tier: CacheTier) => ({ value, tier, leaseWaits: 0, refreshStarted: false });

  it('read-through: loader once, then L3, L2 and L1 hold it; a second node hits L2', async () => {
    let calls = 0;
    const loader = async (p: string) => {
      calls++;
      return `llm(${p})`;
    };
    const a = node('a', { strategy: 'read-through' });
    const b = node('b', { strategy: 'read-through' });
    expect(await a.cache.get('real prompt 1', loader)).toEqual(read('llm(real prompt 1)', 'loader'));
    expect(await a.cache.get('real prompt 1', loader)).toEqual(read('llm(real prompt 1)', 'l1'));
    expect(await b.cache.get('real prompt 1', loader)).toEqual(read('llm(real prompt 1)', 'l2'));
    expect(calls).toBe(1);
    expect(a.cache.stats()).toMatchObject({ loaderCalls: 1, l1Hits: 1 });
    expect(b.cache.stats()).toMatchObject({ l2Hits: 1, loaderCalls: 0 });
    expect(await a.l3.get(a.cache.hash('real prompt 1'))).toBe('llm(real prompt 1)');
    const pttl = await a.l2.pttl(a.cache.hash('real prompt 1'));
    expect(pttl).toBeGreaterThan(3_590_000);
  });

  it('write-behind: caches at once, L3 on flush(); a crash counts what was still queued', async () => {
    const w = node('w', { strategy: 'write-behind', writeBehind: { flushIntervalMs: 3_600_000 } });
    await w.cache.write('wb 1', 'x1');
    await w.cache.write('wb 2', 'x2');
    expect(await w.l3.get(w.cache.hash('wb 1'))).toBeUndefined();
    expect((await w.cache.get('wb 1')).value).toBe('x1');
    await w.cache.flush();
    expect(await w.l3.get(w.cache.hash('wb 1'))).toBe('x1');
    await w.cache.write('wb 3', 'x3');
    expect(w.cache.crash()).toBe(1);
    expect(w.cache.stats()).toMatchObject({ flushedWrites: 2, lostWrites: 1 });
    expect(await w.l3.get(w.cache.hash('wb 3'))).toBeUndefined();
  });

  it('stale set on real Redis: without leases the late SET wins; with leases it is refused', async () => {
    for (const leases of [false, true]) {
      const prompt = `stale prompt ${leases}`;
      const opts = {
        strategy: 'cache-aside' as const,
        leases: leases ? { waitMs: 5, maxWaits: 2 } : undefined,
      };
      const reader = node(`reader-${leases}`, opts);
      const writer = node(`writer-${leases}`, opts);
      const later = node(`later-${leases}`, opts);
      await reader.l3.put(reader.cache.hash(prompt), 'v1');
      let release!: () => void;
      let ran!: () => void;
      const selectRan = new Promise<void>((resolve) => {
        ran = resolve;
      });
      hold = { ran, release: new Promise((resolve) => (release = resolve)) };
      const read = reader.cache.get(prompt); // misses L1/L2; its SELECT reads v1, reply held
      await selectRan;
      await writer.cache.write(prompt, 'v2'); // L3 = v2, DEL L2 (revokes any lease)
      release();
      expect((await read).value).toBe('v1');
      expect((await later.cache.get(prompt)).value).toBe(leases ? 'v2' : 'v1');
      expect(reader.cache.stats().staleSetsRefused).toBe(leases ? 1 : 0);
    }
  });
});

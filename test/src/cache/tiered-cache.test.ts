// The article's read path (section 2.2) and the four strategies of its table (section 2.3), each
// on a seeded Simulation with the article's L1 (LocalCache), L2 on a clock Redis and L3 on SQLite.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import { WriteBehindQueueFullError } from '#src/cache/write-behind-queue.ts';
import type { Clock } from '#src/ports/clock.ts';
import { SqlError, type SqlPort, type SqlResult, type SqlRow, type SqlValue } from '#src/ports/sql.ts';
import { LoggedSql } from './helpers/logged-sql.ts';
import { inSim as inSimOf, makeNode, sharedBackends } from './helpers/stack.ts';

const SEED = 'tiered-cache';

const inSim = <T>(body: (sim: Simulation) => Promise<T>) => inSimOf(SEED, body);

describe('read path: L1 → L2 (back-fill L1) → L3 (back-fill L2, L1)', () => {
  it('cache-aside: miss, fill (the article cacheResponse), L1 hit, L2 hit after L1 expiry, L3 hit', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache, l1, l3, get } = makeNode<string>(sim, shared);
      const out: unknown[] = [];
      const tiers: string[] = [];
      const read = async (prompt: string) => {
        const { value, tier } = await get(prompt);
        tiers.push(tier);
        return value;
      };
      out.push(await read('p1')); // nothing anywhere
      expect(await cache.fill('p1', 'answer 1')).toBe(true);
      out.push(await shared.redis.pttl(`llm:${cache.hash('p1')}`)); // L2 TTL: 1 h, as SET EX 3600
      out.push(await read('p1')); // L1 hit
      await sim.clock.sleep(60_000); // the article's L1 expireAfterWrite(1 min): gone at exactly 60 s
      out.push(l1?.getIfPresent(cache.hash('p1')));
      out.push(await read('p1')); // L2 hit, back-fills L1
      out.push(l1?.getIfPresent(cache.hash('p1'))?.value);
      await l3?.put(cache.hash('p2'), 'stored 2');
      out.push(await read('p2')); // L3 hit, back-fills L2 and L1
      out.push((await shared.redis.get(`llm:${cache.hash('p2')}`)) !== null);
      out.push(cache.stats());
      out.push(shared.trace.kinds());
      out.push(tiers);
      return out;
    });
    expect(seen.slice(0, 8)).toEqual([
      undefined,
      3_600_000,
      'answer 1',
      undefined,
      'answer 1',
      'answer 1',
      'stored 2',
      true,
    ]);
    expect(seen[8]).toMatchObject({
      requests: 4,
      l1Hits: 1,
      l2Hits: 1,
      l3Hits: 1,
      misses: 1,
      loaderCalls: 0,
    });
    expect(seen[9]).toEqual([
      'l1-miss',
      'l2-miss',
      'l3-miss',
      'fill',
      'l1-hit',
      'l1-miss',
      'l2-hit',
      'l1-miss',
      'l2-miss',
      'l3-hit',
      'fill',
    ]);
    expect(seen[10]).toEqual(['miss', 'l1', 'l2', 'l3']);
  });

  it('read-through: the cache calls the loader once, stores the answer in L3, L2 and L1, with Δ measured', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async (prompt: string) => {
        calls++;
        await sim.clock.sleep(2_000); // an LLM call
        return prompt === 'unknown' ? undefined : `llm(${prompt})`;
      };
      const { cache, l3, get } = makeNode<string>(sim, shared, { strategy: 'read-through', loader });
      const first = (await get('p')).value;
      const second = (await get('p')).value;
      const entry = JSON.parse((await shared.redis.get(`llm:${cache.hash('p')}`)) as string);
      const none = (await get('unknown')).value;
      return {
        first,
        second,
        calls,
        stored: await l3?.get(cache.hash('p')),
        entry,
        none,
        stats: cache.stats(),
      };
    });
    expect(seen.first).toBe('llm(p)');
    expect(seen.second).toBe('llm(p)');
    expect(seen.stored).toBe('llm(p)');
    expect(seen.entry).toEqual({
      value: 'llm(p)',
      writtenAtMs: 2_000,
      expiresAtMs: 3_602_000,
      deltaMs: 2_000,
    });
    expect(seen.none).toBeUndefined();
    expect(seen.calls).toBe(2);
    expect(seen.stats).toMatchObject({ loaderCalls: 2, l1Hits: 1, misses: 2 });
  });
});

describe('write paths of the four strategies', () => {
  it('cache-aside and read-through: write updates L3, then deletes L2 and L1', async () => {
    for (const strategy of ['cache-aside', 'read-through'] as const) {
      const seen = await inSim(async (sim) => {
        const shared = await sharedBackends(sim);
        const { cache, l1, l3 } = makeNode<string>(sim, shared, { strategy, loader: async () => 'loaded' });
        await cache.fill('p', 'old');
        await cache.write('p', 'new');
        const h = cache.hash('p');
        return [await l3?.get(h), await shared.redis.get(`llm:${h}`), l1?.getIfPresent(h)];
      });
      expect(seen, strategy).toEqual(['new', null, undefined]);
    }
  });

  it('write-through: L3, L2 and L1 all hold the new value when write() returns', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache, l1, l3 } = makeNode<string>(sim, shared, { strategy: 'write-through' });
      await cache.write('p', 'v1');
      const h = cache.hash('p');
      return [
        await l3?.get(h),
        JSON.parse((await shared.redis.get(`llm:${h}`)) as string).value,
        l1?.getIfPresent(h)?.value,
      ];
    });
    expect(seen).toEqual(['v1', 'v1', 'v1']);
  });

  it('write-behind: caches now, L3 after flushIntervalMs in one batch, writes to one key coalesced', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache, l3, get } = makeNode<string>(sim, shared, {
        strategy: 'write-behind',
        writeBehind: { flushIntervalMs: 500 },
      });
      const h = (p: string) => cache.hash(p);
      await cache.write('a', 'a1');
      await cache.write('b', 'b1');
      await cache.write('a', 'a2');
      const before = [await l3?.get(h('a')), (await get('a')).value, cache.queuedWrites];
      const replaces = shared.sql.count('INSERT');
      await sim.clock.sleep(500);
      const after = [
        await l3?.get(h('a')),
        await l3?.get(h('b')),
        cache.queuedWrites,
        shared.sql.count('INSERT') - replaces,
      ];
      return { before, after, stats: cache.stats() };
    });
    expect(seen.before).toEqual([undefined, 'a2', 2]);
    expect(seen.after).toEqual(['a2', 'b1', 0, 1]);
    expect(seen.stats).toMatchObject({ queuedWrites: 3, flushedWrites: 2, lostWrites: 0 });
  });

  it('write-behind crash: queued writes are lost and counted, never hidden', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache, l3 } = makeNode<string>(sim, shared, {
        strategy: 'write-behind',
        writeBehind: { flushIntervalMs: 1_000 },
      });
      for (let i = 0; i < 5; i++) await cache.write(`p${i}`, `v${i}`);
      await sim.clock.sleep(1_000); // first flush: p0..p4 reach L3
      for (let i = 5; i < 12; i++) await cache.write(`p${i}`, `v${i}`);
      await sim.clock.sleep(400);
      const lost = cache.crash(); // before the second flush at 2 000 ms
      await sim.clock.sleep(5_000);
      const inL3: number[] = [];
      for (let i = 0; i < 12; i++) if ((await l3?.get(cache.hash(`p${i}`))) !== undefined) inL3.push(i);
      return { lost, inL3, stats: cache.stats() };
    });
    expect(seen.lost).toBe(7);
    expect(seen.inL3).toEqual([0, 1, 2, 3, 4]);
    expect(seen.stats).toMatchObject({ queuedWrites: 12, flushedWrites: 5, lostWrites: 7 });
  });

  it('write-behind flush with L3 down: one failed pass rejects, the rows stay queued, the timer retries', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const l3Port = new L3Switch(shared.sql, sim.clock);
      const { cache, l3 } = makeNode<string>(
        sim,
        { ...shared, sql: new LoggedSql(l3Port, sim.clock) },
        {
          strategy: 'write-behind',
          writeBehind: { flushIntervalMs: 500 },
        },
      );
      await cache.write('a', 'a1');
      await cache.write('b', 'b1');
      l3Port.down = true; // a crashed MariaDB answers 2003 at once
      let error: unknown;
      try {
        await cache.flush();
      } catch (e) {
        error = e;
      }
      const afterFlush = { attempts: l3Port.attempts, queued: cache.queuedWrites, stats: cache.stats() };
      l3Port.down = false;
      await sim.clock.sleep(500); // the flush timer, re-armed by the failed flush, writes them
      return {
        errno: (error as SqlError | undefined)?.errno,
        afterFlush,
        inL3: [await l3?.get(cache.hash('a')), await l3?.get(cache.hash('b'))],
        queued: cache.queuedWrites,
        stats: cache.stats(),
      };
    });
    expect(seen.errno).toBe(2003);
    // Before the fix flush() re-sent the re-queued rows until L3 came back: an endless loop when
    // the failure is immediate (L3Switch gives up being down after 100 attempts so that it ends).
    expect(seen.afterFlush.attempts).toBe(1);
    expect(seen.afterFlush.queued).toBe(2);
    expect(seen.afterFlush.stats).toMatchObject({ flushFailures: 1, flushedWrites: 0, lostWrites: 0 });
    expect(seen.inL3).toEqual(['a1', 'b1']);
    expect(seen.queued).toBe(0);
    expect(seen.stats).toMatchObject({ flushFailures: 1, flushedWrites: 2, lostWrites: 0 });
  });

  it('write-behind crash during a flush: the in-flight batch counts as lost once if it fails, flushed if it lands', async () => {
    const run = (l3Fails: boolean) =>
      inSim(async (sim) => {
        const shared = await sharedBackends(sim);
        const l3Port = new L3Switch(shared.sql, sim.clock);
        l3Port.delayMs = 100; // the batch is in flight for 100 ms
        const { cache, l3 } = makeNode<string>(
          sim,
          { ...shared, sql: new LoggedSql(l3Port, sim.clock) },
          { strategy: 'write-behind', writeBehind: { flushIntervalMs: 1_000 } },
        );
        for (const p of ['p0', 'p1', 'p2']) await cache.write(p, `${p}v`);
        l3Port.down = l3Fails;
        await sim.clock.sleep(1_050); // the flush of p0..p2 started at 1 000 ms
        for (const p of ['p3', 'p4']) await cache.write(p, `${p}v`);
        const lostAtCrash = cache.crash(); // p3, p4 (queued); p0..p2 are in flight
        await sim.clock.sleep(5_000);
        l3Port.down = false;
        const inL3: string[] = [];
        for (const p of ['p0', 'p1', 'p2', 'p3', 'p4'])
          if ((await l3?.get(cache.hash(p))) !== undefined) inL3.push(p);
        return { lostAtCrash, inL3, queued: cache.queuedWrites, stats: cache.stats() };
      });
    const failed = await run(true);
    expect(failed.lostAtCrash).toBe(2);
    expect(failed.inL3).toEqual([]);
    expect(failed.queued).toBe(0); // nothing re-queued into the dead instance
    expect(failed.stats).toMatchObject({
      queuedWrites: 5,
      flushedWrites: 0,
      flushFailures: 1,
      lostWrites: 5,
    });
    const landed = await run(false);
    expect(landed.lostAtCrash).toBe(2);
    expect(landed.inL3).toEqual(['p0', 'p1', 'p2']);
    expect(landed.stats).toMatchObject({
      queuedWrites: 5,
      flushedWrites: 3,
      flushFailures: 0,
      lostWrites: 2,
    });
  });

  it('write-behind full queue: caller-runs writes L3 itself; reject refuses before touching any level', async () => {
    const seen = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const runs = makeNode<string>(sim, shared, {
        name: 'runs',
        strategy: 'write-behind',
        writeBehind: { capacity: 2, queueFullPolicy: 'caller-runs' },
      });
      for (const p of ['a', 'b', 'c']) await runs.cache.write(p, `${p}1`);
      await runs.cache.write('a', 'a2'); // a queued key is not a new entry: accepted
      const runsView = [
        await runs.l3?.get(runs.cache.hash('c')),
        await runs.l3?.get(runs.cache.hash('a')),
        runs.cache.stats(),
      ];
      const rejects = makeNode<string>(sim, shared, {
        name: 'rejects',
        strategy: 'write-behind',
        writeBehind: { capacity: 1, queueFullPolicy: 'reject' },
      });
      await rejects.cache.write('x', 'x1');
      let error: unknown;
      try {
        await rejects.cache.write('y', 'y1');
      } catch (e) {
        error = e;
      }
      const rejectView = [
        error instanceof WriteBehindQueueFullError,
        (await rejects.get('y')).value,
        rejects.cache.stats().rejectedWrites,
      ];
      await runs.cache.close();
      await rejects.cache.close();
      return { runsView, rejectView };
    });
    expect(seen.runsView.slice(0, 2)).toEqual(['c1', undefined]);
    expect(seen.runsView[2]).toMatchObject({ callerRunsWrites: 1, queuedWrites: 3 });
    expect(seen.rejectView).toEqual([true, undefined, 1]);
  });
});

describe('options', () => {
  const sim = new Simulation({ seed: SEED });
  const l2 = new RedisL2({}, { redis: { get: async () => null } as never });
  const ports = { clock: sim.clock, random: sim.random } as const;
  it.each([
    [{ strategy: 'write-around' }, /strategy must be one of/],
    [{ strategy: 'write-behind' }, /write-behind needs an l3/],
    [{ strategy: 'cache-aside', refreshAfterWriteMs: 0 }, /refreshAfterWriteMs must be a positive integer/],
    [{ strategy: 'cache-aside', xfetch: { beta: 0 } }, /xfetch.beta must be > 0/],
    [
      { strategy: 'write-behind', l3: {}, writeBehind: { capacity: -1 } },
      /writeBehind.capacity must be a positive integer/,
    ],
  ])('rejects %o', (bad, message) => {
    expect(() => new TieredCache({ l2, ...bad } as never, ports)).toThrow(message);
  });

  it('read-through without an l3 needs a loader on a full miss', async () => {
    const o = await inSim(async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache } = makeNode<string>(sim, shared, { strategy: 'read-through', l3: false });
      return cache.get('p').then(
        () => 'resolved',
        (e: Error) => e.message,
      );
    });
    expect(o).toMatch(/read-through without an l3 needs a loader/);
  });
});

/**
 * An L3 connection that can be taken down: while `down`, every statement fails with MariaDB's
 * 2003 "Can't connect" (after `delayMs`, 0 = at once, like a crashed server). It gives up being
 * down after 100 failed attempts, so that code that retries forever ends (and fails the test).
 */
class L3Switch implements SqlPort {
  down = false;
  delayMs = 0;
  attempts = 0;
  constructor(
    readonly inner: SqlPort,
    readonly clock: Clock,
  ) {}
  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    if (this.delayMs > 0) await this.clock.sleep(this.delayMs);
    if (this.down && /^INSERT/i.test(sql)) {
      if (++this.attempts >= 100) this.down = false;
      throw new SqlError(2003, 'HY000', "Can't connect to MySQL server on '127.0.0.1' (111)");
    }
    return this.inner.query<Row>(sql, params);
  }
}

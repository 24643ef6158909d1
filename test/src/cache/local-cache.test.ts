import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { LocalCache, type LocalCacheOptions } from '#src/cache/local-cache.ts';
import { initialRegions } from '#src/cache/wtinylfu/window-tiny-lfu.ts';
import type { Clock } from '#src/ports/clock.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const SEED = 'local-cache-conformance';

function cache(options: LocalCacheOptions, clock: Clock = new ManualClock()) {
  return new LocalCache<string, string>(options, { clock, random: new SeededRandom(SEED) });
}

describe('LocalCache: expiry boundaries (Caffeine 3.2.2)', () => {
  // Each row: configure, write at t=0, optionally read at `touchAt`, then read at `readAt`.
  const rows: {
    name: string;
    source: string;
    options: LocalCacheOptions;
    touchAt?: number;
    readAt: number;
    present: boolean;
  }[] = [
    {
      name: 'expireAfterWrite: present 1 ms before the duration',
      source:
        'BoundedLocalCache.hasExpired: (now - writeTime) >= expiresAfterWriteNanos; ExpireAfterWriteTest.getIfPresent',
      options: { expireAfterWriteMs: 60_000 },
      readAt: 59_999,
      present: true,
    },
    {
      name: 'expireAfterWrite: absent at exactly the duration (>=)',
      source: 'BoundedLocalCache.hasExpired; ExpireAfterWriteTest.getIfPresent',
      options: { expireAfterWriteMs: 60_000 },
      readAt: 60_000,
      present: false,
    },
    {
      name: 'expireAfterWrite: a read does not extend the lifetime',
      source: 'ExpireAfterWriteTest.getIfPresent (reads do not reset the write time)',
      options: { expireAfterWriteMs: 60_000 },
      touchAt: 30_000,
      readAt: 60_000,
      present: false,
    },
    {
      name: 'expireAfterAccess: absent at exactly the duration with no read',
      source: 'BoundedLocalCache.hasExpired: (now - accessTime) >= expiresAfterAccessNanos',
      options: { expireAfterAccessMs: 10_000 },
      readAt: 10_000,
      present: false,
    },
    {
      name: 'expireAfterAccess: a read resets the clock',
      source: 'ExpireAfterAccessTest.getIfPresent (setAccessTime on read)',
      options: { expireAfterAccessMs: 10_000 },
      touchAt: 9_999,
      readAt: 19_998,
      present: true,
    },
    {
      name: 'expireAfterAccess: ...and expires exactly one duration after that read',
      source: 'ExpireAfterAccessTest.getIfPresent',
      options: { expireAfterAccessMs: 10_000 },
      touchAt: 9_999,
      readAt: 19_999,
      present: false,
    },
    {
      name: 'expireAfterAccess with a maximum (W-TinyLFU access-order deques)',
      source: 'BoundedLocalCache.expireAfterAccessEntries over window/probation/protected',
      options: { expireAfterAccessMs: 10_000, maximumSize: 100 },
      touchAt: 5_000,
      readAt: 15_000,
      present: false,
    },
  ];

  it.each(rows)('$name ($source)', ({ options, touchAt, readAt, present }) => {
    const clock = new ManualClock();
    const c = cache({ ...options, recordStats: true }, clock);
    c.put('k', 'v');
    if (touchAt !== undefined) {
      clock.nowMs = touchAt;
      expect(c.getIfPresent('k')).toBe('v');
    }
    clock.nowMs = readAt;
    expect(c.getIfPresent('k')).toBe(present ? 'v' : undefined);
    // An expired entry is a miss, and its removal counts as an eviction (RemovalCause.EXPIRED).
    expect(c.stats().evictionCount).toBe(present ? 0 : 1);
    expect(c.estimatedSize()).toBe(present ? 1 : 0);
  });

  it('put over an expired entry evicts it (EXPIRED) and starts a new lifetime', () => {
    const clock = new ManualClock();
    const c = cache({ expireAfterWriteMs: 1_000, recordStats: true }, clock);
    c.put('k', 'a');
    clock.nowMs = 1_000;
    c.put('k', 'b');
    expect(c.stats().evictionCount).toBe(1);
    clock.nowMs = 1_999;
    expect(c.getIfPresent('k')).toBe('b');
  });

  it('a put replaces the value and resets the write time (CacheTest.put_replace_differentValue)', () => {
    const clock = new ManualClock();
    const c = cache({ expireAfterWriteMs: 1_000 }, clock);
    c.put('k', 'a');
    clock.nowMs = 900;
    c.put('k', 'b');
    clock.nowMs = 1_899;
    expect(c.getIfPresent('k')).toBe('b');
    clock.nowMs = 1_900;
    expect(c.getIfPresent('k')).toBeUndefined();
  });
});

describe('LocalCache: stats (Caffeine CacheStats)', () => {
  it('counts hits, misses, and evictions; invalidate is not an eviction (CacheStats.evictionCount javadoc)', () => {
    const c = cache({ maximumSize: 2, recordStats: true, policy: 'lru' });
    expect(c.getIfPresent('a')).toBeUndefined(); // miss
    c.put('a', '1'); // put is not a stat
    c.put('b', '2');
    expect(c.getIfPresent('a')).toBe('1'); // hit
    c.put('c', '3'); // evicts b (LRU)
    expect(c.getIfPresent('b')).toBeUndefined(); // miss
    c.invalidate('a'); // explicit: not counted
    const s = c.stats();
    expect([s.hitCount, s.missCount, s.evictionCount, s.evictionWeight]).toEqual([1, 2, 1, 1]);
    expect(s.hitRate()).toBeCloseTo(1 / 3, 12);
    expect(c.estimatedSize()).toBe(1);
  });

  it('is all zero without recordStats (CacheStats.empty)', () => {
    const c = cache({ maximumSize: 1 });
    c.getIfPresent('x');
    c.put('a', '1');
    c.put('b', '2');
    const s = c.stats();
    expect([s.hitCount, s.missCount, s.evictionCount]).toEqual([0, 0, 0]);
    expect(s.hitRate()).toBe(1); // Caffeine: no requests -> hit rate 1.0
  });

  const loads: {
    name: string;
    source: string;
    loader: () => Promise<string | undefined>;
    expected: { value?: string; error?: string; success: number; failure: number; timeMs: number };
  }[] = [
    {
      name: 'a load that resolves counts a miss, a success and its virtual time',
      source: 'LocalCache.statsAware: recordMisses, recordLoadSuccess(loadTime)',
      loader: async () => 'v',
      expected: { value: 'v', success: 1, failure: 0, timeMs: 25 },
    },
    {
      name: 'a load that produces no value counts a failure (null load)',
      source: 'LocalCache.statsAware: value == null -> recordLoadFailure; CacheTest.get_absent_null',
      loader: async () => undefined,
      expected: { success: 0, failure: 1, timeMs: 25 },
    },
    {
      name: 'a load that throws counts a failure and rethrows',
      source:
        'LocalCache.statsAware: catch -> recordLoadFailure; CacheTest.get_absent_throwsRuntimeException',
      loader: async () => {
        throw new Error('boom');
      },
      expected: { error: 'boom', success: 0, failure: 1, timeMs: 25 },
    },
  ];

  it.each(loads)('$name ($source)', async ({ loader, expected }) => {
    const sim = new Simulation({ seed: 1 });
    const c = new LocalCache<string, string>({ recordStats: true }, { clock: sim.clock, random: sim.random });
    const p = sim.spawn(async () => {
      try {
        const slowLoader = async () => {
          await sim.clock.sleep(25);
          return loader();
        };
        return { value: await c.get('k', slowLoader) };
      } catch (e) {
        return { error: (e as Error).message };
      }
    });
    await sim.run();
    const result = await p;
    if (expected.error) expect(result).toEqual({ error: expected.error });
    else expect(result).toEqual({ value: expected.value });
    const s = c.stats();
    expect([s.missCount, s.loadSuccessCount, s.loadFailureCount, s.totalLoadTimeMs]).toEqual([
      1,
      expected.success,
      expected.failure,
      expected.timeMs,
    ]);
    expect(c.estimatedSize()).toBe(expected.value ? 1 : 0);
  });

  it('concurrent gets of a missing key share one load: one miss, the joiners are hits (AsyncCacheTest.getFunc_absent)', async () => {
    const sim = new Simulation({ seed: 1 });
    const c = new LocalCache<string, string>({ recordStats: true }, { clock: sim.clock, random: sim.random });
    let calls = 0;
    const loader = async () => {
      calls++;
      await sim.clock.sleep(100);
      return 'v';
    };
    const all = [0, 10, 20, 30, 40].map((at) =>
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        return c.get('k', loader);
      }),
    );
    await sim.run();
    expect(await Promise.all(all)).toEqual(['v', 'v', 'v', 'v', 'v']);
    expect(calls).toBe(1);
    const s = c.stats();
    expect([s.hitCount, s.missCount, s.loadSuccessCount]).toEqual([4, 1, 1]);
  });

  it('a failed shared load fails every waiter and stores nothing (AsyncCacheTest.getFunc_absent_failure)', async () => {
    const sim = new Simulation({ seed: 1 });
    const c = new LocalCache<string, string>({ recordStats: true }, { clock: sim.clock, random: sim.random });
    const loader = async (): Promise<string> => {
      await sim.clock.sleep(50);
      throw new Error('down');
    };
    const waiters = [0, 10].map((at) =>
      sim.spawn(async () => {
        await sim.clock.sleep(at);
        return c.get('k', loader).catch((e: Error) => e.message);
      }),
    );
    await sim.run();
    expect(await Promise.all(waiters)).toEqual(['down', 'down']);
    expect(c.stats().loadFailureCount).toBe(1);
    expect(c.getIfPresent('k')).toBeUndefined();
  });

  it('an invalidate during a load keeps the load result out of the cache (no stale set)', async () => {
    const sim = new Simulation({ seed: 1 });
    const c = new LocalCache<string, string>({}, { clock: sim.clock, random: sim.random });
    const p = sim.spawn(() =>
      c.get('k', async () => {
        await sim.clock.sleep(50);
        return 'old';
      }),
    );
    sim.spawn(async () => {
      await sim.clock.sleep(10);
      c.invalidate('k');
    });
    await sim.run();
    expect(await p).toBe('old');
    expect(c.getIfPresent('k')).toBeUndefined();
  });
});

describe('LocalCache: refreshAfterWrite (Caffeine 3.2.2)', () => {
  async function scenario(readAt: number, opts: { fail?: boolean; expireAfterWriteMs?: number } = {}) {
    const sim = new Simulation({ seed: 1 });
    const c = new LocalCache<string, string>(
      {
        refreshAfterWriteMs: 30_000,
        recordStats: true,
        ...(opts.expireAfterWriteMs ? { expireAfterWriteMs: opts.expireAfterWriteMs } : {}),
      },
      { clock: sim.clock, random: sim.random },
    );
    let calls = 0;
    const loader = async () => {
      calls++;
      await sim.clock.sleep(100);
      if (calls > 1 && opts.fail) throw new Error('reload failed');
      return `v${calls}`;
    };
    const seen: (string | undefined)[] = [];
    let callsAfterReads = 0;
    let statsBeforeLastRead = c.stats();
    sim.spawn(async () => {
      seen.push(await c.get('k', loader)); // load at t=0 -> v1, written at t=100
      await sim.clock.sleep(readAt - sim.clock.now());
      seen.push(c.getIfPresent('k')); // may trigger the refresh
      seen.push(c.getIfPresent('k')); // same instant: never a second refresh
      callsAfterReads = calls;
      await sim.clock.sleep(200);
      statsBeforeLastRead = c.stats();
      seen.push(c.getIfPresent('k')); // after the reload had time to finish
    });
    await sim.run();
    return { seen, calls: callsAfterReads, stats: statsBeforeLastRead };
  }

  const rows = [
    {
      name: 'no refresh at exactly refreshAfterWrite (strict >)',
      source: 'BoundedLocalCache.refreshIfNeeded: (now - writeTime) > refreshAfterWriteNanos',
      readAt: 30_100,
      fail: false,
      seen: ['v1', 'v1', 'v1', 'v1'],
      calls: 1,
      success: 1,
      failure: 0,
    },
    {
      name: 'refresh 1 ms later: old value served, reloaded once in the background',
      source: 'RefreshAfterWriteTest.getIfPresent_delayed, refreshIfNeeded_nonblocking',
      readAt: 30_101,
      fail: false,
      seen: ['v1', 'v1', 'v1', 'v2'],
      calls: 2,
      success: 2,
      failure: 0,
    },
    {
      name: 'a failed reload keeps the old value and counts a load failure',
      source: 'RefreshAfterWriteTest.refreshIfNeeded_failure',
      readAt: 30_101,
      fail: true,
      seen: ['v1', 'v1', 'v1', 'v1'],
      calls: 2,
      success: 1,
      failure: 1,
    },
  ];

  it.each(rows)('$name ($source)', async ({ readAt, fail, seen, calls, success, failure }) => {
    const r = await scenario(readAt, { fail });
    expect(r.seen).toEqual(seen);
    expect(r.calls).toBe(calls);
    expect([r.stats.loadSuccessCount, r.stats.loadFailureCount]).toEqual([success, failure]);
  });

  it('an entry that expires before it is read is not refreshed, it is a miss (RefreshAfterWriteTest.refreshIfNeeded_expired)', async () => {
    const r = await scenario(60_100, { expireAfterWriteMs: 60_000 });
    // At t=60100 the entry (written at 100) has expired: miss, miss, then still absent.
    expect(r.seen).toEqual(['v1', undefined, undefined, undefined]);
    expect(r.calls).toBe(1);
    expect(r.stats.evictionCount).toBe(1);
  });
});

describe('LocalCache: W-TinyLFU structure', () => {
  it.each([
    { maximumSize: 10_000, window: 100, protected: 7_920, probation: 1_980 },
    { maximumSize: 512, window: 6, protected: 404, probation: 102 },
    { maximumSize: 100, window: 1, protected: 79, probation: 20 },
  ])('regions for maximumSize $maximumSize (BoundedLocalCache.setMaximumSize)', (row) => {
    expect(initialRegions(row.maximumSize)).toEqual({
      window: row.window,
      protected: row.protected,
      probation: row.probation,
    });
  });

  it('keeps a frequently used entry over a scan of one-hit wonders, where LRU loses it', () => {
    const run = (policy: 'wtinylfu' | 'lru') => {
      const c = cache({ maximumSize: 100, policy });
      for (let i = 0; i < 100; i++) c.put(`warm${i}`, 'x');
      for (let r = 0; r < 5; r++) for (let i = 0; i < 100; i++) c.getIfPresent(`warm${i}`);
      for (let i = 0; i < 1_000; i++) c.put(`scan${i}`, 'x');
      let kept = 0;
      for (let i = 0; i < 100; i++) if (c.getIfPresent(`warm${i}`) !== undefined) kept++;
      return { kept, size: c.estimatedSize() };
    };
    const w = run('wtinylfu');
    const l = run('lru');
    expect(l.kept).toBe(0);
    expect(w.kept).toBe(99); // pinned for the seed of this file
    expect(w.kept).toBeGreaterThanOrEqual(95); // sanity, any seed
    expect(w.size).toBe(100);
    expect(l.size).toBe(100);
  });

  it('never holds more than maximumSize entries after a write (synchronous maintenance)', () => {
    const c = cache({ maximumSize: 50 });
    const r = new SeededRandom('size-bound');
    for (let i = 0; i < 5_000; i++) {
      const k = String(Math.floor(r.next() ** 2 * 400));
      if (c.getIfPresent(k) === undefined) c.put(k, 'v');
      expect(c.estimatedSize()).toBeLessThanOrEqual(50);
    }
  });
});

describe('LocalCache: option validation', () => {
  it.each([
    [{ maximumSize: -1 }, /maximumSize must be an integer >= 0/],
    [{ maximumSize: 1.5 }, /maximumSize must be an integer >= 0/],
    [{ expireAfterWriteMs: 0 }, /expireAfterWriteMs must be a positive integer/],
    [{ expireAfterAccessMs: Number.NaN }, /expireAfterAccessMs must be a positive integer/],
    [{ refreshAfterWriteMs: -5 }, /refreshAfterWriteMs must be a positive integer/],
    [{ policy: 'lfu' as 'lru' }, /policy must be 'wtinylfu' or 'lru'/],
    [{ recordStats: 'yes' as unknown as boolean }, /recordStats must be a boolean/],
  ])('rejects %o', (options, message) => {
    expect(() => cache(options)).toThrow(message);
  });

  it('rejects undefined values and non-string/number keys', () => {
    const c = cache({});
    expect(() => c.put('k', undefined as unknown as string)).toThrow(/value must not be undefined/);
    expect(() => c.put({} as unknown as string, 'v')).toThrow(/key must be a string or a number/);
  });
});

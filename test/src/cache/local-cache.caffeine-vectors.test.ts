import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { type CacheStats, LocalCache, type LocalCacheOptions } from '#src/cache/local-cache.ts';

/*
 * Vectors measured on Caffeine 3.2.2 (caffeine-3.2.2.jar, OpenJDK 17.0.15) with a fake Ticker (ms → ns),
 * `executor(Runnable::run)` and `recordStats()`; the reload of C/D is a CacheLoader whose
 * `asyncReload` returns a CompletableFuture completed by hand at 30.101 s. Program kept outside the
 * repository (Vectors.java); its output, verbatim:
 *   A 59999 v
 *   A 60000 null hit=1 miss=1 loadOk=0 loadFail=0 evict=1 size=0
 *   B 9999 v / B 19998 v / B 29998 null hit=2 miss=1 loadOk=0 loadFail=0 evict=1 size=0
 *   C 0 v1 / C 30000 v1 reloads=0 / C 30001 v1 reloads=1 / C 30001 v1 reloads=1
 *   C 30101 v2 reloads=1 hit=4 miss=1 loadOk=2 loadFail=0 evict=0 size=1
 *   D (reload fails) ... D 30101 v1 reloads=2 hit=4 miss=1 loadOk=1 loadFail=2 evict=0 size=1
 *   E null hit=0 miss=1 loadOk=0 loadFail=1 evict=0 size=0
 *   F hit=0 miss=1 loadOk=0 loadFail=0 evict=0 size=0
 */

const counters = (s: CacheStats, size: number) =>
  `hit=${s.hitCount} miss=${s.missCount} loadOk=${s.loadSuccessCount} loadFail=${s.loadFailureCount} evict=${s.evictionCount} size=${size}`;

function simCache(options: LocalCacheOptions) {
  const sim = new Simulation({ seed: 1 });
  const cache = new LocalCache<string, string>(
    { ...options, recordStats: true },
    { clock: sim.clock, random: sim.random.fork('l1') },
  );
  return { sim, cache };
}

async function play(sim: Simulation, script: (at: (ms: number) => Promise<void>) => Promise<void>) {
  const task = sim.spawn(() => script((ms) => sim.clock.sleep(ms - sim.clock.now())));
  await sim.run();
  await task;
}

describe('LocalCache reproduces Caffeine 3.2.2 vectors (fake ticker, same-thread executor)', () => {
  it('A: expireAfterWrite(60 s): present at 59.999 s, absent at 60.000 s, counted as an eviction', async () => {
    const { sim, cache } = simCache({ expireAfterWriteMs: 60_000 });
    const out: string[] = [];
    await play(sim, async (at) => {
      cache.put('k', 'v');
      await at(59_999);
      out.push(`A 59999 ${cache.getIfPresent('k') ?? null}`);
      await at(60_000);
      out.push(
        `A 60000 ${cache.getIfPresent('k') ?? null} ${counters(cache.stats(), cache.estimatedSize())}`,
      );
    });
    expect(out).toEqual(['A 59999 v', 'A 60000 null hit=1 miss=1 loadOk=0 loadFail=0 evict=1 size=0']);
  });

  it('B: expireAfterAccess(10 s): each read extends, 10 s without a read expires', async () => {
    const { sim, cache } = simCache({ expireAfterAccessMs: 10_000 });
    const out: string[] = [];
    await play(sim, async (at) => {
      cache.put('k', 'v');
      for (const t of [9_999, 19_998, 29_998]) {
        await at(t);
        out.push(`B ${t} ${cache.getIfPresent('k') ?? null}`);
      }
      out.push(counters(cache.stats(), cache.estimatedSize()));
    });
    expect(out).toEqual([
      'B 9999 v',
      'B 19998 v',
      'B 29998 null',
      'hit=2 miss=1 loadOk=0 loadFail=0 evict=1 size=0',
    ]);
  });

  for (const fail of [false, true]) {
    const tag = fail ? 'D' : 'C';
    it(`${tag}: refreshAfterWrite(30 s), reload ${fail ? 'fails' : 'succeeds'} at 30.101 s`, async () => {
      const { sim, cache } = simCache({ refreshAfterWriteMs: 30_000 });
      let reloads = -1; // the first call is the initial load
      let settle: { resolve: (v: string) => void; reject: (e: Error) => void } | undefined;
      let failed = false;
      const loader = (): Promise<string> => {
        reloads++;
        if (reloads === 0) return Promise.resolve('v1');
        if (failed) return Promise.reject(new Error('reload failed')); // Caffeine re-returns the failed future
        return new Promise<string>((resolve, reject) => {
          settle = { resolve, reject };
        });
      };
      const out: string[] = [];
      const read = (t: number) =>
        out.push(`${tag} ${t} ${cache.getIfPresent('k') ?? null} reloads=${reloads}`);
      await play(sim, async (at) => {
        out.push(`${tag} 0 ${await cache.get('k', loader)}`);
        await at(30_000);
        read(30_000);
        await at(30_001);
        read(30_001);
        read(30_001);
        await at(30_101);
        if (fail) {
          failed = true;
          settle!.reject(new Error('reload failed'));
        } else settle!.resolve('v2');
        await sim.clock.sleep(0); // let the reload's continuation run (same instant)
        read(30_101);
        await sim.clock.sleep(0);
        out.push(counters(cache.stats(), cache.estimatedSize()));
      });
      expect(out).toEqual([
        `${tag} 0 v1`,
        `${tag} 30000 v1 reloads=0`,
        `${tag} 30001 v1 reloads=1`,
        `${tag} 30001 v1 reloads=1`,
        fail ? 'D 30101 v1 reloads=2' : 'C 30101 v2 reloads=1',
        fail
          ? 'hit=4 miss=1 loadOk=1 loadFail=2 evict=0 size=1'
          : 'hit=4 miss=1 loadOk=2 loadFail=0 evict=0 size=1',
      ]);
    });
  }

  it('E: a loader producing no value is a miss and a load failure, nothing stored', async () => {
    const { sim, cache } = simCache({});
    const out: string[] = [];
    await play(sim, async () => {
      out.push(
        `E ${(await cache.get('k', async () => undefined)) ?? null} ${counters(cache.stats(), cache.estimatedSize())}`,
      );
    });
    expect(out).toEqual(['E null hit=0 miss=1 loadOk=0 loadFail=1 evict=0 size=0']);
  });

  it('F: invalidate is not an eviction', () => {
    const { cache } = simCache({ maximumSize: 10 });
    cache.put('a', '1');
    cache.invalidate('a');
    cache.getIfPresent('a');
    expect(counters(cache.stats(), cache.estimatedSize())).toBe(
      'hit=0 miss=1 loadOk=0 loadFail=0 evict=0 size=0',
    );
  });
});

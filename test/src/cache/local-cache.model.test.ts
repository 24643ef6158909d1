import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { LocalCache } from '#src/cache/local-cache.ts';

/**
 * A plain model of LRU + expireAfterWrite with Caffeine's rules, written for obviousness: entries in
 * a Map kept in recency order (delete + set moves to the MRU end), write times beside them.
 * Maintenance after every write (and after a read that met an expired entry): drop every expired
 * entry, then the least recently used until the size fits.
 */
class Model {
  readonly entries = new Map<number, { value: number; writeTimeMs: number }>();
  hits = 0;
  misses = 0;
  evictions = 0;
  constructor(
    readonly maximumSize: number,
    readonly ttlMs: number,
  ) {}

  #expired(e: { writeTimeMs: number }, now: number) {
    return now - e.writeTimeMs >= this.ttlMs;
  }

  #maintenance(now: number) {
    for (const [k, e] of [...this.entries]) {
      if (this.#expired(e, now)) {
        this.entries.delete(k);
        this.evictions++;
      }
    }
    while (this.entries.size > this.maximumSize) {
      const lru = this.entries.keys().next().value!;
      this.entries.delete(lru);
      this.evictions++;
    }
  }

  get(k: number, now: number): number | undefined {
    const e = this.entries.get(k);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    if (this.#expired(e, now)) {
      this.misses++;
      this.#maintenance(now);
      return undefined;
    }
    this.hits++;
    this.entries.delete(k);
    this.entries.set(k, e);
    return e.value;
  }

  put(k: number, v: number, now: number) {
    const e = this.entries.get(k);
    if (e !== undefined && this.#expired(e, now)) {
      this.entries.delete(k);
      this.evictions++;
    }
    this.entries.delete(k);
    this.entries.set(k, { value: v, writeTimeMs: now });
    this.#maintenance(now);
  }

  invalidate(k: number) {
    this.entries.delete(k);
  }
}

type Op = { op: 'get' | 'put' | 'invalidate'; key: number } | { op: 'advance'; ms: number };

describe('LocalCache (policy lru, expireAfterWrite) against a plain model', () => {
  it('agrees on every value, size and counter (model-based, fast-check)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom('get', 'put', 'invalidate'), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ op: fc.constant('advance'), ms: fc.integer({ min: 0, max: 4 }) }),
    ) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(op, { minLength: 20, maxLength: 300, size: 'large' }),
        (maximumSize, ttlMs, ops) => {
          let now = 0;
          const clock = {
            now: () => now,
            sleep: () => Promise.reject(new Error('no sleep')),
            schedule: () => {
              throw new Error('no timers');
            },
          };
          const cache = new LocalCache<number, number>(
            { maximumSize, expireAfterWriteMs: ttlMs, policy: 'lru', recordStats: true },
            { clock, random: new SeededRandom('model') },
          );
          const model = new Model(maximumSize, ttlMs);
          let n = 0;
          for (const o of ops) {
            n++;
            if (o.op === 'advance') now += o.ms;
            else if (o.op === 'get') expect(cache.getIfPresent(o.key)).toBe(model.get(o.key, now));
            else if (o.op === 'put') {
              cache.put(o.key, n);
              model.put(o.key, n, now);
            } else {
              cache.invalidate(o.key);
              model.invalidate(o.key);
            }
            expect(cache.estimatedSize()).toBe(model.entries.size);
          }
          const s = cache.stats();
          expect([s.hitCount, s.missCount, s.evictionCount]).toEqual([
            model.hits,
            model.misses,
            model.evictions,
          ]);
        },
      ),
      { seed: 61, numRuns: 200 },
    );
  });
});

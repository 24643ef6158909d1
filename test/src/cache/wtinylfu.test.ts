import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { LocalCache } from '#src/cache/local-cache.ts';
import { FrequencySketch } from '#src/cache/wtinylfu/frequency-sketch.ts';
import { keyHash } from '#src/cache/wtinylfu/key-hash.ts';
import type { Random } from '#src/ports/random.ts';
import { loopTrace } from '#tools/hitrate/traces.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

/** Time stands still at 0: these tests are about size, not expiry. */
const frozenClock = new ManualClock();

describe('FrequencySketch (Caffeine 3.2.2 FrequencySketch.java)', () => {
  it('reads 0 and ignores increments until ensureCapacity (lazy allocation)', () => {
    const sketch = new FrequencySketch();
    sketch.increment(1);
    expect(sketch.isNotInitialized()).toBe(true);
    expect(sketch.frequency(1)).toBe(0);
  });

  it('saturates a counter at 15 (FrequencySketchTest.increment_max)', () => {
    const sketch = new FrequencySketch();
    sketch.ensureCapacity(512);
    for (let i = 0; i < 20; i++) sketch.increment(42);
    expect(sketch.frequency(42)).toBe(15);
    expect(sketch.sampleSize).toBe(5_120); // 10 x maximum
  });

  it('halves every counter after sampleSize increments (FrequencySketchTest.reset)', () => {
    const sketch = new FrequencySketch();
    sketch.ensureCapacity(64);
    let reset = false;
    for (let i = 1; i < 20 * 64; i++) {
      sketch.increment(i);
      if (sketch.size !== i) {
        reset = true;
        break;
      }
    }
    expect(reset).toBe(true);
    expect(sketch.size).toBeLessThanOrEqual(sketch.sampleSize / 2);
  });

  // Cross-check against Caffeine 3.2.2's own FrequencySketch (package-private, so driven by a small
  // class placed in its package, outside this repository): ensureCapacity(64), then 2,000 increments of
  // key(i) = i % 3 == 0 ? 5 : (i * 7919) % 97 - 40 (Integer keys, hashCode = value), frequencies of
  // keys -40..56 printed after increment 300 and at the end. Two resets happen on the way.
  const CAFFEINE_MID =
    '2,2,2,2,2,2,2,2,2,2,2,3,2,2,2,2,2,2,2,3,2,2,2,2,2,2,2,3,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,15,3,2,2,2,2,2,2,2,3,2,2,2,2,2,2,2,3,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2';
  const CAFFEINE_END =
    '3,4,3,3,4,3,3,3,3,4,3,3,4,3,3,3,3,4,3,3,4,3,3,3,3,4,3,3,4,3,3,3,3,4,3,3,4,3,3,3,3,4,4,3,4,15,3,3,3,4,4,3,4,3,3,3,3,3,4,3,4,3,3,3,3,3,4,3,4,4,3,3,3,3,4,3,4,4,3,3,3,3,4,3,3,4,3,3,3,3,4,3,3,4,3,3,3';

  it('matches Caffeine 3.2.2 counter for counter, across resets', () => {
    const sketch = new FrequencySketch();
    sketch.ensureCapacity(64);
    const dump = () => Array.from({ length: 97 }, (_, j) => sketch.frequency(keyHash(j - 40))).join(',');
    let mid = '';
    let midSize = 0;
    for (let i = 0; i < 2_000; i++) {
      sketch.increment(keyHash(i % 3 === 0 ? 5 : ((i * 7919) % 97) - 40));
      if (i === 299) {
        mid = dump();
        midSize = sketch.size;
      }
    }
    expect({ midSize, mid }).toEqual({ midSize: 213, mid: CAFFEINE_MID });
    expect({ size: sketch.size, sampleSize: sketch.sampleSize, end: dump() }).toEqual({
      size: 337,
      sampleSize: 640,
      end: CAFFEINE_END,
    });
  });
});

describe('keyHash', () => {
  it.each([
    [0, 0],
    [-7, -7],
    [2_147_483_647, 2_147_483_647],
    ['a', 97],
    ['hello', 99_162_322], // Java "hello".hashCode()
    [2 ** 40 + 3, 3 ^ 256], // Long.hashCode: low word xor high word
  ])('keyHash(%s) = %s', (key, hash) => {
    expect(keyHash(key)).toBe(hash);
  });
});

describe('W-TinyLFU policy', () => {
  const cacheOf = (maximumSize: number, random: Random = new SeededRandom('wtinylfu')) =>
    new LocalCache<number, number>({ maximumSize }, { clock: frozenClock, random });

  it('the hill climber shrinks the window on a loop (frequency wins) from its 1% start', () => {
    const c = cacheOf(1_000);
    expect(c.windowTinyLfu!.windowMaximum).toBe(10);
    for (const k of loopTrace({ distinct: 1_200, cycles: 50 }).keys)
      if (c.getIfPresent(k) === undefined) c.put(k, 1);
    // Caffeine's first step is negative (stepSize = -6.25% of max): the window can only shrink to 1 here.
    expect(c.windowTinyLfu!.windowMaximum).toBeLessThan(10);
    expect(c.windowTinyLfu!.windowMaximum + c.windowTinyLfu!.mainProtectedMaximum).toBe(10 + 792);
  });

  it('the hill climber grows the window when recency pays (a sliding working set)', () => {
    const c = cacheOf(1_000);
    const r = new SeededRandom('sliding');
    // Each request picks one of the 800 most recent keys of a window that slides forward.
    for (let i = 0; i < 200_000; i++) {
      const base = Math.floor(i / 4);
      const k = base + Math.floor(r.next() * 800);
      if (c.getIfPresent(k) === undefined) c.put(k, 1);
    }
    expect(c.windowTinyLfu!.windowMaximum).toBeGreaterThan(10);
  });

  it('a warm candidate that loses the duel gets in only by the 1/128 draw of the injected Random', () => {
    // Same trace, a Random that always draws 0 (always admit warm losers) or always 0.999 (never):
    // the outcomes differ, and each is reproducible.
    const always: Random = { next: () => 0, fork: () => always, seedPath: 'always' };
    const never: Random = { next: () => 0.999, fork: () => never, seedPath: 'never' };
    const run = (random: Random) => {
      const c = cacheOf(100, random);
      let hits = 0;
      const keys = new SeededRandom('warm');
      for (let i = 0; i < 50_000; i++) {
        const k = Math.floor(keys.next() * 150); // uniform: every key warm, duels often tie
        if (c.getIfPresent(k) !== undefined) hits++;
        else c.put(k, 1);
      }
      return hits;
    };
    expect(run(always)).not.toBe(run(never));
    expect(run(never)).toBe(run(never));
  });

  it('invariants hold under any sequence of operations (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.constantFrom('get', 'put', 'invalidate'), fc.integer({ min: 0, max: 80 })), {
          minLength: 50,
          maxLength: 400,
          size: 'large',
        }),
        (maximumSize, ops) => {
          const c = cacheOf(maximumSize);
          const model = new Map<number, number>();
          for (const [op, k] of ops) {
            if (op === 'put') {
              c.put(k, k * 10);
              model.set(k, k * 10);
            } else if (op === 'invalidate') {
              c.invalidate(k);
              model.delete(k);
            } else {
              const v = c.getIfPresent(k);
              // Never a wrong value: either the last one put, or absent (evicted).
              if (v !== undefined) expect(v).toBe(model.get(k));
            }
            const w = c.windowTinyLfu!;
            const regions = w.regionSizes();
            expect(regions.window + regions.probation + regions.protected).toBe(c.estimatedSize());
            expect(c.estimatedSize()).toBeLessThanOrEqual(maximumSize);
            expect(regions.protected).toBeLessThanOrEqual(Math.max(w.mainProtectedMaximum, 0) + 1);
            expect(regions.probation).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { seed: 6, numRuns: 150 },
    );
  });
});

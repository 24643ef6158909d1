import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import {
  beladyPolicy,
  decodeInt32BigEndian,
  defaultPolicies,
  formatHitRateTable,
  HIT_RATE_SEED,
  type KeyTrace,
  localCachePolicy,
  readRealTrace,
  SYNTHETIC_TRACES,
  simulateHitRates,
} from '#tools/hitrate/index.ts';

/*
 * Reference hit counts: Caffeine 3.2.2 (the released jar, com.github.ben-manes.caffeine:caffeine:3.2.2,
 * run on OpenJDK 17.0.15) driven the way Caffeine's simulator drives `product.Caffeine`:
 *   Caffeine.newBuilder().maximumSize(N).initialCapacity(N).executor(Runnable::run).build();
 *   for each key (an Integer): if (cache.getIfPresent(key) != null) hits++; else cache.put(key, TRUE);
 * 5 runs per size (Caffeine's admission of warm candidates draws ThreadLocalRandom, so runs differ);
 * `caffeine` below is [min, median, max] of the 5. `lru` is a LinkedHashMap(accessOrder=true) with
 * removeEldestEntry(size() > N) in the same program. Command (program kept outside the repository):
 *   javac -cp caffeine-3.2.2.jar Replay.java && java -cp caffeine-3.2.2.jar:. Replay web07.bin 100,500,1000,2000,5000 5
 * The synthetic traces were written by SYNTHETIC_TRACES (seed 'hit-rate') as big-endian int32 files
 * and replayed the same way.
 */
interface Reference {
  readonly size: number;
  readonly lru: number;
  readonly caffeine: readonly [min: number, median: number, max: number];
}

const REFERENCE: Record<string, { requests: number; rows: Reference[] }> = {
  web07: {
    requests: 76_118,
    rows: [
      { size: 100, lru: 25_427, caffeine: [29_092, 29_092, 29_092] },
      { size: 500, lru: 34_693, caffeine: [37_438, 37_460, 37_477] },
      { size: 1_000, lru: 38_368, caffeine: [37_597, 37_597, 37_597] },
      { size: 2_000, lru: 42_245, caffeine: [41_309, 41_316, 41_316] },
      { size: 5_000, lru: 47_702, caffeine: [47_202, 47_202, 47_204] },
    ],
  },
  web12: {
    requests: 95_607,
    rows: [
      { size: 100, lru: 34_631, caffeine: [35_235, 35_658, 35_814] },
      { size: 500, lru: 53_329, caffeine: [57_794, 57_816, 57_886] },
      { size: 1_000, lru: 61_882, caffeine: [64_497, 64_538, 64_538] },
      { size: 2_000, lru: 69_371, caffeine: [68_807, 68_834, 69_878] },
      { size: 5_000, lru: 77_153, caffeine: [76_224, 76_308, 76_325] },
    ],
  },
  zipf: {
    requests: 100_000,
    rows: [
      { size: 100, lru: 37_861, caffeine: [48_559, 48_559, 48_559] },
      { size: 500, lru: 57_457, caffeine: [65_034, 65_034, 65_034] },
      { size: 1_000, lru: 66_392, caffeine: [72_195, 72_211, 72_235] },
      { size: 2_000, lru: 75_601, caffeine: [79_194, 79_209, 79_260] },
    ],
  },
  loop: {
    requests: 60_000,
    rows: [
      { size: 250, lru: 0, caffeine: [10_597, 10_597, 10_597] },
      { size: 500, lru: 0, caffeine: [22_695, 22_695, 22_695] },
      { size: 1_000, lru: 0, caffeine: [43_405, 44_884, 45_207] },
    ],
  },
  'scan-zipf': {
    requests: 100_000,
    rows: [
      { size: 100, lru: 22_863, caffeine: [33_391, 33_391, 33_391] },
      { size: 500, lru: 35_503, caffeine: [44_238, 44_287, 44_287] },
      { size: 1_000, lru: 40_976, caffeine: [49_427, 49_427, 49_427] },
      { size: 2_000, lru: 46_380, caffeine: [53_127, 53_127, 53_229] },
    ],
  },
};

/** "Within about 2 points of Caffeine's own" (issue 6), measured from the range of Caffeine's runs. */
const TOLERANCE_POINTS = 2;

const pct = (hits: number, requests: number) => (100 * hits) / requests;

function traceOf(name: string): KeyTrace {
  if (name === 'web07' || name === 'web12') return readRealTrace(name);
  return SYNTHETIC_TRACES[name as keyof typeof SYNTHETIC_TRACES](new SeededRandom(HIT_RATE_SEED));
}

function conformance(name: string) {
  const ref = REFERENCE[name]!;
  const rowsOf = () => {
    const trace = traceOf(name);
    expect(trace.keys.length).toBe(ref.requests);
    return simulateHitRates(
      trace,
      ref.rows.map((r) => r.size),
      [localCachePolicy('wtinylfu', HIT_RATE_SEED), localCachePolicy('lru'), beladyPolicy],
    );
  };
  let rows: ReturnType<typeof rowsOf> | undefined;
  const get = () => {
    rows ??= rowsOf();
    return rows;
  };

  // (lru-cache gives the same counts: bench/suites/hit-rate.ts shows it beside hasim LRU.)
  it('LRU hit counts are exact: hasim LRU = Java LinkedHashMap', () => {
    for (const [i, r] of ref.rows.entries()) {
      const [, lru] = get()[i]!.hits;
      expect({ size: r.size, lru }).toEqual({ size: r.size, lru: r.lru });
    }
  });

  it(`W-TinyLFU is within ${TOLERANCE_POINTS} points of Caffeine 3.2.2 at every size`, () => {
    for (const [i, r] of ref.rows.entries()) {
      const wtinylfu = get()[i]!.hits[0]!;
      // Distance to the range Caffeine itself spans over its runs (0 inside it).
      const [min, , max] = r.caffeine;
      const outside = wtinylfu < min ? wtinylfu - min : wtinylfu > max ? wtinylfu - max : 0;
      const diff = pct(outside, ref.requests);
      expect({ size: r.size, within: Math.abs(diff) <= TOLERANCE_POINTS, diff }).toMatchObject({
        size: r.size,
        within: true,
      });
    }
  });

  it('the optimal bound is at least every policy', () => {
    for (const row of get()) {
      const [wtinylfu, lru, opt] = row.hits;
      expect(opt).toBeGreaterThanOrEqual(Math.max(wtinylfu!, lru!));
    }
  });
}

// The traces are in the repository (data/traces/, with their attribution): never skipped.
describe('real traces web07 / web12 (cache2k, CC BY 4.0)', () => {
  describe('web07', () => conformance('web07'));
  describe('web12', () => conformance('web12'));

  it('recency-heavy (web07 at 1000-5000): W-TinyLFU a little below LRU, as Caffeine is', () => {
    const trace = readRealTrace('web07');
    for (const r of REFERENCE.web07!.rows.filter((x) => x.size >= 1_000)) {
      const w = localCachePolicy('wtinylfu', HIT_RATE_SEED).replay(trace.keys, r.size);
      const gap = pct(w, trace.keys.length) - pct(r.lru, trace.keys.length);
      const caffeineGap = pct(r.caffeine[1], trace.keys.length) - pct(r.lru, trace.keys.length);
      expect(caffeineGap).toBeLessThan(0);
      expect(gap).toBeLessThan(0);
      expect(gap).toBeGreaterThan(-3);
    }
  });
});

describe('synthetic traces (seed hit-rate)', () => {
  describe('zipf', () => conformance('zipf'));
  describe('loop', () => conformance('loop'));
  describe('scan-zipf', () => conformance('scan-zipf'));

  it('loop: W-TinyLFU is far above LRU (which never hits)', () => {
    const trace = traceOf('loop');
    const [w, lru] = simulateHitRates(trace, [500], defaultPolicies())[0]!.hits;
    expect(lru).toBe(0);
    expect(pct(w!, trace.keys.length)).toBeGreaterThan(30);
  });

  it('the same seed gives the same trace; another seed another one', () => {
    const a = SYNTHETIC_TRACES.zipf(new SeededRandom(HIT_RATE_SEED));
    const b = SYNTHETIC_TRACES.zipf(new SeededRandom(HIT_RATE_SEED));
    const c = SYNTHETIC_TRACES.zipf(new SeededRandom('other'));
    expect(Buffer.from(a.keys.buffer).equals(Buffer.from(b.keys.buffer))).toBe(true);
    expect(Buffer.from(a.keys.buffer).equals(Buffer.from(c.keys.buffer))).toBe(false);
  });

  it('prints a table with one column per policy', () => {
    const policies = defaultPolicies();
    const table = formatHitRateTable(simulateHitRates(traceOf('loop'), [250], policies), policies);
    expect(table.split('\n')[0]).toMatch(/hasim W-TinyLFU.*hasim LRU.*optimal/);
    expect(table).toContain('0.00 %');
  });
});

describe('trace format and the optimal bound', () => {
  it('decodes big-endian signed int32 keys', () => {
    const bytes = Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0x7f, 0xff, 0xff, 0xff]);
    expect([...decodeInt32BigEndian(bytes)]).toEqual([1, -2, 2_147_483_647]);
    expect(() => decodeInt32BigEndian(Uint8Array.from([1, 2, 3]))).toThrow(/multiple of 4/);
  });

  // Exhaustive optimum with bypass: on a miss keep the set, or swap in the key for any member.
  function bruteForceOptimal(keys: readonly number[], size: number): number {
    const memo = new Map<string, number>();
    const best = (i: number, cached: readonly number[]): number => {
      if (i === keys.length) return 0;
      const id = `${i}|${cached.join(',')}`;
      const hit = memo.get(id);
      if (hit !== undefined) return hit;
      const k = keys[i]!;
      let result: number;
      if (cached.includes(k)) {
        result = 1 + best(i + 1, cached);
      } else {
        result = best(i + 1, cached);
        if (cached.length < size)
          result = Math.max(
            result,
            best(
              i + 1,
              [...cached, k].sort((a, b) => a - b),
            ),
          );
        else {
          for (const out of cached) {
            const next = [...cached.filter((c) => c !== out), k].sort((a, b) => a - b);
            result = Math.max(result, best(i + 1, next));
          }
        }
      }
      memo.set(id, result);
      return result;
    };
    return best(0, []);
  }

  it('Bélády equals the exhaustive optimum on small traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 14 }),
        fc.integer({ min: 1, max: 3 }),
        (keys, size) => {
          expect(beladyPolicy.replay(Int32Array.from(keys), size)).toBe(bruteForceOptimal(keys, size));
        },
      ),
      { seed: 6, numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { javaStringHashCode, seedShardIndex, shardIndex } from '#src/router/sharding.ts';

// Vectors printed by OpenJDK 17.0.15 on this machine from a throwaway program (outside the repo):
//   int h = s.hashCode();  seed: Math.abs(h) % n;  corrected: Math.abs((long) h) % n;  n = 3, 4, 5, 10
// Strings are written with \u escapes exactly as Java received them (UTF-16 code units), including
// non-ASCII BMP text, surrogate pairs, a lone surrogate and a reversed pair.
const COUNTS = [3, 4, 5, 10] as const;
const JAVA_VECTORS: readonly [string, number, number[], number[]][] = [
  ['', 0, [0, 0, 0, 0], [0, 0, 0, 0]],
  ['a', 97, [1, 1, 2, 7], [1, 1, 2, 7]],
  ['Aa', 2112, [0, 0, 2, 2], [0, 0, 2, 2]],
  ['BB', 2112, [0, 0, 2, 2], [0, 0, 2, 2]],
  ['alice', 92903040, [0, 0, 0, 0], [0, 0, 0, 0]],
  ['user-1', -836031825, [0, 1, 0, 5], [0, 1, 0, 5]],
  ['user-2', -836031824, [2, 0, 4, 4], [2, 0, 4, 4]],
  ['u_1001', -856114710, [0, 2, 0, 0], [0, 2, 0, 0]],
  ['12345', 46792755, [0, 3, 0, 5], [0, 3, 0, 5]],
  ['polygenelubricants', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['GydZG_', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['DESIGNING WORKHOUSES', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['user-6446540351', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['user-7459849758', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['user-7811225057', -2147483648, [-2, 0, -3, -8], [2, 0, 3, 8]],
  ['h\u00e9llo', 103094734, [1, 2, 4, 4], [1, 2, 4, 4]],
  ['\ud83d\ude00', 1772899, [1, 3, 4, 9], [1, 3, 4, 9]],
  ['\u7528\u6237-42', -1617449220, [0, 0, 0, 0], [0, 0, 0, 0]],
  ['e\u0301', 3900, [0, 0, 0, 0], [0, 0, 0, 0]],
  ['\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67', 338679017, [2, 1, 2, 7], [2, 1, 2, 7]],
  ['\ud800', 55296, [0, 0, 1, 6], [0, 0, 1, 6]],
  ['z'.repeat(32), -863013888, [0, 0, 3, 8], [0, 0, 3, 8]],
  ['ds-slave-0', -884408708, [2, 0, 3, 8], [2, 0, 3, 8]],
  ['\u0000', 0, [0, 0, 0, 0], [0, 0, 0, 0]],
  ['\uffff', 65535, [0, 3, 0, 5], [0, 3, 0, 5]],
  ['\ude00\ud83d', 1817149, [1, 1, 4, 9], [1, 1, 4, 9]],
];

describe('javaStringHashCode / seedShardIndex / shardIndex: OpenJDK 17 vectors', () => {
  it.each(JAVA_VECTORS)('%j hashes to %i', (s, hash, seed, corrected) => {
    expect(javaStringHashCode(s)).toBe(hash);
    COUNTS.forEach((n, i) => {
      // toBe uses Object.is, so a -0 from (-2^31 % 4) would fail here.
      expect(seedShardIndex(s, n), `seed % ${n}`).toBe(seed[i]);
      expect(shardIndex(s, n), `corrected % ${n}`).toBe(corrected[i]);
    });
  });

  it('article case: the Integer.MIN_VALUE users land on shard 0 with % 4 and on shard -2 with % 3', () => {
    expect(seedShardIndex('polygenelubricants', 4)).toBe(0);
    expect(seedShardIndex('polygenelubricants', 3)).toBe(-2);
    expect(shardIndex('polygenelubricants', 3)).toBe(2);
  });

  it('rejects a shard count that is not a positive Java int', () => {
    for (const bad of [0, -4, 2.5, Number.NaN, 2 ** 31]) {
      expect(() => seedShardIndex('a', bad)).toThrow(/shardCount must be an integer in \[1, 2147483647\]/);
      expect(() => shardIndex('a', bad)).toThrow(/shardCount/);
    }
  });
});

// Reference model in BigInt: the polynomial over UTF-16 code units reduced to a signed 32-bit int,
// Java's Math.abs(int) (MIN_VALUE stays), Java's truncating % (BigInt % truncates too).
function refHash(s: string): bigint {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = h * 31n + BigInt(s.charCodeAt(i));
  return BigInt.asIntN(32, h);
}
const MIN = -(2n ** 31n);
const refSeed = (s: string, n: number) => {
  const h = refHash(s);
  return Number((h === MIN ? h : h < 0n ? -h : h) % BigInt(n));
};
const refCorrected = (s: string, n: number) => {
  const h = refHash(s);
  return Number((h < 0n ? -h : h) % BigInt(n));
};

// Any UTF-16 code unit sequence, lone surrogates included.
const utf16 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));
const anyUserId = fc.oneof(utf16, fc.string({ unit: 'binary' }), fc.constant('polygenelubricants'));
const anyCount = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2147483647 }));

describe('sharding properties (fast-check, seed 5)', () => {
  it('matches the BigInt reference on any UTF-16 string', () => {
    fc.assert(
      fc.property(anyUserId, anyCount, (s, n) => {
        expect(javaStringHashCode(s)).toBe(Number(refHash(s)));
        expect(seedShardIndex(s, n)).toBe(refSeed(s, n));
        expect(shardIndex(s, n)).toBe(refCorrected(s, n));
      }),
      { seed: 5, numRuns: 2000 },
    );
  });

  it('corrected index is in [0, n) and equals the seed index whenever the seed index is valid', () => {
    fc.assert(
      fc.property(anyUserId, anyCount, (s, n) => {
        const fixed = shardIndex(s, n);
        expect(fixed >= 0 && fixed < n).toBe(true);
        const seed = seedShardIndex(s, n);
        if (seed >= 0) expect(fixed).toBe(seed);
      }),
      { seed: 5, numRuns: 2000 },
    );
  });
});

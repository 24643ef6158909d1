// Table sharding by user id, as the article's section 3.3 writes it:
//   int tableIndex = Math.abs(userId.hashCode()) % 4;
// reproduced with Java's int semantics exactly (`seedShardIndex`), next to a corrected form that never
// returns a negative index (`shardIndex`). Vectors verified on OpenJDK 17 (see the test and docs/router.md).

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/**
 * Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units (so a character
 * outside the BMP counts as its two surrogates), in 32-bit two's-complement arithmetic that wraps.
 * `''` hashes to 0. Returns a signed 32-bit integer.
 */
export function javaStringHashCode(s: string): number {
  // java.lang.String.hashCode (StringLatin1/StringUTF16.hashCode): h = 31 * h + c, int overflow.
  // Math.imul is the 32-bit multiply; `| 0` wraps the sum back to a signed int.
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Java's `Math.abs(int)`: `Math.abs(Integer.MIN_VALUE)` overflows and stays `Integer.MIN_VALUE`. */
function javaIntAbs(x: number): number {
  return x === INT_MIN ? INT_MIN : Math.abs(x);
}

function checkShardCount(shardCount: number, fn: string): void {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > INT_MAX) {
    throw new RangeError(
      `${fn}: shardCount must be an integer in [1, 2147483647] (a Java int > 0), got ${shardCount}`,
    );
  }
}

/**
 * The article's shard index, `Math.abs(userId.hashCode()) % shardCount`, with Java int semantics:
 * for the users whose hash is `Integer.MIN_VALUE` (e.g. `"polygenelubricants"`) `Math.abs` stays
 * negative and Java's `%` keeps the dividend's sign, so the result is `-(2^31 mod n)`: 0 when
 * `shardCount` is a power of two (the article's 4), negative otherwise (-2 for 3, -3 for 5, -8 for 10).
 * A negative result is returned as Java returns it (the seed behaviour); it is never `-0`.
 */
export function seedShardIndex(userId: string, shardCount: number): number {
  checkShardCount(shardCount, 'seedShardIndex');
  // JS `%` also keeps the dividend's sign, as Java's does; `+ 0` turns a -0 (from -2^31 % 4) into 0.
  return (javaIntAbs(javaStringHashCode(userId)) % shardCount) + 0;
}

/**
 * The corrected shard index, always in `[0, shardCount)`: `Math.abs((long) hashCode) % shardCount`,
 * the form ShardingSphere's own `HASH_MOD` algorithm uses (HashModShardingAlgorithm). Widening
 * before `abs` changes the result only for hash `Integer.MIN_VALUE`, so every user whose seed index
 * was valid keeps its shard (and with a power-of-two count, the article's 4, nobody moves at all).
 * `Math.floorMod(h, n)` or `(h & 0x7fffffff) % n` would also be non-negative but would move about
 * half of the users with a negative hash (`"user-1"`: seed 1, floorMod 3), i.e. migrate their rows.
 */
export function shardIndex(userId: string, shardCount: number): number {
  checkShardCount(shardCount, 'shardIndex');
  // |h| <= 2^31 is exact in a double, so this is the Java long arithmetic.
  return Math.abs(javaStringHashCode(userId)) % shardCount;
}

/**
 * The 32-bit hash the frequency sketch spreads. It is our own function, chosen so that an int32
 * key hashes to itself and a string to Java's `String.hashCode` value: a trace of int32 keys then
 * lands in the same sketch counters here as `Integer` keys do in Caffeine, which is what lets the
 * hit-rate simulator compare the two policies on equal terms. Deterministic; no per-process seed.
 */
export function keyHash(key: string | number): number {
  if (typeof key === 'number') {
    if ((key | 0) === key) return key;
    if (Number.isSafeInteger(key)) {
      // Like Java's Long.hashCode: the high word xor the low word.
      const high = Math.floor(key / 0x1_0000_0000) | 0;
      return (key | 0) ^ high;
    }
    return stringHash(String(key));
  }
  return stringHash(key);
}

function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

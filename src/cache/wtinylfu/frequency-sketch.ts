/**
 * A 4-bit count-min sketch with periodic aging: the popularity estimate that W-TinyLFU admits by.
 *
 * Caffeine 3.2 `FrequencySketch.java`: the table is `ceilingPowerOfTwo(maximum)` 64-bit words
 * (at least 8) of sixteen 4-bit counters each. An item's four counters all sit in one 64-byte block
 * of 8 words (one counter in each pair of words), chosen by a spread of its hash; the counter inside
 * each word comes from one byte of a rehash. Counters saturate at 15. After `sampleSize = 10 ×
 * maximum` increments that changed at least one counter, every counter is halved and the size is
 * corrected for the truncated odd counts.
 *
 * Here a 64-bit word is two 32-bit words (low = counters 0-7, high = counters 8-15), so the same
 * counters, the same saturation and the same halving hold without 64-bit arithmetic. The words are
 * an Int32Array: every use is a bit operation, so only the bit pattern matters, and int32 elements
 * measured a few percent faster than uint32 ones on the local-cache bench (the top counter of a
 * word sets the sign bit, which a Uint32Array element reads as a number above int32).
 */
export class FrequencySketch {
  /** Increments (that changed a counter) after which all counters are halved. 0 until initialized. */
  sampleSize = 0;
  /** Increments since the last reset, corrected as Caffeine's `reset` does. */
  size = 0;
  #table: Int32Array | undefined;
  #blockMask = 0;

  /** True until {@link ensureCapacity} has allocated the table: frequencies read as 0, increments are dropped. */
  isNotInitialized(): boolean {
    return this.#table === undefined;
  }

  /** Allocates the table for `maximumSize` entries (no-op if it is already at least that large). */
  ensureCapacity(maximumSize: number): void {
    const maximum = Math.min(maximumSize, 0x3fff_ffff);
    const longs = this.#table ? this.#table.length >>> 1 : 0;
    if (this.#table && longs >= maximum) return;
    const length = Math.max(ceilingPowerOfTwo(maximum), 8);
    this.#table = new Int32Array(length * 2);
    this.sampleSize = maximumSize === 0 ? 10 : 10 * maximum;
    this.#blockMask = (length >>> 3) - 1;
    this.size = 0;
  }

  /** The estimated number of occurrences of the item with hash `hash`, 0..15. */
  frequency(hash: number): number {
    const blockHash = spread(hash);
    return this.frequencyOf(blockHash, rehash(blockHash));
  }

  /** Counts one occurrence of the item with hash `hash`; halves all counters every `sampleSize` increments. */
  increment(hash: number): void {
    const blockHash = spread(hash);
    this.incrementOf(blockHash, rehash(blockHash));
  }

  /** {@link frequency} from the item's precomputed `spread(hash)` and `rehash(spread(hash))`. */
  frequencyOf(blockHash: number, counterHash: number): number {
    const table = this.#table;
    if (table === undefined) return 0;
    const block = (blockHash & this.#blockMask) << 3;
    let frequency = 15;
    for (let i = 0; i < 4; i++) {
      const h = counterHash >>> (i << 3);
      const index = (h >>> 1) & 15;
      const slot = block + (h & 1) + (i << 1);
      const count = (table[(slot << 1) + (index >>> 3)]! >>> ((index & 7) << 2)) & 0xf;
      if (count < frequency) frequency = count;
    }
    return frequency;
  }

  /** {@link increment} from the item's precomputed hashes. */
  incrementOf(blockHash: number, counterHash: number): void {
    const table = this.#table;
    if (table === undefined) return;
    const block = (blockHash & this.#blockMask) << 3;
    // Caffeine unrolls this loop; the four counters are in word pairs 0-1, 2-3, 4-5, 6-7 of the block.
    const added =
      incrementAt(table, block, counterHash) |
      incrementAt(table, block + 2, counterHash >>> 8) |
      incrementAt(table, block + 4, counterHash >>> 16) |
      incrementAt(table, block + 6, counterHash >>> 24);
    if (added !== 0 && ++this.size === this.sampleSize) this.reset();
  }

  /** Halves every counter (aging). Caffeine: `size = (size - (oddCounters >>> 2)) >>> 1`. */
  reset(): void {
    const table = this.#table;
    if (table === undefined) return;
    this.size = (this.size - (halve(table) >>> 2)) >>> 1;
  }
}

// Halves every counter of the table; returns how many were odd. A function of its own: a reset
// runs once per sampleSize increments, long enough apart that V8 compiled the loop on the fly
// each time and then dropped that code at the method's next statement.
function halve(table: Int32Array): number {
  let odd = 0;
  for (let i = 0; i < table.length; i++) {
    const w = table[i]!;
    odd += popcount(w & 0x1111_1111);
    table[i] = (w >>> 1) & 0x7777_7777;
  }
  return odd;
}

// Increments the counter that byte `h` selects in the word pair at `slotBase`; 1 if it changed.
function incrementAt(table: Int32Array, slotBase: number, h: number): number {
  const index = (h >>> 1) & 15;
  const word = ((slotBase + (h & 1)) << 1) + (index >>> 3);
  const shift = (index & 7) << 2;
  const w = table[word]!;
  if (((w >>> shift) & 0xf) === 0xf) return 0;
  table[word] = w + (1 << shift);
  return 1;
}

// Caffeine FrequencySketch.spread / rehash: integer mixing of the key's hash. An item's block is
// picked by spread(hash), its four counters by rehash(spread(hash)).
export function spread(x: number): number {
  x ^= x >>> 17;
  x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11;
  x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15;
  return x;
}

export function rehash(x: number): number {
  x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x5555_5555;
  x = (x & 0x3333_3333) + ((x >>> 2) & 0x3333_3333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f_0f0f, 0x0101_0101) >>> 24) & 0xff;
}

/** The smallest power of two >= x (1 for x <= 1), as Caffeine's `ceilingPowerOfTwo(int)`. */
export function ceilingPowerOfTwo(x: number): number {
  if (x <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(x));
}

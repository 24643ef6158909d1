import type { CacheNode } from './node.ts';

const MIN_CAPACITY = 16;
/**
 * Set in every stored hash, so that 0 marks an empty slot. It is above any slot index (capacity
 * stays far below 2^31), so a stored hash still gives its home slot, and it only makes hashes that
 * differ in this bit compare their keys too.
 */
const OCCUPIED = 1 << 31;
/** A bounded cache's table is sized for its maximum up front, up to this many slots. */
const MAX_PRESIZE = 1 << 16;

/**
 * The cache's key → node index: an open-addressing hash table (linear probing, backward-shift
 * deletion, at most half full) keyed by the node's `blockHash`, the well-mixed `spread(keyHash(key))`
 * the frequency sketch needs anyway. Keys are equal as in a `Map` (SameValueZero). It replaces a
 * `Map` on the hot path: a lookup is one hash and a probe over an Int32Array of stored hashes; a
 * node (and its key) is read only when the stored hash matches. Nothing depends on its order.
 */
export class NodeIndex<K, V> {
  #nodes: (CacheNode<K, V> | undefined)[];
  #hashes: Int32Array;
  #mask: number;
  #size = 0;

  /** @param expectedSize entries it should hold without growing (a cache's maximum + 1; Infinity if unbounded) */
  constructor(expectedSize: number) {
    let capacity = MIN_CAPACITY;
    while (capacity < MAX_PRESIZE && capacity < expectedSize * 2) capacity *= 2;
    this.#nodes = new Array(capacity).fill(undefined);
    this.#hashes = new Int32Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** The node of `key`, whose `spread(keyHash(key))` is `hash`, or undefined. */
  get(key: K, hash: number): CacheNode<K, V> | undefined {
    const hashes = this.#hashes;
    const mask = this.#mask;
    const tag = hash | OCCUPIED;
    let i = hash & mask;
    for (;;) {
      const t = hashes[i];
      if (t === 0) return undefined;
      if (t === tag) {
        const node = this.#nodes[i];
        const k = node?.key;
        // SameValueZero, as Map: NaN equals NaN; 0 equals -0 (===).
        if (node !== undefined && (k === key || (Number.isNaN(k) && Number.isNaN(key)))) return node;
      }
      i = (i + 1) & mask;
    }
  }

  /** Adds `node`, whose key is absent. */
  add(node: CacheNode<K, V>): void {
    if ((this.#size + 1) * 2 > this.#nodes.length) this.#grow();
    this.#place(node);
    this.#size++;
  }

  /** Removes `node`, which is present. */
  remove(node: CacheNode<K, V>): void {
    const nodes = this.#nodes;
    const hashes = this.#hashes;
    const mask = this.#mask;
    const tag = node.blockHash | OCCUPIED;
    let hole = node.blockHash & mask;
    while (hashes[hole] !== tag || nodes[hole] !== node) hole = (hole + 1) & mask;
    // Backward-shift deletion: pull later members of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, j].
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const moved = hashes[j]!;
      if (moved === 0) break;
      const home = moved & mask;
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      nodes[hole] = nodes[j];
      hashes[hole] = moved;
      hole = j;
    }
    nodes[hole] = undefined;
    hashes[hole] = 0;
    this.#size--;
  }

  #place(node: CacheNode<K, V>): void {
    const hashes = this.#hashes;
    const mask = this.#mask;
    const hash = node.blockHash;
    let i = hash & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    this.#nodes[i] = node;
    hashes[i] = hash | OCCUPIED;
  }

  #grow(): void {
    const old = this.#nodes;
    const capacity = old.length * 2;
    this.#nodes = new Array(capacity).fill(undefined);
    this.#hashes = new Int32Array(capacity);
    this.#mask = capacity - 1;
    for (const node of old) if (node !== undefined) this.#place(node);
  }
}

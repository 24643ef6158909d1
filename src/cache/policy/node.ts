/**
 * Which region of the policy a node is in (Caffeine `Node.inWindow / inMainProbation / inMainProtected`).
 * String tags rather than imported numeric constants: module bindings are getters once transpiled,
 * which costs on the hot path.
 */
export type Region = 'window' | 'probation' | 'protected';

/**
 * One cache entry (its identity fields are rewritten when a size-evicted node is recycled), linked
 * into an access-order deque by its policy. Intrusive links keep every move O(1) without allocating.
 * A cache that neither expires nor refreshes uses these nodes as they are; one that does uses
 * {@link TimedCacheNode}, which adds the times, the write-order links and the refresh state. The
 * plain node is then 8 fields (88 bytes in V8 on 64-bit) instead of 16 (152): less for the garbage
 * collector to copy while a cache fills, and less memory between the entries a read touches.
 */
export class CacheNode<K, V> {
  key: K;
  value: V;
  /** `spread(keyHash(key))`: picks the sketch block, and the node's slot in `NodeIndex` (computed once per node). */
  blockHash: number;
  /** `rehash(blockHash)`: picks the four counters in the block. */
  counterHash: number;
  /** Region of the eviction policy; LRU keeps every node in `'window'`. */
  region: Region = 'window';
  /** The access-order deque that currently holds this node, if any. */
  accessDeque: AccessOrderDeque<K, V> | undefined = undefined;
  accessPrev: CacheNode<K, V> | undefined = undefined;
  accessNext: CacheNode<K, V> | undefined = undefined;

  constructor(key: K, blockHash: number, counterHash: number, value: V) {
    this.key = key;
    this.value = value;
    this.blockHash = blockHash;
    this.counterHash = counterHash;
  }
}

/**
 * The entry of a cache that expires or refreshes: a {@link CacheNode} (its fields first, at the same
 * offsets) plus its times, its links in the write-order deque (used with `expireAfterWrite` or
 * `refreshAfterWrite`) and its refresh state (used with `refreshAfterWrite`).
 */
export class TimedCacheNode<K, V> extends CacheNode<K, V> {
  /** Virtual ms of the last write (create, replace, load, refresh). */
  writeTimeMs: number;
  /** Virtual ms of the last read or write. */
  accessTimeMs: number;
  inWriteOrder = false;
  writePrev: TimedCacheNode<K, V> | undefined = undefined;
  writeNext: TimedCacheNode<K, V> | undefined = undefined;
  /** False once removed from the cache (evicted, expired, invalidated or replaced by a refresh result of none). */
  alive = true;
  /** True while a `refreshAfterWrite` reload of this entry is in flight (Caffeine marks `writeTime | 1`). */
  refreshing = false;
  /** The loader of the last `get` for this key, used by `refreshAfterWrite`. */
  loader: ((key: K) => Promise<V | undefined | null> | V | undefined | null) | undefined = undefined;

  constructor(key: K, blockHash: number, counterHash: number, value: V, nowMs: number) {
    super(key, blockHash, counterHash, value);
    this.writeTimeMs = nowMs;
    this.accessTimeMs = nowMs;
  }
}

/** A doubly linked deque in access order: head = least recently used, tail = most recently used. */
export class AccessOrderDeque<K, V> {
  head: CacheNode<K, V> | undefined;
  tail: CacheNode<K, V> | undefined;

  contains(node: CacheNode<K, V>): boolean {
    return node.accessDeque === this;
  }

  peekFirst(): CacheNode<K, V> | undefined {
    return this.head;
  }

  offerLast(node: CacheNode<K, V>): void {
    node.accessDeque = this;
    node.accessPrev = this.tail;
    node.accessNext = undefined;
    if (this.tail) this.tail.accessNext = node;
    else this.head = node;
    this.tail = node;
  }

  offerFirst(node: CacheNode<K, V>): void {
    node.accessDeque = this;
    node.accessNext = this.head;
    node.accessPrev = undefined;
    if (this.head) this.head.accessPrev = node;
    else this.tail = node;
    this.head = node;
  }

  remove(node: CacheNode<K, V>): void {
    if (node.accessDeque !== this) return;
    const { accessPrev: prev, accessNext: next } = node;
    if (prev) prev.accessNext = next;
    else this.head = next;
    if (next) next.accessPrev = prev;
    else this.tail = prev;
    node.accessDeque = undefined;
    node.accessPrev = undefined;
    node.accessNext = undefined;
  }

  poll(): CacheNode<K, V> | undefined {
    const head = this.head;
    if (head) this.remove(head);
    return head;
  }

  moveToBack(node: CacheNode<K, V>): void {
    const tail = this.tail;
    if (node.accessDeque !== this || tail === node) return;
    // Unlink (node is not the tail, so it has a next) and relink after the old tail.
    const prev = node.accessPrev;
    const next = node.accessNext!;
    if (prev) prev.accessNext = next;
    else this.head = next;
    next.accessPrev = prev;
    node.accessPrev = tail;
    node.accessNext = undefined;
    tail!.accessNext = node;
    this.tail = node;
  }
}

/** The deque of nodes in write order (oldest write first), for `expireAfterWrite`. */
export class WriteOrderDeque<K, V> {
  head: TimedCacheNode<K, V> | undefined;
  tail: TimedCacheNode<K, V> | undefined;

  offerLast(node: TimedCacheNode<K, V>): void {
    node.inWriteOrder = true;
    node.writePrev = this.tail;
    node.writeNext = undefined;
    if (this.tail) this.tail.writeNext = node;
    else this.head = node;
    this.tail = node;
  }

  remove(node: TimedCacheNode<K, V>): void {
    if (!node.inWriteOrder) return;
    const { writePrev: prev, writeNext: next } = node;
    if (prev) prev.writeNext = next;
    else this.head = next;
    if (next) next.writePrev = prev;
    else this.tail = prev;
    node.inWriteOrder = false;
    node.writePrev = undefined;
    node.writeNext = undefined;
  }

  moveToBack(node: TimedCacheNode<K, V>): void {
    if (!node.inWriteOrder || this.tail === node) return;
    this.remove(node);
    this.offerLast(node);
  }
}

/** Which region of the policy a node is in (Caffeine `Node.inWindow / inMainProbation / inMainProtected`). */
export const WINDOW = 0;
export const PROBATION = 1;
export const PROTECTED = 2;
export type Region = typeof WINDOW | typeof PROBATION | typeof PROTECTED;

/**
 * One cache entry, linked into an access-order deque (by its policy) and, when the cache expires
 * after write, into the write-order deque. Intrusive links keep every move O(1) without allocating.
 */
export class CacheNode<K, V> {
  /** The sketch hash of `key` (see `keyHash`). */
  readonly hash: number;
  /** Region of the eviction policy; LRU keeps every node in `WINDOW`. */
  region: Region = WINDOW;
  /** The access-order deque that currently holds this node, if any. */
  accessDeque: AccessOrderDeque<K, V> | undefined;
  accessPrev: CacheNode<K, V> | undefined;
  accessNext: CacheNode<K, V> | undefined;
  inWriteOrder = false;
  writePrev: CacheNode<K, V> | undefined;
  writeNext: CacheNode<K, V> | undefined;
  /** False once removed from the cache (evicted, expired, invalidated or replaced by a refresh result of none). */
  alive = true;
  /** True while a `refreshAfterWrite` reload of this entry is in flight (Caffeine marks `writeTime | 1`). */
  refreshing = false;
  /** The loader of the last `get` for this key, used by `refreshAfterWrite`. */
  loader: ((key: K) => Promise<V | undefined | null> | V | undefined | null) | undefined;

  constructor(
    readonly key: K,
    hash: number,
    public value: V,
    /** Virtual ms of the last write (create, replace, load, refresh). */
    public writeTimeMs: number,
    /** Virtual ms of the last read or write. */
    public accessTimeMs: number,
  ) {
    this.hash = hash;
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
    if (node.accessDeque !== this || this.tail === node) return;
    this.remove(node);
    this.offerLast(node);
  }
}

/** The deque of nodes in write order (oldest write first), for `expireAfterWrite`. */
export class WriteOrderDeque<K, V> {
  head: CacheNode<K, V> | undefined;
  tail: CacheNode<K, V> | undefined;

  offerLast(node: CacheNode<K, V>): void {
    node.inWriteOrder = true;
    node.writePrev = this.tail;
    node.writeNext = undefined;
    if (this.tail) this.tail.writeNext = node;
    else this.head = node;
    this.tail = node;
  }

  remove(node: CacheNode<K, V>): void {
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

  moveToBack(node: CacheNode<K, V>): void {
    if (!node.inWriteOrder || this.tail === node) return;
    this.remove(node);
    this.offerLast(node);
  }
}

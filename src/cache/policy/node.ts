/** The index meaning "no node" in the link fields. */
export const NIL = -1;

/** The loader kept per entry for `refreshAfterWrite`. */
export type NodeLoader<K, V> = (key: K) => Promise<V | undefined | null> | V | undefined | null;

/**
 * Int32 words per node in {@link NodeTable.links} and in {@link NodeTable.meta}. The links of all
 * nodes sit together (8 bytes a node), so walking and relinking neighbours stays in a small array.
 */
export const STRIDE = 2;
/** In `links`: previous node in its access-order deque, or NIL. */
export const ACCESS_PREV = 0;
/** In `links`: next node in its access-order deque, or NIL. */
export const ACCESS_NEXT = 1;
/** In `meta`: id of the access-order deque holding the node, 0 when none. */
export const ACCESS_DEQUE = 0;
/** In `meta`: `spread(keyHash(key))`, picks the sketch block; `rehash` of it picks the four counters. */
export const BLOCK_HASH = 1;

/** Field offsets inside a node's record in {@link NodeTable.cold} (`COLD_STRIDE` words per node). */
export const COLD_STRIDE = 4;
/** Previous node in write order, or NIL. */
export const WRITE_PREV = 0;
/** Next node in write order, or NIL. */
export const WRITE_NEXT = 1;
/** Bit flags: {@link IN_WRITE_ORDER}, {@link REFRESHING}, {@link ALIVE}. */
export const FLAGS = 2;
/** Set while the node is in the write-order deque. */
export const IN_WRITE_ORDER = 1;
/** Set while a `refreshAfterWrite` reload is in flight (Caffeine marks `writeTime | 1`). */
export const REFRESHING = 2;
/** Set while the slot holds a live entry. */
export const ALIVE = 4;

const INITIAL_CAPACITY = 64;

/**
 * The cache's entries, stored in slots (as lru-cache stores its own): node `i` is slot `i` of every
 * array. Links are slot numbers, so moving an entry in a deque touches only the nodes' records in
 * one typed array and allocates nothing; a removed slot is recycled by a later insert, with its
 * `generation` bumped so that a refresh still holding the old slot can tell the entry is gone.
 */
export class NodeTable<K, V> {
  keys: (K | undefined)[] = [];
  values: (V | undefined)[] = [];
  /** The loader of the last `get` for the key, used by `refreshAfterWrite`. */
  loaders: (NodeLoader<K, V> | undefined)[] = [];
  /** `STRIDE` words per node: access-order links (offsets above). */
  links: Int32Array = new Int32Array(INITIAL_CAPACITY * STRIDE);
  /** `STRIDE` words per node: deque id and sketch hash (offsets above). */
  meta: Int32Array = new Int32Array(INITIAL_CAPACITY * STRIDE);
  /** `COLD_STRIDE` words per node: write-order links and flags (offsets above). */
  cold: Int32Array = new Int32Array(INITIAL_CAPACITY * COLD_STRIDE);
  /** Virtual ms of the last write (create, replace, load, refresh). */
  writeTimeMs: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** Virtual ms of the last read or write (kept only when the cache expires or refreshes). */
  accessTimeMs: Float64Array = new Float64Array(INITIAL_CAPACITY);
  /** Bumped each time the slot is released: a (slot, generation) pair names one entry for good. */
  generation: Uint32Array = new Uint32Array(INITIAL_CAPACITY);
  /** Released slots, reused last-in first-out: `#free[0 .. #freeCount)`. */
  #free: Int32Array = new Int32Array(INITIAL_CAPACITY);
  #freeCount = 0;
  #used = 0;
  #nextDequeId = 1;
  readonly #timed: boolean;

  /**
   * @param timed false when the cache neither expires nor refreshes: then times, loaders, flags and
   *   generations are never read, and are not kept (a read or insert touches only keys, values, `links`, `meta`)
   */
  constructor(timed: boolean) {
    this.#timed = timed;
  }

  /** A fresh id for an access-order deque over this table. */
  newDequeId(): number {
    return this.#nextDequeId++;
  }

  /** A slot for a new entry, its fields set, unlinked. */
  allocate(key: K, value: V, blockHash: number, now: number): number {
    let i: number;
    if (this.#freeCount > 0) {
      i = this.#free[--this.#freeCount]!;
    } else {
      i = this.#used++;
      if (i >= this.generation.length) this.#grow();
    }
    this.keys[i] = key;
    this.values[i] = value;
    const base = i * STRIDE;
    this.links[base + ACCESS_PREV] = NIL;
    this.links[base + ACCESS_NEXT] = NIL;
    this.meta[base + ACCESS_DEQUE] = 0;
    this.meta[base + BLOCK_HASH] = blockHash;
    if (!this.#timed) return i;
    this.loaders[i] = undefined;
    const cold = this.cold;
    const at = i * COLD_STRIDE;
    cold[at + WRITE_PREV] = NIL;
    cold[at + WRITE_NEXT] = NIL;
    cold[at + FLAGS] = ALIVE;
    this.writeTimeMs[i] = now;
    this.accessTimeMs[i] = now;
    return i;
  }

  /** Frees slot `i` (already unlinked) for reuse; drops its key, value and loader. */
  release(i: number): void {
    this.keys[i] = undefined;
    this.values[i] = undefined;
    this.#free[this.#freeCount++] = i;
    if (!this.#timed) return;
    this.cold[i * COLD_STRIDE + FLAGS] = 0;
    this.generation[i] = (this.generation[i]! + 1) >>> 0;
    this.loaders[i] = undefined;
  }

  /** True while `flag` is set on slot `i`. */
  has(i: number, flag: number): boolean {
    return (this.cold[i * COLD_STRIDE + FLAGS]! & flag) !== 0;
  }

  /** Sets or clears `flag` on slot `i`. */
  mark(i: number, flag: number, on: boolean): void {
    const at = i * COLD_STRIDE + FLAGS;
    this.cold[at] = on ? this.cold[at]! | flag : this.cold[at]! & ~flag;
  }

  #grow(): void {
    const capacity = this.generation.length * 2;
    const links = new Int32Array(capacity * STRIDE);
    links.set(this.links);
    this.links = links;
    const meta = new Int32Array(capacity * STRIDE);
    meta.set(this.meta);
    this.meta = meta;
    const free = new Int32Array(capacity);
    free.set(this.#free);
    this.#free = free;
    const cold = new Int32Array(capacity * COLD_STRIDE);
    cold.set(this.cold);
    this.cold = cold;
    this.writeTimeMs = growFloat64(this.writeTimeMs, capacity);
    this.accessTimeMs = growFloat64(this.accessTimeMs, capacity);
    const generation = new Uint32Array(capacity);
    generation.set(this.generation);
    this.generation = generation;
  }
}

function growFloat64(a: Float64Array, capacity: number): Float64Array {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

/** A doubly linked deque of table slots in access order: head = least recently used, tail = most recently used. */
export class AccessOrderDeque<K, V> {
  head = NIL;
  tail = NIL;
  /** This deque's id, stored in the ACCESS_DEQUE field of its nodes. */
  readonly id: number;
  readonly #table: NodeTable<K, V>;

  constructor(table: NodeTable<K, V>) {
    this.#table = table;
    this.id = table.newDequeId();
  }

  contains(i: number): boolean {
    return this.#table.meta[i * STRIDE + ACCESS_DEQUE] === this.id;
  }

  peekFirst(): number {
    return this.head;
  }

  offerLast(i: number): void {
    const { links, meta } = this.#table;
    const tail = this.tail;
    const base = i * STRIDE;
    meta[base + ACCESS_DEQUE] = this.id;
    links[base + ACCESS_PREV] = tail;
    links[base + ACCESS_NEXT] = NIL;
    if (tail !== NIL) links[tail * STRIDE + ACCESS_NEXT] = i;
    else this.head = i;
    this.tail = i;
  }

  offerFirst(i: number): void {
    const { links, meta } = this.#table;
    const head = this.head;
    const base = i * STRIDE;
    meta[base + ACCESS_DEQUE] = this.id;
    links[base + ACCESS_NEXT] = head;
    links[base + ACCESS_PREV] = NIL;
    if (head !== NIL) links[head * STRIDE + ACCESS_PREV] = i;
    else this.tail = i;
    this.head = i;
  }

  remove(i: number): void {
    const { links, meta } = this.#table;
    const base = i * STRIDE;
    if (meta[base + ACCESS_DEQUE] !== this.id) return;
    const prev = links[base + ACCESS_PREV]!;
    const next = links[base + ACCESS_NEXT]!;
    if (prev !== NIL) links[prev * STRIDE + ACCESS_NEXT] = next;
    else this.head = next;
    if (next !== NIL) links[next * STRIDE + ACCESS_PREV] = prev;
    else this.tail = prev;
    meta[base + ACCESS_DEQUE] = 0;
    links[base + ACCESS_PREV] = NIL;
    links[base + ACCESS_NEXT] = NIL;
  }

  poll(): number {
    const head = this.head;
    if (head !== NIL) this.remove(head);
    return head;
  }

  moveToBack(i: number): void {
    const { links, meta } = this.#table;
    const tail = this.tail;
    const base = i * STRIDE;
    if (meta[base + ACCESS_DEQUE] !== this.id || tail === i) return;
    // Unlink (i is not the tail, so it has a next) and relink after the old tail.
    const prev = links[base + ACCESS_PREV]!;
    const next = links[base + ACCESS_NEXT]!;
    if (prev !== NIL) links[prev * STRIDE + ACCESS_NEXT] = next;
    else this.head = next;
    links[next * STRIDE + ACCESS_PREV] = prev;
    links[base + ACCESS_PREV] = tail;
    links[base + ACCESS_NEXT] = NIL;
    links[tail * STRIDE + ACCESS_NEXT] = i;
    this.tail = i;
  }
}

/** The deque of table slots in write order (oldest write first), for `expireAfterWrite`. */
export class WriteOrderDeque<K, V> {
  head = NIL;
  tail = NIL;
  readonly #table: NodeTable<K, V>;

  constructor(table: NodeTable<K, V>) {
    this.#table = table;
  }

  offerLast(i: number): void {
    const table = this.#table;
    const cold = table.cold;
    const tail = this.tail;
    const base = i * COLD_STRIDE;
    table.mark(i, IN_WRITE_ORDER, true);
    cold[base + WRITE_PREV] = tail;
    cold[base + WRITE_NEXT] = NIL;
    if (tail !== NIL) cold[tail * COLD_STRIDE + WRITE_NEXT] = i;
    else this.head = i;
    this.tail = i;
  }

  remove(i: number): void {
    const table = this.#table;
    if (!table.has(i, IN_WRITE_ORDER)) return;
    const cold = table.cold;
    const base = i * COLD_STRIDE;
    const prev = cold[base + WRITE_PREV]!;
    const next = cold[base + WRITE_NEXT]!;
    if (prev !== NIL) cold[prev * COLD_STRIDE + WRITE_NEXT] = next;
    else this.head = next;
    if (next !== NIL) cold[next * COLD_STRIDE + WRITE_PREV] = prev;
    else this.tail = prev;
    table.mark(i, IN_WRITE_ORDER, false);
    cold[base + WRITE_PREV] = NIL;
    cold[base + WRITE_NEXT] = NIL;
  }

  moveToBack(i: number): void {
    if (!this.#table.has(i, IN_WRITE_ORDER) || this.tail === i) return;
    this.remove(i);
    this.offerLast(i);
  }
}

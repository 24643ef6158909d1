import { assert } from '../assert.ts';
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { EvictionPolicy, RemovalCause } from './policy/eviction-policy.ts';
import { LruPolicy } from './policy/lru-policy.ts';
import { CacheNode, TimedCacheNode, WriteOrderDeque } from './policy/node.ts';
import { NodeIndex } from './policy/node-index.ts';
import { rehash, spread } from './wtinylfu/frequency-sketch.ts';
import { keyHash } from './wtinylfu/key-hash.ts';
import { WindowTinyLfuPolicy } from './wtinylfu/window-tiny-lfu.ts';

/** The size-eviction policy: Caffeine's W-TinyLFU, or plain LRU for comparison. */
export type LocalCachePolicy = 'wtinylfu' | 'lru';

/** The keys the cache accepts: they are hashed for the frequency sketch (see `keyHash`). */
export type LocalCacheKey = string | number;

/**
 * Options of {@link LocalCache}, named after Caffeine's builder
 * (`Caffeine.newBuilder().maximumSize(10000).expireAfterWrite(1, MINUTES).recordStats()` in the article).
 */
export interface LocalCacheOptions {
  /** Most entries kept (integer >= 0). @defaultValue unbounded (no size eviction) */
  readonly maximumSize?: number;
  /** An entry is absent once `now - writeTime >= expireAfterWriteMs` (ms, integer > 0). @defaultValue never */
  readonly expireAfterWriteMs?: number;
  /** An entry is absent once `now - lastAccess >= expireAfterAccessMs`; reads reset it (ms, integer > 0). @defaultValue never */
  readonly expireAfterAccessMs?: number;
  /** A read once `now - writeTime > refreshAfterWriteMs` reloads in the background (ms, integer > 0). @defaultValue never */
  readonly refreshAfterWriteMs?: number;
  /** Count hits, misses, loads and evictions for {@link LocalCache.stats}. @defaultValue false */
  readonly recordStats?: boolean;
  /** Size-eviction policy. @defaultValue 'wtinylfu' */
  readonly policy?: LocalCachePolicy;
}

/** What the cache runs on: time from `clock`, the 1/128 admission draw from `random`. */
export interface LocalCachePorts {
  /** Source of time (virtual ms in a simulation). */
  readonly clock: Clock;
  /** Source of chance; fork one per cache (`sim.random.fork('l1')`). */
  readonly random: Random;
}

/** Loads the value of a missing key; resolving `undefined`/`null` means "no value" (a load failure). */
export type CacheLoader<K, V> = (key: K) => Promise<V | undefined | null> | V | undefined | null;

/**
 * A snapshot of the cache's counters, as Caffeine's `CacheStats`. Evictions include entries removed
 * for size and for expiry, not explicit invalidations ("This count does not include manual
 * invalidations", CacheStats.evictionCount javadoc).
 */
export class CacheStats {
  constructor(
    /** Lookups that found a present entry. */
    readonly hitCount: number,
    /** Lookups that found none (or an expired one). */
    readonly missCount: number,
    /** Loads (and refreshes) that produced a value. */
    readonly loadSuccessCount: number,
    /** Loads (and refreshes) that threw, rejected or produced no value. */
    readonly loadFailureCount: number,
    /** Virtual ms spent in loads, successful or not. */
    readonly totalLoadTimeMs: number,
    /** Entries evicted for size or expiry. */
    readonly evictionCount: number,
    /** Sum of the weights of evicted entries (every entry weighs 1 here). */
    readonly evictionWeight: number,
  ) {}

  /** Caffeine's name for {@link totalLoadTimeMs} (here in ms, not ns). */
  get totalLoadTime(): number {
    return this.totalLoadTimeMs;
  }

  /** hitCount + missCount. */
  requestCount(): number {
    return this.hitCount + this.missCount;
  }

  /** hitCount / requestCount, or 1 when there were no requests (as Caffeine). */
  hitRate(): number {
    const requests = this.requestCount();
    return requests === 0 ? 1 : this.hitCount / requests;
  }

  /** missCount / requestCount, or 0 when there were no requests (as Caffeine). */
  missRate(): number {
    const requests = this.requestCount();
    return requests === 0 ? 0 : this.missCount / requests;
  }

  /** loadSuccessCount + loadFailureCount. */
  loadCount(): number {
    return this.loadSuccessCount + this.loadFailureCount;
  }

  /** Mean ms per load, 0 without loads. */
  averageLoadPenalty(): number {
    const loads = this.loadCount();
    return loads === 0 ? 0 : this.totalLoadTimeMs / loads;
  }
}

interface Pending<V> {
  promise: Promise<V | undefined>;
  /** Cleared by a put or invalidate during the load: the result is then handed to the waiters but not stored. */
  attached: boolean;
}

/**
 * The gateway's L1: a bounded in-process cache faithful to Caffeine 3.2 (W-TinyLFU eviction,
 * write/access expiry, refresh-after-write, `CacheStats`), with every policy step run synchronously
 * inside the call that caused it, so a simulation is deterministic. Time comes only from the
 * injected clock, chance only from the injected random. See docs/local-cache.md.
 */
export class LocalCache<K extends LocalCacheKey, V> {
  readonly #data: NodeIndex<K, V>;
  readonly #pending = new Map<K, Pending<V>>();
  readonly #writeOrder = new WriteOrderDeque<K, V>();
  readonly #policy: EvictionPolicy<K, V> | undefined;
  readonly #clock: Clock;
  readonly #expireAfterWriteMs: number;
  readonly #expireAfterAccessMs: number;
  readonly #refreshAfterWriteMs: number;
  /** Any expiry or refresh: nodes are {@link TimedCacheNode}s (every node of the cache, so the casts below hold). */
  readonly #timed: boolean;
  /** expireAfterWrite or refreshAfterWrite: nodes are kept in write order. */
  readonly #writeOrdered: boolean;
  /** refreshAfterWrite: nodes keep their loader and their `alive` and `refreshing` flags. */
  readonly #refreshes: boolean;
  readonly #recordStats: boolean;
  readonly #evict = (node: CacheNode<K, V>) => this.#evictEntry(node, 'size');
  /** The key of the last getIfPresent that missed, and its index hash (see #write). */
  #missedKey: unknown;
  #missedHash = 0;
  /** The last node evicted for size, recycled by the next insert. */
  #spare: CacheNode<K, V> | undefined;
  #hits = 0;
  #misses = 0;
  #loadSuccesses = 0;
  #loadFailures = 0;
  #loadTimeMs = 0;
  #evictions = 0;

  /** The policy name in force. */
  readonly policy: LocalCachePolicy;
  /** The configured maximum, or `Infinity` when unbounded. */
  readonly maximumSize: number;

  constructor(options: LocalCacheOptions, ports: LocalCachePorts) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('LocalCache: options must be an object');
    }
    if (ports === null || typeof ports !== 'object' || typeof ports.clock?.now !== 'function') {
      throw new TypeError('LocalCache: ports.clock must be a Clock (an object with now())');
    }
    if (typeof ports.random?.next !== 'function') {
      throw new TypeError('LocalCache: ports.random must be a Random (an object with next())');
    }
    const maximumSize = options.maximumSize;
    if (maximumSize !== undefined && !(Number.isSafeInteger(maximumSize) && maximumSize >= 0)) {
      throw new RangeError(`LocalCache: maximumSize must be an integer >= 0, got ${maximumSize}`);
    }
    this.#expireAfterWriteMs = duration('expireAfterWriteMs', options.expireAfterWriteMs);
    this.#expireAfterAccessMs = duration('expireAfterAccessMs', options.expireAfterAccessMs);
    this.#refreshAfterWriteMs = duration('refreshAfterWriteMs', options.refreshAfterWriteMs);
    this.#timed =
      this.#expireAfterWriteMs !== Infinity ||
      this.#expireAfterAccessMs !== Infinity ||
      this.#refreshAfterWriteMs !== Infinity;
    this.#writeOrdered = this.#expireAfterWriteMs !== Infinity || this.#refreshAfterWriteMs !== Infinity;
    this.#refreshes = this.#refreshAfterWriteMs !== Infinity;
    if (options.recordStats !== undefined && typeof options.recordStats !== 'boolean') {
      throw new TypeError(`LocalCache: recordStats must be a boolean, got ${String(options.recordStats)}`);
    }
    const policy = options.policy ?? 'wtinylfu';
    if (policy !== 'wtinylfu' && policy !== 'lru') {
      throw new RangeError(`LocalCache: policy must be 'wtinylfu' or 'lru', got ${String(policy)}`);
    }
    this.policy = policy;
    this.maximumSize = maximumSize ?? Infinity;
    this.#recordStats = options.recordStats ?? false;
    this.#clock = ports.clock;
    // One over the maximum: an insert is indexed before maintenance evicts down to it.
    this.#data = new NodeIndex<K, V>(maximumSize === undefined ? MIN_UNBOUNDED_INDEX : maximumSize + 1);
    if (maximumSize !== undefined) {
      this.#policy =
        policy === 'lru'
          ? new LruPolicy<K, V>(maximumSize)
          : new WindowTinyLfuPolicy<K, V>(maximumSize, ports.random, this.#expireAfterAccessMs !== Infinity);
    } else if (this.#expireAfterAccessMs !== Infinity) {
      // Unbounded, but expireAfterAccess still needs an access order (Caffeine keeps the window deque).
      this.#policy = new LruPolicy<K, V>(Infinity);
    }
  }

  /**
   * The value for `key` if present and not expired, else `undefined` (a miss). A hit on an entry
   * due for refresh starts its background reload (when a loader is known for the key).
   */
  getIfPresent(key: K): V | undefined {
    const hash = lookupHash(key);
    const node = this.#data.get(key, hash);
    if (node === undefined) {
      if (this.#recordStats) this.#misses++;
      // A put of this key usually follows (cache-aside): it will reuse the hash.
      this.#missedKey = key;
      this.#missedHash = hash;
      return undefined;
    }
    if (this.#timed) return this.#getIfPresentTimed(node as TimedCacheNode<K, V>);
    // #afterRead without a time (now is 0 when untimed) and without refresh (that is timed): kept
    // small so that it inlines into the caller.
    if (this.#recordStats) this.#hits++;
    const policy = this.#policy;
    if (policy !== undefined && !policy.skipsReads()) policy.onAccess(node);
    return node.value;
  }

  #getIfPresentTimed(node: TimedCacheNode<K, V>): V | undefined {
    const now = this.#clock.now();
    if (this.#hasExpired(node, now)) {
      // Caffeine getIfPresent: an expired entry is a miss; maintenance then removes it (EXPIRED).
      if (this.#recordStats) this.#misses++;
      this.#maintenance(now);
      return undefined;
    }
    this.#afterReadTimed(node, now);
    return node.value;
  }

  /**
   * The value for `key`, loading it with `loader` on a miss. Concurrent calls for the same missing
   * key share one load (Caffeine `AsyncCache.get`: the first caller counts a miss, the joiners a hit;
   * a failed load fails every waiter and stores nothing). Resolves `undefined` when the loader
   * produces no value (counted as a load failure, as Caffeine does for a `null` load).
   */
  get(key: K, loader: CacheLoader<K, V>): Promise<V | undefined> {
    if (typeof loader !== 'function') throw new TypeError('LocalCache.get: loader must be a function');
    checkKey(key);
    const node = this.#data.get(key, spreadHash(hashKey(key)));
    if (node !== undefined) {
      if (!this.#timed) {
        this.#afterRead(node);
        return Promise.resolve(node.value);
      }
      const timed = node as TimedCacheNode<K, V>;
      const now = this.#clock.now();
      if (!this.#hasExpired(timed, now)) {
        if (this.#refreshes) timed.loader = loader;
        this.#afterReadTimed(timed, now);
        return Promise.resolve(node.value);
      }
    }
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      if (this.#recordStats) this.#hits++;
      return pending.promise;
    }
    if (this.#recordStats) this.#misses++;
    if (node !== undefined) this.#maintenance(this.#clock.now()); // drops the expired entry
    return this.#load(key, loader);
  }

  /** Stores `value` for `key` (create or replace), resetting its write time. Not a stat. */
  put(key: K, value: V): void {
    checkKey(key);
    if (value === undefined) throw new TypeError('LocalCache.put: value must not be undefined');
    if (this.#pending.size !== 0) {
      const pending = this.#pending.get(key);
      if (pending !== undefined) pending.attached = false;
    }
    this.#write(key, value, this.#timed ? this.#clock.now() : 0);
  }

  /** Removes `key` (explicit; not counted as an eviction). A load in flight for it is not stored. */
  invalidate(key: K): void {
    const pending = this.#pending.get(key);
    if (pending !== undefined) pending.attached = false;
    const node = this.#data.get(key, lookupHash(key));
    if (node !== undefined) this.#removeNode(node, 'explicit');
  }

  /** Entries held, including expired ones not yet cleaned up (as Caffeine's `estimatedSize`). */
  estimatedSize(): number {
    return this.#data.size;
  }

  /** Runs pending maintenance now: removes expired entries and evicts to the maximum (`Cache.cleanUp`). */
  cleanUp(): void {
    this.#maintenance(this.#timed ? this.#clock.now() : 0);
  }

  /** A snapshot of the counters; all zero unless `recordStats` was set. */
  stats(): CacheStats {
    return new CacheStats(
      this.#hits,
      this.#misses,
      this.#loadSuccesses,
      this.#loadFailures,
      this.#loadTimeMs,
      this.#evictions,
      this.#evictions,
    );
  }

  /** The W-TinyLFU policy object (regions, sketch) for inspection, or undefined for LRU/unbounded. */
  get windowTinyLfu(): WindowTinyLfuPolicy<K, V> | undefined {
    return this.#policy instanceof WindowTinyLfuPolicy ? this.#policy : undefined;
  }

  // Caffeine afterRead: record the hit, reorder in the policy (untimed: no access time, no refresh).
  #afterRead(node: CacheNode<K, V>): void {
    if (this.#recordStats) this.#hits++;
    const policy = this.#policy;
    if (policy !== undefined && !policy.skipsReads()) policy.onAccess(node);
  }

  // Caffeine afterRead: record the hit, reorder in the policy, reset access time, maybe refresh.
  #afterReadTimed(node: TimedCacheNode<K, V>, now: number): void {
    this.#afterRead(node);
    node.accessTimeMs = now;
    if (this.#refreshes) this.#refreshIfNeeded(node, now);
  }

  #hasExpired(node: TimedCacheNode<K, V>, now: number): boolean {
    // Caffeine BoundedLocalCache.hasExpired: ">=" on both durations.
    return (
      now - node.accessTimeMs >= this.#expireAfterAccessMs ||
      now - node.writeTimeMs >= this.#expireAfterWriteMs
    );
  }

  #write(key: K, value: V, now: number, loader?: CacheLoader<K, V>): void {
    // The hash is a function of the key alone, so the one computed by a getIfPresent that missed
    // this same key is still right.
    const blockHash = key === this.#missedKey ? this.#missedHash : spreadHash(hashKey(key));
    const node = this.#data.get(key, blockHash);
    if (node !== undefined) {
      if (this.#timed && this.#hasExpired(node as TimedCacheNode<K, V>, now)) {
        // Caffeine put over an expired entry: the old one is evicted (EXPIRED), the new one added.
        this.#evictEntry(node, 'expired');
      } else {
        // Caffeine UpdateTask: reorder in write order and count as an access.
        node.value = value;
        if (this.#timed) {
          const timed = node as TimedCacheNode<K, V>;
          timed.writeTimeMs = now;
          timed.accessTimeMs = now;
          if (this.#refreshes) {
            timed.refreshing = false; // discardRefresh: a refresh in flight will not overwrite this
            if (loader !== undefined) timed.loader = loader;
          }
          if (this.#writeOrdered) this.#writeOrder.moveToBack(timed);
        }
        this.#policy?.onAccess(node);
        this.#maintenance(now);
        return;
      }
    }
    const counterHash = rehashHash(blockHash);
    const created = this.#newNode(key, blockHash, counterHash, value, now);
    this.#data.add(created);
    if (this.#timed) {
      const timed = created as TimedCacheNode<K, V>;
      if (this.#refreshes) timed.loader = loader;
      if (this.#writeOrdered) this.#writeOrder.offerLast(timed);
    }
    this.#policy?.onAdd(created);
    this.#maintenance(now);
  }

  #load(key: K, loader: CacheLoader<K, V>): Promise<V | undefined> {
    const pending: Pending<V> = {
      promise: Promise.resolve(undefined),
      attached: true,
    };
    // Registered before the loader starts, so a synchronous failure still finds and clears it.
    this.#pending.set(key, pending);
    pending.promise = this.#runLoad(key, loader, pending, this.#clock.now());
    return pending.promise;
  }

  async #runLoad(
    key: K,
    loader: CacheLoader<K, V>,
    pending: Pending<V>,
    startMs: number,
  ): Promise<V | undefined> {
    let value: V | undefined | null;
    try {
      value = await loader(key);
    } catch (error) {
      if (this.#pending.get(key) === pending) this.#pending.delete(key);
      this.#recordLoad(false, this.#clock.now() - startMs);
      throw error;
    }
    const endMs = this.#clock.now();
    if (this.#pending.get(key) === pending) this.#pending.delete(key);
    if (value === undefined || value === null) {
      this.#recordLoad(false, endMs - startMs);
      return undefined;
    }
    this.#recordLoad(true, endMs - startMs);
    if (pending.attached) this.#write(key, value, endMs, loader);
    return value;
  }

  #recordLoad(success: boolean, ms: number): void {
    if (!this.#recordStats) return;
    if (success) this.#loadSuccesses++;
    else this.#loadFailures++;
    this.#loadTimeMs += ms;
  }

  // Caffeine refreshIfNeeded: strictly after refreshAfterWrite, once per entry at a time; the old
  // value is served until the reload completes; a failed reload keeps it and counts a load failure.
  #refreshIfNeeded(node: TimedCacheNode<K, V>, now: number): void {
    if (node.refreshing || !(now - node.writeTimeMs > this.#refreshAfterWriteMs)) return;
    const loader = node.loader;
    if (loader === undefined) return;
    node.refreshing = true;
    const writeTimeMs = node.writeTimeMs;
    void this.#reload(node, loader, writeTimeMs, now);
  }

  async #reload(
    node: TimedCacheNode<K, V>,
    loader: CacheLoader<K, V>,
    writeTimeMs: number,
    startMs: number,
  ): Promise<void> {
    let value: V | undefined | null;
    try {
      value = await loader(node.key);
    } catch {
      // Caffeine logs and swallows a failed refresh; the entry keeps its old value.
      this.#recordLoad(false, this.#clock.now() - startMs);
      if (node.writeTimeMs === writeTimeMs) node.refreshing = false;
      return;
    }
    const now = this.#clock.now();
    const current = node.alive && node.writeTimeMs === writeTimeMs && node.refreshing;
    if (value === undefined || value === null) {
      this.#recordLoad(false, now - startMs);
      // A refresh to "no value" removes the entry (Caffeine: the remapping returned null).
      if (current) this.#removeNode(node, 'explicit');
      return;
    }
    this.#recordLoad(true, now - startMs);
    // Discard the result if the entry was written, removed or expired meanwhile.
    if (current && !this.#hasExpired(node, now)) {
      node.refreshing = false;
      this.#write(node.key, value, now);
    }
  }

  #maintenance(now: number): void {
    if (this.#timed) this.#expireEntries(now);
    this.#policy?.maintain(this.#evict);
    // Caffeine evicts to the maximum inside maintenance; here it runs in the call that caused it.
    // The message is built only on failure: no closure is allocated per write.
    if (this.#data.size > this.maximumSize) {
      assert(false, `LocalCache: ${this.#data.size} entries over maximumSize`);
    }
  }

  // Caffeine expireAfterAccessEntries / expireAfterWriteEntries: pop expired heads of each deque.
  #expireEntries(now: number): void {
    if (this.#expireAfterAccessMs !== Infinity) {
      const deques = this.#policy?.accessOrderDeques() ?? [];
      for (const deque of deques) {
        for (;;) {
          const node = deque.peekFirst() as TimedCacheNode<K, V> | undefined;
          if (node === undefined || now - node.accessTimeMs < this.#expireAfterAccessMs) break;
          this.#evictEntry(node, 'expired');
        }
      }
    }
    if (this.#expireAfterWriteMs !== Infinity) {
      for (;;) {
        const node = this.#writeOrder.head;
        if (node === undefined || now - node.writeTimeMs < this.#expireAfterWriteMs) break;
        this.#evictEntry(node, 'expired');
      }
    }
  }

  #evictEntry(node: CacheNode<K, V>, cause: RemovalCause): void {
    if (this.#recordStats) this.#evictions++;
    this.#removeNode(node, cause);
    // A node evicted for size is referenced by nothing else unless a refresh may still hold it:
    // keep it for the next insert (as lru-cache reuses its slots) to spare the garbage collector.
    if (cause === 'size' && !this.#refreshes) this.#spare = node;
  }

  #newNode(key: K, blockHash: number, counterHash: number, value: V, now: number): CacheNode<K, V> {
    const node = this.#spare;
    if (node === undefined) {
      return this.#timed
        ? new TimedNode<K, V>(key, blockHash, counterHash, value, now)
        : new Node<K, V>(key, blockHash, counterHash, value);
    }
    this.#spare = undefined;
    node.key = key;
    node.value = value;
    node.blockHash = blockHash;
    node.counterHash = counterHash;
    node.region = 'window';
    if (this.#timed) {
      // A recycled node never has refreshAfterWrite (see #evictEntry): its refresh state is unused.
      const timed = node as TimedCacheNode<K, V>;
      timed.writeTimeMs = now;
      timed.accessTimeMs = now;
    }
    return node;
  }

  #removeNode(node: CacheNode<K, V>, cause: RemovalCause): void {
    void cause;
    this.#data.remove(node);
    if (this.#writeOrdered) this.#writeOrder.remove(node as TimedCacheNode<K, V>);
    this.#policy?.onRemove(node);
    if (this.#refreshes) {
      const timed = node as TimedCacheNode<K, V>;
      timed.alive = false;
      timed.refreshing = false;
    }
  }
}

/** Entries an unbounded cache's index is sized for at first (it grows as needed). */
const MIN_UNBOUNDED_INDEX = 8;

// Local bindings of per-write helpers: imported bindings are getters once transpiled to CommonJS.
const Node = CacheNode;
const TimedNode = TimedCacheNode;
const hashKey = keyHash;
const spreadHash = spread;
const rehashHash = rehash;

// The index hash of a key (its node's blockHash). A key of another type (a caller outside the
// types) hashes to 0 and is simply not found, as a Map would not find it.
function lookupHash(key: unknown): number {
  if (typeof key === 'string' || typeof key === 'number') return spreadHash(hashKey(key));
  return 0;
}

function duration(field: string, value: number | undefined): number {
  if (value === undefined) return Infinity;
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new RangeError(`LocalCache: ${field} must be a positive integer number of ms, got ${value}`);
  }
  return value;
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new TypeError(`LocalCache: key must be a string or a number, got ${typeof key}`);
  }
}

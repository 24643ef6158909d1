// The article's multi-level cache (section 2.2) and the four strategies of its table (2.3).
//
// Read path, as LlmCacheService.getResponse has it: L1 (Caffeine, per node) → L2 (Redis, shared)
// with back-fill of L1 on an L2 hit. The article stops there and returns null; the caller asks the
// LLM and calls cacheResponse (L2 SET 1 h, then L1 put). We continue the path the way section 2.2
// describes the tiers: → L3 (MySQL, store of record) with back-fill of L2 and L1 → the loader (the
// LLM), whose answer is stored according to the strategy:
//
// | strategy      | full miss on get()                         | write(prompt, value)                      |
// |---------------|--------------------------------------------|-------------------------------------------|
// | cache-aside   | undefined; the caller loads, then fill()   | L3, then delete L2 and L1 (+ broadcast)   |
// | read-through  | the cache calls the loader, stores L3/L2/L1| L3, then delete L2 and L1 (+ broadcast)   |
// | write-through | as read-through                            | L3, then set L2 and L1, before returning  |
// | write-behind  | as read-through                            | set L2 and L1 now; L3 later, from a queue |
//
// Every fix of docs/cache.md is an option that is off by default, so the defaults are the
// article's design: singleFlight, xfetch, refreshAfterWriteMs, negativeTtlMs, leases, bus, and
// ttlJitterRatio on the RedisL2.
//
// L2 and L1 hold a small envelope (CacheEntry) rather than the bare response, so that every node
// knows when a value was written, when it logically expires and how long it took to compute —
// the three numbers XFetch and refresh-ahead need. RedisL2 on its own stores bare values as the
// article does.
import { Coalescer } from '../coalesce/index.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import { nullTraceSink, type TraceSink } from '../ports/trace.ts';
import type { InvalidationBus } from './invalidation-bus.ts';
import type { MysqlL3 } from './mysql-l3.ts';
import { hashPrompt, type PromptHashScheme } from './prompt-key.ts';
import type { RedisL2 } from './redis-l2.ts';

/** The four strategies of the article's table (section 2.3). */
export type CacheStrategy = 'cache-aside' | 'read-through' | 'write-through' | 'write-behind';

/** The L1 as the tiered cache uses it; `LocalCache<string, CacheEntry<V>>` satisfies it. */
export interface L1Cache<V> {
  /** The value if present and not expired, else `undefined`. */
  getIfPresent(key: string): V | undefined;
  /** Stores a value (replacing any). */
  put(key: string, value: V): void;
  /** Drops the key. */
  invalidate(key: string): void;
}

/** What L2 and L1 hold for one prompt. */
export interface CacheEntry<V> {
  /** The cached response; missing on a negative entry. */
  readonly value?: V;
  /** True on a negative entry: the store and the loader had nothing for this key. */
  readonly absent?: true;
  /** When the value was computed or read from L3, in clock ms. */
  readonly writtenAtMs: number;
  /** When its L2 copy expires (writtenAtMs + the L2 TTL drawn), in clock ms. */
  readonly expiresAtMs: number;
  /** How long computing it took, in ms (XFetch's Δ; 0 when it came from L3 or a write). */
  readonly deltaMs: number;
}

/** Loads a value on a full miss: the LLM call in the gateway. `undefined` means "no value". */
export type TieredLoader<V> = (prompt: string) => Promise<V | undefined>;

/** Which tier answered a {@link TieredCache.get}. */
export type CacheTier =
  /** An L1 entry. */
  | 'l1'
  /** An L2 entry (L1 back-filled). */
  | 'l2'
  /** An L3 row (L2 and L1 back-filled). */
  | 'l3'
  /** A negative entry in L1 (`negativeTtlMs`): the key is known to have no value. */
  | 'l1-negative'
  /** A negative entry in L2. */
  | 'l2-negative'
  /** XFetch fired: this reader waited for the recompute, or got the unexpired old value when it failed. */
  | 'xfetch'
  /** A full miss answered by a loader call this caller started. */
  | 'loader'
  /** A full miss answered by another caller's loader call on this node, joined (`singleFlight`). */
  | 'joined'
  /** Nothing anywhere, and nothing loaded (cache-aside, or read-through to L3 without a loader). */
  | 'miss';

/** What {@link TieredCache.get} found: the value and which tier answered. */
export interface TieredRead<V> {
  /** The value; `undefined` on a miss or a negative entry. */
  readonly value: V | undefined;
  /** Which tier answered. */
  readonly tier: CacheTier;
  /** Times this read waited on another node's L2 lease before L2 answered; 0 without leases. */
  readonly leaseWaits: number;
  /** True when this read started a background reload (`refreshAfterWriteMs`) and served the old value. */
  readonly refreshStarted: boolean;
}

/** XFetch options (Vattani, Chierichetti, Lowenstein, PVLDB 8(8) 2015). */
export interface XFetchOptions {
  /** β: > 1 refreshes earlier, < 1 later. @defaultValue 1 */
  readonly beta?: number;
}

/** Lease options (memcache leases, NSDI 2013 §3.2.1); the lease lifetime is `RedisL2.leaseTtlMs`. */
export interface LeaseOptions {
  /** How long a reader that hit someone else's lease waits before reading again, in ms. @defaultValue 10 */
  readonly waitMs?: number;
  /** How many times it waits before loading without a lease (and not caching). @defaultValue 100 */
  readonly maxWaits?: number;
}

/** What a full write-behind queue does with one more write. */
export type WriteBehindQueueFullPolicy =
  /** The writer writes this entry to L3 itself, synchronously (like CallerRunsPolicy): nothing lost, the writer slows down. */
  | 'caller-runs'
  /** The write is refused with {@link WriteBehindQueueFullError} before touching any level. */
  | 'reject';

/** Write-behind options. */
export interface WriteBehindOptions {
  /** Most distinct keys waiting for L3 (writes to a queued key replace its value). @defaultValue 1_000 */
  readonly capacity?: number;
  /** A flush starts this long after the first write into an empty queue, in ms. @defaultValue 1_000 */
  readonly flushIntervalMs?: number;
  /** Most rows per L3 statement. @defaultValue 100 */
  readonly batchSize?: number;
  /** See {@link WriteBehindQueueFullPolicy}. @defaultValue 'caller-runs' */
  readonly queueFullPolicy?: WriteBehindQueueFullPolicy;
}

/** Options of {@link TieredCache}. */
export interface TieredCacheOptions<V> {
  /** Which of the article's four strategies. */
  readonly strategy: CacheStrategy;
  /** Per-node cache (the article: Caffeine maximumSize 10000, expireAfterWrite 1 min). Optional. */
  readonly l1?: L1Cache<CacheEntry<V>>;
  /** Shared cache on Redis. */
  readonly l2: RedisL2<CacheEntry<V>>;
  /** Store of record on MySQL. Optional (the article's service code has none). */
  readonly l3?: MysqlL3<V>;
  /** Time: TTL stamps, write-behind flushes, lease waits. */
  readonly clock: Clock;
  /** Chance: XFetch draws. Fork one per node. */
  readonly random: Random;
  /** Events (component `'cache'`). @defaultValue nullTraceSink */
  readonly trace?: TraceSink;
  /** Name of this node in trace events. @defaultValue `'node'` */
  readonly nodeId?: string;
  /** How prompts become keys. @defaultValue `'article'` */
  readonly hashScheme?: PromptHashScheme;
  /** Share one loader call among concurrent misses of a key on this node (Go singleflight). @defaultValue false */
  readonly singleFlight?: boolean;
  /** Probabilistic early recomputation. @defaultValue off */
  readonly xfetch?: XFetchOptions;
  /**
   * Serve the value and reload it in the background once `now − writtenAt > refreshAfterWriteMs`
   * (Caffeine's refreshAfterWrite: strictly after, one reload per key, failures keep the old value).
   * @defaultValue off
   */
  readonly refreshAfterWriteMs?: number;
  /** Cache "no value" for this long, in ms, in L2 and L1. @defaultValue off */
  readonly negativeTtlMs?: number;
  /** Fill L2 only with a lease token. @defaultValue off */
  readonly leases?: LeaseOptions;
  /** Write-behind queue (used when strategy is 'write-behind'). */
  readonly writeBehind?: WriteBehindOptions;
  /** Broadcast invalidations to the other nodes' L1. @defaultValue none */
  readonly bus?: InvalidationBus;
}

/** Thrown by `write` under write-behind with `queueFullPolicy: 'reject'` when the queue is full. */
export class WriteBehindQueueFullError extends Error {
  override readonly name = 'WriteBehindQueueFullError';
  constructor(readonly capacity: number) {
    super(`write-behind queue is full (${capacity} keys waiting for L3)`);
  }
}

/** Counters of one node's tiered cache. All are counts of events since construction. */
export interface TieredCacheStats {
  /** get() calls. */
  readonly requests: number;
  /** Answered from L1, L2, L3. */
  readonly l1Hits: number;
  readonly l2Hits: number;
  readonly l3Hits: number;
  /** Answered by a negative entry (L1 or L2). */
  readonly negativeHits: number;
  /** get() calls that found nothing in any level (before the loader). */
  readonly misses: number;
  /** Loader (LLM) calls started, including refreshes. */
  readonly loaderCalls: number;
  /** Loader calls that failed. */
  readonly loaderFailures: number;
  /** Callers that joined another caller's loader call (single-flight). */
  readonly sharedLoads: number;
  /** Early recomputations XFetch decided. */
  readonly earlyRefreshes: number;
  /** Background reloads started by refreshAfterWriteMs. */
  readonly refreshes: number;
  /** Reads that met someone else's lease and waited. */
  readonly leaseWaits: number;
  /** L2 fills refused because the lease had been revoked (a stale set prevented). */
  readonly staleSetsRefused: number;
  /** Write-behind: writes queued, rows flushed to L3, writes lost to a crash, writes run by the caller, writes rejected. */
  readonly queuedWrites: number;
  readonly flushedWrites: number;
  readonly lostWrites: number;
  readonly callerRunsWrites: number;
  readonly rejectedWrites: number;
  /** Write-behind: flush statements that failed (their rows went back to the queue, or were lost after a crash). */
  readonly flushFailures: number;
  /** L1 invalidations received from the bus. */
  readonly busInvalidations: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** How one write-behind batch ended. */
type BatchOutcome = { readonly kind: 'done' } | { readonly kind: 'failed'; readonly error: unknown };

const DEFAULT_LEASE_WAIT_MS = 10;
const DEFAULT_LEASE_MAX_WAITS = 100;

/** The article's read path and the four strategies over L1, L2 and L3. */
export class TieredCache<V> {
  /** The strategy in use. */
  readonly strategy: CacheStrategy;
  readonly #o: TieredCacheOptions<V>;
  readonly #trace: TraceSink;
  readonly #node: string;
  readonly #stats: Mutable<TieredCacheStats> = {
    requests: 0,
    l1Hits: 0,
    l2Hits: 0,
    l3Hits: 0,
    negativeHits: 0,
    misses: 0,
    loaderCalls: 0,
    loaderFailures: 0,
    sharedLoads: 0,
    earlyRefreshes: 0,
    refreshes: 0,
    leaseWaits: 0,
    staleSetsRefused: 0,
    queuedWrites: 0,
    flushedWrites: 0,
    lostWrites: 0,
    callerRunsWrites: 0,
    rejectedWrites: 0,
    flushFailures: 0,
    busInvalidations: 0,
  };
  /** In-flight loader calls by hash (`singleFlight`): Go's singleflight, one call per hash at a time. */
  readonly #coalescer: Coalescer | undefined;
  /** Hashes with a background refresh running. */
  readonly #refreshing = new Set<string>();
  /** Lease tokens this node holds, by hash (cache-aside hands them from get() to fill()). */
  readonly #leases = new Map<string, string>();
  /** Write-behind queue: hash → latest value, in first-enqueue order. Bounded by `capacity`. */
  readonly #queue = new Map<string, V>();
  #flushTimer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #crashed = false;
  #unsubscribe: (() => Promise<void>) | undefined;
  readonly #wb: Required<WriteBehindOptions>;
  readonly #beta: number;

  constructor(options: TieredCacheOptions<V>) {
    this.#o = options;
    this.strategy = options.strategy;
    this.#trace = options.trace ?? nullTraceSink;
    this.#node = options.nodeId ?? 'node';
    this.#coalescer = options.singleFlight
      ? new Coalescer({ variant: 'singleflight' }, { clock: options.clock })
      : undefined;
    const strategies: readonly CacheStrategy[] = [
      'cache-aside',
      'read-through',
      'write-through',
      'write-behind',
    ];
    if (!strategies.includes(options.strategy)) {
      throw new RangeError(
        `TieredCache: strategy must be one of ${strategies.join(', ')}, got '${options.strategy}'`,
      );
    }
    if (options.strategy === 'write-behind' && !options.l3) {
      throw new TypeError('TieredCache: write-behind needs an l3 to write behind to');
    }
    optionalPositiveInteger('refreshAfterWriteMs', options.refreshAfterWriteMs);
    optionalPositiveInteger('negativeTtlMs', options.negativeTtlMs);
    this.#beta = options.xfetch?.beta ?? 1;
    if (!(this.#beta > 0))
      throw new RangeError(`TieredCache: xfetch.beta must be > 0, got ${options.xfetch?.beta}`);
    const wb = options.writeBehind ?? {};
    this.#wb = {
      capacity: wb.capacity ?? 1_000,
      flushIntervalMs: wb.flushIntervalMs ?? 1_000,
      batchSize: wb.batchSize ?? 100,
      queueFullPolicy: wb.queueFullPolicy ?? 'caller-runs',
    };
    for (const field of ['capacity', 'flushIntervalMs', 'batchSize'] as const) {
      optionalPositiveInteger(`writeBehind.${field}`, this.#wb[field]);
    }
    if (this.#wb.queueFullPolicy !== 'caller-runs' && this.#wb.queueFullPolicy !== 'reject') {
      throw new RangeError(
        `TieredCache: writeBehind.queueFullPolicy must be 'caller-runs' or 'reject', got '${this.#wb.queueFullPolicy}'`,
      );
    }
  }

  /** Subscribes this node's L1 to the invalidation bus (when one is configured). Call once at start. */
  async start(): Promise<void> {
    const { bus, l1 } = this.#o;
    if (!bus || this.#unsubscribe) return;
    this.#unsubscribe = await bus.subscribe((hash) => {
      this.#stats.busInvalidations++;
      l1?.invalidate(hash);
      this.#emit('bus.invalidate', hash);
    });
  }

  /** The key a prompt is stored under in L1, L3 and (after the L2 prefix) L2. */
  hash(prompt: string): string {
    return hashPrompt(prompt, this.#o.hashScheme ?? 'article');
  }

  /** A snapshot of the counters. */
  stats(): TieredCacheStats {
    return { ...this.#stats };
  }

  /** Writes waiting in the write-behind queue. */
  get queuedWrites(): number {
    return this.#queue.size;
  }

  /**
   * The read path: L1 → L2 (back-fill L1) → L3 (back-fill L2, L1) → `loader` (except cache-aside).
   * `loader` is this request's LLM call; it also serves XFetch and refresh-ahead on a hit. Without
   * it, read-through reads through to L3 only (and needs an `l3`). Resolves with the value
   * (`undefined` when nothing has one) and the tier that answered.
   */
  async get(prompt: string, loader?: TieredLoader<V>): Promise<TieredRead<V>> {
    const hash = this.hash(prompt);
    this.#stats.requests++;
    const now = this.#o.clock.now();

    let l1Entry = this.#o.l1?.getIfPresent(hash);
    if (l1Entry?.absent && now >= l1Entry.expiresAtMs) {
      // A negative entry lives negativeTtlMs, even when the L1's own expireAfterWrite is longer.
      this.#o.l1?.invalidate(hash);
      l1Entry = undefined;
    }
    if (l1Entry !== undefined) {
      this.#stats.l1Hits++;
      this.#emit('l1.hit', hash);
      return this.#serve(prompt, hash, l1Entry, now, 'l1', 0, loader);
    }
    this.#emit('l1.miss', hash);

    const { entry: l2Entry, leaseWaits } = await this.#readL2(hash);
    if (l2Entry !== undefined) {
      this.#stats.l2Hits++;
      this.#emit('l2.hit', hash);
      this.#o.l1?.put(hash, l2Entry);
      return this.#serve(prompt, hash, l2Entry, this.#o.clock.now(), 'l2', leaseWaits, loader);
    }
    this.#emit('l2.miss', hash);

    if (this.#o.l3) {
      const stored = await this.#o.l3.get(hash);
      if (stored !== undefined) {
        this.#stats.l3Hits++;
        this.#emit('l3.hit', hash);
        await this.#fillCaches(hash, stored, 0);
        return { value: stored, tier: 'l3', leaseWaits, refreshStarted: false };
      }
      this.#emit('l3.miss', hash);
    }

    this.#stats.misses++;
    const miss: TieredRead<V> = { value: undefined, tier: 'miss', leaseWaits, refreshStarted: false };
    if (this.strategy === 'cache-aside') {
      // The caller loads and calls fill(). With leases the token stays with this node until then.
      return miss;
    }
    if (!loader) {
      if (!this.#o.l3) {
        throw new TypeError('TieredCache.get: read-through without an l3 needs a loader to read through to');
      }
      // Read through to L3 only: L3 is the source, and it has nothing for this key.
      if (this.#o.negativeTtlMs !== undefined) await this.#fillNegative(hash);
      return miss;
    }
    const load = this.#load(prompt, hash, loader);
    const value = await load.value;
    return { value, tier: load.joined ? 'joined' : 'loader', leaseWaits, refreshStarted: false };
  }

  /**
   * The article's `cacheResponse`: L2 SET with the TTL, then L1 put. Under leases the L2 write only
   * happens if this node still holds the key's lease; false when it was refused (and L1 is left alone).
   */
  async fill(prompt: string, value: V): Promise<boolean> {
    return this.#fillCaches(this.hash(prompt), value, 0);
  }

  /** Updates the value of a prompt according to the strategy (see the table at the top of the file). */
  async write(prompt: string, value: V): Promise<void> {
    if (this.#crashed) throw new Error('TieredCache: this node has crashed; create a new one');
    const hash = this.hash(prompt);
    const { l1, l2, l3 } = this.#o;
    this.#emit('write', hash, { strategy: this.strategy });
    switch (this.strategy) {
      case 'cache-aside':
      case 'read-through':
        await l3?.put(hash, value);
        await l2.delete(hash);
        l1?.invalidate(hash);
        break;
      case 'write-through':
        await l3?.put(hash, value);
        await this.#setCaches(hash, value, 0);
        break;
      case 'write-behind':
        if (!this.#queue.has(hash) && this.#queue.size >= this.#wb.capacity) {
          if (this.#wb.queueFullPolicy === 'reject') {
            this.#stats.rejectedWrites++;
            this.#emit('writebehind.reject', hash);
            throw new WriteBehindQueueFullError(this.#wb.capacity);
          }
          this.#stats.callerRunsWrites++;
          this.#emit('writebehind.callerRuns', hash);
          await (l3 as MysqlL3<V>).put(hash, value);
          await this.#setCaches(hash, value, 0);
          break;
        }
        await this.#setCaches(hash, value, 0);
        this.#enqueue(hash, value);
        break;
    }
    await this.#broadcast(hash);
  }

  /** Drops a prompt from L2 and L1 (and, over the bus, from every node's L1). */
  async invalidate(prompt: string): Promise<void> {
    const hash = this.hash(prompt);
    await this.#o.l2.delete(hash);
    this.#o.l1?.invalidate(hash);
    this.#emit('invalidate', hash);
    await this.#broadcast(hash);
  }

  /**
   * Write-behind: writes everything queued to L3 now, in batches; resolves when the queue is empty.
   * One failed batch ends the flush: it rejects with L3's error, the batch's rows go back to the
   * queue and the flush timer is re-armed, so the rows are retried `flushIntervalMs` later on the
   * clock. flush() itself never retries: with L3 down it would never return (a crashed server
   * refuses at once, so the retries would not even wait for a timer).
   */
  async flush(): Promise<void> {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    while (this.#flushing) await this.#flushing;
    try {
      while (this.#queue.size > 0 && !this.#crashed) {
        const running = this.#flushBatch();
        this.#flushing = running.then(() => undefined);
        const outcome = await running;
        this.#flushing = undefined;
        if (outcome.kind === 'failed') throw outcome.error;
      }
    } finally {
      this.#flushing = undefined;
      if (this.#queue.size > 0) this.#armFlush();
    }
  }

  /**
   * Simulates the process dying: the write-behind queue is lost and counted in `lostWrites`
   * (never hidden), timers stop, and this instance refuses further use. A batch already handed to
   * L3 completes or fails as the SqlPort decides: if it completes its rows count in `flushedWrites`,
   * if it fails they count in `lostWrites` then (each lost write is counted exactly once).
   * Returns how many queued writes were lost now.
   */
  crash(): number {
    const lost = this.#queue.size;
    this.#stats.lostWrites += lost;
    if (lost > 0) this.#emit('writebehind.lost', '', { writes: lost });
    this.#queue.clear();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    this.#crashed = true;
    return lost;
  }

  /**
   * Orderly shutdown: flushes the write-behind queue and leaves the bus. Rejects like flush() when
   * L3 is down (the rows stay queued and the node stays on the bus; `crash()` gives them up, counted).
   */
  async close(): Promise<void> {
    await this.flush();
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  // ---- read path helpers ----

  async #readL2(hash: string): Promise<{ entry: CacheEntry<V> | undefined; leaseWaits: number }> {
    const { l2, leases } = this.#o;
    if (!leases) return { entry: await l2.get(hash), leaseWaits: 0 };
    const waitMs = leases.waitMs ?? DEFAULT_LEASE_WAIT_MS;
    const maxWaits = leases.maxWaits ?? DEFAULT_LEASE_MAX_WAITS;
    for (let waits = 0; ; waits++) {
      const reply = await l2.leaseGet(hash);
      if (reply.kind === 'hit') return { entry: reply.value, leaseWaits: waits };
      if (reply.kind === 'lease') {
        this.#leases.set(hash, reply.token);
        this.#emit('lease.granted', hash);
        return { entry: undefined, leaseWaits: waits };
      }
      // Someone else is loading this key ("hot miss"): wait for its set, then read again.
      if (waits >= maxWaits) {
        this.#emit('lease.gaveUp', hash);
        return { entry: undefined, leaseWaits: waits };
      }
      this.#stats.leaseWaits++;
      await this.#o.clock.sleep(waitMs);
    }
  }

  /** Returns an entry's value, applying negative entries, XFetch and refresh-ahead. */
  async #serve(
    prompt: string,
    hash: string,
    entry: CacheEntry<V>,
    now: number,
    tier: 'l1' | 'l2',
    leaseWaits: number,
    loader: TieredLoader<V> | undefined,
  ): Promise<TieredRead<V>> {
    if (entry.absent) {
      this.#stats.negativeHits++;
      this.#emit('negative.hit', hash);
      return { value: undefined, tier: `${tier}-negative`, leaseWaits, refreshStarted: false };
    }
    const value = entry.value as V;
    const served: TieredRead<V> = { value, tier, leaseWaits, refreshStarted: false };
    if (!loader) return served;
    if (this.#o.xfetch && this.#xfetchFires(entry, now)) {
      this.#stats.earlyRefreshes++;
      this.#emit('xfetch.early', hash, { leadMs: entry.expiresAtMs - now });
      // As in the paper, the reader that decides to recompute waits for the new value. The old value
      // has not expired yet, so a failed recompute (counted in loaderFailures) still serves it.
      try {
        return { ...served, value: (await this.#load(prompt, hash, loader).value) ?? value, tier: 'xfetch' };
      } catch {
        return { ...served, tier: 'xfetch' };
      }
    }
    const refreshAfter = this.#o.refreshAfterWriteMs;
    // Caffeine BoundedLocalCache.refreshIfNeeded: eligible strictly after the duration.
    if (refreshAfter !== undefined && now - entry.writtenAtMs > refreshAfter && !this.#refreshing.has(hash)) {
      this.#refreshing.add(hash);
      this.#stats.refreshes++;
      this.#emit('refresh', hash);
      void this.#load(prompt, hash, loader)
        .value.catch(() => undefined) // Caffeine logs and swallows a failed refresh; the old value stays.
        .finally(() => this.#refreshing.delete(hash));
      return { ...served, refreshStarted: true };
    }
    return served;
  }

  /** XFetch: recompute early iff `now − Δ·β·ln(rand) ≥ expiry`, rand uniform in (0, 1]. */
  #xfetchFires(entry: CacheEntry<V>, now: number): boolean {
    const rand = 1 - this.#o.random.next(); // (0, 1], so ln(rand) is finite and ≤ 0
    return now - entry.deltaMs * this.#beta * Math.log(rand) >= entry.expiresAtMs;
  }

  /**
   * One loader call (shared among concurrent callers with singleFlight), then stores its result.
   * `joined` when this caller joined a call already in flight.
   */
  #load(
    prompt: string,
    hash: string,
    loader: TieredLoader<V>,
  ): { value: Promise<V | undefined>; joined: boolean } {
    const coalescer = this.#coalescer;
    if (coalescer === undefined) return { value: this.#loadAndStore(prompt, hash, loader), joined: false };
    // Go singleflight Group.Do runs fn in the caller that created the call, before Do returns; a
    // caller whose fn did not run joined the call in flight.
    let started = false;
    const call = coalescer.execute(hash, () => {
      started = true;
      return this.#loadAndStore(prompt, hash, loader);
    });
    if (!started) this.#stats.sharedLoads++;
    // `.then` unwraps { value, shared }: the value settles one reaction after the coalesced call,
    // as the former `loadAndStore().finally(...)` did, so the microtask order of a read is unchanged.
    return { value: call.then((result) => result.value), joined: !started };
  }

  async #loadAndStore(prompt: string, hash: string, loader: TieredLoader<V>): Promise<V | undefined> {
    this.#stats.loaderCalls++;
    this.#emit('load', hash);
    const startMs = this.#o.clock.now();
    let value: V | undefined;
    try {
      value = await loader(prompt);
    } catch (error) {
      this.#stats.loaderFailures++;
      this.#emit('load.error', hash);
      this.#leases.delete(hash);
      throw error;
    }
    const deltaMs = this.#o.clock.now() - startMs;
    if (value === undefined) {
      if (this.#o.negativeTtlMs !== undefined) await this.#fillNegative(hash);
      return undefined;
    }
    // Read-through and the write strategies keep what the loader produced in the store of record.
    await this.#o.l3?.put(hash, value);
    await this.#fillCaches(hash, value, deltaMs);
    return value;
  }

  /** Back-fill after a miss: L2 (under the lease if leases are on), then L1. */
  async #fillCaches(hash: string, value: V, deltaMs: number): Promise<boolean> {
    const { l1, l2, leases } = this.#o;
    const now = this.#o.clock.now();
    const ttlMs = l2.drawTtlMs();
    const entry: CacheEntry<V> = { value, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs };
    if (leases) {
      const token = this.#leases.get(hash);
      this.#leases.delete(hash);
      if (token === undefined) {
        // Loaded without a lease (gave up waiting): serve it, but do not race the holder's set.
        this.#emit('fill.skipped', hash);
        return false;
      }
      if (!(await l2.leaseSet(hash, token, entry, ttlMs))) {
        this.#stats.staleSetsRefused++;
        this.#emit('fill.refused', hash);
        return false;
      }
    } else {
      await l2.set(hash, entry, ttlMs);
    }
    l1?.put(hash, entry);
    this.#emit('fill', hash, { ttlMs });
    return true;
  }

  /** Write path: set L2 and L1 unconditionally (a write is newer than any outstanding lease). */
  async #setCaches(hash: string, value: V, deltaMs: number): Promise<void> {
    const now = this.#o.clock.now();
    const ttlMs = this.#o.l2.drawTtlMs();
    const entry: CacheEntry<V> = { value, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs };
    await this.#o.l2.set(hash, entry, ttlMs);
    this.#o.l1?.put(hash, entry);
  }

  async #fillNegative(hash: string): Promise<void> {
    const ttlMs = this.#o.negativeTtlMs as number;
    const now = this.#o.clock.now();
    const entry: CacheEntry<V> = { absent: true, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs: 0 };
    const token = this.#leases.get(hash);
    this.#leases.delete(hash);
    if (token !== undefined) {
      if (!(await this.#o.l2.leaseSet(hash, token, entry, ttlMs))) return;
    } else {
      await this.#o.l2.set(hash, entry, ttlMs);
    }
    // get() drops the L1 copy once expiresAtMs passes, whatever the L1's own expireAfterWrite.
    this.#o.l1?.put(hash, entry);
    this.#emit('negative.fill', hash, { ttlMs });
  }

  // ---- write-behind ----

  #enqueue(hash: string, value: V): void {
    this.#queue.set(hash, value);
    this.#stats.queuedWrites++;
    this.#emit('writebehind.enqueue', hash, { queued: this.#queue.size });
    this.#armFlush();
  }

  #armFlush(): void {
    if (this.#flushTimer || this.#flushing || this.#crashed) return;
    this.#flushTimer = this.#o.clock.schedule(this.#wb.flushIntervalMs, () => {
      this.#flushTimer = undefined;
      this.#flushing = this.#flushBatch().then(() => {
        this.#flushing = undefined;
        if (this.#queue.size > 0) this.#armFlush();
      });
    });
  }

  /** Sends up to `batchSize` queued rows to L3 in one statement. Never throws: a failure is returned. */
  async #flushBatch(): Promise<BatchOutcome> {
    const batch: { hash: string; value: V }[] = [];
    for (const [hash, value] of this.#queue) {
      if (batch.length >= this.#wb.batchSize) break;
      batch.push({ hash, value });
    }
    for (const row of batch) this.#queue.delete(row.hash);
    if (batch.length === 0) return { kind: 'done' };
    try {
      await (this.#o.l3 as MysqlL3<V>).putMany(batch);
      this.#stats.flushedWrites += batch.length;
      this.#emit('writebehind.flush', '', { rows: batch.length });
      return { kind: 'done' };
    } catch (error) {
      this.#stats.flushFailures++;
      this.#emit('writebehind.flushFailed', '', { rows: batch.length });
      if (this.#crashed) {
        // The process died while the batch was in flight: crash() counted the queue, and these
        // rows were no longer in it, so they are counted here, once. Nothing goes back into a dead
        // instance's queue.
        this.#stats.lostWrites += batch.length;
        this.#emit('writebehind.lost', '', { writes: batch.length });
        return { kind: 'failed', error };
      }
      // Put the rows back unless a newer write for the key arrived meanwhile; never beyond capacity.
      for (const row of batch) {
        if (this.#queue.has(row.hash)) continue;
        if (this.#queue.size < this.#wb.capacity) this.#queue.set(row.hash, row.value);
        else {
          this.#stats.lostWrites++;
          this.#emit('writebehind.lost', row.hash, { writes: 1 });
        }
      }
      return { kind: 'failed', error };
    }
  }

  async #broadcast(hash: string): Promise<void> {
    if (this.#o.bus) await this.#o.bus.publish(hash);
  }

  #emit(kind: string, hash: string, extra?: Record<string, string | number>): void {
    this.#trace.emit('cache', kind, { node: this.#node, key: hash, ...extra });
  }
}

function optionalPositiveInteger(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`TieredCache: ${field} must be a positive integer, got ${value}`);
  }
}

// The article's multi-level cache (section 2.2) and the four strategies of its table (2.3).
//
// Read path, as LlmCacheService.getResponse has it: L1 (Caffeine, per node) → L2 (Redis, shared)
// with back-fill of L1 on an L2 hit. The article stops there and returns null; the caller asks the
// LLM and calls cacheResponse (L2 SET 1 h, then L1 put). We continue the path the way section 2.2
// describes the tiers: → L3 (MySQL, store of record) with back-fill of L2 and L1 → the loader (the
// LLM), whose answer is stored according to the strategy:
//
// | strategy      | full miss on get(prompt, loader)           | write(prompt, value): write-policies.ts   |
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
import { present } from '../assert.ts';
import { Coalescer } from '../coalesce/index.ts';
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import { nullTraceSink, type TraceSink } from '../ports/trace.ts';
import { hashPrompt } from './prompt-key.ts';
import type {
  CacheEntry,
  CacheStrategy,
  CacheTraceKind,
  TieredCacheOptions,
  TieredCachePorts,
  TieredCacheStats,
  TieredLoader,
  TieredRead,
} from './tiered-cache-types.ts';
import { WriteBehindQueue, writeBehindSettings } from './write-behind-queue.ts';
import {
  InvalidateOnWrite,
  WriteBehind,
  type WritePolicy,
  type WriteTarget,
  WriteThrough,
} from './write-policies.ts';

/** The read-path counters (the write-behind ones live in the queue). */
type ReadCounters = {
  -readonly [K in Exclude<keyof TieredCacheStats, keyof WriteBehindQueue<unknown>['counters']>]: number;
};

const STRATEGIES: readonly CacheStrategy[] = ['cache-aside', 'read-through', 'write-through', 'write-behind'];
const DEFAULT_LEASE_WAIT_MS = 10;
const DEFAULT_LEASE_MAX_WAITS = 100;

/** The article's read path and the four strategies over L1, L2 and L3. */
export class TieredCache<V> {
  /** The strategy in use. */
  readonly strategy: CacheStrategy;
  readonly #options: TieredCacheOptions<V>;
  readonly #clock: Clock;
  readonly #random: Random | undefined;
  readonly #trace: TraceSink;
  readonly #node: string;
  readonly #stats: ReadCounters = {
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
    busInvalidations: 0,
  };
  /** In-flight loader calls by hash (`singleFlight`): Go's singleflight, one call per hash at a time. */
  readonly #coalescer: Coalescer | undefined;
  /** Hashes with a background refresh running. */
  readonly #refreshing = new Set<string>();
  /** Lease tokens this node holds, by hash (cache-aside hands them from get() to fill()). */
  readonly #leases = new Map<string, string>();
  /** The write-behind queue; only under write-behind. */
  readonly #queue: WriteBehindQueue<V> | undefined;
  readonly #writePolicy: WritePolicy<V>;
  #crashed = false;
  #unsubscribe: (() => Promise<void>) | undefined;
  readonly #beta: number;

  constructor(options: TieredCacheOptions<V>, ports: TieredCachePorts) {
    if (!STRATEGIES.includes(options.strategy)) {
      throw new RangeError(
        `TieredCache: strategy must be one of ${STRATEGIES.join(', ')}, got '${options.strategy}'`,
      );
    }
    if (options.strategy === 'write-behind' && !options.l3) {
      throw new TypeError('TieredCache: write-behind needs an l3 to write behind to');
    }
    if (typeof ports?.clock?.now !== 'function') throw new TypeError('TieredCache: ports.clock is required');
    optionalPositiveInteger('refreshAfterWriteMs', options.refreshAfterWriteMs);
    optionalPositiveInteger('negativeTtlMs', options.negativeTtlMs);
    this.#beta = options.xfetch?.beta ?? 1;
    if (!(this.#beta > 0))
      throw new RangeError(`TieredCache: xfetch.beta must be > 0, got ${options.xfetch?.beta}`);
    if (options.xfetch && !ports.random) {
      throw new TypeError('TieredCache: xfetch needs ports.random (the injected Random)');
    }
    this.#options = options;
    this.strategy = options.strategy;
    this.#clock = ports.clock;
    this.#random = ports.random;
    this.#trace = ports.trace ?? nullTraceSink;
    this.#node = options.nodeId ?? 'node';
    this.#coalescer = options.singleFlight
      ? new Coalescer({ variant: 'singleflight' }, { clock: ports.clock })
      : undefined;
    const target: WriteTarget<V> = {
      l1: options.l1,
      l2: options.l2,
      setCaches: (hash, value) => this.#setCaches(hash, value, 0),
      broadcast: (hash) => this.#broadcast(hash),
      emit: (kind, hash) => this.#emit(kind, hash),
    };
    if (options.strategy === 'write-behind') {
      const settings = writeBehindSettings(options.writeBehind);
      this.#queue = new WriteBehindQueue(settings, options.l3, ports.clock, (kind, key, fields) =>
        this.#emit(kind, key, fields),
      );
      this.#writePolicy = new WriteBehind(target, options.l3, this.#queue);
    } else if (options.strategy === 'write-through') {
      this.#writePolicy = new WriteThrough(target, options.l3);
    } else {
      this.#writePolicy = new InvalidateOnWrite(target, options.l3);
    }
  }

  /** Subscribes this node's L1 to the invalidation bus (when one is configured). Call once at start. */
  async start(): Promise<void> {
    const { bus, l1 } = this.#options;
    if (!bus || this.#unsubscribe) return;
    this.#unsubscribe = await bus.subscribe((hash) => {
      this.#stats.busInvalidations++;
      l1?.invalidate(hash);
      this.#emit('bus-invalidate', hash);
    });
  }

  /** The key a prompt is stored under in L1, L3 and (after the L2 prefix) L2. */
  hash(prompt: string): string {
    return hashPrompt(prompt, this.#options.hashScheme ?? 'article');
  }

  /** A snapshot of the counters. */
  stats(): TieredCacheStats {
    const queue = this.#queue?.counters;
    return {
      ...this.#stats,
      queuedWrites: queue?.queuedWrites ?? 0,
      flushedWrites: queue?.flushedWrites ?? 0,
      lostWrites: queue?.lostWrites ?? 0,
      callerRunsWrites: queue?.callerRunsWrites ?? 0,
      rejectedWrites: queue?.rejectedWrites ?? 0,
      flushFailures: queue?.flushFailures ?? 0,
    };
  }

  /** Writes waiting in the write-behind queue (0 under the other strategies). */
  get queuedWrites(): number {
    return this.#queue?.size ?? 0;
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
    const now = this.#clock.now();

    let l1Entry = this.#options.l1?.getIfPresent(hash);
    if (l1Entry?.absent && now >= l1Entry.expiresAtMs) {
      // A negative entry lives negativeTtlMs, even when the L1's own expireAfterWrite is longer.
      this.#options.l1?.invalidate(hash);
      l1Entry = undefined;
    }
    if (l1Entry !== undefined) {
      this.#stats.l1Hits++;
      this.#emit('l1-hit', hash);
      return await this.#serve(prompt, hash, l1Entry, now, 'l1', 0, loader);
    }
    this.#emit('l1-miss', hash);

    const { entry: l2Entry, leaseWaits } = await this.#readL2Guarded(hash);
    if (l2Entry !== undefined) {
      this.#stats.l2Hits++;
      this.#emit('l2-hit', hash);
      this.#options.l1?.put(hash, l2Entry);
      return await this.#serve(prompt, hash, l2Entry, this.#clock.now(), 'l2', leaseWaits, loader);
    }
    this.#emit('l2-miss', hash);

    if (this.#options.l3) {
      const stored = await this.#options.l3.get(hash);
      if (stored !== undefined) {
        this.#stats.l3Hits++;
        this.#emit('l3-hit', hash);
        await this.#fillCaches(hash, stored, 0);
        return { value: stored, tier: 'l3', leaseWaits, refreshStarted: false };
      }
      this.#emit('l3-miss', hash);
    }

    this.#stats.misses++;
    const miss: TieredRead<V> = { value: undefined, tier: 'miss', leaseWaits, refreshStarted: false };
    if (this.strategy === 'cache-aside') {
      // The caller loads and calls fill(). With leases the token stays with this node until then.
      return miss;
    }
    if (!loader) {
      if (!this.#options.l3) {
        throw new TypeError('TieredCache.get: read-through without an l3 needs a loader to read through to');
      }
      // Read through to L3 only: L3 is the source, and it has nothing for this key.
      if (this.#options.negativeTtlMs !== undefined)
        await this.#fillNegative(hash, this.#options.negativeTtlMs);
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

  /** Updates the value of a prompt according to the strategy (see write-policies.ts). */
  write(prompt: string, value: V): Promise<void> {
    if (this.#crashed)
      return Promise.reject(new Error('TieredCache: this node has crashed; create a new one'));
    const hash = this.hash(prompt);
    this.#emit('write', hash, { strategy: this.strategy });
    // The policy's promise is returned as is: a write settles on the same microtask as before.
    return this.#writePolicy.write(hash, value);
  }

  /** Drops a prompt from L2 and L1 (and, over the bus, from every node's L1). */
  async invalidate(prompt: string): Promise<void> {
    const hash = this.hash(prompt);
    await this.#options.l2.delete(hash);
    this.#options.l1?.invalidate(hash);
    this.#emit('invalidate', hash);
    await this.#broadcast(hash);
  }

  /**
   * Write-behind: writes everything queued to L3 now (see `WriteBehindQueue.flush`); resolves at
   * once under the other strategies.
   */
  async flush(): Promise<void> {
    await this.#queue?.flush();
  }

  /**
   * Simulates the process dying: the write-behind queue is lost and counted in `lostWrites`
   * (never hidden), timers stop, and this instance refuses further writes (see
   * `WriteBehindQueue.crash`). Returns how many queued writes were lost now.
   */
  crash(): number {
    this.#crashed = true;
    return this.#queue?.crash() ?? 0;
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

  // `#readL2`, with a Redis error read as a miss when `l2Errors` is 'miss'.
  async #readL2Guarded(hash: string): Promise<{ entry: CacheEntry<V> | undefined; leaseWaits: number }> {
    if (this.#options.l2Errors !== 'miss') return this.#readL2(hash);
    try {
      return await this.#readL2(hash);
    } catch {
      this.#emit('l2-error', hash);
      return { entry: undefined, leaseWaits: 0 };
    }
  }

  async #readL2(hash: string): Promise<{ entry: CacheEntry<V> | undefined; leaseWaits: number }> {
    const { l2, leases } = this.#options;
    if (!leases) return { entry: await l2.get(hash), leaseWaits: 0 };
    const waitMs = leases.waitMs ?? DEFAULT_LEASE_WAIT_MS;
    const maxWaits = leases.maxWaits ?? DEFAULT_LEASE_MAX_WAITS;
    for (let waits = 0; ; waits++) {
      const reply = await l2.leaseGet(hash);
      if (reply.kind === 'hit') return { entry: reply.value, leaseWaits: waits };
      if (reply.kind === 'lease') {
        this.#leases.set(hash, reply.token);
        this.#emit('lease-granted', hash);
        return { entry: undefined, leaseWaits: waits };
      }
      // Someone else is loading this key ("hot miss"): wait for its set, then read again.
      if (waits >= maxWaits) {
        this.#emit('lease-gave-up', hash);
        return { entry: undefined, leaseWaits: waits };
      }
      this.#stats.leaseWaits++;
      await this.#clock.sleep(waitMs);
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
      this.#emit('negative-hit', hash);
      return { value: undefined, tier: `${tier}-negative`, leaseWaits, refreshStarted: false };
    }
    const value = entry.value;
    const served: TieredRead<V> = { value, tier, leaseWaits, refreshStarted: false };
    if (!loader) return served;
    if (this.#options.xfetch && this.#xfetchFires(entry, now)) {
      this.#stats.earlyRefreshes++;
      this.#emit('xfetch-early', hash, { leadMs: entry.expiresAtMs - now });
      // As in the paper, the reader that decides to recompute waits for the new value. The old value
      // has not expired yet, so a failed recompute (counted in loaderFailures) still serves it.
      try {
        return { ...served, value: (await this.#load(prompt, hash, loader).value) ?? value, tier: 'xfetch' };
      } catch {
        return { ...served, tier: 'xfetch' };
      }
    }
    const refreshAfter = this.#options.refreshAfterWriteMs;
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
    const rand = 1 - present(this.#random, 'TieredCache ports.random').next(); // (0, 1], so ln(rand) is finite and ≤ 0
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
    const startMs = this.#clock.now();
    let value: V | undefined;
    try {
      value = await loader(prompt);
    } catch (error) {
      this.#stats.loaderFailures++;
      this.#emit('load-error', hash);
      this.#leases.delete(hash);
      throw error;
    }
    const deltaMs = this.#clock.now() - startMs;
    if (value === undefined) {
      if (this.#options.negativeTtlMs !== undefined)
        await this.#fillNegative(hash, this.#options.negativeTtlMs);
      return undefined;
    }
    // Read-through and the write strategies keep what the loader produced in the store of record.
    await this.#options.l3?.put(hash, value);
    if (this.#options.l2Errors === 'miss') {
      // The answer is good; an L2 that cannot take it only costs a later miss.
      await this.#fillCaches(hash, value, deltaMs).catch(() => this.#emit('l2-error', hash));
    } else {
      await this.#fillCaches(hash, value, deltaMs);
    }
    return value;
  }

  /** Back-fill after a miss: L2 (under the lease if leases are on), then L1. */
  async #fillCaches(hash: string, value: V, deltaMs: number): Promise<boolean> {
    const { l1, l2, leases } = this.#options;
    const now = this.#clock.now();
    const ttlMs = l2.drawTtlMs();
    const entry: CacheEntry<V> = { value, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs };
    if (leases) {
      const token = this.#leases.get(hash);
      this.#leases.delete(hash);
      if (token === undefined) {
        // Loaded without a lease (gave up waiting): serve it, but do not race the holder's set.
        this.#emit('fill-skipped', hash);
        return false;
      }
      if (!(await l2.leaseSet(hash, token, entry, ttlMs))) {
        this.#stats.staleSetsRefused++;
        this.#emit('fill-refused', hash);
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
    const now = this.#clock.now();
    const ttlMs = this.#options.l2.drawTtlMs();
    const entry: CacheEntry<V> = { value, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs };
    await this.#options.l2.set(hash, entry, ttlMs);
    this.#options.l1?.put(hash, entry);
  }

  async #fillNegative(hash: string, ttlMs: number): Promise<void> {
    const now = this.#clock.now();
    const entry: CacheEntry<V> = { absent: true, writtenAtMs: now, expiresAtMs: now + ttlMs, deltaMs: 0 };
    const token = this.#leases.get(hash);
    this.#leases.delete(hash);
    if (token !== undefined) {
      if (!(await this.#options.l2.leaseSet(hash, token, entry, ttlMs))) return;
    } else {
      await this.#options.l2.set(hash, entry, ttlMs);
    }
    // get() drops the L1 copy once expiresAtMs passes, whatever the L1's own expireAfterWrite.
    this.#options.l1?.put(hash, entry);
    this.#emit('negative-fill', hash, { ttlMs });
  }

  async #broadcast(hash: string): Promise<void> {
    if (this.#options.bus) await this.#options.bus.publish(hash);
  }

  #emit(kind: CacheTraceKind, hash: string, extra?: Record<string, string | number>): void {
    // Most events have no extra fields: a plain literal then, not a spread of `undefined`.
    this.#trace.emit(
      'cache',
      kind,
      extra === undefined ? { node: this.#node, key: hash } : { node: this.#node, key: hash, ...extra },
    );
  }
}

function optionalPositiveInteger(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`TieredCache: ${field} must be a positive integer, got ${value}`);
  }
}

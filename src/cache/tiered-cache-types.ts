// The tiered cache's vocabulary: its options (one shape per strategy), its ports, what a read
// returns, what L2 and L1 hold, and its counters.
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { TraceSink } from '../ports/trace.ts';
import type { TRACE_EVENTS } from '../ports/trace-events.ts';
import type { InvalidationBus } from './invalidation-bus.ts';
import type { MysqlL3 } from './mysql-l3.ts';
import type { PromptHashScheme } from './prompt-key.ts';
import type { RedisL2 } from './redis-l2.ts';
import type { WriteBehindOptions } from './write-behind-queue.ts';

/** A trace kind of the `cache` family (declared with its fields in src/ports/trace-events.ts). */
export type CacheTraceKind = keyof (typeof TRACE_EVENTS)['cache'];

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

/** The stamps every entry carries. */
interface CacheEntryStamps {
  /** When the value was computed or read from L3, in clock ms. */
  readonly writtenAtMs: number;
  /** When its L2 copy expires (writtenAtMs + the L2 TTL drawn), in clock ms. */
  readonly expiresAtMs: number;
  /** How long computing it took, in ms (XFetch's Δ; 0 when it came from L3 or a write). */
  readonly deltaMs: number;
}

/** What L2 and L1 hold for one prompt: a value, or a negative entry (`absent`). */
export type CacheEntry<V> = CacheEntryStamps &
  (
    | {
        /** The cached response. */
        readonly value: V;
        readonly absent?: undefined;
      }
    | {
        readonly value?: undefined;
        /** A negative entry: the store and the loader had nothing for this key. */
        readonly absent: true;
      }
  );

/** Loads a value on a full miss: the LLM call in the gateway. `undefined` means "no value". */
export type TieredLoader<V> = (prompt: string) => Promise<V | undefined>;

/** Which tier answered a `TieredCache.get`. */
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

/** What `TieredCache.get` found: the value and which tier answered. */
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

/** The options every strategy shares. */
export interface TieredCacheCommonOptions<V> {
  /** Per-node cache (the article: Caffeine maximumSize 10000, expireAfterWrite 1 min). Optional. */
  readonly l1?: L1Cache<CacheEntry<V>>;
  /** Shared cache on Redis. */
  readonly l2: RedisL2<CacheEntry<V>>;
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
  /** Broadcast invalidations to the other nodes' L1. @defaultValue none */
  readonly bus?: InvalidationBus;
  /**
   * What a Redis error on the read path does: `'throw'` passes it to the caller, as the article's
   * `redisTemplate.opsForValue().get(key)` does (so a Redis shard outage fails every request that
   * misses L1, and trips the breaker above); `'miss'` reads it as a miss and lets the loader answer,
   * and a failed fill after the load is dropped (each traced `l2-error`). @defaultValue 'throw'
   */
  readonly l2Errors?: 'throw' | 'miss';
}

/** Options of `TieredCache`: one shape per strategy, so write-behind cannot be built without an L3. */
export type TieredCacheOptions<V> =
  | (TieredCacheCommonOptions<V> & {
      /** Which of the article's four strategies. */
      readonly strategy: 'cache-aside' | 'read-through' | 'write-through';
      /** Store of record on MySQL. Optional (the article's service code has none). */
      readonly l3?: MysqlL3<V>;
    })
  | (TieredCacheCommonOptions<V> & {
      readonly strategy: 'write-behind';
      /** Store of record on MySQL, written from the write-behind queue. */
      readonly l3: MysqlL3<V>;
      /** The write-behind queue. @defaultValue see {@link WriteBehindOptions} */
      readonly writeBehind?: WriteBehindOptions;
    });

/** Ports of `TieredCache`. */
export interface TieredCachePorts {
  /** Time: TTL stamps, write-behind flushes, lease waits. */
  readonly clock: Clock;
  /** Chance: XFetch draws. Fork one per node. Required when `xfetch` is on. */
  readonly random?: Random;
  /** Events (component `'cache'`). @defaultValue nullTraceSink */
  readonly trace?: TraceSink;
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

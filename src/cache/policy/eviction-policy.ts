import type { AccessOrderDeque, CacheNode } from './node.ts';

/** Why an entry left the cache; `size` and `expired` count as evictions in the stats. */
export type RemovalCause = 'size' | 'expired' | 'explicit' | 'replaced';

/**
 * A size-based eviction policy driven synchronously by `LocalCache` (the same-thread-executor
 * semantics Caffeine recommends for tests: `Caffeine.executor(Runnable::run)`).
 */
export interface EvictionPolicy<K, V> {
  /** A new entry was written (Caffeine `AddTask`). */
  onAdd(node: CacheNode<K, V>): void;
  /** An entry was read, or replaced by a write (Caffeine `onAccess`, `UpdateTask`). */
  onAccess(node: CacheNode<K, V>): void;
  /** An entry left the cache for any reason; unlink it and fix the sizes. */
  onRemove(node: CacheNode<K, V>): void;
  /** Evicts down to the maximum and adapts (Caffeine `evictEntries` then `climb`). */
  maintain(evict: (node: CacheNode<K, V>) => void): void;
  /** True while reads need not be recorded at all (Caffeine `skipReadBuffer`). */
  skipsReads(): boolean;
  /** The access-order deques, scanned from the head by `expireAfterAccess`. */
  accessOrderDeques(): readonly AccessOrderDeque<K, V>[];
}

// What `TieredCache.write(prompt, value)` does under each of the article's four strategies
// (section 2.3), one small policy per strategy:
//
// | strategy      | write(prompt, value)                      |
// |---------------|-------------------------------------------|
// | cache-aside   | L3, then delete L2 and L1                 |
// | read-through  | L3, then delete L2 and L1                 |
// | write-through | L3, then set L2 and L1, before returning  |
// | write-behind  | set L2 and L1 now; L3 later, from a queue |
//
// Every write ends with the broadcast to the other nodes' L1, inside the policy's own call, so a
// write settles on the same microtask as the one switch statement it replaces did.
import type { MysqlL3 } from './mysql-l3.ts';
import type { RedisL2 } from './redis-l2.ts';
import type { CacheEntry, CacheTraceKind, L1Cache } from './tiered-cache-types.ts';
import { type WriteBehindQueue, WriteBehindQueueFullError } from './write-behind-queue.ts';

/** The levels a write reaches, and the tiered cache's unconditional L2 + L1 set. */
export interface WriteTarget<V> {
  readonly l1: L1Cache<CacheEntry<V>> | undefined;
  readonly l2: RedisL2<CacheEntry<V>>;
  /** Sets L2 and L1 unconditionally (a write is newer than any outstanding lease). */
  setCaches(hash: string, value: V): Promise<void>;
  /** Publishes `hash` on the invalidation bus, when there is one. */
  broadcast(hash: string): Promise<void>;
  /** Reports an event of the write path. */
  emit(kind: CacheTraceKind, hash: string): void;
}

/** One strategy's write path. */
export interface WritePolicy<V> {
  /** Applies the write of `value` under `hash` to the levels, in the strategy's order, then broadcasts it. */
  write(hash: string, value: V): Promise<void>;
}

/** Cache-aside and read-through: the store of record first, then the cached copies are dropped. */
export class InvalidateOnWrite<V> implements WritePolicy<V> {
  constructor(
    readonly target: WriteTarget<V>,
    readonly l3: MysqlL3<V> | undefined,
  ) {}

  async write(hash: string, value: V): Promise<void> {
    await this.l3?.put(hash, value);
    await this.target.l2.delete(hash);
    this.target.l1?.invalidate(hash);
    await this.target.broadcast(hash);
  }
}

/** Write-through: the store of record first, then the cached copies are set, before returning. */
export class WriteThrough<V> implements WritePolicy<V> {
  constructor(
    readonly target: WriteTarget<V>,
    readonly l3: MysqlL3<V> | undefined,
  ) {}

  async write(hash: string, value: V): Promise<void> {
    await this.l3?.put(hash, value);
    await this.target.setCaches(hash, value);
    await this.target.broadcast(hash);
  }
}

/**
 * Write-behind: the cached copies now, the store of record later from the queue. A full queue
 * either refuses the write before touching any level (`'reject'`) or has the writer run it through
 * to L3 itself (`'caller-runs'`).
 */
export class WriteBehind<V> implements WritePolicy<V> {
  constructor(
    readonly target: WriteTarget<V>,
    readonly l3: MysqlL3<V>,
    readonly queue: WriteBehindQueue<V>,
  ) {}

  async write(hash: string, value: V): Promise<void> {
    const { queue, target } = this;
    if (queue.isFullFor(hash)) {
      if (queue.settings.queueFullPolicy === 'reject') {
        queue.counters.rejectedWrites++;
        target.emit('write-behind-reject', hash);
        throw new WriteBehindQueueFullError(queue.settings.capacity);
      }
      queue.counters.callerRunsWrites++;
      target.emit('write-behind-caller-runs', hash);
      await this.l3.put(hash, value);
      await target.setCaches(hash, value);
    } else {
      await target.setCaches(hash, value);
      queue.enqueue(hash, value);
    }
    await target.broadcast(hash);
  }
}

// The write-behind queue of the article's fourth strategy (section 2.3): writes reach L2 and L1 at
// once and L3 later, in batches, from a bounded queue keyed by prompt hash (a newer write to a
// queued key replaces its value, as Caffeine's write-behind example coalesces writes per key).
// What a full queue does is a named policy, and a crash counts every write it loses.
import { assert } from '../assert.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { MysqlL3 } from './mysql-l3.ts';
import type { CacheTraceKind } from './tiered-cache-types.ts';

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

/** Thrown by `write` under write-behind with `queueFullPolicy: 'reject'` when the queue is full. */
export class WriteBehindQueueFullError extends Error {
  override readonly name = 'WriteBehindQueueFullError';
  constructor(readonly capacity: number) {
    super(`write-behind queue is full (${capacity} keys waiting for L3)`);
  }
}

/** The write-behind counters, all counts since construction. */
export interface WriteBehindCounters {
  /** Writes queued. */
  queuedWrites: number;
  /** Rows flushed to L3. */
  flushedWrites: number;
  /** Writes lost to a crash (or to a full queue when a failed batch came back). */
  lostWrites: number;
  /** Writes the caller ran itself because the queue was full (`'caller-runs'`). */
  callerRunsWrites: number;
  /** Writes refused because the queue was full (`'reject'`). */
  rejectedWrites: number;
  /** Flush statements that failed (their rows went back to the queue, or were lost after a crash). */
  flushFailures: number;
}

/** How the queue reports events: the tiered cache's `emit(kind, key, fields)`. */
export type WriteBehindEmit = (kind: CacheTraceKind, key: string, fields?: Record<string, number>) => void;

/** How one write-behind batch ended. */
type BatchOutcome = { readonly kind: 'done' } | { readonly kind: 'failed'; readonly error: unknown };

/** Write-behind options with their defaults applied and checked. */
export function writeBehindSettings(options: WriteBehindOptions | undefined): Required<WriteBehindOptions> {
  const wb = options ?? {};
  const settings = {
    capacity: wb.capacity ?? 1_000,
    flushIntervalMs: wb.flushIntervalMs ?? 1_000,
    batchSize: wb.batchSize ?? 100,
    queueFullPolicy: wb.queueFullPolicy ?? 'caller-runs',
  };
  for (const field of ['capacity', 'flushIntervalMs', 'batchSize'] as const) {
    const value = settings[field];
    if (!(Number.isInteger(value) && value > 0)) {
      throw new RangeError(`TieredCache: writeBehind.${field} must be a positive integer, got ${value}`);
    }
  }
  if (settings.queueFullPolicy !== 'caller-runs' && settings.queueFullPolicy !== 'reject') {
    throw new RangeError(
      `TieredCache: writeBehind.queueFullPolicy must be 'caller-runs' or 'reject', got '${settings.queueFullPolicy}'`,
    );
  }
  return settings;
}

/**
 * The queue of writes waiting for L3: hash → latest value, in first-enqueue order, at most
 * `capacity` keys. A timer flushes it `flushIntervalMs` after the first write into an empty queue.
 */
export class WriteBehindQueue<V> {
  /** The settings in force. */
  readonly settings: Required<WriteBehindOptions>;
  /** The counters (see {@link WriteBehindCounters}). */
  readonly counters: WriteBehindCounters = {
    queuedWrites: 0,
    flushedWrites: 0,
    lostWrites: 0,
    callerRunsWrites: 0,
    rejectedWrites: 0,
    flushFailures: 0,
  };
  readonly #l3: MysqlL3<V>;
  readonly #clock: Clock;
  readonly #emit: WriteBehindEmit;
  /** hash → latest value, in first-enqueue order. Bounded by `capacity`. */
  readonly #queue = new Map<string, V>();
  // Not one tagged state: a flush() may run its batches while a timer armed by the previous
  // timer-driven batch is pending, and a batch already handed to L3 outlives a crash.
  #flushTimer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #crashed = false;

  constructor(settings: Required<WriteBehindOptions>, l3: MysqlL3<V>, clock: Clock, emit: WriteBehindEmit) {
    this.settings = settings;
    this.#l3 = l3;
    this.#clock = clock;
    this.#emit = emit;
  }

  /** Writes waiting for L3. */
  get size(): number {
    return this.#queue.size;
  }

  /** True when a write of `hash` would need a new slot and none is left. */
  isFullFor(hash: string): boolean {
    return !this.#queue.has(hash) && this.#queue.size >= this.settings.capacity;
  }

  /** Queues the latest value of `hash` (replacing a queued one) and arms the flush timer. */
  enqueue(hash: string, value: V): void {
    this.#queue.set(hash, value);
    assert(
      this.#queue.size <= this.settings.capacity,
      () => `write-behind queue over capacity: ${this.#queue.size}`,
    );
    this.counters.queuedWrites++;
    this.#emit('write-behind-enqueue', hash, { queued: this.#queue.size });
    this.#armFlush();
  }

  /**
   * Writes everything queued to L3 now, in batches; resolves when the queue is empty. One failed
   * batch ends the flush: it rejects with L3's error, the batch's rows go back to the queue and the
   * flush timer is re-armed, so the rows are retried `flushIntervalMs` later on the clock. flush()
   * itself never retries: with L3 down it would never return (a crashed server refuses at once, so
   * the retries would not even wait for a timer).
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
   * The process dies: the queue is lost and counted in `lostWrites` (never hidden) and the timer
   * stops. A batch already handed to L3 completes or fails as the SqlPort decides: if it completes
   * its rows count in `flushedWrites`, if it fails they count in `lostWrites` then (each lost write
   * is counted exactly once). Returns how many queued writes were lost now.
   */
  crash(): number {
    const lost = this.#queue.size;
    this.counters.lostWrites += lost;
    if (lost > 0) this.#emit('write-behind-lost', '', { writes: lost });
    this.#queue.clear();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    this.#crashed = true;
    // A dead queue holds nothing and never arms a timer again (#armFlush checks #crashed).
    assert(this.#queue.size === 0 && this.#flushTimer === undefined, 'a crashed write-behind queue is empty');
    return lost;
  }

  #armFlush(): void {
    if (this.#flushTimer || this.#flushing || this.#crashed) return;
    this.#flushTimer = this.#clock.schedule(this.settings.flushIntervalMs, () => {
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
      if (batch.length >= this.settings.batchSize) break;
      batch.push({ hash, value });
    }
    for (const row of batch) this.#queue.delete(row.hash);
    assert(batch.length <= this.settings.batchSize, 'write-behind batch over batchSize');
    if (batch.length === 0) return { kind: 'done' };
    try {
      await this.#l3.putMany(batch);
      this.counters.flushedWrites += batch.length;
      this.#emit('write-behind-flush', '', { rows: batch.length });
      return { kind: 'done' };
    } catch (error) {
      this.counters.flushFailures++;
      this.#emit('write-behind-flush-failed', '', { rows: batch.length });
      this.#requeue(batch);
      return { kind: 'failed', error };
    }
  }

  /** A failed batch's rows: back into the queue, or counted lost. */
  #requeue(batch: readonly { hash: string; value: V }[]): void {
    if (this.#crashed) {
      // The process died while the batch was in flight: crash() counted the queue, and these
      // rows were no longer in it, so they are counted here, once. Nothing goes back into a dead
      // instance's queue.
      this.counters.lostWrites += batch.length;
      this.#emit('write-behind-lost', '', { writes: batch.length });
      return;
    }
    // Put the rows back unless a newer write for the key arrived meanwhile; never beyond capacity.
    for (const row of batch) {
      if (this.#queue.has(row.hash)) continue;
      if (this.#queue.size < this.settings.capacity) this.#queue.set(row.hash, row.value);
      else {
        this.counters.lostWrites++;
        this.#emit('write-behind-lost', row.hash, { writes: 1 });
      }
    }
    assert(
      this.#queue.size <= this.settings.capacity,
      'write-behind queue over capacity after a failed batch',
    );
  }
}

/**
 * The timer queue, ordered by `(at, seq)`: due time first, then the order in which timers were
 * scheduled, so timers due at the same instant fire first-scheduled first (SimPy's FIFO tie-break).
 *
 * Virtual time is whole milliseconds, so many timers share a due time. Timers are kept in one FIFO
 * bucket per distinct due time, and only the buckets (one per distinct time) sit in a binary min-heap: pushing onto
 * an existing instant and popping are O(1), and the heap stays as small as the number of distinct
 * instants pending. (A plain heap of timers spent a fifth of a run sifting.) Cancelled timers stay
 * in their bucket and are skipped when they surface, so `cancel` is O(1); `live` counts the
 * timers that will still fire.
 */
export interface Timer {
  /** Virtual time it is due, in whole milliseconds. */
  readonly at: number;
  /** Scheduling order; unique and increasing over the kernel's life. */
  readonly seq: number;
  /** What to run; `null` once cancelled or fired. */
  fn: (() => void) | null;
}

interface Bucket {
  readonly at: number;
  readonly timers: Timer[];
  head: number;
}

export class TimerHeap {
  /**
   * The buckets as a binary min-heap on their due time. The heap holds the buckets themselves, so
   * peeking and popping read the earliest one without a map lookup; the map finds an instant's
   * bucket when a timer is pushed.
   */
  readonly #heap: Bucket[] = [];
  readonly #buckets = new Map<number, Bucket>();
  #live = 0;

  /** Timers that will still fire (cancelled ones excluded). */
  get live(): number {
    return this.#live;
  }

  push(timer: Timer): void {
    this.#live++;
    const at = timer.at;
    const bucket = this.#buckets.get(at);
    if (bucket !== undefined) {
      // Invariant: seq only grows, so appending keeps each bucket in seq order.
      bucket.timers.push(timer);
      return;
    }
    const created: Bucket = { at, timers: [timer], head: 0 };
    this.#buckets.set(at, created);
    this.#pushBucket(created);
  }

  /** Marks a timer cancelled. The caller guarantees it is queued and not yet cancelled or fired. */
  cancel(timer: Timer): void {
    timer.fn = null;
    this.#live--;
  }

  /** The next timer that will fire, dropping cancelled ones; `undefined` when none. */
  peek(): Timer | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const bucket = heap[0]!;
      const timers = bucket.timers;
      while (bucket.head < timers.length) {
        const timer = timers[bucket.head]!;
        if (timer.fn !== null) return timer;
        bucket.head++;
      }
      this.#buckets.delete(bucket.at);
      this.#popBucket();
    }
    return undefined;
  }

  /** Removes the timer `peek()` just returned. */
  pop(): void {
    this.#heap[0]!.head++;
    this.#live--;
  }

  #pushBucket(bucket: Bucket): void {
    const heap = this.#heap;
    const at = bucket.at;
    let i = heap.length;
    heap.push(bucket);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at <= at) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = bucket;
  }

  #popBucket(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    const at = last.at;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && heap[r]!.at < heap[l]!.at) c = r;
      if (at <= heap[c]!.at) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}

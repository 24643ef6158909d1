/**
 * The timer queue, ordered by `(at, seq)`: due time first, then the order in which timers were
 * scheduled, so timers due at the same instant fire first-scheduled first (SimPy's FIFO tie-break).
 *
 * Virtual time is whole milliseconds, so many timers share a due time. Timers are kept in one FIFO
 * bucket per distinct due time, and only the distinct times sit in a binary min-heap: pushing onto
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
  readonly timers: Timer[];
  head: number;
}

export class TimerHeap {
  /** Distinct due times with a bucket, as a binary min-heap. */
  readonly #times: number[] = [];
  readonly #buckets = new Map<number, Bucket>();
  #live = 0;

  /** Timers that will still fire (cancelled ones excluded). */
  get live(): number {
    return this.#live;
  }

  push(timer: Timer): void {
    this.#live++;
    const bucket = this.#buckets.get(timer.at);
    if (bucket !== undefined) {
      // Invariant: seq only grows, so appending keeps each bucket in seq order.
      bucket.timers.push(timer);
      return;
    }
    this.#buckets.set(timer.at, { timers: [timer], head: 0 });
    this.#pushTime(timer.at);
  }

  /** Marks a timer cancelled. The caller guarantees it is queued and not yet cancelled or fired. */
  cancel(timer: Timer): void {
    timer.fn = null;
    this.#live--;
  }

  /** The next timer that will fire, dropping cancelled ones; `undefined` when none. */
  peek(): Timer | undefined {
    const times = this.#times;
    while (times.length > 0) {
      const at = times[0]!;
      const bucket = this.#buckets.get(at)!;
      const timers = bucket.timers;
      while (bucket.head < timers.length) {
        const timer = timers[bucket.head]!;
        if (timer.fn !== null) return timer;
        bucket.head++;
      }
      this.#buckets.delete(at);
      this.#popTime();
    }
    return undefined;
  }

  /** Removes the timer `peek()` just returned. */
  pop(): void {
    const bucket = this.#buckets.get(this.#times[0]!)!;
    bucket.head++;
    this.#live--;
  }

  #pushTime(at: number): void {
    const times = this.#times;
    let i = times.length;
    times.push(at);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = times[parent]!;
      if (p <= at) break;
      times[i] = p;
      i = parent;
    }
    times[i] = at;
  }

  #popTime(): void {
    const times = this.#times;
    const last = times.pop()!;
    const n = times.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && times[r]! < times[l]!) c = r;
      if (last <= times[c]!) break;
      times[i] = times[c]!;
      i = c;
    }
    times[i] = last;
  }
}

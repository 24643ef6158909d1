/**
 * The timer queue, ordered by `(at, seq)`: due time first, then the order in which timers were
 * scheduled, so timers due at the same instant fire first-scheduled first (SimPy's FIFO tie-break).
 *
 * Virtual time is whole milliseconds, so many timers share a due time. Timers are kept in one FIFO
 * bucket per distinct due time (never two buckets for one time). Buckets due within `RING` ms of
 * the cursor sit in a ring indexed by due time: pushing is a slot read, and the next bucket is
 * found by walking the cursor forward over empty slots, each millisecond once. Only buckets outside
 * that window sit in a binary min-heap. (A heap of every pending instant held one per ms for the
 * next 30 s under client timeouts, and popping sifted through 15 levels of buckets long since
 * promoted out of the cache: over 2% of a gateway run; a plain heap of timers spent a fifth of a
 * run sifting.) Cancelled timers stay in their bucket and are skipped when they surface, so
 * `cancel` is O(1); `live` counts the timers that will still fire.
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
  at: number;
  /** Slots `head..size-1` are queued; the slots before `head` are cleared as they are consumed. */
  readonly timers: (Timer | undefined)[];
  head: number;
  size: number;
}

/** Appends `timer` to `bucket`, in a slot a recycled bucket already has when it can. */
function append(bucket: Bucket, timer: Timer): void {
  const timers = bucket.timers;
  if (bucket.size < timers.length) timers[bucket.size] = timer;
  else timers.push(timer);
  bucket.size++;
}

/** Spent ring buckets kept for reuse (each with the array it grew). */
const SPARE_BUCKETS_MAX = 256;

/** Milliseconds the ring covers ahead of its cursor (2^15: past a 30 s client timeout). */
const RING = 32_768;

export class TimerHeap {
  /**
   * Buckets due in `[#cursor, #cursor + RING)`, at index `at % RING`. No ring bucket is due before
   * the cursor, so the earliest is the first occupied slot from the cursor on.
   */
  readonly #ring: (Bucket | undefined)[] = new Array<Bucket | undefined>(RING).fill(undefined);
  #cursor = 0;
  /** Buckets in the ring. */
  #inRing = 0;
  /**
   * Ring buckets spent, kept to be reused: the ring makes and spends one per ms with timers, and
   * a new one grew its array from 1 to 17 slots each time (~40 MB over a gateway run).
   */
  readonly #spare: Bucket[] = [];
  /** The buckets outside the ring's window when pushed, as a binary min-heap on their due time. */
  readonly #heap: Bucket[] = [];
  /** The heap's buckets by due time, to append to an instant's bucket already there. */
  readonly #buckets = new Map<number, Bucket>();
  /** The bucket whose timer `peek` returned last (what `pop` advances). */
  #current: Bucket | undefined;
  #live = 0;

  /** Timers that will still fire (cancelled ones excluded). */
  get live(): number {
    return this.#live;
  }

  push(timer: Timer): void {
    this.#live++;
    const at = timer.at;
    // Invariant: seq only grows, so appending keeps each bucket in seq order. The ring is indexed
    // by whole milliseconds (all the kernel's clock makes); any other instant goes to the heap.
    if (at >= this.#cursor && at < this.#cursor + RING && Number.isInteger(at)) {
      const slot = at % RING;
      const bucket = this.#ring[slot];
      if (bucket !== undefined) {
        // In the window, an occupied slot holds this very instant (the window is RING wide).
        append(bucket, timer);
        return;
      }
      // The instant may have a bucket in the heap, pushed while it was beyond the window.
      if (this.#heap.length > 0) {
        const far = this.#buckets.get(at);
        if (far !== undefined) {
          append(far, timer);
          return;
        }
      }
      let created = this.#spare.pop();
      if (created === undefined) created = { at, timers: [timer], head: 0, size: 1 };
      else {
        created.at = at;
        created.head = 0;
        created.size = 0;
        append(created, timer);
      }
      this.#ring[slot] = created;
      this.#inRing++;
      return;
    }
    const bucket = this.#buckets.get(at);
    if (bucket !== undefined) {
      append(bucket, timer);
      return;
    }
    const created: Bucket = { at, timers: [timer], head: 0, size: 1 };
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
    const ring = this.#ring;
    for (;;) {
      let near: Bucket | undefined;
      if (this.#inRing > 0) {
        let cursor = this.#cursor;
        near = ring[cursor % RING];
        while (near === undefined) near = ring[++cursor % RING];
        this.#cursor = cursor;
      }
      const far = heap.length > 0 ? heap[0]! : undefined;
      // One bucket per instant: the two are never due at the same time.
      const fromRing = near !== undefined && (far === undefined || near.at < far.at);
      const bucket = fromRing ? near : far;
      if (bucket === undefined) return undefined;
      const timers = bucket.timers;
      while (bucket.head < bucket.size) {
        const timer = timers[bucket.head]!;
        if (timer.fn !== null) {
          this.#current = bucket;
          return timer;
        }
        timers[bucket.head] = undefined;
        bucket.head++;
      }
      if (fromRing) {
        ring[bucket.at % RING] = undefined;
        this.#inRing--;
        if (this.#spare.length < SPARE_BUCKETS_MAX) this.#spare.push(bucket);
      } else {
        this.#buckets.delete(bucket.at);
        this.#popBucket();
        // An empty ring follows time: its window starts again at the heap's instant (rounded up:
        // the cursor walks whole milliseconds, and a later push before it goes to the heap).
        if (this.#inRing === 0 && bucket.at > this.#cursor) this.#cursor = Math.ceil(bucket.at);
      }
    }
  }

  /** Removes the timer `peek()` just returned. */
  pop(): void {
    const bucket = this.#current!;
    bucket.timers[bucket.head] = undefined;
    bucket.head++;
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

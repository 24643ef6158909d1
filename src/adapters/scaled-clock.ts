import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../ports/clock.ts';

/** Options of `ScaledClock`. */
export interface ScaledClockOptions {
  /**
   * Scenario milliseconds per real millisecond: 10 runs a 10-minute scenario in one real minute.
   * Only the gateway's own timing scales; real servers keep theirs. @defaultValue 1
   */
  readonly timeScale?: number;
}

/** Largest `timeScale`: past it, one real millisecond is more scenario time than any timer means. */
export const TIME_SCALE_MAX = 1000;

/**
 * The clock of a live run: scenario time, starting at 0 when the clock is made (like the virtual
 * clock, so epoch-aligned windows and a trace's `t` line up with a simulated run of the same
 * scenario), advancing `timeScale` times as fast as the real, monotonic clock. Timers are Node's,
 * set for the real time that is `delayMs` of scenario time. Whole milliseconds, like every clock.
 */
export class ScaledClock implements Clock {
  /** Scenario milliseconds per real millisecond. */
  readonly timeScale: number;
  readonly #startMs: number;

  constructor(options: ScaledClockOptions = {}) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0) || this.timeScale > TIME_SCALE_MAX) {
      throw new RangeError(
        `ScaledClock: timeScale must be > 0 and <= ${TIME_SCALE_MAX}, got ${this.timeScale}`,
      );
    }
    this.#startMs = performance.now();
  }

  /** Scenario milliseconds since the clock was made. */
  now(): number {
    return Math.floor((performance.now() - this.#startMs) * this.timeScale);
  }

  // Node's timers run on libuv's millisecond loop time, so a timer may fire a fraction of a real
  // millisecond before performance.now() says the delay is over; at a large time scale that
  // fraction is many scenario ms. And timers that are due together must still run in scenario-time
  // order. So the clock keeps its own queue ordered by (target, order of scheduling) and one Node
  // timer for its head: when it fires, every entry whose target now() has reached runs, in order,
  // and the timer is set again for the next head.

  /** Pending callbacks, a binary min-heap by (target, seq). */
  readonly #heap: Entry[] = [];
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The target the Node timer is set for (undefined when none is set). */
  #armedFor: number | undefined;

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const delay = this.#checked(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        handle.cancel();
        reject(signal?.reason);
      };
      const handle = this.schedule(delay, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const entry: Entry = {
      target: this.now() + Math.ceil(this.#checked(delayMs)),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    push(this.#heap, entry);
    this.#arm();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  // Sets the one Node timer for the earliest live entry (cancelled ones are dropped on the way).
  #arm(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) pop(this.#heap);
    const head = this.#heap[0];
    if (head === undefined) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = undefined;
      return;
    }
    if (this.#armedFor !== undefined && this.#armedFor <= head.target) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = head.target;
    this.#timer = setTimeout(() => this.#fire(), this.#realMs(head.target - this.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = undefined;
    const now = this.now();
    while (this.#heap.length > 0 && this.#heap[0]!.target <= now) {
      const entry = pop(this.#heap)!;
      if (entry.cancelled) continue;
      try {
        entry.callback();
      } catch (error) {
        // As a throwing Node timer callback would: uncaught, but the callbacks after it still run.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.#arm();
  }

  #checked(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`Clock: delay must be a finite number of ms, got ${ms}`);
    return ms;
  }

  /** The real delay for `ms` of scenario time, at least until `now()` has moved by `ms`. */
  #realMs(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`Clock: delay must be a finite number of ms, got ${ms}`);
    return Math.max(0, Math.ceil(ms) / this.timeScale);
  }
}

interface Entry {
  readonly target: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

const before = (a: Entry, b: Entry) => a.target < b.target || (a.target === b.target && a.seq < b.seq);

function push(heap: Entry[], entry: Entry): void {
  let i = heap.push(entry) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Entry[]): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  for (let i = 0; ; ) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
    if (m === i) break;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
  return top;
}

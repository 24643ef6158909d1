import { abortReason, type Clock, type TimerHandle } from '../../src/ports/clock.ts';
import { SimAbortController } from './abort.ts';
import type { Timer, TimerHeap } from './timer-heap.ts';

/**
 * The simulation's `Clock`: whole virtual milliseconds from 0, timers on the kernel's heap. Time
 * moves only when the kernel fires the next timer; it never moves while simulated code runs.
 */
export class VirtualClock implements Clock {
  /** Current virtual time in ms. Written only by the kernel. */
  nowMs = 0;
  #seq = 0;
  readonly #heap: TimerHeap;

  constructor(heap: TimerHeap) {
    this.#heap = heap;
  }

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // Callbacks are passed inline (unnamed): a named closure costs a `name` property definition
    // per call under tsx (esbuild keepNames), and sleeps and timers are the kernel's hot path.
    if (signal === undefined) return new Promise((resolve) => this.#push(ms, resolve));
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const timer = new AbortableSleep(this.#heap, this.#at(ms), this.#seq++, signal, resolve, reject);
      this.#heap.push(timer);
      // The timer is its own listener (`handleEvent`): no closure per sleep for the abort.
      signal.addEventListener('abort', timer, ONCE);
    });
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    return this.#push(delayMs, callback);
  }

  /** The kernel's `SimAbortController`: a request's timeouts abort it on virtual time. */
  abortController(): AbortController {
    return new SimAbortController() as unknown as AbortController;
  }

  #push(delayMs: number, fn: () => void): ScheduledTimer {
    const timer = new ScheduledTimer(this.#heap, this.#at(delayMs), this.#seq++, fn);
    this.#heap.push(timer);
    return timer;
  }

  /** The due time of a timer set now for `delayMs`. */
  #at(delayMs: number): number {
    if (!Number.isFinite(delayMs)) {
      throw new RangeError(`Clock: delay must be a finite number of ms, got ${delayMs}`);
    }
    // Like Node's timers, a negative delay means "as soon as possible"; fractions round up.
    return this.nowMs + Math.max(0, Math.ceil(delayMs));
  }
}

/** A timer on the heap that is its own `TimerHandle` (one object per timer, no closure). */
class ScheduledTimer implements Timer, TimerHandle {
  constructor(
    readonly heap: TimerHeap,
    readonly at: number,
    readonly seq: number,
    public fn: (() => void) | null,
  ) {}

  cancel(): void {
    if (this.fn !== null) this.heap.cancel(this);
  }
}

/** addEventListener's options for a sleep's listener, made once. */
const ONCE: AddEventListenerOptions = { once: true };

/**
 * A sleep with an AbortSignal: it resolves when due, or rejects (and leaves the heap) on abort. It
 * is its own abort listener (an EventListener object: `handleEvent` is called on abort).
 */
class AbortableSleep implements Timer {
  fn: (() => void) | null;
  readonly #signal: AbortSignal;
  readonly #reject: (reason: unknown) => void;

  constructor(
    readonly heap: TimerHeap,
    readonly at: number,
    readonly seq: number,
    signal: AbortSignal,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#signal = signal;
    this.#reject = reject;
    // Assigned in the constructor, not as a class field: see VirtualClock.sleep.
    this.fn = () => {
      signal.removeEventListener('abort', this);
      resolve();
    };
  }

  handleEvent(): void {
    if (this.fn !== null) this.heap.cancel(this);
    this.#reject(abortReason(this.#signal));
  }
}

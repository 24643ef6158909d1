import { abortReason, type Clock, type TimerHandle } from '../../src/ports/clock.ts';
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
    if (signal === undefined) {
      return new Promise((resolve) => {
        this.#push(ms, resolve);
      });
    }
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (timer.fn !== null) this.#heap.cancel(timer);
        reject(abortReason(signal));
      };
      const timer = this.#push(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timer = this.#push(delayMs, callback);
    return {
      cancel: () => {
        if (timer.fn !== null) this.#heap.cancel(timer);
      },
    };
  }

  #push(delayMs: number, fn: () => void): Timer {
    if (!Number.isFinite(delayMs)) {
      throw new RangeError(`Clock: delay must be a finite number of ms, got ${delayMs}`);
    }
    // Like Node's timers, a negative delay means "as soon as possible"; fractions round up.
    const timer: Timer = { at: this.nowMs + Math.max(0, Math.ceil(delayMs)), seq: this.#seq++, fn };
    this.#heap.push(timer);
    return timer;
  }
}

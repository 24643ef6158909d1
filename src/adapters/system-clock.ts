import { abortReason, type Clock, type TimerHandle } from '../ports/clock.ts';

/**
 * The real clock for live runs against real backends: Unix epoch milliseconds and Node's timers.
 * Whole milliseconds, like the virtual clock, so components see one kind of time.
 */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return timerSleep(wholeMs(ms), signal);
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, wholeMs(delayMs));
    return { cancel: () => clearTimeout(timer) };
  }
}

/**
 * Waits `realMs` real milliseconds on Node's timers; rejects with the signal's reason as soon as it
 * aborts (the timer is cleared). The one abortable real-time sleep of the live clocks.
 */
export function timerSleep(realMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, realMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A delay as Node's timers take it: whole ms, at least 0; a non-finite delay is a RangeError. */
export function wholeMs(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`Clock: delay must be a finite number of ms, got ${ms}`);
  return Math.max(0, Math.ceil(ms));
}

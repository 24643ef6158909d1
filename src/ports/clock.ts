/**
 * The only source of time for components. In a simulation it is the kernel's virtual clock; live,
 * it is `SystemClock` (src/adapters/system-clock.ts). Time is an integer number of milliseconds.
 */
export interface Clock {
  /**
   * Milliseconds since the clock's epoch. The virtual clock starts at 0 so that epoch-aligned
   * windows (Sentinel's `LeapArray`, Redis fixed windows) line up with the start of a run; the
   * system clock returns Unix epoch milliseconds.
   */
  now(): number;

  /**
   * Resolves after `ms` milliseconds (rounded up to a whole millisecond; `0` yields to every timer
   * already due now). Rejects with `signal.reason` if `signal` aborts first, and at once if it is
   * already aborted, like `timers/promises.setTimeout`.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;

  /**
   * Runs `callback` once after `delayMs` milliseconds unless cancelled first. Callbacks due at the
   * same instant run in the order they were scheduled.
   */
  schedule(delayMs: number, callback: () => void): TimerHandle;

  /**
   * Optional: a new `AbortController` for work that this clock's timers may cut short (a
   * timeout). Absent, callers make a standard one. A simulated clock hands out a lighter
   * controller that honours the same signal contract (`aborted`, `reason`, 'abort' listeners)
   * without Node's EventTarget, since a run makes one per upstream call; a signal that leaves the
   * process (`fetch`, a socket) must be a standard one, so a real clock leaves this out.
   */
  abortController?(): AbortController;
}

/** A pending `Clock.schedule` callback. */
export interface TimerHandle {
  /** Prevents the callback from running. Idempotent; a no-op after it has run. */
  cancel(): void;
}

/** The error `sleep` rejects with when its signal aborts without a reason of its own. */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted') {
    super(message);
  }
}

/** The rejection value for an aborted `signal`: its own reason, or an `AbortError`. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new AbortError();
}

/**
 * Calls `fn` every `intervalMs` on `clock` (the first call `intervalMs` from now) until the handle
 * is cancelled: polling loops (a live run's watchdog, its cluster observer, progress) ride on a
 * Clock like everything else instead of Node's `setInterval`.
 */
export function repeat(clock: Clock, intervalMs: number, fn: () => void): TimerHandle {
  let current: TimerHandle | undefined;
  let cancelled = false;
  const arm = () => {
    current = clock.schedule(intervalMs, () => {
      if (cancelled) return;
      arm();
      fn();
    });
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      current?.cancel();
    },
  };
}

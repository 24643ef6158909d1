// The one hand-moved test clock. For code that only reads `now()` outside a Simulation: synchronous
// unit tests (a LocalCache's expiry boundaries, a RedisL2 key, a rule's validation) and contract
// bodies that move the backend's time. It keeps no timers: `sleep` and `schedule` fail loudly,
// because code that waits needs the Simulation's virtual clock, whose timers fire in order.
import type { Clock, TimerHandle } from '#src/ports/clock.ts';

/** A {@link Clock} whose time moves only when the test sets or advances it. */
export class ManualClock implements Clock {
  #nowMs: number;

  /** @param startMs the first reading of `now()`, in integer ms. @defaultValue 0 */
  constructor(startMs = 0) {
    this.#nowMs = checkedMs('startMs', startMs);
  }

  /** The current time, in integer ms. Set it to jump there (backwards too, if a test needs it). */
  get nowMs(): number {
    return this.#nowMs;
  }
  set nowMs(ms: number) {
    this.#nowMs = checkedMs('nowMs', ms);
  }

  /** The current time, in integer ms (the Clock port). */
  now(): number {
    return this.#nowMs;
  }

  /** Moves time forward by `ms` (a non-negative integer). */
  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`ManualClock.advance: ms must be a non-negative integer, got ${ms}`);
    }
    this.#nowMs += ms;
  }

  /** Not supported: rejects. Code that sleeps runs on a Simulation. */
  sleep(ms: number): Promise<void> {
    return Promise.reject(
      new Error(`ManualClock.sleep(${ms}): a hand-moved clock has no timers; use a Simulation`),
    );
  }

  /** Not supported: throws. Code that schedules runs on a Simulation. */
  schedule(delayMs: number): TimerHandle {
    throw new Error(`ManualClock.schedule(${delayMs}): a hand-moved clock has no timers; use a Simulation`);
  }
}

function checkedMs(field: string, ms: number): number {
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(`ManualClock: ${field} must be an integer number of ms, got ${ms}`);
  }
  return ms;
}

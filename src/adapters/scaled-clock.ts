import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { timerSleep } from './system-clock.ts';

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
  // fraction is many scenario ms. Both waits therefore re-arm until now() has reached the target.

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const target = this.now() + Math.ceil(this.#checked(ms));
    do await timerSleep(this.#realMs(target - this.now()), signal);
    while (this.now() < target);
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const target = this.now() + Math.ceil(this.#checked(delayMs));
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      timer = setTimeout(
        () => (this.now() >= target ? callback() : arm()),
        this.#realMs(target - this.now()),
      );
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
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

import type { Clock, TimerHandle } from '../../../src/ports/clock.ts';

/**
 * A clock the test moves by hand, like Sentinel's `AbstractTimeBasedTest` (mocked
 * `TimeUtil.currentTimeMillis`, `sleep(mocked, ms)` adds to it). `sleep` is not expected in
 * breaker-only tests and fails loudly; flow tests with pacing use the Simulation instead.
 */
export class ManualClock implements Clock {
  t: number;
  constructor(startMs = 0) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  sleep(ms: number): Promise<void> {
    return Promise.reject(new Error(`ManualClock: unexpected sleep(${ms})`));
  }
  schedule(): TimerHandle {
    throw new Error('ManualClock: unexpected schedule');
  }
}

import type { Clock } from '../ports/clock.ts';
import { LeapArray } from './leap-array.ts';

/** What flow controllers read from a resource's statistics (Sentinel's `Node`). */
export interface FlowNode {
  /** Passed requests in the last second: two 500 ms buckets, current and previous (`passQps`). */
  passQps(): number;
  /** Passed requests in the previous whole second of the minute array (`previousPassQps`). */
  previousPassQps(): number;
  /** Entries that passed and have not exited (`curThreadNum`). */
  curThreadNum(): number;
}

/**
 * Sentinel's `StatisticNode` (sentinel-core/.../node/StatisticNode.java), the pass counters flow
 * control reads: `rollingCounterInSecond` = `ArrayMetric(2, 1000)` (2 × 500 ms buckets,
 * `RuleConstant.DEFAULT_SAMPLE_COUNT`, `DEFAULT_WINDOW_INTERVAL_MS`) and `rollingCounterInMinute` =
 * 60 × 1 s buckets. Passes are counted after every check has passed, at the time they pass.
 */
export class StatisticNode implements FlowNode {
  readonly #clock: Clock;
  readonly #second = new LeapArray(2, 1000, 1);
  readonly #minute = new LeapArray(60, 60_000, 1);
  #threads = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  passQps(): number {
    const t = this.#clock.now();
    this.#second.currentWindow(t);
    // ArrayMetric.pass() / getWindowIntervalInSec() (= 1.0).
    return this.#second.sum(t, 0);
  }

  previousPassQps(): number {
    const t = this.#clock.now();
    this.#minute.currentWindow(t);
    return this.#minute.previous(t, 0);
  }

  curThreadNum(): number {
    return this.#threads;
  }

  /** `StatisticSlot.entry` after the checks: one more in flight, `count` more passes at clock ms `t`. */
  addPass(count: number, t: number = this.#clock.now()): void {
    this.#second.add(t, 0, count);
    this.#minute.add(t, 0, count);
    this.#threads++;
  }

  /** `StatisticSlot.exit` for a passed entry: one fewer in flight. */
  exit(): void {
    this.#threads--;
  }
}

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
  readonly #secondCounts = this.#second.counts;
  readonly #minuteCounts = this.#minute.counts;
  #threads = 0;
  // The times [#hotFromMs, #hotUntilMs) for which the last addPass's buckets are current in both
  // arrays (the intersection of its two windows), and those buckets: the next pass in that span
  // adds to them without a window lookup per array. Every other window lookup on the arrays
  // (passQps, previousPassQps) may move a bucket to a newer window, so it empties the span.
  #hotFromMs = 0;
  #hotUntilMs = 0;
  #hotSecond = 0;
  #hotMinute = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  passQps(): number {
    const t = this.#clock.now();
    this.#hotUntilMs = this.#hotFromMs;
    this.#second.currentWindow(t);
    // ArrayMetric.pass() / getWindowIntervalInSec() (= 1.0).
    return this.#second.sum(t, 0);
  }

  previousPassQps(): number {
    const t = this.#clock.now();
    this.#hotUntilMs = this.#hotFromMs;
    this.#minute.currentWindow(t);
    return this.#minute.previous(t, 0);
  }

  curThreadNum(): number {
    return this.#threads;
  }

  /** `StatisticSlot.entry` after the checks: one more in flight, `count` more passes at clock ms `t`. */
  addPass(count: number, t: number = this.#clock.now()): void {
    // Both arrays have one counter per bucket (width 1): a bucket's index is its counter's.
    if (t >= this.#hotFromMs && t < this.#hotUntilMs) {
      (this.#secondCounts[this.#hotSecond] as number) += count;
      (this.#minuteCounts[this.#hotMinute] as number) += count;
    } else {
      this.#addPassSlow(count, t);
    }
    this.#threads++;
  }

  // LeapArray.currentWindow on both arrays (resetting a bucket that held an older window), then
  // the pass; remembers the span in which both buckets stay current.
  #addPassSlow(count: number, t: number): void {
    const second = this.#second;
    const minute = this.#minute;
    const s = second.currentWindow(t);
    const m = minute.currentWindow(t);
    second.addAt(s, 0, count);
    minute.addAt(m, 0, count);
    const secondStart = t - (t % second.windowLengthMs);
    const minuteStart = t - (t % minute.windowLengthMs);
    this.#hotSecond = s;
    this.#hotMinute = m;
    this.#hotFromMs = Math.max(secondStart, minuteStart);
    this.#hotUntilMs = Math.min(secondStart + second.windowLengthMs, minuteStart + minute.windowLengthMs);
  }

  /** `StatisticSlot.exit` for a passed entry: one fewer in flight. */
  exit(): void {
    this.#threads--;
  }
}

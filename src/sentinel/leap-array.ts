/**
 * Sentinel's `LeapArray` (sentinel-core/.../slots/statistic/base/LeapArray.java) reduced to what the
 * breakers and flow controllers read: `sampleCount` buckets of `intervalMs / sampleCount` ms, each
 * holding `width` numeric counters, with buckets aligned to multiples of the bucket length since the
 * clock's epoch (`windowStart = t - t % windowLengthMs`).
 *
 * A bucket whose start differs from the one `t` maps to is reset in place when `t` reaches it
 * (`currentWindow`), and a bucket is "deprecated" once `t - windowStart > intervalMs` (strict), so
 * `sum` over a 1-bucket array is a tumbling window, not a sliding one (alibaba/Sentinel#3130).
 * Buckets and counters are preallocated: nothing is allocated per event.
 */
export class LeapArray {
  /** Length of one bucket in ms. */
  readonly windowLengthMs: number;
  /** Span of the whole array in ms. */
  readonly intervalMs: number;
  /** Number of buckets. */
  readonly sampleCount: number;
  /** Counters per bucket. */
  readonly width: number;
  /** Start of each bucket in ms; -1 while the slot has never been used (Sentinel's `null` WindowWrap). */
  readonly #starts: Float64Array;
  /**
   * Counters, bucket-major: counter `k` of bucket `i` is `counts[i * width + k]`. @internal Read
   * and written directly only by `StatisticNode`'s pass path, at an index `currentWindow` returned.
   */
  readonly counts: Float64Array;
  // The bucket the last call landed in, [#hotStart, #hotStart + windowLengthMs): most calls hit it
  // again, and then no division is needed.
  #hotIdx = 0;
  #hotStart = -1;

  constructor(sampleCount: number, intervalMs: number, width: number) {
    // LeapArray's constructor assertions.
    if (!(Number.isInteger(sampleCount) && sampleCount > 0)) {
      throw new RangeError(`LeapArray: sampleCount must be a positive integer, got ${sampleCount}`);
    }
    if (!(Number.isInteger(intervalMs) && intervalMs > 0)) {
      throw new RangeError(`LeapArray: intervalMs must be a positive integer, got ${intervalMs}`);
    }
    if (intervalMs % sampleCount !== 0) {
      throw new RangeError(
        `LeapArray: intervalMs ${intervalMs} must be divisible by sampleCount ${sampleCount}`,
      );
    }
    this.sampleCount = sampleCount;
    this.intervalMs = intervalMs;
    this.windowLengthMs = intervalMs / sampleCount;
    this.width = width;
    this.#starts = new Float64Array(sampleCount).fill(-1);
    this.counts = new Float64Array(sampleCount * width);
  }

  /**
   * Index of the bucket for time `t`, after resetting it if it held an older window
   * (`LeapArray.currentWindow`). Sentinel returns a fresh detached bucket when `t` is behind the
   * stored window; time never goes backwards on our clocks, so that branch is not reachable here.
   */
  currentWindow(t: number): number {
    const hot = this.#hotStart;
    if (t >= hot && t - hot < this.windowLengthMs && hot >= 0) return this.#hotIdx;
    const idx = Math.floor(t / this.windowLengthMs) % this.sampleCount;
    const windowStart = t - (t % this.windowLengthMs);
    if (this.#starts[idx] !== windowStart) {
      this.#starts[idx] = windowStart;
      this.counts.fill(0, idx * this.width, (idx + 1) * this.width);
    }
    this.#hotIdx = idx;
    this.#hotStart = windowStart;
    return idx;
  }

  /** Adds `n` to counter `k` of the bucket for time `t`. */
  add(t: number, k: number, n: number): void {
    this.addAt(this.currentWindow(t), k, n);
  }

  /**
   * Adds `n` to counter `k` of bucket `idx`, an index {@link currentWindow} returned for a time
   * whose window no other call has moved that bucket off since.
   */
  addAt(idx: number, k: number, n: number): void {
    const i = idx * this.width + k;
    this.counts[i] = this.counts[i]! + n;
  }

  /** Counter `k` summed over the buckets that are not deprecated at `t` (`LeapArray.values(t)`). */
  sum(t: number, k: number): number {
    let s = 0;
    for (let i = 0; i < this.sampleCount; i++) {
      const start = this.#starts[i]!;
      if (start < 0 || t - start > this.intervalMs) continue;
      s += this.counts[i * this.width + k]!;
    }
    return s;
  }

  /** Resets every counter of the bucket for time `t` (the breakers' `resetStat`). */
  resetCurrent(t: number): void {
    const idx = this.currentWindow(t);
    this.counts.fill(0, idx * this.width, (idx + 1) * this.width);
  }

  /**
   * Counter `k` of the bucket just before the one `t` maps to, or 0 when that slot holds a
   * deprecated or too-old window (`LeapArray.getPreviousWindow(t)`).
   */
  previous(t: number, k: number): number {
    const prevT = t - this.windowLengthMs;
    if (prevT < 0) return 0;
    const idx = Math.floor(prevT / this.windowLengthMs) % this.sampleCount;
    const start = this.#starts[idx]!;
    if (start < 0 || t - start > this.intervalMs) return 0;
    if (start + this.windowLengthMs < prevT) return 0;
    return this.counts[idx * this.width + k]!;
  }
}

/**
 * The breakers' statistics: a `LeapArray` with one bucket of `intervalMs` and two counters, the shape
 * of Sentinel's `SlowRequestLeapArray(1, statIntervalMs)` and `SimpleErrorCounterLeapArray(1,
 * statIntervalMs)` (ResponseTimeCircuitBreaker.java, ExceptionCircuitBreaker.java), written out for
 * one bucket so the per-request path is a few field reads. `roll(t)` is `LeapArray.currentWindow(t)`
 * for that bucket (same alignment, same reset rule). With one bucket, `values(t)` right after
 * `currentWindow(t)` is that bucket (`t − start < intervalMs`, never deprecated), so `roll(t)` then
 * reading `total`/`bad` is exactly what `LeapArray.sum(t, k)` returns.
 */
export class OneBucketWindow {
  /** Length of the bucket (the breaker's `statIntervalMs`), in ms. */
  readonly intervalMs: number;
  /** Start of the bucket in clock ms; -1 before first use (Sentinel's `null` WindowWrap). */
  start = -1;
  /** Requests counted in the bucket. */
  total = 0;
  /** Slow (RT rule) or failed (exception rules) requests counted in the bucket. */
  bad = 0;

  constructor(intervalMs: number) {
    if (!(Number.isInteger(intervalMs) && intervalMs > 0)) {
      throw new RangeError(`LeapArray: intervalMs must be a positive integer, got ${intervalMs}`);
    }
    this.intervalMs = intervalMs;
  }

  /** Moves to the bucket for time `t`, zeroing the counters if it starts a new window (`currentWindow`). */
  roll(t: number): void {
    const s = this.start;
    if (t >= s && t - s < this.intervalMs && s >= 0) return;
    this.#moveTo(t);
  }

  #moveTo(t: number): void {
    const s = this.start;
    const windowStart = t - (t % this.intervalMs);
    if (windowStart !== s) {
      this.start = windowStart;
      this.total = 0;
      this.bad = 0;
    }
  }

  /** Zeroes the bucket for time `t` (the breakers' `resetStat`). */
  reset(t: number): void {
    this.roll(t);
    this.total = 0;
    this.bad = 0;
  }
}

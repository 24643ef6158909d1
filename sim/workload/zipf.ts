import { assert } from '../../src/assert.ts';
import type { Random } from '../../src/ports/random.ts';

/** Largest population a `Zipf` sampler holds (its CDF costs 8 bytes per item). */
export const ZIPF_ITEMS_MAX = 10_000_000;

/**
 * Zipf-distributed ranks in `[0, n)`: P(rank k) ∝ 1 / (k + 1)^s. Prompt popularity in chat
 * workloads is heavy-tailed like this (web caching: Breslau et al., "Web Caching and Zipf-like
 * Distributions", INFOCOM 1999, s ≈ 0.6–0.9; s = 0 is uniform). Sampling is one uniform draw and a
 * binary search over the precomputed CDF, so every draw costs exactly one value from `random`.
 */
export class Zipf {
  readonly n: number;
  readonly s: number;
  readonly #cdf: Float64Array;

  constructor(options: { readonly n: number; readonly s: number }) {
    const { n, s } = options;
    if (!Number.isSafeInteger(n) || n < 1 || n > ZIPF_ITEMS_MAX) {
      throw new RangeError(`Zipf: n must be an integer in [1, ${ZIPF_ITEMS_MAX}], got ${n}`);
    }
    if (!(s >= 0) || !Number.isFinite(s) || s > 10)
      throw new RangeError(`Zipf: s must be in [0, 10], got ${s}`);
    this.n = n;
    this.s = s;
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / (k + 1) ** s;
      this.#cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.#cdf[k] = (this.#cdf[k] ?? 0) / sum;
  }

  /** One rank in `[0, n)`. */
  next(random: Random): number {
    const u = random.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#cdf[mid] ?? 1) > u) hi = mid;
      else lo = mid + 1;
    }
    assert(lo >= 0 && lo < this.n, 'Zipf rank out of range');
    return lo;
  }
}

/**
 * Exact quantiles of whole-millisecond latencies in bounded memory: one counter per millisecond
 * up to `maxMs`, one overflow counter above it. Memory is fixed however many samples arrive.
 */
export class LatencyHistogram {
  readonly #counts: Uint32Array;
  #overflow = 0;
  #count = 0;
  #max = 0;

  /** @param maxMs largest latency counted exactly, in ms. @defaultValue 600_000 */
  constructor(readonly maxMs = 600_000) {
    this.#counts = new Uint32Array(maxMs + 1);
  }

  get count(): number {
    return this.#count;
  }

  /** Samples above `maxMs` (counted, not placed). */
  get overflow(): number {
    return this.#overflow;
  }

  /** Largest sample, in ms. */
  get max(): number {
    return this.#max;
  }

  record(ms: number): void {
    const v = Math.max(0, Math.round(ms));
    if (v > this.maxMs) this.#overflow++;
    else this.#counts[v]!++;
    this.#count++;
    if (v > this.#max) this.#max = v;
  }

  /** The smallest latency with at least `q` of the samples at or below it (nearest rank); null when empty. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let ms = 0; ms <= this.maxMs; ms++) {
      seen += this.#counts[ms]!;
      if (seen >= rank) return ms;
    }
    return this.#max;
  }
}

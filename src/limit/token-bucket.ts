import { assert } from '../assert.ts';
import { admitted, type Outcome, refused } from '../outcome.ts';
import type { Clock } from '../ports/clock.ts';

/**
 * Which token bucket to run.
 * - `'seed'`: the article's `TokenBucketRateLimiter` (section 4.1) as written: whole tokens only,
 *   and a refill that adds at least one token also moves `lastRefillTime` to now, so the fraction
 *   of a token earned since the last refill is thrown away.
 * - `'exact'`: the corrected bucket: refill is continuous and nothing is lost.
 */
export type TokenBucketVariant = 'seed' | 'exact';

/** Options of `TokenBucket`. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds; it starts full. A positive integer, in tokens. */
  readonly capacity: number;
  /**
   * Tokens added per second (the article's `refillRate`). `'seed'`: a positive integer (its `long`); `'exact'`: a
   * positive multiple of 0.001 tokens/s.
   */
  readonly refillTokensPerSecond: number;
  /** @defaultValue 'exact' */
  readonly variant?: TokenBucketVariant;
}

/** Ports of `TokenBucket`. */
export interface TokenBucketPorts {
  /** Source of time; the bucket reads `clock.now()` (ms) on every call. */
  readonly clock: Clock;
}

// The exact bucket counts micro-tokens (10^-6 token) in integers: with a refill rate that is a
// multiple of 0.001 tokens/s, one millisecond earns a whole number of micro-tokens, so repeated
// refills never accumulate floating-point error.
const MICRO = 1_000_000;
const NANOS_PER_MS = 1_000_000;
// Below this the seed's `elapsed * refillRate` certainly fits a Java `long` (max 2^63 − 1); at or
// above it we compute in BigInt with 64-bit wraparound, which is exact either way.
const LONG_SAFE = 2 ** 62;

/** The article's bucket: whole tokens, and a refill that throws away the fraction it did not add. */
class SeedBucket {
  // Whole tokens, 0 <= tokens <= capacity.
  #tokens: number;
  // The article's `lastRefillTime`, kept in clock ms (its nanoseconds are ms × 10^6; keeping ms
  // avoids products above 2^53 with epoch clocks).
  #last: number;
  readonly #capacity: number;
  readonly #refillRate: number;

  constructor(capacity: number, refillRate: number, now: number) {
    // Article: `tokens = new AtomicLong(capacity); lastRefillTime = new AtomicLong(System.nanoTime())`.
    this.#capacity = capacity;
    this.#refillRate = refillRate;
    this.#tokens = capacity;
    this.#last = now;
  }

  take(permits: number, now: number): boolean {
    this.#refill(now);
    // Article: `if (tokens.get() > 0) { tokens.decrementAndGet(); return true; }` — for one
    // permit `> 0` and `>= 1` are the same test.
    if (this.#tokens < permits) return false;
    this.#tokens -= permits;
    this.#check();
    return true;
  }

  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  // The article's `refill()`, on nanoseconds derived from the clock's milliseconds:
  //   tokensToAdd = (elapsed * refillRate) / 1_000_000_000L   (long arithmetic, truncating)
  //   if (tokensToAdd > 0) { tokens = min(capacity, tokens + tokensToAdd); lastRefillTime = now; }
  // Resetting lastRefillTime to now discards the remainder `(elapsed * refillRate) % 1e9`.
  #refill(now: number): void {
    const elapsedMs = now - this.#last;
    let tokensToAdd: number;
    if (elapsedMs * NANOS_PER_MS * this.#refillRate < LONG_SAFE) {
      // (elapsedMs × 10^6 × rate) / 10^9 truncated = elapsedMs × rate / 1000 truncated; the product
      // elapsedMs × rate is an integer below 2^53 here, so this is exact.
      tokensToAdd = Math.trunc((elapsedMs * this.#refillRate) / 1000);
    } else {
      // Past Long.MAX_VALUE the JVM's multiplication wraps (after e.g. 29 years idle at 10/s, or
      // 2.6 hours at 10^6/s); reproduce the wrap so the seed fails exactly as the Java would.
      const wrapped = BigInt.asIntN(64, BigInt(elapsedMs) * 1_000_000n * BigInt(this.#refillRate));
      tokensToAdd = Number(wrapped / 1_000_000_000n);
    }
    if (tokensToAdd > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + tokensToAdd);
      this.#last = now;
      this.#check();
    }
  }

  #check(): void {
    assert(
      Number.isSafeInteger(this.#tokens) && this.#tokens >= 0 && this.#tokens <= this.#capacity,
      () => `TokenBucket (seed): 0 <= tokens <= capacity, got ${this.#tokens} of ${this.#capacity}`,
    );
  }
}

/** The corrected bucket: micro-tokens, refilled continuously, so nothing earned is lost. */
class ExactBucket {
  // Micro-tokens (10^-6 token), 0 <= micro <= capacity × 10^6.
  #micro: number;
  // The time (ms) refill is credited to.
  #last: number;
  readonly #capacityMicro: number;
  readonly #microPerMs: number;

  constructor(capacity: number, microPerMs: number, now: number) {
    this.#capacityMicro = capacity * MICRO;
    this.#microPerMs = microPerMs;
    this.#micro = this.#capacityMicro;
    this.#last = now;
  }

  take(permits: number, now: number): boolean {
    this.#refill(now);
    const need = permits * MICRO;
    if (this.#micro < need) return false;
    this.#micro -= need;
    this.#check();
    return true;
  }

  available(now: number): number {
    this.#refill(now);
    return this.#micro / MICRO;
  }

  // Continuous refill: every elapsed millisecond earns refillRate/1000 tokens, kept to the
  // micro-token, and the credit time always advances to now, so nothing earned is lost. A clock
  // that steps backwards (a real wall clock) earns nothing until it passes the credited time.
  #refill(now: number): void {
    const elapsedMs = now - this.#last;
    if (elapsedMs <= 0) return;
    this.#last = now;
    const deficit = this.#capacityMicro - this.#micro;
    if (deficit === 0) return;
    const earned = elapsedMs * this.#microPerMs;
    this.#micro = earned >= deficit ? this.#capacityMicro : this.#micro + earned;
    this.#check();
  }

  #check(): void {
    assert(
      this.#micro >= 0 && this.#micro <= this.#capacityMicro,
      () =>
        `TokenBucket (exact): 0 <= micro-tokens <= capacity, got ${this.#micro} of ${this.#capacityMicro}`,
    );
  }
}

const ADMITTED: Outcome<void> = Object.freeze(admitted(undefined));

/**
 * A token bucket on the injected clock, in the article's form (`variant: 'seed'`) or corrected
 * (`variant: 'exact'`, the default). Both start full at construction time.
 *
 * Invariant (both variants): `0 <= tokens <= capacity`, and over any interval of `e` seconds the
 * bucket admits at most `capacity + refillTokensPerSecond × e` permits. The seed variant admits fewer: with
 * refillTokensPerSecond 10/s polled every 30 ms it refills one token per 120 ms (8.3/s), not per 100 ms.
 */
export class TokenBucket {
  /** Capacity in tokens. */
  readonly capacity: number;
  /** Refill rate in tokens per second. */
  readonly refillTokensPerSecond: number;
  /** The variant this bucket runs. */
  readonly variant: TokenBucketVariant;

  readonly #clock: Clock;
  readonly #bucket: SeedBucket | ExactBucket;

  constructor(options: TokenBucketOptions, ports: TokenBucketPorts) {
    const variant = options?.variant ?? 'exact';
    if (variant !== 'seed' && variant !== 'exact') {
      throw new TypeError(`TokenBucket: variant must be 'seed' or 'exact', got ${String(variant)}`);
    }
    const { capacity, refillTokensPerSecond } = options;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`TokenBucket: capacity must be a positive integer (tokens), got ${capacity}`);
    }
    if (
      typeof refillTokensPerSecond !== 'number' ||
      !Number.isFinite(refillTokensPerSecond) ||
      refillTokensPerSecond <= 0
    ) {
      throw new RangeError(
        `TokenBucket: refillTokensPerSecond must be a positive number (tokens/s), got ${refillTokensPerSecond}`,
      );
    }
    if (variant === 'seed' && !Number.isSafeInteger(refillTokensPerSecond)) {
      throw new RangeError(
        `TokenBucket: refillTokensPerSecond must be a positive integer (tokens/s) for variant 'seed' (the article's long), got ${refillTokensPerSecond}`,
      );
    }
    const microPerMs = Math.round(refillTokensPerSecond * 1000);
    if (variant === 'exact' && Math.abs(refillTokensPerSecond * 1000 - microPerMs) > 1e-6) {
      throw new RangeError(
        `TokenBucket: refillTokensPerSecond must be a multiple of 0.001 tokens/s for variant 'exact', got ${refillTokensPerSecond}`,
      );
    }
    if (capacity * MICRO > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `TokenBucket: capacity must be at most ${Number.MAX_SAFE_INTEGER / MICRO}, got ${capacity}`,
      );
    }
    if (!ports?.clock) throw new TypeError('TokenBucket: ports.clock is required');
    this.capacity = capacity;
    this.refillTokensPerSecond = refillTokensPerSecond;
    this.variant = variant;
    this.#clock = ports.clock;
    const now = this.#clock.now();
    this.#bucket =
      variant === 'seed'
        ? new SeedBucket(capacity, refillTokensPerSecond, now)
        : new ExactBucket(capacity, microPerMs, now);
  }

  /**
   * Takes `permits` tokens if the bucket holds that many after refilling, and says whether it did.
   * Never waits. `permits` is a positive integer (the article only ever takes 1).
   * @defaultValue permits = 1
   */
  tryAcquire(permits = 1): boolean {
    if (permits !== 1 && (!Number.isSafeInteger(permits) || permits < 1)) {
      throw new RangeError(`TokenBucket.tryAcquire: permits must be a positive integer, got ${permits}`);
    }
    return this.#bucket.take(permits, this.#clock.now());
  }

  /**
   * `tryAcquire` as the one guarded-call shape: `admitted` when the tokens were taken, `refused`
   * by the `'token-bucket'` with the permits asked for when the bucket held too few. Throws a
   * `RangeError` for a bad `permits`, as `tryAcquire` does.
   * @defaultValue permits = 1
   */
  attempt(permits = 1): Outcome<void> {
    return this.tryAcquire(permits) ? ADMITTED : refused({ by: 'token-bucket', permits });
  }

  /**
   * Tokens in the bucket now, after refilling. `'seed'`: a whole number (the article's `long`);
   * `'exact'`: may carry a fraction (micro-token resolution).
   */
  availableTokens(): number {
    return this.#bucket.available(this.#clock.now());
  }
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { TokenBucket, type TokenBucketVariant } from '#src/limit/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

type Step = readonly [atMs: number, op: 'acquire' | 'available', expected: boolean | number];

// Conformance vectors for the seed variant. Each expected value was produced by the article's
// `TokenBucketRateLimiter` (section 4.1) compiled and run on OpenJDK 17.0.15, with System.nanoTime()
// replaced by a settable fake (test/fixtures/jvm/Tb.java; output test/fixtures/jvm/Tb.out.txt,
// e.g. "v2 300:false 333:false 334:true ..."; v1 is checked separately below).
const seedVectors: ReadonlyArray<{
  name: string;
  capacity: number;
  refillTokensPerSecond: number;
  steps: Step[];
}> = [
  {
    name: 'v2 capacity 5, 3/s, drained: refill truncates, and a refill resets lastRefillTime (fraction lost)',
    capacity: 5,
    refillTokensPerSecond: 3,
    steps: [
      ...Array.from({ length: 5 }, (): Step => [0, 'acquire', true]),
      [0, 'acquire', false],
      [300, 'acquire', false],
      [333, 'acquire', false], // 333 ms × 3/s = 0.999 → 0
      [334, 'acquire', true], // 1.002 → 1, lastRefillTime := 334, the 0.002 is dropped
      [666, 'acquire', false],
      [667, 'acquire', false], // 333 ms since 334 → 0 (the exact bucket would have 1.003 here)
      [1000, 'acquire', true],
      [1333, 'acquire', false],
      [1334, 'acquire', true],
    ],
  },
  {
    name: 'v4 capacity 2, 1/s: 1.9 s idle adds 1 token and loses 0.9',
    capacity: 2,
    refillTokensPerSecond: 1,
    steps: [
      [0, 'acquire', true],
      [0, 'acquire', true],
      [999, 'available', 0],
      [1900, 'available', 1],
      [2899, 'available', 1],
      [2900, 'available', 2],
      [3900, 'available', 2],
    ],
  },
  {
    name: 'v3 Java long overflow: (elapsedNanos × 1e6/s) wraps past Long.MAX_VALUE after 2.58 h idle: no refill',
    capacity: 5,
    refillTokensPerSecond: 1_000_000,
    steps: [
      ...Array.from({ length: 5 }, (): Step => [0, 'acquire', true]),
      [9_300_000, 'available', 0],
      [9_300_000, 'acquire', false],
    ],
  },
];

function runSteps(bucket: TokenBucket, clock: ManualClock, steps: readonly Step[]): Array<boolean | number> {
  return steps.map(([at, op]) => {
    clock.nowMs = at;
    return op === 'acquire' ? bucket.tryAcquire() : bucket.availableTokens();
  });
}

describe('TokenBucket seed variant (the article, section 4.1)', () => {
  it.each(seedVectors)('$name', ({ capacity, refillTokensPerSecond, steps }) => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity, refillTokensPerSecond, variant: 'seed' }, { clock });
    expect(runSteps(bucket, clock, steps)).toEqual(steps.map((s) => s[2]));
  });

  it('v1 capacity 10, 10/s, 3 requests every 30 ms for 1,200 ms: 20 admitted (Tb.out.txt line v1)', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 10, refillTokensPerSecond: 10, variant: 'seed' }, { clock });
    let admitted = 0;
    let perTick = '';
    for (let t = 0; t <= 1_200; t += 30) {
      clock.nowMs = t;
      let k = 0;
      for (let i = 0; i < 3; i++) if (bucket.tryAcquire()) k++;
      admitted += k;
      perTick += k;
    }
    expect([admitted, perTick, bucket.availableTokens()]).toEqual([
      20,
      '33311000100010001000100010001000100010001',
      0,
    ]);
  });
});

describe('TokenBucket exact variant', () => {
  it('keeps fractional refill: capacity 5, 3/s, the same probes as seed v2', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 5, refillTokensPerSecond: 3 }, { clock });
    for (let i = 0; i < 5; i++) expect(bucket.tryAcquire()).toBe(true);
    const steps: Step[] = [
      [333, 'acquire', false], // 0.999
      [334, 'acquire', true], // 1.002 → 0.002 left
      [666, 'available', 0.998],
      [667, 'acquire', true], // 1.001 (seed: false)
      [1000, 'acquire', true], // 1.0 exactly
      [1000, 'acquire', false],
    ];
    expect(runSteps(bucket, clock, steps)).toEqual(steps.map((s) => s[2]));
  });

  it('is capped at capacity, takes several permits at once, and refuses more than it holds', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 4, refillTokensPerSecond: 2 }, { clock });
    expect(bucket.tryAcquire(5)).toBe(false);
    expect(bucket.tryAcquire(3)).toBe(true);
    expect(bucket.availableTokens()).toBe(1);
    clock.nowMs = 60_000;
    expect(bucket.availableTokens()).toBe(4);
    expect(bucket.tryAcquire(4)).toBe(true);
    expect(bucket.tryAcquire()).toBe(false);
    clock.nowMs = 60_499;
    expect(bucket.tryAcquire()).toBe(false);
    clock.nowMs = 60_500;
    expect(bucket.tryAcquire()).toBe(true);
  });

  it('accepts a fractional rate (0.5/s) without drift over 10,000 refills of 1 ms', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ capacity: 100, refillTokensPerSecond: 0.5 }, { clock });
    expect(bucket.tryAcquire(100)).toBe(true);
    for (let t = 1; t <= 10_000; t++) {
      clock.nowMs = t;
      bucket.availableTokens();
    }
    expect(bucket.availableTokens()).toBe(5);
  });

  it('earns nothing while a real clock steps backwards, and loses nothing either', () => {
    const clock = new ManualClock(10_000);
    const bucket = new TokenBucket({ capacity: 1, refillTokensPerSecond: 1 }, { clock });
    expect(bucket.tryAcquire()).toBe(true);
    clock.nowMs = 9_000;
    expect(bucket.availableTokens()).toBe(0);
    clock.nowMs = 10_500;
    expect(bucket.availableTokens()).toBe(0.5);
  });
});

describe('TokenBucket options are validated', () => {
  const clock = new ManualClock();
  it.each([
    [{ capacity: 0, refillTokensPerSecond: 1 }, /capacity must be a positive integer/],
    [{ capacity: 2.5, refillTokensPerSecond: 1 }, /capacity must be a positive integer/],
    [{ capacity: 1, refillTokensPerSecond: 0 }, /refillTokensPerSecond must be a positive number/],
    [{ capacity: 1, refillTokensPerSecond: Number.NaN }, /refillTokensPerSecond must be a positive number/],
    [{ capacity: 1, refillTokensPerSecond: 1.5, variant: 'seed' as const }, /positive integer.*'seed'/],
    [{ capacity: 1, refillTokensPerSecond: 0.0001 }, /multiple of 0.001/],
    [
      { capacity: 1, refillTokensPerSecond: 1, variant: 'fast' as unknown as TokenBucketVariant },
      /variant must be/,
    ],
  ])('%o', (options, message) => {
    expect(() => new TokenBucket(options, { clock })).toThrow(message);
  });
  it('rejects a bad permit count', () => {
    const bucket = new TokenBucket({ capacity: 1, refillTokensPerSecond: 1 }, { clock });
    expect(() => bucket.tryAcquire(0)).toThrow(/permits must be a positive integer/);
    expect(() => bucket.tryAcquire(1.5)).toThrow(/permits must be a positive integer/);
  });
});

/**
 * Offered load: `perTick` requests every `tickMs` for `durationMs` of virtual time, on the kernel.
 * Returns how many were admitted.
 */
async function offer(variant: TokenBucketVariant, tickMs: number, perTick: number, durationMs: number) {
  const sim = new Simulation({ seed: 'token-bucket-offered-load' });
  const bucket = new TokenBucket({ capacity: 10, refillTokensPerSecond: 10, variant }, { clock: sim.clock });
  let admitted = 0;
  sim.spawn(async () => {
    for (let t = 0; t < durationMs; t += tickMs) {
      for (let i = 0; i < perTick; i++) if (bucket.tryAcquire()) admitted++;
      await sim.clock.sleep(tickMs);
    }
  });
  await sim.run();
  return admitted;
}

describe('effective admitted rate under the same offered load (capacity 10, refillTokensPerSecond 10/s)', () => {
  it('100 req/s offered as 3 requests every 30 ms for 60 s: seed admits 8.3/s, exact 10/s', async () => {
    const seed = await offer('seed', 30, 3, 60_000);
    const exact = await offer('exact', 30, 3, 60_000);
    // Exact: the initial burst of 10, then 10/s for the 59.97 s after the first tick: 10 + 599.
    expect(exact).toBe(609);
    // Seed: each 30 ms poll earns 0.3 token, truncated to 0, so lastRefillTime stays put until the
    // 4th poll (120 ms → 1.2 → 1 token) and the 0.2 is dropped: one token per 120 ms, 10 + 59,970/120 = 509.
    expect(seed).toBe(509);
    expect(seed / 60).toBeLessThan(8.5);
  });

  it('one request every 190 ms (5.3/s offered, below the rate): exact admits all, seed also (1.9 → 1 per poll)', async () => {
    // A rate below the limit is not where the seed loses: each poll finds ≥ 1 token.
    expect(await offer('exact', 190, 1, 19_000)).toBe(100);
    expect(await offer('seed', 190, 1, 19_000)).toBe(100);
  });

  it('2 requests every 190 ms (10.5/s offered): seed refills one token per 190 ms (5.3/s), exact 10/s', async () => {
    const exact = await offer('exact', 190, 2, 19_000);
    const seed = await offer('seed', 190, 2, 19_000);
    expect(exact).toBe(10 + 188); // 10 + floor(10/s × 18.81 s)
    // Seed: every 190 ms poll earns 1.9 → 1 token and drops 0.9: the initial 10 + 1 per poll for 99 polls.
    expect(seed).toBe(10 + 99);
  });
});

describe('property: a bucket never admits more than capacity + rate × elapsed', () => {
  for (const variant of ['seed', 'exact'] as const) {
    it(`${variant} (fast-check seed 20261127)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 1, max: 200 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 5 })), {
            maxLength: 200,
          }),
          (capacity, refillTokensPerSecond, ops) => {
            const clock = new ManualClock(1_000);
            const bucket = new TokenBucket({ capacity, refillTokensPerSecond, variant }, { clock });
            let admitted = 0;
            for (const [gapMs, permits] of ops) {
              clock.nowMs += gapMs;
              if (bucket.tryAcquire(permits)) admitted += permits;
              const tokens = bucket.availableTokens();
              expect(tokens).toBeGreaterThanOrEqual(0);
              expect(tokens).toBeLessThanOrEqual(capacity);
              expect(admitted).toBeLessThanOrEqual(
                capacity + (refillTokensPerSecond * (clock.nowMs - 1_000)) / 1000,
              );
            }
          },
        ),
        { seed: 20261127, numRuns: 300 },
      );
    });
  }
});

describe('TokenBucket on the real clock', () => {
  // No assertion depends on how much real time passes: only that epoch-millisecond clocks work.
  it.each(['seed', 'exact'] as const)('%s: a full bucket of 3 admits 3 at once on SystemClock', (variant) => {
    const bucket = new TokenBucket(
      { capacity: 3, refillTokensPerSecond: 1, variant },
      { clock: new SystemClock() },
    );
    expect([bucket.tryAcquire(), bucket.tryAcquire(), bucket.tryAcquire()]).toEqual([true, true, true]);
    const left = bucket.availableTokens();
    expect(left).toBeGreaterThanOrEqual(0);
    expect(left).toBeLessThanOrEqual(3);
  });
});

describe('TokenBucket.attempt: one Outcome per call', () => {
  it.each(['seed', 'exact'] as const)(
    '%s: admitted while tokens last, then refused with the permits asked for',
    (variant) => {
      const clock = new ManualClock();
      const bucket = new TokenBucket({ capacity: 3, refillTokensPerSecond: 1, variant }, { clock });
      expect(bucket.attempt(2)).toEqual({ kind: 'admitted', value: undefined });
      expect(bucket.attempt(2)).toEqual({ kind: 'refused', reason: { by: 'token-bucket', permits: 2 } });
      expect(bucket.attempt()).toEqual({ kind: 'admitted', value: undefined });
      expect(bucket.attempt()).toEqual({ kind: 'refused', reason: { by: 'token-bucket', permits: 1 } });
      clock.advance(1000);
      expect(bucket.attempt().kind).toBe('admitted');
      expect(() => bucket.attempt(0)).toThrow(RangeError);
    },
  );
});

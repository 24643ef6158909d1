import type { Clock } from '../../src/ports/clock.ts';
import { nextExponential, type Random } from '../../src/ports/random.ts';

/**
 * Open-loop Poisson arrivals: exponential gaps with mean `1000 / ratePerSecond` ms, so arrivals
 * do not wait for earlier requests to finish (open-loop arrivals: Schroeder, Wierman and Harchol-Balter, "Open Versus Closed: A Cautionary Tale", NSDI 2006).
 * Gaps are drawn in fractional ms and accumulated, then rounded per arrival, so a rate above
 * 1,000/s is not capped by the clock's 1 ms resolution. Calls `arrive(i)` for i = 0, 1, ... until
 * the next arrival would be at or after `untilMs`.
 */
export async function poissonArrivals(
  clock: Clock,
  random: Random,
  ratePerSecond: number,
  untilMs: number,
  arrive: (index: number) => void,
): Promise<number> {
  if (!(ratePerSecond > 0))
    throw new RangeError(`poissonArrivals: ratePerSecond must be > 0, got ${ratePerSecond}`);
  const meanGapMs = 1000 / ratePerSecond;
  let at = clock.now() + nextExponential(random, meanGapMs);
  let index = 0;
  while (at < untilMs) {
    const wait = Math.ceil(at) - clock.now();
    if (wait > 0) await clock.sleep(wait);
    arrive(index++);
    at += nextExponential(random, meanGapMs);
  }
  return index;
}

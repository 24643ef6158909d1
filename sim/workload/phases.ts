import { assert } from '../../src/assert.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { nextExponential, type Random } from '../../src/ports/random.ts';

/** One load phase (Artillery's `config.phases`): a duration and a rate that may ramp. */
export interface Phase {
  readonly name?: string;
  /** Length of the phase, ms. */
  readonly durationMs: number;
  /** Arrivals per second at the start of the phase. */
  readonly arrivalRate: number;
  /** Arrivals per second at the end; the rate moves linearly. @defaultValue arrivalRate */
  readonly rampTo?: number;
}

/** Total length of `phases`, ms. */
export function phasesDurationMs(phases: readonly Phase[]): number {
  return phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/** Expected arrivals over `phases` (the area under the rate curve). */
export function expectedArrivals(phases: readonly Phase[]): number {
  return phases.reduce(
    (sum, p) => sum + ((p.arrivalRate + (p.rampTo ?? p.arrivalRate)) / 2) * (p.durationMs / 1000),
    0,
  );
}

/**
 * Open-loop arrivals over phases: a non-homogeneous Poisson process whose rate moves linearly
 * within each phase, drawn by thinning (Lewis and Shedler 1979): candidate gaps at the phase's peak
 * rate, each kept with probability rate(t) / peak. Open loop: arrivals never wait for earlier
 * requests (what a public API sees, and what load tools like k6's arrival-rate executors do).
 * Gaps accumulate in fractional ms and round per arrival, so rates above 1,000/s are not capped.
 * Calls `arrive(index)`; resolves with the number of arrivals.
 */
export async function phasedArrivals(
  clock: Clock,
  random: Random,
  phases: readonly Phase[],
  arrive: (index: number) => void,
): Promise<number> {
  let index = 0;
  let phaseStart = clock.now();
  for (const phase of phases) {
    const from = phase.arrivalRate;
    const to = phase.rampTo ?? from;
    assert(from >= 0 && to >= 0 && phase.durationMs >= 0, 'phase rates and duration are validated');
    const peak = Math.max(from, to);
    const end = phaseStart + phase.durationMs;
    if (peak > 0) {
      const meanGapMs = 1000 / peak;
      let at = phaseStart + nextExponential(random, meanGapMs);
      while (at < end) {
        const rate = from + ((to - from) * (at - phaseStart)) / phase.durationMs;
        const keep = from === to || random.next() * peak < rate;
        if (keep) {
          const wait = Math.ceil(at) - clock.now();
          if (wait > 0) await clock.sleep(wait);
          arrive(index++);
        }
        at += nextExponential(random, meanGapMs);
      }
    }
    const rest = end - clock.now();
    if (rest > 0) await clock.sleep(rest);
    phaseStart = end;
  }
  return index;
}

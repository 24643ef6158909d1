import fc from 'fast-check';
import { type LimitValues, limitValue } from '../limits.ts';
import { runScenario } from '../run.ts';
import { gatewayDurationMs } from '../scenarios/gateway.ts';
import type { GatewayScenario } from '../scenarios/gateway-schema.ts';
import type { Variant } from '../scenarios/registry.ts';

/**
 * Shrinking a failing seed's fault schedule (research: fast-check `fc.array` over explicit fault
 * records shrank a 40-event schedule to the 2-event interaction in 72 simulations). The schedule is
 * a tuple: the run's arrival duration, then each fault or nothing. fast-check starts from the
 * failing schedule itself (an `examples` entry, which its arbitraries can shrink without a
 * generation context) and keeps a candidate only when the same seed, run with it, still breaks the
 * same expectation. Removing a fault is tried before changing it; a time is whole seconds plus a
 * remainder, and the remainder shrinks to 0 first, so the result reads in round seconds.
 */

/** One fault of an explicit schedule, as a scenario file's `faults:` holds it (times in ms). */
export type ScheduledFault = NonNullable<GatewayScenario['faults']>[number];

/** What to shrink: an explicit scenario, the seed and variant that fail, and what they break. */
export interface ShrinkInput {
  /** The scenario with its explicit schedule (a nemesis already resolved for `seed`). */
  readonly scenario: GatewayScenario;
  readonly seed: number | string;
  readonly variant: Variant;
  /** The expectation's text as the run reports it (`gateway.errors: rate<0.05`). */
  readonly expectation: string;
  /** `events`, `traceBytes` per run and `shrinkRuns`, the runs the whole shrink may take. */
  readonly limits?: LimitValues;
  /** Called after each run with the runs so far and the smallest failing fault count. */
  readonly onRun?: (runs: number, faults: number) => void;
}

/** What a shrink found. */
export interface ShrinkResult {
  /** Simulations run, the first (which checks the failure reproduces) included. */
  readonly runs: number;
  /** Whether the failing schedule broke the expectation again on its first run here. */
  readonly reproduced: boolean;
  /** Whether `shrinkRuns` stopped the search before fast-check had nothing left to try. */
  readonly budgetHit: boolean;
  readonly before: { readonly durationMs: number; readonly faults: readonly ScheduledFault[] };
  /** The smallest schedule found that still breaks the expectation (`before` if none smaller). */
  readonly after: { readonly durationMs: number; readonly faults: readonly ScheduledFault[] };
  /** The scenario `after` describes: `scenario` with its faults and phases cut. */
  readonly scenario: GatewayScenario;
}

type Candidate = readonly [number, ...(ScheduledFault | undefined)[]];

/** A time in [min, orig] ms as whole seconds + a remainder, shrinking toward 0 s and round values. */
function timeArbitrary(origMs: number, minMs: number): fc.Arbitrary<number> {
  return fc
    .tuple(fc.integer({ min: 0, max: Math.floor(origMs / 1000) }), fc.integer({ min: 0, max: 999 }))
    .map(
      ([s, ms]) => Math.max(minMs, Math.min(origMs, s * 1000 + ms)),
      (v) => {
        if (typeof v !== 'number') throw new TypeError('not a time');
        return [Math.floor(v / 1000), v % 1000] as [number, number];
      },
    );
}

/** Each fault may go (`undefined`), start earlier, or last less; its verb, target and args stay. */
function faultArbitrary(f: ScheduledFault): fc.Arbitrary<ScheduledFault | undefined> {
  const record: fc.Arbitrary<ScheduledFault> =
    f.for === undefined
      ? timeArbitrary(f.at, 0).map(
          (at) => ({ ...f, at }),
          (v) => (v as ScheduledFault).at,
        )
      : fc.tuple(timeArbitrary(f.at, 0), timeArbitrary(f.for, 1)).map(
          ([at, forMs]): ScheduledFault => ({ ...f, at, for: forMs }),
          (v): [number, number] => [(v as ScheduledFault).at, (v as ScheduledFault).for ?? 1],
        );
  return fc.option(record, { nil: undefined });
}

/** `phases` cut to `durationMs` in all; a ramp cut part-way keeps its slope. */
export function cutPhases(
  phases: GatewayScenario['workload']['phases'],
  durationMs: number,
): GatewayScenario['workload']['phases'] {
  const out: GatewayScenario['workload']['phases'] = [];
  let left = durationMs;
  for (const p of phases) {
    if (left <= 0) break;
    if (p.durationMs <= left) out.push(p);
    else {
      const rampTo =
        p.rampTo === undefined
          ? {}
          : { rampTo: p.arrivalRate + ((p.rampTo - p.arrivalRate) * left) / p.durationMs };
      out.push({ ...p, durationMs: left, ...rampTo });
    }
    left -= p.durationMs;
  }
  return out;
}

/** `scenario` with a candidate's faults and arrival duration. */
function applyCandidate(scenario: GatewayScenario, [durationMs, ...faults]: Candidate): GatewayScenario {
  const kept = faults.filter((f): f is ScheduledFault => f !== undefined);
  return {
    ...scenario,
    workload: { ...scenario.workload, phases: cutPhases(scenario.workload.phases, durationMs) },
    faults: kept,
  };
}

/**
 * Cuts the schedule of a failing seed down to what still breaks `expectation`. The run length
 * shrinks too, but never below the scenario's `heal:` time, so an expectation after heal keeps
 * its meaning. Deterministic: the same input gives the same result and run count.
 */
export async function shrinkSchedule(input: ShrinkInput): Promise<ShrinkResult> {
  const { scenario, seed, variant, expectation } = input;
  const runsMax = limitValue(input.limits, 'shrinkRuns');
  const faults = scenario.faults ?? [];
  const durationMs = gatewayDurationMs(scenario);
  const original: Candidate = [durationMs, ...faults];
  let runs = 0;
  let failingFaults = faults.length;
  const count = (c: Candidate) => c.slice(1).filter((f) => f !== undefined).length;
  const breaks = async (candidate: Candidate): Promise<boolean> => {
    runs++;
    let broke = false;
    try {
      const { result } = await runScenario(applyCandidate(scenario, candidate), {
        seed,
        variant,
        ...(input.limits === undefined ? {} : { limits: input.limits }),
      });
      broke = result.expectations.some((x) => x.text === expectation && !x.ok && x.sometimes !== true);
    } catch {
      // A schedule the simulation cannot run (two faults that cannot overlap) is not the failure.
      broke = false;
    }
    if (broke) failingFaults = count(candidate);
    input.onRun?.(runs, failingFaults);
    return broke;
  };
  let budgetHit = false;
  /** The smallest candidate fast-check reaches from `start` (which fails) that still fails. */
  const search = async (arbitrary: fc.Arbitrary<Candidate>, start: Candidate): Promise<Candidate> => {
    const property = fc.asyncProperty(arbitrary, async (candidate) => {
      if (runs >= runsMax) {
        budgetHit = true;
        return true; // out of runs: no candidate counts as failing any more, so the search ends
      }
      return !(await breaks(candidate));
    });
    const details = await fc.check(property, { examples: [[start]], numRuns: 1, seed: 0 });
    return details.counterexample?.[0] ?? start;
  };
  const reproduced = await breaks(original);
  let smallest = original;
  // Two passes: first which faults still fail together, and in how short a run, with every time
  // as it was (fast-check's subarray shrinker); then the times of the few faults left. Times shrunk
  // first would cost a search per fault that is about to go anyway.
  if (reproduced) {
    const minDurationMs = Math.min(durationMs, Math.max(1000, scenario.heal ?? 0));
    const which = fc.tuple(timeArbitrary(durationMs, minDurationMs), fc.subarray([...faults])).map(
      ([d, fs]): Candidate => [d, ...fs],
      (c): [number, ScheduledFault[]] => [
        (c as Candidate)[0],
        (c as Candidate).slice(1).filter((f): f is ScheduledFault => f !== undefined),
      ],
    );
    smallest = await search(which, original);
    const kept = smallest.slice(1).filter((f): f is ScheduledFault => f !== undefined);
    const when = fc.tuple(
      timeArbitrary(smallest[0], minDurationMs),
      ...kept.map(faultArbitrary),
    ) as fc.Arbitrary<unknown> as fc.Arbitrary<Candidate>;
    smallest = await search(when, [smallest[0], ...kept]);
  }
  return {
    runs,
    reproduced,
    budgetHit,
    before: { durationMs, faults },
    after: {
      durationMs: smallest[0],
      faults: smallest.slice(1).filter((f): f is ScheduledFault => f !== undefined),
    },
    scenario: applyCandidate(scenario, smallest),
  };
}

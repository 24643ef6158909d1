import { HASIM_VERSION } from '../run.ts';
import type { SeedResult } from './seed-result.ts';

/**
 * A sweep's results, gathered however the seeds ran (worker threads here, queue workers
 * elsewhere): counts, coverage of the `sometimes:` checks, the failing seeds fastest first, and
 * seeds whose second run did not reproduce their trace. Written as `DIR/summary.json`.
 */
export interface SweepSummary {
  readonly hasimVersion: string;
  /** The scenario's name and file, as the user named it. */
  readonly scenario: string;
  readonly scenarioPath: string;
  /** The seeds asked for: `firstSeed` .. `firstSeed + seeds - 1`. */
  readonly firstSeed: number;
  readonly seeds: number;
  /** Seeds that ran to a result (fewer than `seeds` when `--fail-fast` stopped the sweep). */
  readonly ran: number;
  /** Whether `--fail-fast` stopped the sweep before every seed ran. */
  readonly stoppedEarly: boolean;
  readonly passed: number;
  /** Seeds that broke an expectation or could not run (`errors` of them). */
  readonly failed: number;
  readonly errors: number;
  /** For each `sometimes:` check, how many seeds reached it. */
  readonly sometimes: Readonly<Record<string, number>>;
  /** Failing seeds (`fail` and `error`), fastest failure first (fewest events, then seed). */
  readonly failing: readonly SeedResult[];
  /** Failing seeds run a second time whose trace hash differed: nondeterminism. */
  readonly nondeterministic: readonly {
    readonly seed: string | number;
    readonly traceHash: string;
    readonly again: string;
  }[];
  /** Failing seeds run a second time to check their trace hash. */
  readonly rechecked: number;
  /** How the seeds ran, e.g. `2 worker threads`. */
  readonly ranOn: string;
  /** Real time of the sweep, ms, and seeds per second of it. */
  readonly wallMs: number;
  readonly seedsPerSecond: number;
}

/** What a sweep was, beside its results. */
export interface SweepMeta {
  readonly scenario: string;
  readonly scenarioPath: string;
  readonly firstSeed: number;
  readonly seeds: number;
  readonly stoppedEarly: boolean;
  readonly ranOn: string;
  readonly wallMs: number;
}

/** Failing seeds first by the work their run took (events, then virtual time), then by seed. */
export function fastestFailureFirst(a: SeedResult, b: SeedResult): number {
  const errorFirst = Number(b.verdict === 'error') - Number(a.verdict === 'error');
  return (
    errorFirst ||
    (a.events ?? 0) - (b.events ?? 0) ||
    a.virtualMs - b.virtualMs ||
    compareSeeds(a.seed, b.seed)
  );
}

function compareSeeds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * The sweep's summary from every seed's result (in any order) and the second runs of failing
 * seeds (`again`: seed → result).
 */
export function summarizeSweep(
  results: readonly SeedResult[],
  again: ReadonlyMap<string | number, SeedResult>,
  meta: SweepMeta,
): SweepSummary {
  const sometimes = new Map<string, number>();
  for (const r of results) {
    for (const [text, reached] of Object.entries(r.sometimes ?? {}))
      sometimes.set(text, (sometimes.get(text) ?? 0) + (reached ? 1 : 0));
  }
  const failing = results.filter((r) => r.verdict !== 'pass').sort(fastestFailureFirst);
  const bySeed = new Map(results.map((r) => [r.seed, r]));
  const nondeterministic: { seed: string | number; traceHash: string; again: string }[] = [];
  for (const [seed, second] of again) {
    const first = bySeed.get(seed);
    if (first === undefined || first.traceHash === second.traceHash) continue;
    const hash = second.verdict === 'error' ? `error: ${second.error}` : second.traceHash;
    nondeterministic.push({ seed, traceHash: first.traceHash, again: hash });
  }
  return {
    hasimVersion: HASIM_VERSION,
    scenario: meta.scenario,
    scenarioPath: meta.scenarioPath,
    firstSeed: meta.firstSeed,
    seeds: meta.seeds,
    ran: results.length,
    stoppedEarly: meta.stoppedEarly,
    passed: results.length - failing.length,
    failed: failing.length,
    errors: failing.filter((r) => r.verdict === 'error').length,
    sometimes: Object.fromEntries(sometimes),
    failing,
    nondeterministic,
    rechecked: again.size,
    ranOn: meta.ranOn,
    wallMs: meta.wallMs,
    seedsPerSecond: meta.wallMs > 0 ? Math.round((results.length * 1000 * 10) / meta.wallMs) / 10 : 0,
  };
}

import type { LimitValues } from '../limits.ts';

/**
 * What one seed of a sweep needs and what it gives back. Both are plain JSON data, so a seed can be
 * run in this thread, in a worker thread, or by a queue worker on another machine, and its result
 * compared field by field (a seed run twice must give the same `traceHash`).
 */

/** One seed to run: a scenario file and a root seed. */
export interface SeedInput {
  /** The scenario file, as the user named it (it appears in the replay command as given). */
  readonly scenarioPath: string;
  /** The root seed: an integer or a name. */
  readonly seed: string | number;
  /** Where to write `summary.json` for this seed; created if missing. None: nothing written. */
  readonly outDir?: string;
  /** Limits of the run (`events`, `traceBytes`, `scenarioBytes`, `yamlAliases`). @defaultValue LIMITS */
  readonly limits?: LimitValues;
}

/** An expectation a seed broke: the expectation as the scenario states it, and what was measured. */
export interface BrokenExpectation {
  /** The expectation's text (`gateway.errors: rate<0.05`), prefixed `[variant] ` for a two-variant scenario. */
  readonly expectation: string;
  /** What the run measured (`rate=0.12 (31 of 260)`). */
  readonly detail: string;
}

/**
 * What one seed gave. Everything but `wallMs` depends only on the scenario, the seed and the hasim
 * version, so two runs of one seed anywhere must agree on it.
 */
export interface SeedResult {
  readonly seed: string | number;
  /**
   * `pass`: every expectation held; `fail`: one did not (`broken` says which); `error`: the run
   * could not finish (the scenario could not be read, the simulation failed, a limit was hit;
   * `error` says why).
   */
  readonly verdict: 'pass' | 'fail' | 'error';
  /** Hex SHA-256 of the trace; with two variants, of their hashes in order. Empty on `error`. */
  readonly traceHash: string;
  /** The expectations the seed broke, in the scenario's order (only on `fail`). */
  readonly broken?: readonly BrokenExpectation[];
  /** Each `sometimes:` expectation, and whether this seed reached it. */
  readonly sometimes?: Readonly<Record<string, boolean>>;
  /** Virtual time at the end of the run (arrivals and drain), ms; 0 on `error`. */
  readonly virtualMs: number;
  /** Trace events of the run (all variants); how sweeps rank "fastest failure first". */
  readonly events?: number;
  /** Real time the seed took, ms (rounded). The one field that varies between runs. */
  readonly wallMs: number;
  /** Why the run could not finish (only on `error`), one line. */
  readonly error?: string;
  /** The exact `hasim` command that replays this seed, e.g. `hasim run scenarios/x.yaml --seed 17`. */
  readonly replay: string;
}

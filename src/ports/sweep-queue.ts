/**
 * A queue that fans the seeds of a sweep out to workers on any number of machines and gathers what
 * each seed gave. hasim ships one engine, BullMQ on a standalone Redis
 * (src/adapters/bullmq-sweep-queue.ts); this port keeps it replaceable (NATS JetStream would be a
 * second adapter, docs/sweeps.md).
 *
 * The contract every engine keeps:
 * - Submitting is idempotent: a sweep is named by `sweepId`, each of its seeds by `(sweepId, seed)`,
 *   and submitting the same sweep again adds nothing (a coordinator that crashed re-submits and
 *   collects).
 * - A seed whose expectation broke is a result like any other; only the infrastructure (a worker
 *   that died, a connection that broke) makes the queue run a seed again.
 * - Delivery is at least once, so a seed may run twice. Seeds are deterministic: the queue keeps the
 *   trace hash of a seed's first run and reports every later run whose hash differs
 *   (`nondeterministic`), rather than silently keeping one of them.
 * - `collect` gives exactly one result per submitted seed, or names the seed as `lost`.
 */

/** A root seed, as the user wrote it: an integer or a name. */
export type SeedValue = string | number;

/** What the queue reads of a seed's result; the rest of the result travels along as JSON. */
export interface SeedOutcome {
  readonly seed: SeedValue;
  /** `fail`: an expectation broke; `error`: the run could not finish (one line says why, elsewhere). */
  readonly verdict: 'pass' | 'fail' | 'error';
  /** Hex SHA-256 of the run's trace; two runs of one seed must agree on it. Empty on `error`. */
  readonly traceHash: string;
}

/** One sweep: a scenario and the seeds to run it with. */
export interface SweepRequest {
  /**
   * Names the sweep in the queue: letters, digits, `.`, `_` and `-` only, at most
   * {@link SWEEP_ID_CHARS_MAX} characters. The same id submitted twice is the same sweep.
   */
  readonly sweepId: string;
  /** The scenario file as the user named it; results' replay commands name it. */
  readonly scenarioPath: string;
  /** The scenario file's text. Workers run the text, not the path: they may be on other machines. */
  readonly scenarioText: string;
  /** The seeds, each once; at most {@link SWEEP_SEEDS_MAX}. */
  readonly seeds: readonly SeedValue[];
  /** Limits of each run (by name, as `hasim run` takes them); absent names take their defaults. */
  readonly limits?: Readonly<Record<string, number>>;
}

/** What a worker runs: one seed of one sweep, with the sweep's scenario. */
export interface SeedTask {
  readonly sweepId: string;
  readonly scenarioPath: string;
  readonly scenarioText: string;
  readonly seed: SeedValue;
  readonly limits?: Readonly<Record<string, number>>;
}

/** Runs one seed; resolves with its result, rejects only for an infrastructure failure (retried). */
export type SeedRunner<R extends SeedOutcome> = (task: SeedTask) => Promise<R>;

/** What `submit` did. */
export interface SubmitReceipt {
  readonly sweepId: string;
  /** Seeds in the sweep. */
  readonly seeds: number;
  /** False when the sweep was in the queue already, so nothing was added. */
  readonly created: boolean;
}

/** Where a sweep stands. */
export interface SweepProgress {
  readonly seeds: number;
  /** Seeds with a result, or given up on. */
  readonly done: number;
  /** Seeds whose result is `fail` or `error`. */
  readonly failing: number;
}

/** A seed the queue gave up on after its retries: an infrastructure failure, not a result. */
export interface LostSeed {
  readonly seed: SeedValue;
  /** The last failure, one line. */
  readonly reason: string;
}

/** A seed whose runs gave different trace hashes. */
export interface NondeterministicSeed {
  readonly seed: SeedValue;
  /** The first run's hash, then each differing hash in the order the runs finished. */
  readonly traceHashes: readonly string[];
}

/** A finished sweep. */
export interface SweepResults<R extends SeedOutcome> {
  readonly sweepId: string;
  /** The scenario file as the submitter named it. */
  readonly scenarioPath: string;
  /** One result per seed that has one, in the order the seeds were submitted. */
  readonly results: readonly R[];
  readonly lost: readonly LostSeed[];
  readonly nondeterministic: readonly NondeterministicSeed[];
  /** Runs the workers finished, over all seeds: more than `results.length` when a seed ran twice. */
  readonly runs: number;
}

/** Options of {@link SweepQueue.collect}. */
export interface CollectOptions {
  /** Called after every poll with where the sweep stands. */
  readonly onProgress?: (progress: SweepProgress) => void;
  /**
   * Longest wait, in ms, for the next seed to finish before `collect` gives up with a
   * {@link SweepQueueError} (no worker is running, or every worker is stuck).
   * @defaultValue {@link SWEEP_IDLE_MS}
   */
  readonly idleMs?: number;
}

/** The submitting side: what `hasim swarm --queue` uses. */
export interface SweepQueue<R extends SeedOutcome> {
  /** Adds the sweep and its seeds, unless a sweep with this id is there already. */
  submit(request: SweepRequest): Promise<SubmitReceipt>;
  /** Waits until every seed of the sweep has a result or is lost, then returns them all. */
  collect(sweepId: string, options?: CollectOptions): Promise<SweepResults<R>>;
  /** Closes the connections. */
  close(): Promise<void>;
}

/** The running side: what `hasim worker` starts. */
export interface SweepWorker {
  /** Resolves once the worker takes seeds; rejects with a {@link SweepQueueError} if it cannot. */
  readonly ready: Promise<void>;
  /** Finishes the seeds in hand, then closes. */
  close(): Promise<void>;
}

/** The queue cannot be used: unreachable, or the sweep asked for is not there. One line. */
export class SweepQueueError extends Error {
  override readonly name = 'SweepQueueError';
}

/** Longest sweep id, in characters. */
export const SWEEP_ID_CHARS_MAX = 100;

/** Most seeds in one sweep: the engine adds a sweep and all its seeds in one transaction. */
export const SWEEP_SEEDS_MAX = 100_000;

/** Default {@link CollectOptions.idleMs}: ten minutes without a seed finishing. */
export const SWEEP_IDLE_MS = 10 * 60 * 1000;

/** Throws a `RangeError` naming the field when the request breaks the rules above. */
export function checkSweepRequest(request: SweepRequest): void {
  const { sweepId, seeds } = request;
  if (!/^[A-Za-z0-9._-]+$/.test(sweepId) || sweepId.length > SWEEP_ID_CHARS_MAX) {
    throw new RangeError(
      `SweepRequest.sweepId: expected 1 to ${SWEEP_ID_CHARS_MAX} letters, digits, '.', '_' or '-' (got '${sweepId.slice(0, 40)}')`,
    );
  }
  if (seeds.length === 0 || seeds.length > SWEEP_SEEDS_MAX) {
    throw new RangeError(`SweepRequest.seeds: expected 1 to ${SWEEP_SEEDS_MAX} seeds (got ${seeds.length})`);
  }
  const seen = new Set<string>();
  for (const seed of seeds) {
    const key = seedKey(seed);
    if (seen.has(key)) throw new RangeError(`SweepRequest.seeds: seed ${key} is listed twice`);
    seen.add(key);
  }
}

/**
 * A seed as a job name's suffix: the seed's text, with `%` and characters outside
 * `[A-Za-z0-9._-]` percent-encoded, so no id holds a `:` (BullMQ refuses those) and the numbers 7
 * and '7' stay apart (a name is prefixed `s`).
 */
export function seedKey(seed: SeedValue): string {
  if (typeof seed === 'number') return String(seed);
  return `s${seed.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.codePointAt(0)?.toString(16).padStart(2, '0')}`)}`;
}

/**
 * Faults as data, addressed by target name. The same timeline drives a simulated world (each twin
 * registers what it can do, `sim/faults/`) and, later, real servers through a live driver. A target
 * name is a path: `redis/shard-1/master`, `redis/shard-1/replica-1`, `mysql/primary`,
 * `mysql/replica-1`, `upstream/primary`, or a link `mysql/primary~mysql/replica-1`.
 *
 * Verbs are plain (turmoil's `partition`/`repair`, `hold`/`release`):
 * - processes: `crash`, `restart`, `freeze`, `resume`;
 * - network: `partition` (args.from: the other side's targets), `repair`, `slow` (args.latencyMs);
 * - Redis Cluster: `failover` (a replica's `CLUSTER FAILOVER`);
 * - MariaDB replica: `stop-io-thread`, `start-io-thread`, `stop-sql-thread`, `start-sql-thread`;
 *   primary: `semi-sync-timeout` (args.timeoutMs, `rpl_semi_sync_master_timeout`);
 * - LLM provider: `outage`, `slowdown` (args.factor), `rate-limit-storm` (args.probability,
 *   args.retryAfterMs), `fail-next` (args.count, args.status: "the next 2 calls return 429"),
 *   `heal` (ends every provider fault).
 */
export type FaultVerb =
  | 'crash'
  | 'restart'
  | 'freeze'
  | 'resume'
  | 'partition'
  | 'repair'
  | 'slow'
  | 'failover'
  | 'stop-io-thread'
  | 'start-io-thread'
  | 'stop-sql-thread'
  | 'start-sql-thread'
  | 'semi-sync-timeout'
  | 'outage'
  | 'slowdown'
  | 'rate-limit-storm'
  | 'fail-next'
  | 'heal';

/** Every verb, for validation and help text. */
export const FAULT_VERBS: readonly FaultVerb[] = [
  'crash',
  'restart',
  'freeze',
  'resume',
  'partition',
  'repair',
  'slow',
  'failover',
  'stop-io-thread',
  'start-io-thread',
  'stop-sql-thread',
  'start-sql-thread',
  'semi-sync-timeout',
  'outage',
  'slowdown',
  'rate-limit-storm',
  'fail-next',
  'heal',
];

/** A fault's arguments: numbers, strings and lists of target names. */
export type FaultArgs = Readonly<Record<string, number | string | boolean | readonly string[]>>;

/** One fault to inject now. */
export interface FaultAction {
  readonly verb: FaultVerb;
  readonly target: string;
  readonly args?: FaultArgs;
}

/** What can be faulted: a target and the verbs it answers to. */
export interface FaultTarget {
  readonly name: string;
  readonly verbs: readonly FaultVerb[];
}

/** A target name or verb that does not exist, or arguments a verb cannot take. */
export class FaultError extends Error {
  override readonly name = 'FaultError';
}

/**
 * Injects faults into whatever runs the gateway's backends. `inject` rejects with a `FaultError`
 * for a target or verb that does not exist; it resolves when the fault has been applied (a crash
 * has happened, a partition is in place), not when its consequences are over.
 */
export interface Faults {
  /** Every target and its verbs, in a stable order. */
  targets(): readonly FaultTarget[];
  /** Applies one fault now. */
  inject(action: FaultAction): Promise<void>;
}

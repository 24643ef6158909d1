/**
 * The one shape every guarded call reports: the gateway routes on `kind`, never on a thrown
 * exception, a boolean or a handler callback. A component may keep the call shape of the real API
 * it reproduces (`SphU.entry` throws `BlockException`, the article's `tryAcquire` returns a
 * boolean); beside it, its `attempt` method returns an `Outcome`.
 *
 * - `admitted`: the call went through; `value` is what it produced.
 * - `refused`: a guard said no before any work was done; `reason` says which guard and why.
 * - `failed`: the work ran (or was queued) and ended in an error.
 */
export type Outcome<T> =
  | { readonly kind: 'admitted'; readonly value: T }
  | { readonly kind: 'refused'; readonly reason: Refusal }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Why a guard refused a call: one tag per guard, with what that guard knows. */
export type Refusal =
  /** The per-instance token bucket had fewer tokens than the call asked for. */
  | { readonly by: 'token-bucket'; readonly permits: number }
  /** The Redis+Lua limiter's script said no; `retryAfterMs` when the algorithm knows it. */
  | { readonly by: 'redis-limiter'; readonly algorithm: string; readonly retryAfterMs?: number }
  /** A Sentinel flow rule blocked the entry (`FlowException`). */
  | { readonly by: 'flow-rule'; readonly resource: string; readonly grade: string }
  /** A Sentinel degrade rule's breaker is open, or half-open with its probe out (`DegradeException`). */
  | { readonly by: 'degrade-rule'; readonly resource: string; readonly grade: string }
  /** The thread pool's rejection policy refused the task (`RejectedExecutionException`). */
  | { readonly by: 'pool'; readonly policy: string };

/** Which guard refused, as a string union (for counting and trace fields). */
export type RefusedBy = Refusal['by'];

/** `{ kind: 'admitted', value }`. */
export function admitted<T>(value: T): Outcome<T> {
  return { kind: 'admitted', value };
}

/** `{ kind: 'refused', reason }`. */
export function refused<T = never>(reason: Refusal): Outcome<T> {
  return { kind: 'refused', reason };
}

/** `{ kind: 'failed', error }`. */
export function failed<T = never>(error: unknown): Outcome<T> {
  return { kind: 'failed', error };
}

import type { FaultAction, FaultArgs, Faults, FaultVerb } from '../ports/faults.ts';
import type { RunHarness } from './run-harness.ts';

/** One entry of a scenario's fault timeline. */
export interface TimelineFault {
  /** When to inject, ms from the start of the run. */
  readonly atMs: number;
  readonly verb: FaultVerb;
  readonly target: string;
  /** How long the fault lasts, ms; the verb's inverse is injected at `atMs + forMs`. */
  readonly forMs?: number;
  readonly args?: FaultArgs;
}

/**
 * The verb that undoes each verb, for faults with a duration (`for:`). Verbs without an inverse
 * (`failover`, `fail-next`, `semi-sync-timeout`, `restart`, ...) take no duration.
 */
export const INVERSE_VERB: Partial<Record<FaultVerb, FaultVerb>> = {
  crash: 'restart',
  freeze: 'resume',
  partition: 'repair',
  slow: 'repair',
  'stop-io-thread': 'start-io-thread',
  'stop-sql-thread': 'start-sql-thread',
  outage: 'heal',
  slowdown: 'heal',
  'rate-limit-storm': 'heal',
};

/** Why `fault` cannot be on a timeline, or `undefined` (a duration on a verb that has no inverse). */
export function timelineFaultProblem(fault: TimelineFault): string | undefined {
  if (!(fault.atMs >= 0) || !Number.isFinite(fault.atMs))
    return `at: expected a time >= 0, got ${fault.atMs}`;
  if (fault.forMs !== undefined) {
    if (!(fault.forMs > 0) || !Number.isFinite(fault.forMs))
      return `for: expected a duration > 0, got ${fault.forMs}`;
    if (INVERSE_VERB[fault.verb] === undefined) {
      return `for: '${fault.verb}' has no inverse to end it, so it takes no duration`;
    }
  }
  return undefined;
}

/**
 * The injections a timeline makes, in time order. At one instant, the ends of earlier faults come
 * first (so `heal` at 5 s does not undo a `fail-next` that also starts at 5 s), then the starts in
 * the file's order.
 */
export function expandTimeline(faults: readonly TimelineFault[]): readonly {
  readonly atMs: number;
  readonly action: FaultAction;
}[] {
  const out: { atMs: number; order: number; action: FaultAction }[] = [];
  faults.forEach((f, i) => {
    out.push({ atMs: f.atMs, order: faults.length + i, action: action(f.verb, f.target, f.args) });
    const inverse = INVERSE_VERB[f.verb];
    if (f.forMs !== undefined && inverse !== undefined) {
      out.push({ atMs: f.atMs + f.forMs, order: i, action: action(inverse, f.target, undefined) });
    }
  });
  out.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return out.map(({ atMs, action }) => ({ atMs, action }));
}

function action(verb: FaultVerb, target: string, args: FaultArgs | undefined): FaultAction {
  return args === undefined ? { verb, target } : { verb, target, args };
}

/**
 * Schedules every injection of `faults` on the harness's clock (cancelled if the run stops first).
 * An injection that fails is handed to `onError`; the run decides what that means.
 */
export function scheduleTimeline(
  harness: RunHarness,
  target: Faults,
  faults: readonly TimelineFault[],
  onError: (error: unknown, action: FaultAction) => void,
): void {
  for (const { atMs, action } of expandTimeline(faults)) {
    harness.at(atMs, () => {
      target.inject(action).catch((error: unknown) => onError(error, action));
    });
  }
}

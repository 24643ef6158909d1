import type { Outcome } from '../../outcome.ts';
import type { GatewayResponse } from '../request.ts';

/**
 * A non-admitted outcome from below, carried through a component that speaks exceptions (a cache
 * loader, a guarded call): the layer throws it into the component and takes it back out, so the
 * component counts a failure (a breaker's exception ratio, a loader error) and the request keeps its
 * real reason.
 */
export class CarriedOutcome extends Error {
  override readonly name = 'CarriedOutcome';
  constructor(readonly outcome: Exclude<Outcome<GatewayResponse>, { kind: 'admitted' }>) {
    super(outcome.kind === 'refused' ? `refused by ${outcome.reason.by}` : 'failed below');
  }
}

/** `outcome`'s value, or throws it as a `CarriedOutcome`. */
export function valueOrThrow(outcome: Outcome<GatewayResponse>): GatewayResponse {
  if (outcome.kind === 'admitted') return outcome.value;
  throw new CarriedOutcome(outcome);
}

/** The outcome an error stands for: the carried one, or a failure with the error. */
export function outcomeOf(error: unknown): Exclude<Outcome<GatewayResponse>, { kind: 'admitted' }> {
  return error instanceof CarriedOutcome ? error.outcome : { kind: 'failed', error };
}

import type { Outcome } from '../outcome.ts';
import type { GatewayRequest, GatewayResponse } from './request.ts';

/** The rest of the path below a layer. */
export type Next = (request: GatewayRequest) => Promise<Outcome<GatewayResponse>>;

/**
 * One step of the request path (cockatiel's policy, Express's middleware): it may answer by itself
 * (a cache hit, a refusal), or call `next` once (or, for a retry or fallback layer, more than once)
 * and pass on or transform what comes back. A layer never throws for a request's failure: it
 * returns `{ kind: 'failed' }`; a throw is a bug and fails the run.
 */
export interface Layer {
  /** The layer's name in traces and summaries, e.g. `'token-bucket'`, `'l1'`. */
  readonly name: string;
  handle(request: GatewayRequest, next: Next): Promise<Outcome<GatewayResponse>>;
}

/**
 * Composes `layers`, top to bottom, over `terminal` (the last step, which calls the providers):
 * `compose([a, b, c], t)(r)` is `a.handle(r, r => b.handle(r, r => c.handle(r, t)))`.
 */
export function compose(layers: readonly Layer[], terminal: Next): Next {
  let next = terminal;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer === undefined) continue;
    const below = next;
    next = (request) => layer.handle(request, below);
  }
  return next;
}

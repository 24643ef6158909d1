import type { Outcome } from '../outcome.ts';
import type { Clock } from '../ports/clock.ts';
import type { TraceSink } from '../ports/trace.ts';
import { type LayerContext, type LayerFactory, layerContext } from './context.ts';
import { compose, type Next } from './layer.ts';
import { describe } from './layers/limiters.ts';
import type { GatewayRequest, GatewayResponse } from './request.ts';

/** Options of `createGateway`. */
export interface GatewayOptions {
  /** This instance's name, e.g. `'gw-1'`: the `/gw-1` of every trace component it writes. */
  readonly instance: string;
  /** The request path, top to bottom. */
  readonly layers: readonly LayerFactory[];
  /** The last step (the providers). */
  readonly terminal: (context: LayerContext) => Next;
}

/** Ports of `createGateway`. */
export interface GatewayPorts {
  readonly clock: Clock;
  readonly trace?: TraceSink;
}

/** One gateway instance: its request path, built once. */
export interface Gateway {
  readonly instance: string;
  /** The layers' names, top to bottom. */
  readonly layers: readonly string[];
  /**
   * Handles one request. Resolves with its outcome; never rejects for the request's own failure.
   * Traces `gateway request {id, user}` and `gateway response {id, ms, outcome, ...}`.
   */
  handle(request: GatewayRequest): Promise<Outcome<GatewayResponse>>;
}

/**
 * Composes one gateway instance from an ordered list of layers over a terminal step:
 *
 * ```ts
 * const gateway = createGateway({ instance: 'gw-1', layers: [
 *   tokenBucketLayer(bucket), redisLimiterLayer(limiter), sentinelLayer(sentinel, { resource }),
 *   chatHistoryLayer(history), cacheLayer(cache), mergeLayer(coalescer, { key }), executorLayer(pool),
 * ], terminal: providersTerminal(policy) }, { clock, trace });
 * ```
 */
export function createGateway(options: GatewayOptions, ports: GatewayPorts): Gateway {
  const ctx = layerContext(options.instance, ports.clock, ports.trace);
  const built = options.layers.map((factory) => factory(ctx));
  const path = compose(built, options.terminal(ctx));
  const clock = ports.clock;
  return {
    instance: options.instance,
    layers: built.map((l) => l.name),
    async handle(request) {
      const start = clock.now();
      ctx.emit('gateway', 'request', { id: request.id, user: request.userId });
      const out = await path(request);
      const ms = clock.now() - start;
      switch (out.kind) {
        case 'admitted':
          ctx.emit('gateway', 'response', {
            id: request.id,
            ms,
            outcome: 'ok',
            servedBy: out.value.servedBy,
            model: out.value.model,
          });
          break;
        case 'refused':
          ctx.emit('gateway', 'response', { id: request.id, ms, outcome: 'refused', by: out.reason.by });
          break;
        case 'failed':
          ctx.emit('gateway', 'response', {
            id: request.id,
            ms,
            outcome: 'failed',
            error: describe(out.error),
          });
          break;
      }
      return out;
    },
  };
}

import type { Outcome } from '../../outcome.ts';
import type { LayerFactory } from '../context.ts';
import type { GatewayRequest, GatewayResponse } from '../request.ts';

/** What the merging layer needs: `Coalescer.execute` (singleflight's `Do`). */
export interface Merger {
  execute<T>(key: string, fn: () => Promise<T>): Promise<{ readonly value: T; readonly shared: boolean }>;
}

/**
 * The article's request merging (section 4.3): identical prompts in flight share one call below.
 * The shared thing is the outcome, so merged callers get the same answer, refusal or failure.
 * Traces `coalesce merged {id, key}` for a caller that joined another's call.
 */
export function mergeLayer(
  merger: Merger,
  options: { readonly key: (r: GatewayRequest) => string },
): LayerFactory {
  return (ctx) => ({
    name: 'merge',
    async handle(request, next) {
      const key = options.key(request);
      const { value, shared } = await merger.execute<Outcome<GatewayResponse>>(key, () => next(request));
      if (shared) ctx.emit('coalesce', 'merged', { id: request.id, key });
      return value;
    },
  });
}

import { admitted } from '../../outcome.ts';
import type { LayerFactory } from '../context.ts';
import type { GatewayRequest, GatewayResponse, ServedBy } from '../request.ts';
import { outcomeOf, valueOrThrow } from './carried.ts';

/** What the cache layer needs: `TieredCache.get` with a per-call loader and the tier that answered. */
export interface PromptCache {
  get(
    prompt: string,
    loader: () => Promise<GatewayResponse>,
  ): Promise<{ readonly value: GatewayResponse | undefined; readonly tier: string }>;
}

/**
 * The article's multi-level cache (section 2.3): L1 Caffeine in this instance, L2 Redis shared,
 * L3 MySQL; on a miss everything below runs as the loader and its answer fills the cache. Only
 * upstream answers are cached: a fallback answer never reaches the loader (Sentinel sits above).
 * Traces `cache answered {id, tier}` (tier `l1`, `l2`, `l3` or `loader`).
 */
export function cacheLayer(cache: PromptCache): LayerFactory {
  return (ctx) => ({
    name: 'cache',
    async handle(request: GatewayRequest, next) {
      try {
        const { value, tier } = await cache.get(request.prompt, async () =>
          valueOrThrow(await next(request)),
        );
        ctx.emit('cache', 'answered', { id: request.id, tier });
        // A negative entry (a cached "no answer") is the only way a read with a loader has no value.
        if (value === undefined)
          return { kind: 'failed', error: new Error(`cache: negative entry (${tier})`) };
        if (tier === 'loader') return admitted(value);
        const servedBy: ServedBy = tier === 'l1' || tier === 'l2' || tier === 'l3' ? tier : value.servedBy;
        return admitted({ ...value, servedBy, outputTokens: 0 });
      } catch (error) {
        return outcomeOf(error);
      }
    },
  });
}

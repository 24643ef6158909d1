import { admitted, type Outcome, type Refusal } from '../../outcome.ts';
import type { LayerFactory } from '../context.ts';
import type { GatewayResponse } from '../request.ts';
import { outcomeOf, valueOrThrow } from './carried.ts';
import { describe } from './limiters.ts';

/** What the Sentinel layer needs: `Sentinel.attempt`. */
export interface SentinelGuard {
  attempt<T>(resource: string, fn: () => Promise<T>): Promise<Outcome<T>>;
}

/** Options of `sentinelLayer`. */
export interface SentinelLayerOptions {
  /** The guarded resource; the article's `@SentinelResource(value = "chatCompletion")`. */
  readonly resource: string;
  /**
   * The article's `fallback = "chatFallback"`: the answer given when a rule blocks the entry or the
   * call below fails. Absent: the refusal or failure goes back to the client.
   */
  readonly fallback?: (why: Refusal | { readonly by: 'error'; readonly error: unknown }) => GatewayResponse;
}

/**
 * Sentinel flow and degrade rules around everything below (the article's SentinelAspect,
 * section 1.4): a failure below is thrown into the entry so the exception-ratio breaker counts it,
 * and the entry's response time is the whole call's. Traces `sentinel blocked {id, by, grade}`,
 * `sentinel fallback {id, reason}`.
 */
export function sentinelLayer(sentinel: SentinelGuard, options: SentinelLayerOptions): LayerFactory {
  const { resource, fallback } = options;
  return (ctx) => ({
    name: 'sentinel',
    async handle(request, next) {
      const out = await sentinel.attempt(resource, async () => valueOrThrow(await next(request)));
      if (out.kind === 'admitted') return out;
      if (out.kind === 'refused') {
        const grade = 'grade' in out.reason ? out.reason.grade : '';
        ctx.emit('sentinel', 'blocked', { id: request.id, by: out.reason.by, grade });
        if (fallback === undefined) return out;
        ctx.emit('sentinel', 'fallback', { id: request.id, reason: out.reason.by });
        return admitted(fallback(out.reason));
      }
      const below = outcomeOf(out.error);
      if (fallback === undefined) return below;
      ctx.emit('sentinel', 'fallback', {
        id: request.id,
        reason: below.kind === 'refused' ? below.reason.by : describe(below.error),
      });
      return admitted(fallback({ by: 'error', error: below.kind === 'failed' ? below.error : below.reason }));
    },
  });
}

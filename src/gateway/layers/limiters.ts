import { type Outcome, type Refusal, refused } from '../../outcome.ts';
import type { LayerFactory } from '../context.ts';
import type { GatewayRequest } from '../request.ts';

/** What the token-bucket layer needs: `TokenBucket.attempt`. */
export interface BucketGuard {
  attempt(permits?: number): Outcome<void>;
}

/**
 * The article's per-instance token bucket (section 4.1), first on the path: one permit per
 * request. Each gateway instance has its own bucket, so N instances admit N × the configured
 * rate: the article's limit is per instance, not global. Traces `token-bucket admitted|limited {id}`.
 */
export function tokenBucketLayer(bucket: BucketGuard): LayerFactory {
  return (ctx) => ({
    name: 'token-bucket',
    handle(request, next) {
      const out = bucket.attempt(1);
      if (out.kind !== 'admitted') {
        ctx.emit('token-bucket', 'limited', { id: request.id });
        return Promise.resolve(out.kind === 'refused' ? refused(out.reason) : out);
      }
      ctx.emit('token-bucket', 'admitted', { id: request.id });
      return next(request);
    },
  });
}

/** What the Redis+Lua limiter layer needs: `RedisLimiter.attempt`. */
export interface LimiterGuard {
  attempt(id: string, cost: number): Promise<Outcome<unknown>>;
}

/** Options of `redisLimiterLayer`. */
export interface RedisLimiterLayerOptions {
  /** The limiter key of a request. @defaultValue the user id */
  readonly key?: (request: GatewayRequest) => string;
  /**
   * What to do when Redis cannot answer (a failover, a crash): `'allow'` lets the request pass
   * (fail open, what most gateways do: LiteLLM's v3 limiter and Envoy's ratelimit
   * `failure_mode_deny: false`) and traces it; `'deny'` fails the request. @defaultValue 'allow'
   */
  readonly onError?: 'allow' | 'deny';
}

/**
 * The article's Redis+Lua limiter (section 4.2), shared by every instance through one Redis: the
 * global limit. Traces `redis-limiter admitted|limited {id, key}` and `redis-limiter error {id, key,
 * error, allowed}` when Redis fails.
 */
export function redisLimiterLayer(
  limiter: LimiterGuard,
  options: RedisLimiterLayerOptions = {},
): LayerFactory {
  const keyOf = options.key ?? ((r: GatewayRequest) => r.userId);
  const allow = (options.onError ?? 'allow') === 'allow';
  return (ctx) => ({
    name: 'redis-limiter',
    async handle(request, next) {
      const key = keyOf(request);
      const out = await limiter.attempt(key, 1);
      switch (out.kind) {
        case 'admitted':
          ctx.emit('redis-limiter', 'admitted', { id: request.id, key });
          return await next(request);
        case 'refused':
          ctx.emit('redis-limiter', 'limited', { id: request.id, key });
          return refused(out.reason satisfies Refusal);
        case 'failed':
          ctx.emit('redis-limiter', 'error', {
            id: request.id,
            key,
            error: describe(out.error),
            allowed: allow,
          });
          return allow ? await next(request) : out;
      }
    },
  });
}

/** One line for an error, for trace fields. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 200);
  return String(error).slice(0, 200);
}

import type { LlmUpstream } from '../../ports/llm.ts';
import type { LiteLlmRouterOptions } from './litellm-router.ts';

/**
 * The `router_settings` / `Router(...)` arguments as LiteLLM spells them (BerriAI/litellm
 * `litellm/router.py` `Router.__init__`, `docs/my-website/docs/routing.md`): durations in seconds.
 */
export interface LiteLlmRouterConfig {
  readonly num_retries?: number;
  /** Seconds. */
  readonly cooldown_time?: number;
  /** Seconds: the floor of every backoff. */
  readonly retry_after?: number;
  /** Seconds, per call. */
  readonly timeout?: number;
  readonly routing_strategy?: 'simple-shuffle' | 'order';
  /** `ROUTER_MAX_FALLBACKS`. */
  readonly max_fallbacks?: number;
}

/** Converts LiteLLM's own names and units (seconds) to `LiteLlmRouterOptions` (ms), once, at the edge. */
export function fromLiteLlmConfig(
  config: LiteLlmRouterConfig,
  upstreams: readonly LlmUpstream[],
): LiteLlmRouterOptions {
  const ms = (seconds: number | undefined): number | undefined =>
    seconds === undefined ? undefined : seconds * 1000;
  return {
    upstreams,
    numRetries: config.num_retries,
    cooldownMs: ms(config.cooldown_time),
    retryAfterMs: ms(config.retry_after),
    timeoutMs: ms(config.timeout),
    routingStrategy: config.routing_strategy,
    maxFallbacks: config.max_fallbacks,
  };
}

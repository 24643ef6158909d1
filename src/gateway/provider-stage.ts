import type { LlmUpstream } from '../ports/llm.ts';
import { ARTICLE_DEFAULTS, type GatewayConfig } from './config.ts';
import { ArticleFallbackPolicy, SequentialFallbackPolicy } from './providers/article-fallback.ts';
import { LiteLlmRouterPolicy } from './providers/litellm-router.ts';
import { OpenAiSdkPolicy } from './providers/openai-sdk.ts';
import type { ProviderPolicy, ProviderPorts } from './providers/policy.ts';
import { PortkeyPolicy } from './providers/portkey.ts';

/**
 * The provider stage a configuration names: `fallback.policy` over `fallback.models` (default every
 * provider, in file order). The article's policy (section 5.3) is the default; its corrected form,
 * for the `fixed` variant, is sequential fallback with each model's own timeout.
 */
export function providerStage(
  config: GatewayConfig,
  variant: 'article' | 'fixed',
  providers: ReadonlyMap<string, LlmUpstream>,
  ports: ProviderPorts,
): ProviderPolicy {
  const names = config.fallback?.models ?? [...providers.keys()];
  const upstreams = names.map((name) => {
    const upstream = providers.get(name);
    if (upstream === undefined) {
      throw new RangeError(
        `fallback.models: no provider named '${name}' (providers: ${[...providers.keys()].join(', ')})`,
      );
    }
    return upstream;
  });
  const timeoutMs = config.fallback?.timeoutMs ?? ARTICLE_DEFAULTS.fallbackTimeoutMs;
  switch (config.fallback?.policy ?? 'article') {
    case 'article':
      return variant === 'article'
        ? new ArticleFallbackPolicy({ upstreams, timeoutMs }, ports)
        : new SequentialFallbackPolicy({ upstreams, timeoutMs }, ports);
    case 'sequential':
      return new SequentialFallbackPolicy({ upstreams, timeoutMs }, ports);
    case 'litellm':
      return new LiteLlmRouterPolicy({ upstreams, timeoutMs }, ports);
    case 'portkey':
      return new PortkeyPolicy({ upstreams }, ports);
    case 'openai-sdk': {
      const [upstream] = upstreams;
      if (upstream === undefined)
        throw new RangeError('fallback.models: the OpenAI SDK policy needs one model');
      return new OpenAiSdkPolicy({ upstream, timeoutMs }, ports);
    }
  }
}

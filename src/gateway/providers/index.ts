export {
  AllModelsFailedError,
  ARTICLE_TIMEOUT_MS,
  ArticleFallbackPolicy,
  type FallbackOptions,
  SequentialFallbackPolicy,
} from './article-fallback.ts';
export { fromLiteLlmConfig, type LiteLlmRouterConfig } from './litellm-config.ts';
export {
  DeploymentHealth,
  LITELLM_DEFAULT_COOLDOWN_MS,
  LITELLM_FAILURE_THRESHOLD,
  LITELLM_FAILURE_THRESHOLD_MINIMUM_REQUESTS,
  LITELLM_SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD,
} from './litellm-cooldown.ts';
export {
  LITELLM_DEFAULT_NUM_RETRIES,
  LITELLM_DEFAULT_TIMEOUT_MS,
  LITELLM_ROUTER_MAX_FALLBACKS,
  type LiteLlmRouterOptions,
  LiteLlmRouterPolicy,
} from './litellm-router.ts';
export {
  OPENAI_DEFAULT_MAX_RETRIES,
  OPENAI_INITIAL_RETRY_DELAY_MS,
  OPENAI_MAX_RETRY_DELAY_MS,
  OPENAI_RETRY_AFTER_MAX_MS,
  openAiRetryDelayMs,
} from './openai-backoff.ts';
export { type OpenAiSdkOptions, OpenAiSdkPolicy } from './openai-sdk.ts';
export {
  type NextStep,
  NoDeploymentsAvailableError,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderPolicy,
  type ProviderPorts,
  type ProviderRequest,
  ProviderTimeoutError,
} from './policy.ts';
export {
  ASYNC_RETRY_FACTOR,
  ASYNC_RETRY_MIN_TIMEOUT_MS,
  asyncRetryTimeoutMs,
  PORTKEY_MAX_RETRIES,
  PORTKEY_MAX_RETRY_LIMIT_MS,
  PORTKEY_RETRY_STATUS_CODES,
  type PortkeyOptions,
  PortkeyPolicy,
} from './portkey.ts';

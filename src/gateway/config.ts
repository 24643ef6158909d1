/**
 * The gateway's configuration as a scenario file states it: the article's own names and units
 * (Sentinel's `timeWindow` in seconds, Spring's `keepAliveSeconds`, Caffeine's `expireAfterWrite`,
 * the Lua limiter's `windowSeconds`). `buildGateways` converts them to hasim's millisecond options
 * once. Every field is optional except the providers; defaults are the article's values.
 */
/** The layers a gateway path can be made of, in the article's order. */
export const LAYER_NAMES = [
  'token-bucket',
  'redis-limiter',
  'sentinel',
  'chat-history',
  'cache',
  'merge',
  'executor',
] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/**
 * The parts of the architecture that have an article form and a corrected one: the gateway's
 * layers, its provider stage, and the MySQL semi-sync setting (see `buildGateways`).
 */
export type VariantPart = Exclude<LayerName, 'executor'> | 'providers' | 'mysql';
export const VARIANT_PARTS: readonly VariantPart[] = [
  // The executor has one form: the article's configuration, which the scenario sets.
  ...LAYER_NAMES.filter((layer): layer is Exclude<LayerName, 'executor'> => layer !== 'executor'),
  'providers',
  'mysql',
];

/** The variant `part` runs in a run of `variant`: its own pin in `config.variants`, else the run's. */
export function variantOf(
  config: Pick<GatewayConfig, 'variants'>,
  part: VariantPart,
  variant: 'article' | 'fixed',
): 'article' | 'fixed' {
  return config.variants?.[part] ?? variant;
}

export interface GatewayConfig {
  readonly instances?: number;
  readonly layers?: readonly string[];
  readonly tokenBucket?: { readonly capacity: number; readonly refillRate: number };
  readonly redisLimiter?: {
    readonly limit: number;
    readonly windowSeconds: number;
    readonly algorithm?: 'fixed-window' | 'sliding-log' | 'sliding-counter' | 'token-bucket' | 'gcra';
    readonly onRedisError?: 'allow' | 'deny';
  };
  readonly sentinel?: {
    readonly resource?: string;
    readonly degradeRules?: readonly {
      readonly resource: string;
      readonly grade: 'RT' | 'EXCEPTION_RATIO' | 'EXCEPTION_COUNT';
      readonly count: number;
      readonly slowRatioThreshold?: number;
      readonly minRequestAmount?: number;
      readonly statIntervalMs?: number;
      readonly timeWindow: number;
    }[];
    readonly flowRules?: readonly {
      readonly resource: string;
      readonly grade?: 'QPS' | 'THREAD';
      readonly count: number;
      readonly controlBehavior?: 'DEFAULT' | 'WARM_UP' | 'RATE_LIMITER' | 'WARM_UP_RATE_LIMITER';
      readonly warmUpPeriodSec?: number;
      readonly maxQueueingTimeMs?: number;
    }[];
    readonly fallback?: boolean;
  };
  readonly caffeine?: { readonly maximumSize: number; readonly expireAfterWrite: number };
  readonly redis?: {
    readonly masters?: number;
    readonly replicasPerMaster?: number;
    readonly nodeTimeoutMs?: number;
    readonly ttl?: number;
  };
  readonly mysql?: {
    readonly replicas?: number;
    readonly semiSync?: { readonly waitPoint?: 'AFTER_SYNC' | 'AFTER_COMMIT'; readonly timeoutMs?: number };
    readonly loadBalancer?: 'ROUND_ROBIN' | 'RANDOM';
    readonly shards?: number;
    readonly applyCostMs?: number;
    /** Exchanges per chat-history INSERT (`ChatHistory`'s `batchRows`): @defaultValue 1, one per exchange. */
    readonly historyBatchRows?: number;
  };
  /**
   * The merger: threads of the article's scheduled executor (@defaultValue 1, the article's) and the
   * merge window, ms, the first request of a prompt waits for others (@defaultValue 50, the article's).
   */
  readonly merge?: { readonly schedulerThreads?: number; readonly windowMs?: number };
  readonly executor?: {
    readonly corePoolSize: number;
    readonly maxPoolSize: number;
    readonly queueCapacity: number;
    readonly keepAliveSeconds?: number;
    readonly rejectedExecutionHandler?:
      | 'AbortPolicy'
      | 'CallerRunsPolicy'
      | 'DiscardPolicy'
      | 'DiscardOldestPolicy';
  };
  readonly providers: readonly { readonly name: string; readonly model: string }[];
  /**
   * Parts pinned to one form whatever the run's variant: `{ redis-limiter: fixed }` runs the
   * corrected limiter in the article's run too, to see what one fix changes. @defaultValue none
   */
  readonly variants?: Readonly<Partial<Record<VariantPart, 'article' | 'fixed'>>>;
  readonly fallback?: {
    readonly policy?: 'article' | 'sequential' | 'litellm' | 'portkey' | 'openai-sdk';
    readonly models?: readonly string[];
    readonly timeoutMs?: number;
  };
}

/**
 * The values used where a scenario leaves a field out: the article's own where it gives one, and
 * hasim's choice (said so) where the article shows the code but no numbers.
 */
export const ARTICLE_DEFAULTS = {
  instances: 1,
  layers: ['token-bucket', 'redis-limiter', 'sentinel', 'chat-history', 'cache', 'merge', 'executor'],
  /** Section 4.1 shows `TokenBucketRateLimiter(capacity, refillRate)` without values: hasim's choice. */
  tokenBucket: { capacity: 100, refillRate: 10 },
  /** Section 4.2 shows `isAllowed(userId, limit, windowSeconds)` without values: hasim's choice. */
  redisLimiter: { limit: 100, windowSeconds: 60 },
  /** Section 1.4: `@SentinelResource(value = "chatCompletion")`. */
  resource: 'chatCompletion',
  /** Section 2.3: `maximumSize(10000).expireAfterWrite(1, MINUTES)`; L2 TTL 1 h. */
  caffeine: { maximumSize: 10_000, expireAfterWriteMs: 60_000 },
  l2TtlMs: 3_600_000,
  /** Section 5.1: core 10, max 50, queue 200, keep-alive 60 s, CallerRunsPolicy. */
  executor: {
    corePoolSize: 10,
    maxPoolSize: 50,
    queueCapacity: 200,
    keepAliveSeconds: 60,
    rejectedExecutionHandler: 'CallerRunsPolicy',
  },
  /** Section 5.3: `orTimeout(10, SECONDS)` per model. */
  fallbackTimeoutMs: 10_000,
  /** Section 4.3: identical prompts within 50 ms are merged. */
  mergeWindowMs: 50,
  /** Section 3.3: four `chat_message_N` tables. */
  shards: 4,
} as const;

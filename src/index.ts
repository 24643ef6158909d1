// The library's public entry: explicit named exports only. Components are written against the
// ports below; adapters connect the ports to the real world.

// Redis: key slots, the Lua limiters, ioredis and ioredis-mock adapters (src/ports/redis-slots.ts, src/limit/lua/,
// docs/redis.md)
export type { IoredisPortOptions } from './adapters/ioredis.ts';
export { createIoredisClusterPort, createIoredisPort, IoredisSubscriber } from './adapters/ioredis.ts';
export { createIoredisMockPort, useVirtualDate } from './adapters/ioredis-mock.ts';
export type { JsonlTraceOptions } from './adapters/jsonl-trace.ts';
export { JsonlTrace } from './adapters/jsonl-trace.ts';
// Read/write-splitting router and sharding (src/router/, docs/router.md)
export type { MariaDbPair, MariaDbPairOptions, Mysql2SqlPortOptions } from './adapters/mysql2.ts';
export {
  GtidTrackingError,
  Mysql2Session,
  Mysql2SqlPort,
  mariaDbPair,
  TRACK_LAST_GTID_SQL,
  trackLastGtid,
} from './adapters/mysql2.ts';
export { SeededRandom } from './adapters/seeded-random.ts';
export { SystemClock } from './adapters/system-clock.ts';
// Multi-level cache: Caffeine-faithful L1, Redis L2, MySQL L3, the tiered cache (src/cache/,
// docs/local-cache.md, docs/cache.md)
export type {
  CacheEntry,
  CacheLoader,
  CacheStrategy,
  CacheTier,
  InvalidationBus,
  L1Cache,
  L3Row,
  LeaseGetResult,
  LeaseOptions,
  LocalCacheKey,
  LocalCacheOptions,
  LocalCachePolicy,
  LocalCachePorts,
  MysqlL3Options,
  PromptHashScheme,
  RedisL2Options,
  Serializer,
  TieredCacheOptions,
  TieredCacheStats,
  TieredLoader,
  TieredRead,
  WriteBehindOptions,
  WriteBehindQueueFullPolicy,
  XFetchOptions,
} from './cache/index.ts';
export {
  CACHE_PREFIX,
  CacheStats,
  ClockInvalidationBus,
  DEFAULT_INVALIDATION_CHANNEL,
  DEFAULT_L2_TTL_MS,
  DEFAULT_L3_TABLE,
  DEFAULT_LEASE_TTL_MS,
  hashPrompt,
  isLeaseMarker,
  jsonSerializer,
  LEASE_GET_SCRIPT,
  LEASE_MARKER,
  LEASE_SET_SCRIPT,
  LocalCache,
  MysqlL3,
  RedisInvalidationBus,
  RedisL2,
  TieredCache,
  WriteBehindQueueFullError,
} from './cache/index.ts';
// Request coalescing (src/coalesce/, docs/coalescer.md)
export type { Coalesced, CoalescerOptions, CoalescerPorts, CoalescerVariant } from './coalesce/index.ts';
export { Coalescer, promptMergeKey } from './coalesce/index.ts';
// Thread-pool executor, timeouts and model fallback (src/executor/, docs/executor.md)
export type {
  ChatWithFallbackOptions,
  FallbackMode,
  FallbackPorts,
  FallbackResult,
  ModelAnswer,
  ModelFailure,
  ModelFallbackOptions,
  RejectedExecutionHandlerName,
  SpringTaskExecutorProperties,
  Submitted,
  TaskContext,
  TaskRunner,
  ThreadPoolExecutorOptions,
  ThreadPoolExecutorPorts,
} from './executor/index.ts';
export {
  AllModelsFailedError,
  articleLlmExecutorOptions,
  chatWithFallback,
  executorFromSpringProperties,
  INTEGER_MAX_VALUE,
  ModelFallback,
  RejectedExecutionException,
  springTaskExecutorDefaults,
  ThreadPoolExecutor,
  TimeoutError,
  withTimeout,
} from './executor/index.ts';
// Token bucket (src/limit/token-bucket.ts, docs/token-bucket.md)
export type { TokenBucketOptions, TokenBucketPorts, TokenBucketVariant } from './limit/index.ts';
export { TokenBucket } from './limit/index.ts';
export type {
  RateLimitDecision,
  RedisLimiterAlgorithm,
  RedisLimiterOptions,
  RedisLimiterPorts,
} from './limit/lua/index.ts';
export {
  FIXED_WINDOW_SCRIPT,
  GCRA_SCRIPT,
  RedisLimiter,
  SLIDING_COUNTER_SCRIPT,
  SLIDING_LOG_SCRIPT,
  TOKEN_BUCKET_SCRIPT,
} from './limit/lua/index.ts';
export type { Clock, TimerHandle } from './ports/clock.ts';
export { AbortError, abortReason } from './ports/clock.ts';
export type { LlmRequest, LlmResponse, LlmUpstream } from './ports/llm.ts';
export { LlmError } from './ports/llm.ts';
export type { Random } from './ports/random.ts';
export { nextExponential, nextGaussian, nextInt } from './ports/random.ts';
export type { RedisArg, RedisKey, RedisPort, RedisSubscriber } from './ports/redis.ts';
export { CLUSTER_SLOTS, crc16, keyHashSlot } from './ports/redis-slots.ts';
export type { SqlPort, SqlResult, SqlRow, SqlSession, SqlValue } from './ports/sql.ts';
export { SqlError } from './ports/sql.ts';
export type { TraceFields, TraceSink, TraceValue } from './ports/trace.ts';
export { nullTraceSink } from './ports/trace.ts';
export type {
  ClassifiedStatement,
  LoadBalancer,
  LoadBalancerConfig,
  LoadBalancerType,
  ReadWriteRouterOptions,
  ReadwriteSplittingGroupConfig,
  ReadwriteSplittingRuleConfig,
  ReplicaChecks,
  ReplicaProbe,
  ReplicaStatus,
  RouteDecision,
  RouteReason,
  StatementKind,
  TransactionalReadQueryStrategy,
} from './router/index.ts';
export {
  ARTICLE_READWRITE_SPLITTING_YAML,
  CLASSIFY_CACHE_LIMIT,
  classifyStatement,
  DEFAULT_STATUS_TTL_MS,
  DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY,
  javaStringHashCode,
  LoadBalancerError,
  parseReadwriteSplittingYaml,
  RandomLoadBalancer,
  ReadWriteRouter,
  RoundRobinLoadBalancer,
  RouterConfigError,
  RouterSession,
  ruleFromObject,
  seedShardIndex,
  shardIndex,
  sqlReplicaProbe,
  WeightLoadBalancer,
} from './router/index.ts';
// Sentinel 1.8 circuit breaking and flow control (src/sentinel/, docs/sentinel.md)
export type {
  BreakerPhase,
  CircuitBreakerPorts,
  CircuitBreakerState,
  CompletedRequest,
  ControlBehaviorValue,
  DefaultControllerOptions,
  DegradeGradeValue,
  DegradeRule,
  DegradeRuleConfig,
  FlowControllerPorts,
  FlowGradeValue,
  FlowNode,
  FlowRule,
  FlowRuleConfig,
  RateLimiterControllerOptions,
  RunHandlers,
  SentinelDegradeRuleConfig,
  SentinelFlowRuleConfig,
  SentinelOptions,
  SentinelPorts,
  StateChangeObserver,
  TerminateHooks,
  TrafficShapingController,
  WarmUpControllerOptions,
  WarmUpRateLimiterControllerOptions,
} from './sentinel/index.ts';
export {
  AbstractCircuitBreaker,
  ARTICLE_EXCEPTION_DEGRADE_RULE,
  ARTICLE_RT_DEGRADE_RULE,
  BLOCK as FLOW_BLOCK,
  BlockException,
  ControlBehavior,
  DefaultController,
  DegradeException,
  DegradeGrade,
  degradeRule,
  degradeRuleFromSentinel,
  degradeRuleProblem,
  Entry,
  ExceptionCircuitBreaker,
  FlowException,
  FlowGrade,
  flowRule,
  flowRuleFromSentinel,
  flowRuleProblem,
  InvalidRuleError,
  RateLimiterController,
  ResponseTimeCircuitBreaker,
  Sentinel,
  StatisticNode,
  WarmUpController,
  WarmUpRateLimiterController,
} from './sentinel/index.ts';

// The library's public entry: explicit named exports only, one block per area (each area's folder
// lists its own). Names that exist only for conformance tests and the bench are in ./internal.ts.

export type { BullmqConnectionOptions } from './adapters/bullmq-sweep-queue.ts';
export { BullmqSweepQueue } from './adapters/bullmq-sweep-queue.ts';
export type { BullmqSweepWorkerOptions, SweepWorkerEvent } from './adapters/bullmq-sweep-worker.ts';
export { BullmqSweepWorker } from './adapters/bullmq-sweep-worker.ts';
export type { IoredisPortOptions } from './adapters/ioredis.ts';
export { createIoredisClusterPort, createIoredisPort, IoredisSubscriber } from './adapters/ioredis.ts';
// Adapters: the only files that touch drivers and the OS (system clock, seeded random, JSONL trace, ioredis, mysql2)
export { createIoredisMockPort, useVirtualDate } from './adapters/ioredis-mock.ts';
export type { JsonlTraceOptions } from './adapters/jsonl-trace.ts';
export { JsonlTrace } from './adapters/jsonl-trace.ts';
export type { MariaDbPair, MariaDbPairOptions, Mysql2SqlPortOptions } from './adapters/mysql2.ts';
export {
  GtidTrackingError,
  Mysql2Session,
  Mysql2SqlPort,
  mariaDbPair,
  trackLastGtid,
} from './adapters/mysql2.ts';
export type {
  RedisRestartWatcherOptions,
  RedisRestartWatcherPorts,
  WriteFailure,
} from './adapters/redis-restart.ts';
export { classifyWriteFailure, parseRunId, RedisRestartWatcher } from './adapters/redis-restart.ts';
export { SeededRandom } from './adapters/seeded-random.ts';
export { SystemClock } from './adapters/system-clock.ts';

// Executable invariants
export { AssertionError, assert, maybe, present } from './assert.ts';

// Multi-level cache: Caffeine-faithful L1, Redis L2, MySQL L3, the tiered cache (docs/local-cache.md, docs/cache.md)
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
  hashPrompt,
  isLeaseMarker,
  jsonSerializer,
  LocalCache,
  MysqlL3,
  RedisInvalidationBus,
  RedisL2,
  TieredCache,
  WriteBehindQueueFullError,
} from './cache/index.ts';

// Request merging (docs/coalescer.md)
export type { Coalesced, CoalescerOptions, CoalescerPorts, CoalescerVariant } from './coalesce/index.ts';
export { Coalescer, promptMergeKey } from './coalesce/index.ts';

// Thread-pool executor, timeouts and model fallback (docs/executor.md)
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
  ModelFallback,
  RejectedExecutionException,
  springTaskExecutorDefaults,
  ThreadPoolExecutor,
  TimeoutError,
  withTimeout,
} from './executor/index.ts';

// The composed gateway: layers, createGateway, buildGateways, provider policies (docs/scenarios.md, docs/providers.md)
export type { BuiltGateways, GatewayBackends } from './gateway/build.ts';
export { buildGateways } from './gateway/build.ts';
export type { ChatHistoryOptions, WriteResult } from './gateway/chat-history.ts';
export { ChatHistory } from './gateway/chat-history.ts';
export type { GatewayConfig } from './gateway/config.ts';
export { ARTICLE_DEFAULTS } from './gateway/config.ts';
export type { LayerContext, LayerFactory } from './gateway/context.ts';
export { scopedTrace } from './gateway/context.ts';
export type { Gateway, GatewayOptions, GatewayPorts } from './gateway/gateway.ts';
export { createGateway } from './gateway/gateway.ts';
export type { Layer, Next } from './gateway/layer.ts';
export { compose } from './gateway/layer.ts';
export { cacheLayer } from './gateway/layers/cache.ts';
export { chatHistoryLayer } from './gateway/layers/chat-history.ts';
export { executorLayer } from './gateway/layers/executor.ts';
export { redisLimiterLayer, tokenBucketLayer } from './gateway/layers/limiters.ts';
export { mergeLayer } from './gateway/layers/merge.ts';
export { providersTerminal } from './gateway/layers/providers.ts';
export { sentinelLayer } from './gateway/layers/sentinel.ts';
export type {
  ProviderAnswer,
  ProviderContext,
  ProviderPolicy,
  ProviderPorts,
  ProviderRequest,
} from './gateway/providers/index.ts';
export {
  ArticleFallbackPolicy,
  fromLiteLlmConfig,
  LiteLlmRouterPolicy,
  OpenAiSdkPolicy,
  PortkeyPolicy,
  SequentialFallbackPolicy,
} from './gateway/providers/index.ts';
export type { GatewayRequest, GatewayResponse, ServedBy } from './gateway/request.ts';

// The run loop shared by simulation and live runs, and the fault timeline
export type { TimelineFault } from './harness/fault-timeline.ts';
export { expandTimeline, INVERSE_VERB, scheduleTimeline } from './harness/fault-timeline.ts';
export type { HarnessResult, RunHarnessOptions, Stoppable } from './harness/run-harness.ts';
export { RunHarness } from './harness/run-harness.ts';

// Token bucket and the Redis+Lua limiters (docs/token-bucket.md, docs/redis.md)
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

// The outcome of every guarded call
export type { Outcome, Refusal, RefusedBy } from './outcome.ts';
export { admitted, failed, refused } from './outcome.ts';

// Ports: time, chance, trace (and its vocabulary), Redis, SQL, LLM providers, faults, topology
export type { Clock, TimerHandle } from './ports/clock.ts';
export { AbortError, abortReason } from './ports/clock.ts';
export type { FaultAction, FaultArgs, Faults, FaultTarget, FaultVerb } from './ports/faults.ts';
export { FAULT_VERBS, FaultError } from './ports/faults.ts';
export type { LlmRequest, LlmResponse, LlmUpstream } from './ports/llm.ts';
export { LlmError } from './ports/llm.ts';
export type { Random } from './ports/random.ts';
export { nextExponential, nextGaussian, nextInt } from './ports/random.ts';
export type { RedisArg, RedisKey, RedisPort, RedisSubscriber } from './ports/redis.ts';
export { CLUSTER_SLOTS, keyHashSlot } from './ports/redis-slots.ts';
export type { SqlPort, SqlResult, SqlRow, SqlSession, SqlValue } from './ports/sql.ts';
export { SqlError } from './ports/sql.ts';
export type {
  CollectOptions,
  LostSeed,
  NondeterministicSeed,
  SeedOutcome,
  SeedRunner,
  SeedTask,
  SeedValue,
  SubmitReceipt,
  SweepProgress,
  SweepQueue,
  SweepRequest,
  SweepResults,
  SweepWorker,
} from './ports/sweep-queue.ts';
export { SweepQueueError } from './ports/sweep-queue.ts';
export type { Topology } from './ports/topology.ts';
export type { TraceFields, TraceSink, TraceValue } from './ports/trace.ts';
export { nullTraceSink } from './ports/trace.ts';
export type { FamilySpec, FieldSpec, KindSpec, TraceFamily } from './ports/trace-events.ts';
export {
  checkTraceEvent,
  familyOf,
  TRACE_EVENTS,
  traceEventProblem,
  UndeclaredTraceEventError,
} from './ports/trace-events.ts';

// Read/write-splitting router and sharding (docs/router.md)
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
  classifyStatement,
  DEFAULT_STATUS_TTL_MS,
  DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY,
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

// Sentinel 1.8 circuit breaking and flow control (docs/sentinel.md)
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
  TickClock,
  WarmUpController,
  WarmUpRateLimiterController,
} from './sentinel/index.ts';

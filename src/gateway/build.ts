import { LocalCache } from '../cache/local-cache.ts';
import { RedisL2 } from '../cache/redis-l2.ts';
import { TieredCache } from '../cache/tiered-cache.ts';
import type { CacheEntry } from '../cache/tiered-cache-types.ts';
import { Coalescer } from '../coalesce/coalescer.ts';
import { executorFromSpringProperties } from '../executor/options.ts';
import { ThreadPoolExecutor } from '../executor/thread-pool-executor.ts';
import type { Stoppable } from '../harness/run-harness.ts';
import { RedisLimiter } from '../limit/lua/redis-limiter.ts';
import { TokenBucket } from '../limit/token-bucket.ts';
import type { Clock } from '../ports/clock.ts';
import type { LlmUpstream } from '../ports/llm.ts';
import type { Random } from '../ports/random.ts';
import type { RedisPort } from '../ports/redis.ts';
import type { SqlPort } from '../ports/sql.ts';
import type { Topology } from '../ports/topology.ts';
import type { TraceSink } from '../ports/trace.ts';
import { ReadWriteRouter } from '../router/read-write-router.ts';
import { degradeRuleFromSentinel } from '../sentinel/degrade/rule.ts';
import { flowRuleFromSentinel } from '../sentinel/flow/rule.ts';
import { Sentinel } from '../sentinel/sentinel.ts';
import { ChatHistory } from './chat-history.ts';
import { ARTICLE_DEFAULTS, type GatewayConfig, type VariantPart, variantOf } from './config.ts';
import type { LayerFactory } from './context.ts';
import { scopedTrace } from './context.ts';
import { createGateway, type Gateway } from './gateway.ts';
import { cacheLayer } from './layers/cache.ts';
import { chatHistoryLayer } from './layers/chat-history.ts';
import { executorLayer } from './layers/executor.ts';
import { redisLimiterLayer, tokenBucketLayer } from './layers/limiters.ts';
import { mergeLayer } from './layers/merge.ts';
import { providersTerminal } from './layers/providers.ts';
import { sentinelLayer } from './layers/sentinel.ts';
import { providerStage } from './provider-stage.ts';
import type { GatewayResponse } from './request.ts';

/** The backends every instance shares. */
export interface GatewayBackends {
  /** One Redis (a cluster client or a standalone connection): the limiter's counters and L2. */
  readonly redis: RedisPort;
  /** `ds-master` (following whichever node is the primary) and `ds-slave-0`, `ds-slave-1`, ... */
  readonly dataSources: ReadonlyMap<string, SqlPort>;
  /** The LLM providers by name, in preference order. */
  readonly providers: ReadonlyMap<string, LlmUpstream>;
}

/** Names of what a run creates in shared backends, so that a live run touches nothing else. */
export interface GatewayNames {
  /** Put before every Redis key (limiter counters, L2 entries), e.g. `hasim:<runid>:`. @defaultValue '' */
  readonly keyPrefix?: string;
  /** Put before every table name (`chat_message_N`), e.g. `h<runid>_`. @defaultValue '' */
  readonly tablePrefix?: string;
}

/** What `buildGateways` made. */
export interface BuiltGateways {
  readonly gateways: readonly Gateway[];
  /** The chat history (to create its tables before the run and read them back after). */
  readonly history: ChatHistory | undefined;
  /** The primary's port, for the final read. */
  readonly primary: SqlPort | undefined;
  /** The replicas' ports by data source name (`ds-slave-N`), to wait for the schema before a run. */
  readonly replicas: ReadonlyMap<string, SqlPort>;
  /** Components with background timers, to stop at the end of a run. */
  readonly stoppables: readonly Stoppable[];
  /** The gateway's part of the run's topology event. */
  readonly topology: Omit<Topology, 'scenario' | 'redis' | 'mysql' | 'faultTargets'>;
}

/**
 * Builds `config.instances` gateway instances over shared backends: each instance has its own
 * token bucket, Sentinel, L1, merger and executor (the article's per-instance state), and all
 * share Redis (limiter counters, L2), MySQL (chat history through the read/write router) and the
 * providers. `variant` picks the article's code as written or the corrected forms, layer by layer:
 * token bucket `seed`/`exact`, Lua limiter fixed window/sliding log, exception rule with Sentinel's
 * 1 s default window/the RT rule's 60 s, no single-flight/single-flight with TTL jitter, merger
 * `seed`/`singleflight`, article fallback/sequential fallback, history reads from a replica/the
 * primary, `abs(hashCode) % n` sharding/never negative, and a Redis error in the cache failing the
 * request (so a shard outage trips the breaker above)/read as a miss. `config.variants` pins a
 * part to one form whatever `variant` is.
 */
export function buildGateways(
  config: GatewayConfig,
  variant: 'article' | 'fixed',
  backends: GatewayBackends,
  ports: { readonly clock: Clock; readonly random: Random; readonly trace?: TraceSink },
  names: GatewayNames = {},
): BuiltGateways {
  const keyPrefix = names.keyPrefix ?? '';
  // Each part runs the run's variant unless the configuration pins it (`variants:`).
  const article = (part: VariantPart) => variantOf(config, part, variant) === 'article';
  const { clock, random, trace } = ports;
  const instances = config.instances ?? ARTICLE_DEFAULTS.instances;
  const layerNames = config.layers ?? ARTICLE_DEFAULTS.layers;
  const resource = config.sentinel?.resource ?? ARTICLE_DEFAULTS.resource;
  const bucketConfig = config.tokenBucket ?? ARTICLE_DEFAULTS.tokenBucket;
  const limiterConfig: NonNullable<GatewayConfig['redisLimiter']> =
    config.redisLimiter ?? ARTICLE_DEFAULTS.redisLimiter;
  const algorithm = limiterConfig.algorithm ?? (article('redis-limiter') ? 'fixed-window' : 'sliding-log');
  const executorConfig = config.executor ?? ARTICLE_DEFAULTS.executor;
  const executorOptions = executorFromSpringProperties(executorConfig);
  const l1MaximumSize = config.caffeine?.maximumSize ?? ARTICLE_DEFAULTS.caffeine.maximumSize;
  const l1TtlMs = config.caffeine?.expireAfterWrite ?? ARTICLE_DEFAULTS.caffeine.expireAfterWriteMs;
  const l2TtlMs = config.redis?.ttl ?? ARTICLE_DEFAULTS.l2TtlMs;
  const degradeRules = (config.sentinel?.degradeRules ?? []).map((r) => degradeRule(r, article('sentinel')));
  const flowRules = (config.sentinel?.flowRules ?? []).map((r) =>
    flowRuleFromSentinel({
      ...r,
      grade: r.grade === 'THREAD' ? 0 : 1,
      controlBehavior: CONTROL[r.controlBehavior ?? 'DEFAULT'],
    }),
  );
  const fallbackAnswer = (): GatewayResponse => ({
    text: '服务繁忙，请稍后再试',
    model: 'fallback',
    servedBy: 'fallback',
    outputTokens: 0,
  });

  const stage = providerStage(config, variantOf(config, 'providers', variant), backends.providers, {
    clock,
    random: random.fork('providers'),
    ...(trace ? { trace } : {}),
  });
  // The read data sources: every one but ds-master (the router's reads, the schema wait's replicas).
  const replicas = new Map([...backends.dataSources].filter(([name]) => name !== 'ds-master'));
  const router = layerNames.includes('chat-history')
    ? buildRouter(config, backends, [...replicas.keys()], clock, random, trace)
    : undefined;
  const history =
    router === undefined
      ? undefined
      : new ChatHistory(
          {
            shardCount: config.mysql?.shards ?? ARTICLE_DEFAULTS.shards,
            sharding: article('chat-history') ? 'article' : 'corrected',
            readFrom: article('chat-history') ? 'replica' : 'primary',
            batchRows: config.mysql?.historyBatchRows ?? 1,
            ...(names.tablePrefix === undefined ? {} : { tablePrefix: `${names.tablePrefix}chat_message_` }),
          },
          { sql: router, clock },
        );
  const stoppables: Stoppable[] = [];
  const gateways = Array.from({ length: instances }, (_, i) => {
    const instance = `gw-${i + 1}`;
    const r = random.fork(instance);
    const t = trace === undefined ? undefined : scopedTrace(trace, instance);
    const tp = t === undefined ? {} : { trace: t };
    const factories: Record<string, () => LayerFactory> = {
      'token-bucket': () =>
        tokenBucketLayer(
          new TokenBucket(
            {
              capacity: bucketConfig.capacity,
              refillTokensPerSecond: bucketConfig.refillRate,
              variant: article('token-bucket') ? 'seed' : 'exact',
            },
            { clock },
          ),
        ),
      'redis-limiter': () =>
        redisLimiterLayer(
          new RedisLimiter(
            {
              algorithm,
              limit: limiterConfig.limit,
              windowMs: limiterConfig.windowSeconds * 1000,
              instanceId: instance,
              ...(keyPrefix === '' ? {} : { keyPrefix: `${keyPrefix}rate_limit:` }),
            },
            { redis: backends.redis, clock, random: r.fork('limiter') },
          ),
          { onError: limiterConfig.onRedisError ?? 'allow' },
        ),
      sentinel: () => {
        const sentinel = new Sentinel({}, { clock, ...tp });
        sentinel.loadDegradeRules(degradeRules);
        sentinel.loadFlowRules(flowRules);
        return sentinelLayer(sentinel, {
          resource,
          ...(config.sentinel?.fallback === false ? {} : { fallback: fallbackAnswer }),
        });
      },
      'chat-history': () => {
        if (history === undefined) throw new Error('chat-history layer without a history store');
        return chatHistoryLayer(history);
      },
      cache: () => {
        const l1 = new LocalCache<string, CacheEntry<GatewayResponse>>(
          { maximumSize: l1MaximumSize, expireAfterWriteMs: l1TtlMs, recordStats: false },
          { clock, random: r.fork('l1') },
        );
        const l2 = new RedisL2<CacheEntry<GatewayResponse>>(
          {
            keyPrefix: `${keyPrefix}llm:`,
            ttlMs: l2TtlMs,
            ...(article('cache') ? {} : { ttlJitterRatio: 0.1 }),
          },
          { redis: backends.redis, random: r.fork('l2') },
        );
        const cache = new TieredCache<GatewayResponse>(
          {
            strategy: 'read-through',
            l1,
            l2,
            nodeId: instance,
            singleFlight: !article('cache'),
            l2Errors: article('cache') ? 'throw' : 'miss',
          },
          { clock, random: r.fork('cache'), ...tp },
        );
        return cacheLayer(cache);
      },
      merge: () =>
        mergeLayer(
          new Coalescer(
            {
              variant: article('merge') ? 'seed' : 'singleflight',
              windowMs: config.merge?.windowMs ?? ARTICLE_DEFAULTS.mergeWindowMs,
              ...(config.merge?.schedulerThreads === undefined
                ? {}
                : { schedulerThreads: config.merge.schedulerThreads }),
            },
            { clock, ...tp },
          ),
          { key: (req) => req.prompt },
        ),
      executor: () => {
        const pool = new ThreadPoolExecutor(executorOptions, { clock, ...tp });
        stoppables.push({ stop: () => pool.shutdown() });
        return executorLayer(pool);
      },
    };
    const layers = layerNames.map((name) => {
      const make = factories[name];
      if (make === undefined) throw new RangeError(`buildGateways: unknown layer '${name}'`);
      return make();
    });
    return createGateway(
      { instance, layers, terminal: providersTerminal(stage) },
      { clock, ...(trace ? { trace } : {}) },
    );
  });
  return {
    gateways,
    history,
    primary: backends.dataSources.get('ds-master'),
    replicas,
    stoppables,
    topology: {
      variant,
      ...(config.variants === undefined ? {} : { variants: { ...config.variants } }),
      instances: gateways.map((g) => g.instance),
      layers: layerNames,
      providers: [...backends.providers].map(([name, u]) => ({ name, model: u.model })),
      tokenBucket: {
        capacity: bucketConfig.capacity,
        refillTokensPerSecond: bucketConfig.refillRate,
        variant: article('token-bucket') ? 'seed' : 'exact',
      },
      redisLimiter: { limit: limiterConfig.limit, windowMs: limiterConfig.windowSeconds * 1000, algorithm },
      sentinel: {
        resource,
        degradeRules: degradeRules.map((d) => jsonFields(d)),
        flowRules: flowRules.map((f) => jsonFields(f)),
      },
      cache: { l1MaximumSize, l1TtlMs, l2TtlMs },
      executor: {
        corePoolSize: executorConfig.corePoolSize,
        maxPoolSize: executorConfig.maxPoolSize,
        queueCapacity: executorConfig.queueCapacity,
        keepAliveMs: (executorConfig.keepAliveSeconds ?? 60) * 1000,
        policy: executorConfig.rejectedExecutionHandler ?? 'AbortPolicy',
      },
      fallback: {
        policy: stage.name,
        models: [...backends.providers.keys()],
        timeoutMs: config.fallback?.timeoutMs ?? ARTICLE_DEFAULTS.fallbackTimeoutMs,
      },
    },
  };
}

/** The string and number fields of a rule, for the topology event. */
function jsonFields(rule: object): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(rule)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}

const GRADE = { RT: 0, EXCEPTION_RATIO: 1, EXCEPTION_COUNT: 2 } as const;
const CONTROL = { DEFAULT: 0, WARM_UP: 1, RATE_LIMITER: 2, WARM_UP_RATE_LIMITER: 3 } as const;

// The article's exception rule leaves statIntervalMs at Sentinel's default 1 s, so at a low rate
// it never sees minRequestAmount failures in one window; the corrected form gives exception rules
// without a window the RT rule's 60 s.
function degradeRule(
  r: NonNullable<NonNullable<GatewayConfig['sentinel']>['degradeRules']>[number],
  article: boolean,
) {
  const statIntervalMs = r.statIntervalMs ?? (article || r.grade === 'RT' ? undefined : 60_000);
  return degradeRuleFromSentinel({
    resource: r.resource,
    grade: GRADE[r.grade],
    count: r.count,
    timeWindow: r.timeWindow,
    ...(r.slowRatioThreshold === undefined ? {} : { slowRatioThreshold: r.slowRatioThreshold }),
    ...(r.minRequestAmount === undefined ? {} : { minRequestAmount: r.minRequestAmount }),
    ...(statIntervalMs === undefined ? {} : { statIntervalMs }),
  });
}

// The article's ShardingSphere rule (section 3.2) for however many replicas the topology has:
// writes to ds-master, reads over ds-slave-N with the named load balancer.
function buildRouter(
  config: GatewayConfig,
  backends: GatewayBackends,
  reads: readonly string[],
  clock: Clock,
  random: Random,
  trace: TraceSink | undefined,
): ReadWriteRouter {
  const lb = config.mysql?.loadBalancer ?? 'ROUND_ROBIN';
  return new ReadWriteRouter(
    {
      groups: [
        {
          name: 'readwrite_ds',
          writeDataSourceName: 'ds-master',
          readDataSourceNames: reads.length > 0 ? reads : ['ds-master'],
          transactionalReadQueryStrategy: 'DYNAMIC',
          loadBalancerName: 'lb',
        },
      ],
      loadBalancers: new Map([['lb', { type: lb, weights: new Map() }]]),
    },
    { dataSources: backends.dataSources, clock, random: random.fork('router'), ...(trace ? { trace } : {}) },
  );
}

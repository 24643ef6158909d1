import { z } from 'zod';
import { HISTORY_BATCH_ROWS_MAX } from '../../src/gateway/chat-history.ts';
import { LAYER_NAMES, VARIANT_PARTS, type VariantPart } from '../../src/gateway/config.ts';
import { FAULT_VERBS } from '../../src/ports/faults.ts';
import { durationSchema, expectSchema } from '../checkers/expectations/schema.ts';
import { nemesisSchema } from './nemesis.ts';

/**
 * `kind: gateway`: the article's whole architecture as one scenario. The topology uses the
 * article's own configuration names and units (Sentinel's `timeWindow` in seconds, Spring's
 * `keepAliveSeconds`, Caffeine's `expireAfterWrite`); they are converted to hasim's millisecond
 * options once, in the world builder. Durations elsewhere are integer ms or strings with a unit.
 */

const int = (what: string) => z.number({ error: `expected ${what}` }).int(`expected ${what}`);
const posInt = (what: string) => int(what).positive(`expected ${what}`);
const nonNegInt = (what: string) => int(what).min(0, `expected ${what}`);
const rate = (what: string) =>
  z
    .number({ error: `expected ${what}` })
    .min(0, `expected ${what}`)
    .max(1e6, `expected ${what} <= 1e6`);

export { LAYER_NAMES, type LayerName } from '../../src/gateway/config.ts';

/** Which form of each component runs: the article's code as written, or the corrected one. */
export const variantSchema = z.enum(['article', 'fixed'], { error: "expected 'article' or 'fixed'" });

// One optional variant per part (a strict object: a misspelt part is an unknown field).
const variantsShape = Object.fromEntries(VARIANT_PARTS.map((part) => [part, variantSchema.optional()])) as {
  [K in VariantPart]: z.ZodOptional<typeof variantSchema>;
};

const providerSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case name (letters, digits, -)'),
  model: z.string().min(1),
  ttftMedianMs: z.number().positive().max(600_000).optional(),
  ttftSigma: z.number().min(0).max(5).optional(),
  decodeTokensPerSecond: z.number().min(0.01).max(1e5).optional(),
  outputTokensMu: z.number().min(0).max(12).optional(),
  outputTokensSigma: z.number().min(0).max(5).optional(),
  maxConcurrency: posInt('an integer > 0').max(1e6).optional(),
  loadSlowdown: z.number().min(1).max(100).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  rateLimitRate: z.number().min(0).max(1).optional(),
  rateLimitRetryAfterMs: z.number().min(0).max(3_600_000).optional(),
});

/** Sentinel 1.8's DegradeRule as Sentinel names it (`timeWindow` in seconds). */
const degradeRuleSchema = z.strictObject({
  resource: z.string().min(1),
  grade: z.enum(['RT', 'EXCEPTION_RATIO', 'EXCEPTION_COUNT']),
  count: z.number().min(0),
  slowRatioThreshold: z.number().min(0).max(1).optional(),
  minRequestAmount: posInt('an integer > 0').optional(),
  statIntervalMs: posInt('ms > 0').max(3_600_000).optional(),
  timeWindow: nonNegInt('seconds >= 0').max(86_400),
});

/** Sentinel 1.8's FlowRule as Sentinel names it. */
const flowRuleSchema = z.strictObject({
  resource: z.string().min(1),
  grade: z.enum(['QPS', 'THREAD']).optional(),
  count: z.number().min(0),
  controlBehavior: z.enum(['DEFAULT', 'WARM_UP', 'RATE_LIMITER', 'WARM_UP_RATE_LIMITER']).optional(),
  warmUpPeriodSec: nonNegInt('seconds >= 0').max(86_400).optional(),
  maxQueueingTimeMs: nonNegInt('ms >= 0').max(600_000).optional(),
});

/**
 * ShardingSphere's `rules.readwrite-splitting` (the article's section 3.2 YAML): one data-source
 * group with its write and read data sources and a load balancer by name.
 */
const readwriteSplittingSchema = z.strictObject({
  'data-sources': z.record(
    z.string(),
    z.strictObject({
      writeDataSourceName: z.string(),
      readDataSourceNames: z.array(z.string()).max(8),
      loadBalancerName: z.string().optional(),
    }),
  ),
  loadBalancers: z.record(z.string(), z.strictObject({ type: z.string() })).optional(),
});

/**
 * The mysql block with a ShardingSphere rule turned into hasim's fields (`replicas`, `loadBalancer`,
 * `shards`). hasim names the data sources as the article does (ds-master, ds-slave-0, ...), so the
 * rule must use those names; a mistake is an issue on the rule's own field.
 */
function fromShardingSphere<
  M extends {
    replicas?: number;
    loadBalancer?: 'ROUND_ROBIN' | 'RANDOM';
    shards?: number;
    'readwrite-splitting'?: z.infer<typeof readwriteSplittingSchema>;
    'sharding-count'?: number;
  },
>(mysql: M, ctx: z.core.$RefinementCtx) {
  const { 'readwrite-splitting': rule, 'sharding-count': shardingCount, ...rest } = mysql;
  const fail = (path: (string | number)[], message: string) => {
    ctx.issues.push({ code: 'custom', path, message, input: mysql });
    return z.NEVER;
  };
  if (shardingCount !== undefined && rest.shards !== undefined)
    return fail(
      ['sharding-count'],
      `give shards or sharding-count, not both: got shards: ${rest.shards} as well`,
    );
  const shards = shardingCount === undefined ? {} : { shards: shardingCount };
  if (rule === undefined) return { ...rest, ...shards };
  if (rest.replicas !== undefined || rest.loadBalancer !== undefined)
    return fail(
      ['readwrite-splitting'],
      `give readwrite-splitting or replicas and loadBalancer, not both: got ${rest.replicas !== undefined ? 'replicas' : 'loadBalancer'} as well`,
    );
  const groups = Object.entries(rule['data-sources']);
  const [only] = groups;
  if (only === undefined || groups.length > 1)
    return fail(
      ['readwrite-splitting', 'data-sources'],
      `expected one data-source group, got ${groups.length}`,
    );
  const [name, group] = only;
  const at = ['readwrite-splitting', 'data-sources', name];
  if (group.writeDataSourceName !== 'ds-master')
    return fail(
      [...at, 'writeDataSourceName'],
      `hasim names the primary ds-master, got "${group.writeDataSourceName}"`,
    );
  const wrong = group.readDataSourceNames.findIndex((ds, i) => ds !== `ds-slave-${i}`);
  if (wrong >= 0)
    return fail(
      [...at, 'readDataSourceNames', wrong],
      `hasim names the replicas ds-slave-0, ds-slave-1, ... in order, got "${group.readDataSourceNames[wrong]}"`,
    );
  let loadBalancer: 'ROUND_ROBIN' | 'RANDOM' | undefined;
  if (group.loadBalancerName !== undefined) {
    const type = rule.loadBalancers?.[group.loadBalancerName]?.type;
    if (type === undefined)
      return fail(
        [...at, 'loadBalancerName'],
        `expected a name in loadBalancers (${Object.keys(rule.loadBalancers ?? {}).join(', ') || 'none'}), got "${group.loadBalancerName}"`,
      );
    if (type !== 'ROUND_ROBIN' && type !== 'RANDOM')
      return fail(
        ['readwrite-splitting', 'loadBalancers', group.loadBalancerName, 'type'],
        `expected ROUND_ROBIN or RANDOM, got "${type}"`,
      );
    loadBalancer = type;
  }
  return {
    ...rest,
    ...shards,
    replicas: group.readDataSourceNames.length,
    ...(loadBalancer === undefined ? {} : { loadBalancer }),
  };
}

export const topologySchema = z.strictObject({
  /** Gateway instances sharing one Redis and one MySQL. @defaultValue 1 */
  instances: posInt('an integer > 0').max(64).optional(),
  /** The request path, top to bottom. @defaultValue every layer, in the article's order */
  layers: z.array(z.enum(LAYER_NAMES, { error: `expected one of ${LAYER_NAMES.join(', ')}` })).optional(),
  /** The article's TokenBucketRateLimiter (section 4.1), per instance. */
  tokenBucket: z
    .strictObject({ capacity: posInt('tokens > 0'), refillRate: z.number().positive().max(1e6) })
    .optional(),
  /** The article's Redis+Lua limiter (section 4.2): `limit` requests per `windowSeconds`, per user. */
  redisLimiter: z
    .strictObject({
      limit: posInt('requests > 0').max(1e9),
      windowSeconds: posInt('seconds > 0').max(86_400),
      algorithm: z
        .enum(['fixed-window', 'sliding-log', 'sliding-counter', 'token-bucket', 'gcra'])
        .optional(),
      onRedisError: z.enum(['allow', 'deny']).optional(),
    })
    .optional(),
  /** Sentinel rules on the resource `chatCompletion` (section 1.3). */
  sentinel: z
    .strictObject({
      resource: z.string().min(1).optional(),
      degradeRules: z.array(degradeRuleSchema).optional(),
      flowRules: z.array(flowRuleSchema).optional(),
      fallback: z.boolean().optional(),
    })
    .optional(),
  /** Caffeine L1 (section 2.3): `maximumSize`, `expireAfterWrite`. */
  caffeine: z
    .strictObject({ maximumSize: posInt('entries > 0').max(1e7), expireAfterWrite: durationSchema })
    .optional(),
  /** Redis: the cluster layout and the L2 TTL. */
  redis: z
    .strictObject({
      masters: posInt('an integer > 0').max(16).optional(),
      replicasPerMaster: nonNegInt('an integer >= 0').max(4).optional(),
      nodeTimeoutMs: posInt('ms > 0').max(600_000).optional(),
      ttl: durationSchema.optional(),
    })
    .optional(),
  /** MySQL replication and the ShardingSphere read/write split (section 3). */
  mysql: z
    .strictObject({
      replicas: nonNegInt('an integer >= 0').max(8).optional(),
      semiSync: z
        .strictObject({
          waitPoint: z.enum(['AFTER_SYNC', 'AFTER_COMMIT']).optional(),
          /** `rpl_semi_sync_master_timeout`, ms (MariaDB's default 10000). */
          timeoutMs: posInt('ms > 0').max(3_600_000).optional(),
        })
        .optional(),
      loadBalancer: z.enum(['ROUND_ROBIN', 'RANDOM']).optional(),
      shards: posInt('an integer > 0').max(1024).optional(),
      applyCostMs: z.number().min(0).max(60_000).optional(),
      /**
       * Virtual time of each client statement on a node, ms: its round trip and its work, before
       * it runs (SimMysqlCluster's statementCostMs). Simulated only: a live run has the server's
       * own. @defaultValue 0
       */
      statementCostMs: z.number().min(0).max(60_000).optional(),
      /**
       * Chat-history exchanges per INSERT: 1 (the article's, one commit each) or more, a group
       * commit in the client (see ChatHistory's batchRows).
       */
      historyBatchRows: posInt('an integer > 0').max(HISTORY_BATCH_ROWS_MAX).optional(),
      /** ShardingSphere's rule as the article writes it (section 3.2), instead of replicas and loadBalancer. */
      'readwrite-splitting': readwriteSplittingSchema.optional(),
      /** The article's ModShardingAlgorithm property (section 3.3), instead of shards. */
      'sharding-count': posInt('an integer > 0').max(1024).optional(),
    })
    .transform(fromShardingSphere)
    .optional(),
  /**
   * The request merger (section 4.3): `schedulerThreads` of the article's scheduled executor (1 is
   * its `newSingleThreadScheduledExecutor`; the fixed variant's singleflight has no scheduler), and
   * `windowMs`, how long the first request of a prompt waits for others to join (the article's
   * `schedule(..., 50, MILLISECONDS)`; default 50).
   */
  merge: z
    .strictObject({
      schedulerThreads: posInt('threads > 0').max(10_000).optional(),
      windowMs: nonNegInt('an integer number of ms >= 0').max(60_000).optional(),
    })
    .optional(),
  /** Spring's ThreadPoolTaskExecutor properties (section 5.1). */
  executor: z
    .strictObject({
      corePoolSize: nonNegInt('an integer >= 0').max(10_000),
      maxPoolSize: posInt('an integer > 0').max(10_000),
      queueCapacity: nonNegInt('an integer >= 0').max(1e6),
      keepAliveSeconds: nonNegInt('seconds >= 0').max(86_400).optional(),
      rejectedExecutionHandler: z
        .enum(['AbortPolicy', 'CallerRunsPolicy', 'DiscardPolicy', 'DiscardOldestPolicy'])
        .optional(),
    })
    .optional(),
  /** The simulated LLM providers. */
  providers: z.array(providerSchema).min(1, 'expected at least one provider'),
  /** Parts pinned to the article's form or the corrected one whatever the run's variant. */
  variants: z.strictObject(variantsShape).optional(),
  /** How the gateway uses the providers (section 5.3 and the peers' policies). */
  fallback: z
    .strictObject({
      policy: z.enum(['article', 'sequential', 'litellm', 'portkey', 'openai-sdk']).optional(),
      models: z.array(z.string()).min(1).optional(),
      timeoutMs: posInt('ms > 0').max(3_600_000).optional(),
    })
    .optional(),
});

const phaseSchema = z.strictObject({
  name: z.string().optional(),
  durationMs: durationSchema,
  arrivalRate: rate('arrivals per second in [0, 1e6]'),
  rampTo: rate('arrivals per second in [0, 1e6]').optional(),
});

const workloadSchema = z.strictObject({
  phases: z.array(phaseSchema).min(1, 'expected at least one phase'),
  users: posInt('an integer > 0').max(10_000_000).optional(),
  prompts: posInt('an integer > 0').max(10_000_000).optional(),
  zipf: z.number().min(0).max(10).optional(),
  /** Client-side timeout of each request, ms. @defaultValue 60000 */
  timeoutMs: posInt('ms > 0').max(3_600_000).optional(),
  /** Bursts of one identical prompt (a hot question), beside the phases. */
  bursts: z
    .array(
      z.strictObject({
        at: durationSchema,
        count: posInt('an integer > 0').max(1e6),
        withinMs: durationSchema.optional(),
        prompt: z.string().optional(),
      }),
    )
    .optional(),
});

const faultSchema = z.strictObject({
  at: durationSchema,
  do: z.enum(FAULT_VERBS as unknown as [string, ...string[]], {
    error: `expected a fault verb (${FAULT_VERBS.join(', ')})`,
  }),
  target: z.string().min(1),
  for: durationSchema.optional(),
  args: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.array(z.string())])).optional(),
});

/** `kind: gateway`. */
export const gatewaySchema = z.strictObject({
  kind: z.literal('gateway'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** The seed a plain `hasim run` uses; `--seed` overrides it. Numbers or names. */
  seed: z.union([int('an integer'), z.string().min(1)]).optional(),
  /** Which forms run: one, or both side by side. @defaultValue fixed */
  variant: z.union([variantSchema, z.array(variantSchema).min(1)]).optional(),
  topology: topologySchema,
  workload: workloadSchema,
  faults: z.array(faultSchema).optional(),
  /** A fault generator instead of `faults:`: each seed draws its own schedule (sim/scenarios/nemesis.ts). */
  nemesis: nemesisSchema.optional(),
  /** When every fault is healed, for `eventually: {after: heal}`. @defaultValue the last fault end */
  heal: durationSchema.optional(),
  expect: expectSchema.optional(),
});

export type GatewayScenario = z.infer<typeof gatewaySchema>;
export type GatewayTopology = z.infer<typeof topologySchema>;

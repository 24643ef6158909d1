/**
 * The metrics expectations can name, each derived from trace events (never from the simulation),
 * so the same expectations judge a simulated and a live run. A metric has a k6 type:
 * - `trend`: one number per sample (latency); aggregations `avg min max med p(N) count`;
 * - `rate`: one yes/no per sample (errors); aggregations `rate` (fraction of yes) and `count` (of yes);
 * - `counter`: events; aggregations `count` and `rate` (per second of the window).
 * Tags come from the event's fields (and `instance`, the part of `c` after the family).
 */
export type MetricType = 'trend' | 'rate' | 'counter';

/** One parsed trace event line. */
export type TraceEvent = Readonly<Record<string, unknown>> & {
  readonly t: number;
  readonly c: string;
  readonly k: string;
};

export interface MetricDef {
  readonly type: MetricType;
  readonly description: string;
  /** The family of `c` and the kinds that produce a sample. */
  readonly family: string;
  readonly kinds: readonly string[];
  /** Tags a selector may filter on. */
  readonly tags: readonly string[];
  /** The sample: a number (trend), a boolean (rate), anything else for counters; undefined = none. */
  readonly sample: (e: TraceEvent) => number | boolean | undefined;
  /** Whether bounds are durations (so `5s` reads as 5000). */
  readonly unit?: 'ms';
}

const responseTags = ['instance', 'outcome', 'servedBy', 'model', 'by'] as const;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const always = () => true;

/** A counter of events of one family and kind(s). */
function counter(
  family: string,
  kinds: readonly string[],
  description: string,
  tags: readonly string[] = ['instance'],
): MetricDef {
  return { type: 'counter', description, family, kinds, tags, sample: always };
}

/** The gateway's response metrics: every request answered, refused or failed. */
function response(
  type: MetricType,
  description: string,
  sample: MetricDef['sample'],
  unit?: 'ms',
): MetricDef {
  return {
    type,
    description,
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample,
    ...(unit ? { unit } : {}),
  };
}

export const METRICS: Readonly<Record<string, MetricDef>> = {
  'gateway.latency': response(
    'trend',
    'time from a request entering the gateway to its answer or refusal, ms',
    (e) => num(e.ms),
    'ms',
  ),
  'gateway.requests': response('counter', 'requests answered (ok, refused or failed)', always),
  'gateway.errors': response(
    'rate',
    'fraction of requests that failed (no answer, no fallback)',
    (e) => e.outcome === 'failed',
  ),
  'gateway.refused': response(
    'rate',
    'fraction of requests refused by a limiter, a rule or the pool',
    (e) => e.outcome === 'refused',
  ),
  'gateway.fallback': response(
    'rate',
    'fraction of requests answered by a fallback',
    (e) => e.servedBy === 'fallback',
  ),
  'gateway.ok': response(
    'rate',
    'fraction of requests answered (by a cache, a provider or a fallback)',
    (e) => e.outcome === 'ok',
  ),
  'gateway.cached': response(
    'rate',
    'fraction of requests answered from L1, L2 or L3',
    (e) => e.servedBy === 'l1' || e.servedBy === 'l2' || e.servedBy === 'l3',
  ),
  'token-bucket.admitted': counter(
    'token-bucket',
    ['admitted'],
    'requests the per-instance token buckets let through',
  ),
  'token-bucket.limited': counter(
    'token-bucket',
    ['limited'],
    'requests the per-instance token buckets refused',
  ),
  'redis-limiter.admitted': counter(
    'redis-limiter',
    ['admitted'],
    'requests the Redis+Lua limiter admitted',
    ['instance', 'key'],
  ),
  'redis-limiter.limited': counter('redis-limiter', ['limited'], 'requests the Redis+Lua limiter refused', [
    'instance',
    'key',
  ]),
  'redis-limiter.errors': counter('redis-limiter', ['error'], 'limiter calls Redis could not answer', [
    'instance',
    'allowed',
  ]),
  'sentinel.opens': {
    type: 'counter',
    description: 'breaker transitions to OPEN (from CLOSED or HALF_OPEN)',
    family: 'sentinel',
    kinds: ['state'],
    tags: ['instance', 'prev', 'grade'],
    sample: (e) => (e.next === 'OPEN' ? true : undefined),
  },
  'sentinel.closes': {
    type: 'counter',
    description: 'breaker transitions to CLOSED (a half-open probe succeeded)',
    family: 'sentinel',
    kinds: ['state'],
    tags: ['instance', 'prev', 'grade'],
    sample: (e) => (e.next === 'CLOSED' ? true : undefined),
  },
  'sentinel.probes': {
    type: 'counter',
    description: 'breaker transitions to HALF_OPEN (one probe let through)',
    family: 'sentinel',
    kinds: ['state'],
    tags: ['instance', 'grade'],
    sample: (e) => (e.next === 'HALF_OPEN' ? true : undefined),
  },
  'sentinel.blocked': counter('sentinel', ['blocked'], 'entries a flow or degrade rule refused', [
    'instance',
    'by',
    'grade',
  ]),
  'cache.loads': counter('cache', ['load'], 'loader calls (cache misses that went below the cache)', [
    'instance',
  ]),
  'coalesce.calls': counter('coalesce', ['call'], 'calls the merger made below it', ['instance']),
  'coalesce.merged': counter('coalesce', ['merged'], "requests that shared another request's call", [
    'instance',
  ]),
  'executor.wait': {
    type: 'trend',
    description: 'time a task waited for a pool thread, ms',
    family: 'executor',
    kinds: ['started'],
    tags: ['instance'],
    sample: (e) => num(e.waitedMs),
    unit: 'ms',
  },
  'executor.refused': counter('executor', ['refused'], "tasks the pool's rejection policy refused", [
    'instance',
    'policy',
  ]),
  'executor.caller-runs': counter('executor', ['caller-runs'], 'tasks CallerRunsPolicy ran on the caller', [
    'instance',
  ]),
  'upstream.attempts': counter('upstream', ['attempt'], 'calls to a provider (every retry and fallback)', [
    'model',
  ]),
  'upstream.failures': counter('upstream', ['attempt-failed'], 'provider calls that failed', [
    'model',
    'next',
    'status',
  ]),
  'upstream.answers': counter('upstream', ['answered'], 'provider calls that answered', ['model']),
  'upstream.cooldowns': counter('upstream', ['cooldown'], 'deployments put in cooldown', ['model']),
  'chat-history.writes': counter(
    'chat-history',
    ['write-acked'],
    'chat-history writes the primary acknowledged',
    ['instance'],
  ),
  'chat-history.write-failures': counter(
    'chat-history',
    ['write-failed', 'write-indeterminate'],
    'chat-history writes that failed or whose answer was lost',
    ['instance'],
  ),
  'redis-cluster.failovers': counter('redis-cluster', ['promoted'], 'replicas promoted to master', ['node']),
  'mysql.semisync-off': {
    type: 'counter',
    description: 'times the primary fell back from semi-sync to async',
    family: 'mysql',
    kinds: ['semisync-status'],
    tags: ['node'],
    sample: (e) => (e.status === 'OFF' ? true : undefined),
  },
};

/** The tag value of `name` on event `e`. */
export function tagOf(e: TraceEvent, name: string): string | undefined {
  if (name === 'instance') {
    const slash = e.c.indexOf('/');
    return slash < 0 ? undefined : e.c.slice(slash + 1);
  }
  const v = e[name];
  return v === undefined || v === null ? undefined : String(v);
}

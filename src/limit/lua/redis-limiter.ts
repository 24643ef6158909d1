// A rate limiter over RedisPort running one of the Lua scripts of ./scripts.ts with EVALSHA and,
// when the node answers NOSCRIPT (a fresh node, a promoted replica, SCRIPT FLUSH), EVAL, which
// also caches the script there. That is what ioredis's `defineCommand` does (built/Script.js).
import { createHash } from 'node:crypto';
import { admitted, failed, type Outcome, refused } from '../../outcome.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import type { RedisArg, RedisPort } from '../../ports/redis.ts';
import type { TraceSink } from '../../ports/trace.ts';
import {
  FIXED_WINDOW_SCRIPT,
  GCRA_SCRIPT,
  SLIDING_COUNTER_SCRIPT,
  SLIDING_LOG_SCRIPT,
  TOKEN_BUCKET_SCRIPT,
} from './scripts.ts';

/** The limiter algorithms, each one Lua script. */
export type RedisLimiterAlgorithm =
  | 'fixed-window'
  | 'sliding-log'
  | 'sliding-counter'
  | 'token-bucket'
  | 'gcra';

/** Options of {@link RedisLimiter}. */
export interface RedisLimiterOptions {
  /** Which script decides. */
  readonly algorithm: RedisLimiterAlgorithm;
  /** Requests admitted per window (token bucket: capacity and tokens refilled per window). */
  readonly limit: number;
  /**
   * Window in ms. fixed-window: a whole number of seconds (the article's EXPIRE takes seconds);
   * token-bucket: time to refill `limit` tokens; gcra: period over which `limit` requests are spaced.
   */
  readonly windowMs: number;
  /** GCRA only: redis-cell's max_burst (extra requests allowed at once). @defaultValue limit - 1 */
  readonly burst?: number;
  /** Prefix of every key. @defaultValue `'rate_limit:'` (the article's) */
  readonly keyPrefix?: string;
  /**
   * sliding-log only: this gateway node's name, part of every ZSET member it adds. Members are
   * `<now>-<instanceId>-<n>`; two nodes sharing a key with the same id would overwrite each other's
   * members within a millisecond and undercount, so give each node its own (host name, pod name).
   * @defaultValue drawn from `ports.random` when given, else `'local'` (one node only)
   */
  readonly instanceId?: string;
}

/** What {@link RedisLimiter} runs on. */
export interface RedisLimiterPorts {
  /** Where the counters live. */
  readonly redis: RedisPort;
  /** Source of `now` passed to the scripts (all but fixed-window, which uses the server clock). */
  readonly clock: Clock;
  /** Draws the default sliding-log `instanceId`. @defaultValue none (the id is then `'local'`) */
  readonly random?: Random;
  /** Event sink; the limiter emits no events of its own today. @defaultValue none */
  readonly trace?: TraceSink;
}

/** One decision. */
export interface RateLimitDecision {
  /** True when the request is admitted. */
  readonly allowed: boolean;
  /** Requests still admissible now, when the algorithm reports it (not fixed-window). */
  readonly remaining: number | undefined;
  /** Ms until a request of this cost could pass, when denied and the algorithm reports it. */
  readonly retryAfterMs: number | undefined;
}

const SCRIPTS: Record<RedisLimiterAlgorithm, string> = {
  'fixed-window': FIXED_WINDOW_SCRIPT,
  'sliding-log': SLIDING_LOG_SCRIPT,
  'sliding-counter': SLIDING_COUNTER_SCRIPT,
  'token-bucket': TOKEN_BUCKET_SCRIPT,
  gcra: GCRA_SCRIPT,
};

/** The most caller keys a limiter keeps built (a few MB of strings). */
const KEY_CACHE_LIMIT = 100_000;

/** A Redis + Lua rate limiter (article section 4.2, plus four scripts that take `now`). */
export class RedisLimiter {
  /** The algorithm's Lua source. */
  readonly script: string;
  /** SHA1 of {@link RedisLimiter.script}, what EVALSHA sends. */
  readonly sha1: string;
  readonly #stats = { evalsha: 0, noscriptFallbacks: 0 };
  readonly #options: Required<RedisLimiterOptions>;
  readonly #ports: RedisLimiterPorts;
  #sequence = 0;
  /**
   * Each caller's key, built once: a caller decides again and again, and the same string object
   * each time is flattened and hashed once (by the client's slot lookup and the server's keyspace)
   * instead of a new one per decision. Cleared when it reaches `KEY_CACHE_LIMIT` callers.
   */
  readonly #keys = new Map<string, string>();

  /** Throws a `RangeError` naming the field for an option out of range. */
  constructor(options: RedisLimiterOptions, ports: RedisLimiterPorts) {
    const { algorithm, limit, windowMs } = options;
    if (!(algorithm in SCRIPTS)) {
      throw new RangeError(
        `RedisLimiter: algorithm must be one of ${Object.keys(SCRIPTS).join(', ')}, got ${algorithm}`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`RedisLimiter: limit must be an integer >= 1, got ${limit}`);
    if (!Number.isInteger(windowMs) || windowMs < 1) {
      throw new RangeError(`RedisLimiter: windowMs must be an integer >= 1 (ms), got ${windowMs}`);
    }
    if (algorithm === 'fixed-window' && windowMs % 1000 !== 0) {
      throw new RangeError(
        `RedisLimiter: windowMs must be a whole number of seconds for fixed-window, got ${windowMs}`,
      );
    }
    const burst = options.burst ?? limit - 1;
    if (!Number.isInteger(burst) || burst < 0)
      throw new RangeError(`RedisLimiter: burst must be an integer >= 0, got ${burst}`);
    if (options.instanceId !== undefined && !/^[^\s]+$/.test(options.instanceId)) {
      throw new RangeError(
        `RedisLimiter: instanceId must be a non-empty string without spaces, got '${options.instanceId}'`,
      );
    }
    const instanceId =
      options.instanceId ?? (ports.random ? Math.floor(ports.random.next() * 2 ** 31).toString(36) : 'local');
    this.#ports = ports;
    this.#options = {
      algorithm,
      limit,
      windowMs,
      burst,
      keyPrefix: options.keyPrefix ?? 'rate_limit:',
      instanceId,
    };
    this.script = SCRIPTS[algorithm];
    this.sha1 = createHash('sha1').update(this.script).digest('hex');
  }

  /** EVALSHA calls made, and how many of them fell back to EVAL after NOSCRIPT (a snapshot). */
  get stats(): { readonly evalsha: number; readonly noscriptFallbacks: number } {
    return { ...this.#stats };
  }

  /**
   * The Redis key for a caller: the article's `rate_limit:<id>` for fixed-window, and a hash-tagged
   * `rate_limit:{<id>}:<algorithm>` for the others, so every key of one caller shares a slot.
   */
  redisKey(id: string): string {
    const known = this.#keys.get(id);
    if (known !== undefined) return known;
    const { algorithm, keyPrefix } = this.#options;
    const key = algorithm === 'fixed-window' ? `${keyPrefix}${id}` : `${keyPrefix}{${id}}:${algorithm}`;
    if (this.#keys.size >= KEY_CACHE_LIMIT) this.#keys.clear();
    this.#keys.set(id, key);
    return key;
  }

  /** True when the request is admitted (the article's `isAllowed`). */
  async tryAcquire(id: string, cost = 1): Promise<boolean> {
    return (await this.decide(id, cost)).allowed;
  }

  /**
   * The guarded call's one shape: `admitted` with the decision when the script says yes,
   * `refused` by `'redis-limiter'` (with `retryAfterMs` when the algorithm reports it) when it says
   * no, `failed` when Redis throws. One script run, as `decide`. Rejects with a `RangeError` for a
   * bad `cost`, as `decide` does: that is a caller's bug, not an outcome.
   */
  async attempt(id: string, cost = 1): Promise<Outcome<RateLimitDecision>> {
    this.#checkCost(cost);
    let decision: RateLimitDecision;
    try {
      decision = await this.decide(id, cost);
    } catch (error) {
      return failed(error);
    }
    if (decision.allowed) return admitted(decision);
    const { algorithm } = this.#options;
    return refused(
      decision.retryAfterMs === undefined
        ? { by: 'redis-limiter', algorithm }
        : { by: 'redis-limiter', algorithm, retryAfterMs: decision.retryAfterMs },
    );
  }

  /** Runs the script once for `id` and returns the full decision. */
  async decide(id: string, cost = 1): Promise<RateLimitDecision> {
    const { algorithm, limit, windowMs, burst } = this.#options;
    this.#checkCost(cost);
    const now = this.#ports.clock.now();
    let argv: RedisArg[];
    switch (algorithm) {
      case 'fixed-window':
        argv = [limit, windowMs / 1000];
        break;
      case 'sliding-log':
        argv = [now, windowMs, limit, this.#member(now)];
        break;
      case 'sliding-counter':
        argv = [now, windowMs, limit];
        break;
      case 'token-bucket':
        argv = [now, limit, limit, windowMs, cost];
        break;
      case 'gcra':
        argv = [now, windowMs / limit, burst, cost];
        break;
    }
    const reply = await this.#run(this.redisKey(id), argv);
    if (algorithm === 'fixed-window')
      return { allowed: Number(reply) === 1, remaining: undefined, retryAfterMs: undefined };
    // Read by index: a mapped copy of the reply and its destructuring cost an array per decision.
    const values = reply as unknown[];
    const remaining = values.length > 1 ? Number(values[1]) : undefined;
    const retry = values.length > 2 ? Number(values[2]) : undefined;
    return {
      allowed: Number(values[0]) === 1,
      remaining,
      retryAfterMs: retry === undefined || retry < 0 ? undefined : retry,
    };
  }

  #checkCost(cost: number): void {
    const { algorithm } = this.#options;
    if (!Number.isInteger(cost) || cost < 1)
      throw new RangeError(`RedisLimiter: cost must be an integer >= 1, got ${cost}`);
    if (cost !== 1 && algorithm !== 'token-bucket' && algorithm !== 'gcra') {
      throw new RangeError(`RedisLimiter: cost > 1 needs token-bucket or gcra, not ${algorithm}`);
    }
  }

  async #run(key: string, argv: RedisArg[]): Promise<unknown> {
    this.#stats.evalsha++;
    try {
      return await this.#ports.redis.evalsha(this.sha1, 1, key, ...argv);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      this.#stats.noscriptFallbacks++;
      return this.#ports.redis.eval(this.script, 1, key, ...argv);
    }
  }

  #member(now: number): string {
    // Unique within this node by the sequence, across nodes by the instance id.
    return `${now}-${this.#options.instanceId}-${this.#sequence++}`;
  }
}

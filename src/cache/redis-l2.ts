// L2: the shared cache on Redis, as the article's LlmCacheService uses it.
//
// Article (section 2.2): key `"llm:" + hashPrompt(prompt)`, value through
// GenericJackson2JsonRedisSerializer (JSON), written with `opsForValue().set(key, value, 1, HOURS)`,
// read with `opsForValue().get(key)` where a missing key is `null`. Spring Data Redis turns
// `set(k, v, 1, HOURS)` into `SET k v EX 3600` (Expiration.from converts whole seconds), so a TTL
// that is a whole number of seconds goes out as EX and anything else as PX.
//
// On top of that, two corrections the incidents need (docs/cache.md):
// - TTL jitter against the avalanche: each write draws its TTL uniformly from
//   [ttl·(1 − ratio), ttl·(1 + ratio)) with the injected Random;
// - memcache-style leases against the stale set (Nishtala et al., NSDI 2013 §3.2.1): see
//   `leaseGet` / `leaseSet` below and the two Lua scripts.
import { present } from '../assert.ts';
import type { Random } from '../ports/random.ts';
import type { RedisPort } from '../ports/redis.ts';
import { CACHE_PREFIX } from './prompt-key.ts';
import { jsonSerializer, type Serializer } from './serializer.ts';

/** The article's L2 TTL: one hour, in milliseconds. */
export const DEFAULT_L2_TTL_MS = 3_600_000;

/**
 * How long a lease is valid, in milliseconds: Facebook's memcache hands out one lease per key at
 * most every 10 seconds (NSDI 2013 §3.2.1), which is the lease's lifetime here.
 */
export const DEFAULT_LEASE_TTL_MS = 10_000;

/**
 * Marks a Redis string as a lease rather than a value. No serializer output starts with a NUL
 * character (JSON text starts with whitespace, a bracket, a quote, a digit, `-`, `t`, `f` or `n`).
 */
export const LEASE_MARKER = '\u0000lease:';

/**
 * Atomically: return the value if there is one (or another client's lease marker); otherwise
 * store our lease marker (ARGV[1]) with a PX lifetime (ARGV[2]) and return it. Returns strings only,
 * so that real Redis, ioredis-mock and the simulated node give the same reply: Redis converts a Lua
 * number to an integer reply by truncation and `false` to a nil reply (Redis Lua API reference,
 * "Lua to RESP2 type conversion"; `luaReplyToRedisReply` in src/script_lua.c), which clients and
 * mocks then decode each their own way; a Lua string is a bulk string everywhere.
 */
export const LEASE_GET_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

/**
 * Atomically: store the value (ARGV[2], PX ARGV[3]) only if the key still holds our lease marker
 * (ARGV[1]); 1 if stored, 0 if the lease was lost (a delete or another write came in between).
 */
export const LEASE_SET_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** What {@link RedisL2.leaseGet} found. */
export type LeaseGetResult<V> =
  /** The key holds a value. */
  | { readonly kind: 'hit'; readonly value: V }
  /** A miss, and this caller now holds the lease: it alone should load and call `leaseSet`. */
  | { readonly kind: 'lease'; readonly token: string }
  /** A miss while another caller holds the lease ("hot miss"): wait a little and read again. */
  | { readonly kind: 'wait' };

/** Options of {@link RedisL2}. */
export interface RedisL2Options<V> {
  /** Key prefix. @defaultValue `'llm:'` (the article's CACHE_PREFIX) */
  readonly keyPrefix?: string;
  /** TTL of every write, in milliseconds. @defaultValue 3_600_000 (1 h, the article's) */
  readonly ttlMs?: number;
  /**
   * TTL jitter as a fraction of `ttlMs`, in [0, 1): each write's TTL is drawn uniformly from
   * [ttlMs·(1 − r), ttlMs·(1 + r)). Needs `ports.random`. @defaultValue 0 (the article: no jitter)
   */
  readonly ttlJitterRatio?: number;
  /** Value codec. @defaultValue JSON ({@link jsonSerializer}) */
  readonly serializer?: Serializer<V>;
  /** Lease lifetime in milliseconds. @defaultValue 10_000 ({@link DEFAULT_LEASE_TTL_MS}) */
  readonly leaseTtlMs?: number;
}

/** Ports of {@link RedisL2}. */
export interface RedisL2Ports {
  /** The Redis connection (ioredis, ioredis Cluster, ioredis-mock or the simulated Redis). */
  readonly redis: RedisPort;
  /** Where jitter and lease tokens draw from. Required when `ttlJitterRatio > 0` or leases are used. */
  readonly random?: Random;
}

/** The L2 layer: values on Redis under `keyPrefix + hash`, with a TTL, misses as `undefined`. */
export class RedisL2<V> {
  /** The key prefix in use. */
  readonly keyPrefix: string;
  /** Base TTL of a write, in milliseconds. */
  readonly ttlMs: number;
  /** TTL jitter ratio in [0, 1). */
  readonly ttlJitterRatio: number;
  /** Lease lifetime, in milliseconds. */
  readonly leaseTtlMs: number;
  readonly #redis: RedisPort;
  readonly #serializer: Serializer<V>;
  readonly #random: Random | undefined;
  #leaseSeq = 0;
  #clientId: string | undefined;

  constructor(options: RedisL2Options<V>, ports: RedisL2Ports) {
    if (typeof ports?.redis?.get !== 'function') throw new TypeError('RedisL2: ports.redis is required');
    this.#redis = ports.redis;
    this.keyPrefix = options.keyPrefix ?? CACHE_PREFIX;
    this.ttlMs = positiveInteger('ttlMs', options.ttlMs ?? DEFAULT_L2_TTL_MS);
    this.leaseTtlMs = positiveInteger('leaseTtlMs', options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    this.ttlJitterRatio = options.ttlJitterRatio ?? 0;
    if (!(this.ttlJitterRatio >= 0 && this.ttlJitterRatio < 1)) {
      throw new RangeError(`RedisL2: ttlJitterRatio must be in [0, 1), got ${options.ttlJitterRatio}`);
    }
    this.#random = ports.random;
    if (this.ttlJitterRatio > 0 && !this.#random) {
      throw new TypeError('RedisL2: ttlJitterRatio > 0 needs ports.random (the injected Random)');
    }
    this.#serializer = options.serializer ?? jsonSerializer<V>();
  }

  /** The Redis key of a hash: `keyPrefix + hash`. */
  key(hash: string): string {
    return this.keyPrefix + hash;
  }

  /** Reads a value; `undefined` on a miss (also when the key holds a lease marker). */
  async get(hash: string): Promise<V | undefined> {
    const text = await this.#redis.get(this.key(hash));
    if (text === null || isLeaseMarker(text)) return undefined;
    return this.#serializer.deserialize(text);
  }

  /**
   * Writes a value with the TTL (`ttlMs`, jittered if configured, or the `ttlMs` given here);
   * returns the TTL used, in milliseconds.
   */
  async set(hash: string, value: V, ttlMs?: number): Promise<number> {
    const ttl = ttlMs === undefined ? this.drawTtlMs() : positiveInteger('ttlMs', ttlMs);
    const text = this.#serializer.serialize(value);
    if (ttl % 1000 === 0) await this.#redis.set(this.key(hash), text, 'EX', ttl / 1000);
    else await this.#redis.set(this.key(hash), text, 'PX', ttl);
    return ttl;
  }

  /** Deletes the key (value or lease); true when something was deleted. */
  async delete(hash: string): Promise<boolean> {
    return (await this.#redis.del(this.key(hash))) > 0;
  }

  /** Remaining TTL in milliseconds as Redis reports it: −2 when the key is absent, −1 when it has no TTL. */
  pttl(hash: string): Promise<number> {
    return this.#redis.pttl(this.key(hash));
  }

  /** One write's TTL in milliseconds: `ttlMs`, or a uniform draw around it when jitter is on. */
  drawTtlMs(): number {
    if (this.ttlJitterRatio === 0) return this.ttlMs;
    const u = present(this.#random, 'RedisL2 ports.random').next() * 2 - 1; // [-1, 1)
    return Math.max(1, Math.round(this.ttlMs * (1 + u * this.ttlJitterRatio)));
  }

  /**
   * Lease read (memcache leases): a hit returns the value; a miss hands this caller a lease token
   * unless another caller holds one, in which case the answer is `wait`. The lease lives in the
   * key itself (a marker string with a PX lifetime of `leaseTtlMs`) so that it stays in the key's
   * own Redis Cluster slot and a `DEL` of the key revokes it.
   */
  async leaseGet(hash: string): Promise<LeaseGetResult<V>> {
    const token = this.#nextToken();
    const reply = await this.#redis.eval(LEASE_GET_SCRIPT, 1, this.key(hash), token, this.leaseTtlMs);
    const text = typeof reply === 'number' ? String(reply) : (reply as string);
    if (text === token) return { kind: 'lease', token };
    if (isLeaseMarker(text)) return { kind: 'wait' };
    return { kind: 'hit', value: this.#serializer.deserialize(text) };
  }

  /**
   * Lease write: stores the value only if the key still holds this lease; false when the lease was
   * revoked (the key was deleted after the lease was handed out) or expired — the stale set is refused.
   */
  async leaseSet(hash: string, token: string, value: V, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs === undefined ? this.drawTtlMs() : positiveInteger('ttlMs', ttlMs);
    const text = this.#serializer.serialize(value);
    const reply = await this.#redis.eval(LEASE_SET_SCRIPT, 1, this.key(hash), token, text, ttl);
    return Number(reply) === 1;
  }

  #nextToken(): string {
    if (this.#clientId === undefined) {
      if (!this.#random) throw new TypeError('RedisL2: leases need ports.random (for the client id)');
      // 48 random bits name this client; a sequence number makes each of its tokens unique.
      this.#clientId = Math.floor(this.#random.next() * 2 ** 48).toString(36);
    }
    this.#leaseSeq++;
    return `${LEASE_MARKER}${this.#clientId}:${this.#leaseSeq}`;
  }
}

/** True when a stored string is a lease marker, not a value. */
export function isLeaseMarker(text: string): boolean {
  return text.startsWith(LEASE_MARKER);
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`RedisL2: ${field} must be a positive integer number of milliseconds, got ${value}`);
  }
  return value;
}

// The data side of a simulated redis-server 7.0: typed values, expiry on the injected clock, and
// the commands the project uses, with the replies and error lines of the real server for the same
// inputs. Every write reports its effect in the form Redis 7 propagates to replicas (relative
// expiries turned into absolute PEXPIREAT / SET ... PXAT, src/expire.c + src/t_string.c; expired
// keys as DEL, src/db.c deleteExpiredKeyAndPropagate).
import {
  arg,
  ERR_HASH_NOT_INTEGER,
  ERR_INCR_OVERFLOW,
  ERR_MIN_MAX_FLOAT,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  formatDouble,
  inInt64,
  integerArg,
  OK,
  parseDouble,
  parseInteger,
  RedisReplyError,
  type Reply,
  StatusReply,
} from './reply.ts';

/** A stored value, tagged by its Redis type. */
export type RedisValue =
  | { readonly type: 'string'; value: string }
  | { readonly type: 'hash'; readonly value: Map<string, string> }
  | { readonly type: 'zset'; readonly value: Map<string, number> };

/** One key of a snapshot: value and absolute expiry (ms on the node's clock) if any. */
export interface SnapshotEntry {
  readonly key: string;
  readonly value: RedisValue;
  readonly expireAtMs: number | undefined;
}

/** How a command touches keys, as in the Redis command table (first key, last key, step). */
export interface KeySpec {
  readonly first: number;
  /** Index of the last key; negative counts from the end (-1 = last argument). */
  readonly last: number;
  readonly step: number;
}

/** A command of the table: arity as in src/commands/*.json (negative = at least), write flag, keys. */
export interface CommandSpec {
  readonly name: string;
  readonly arity: number;
  readonly write: boolean;
  readonly keys: KeySpec | undefined;
  readonly run: (ks: Keyspace, args: readonly string[]) => Reply;
}

/** Who is executing: a master (expires keys on access) or a replica (hides, never deletes). */
export interface KeyspaceContext {
  /** Current time in ms. */
  now(): number;
  /** True on a replica: an expired key reads as missing but is only deleted by the master's DEL. */
  readonly isReplica: () => boolean;
}

const ONE_KEY: KeySpec = { first: 1, last: 1, step: 1 };
const ALL_KEYS: KeySpec = { first: 1, last: -1, step: 1 };

/** The keyspace of one simulated node (database 0 only). */
export class Keyspace {
  readonly #data = new Map<string, RedisValue>();
  readonly #expires = new Map<string, number>();
  /** Effects of the current command, in propagation form; drained by the node. */
  effects: string[][] = [];
  /** While applying the master's stream, keys are never expired (src/db.c expireIfNeeded). */
  applyingReplication = false;

  readonly #context: KeyspaceContext;

  constructor(context: KeyspaceContext) {
    this.#context = context;
  }

  /** Looks a key up, expiring it first if its time has passed (Redis: expired when now > when). */
  lookup(key: string): RedisValue | undefined {
    const at = this.#expires.get(key);
    if (at !== undefined && this.#context.now() > at && !this.applyingReplication) {
      if (this.#context.isReplica()) return undefined;
      this.#remove(key);
      this.effects.push(['DEL', key]);
      return undefined;
    }
    return this.#data.get(key);
  }

  #lookupType<T extends RedisValue['type']>(
    key: string,
    type: T,
  ): Extract<RedisValue, { type: T }> | undefined {
    const value = this.lookup(key);
    if (value === undefined) return undefined;
    if (value.type !== type) throw new RedisReplyError(ERR_WRONGTYPE);
    return value as Extract<RedisValue, { type: T }>;
  }

  #remove(key: string): boolean {
    this.#expires.delete(key);
    return this.#data.delete(key);
  }

  #write(key: string, value: RedisValue, keepTtl = false): void {
    this.#data.set(key, value);
    if (!keepTtl) this.#expires.delete(key);
  }

  /** Keys not yet expired (what DBSIZE reports once Redis's active expiry has reclaimed the rest). */
  size(): number {
    let n = 0;
    const now = this.#context.now();
    for (const key of this.#data.keys()) {
      const at = this.#expires.get(key);
      if (at === undefined || now <= at) n++;
    }
    return n;
  }

  /** Every key, value and expiry (deep copy), for a replica's full resync. */
  snapshot(): SnapshotEntry[] {
    return [...this.#data].map(([key, value]) => ({
      key,
      value: cloneValue(value),
      expireAtMs: this.#expires.get(key),
    }));
  }

  /** Replaces the whole keyspace with a snapshot (what loading an RDB does). */
  load(entries: readonly SnapshotEntry[]): void {
    this.flush();
    for (const e of entries) {
      this.#data.set(e.key, cloneValue(e.value));
      if (e.expireAtMs !== undefined) this.#expires.set(e.key, e.expireAtMs);
    }
  }

  /** Drops every key. */
  flush(): void {
    this.#data.clear();
    this.#expires.clear();
  }

  /** Keys (live or logically expired) in insertion order; for cluster slot bookkeeping. */
  keys(): IterableIterator<string> {
    return this.#data.keys();
  }

  // --- strings -------------------------------------------------------------------------------

  get(key: string): Reply {
    return this.#lookupType(key, 'string')?.value ?? null;
  }

  /** src/t_string.c setCommand + parseExtendedStringArgumentsOrReply. */
  set(args: readonly string[]): Reply {
    const key = arg(args, 1);
    const value = arg(args, 2);
    let nx = false;
    let xx = false;
    let get = false;
    let keepTtl = false;
    let expire: { readonly unit: 'EX' | 'PX' | 'EXAT' | 'PXAT'; readonly text: string } | undefined;
    for (let i = 3; i < args.length; i++) {
      const opt = arg(args, i).toUpperCase();
      const hasNext = i + 1 < args.length;
      if (opt === 'NX' && !xx) nx = true;
      else if (opt === 'XX' && !nx) xx = true;
      else if (opt === 'GET') get = true;
      else if (opt === 'KEEPTTL' && expire === undefined) keepTtl = true;
      else if (
        (opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') &&
        !keepTtl &&
        expire === undefined &&
        hasNext
      ) {
        expire = { unit: opt, text: arg(args, ++i) };
      } else throw new RedisReplyError(ERR_SYNTAX);
    }
    let expireAtMs: number | undefined;
    if (expire !== undefined) {
      const n = parseInteger(expire.text);
      if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
      if (n <= 0n) throw new RedisReplyError("ERR invalid expire time in 'set' command");
      const ms = expire.unit === 'EX' || expire.unit === 'EXAT' ? n * 1000n : n;
      const at = expire.unit === 'EX' || expire.unit === 'PX' ? ms + BigInt(this.#context.now()) : ms;
      if (!inInt64(ms) || !inInt64(at)) throw new RedisReplyError("ERR invalid expire time in 'set' command");
      expireAtMs = Number(at);
    }
    const existing = this.lookup(key);
    let old: Reply = null;
    if (get) {
      if (existing !== undefined && existing.type !== 'string') throw new RedisReplyError(ERR_WRONGTYPE);
      old = existing?.value ?? null;
    }
    if ((nx && existing !== undefined) || (xx && existing === undefined)) return get ? old : null;
    this.#write(key, { type: 'string', value }, keepTtl);
    if (expireAtMs !== undefined) this.#expires.set(key, expireAtMs);
    const effect = ['SET', key, value];
    if (expireAtMs !== undefined) effect.push('PXAT', String(expireAtMs));
    else if (keepTtl) effect.push('KEEPTTL');
    this.effects.push(effect);
    return get ? old : OK;
  }

  /** src/t_string.c incrDecrCommand. */
  incrBy(key: string, increment: bigint, args: readonly string[]): Reply {
    const current = this.#lookupType(key, 'string');
    const base = current === undefined ? 0n : parseInteger(current.value);
    if (base === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
    const result = base + increment;
    if (!inInt64(result)) throw new RedisReplyError(ERR_INCR_OVERFLOW);
    if (current === undefined) this.#write(key, { type: 'string', value: String(result) });
    else current.value = String(result);
    this.effects.push([...args]);
    return Number(result);
  }

  // --- keys and expiry -----------------------------------------------------------------------

  del(keys: readonly string[]): Reply {
    let n = 0;
    for (const key of keys) if (this.lookup(key) !== undefined && this.#remove(key)) n++;
    if (n > 0) this.effects.push(['DEL', ...keys]);
    return n;
  }

  exists(keys: readonly string[]): Reply {
    let n = 0;
    for (const key of keys) if (this.lookup(key) !== undefined) n++;
    return n;
  }

  /** src/expire.c expireGenericCommand: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX|XX|GT|LT. */
  expire(args: readonly string[], unitMs: 1 | 1000, absolute: boolean): Reply {
    const name = arg(args, 0).toLowerCase();
    const key = arg(args, 1);
    const n = parseInteger(arg(args, 2));
    if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (const raw of args.slice(3)) {
      const opt = raw.toUpperCase();
      if (opt === 'NX') nx = true;
      else if (opt === 'XX') xx = true;
      else if (opt === 'GT') gt = true;
      else if (opt === 'LT') lt = true;
      else throw new RedisReplyError(`ERR Unsupported option ${raw}`);
    }
    if (nx && (xx || gt || lt))
      throw new RedisReplyError('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (gt && lt) throw new RedisReplyError('ERR GT and LT options at the same time are not compatible');
    const ms = n * BigInt(unitMs);
    const at = absolute ? ms : ms + BigInt(this.#context.now());
    if (!inInt64(ms) || !inInt64(at))
      throw new RedisReplyError(`ERR invalid expire time in '${name}' command`);
    if (this.lookup(key) === undefined) return 0;
    const current = this.#expires.get(key);
    const atMs = Number(at);
    if (nx && current !== undefined) return 0;
    if (xx && current === undefined) return 0;
    // A key without TTL counts as an infinite TTL for GT/LT (src/expire.c).
    if (gt && (current === undefined || atMs <= current)) return 0;
    if (lt && current !== undefined && atMs >= current) return 0;
    if (atMs <= this.#context.now() && !this.applyingReplication) {
      this.#remove(key);
      this.effects.push(['DEL', key]);
      return 1;
    }
    this.#expires.set(key, atMs);
    this.effects.push(['PEXPIREAT', key, String(atMs)]);
    return 1;
  }

  /** TTL / PTTL (src/expire.c ttlGenericCommand): seconds are rounded, (ms + 500) / 1000. */
  ttl(key: string, inMs: boolean): Reply {
    if (this.lookup(key) === undefined) return -2;
    const at = this.#expires.get(key);
    if (at === undefined) return -1;
    const left = Math.max(0, at - this.#context.now());
    return inMs ? left : Math.floor((left + 500) / 1000);
  }

  persist(key: string): Reply {
    if (this.lookup(key) === undefined || !this.#expires.has(key)) return 0;
    this.#expires.delete(key);
    this.effects.push(['PERSIST', key]);
    return 1;
  }

  type(key: string): Reply {
    return new StatusReply(this.lookup(key)?.type ?? 'none');
  }

  flushAll(args: readonly string[]): Reply {
    this.flush();
    this.effects.push([...args]);
    return OK;
  }

  // --- hashes --------------------------------------------------------------------------------

  hget(key: string, field: string): Reply {
    return this.#lookupType(key, 'hash')?.value.get(field) ?? null;
  }

  hmget(key: string, fields: readonly string[]): Reply {
    const hash = this.#lookupType(key, 'hash');
    return fields.map((f) => hash?.value.get(f) ?? null);
  }

  hset(args: readonly string[]): Reply {
    if (args.length % 2 !== 0)
      throw new RedisReplyError(`ERR wrong number of arguments for '${arg(args, 0).toLowerCase()}' command`);
    const key = arg(args, 1);
    let hash = this.#lookupType(key, 'hash');
    if (hash === undefined) {
      hash = { type: 'hash', value: new Map() };
      this.#write(key, hash);
    }
    let added = 0;
    for (let i = 2; i < args.length; i += 2) {
      if (!hash.value.has(arg(args, i))) added++;
      hash.value.set(arg(args, i), arg(args, i + 1));
    }
    this.effects.push([...args]);
    return arg(args, 0).toLowerCase() === 'hmset' ? OK : added;
  }

  hdel(key: string, fields: readonly string[], args: readonly string[]): Reply {
    const hash = this.#lookupType(key, 'hash');
    if (hash === undefined) return 0;
    let n = 0;
    for (const f of fields) if (hash.value.delete(f)) n++;
    if (hash.value.size === 0) this.#remove(key);
    if (n > 0) this.effects.push([...args]);
    return n;
  }

  hgetall(key: string): Reply {
    const hash = this.#lookupType(key, 'hash');
    return hash === undefined ? [] : [...hash.value].flat();
  }

  hincrby(key: string, field: string, incrementText: string, args: readonly string[]): Reply {
    const increment = parseInteger(incrementText);
    if (increment === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
    let hash = this.#lookupType(key, 'hash');
    const text = hash?.value.get(field);
    const base = text === undefined ? 0n : parseInteger(text);
    if (base === undefined) throw new RedisReplyError(ERR_HASH_NOT_INTEGER);
    const result = base + increment;
    if (!inInt64(result)) throw new RedisReplyError(ERR_INCR_OVERFLOW);
    if (hash === undefined) {
      hash = { type: 'hash', value: new Map() };
      this.#write(key, hash);
    }
    hash.value.set(field, String(result));
    this.effects.push([...args]);
    return Number(result);
  }

  // --- sorted sets ---------------------------------------------------------------------------

  /** src/t_zset.c zaddGenericCommand (flags NX, XX, GT, LT, CH; INCR is not modelled). */
  zadd(args: readonly string[]): Reply {
    const key = arg(args, 1);
    let i = 2;
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    let ch = false;
    for (; i < args.length; i++) {
      const opt = arg(args, i).toUpperCase();
      if (opt === 'NX') nx = true;
      else if (opt === 'XX') xx = true;
      else if (opt === 'GT') gt = true;
      else if (opt === 'LT') lt = true;
      else if (opt === 'CH') ch = true;
      else if (opt === 'INCR')
        throw new RedisReplyError('ERR ZADD INCR is not supported by the hasim simulated node');
      else break;
    }
    const rest = args.length - i;
    if (rest === 0 || rest % 2 !== 0) throw new RedisReplyError(ERR_SYNTAX);
    if (nx && xx) throw new RedisReplyError('ERR XX and NX options at the same time are not compatible');
    if ((gt && nx) || (lt && nx) || (gt && lt))
      throw new RedisReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
    const pairs: [number, string][] = [];
    for (let j = i; j < args.length; j += 2) {
      const score = parseDouble(arg(args, j));
      if (score === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
      pairs.push([score, arg(args, j + 1)]);
    }
    let zset = this.#lookupType(key, 'zset');
    if (zset === undefined) {
      if (xx) return 0;
      zset = { type: 'zset', value: new Map() };
      this.#write(key, zset);
    }
    let added = 0;
    let changed = 0;
    for (const [score, member] of pairs) {
      const current = zset.value.get(member);
      if (current === undefined) {
        if (xx) continue;
        zset.value.set(member, score);
        added++;
      } else {
        if (nx || (gt && score <= current) || (lt && score >= current)) continue;
        if (score !== current) {
          zset.value.set(member, score);
          changed++;
        }
      }
    }
    if (zset.value.size === 0) this.#remove(key);
    if (added + changed > 0) this.effects.push([...args]);
    return ch ? added + changed : added;
  }

  zcard(key: string): Reply {
    return this.#lookupType(key, 'zset')?.value.size ?? 0;
  }

  zscore(key: string, member: string): Reply {
    const score = this.#lookupType(key, 'zset')?.value.get(member);
    return score === undefined ? null : formatDouble(score);
  }

  zrem(key: string, members: readonly string[], args: readonly string[]): Reply {
    const zset = this.#lookupType(key, 'zset');
    if (zset === undefined) return 0;
    let n = 0;
    for (const m of members) if (zset.value.delete(m)) n++;
    if (zset.value.size === 0) this.#remove(key);
    if (n > 0) this.effects.push([...args]);
    return n;
  }

  /** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] (src/t_zset.c genericZrangebyscoreCommand). */
  zrangebyscore(args: readonly string[]): Reply {
    const range = parseScoreRange(arg(args, 2), arg(args, 3));
    let withScores = false;
    let offset = 0;
    let count = -1;
    for (let i = 4; i < args.length; i++) {
      const opt = arg(args, i).toUpperCase();
      if (opt === 'WITHSCORES') withScores = true;
      else if (opt === 'LIMIT' && i + 2 < args.length) {
        offset = integerArg(arg(args, i + 1));
        count = integerArg(arg(args, i + 2));
        i += 2;
      } else throw new RedisReplyError(ERR_SYNTAX);
    }
    const zset = this.#lookupType(arg(args, 1), 'zset');
    if (zset === undefined || offset < 0) return [];
    const inRange = sortedMembers(zset.value).filter(([, s]) => range.contains(s));
    const page = inRange.slice(offset, count < 0 ? undefined : offset + count);
    return withScores ? page.flatMap(([m, s]) => [m, formatDouble(s)]) : page.map(([m]) => m);
  }

  zremrangebyscore(args: readonly string[]): Reply {
    const range = parseScoreRange(arg(args, 2), arg(args, 3));
    const key = arg(args, 1);
    const zset = this.#lookupType(key, 'zset');
    if (zset === undefined) return 0;
    let n = 0;
    for (const [member, score] of [...zset.value]) {
      if (range.contains(score)) {
        zset.value.delete(member);
        n++;
      }
    }
    if (zset.value.size === 0) this.#remove(key);
    if (n > 0) this.effects.push([...args]);
    return n;
  }
}

/** Members ordered as Redis orders a sorted set: by score, then by member bytes. */
function sortedMembers(zset: Map<string, number>): [string, number][] {
  return [...zset].sort(([ma, sa], [mb, sb]) => (sa !== sb ? sa - sb : ma < mb ? -1 : ma > mb ? 1 : 0));
}

/** src/t_zset.c zslParseRange: `(` makes a bound exclusive; `-inf`/`+inf`; NaN is rejected. */
function parseScoreRange(minText: string, maxText: string): { contains(score: number): boolean } {
  const parse = (text: string): { value: number; exclusive: boolean } => {
    const exclusive = text.startsWith('(');
    const value = parseDouble(exclusive ? text.slice(1) : text);
    if (value === undefined) throw new RedisReplyError(ERR_MIN_MAX_FLOAT);
    return { value, exclusive };
  };
  const min = parse(minText);
  const max = parse(maxText);
  return {
    contains: (s) =>
      (min.exclusive ? s > min.value : s >= min.value) && (max.exclusive ? s < max.value : s <= max.value),
  };
}

function cloneValue(value: RedisValue): RedisValue {
  switch (value.type) {
    case 'string':
      return { type: 'string', value: value.value };
    case 'hash':
      return { type: 'hash', value: new Map(value.value) };
    case 'zset':
      return { type: 'zset', value: new Map(value.value) };
  }
}

/**
 * The command table of the keyspace commands: lower-case name → arity (src/commands/*.json:
 * positive = exact, negative = at least), write flag, key positions, handler.
 */
type CommandRow = [
  name: string,
  arity: number,
  write: boolean,
  keys: KeySpec | undefined,
  run: CommandSpec['run'],
];

const COMMAND_ROWS: CommandRow[] = [
  ['get', 2, false, ONE_KEY, (ks, a) => ks.get(arg(a, 1))],
  ['set', -3, true, ONE_KEY, (ks, a) => ks.set(a)],
  ['incr', 2, true, ONE_KEY, (ks, a) => ks.incrBy(arg(a, 1), 1n, a)],
  ['decr', 2, true, ONE_KEY, (ks, a) => ks.incrBy(arg(a, 1), -1n, a)],
  ['incrby', 3, true, ONE_KEY, (ks, a) => ks.incrBy(arg(a, 1), bigArg(arg(a, 2)), a)],
  ['decrby', 3, true, ONE_KEY, (ks, a) => ks.incrBy(arg(a, 1), -bigArg(arg(a, 2)), a)],
  ['del', -2, true, ALL_KEYS, (ks, a) => ks.del(a.slice(1))],
  ['unlink', -2, true, ALL_KEYS, (ks, a) => ks.del(a.slice(1))],
  ['exists', -2, false, ALL_KEYS, (ks, a) => ks.exists(a.slice(1))],
  ['expire', -3, true, ONE_KEY, (ks, a) => ks.expire(a, 1000, false)],
  ['pexpire', -3, true, ONE_KEY, (ks, a) => ks.expire(a, 1, false)],
  ['expireat', -3, true, ONE_KEY, (ks, a) => ks.expire(a, 1000, true)],
  ['pexpireat', -3, true, ONE_KEY, (ks, a) => ks.expire(a, 1, true)],
  ['ttl', 2, false, ONE_KEY, (ks, a) => ks.ttl(arg(a, 1), false)],
  ['pttl', 2, false, ONE_KEY, (ks, a) => ks.ttl(arg(a, 1), true)],
  ['persist', 2, true, ONE_KEY, (ks, a) => ks.persist(arg(a, 1))],
  ['type', 2, false, ONE_KEY, (ks, a) => ks.type(arg(a, 1))],
  ['hget', 3, false, ONE_KEY, (ks, a) => ks.hget(arg(a, 1), arg(a, 2))],
  ['hmget', -3, false, ONE_KEY, (ks, a) => ks.hmget(arg(a, 1), a.slice(2))],
  ['hset', -4, true, ONE_KEY, (ks, a) => ks.hset(a)],
  ['hmset', -4, true, ONE_KEY, (ks, a) => ks.hset(a)],
  ['hdel', -3, true, ONE_KEY, (ks, a) => ks.hdel(arg(a, 1), a.slice(2), a)],
  ['hgetall', 2, false, ONE_KEY, (ks, a) => ks.hgetall(arg(a, 1))],
  ['hincrby', 4, true, ONE_KEY, (ks, a) => ks.hincrby(arg(a, 1), arg(a, 2), arg(a, 3), a)],
  ['zadd', -4, true, ONE_KEY, (ks, a) => ks.zadd(a)],
  ['zcard', 2, false, ONE_KEY, (ks, a) => ks.zcard(arg(a, 1))],
  ['zscore', 3, false, ONE_KEY, (ks, a) => ks.zscore(arg(a, 1), arg(a, 2))],
  ['zrem', -3, true, ONE_KEY, (ks, a) => ks.zrem(arg(a, 1), a.slice(2), a)],
  ['zrangebyscore', -4, false, ONE_KEY, (ks, a) => ks.zrangebyscore(a)],
  ['zremrangebyscore', 4, true, ONE_KEY, (ks, a) => ks.zremrangebyscore(a)],
  ['dbsize', 1, false, undefined, (ks) => ks.size()],
  ['flushall', -1, true, undefined, (ks, a) => ks.flushAll(a)],
  ['flushdb', -1, true, undefined, (ks, a) => ks.flushAll(a)],
];

export const KEYSPACE_COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  COMMAND_ROWS.map(([name, arity, write, keys, run]) => [name, { name, arity, write, keys, run }]),
);

function bigArg(s: string): bigint {
  const n = parseInteger(s);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return n;
}

/** True when `args` has the arity `spec` demands. */
export function arityOk(spec: { readonly arity: number }, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/** The keys a command names, per its key spec. */
export function commandKeys(spec: { readonly keys: KeySpec | undefined }, args: readonly string[]): string[] {
  if (spec.keys === undefined) return [];
  const { first, step } = spec.keys;
  const last = spec.keys.last < 0 ? args.length + spec.keys.last : spec.keys.last;
  const keys: string[] = [];
  for (let i = first; i <= last && i < args.length; i += step) keys.push(arg(args, i));
  return keys;
}

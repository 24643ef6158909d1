// The data side of a simulated redis-server 7.0: typed values, expiry on the injected clock, and
// the commands the project uses, with the replies and error lines of the real server for the same
// inputs. Every write reports its effect in the form Redis 7 propagates to replicas (relative
// expiries turned into absolute PEXPIREAT / SET ... PXAT, src/expire.c + src/t_string.c; expired
// keys as DEL, src/db.c deleteExpiredKeyAndPropagate).
import { ALL_KEYS, type CommandRow, type CommandSpec, ONE_KEY, spellingLookup } from './command-spec.ts';
import { HASH_ROWS } from './commands/hashes.ts';
import { LIST_ROWS } from './commands/lists.ts';
import { STRING_ROWS } from './commands/strings.ts';
import { ZSET_ROWS } from './commands/zsets.ts';
import {
  arg,
  ERR_NOT_INTEGER,
  ERR_WRONGTYPE,
  inInt64,
  OK,
  parseInteger,
  RedisReplyError,
  type Reply,
  StatusReply,
} from './reply.ts';

export type { CommandSpec, KeySpec } from './command-spec.ts';
export { arityOk, commandName, firstKey } from './command-spec.ts';

/** A stored value, tagged by its Redis type. */
export type RedisValue =
  | { readonly type: 'string'; value: string }
  | { readonly type: 'hash'; readonly value: Map<string, string> }
  | { readonly type: 'list'; readonly value: string[] }
  /**
   * `skiplist` once the set outgrew the listpack encoding (src/t_zset.c zsetAdd: more than 128
   * members or a member over 64 bytes); a listpack stores an integral score as an integer, so
   * there a -0 score reads back as 0 (zzlInsertAt, double2ll).
   */
  | {
      readonly type: 'zset';
      readonly value: Map<string, number>;
      skiplist: boolean;
      /**
       * True while the map's own order (insertion) visits scores in non-decreasing order, as a
       * sliding-window log's time scores arrive: a score range is then one run of entries, so a
       * range walk can stop at the first score past it, as Redis's sorted walk does.
       */
      inOrder: boolean;
      /** The score last appended to the map (an upper bound of the last entry's while in order). */
      lastScore: number;
      /**
       * A lower bound of every score in the set (+Infinity before the first member): a score
       * range that ends below it holds no member, so ZREMRANGEBYSCORE need not walk the set.
       */
      lowScore: number;
    };

/** One key of a snapshot: value and absolute expiry (ms on the node's clock) if any. */
export interface SnapshotEntry {
  readonly key: string;
  readonly value: RedisValue;
  readonly expireAtMs: ExpireAt | undefined;
}

/**
 * An absolute expiry in ms: a number while exact (up to 2^53), beyond that a bigint, so that
 * times near 2^63 keep every millisecond as Redis's long long does (GT/LT compare them exactly).
 */
export type ExpireAt = number | bigint;

/** The exact expiry for a time in ms. */
export function toExpireAt(ms: bigint | number): ExpireAt {
  if (typeof ms === 'number') return ms;
  return ms <= MAX_SAFE && ms >= MIN_SAFE ? Number(ms) : ms;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * The absolute expiry of an EXPIRE-family time argument `text` in units of `unitMs`, from
 * `baseMs` (0 for the *AT commands); undefined when the product or the sum leaves int64 (src/expire.c
 * expireGenericCommand); throws ERR_NOT_INTEGER when `text` is not an integer. Exact in doubles
 * while every value is a safe integer (the usual case), else in BigInt.
 */
function expireAt(text: string, unitMs: number, baseMs: number): ExpireAt | undefined {
  if (SAFE_DIGITS.test(text)) {
    const ms = Number(text) * unitMs;
    const at = ms + baseMs;
    if (Number.isSafeInteger(ms) && Number.isSafeInteger(at)) return at;
  }
  const n = parseInteger(text);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  const ms = n * BigInt(unitMs);
  const at = ms + BigInt(baseMs);
  if (!inInt64(ms) || !inInt64(at)) return undefined;
  return toExpireAt(at);
}
/** An integer as string2ll takes it, of at most 12 digits: `Number` reads it exactly. */
const SAFE_DIGITS = /^(0|-?[1-9][0-9]{0,11})$/;

/** Who is executing: a master (expires keys on access) or a replica (hides, never deletes). */
export interface KeyspaceContext {
  /** Current time in ms. */
  now(): number;
  /** True on a replica: an expired key reads as missing but is only deleted by the master's DEL. */
  readonly isReplica: () => boolean;
}

/** One stored key: its value and absolute expiry (ms), kept together so a lookup is one probe. */
class Entry {
  constructor(
    public value: RedisValue,
    public at: ExpireAt | undefined,
  ) {}
}

/** The keyspace of one simulated node (database 0 only). */
export class Keyspace {
  /** Key -> value and expiry (src/db.c keeps them in two dicts; one map probe serves both here). */
  readonly #entries = new Map<string, Entry>();
  /**
   * The key last found in `#entries` and its entry: a script touches one key several times in a
   * row (the sliding-log limiter: ZREMRANGEBYSCORE, ZCARD, ZADD, PEXPIRE), and a map of tens of
   * thousands of keys costs a probe each time. Cleared whenever that key leaves the map.
   */
  #memoKey: string | undefined;
  #memoEntry: Entry | undefined;
  /** Effects of the current command, in propagation form; drained by the node. */
  effects: string[][] = [];
  /** While applying the master's stream, keys are never expired (src/db.c expireIfNeeded). */
  applyingReplication = false;

  /**
   * Records a write's effect as the command itself (a copy of its arguments). Nothing is recorded
   * while the master's stream is applied: a replica does not propagate it further (its effects
   * are dropped at the end of the batch, SimRedis.applyReplicated), so no copy is made for them.
   */
  propagate(args: readonly string[]): void {
    if (!this.applyingReplication) this.effects.push([...args]);
  }

  readonly #context: KeyspaceContext;

  constructor(context: KeyspaceContext) {
    this.#context = context;
  }

  /** Looks a key up, expiring it first if its time has passed (Redis: expired when now > when). */
  lookup(key: string): RedisValue | undefined {
    return this.#live(key)?.value;
  }

  /** The entry of a key that has not expired (expiring it on a master, src/db.c expireIfNeeded). */
  #live(key: string): Entry | undefined {
    const entry = this.#entry(key);
    if (entry === undefined) return undefined;
    const at = entry.at;
    if (at !== undefined && !this.applyingReplication && this.#context.now() > at) {
      if (this.#context.isReplica()) return undefined;
      this.remove(key);
      this.effects.push(['DEL', key]);
      return undefined;
    }
    return entry;
  }

  /** `#entries.get(key)`, through the one-key memo. */
  #entry(key: string): Entry | undefined {
    if (key === this.#memoKey) return this.#memoEntry;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#memoKey = key;
      this.#memoEntry = entry;
    }
    return entry;
  }

  /** The current time of the node, in ms. */
  now(): number {
    return this.#context.now();
  }

  /** Looks a key up for a command of one type: undefined when missing, WRONGTYPE when another type. */
  typed<T extends RedisValue['type']>(key: string, type: T): Extract<RedisValue, { type: T }> | undefined {
    const value = this.lookup(key);
    if (value === undefined) return undefined;
    if (value.type !== type) throw new RedisReplyError(ERR_WRONGTYPE);
    return value as Extract<RedisValue, { type: T }>;
  }

  /** Deletes a key and its expiry; true when it existed. */
  remove(key: string): boolean {
    if (key === this.#memoKey) {
      this.#memoKey = undefined;
      this.#memoEntry = undefined;
    }
    return this.#entries.delete(key);
  }

  /**
   * Stores a value; drops the key's expiry unless `keepTtl`, or sets it to `expireAtMs` (absolute
   * ms) when given (SET ... EX/PX/EXAT/PXAT).
   */
  write(key: string, value: RedisValue, keepTtl = false, expireAtMs?: bigint | number): void {
    const at = expireAtMs === undefined ? undefined : toExpireAt(expireAtMs);
    const entry = this.#entry(key);
    if (entry === undefined) {
      const created = new Entry(value, at);
      this.#entries.set(key, created);
      this.#memoKey = key;
      this.#memoEntry = created;
      return;
    }
    entry.value = value;
    if (at !== undefined) entry.at = at;
    else if (!keepTtl) entry.at = undefined;
  }

  /** Absolute expiry (ms) of a key, undefined when it has none. */
  expireOf(key: string): ExpireAt | undefined {
    return this.#entry(key)?.at;
  }

  /** Keys not yet expired (what DBSIZE reports once Redis's active expiry has reclaimed the rest). */
  size(): number {
    let n = 0;
    const now = this.#context.now();
    for (const { at } of this.#entries.values()) if (at === undefined || now <= at) n++;
    return n;
  }

  /** Every key, value and expiry (deep copy), for a replica's full resync. */
  snapshot(): SnapshotEntry[] {
    return [...this.#entries].map(([key, entry]) => ({
      key,
      value: cloneValue(entry.value),
      expireAtMs: entry.at,
    }));
  }

  /** Replaces the whole keyspace with a snapshot (what loading an RDB does). */
  load(entries: readonly SnapshotEntry[]): void {
    this.flush();
    for (const e of entries) this.#entries.set(e.key, new Entry(cloneValue(e.value), e.expireAtMs));
  }

  /** Drops every key. */
  flush(): void {
    this.#memoKey = undefined;
    this.#memoEntry = undefined;
    this.#entries.clear();
  }

  /** Keys (live or logically expired) in insertion order; for cluster slot bookkeeping. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  // --- keys and expiry -----------------------------------------------------------------------

  del(keys: readonly string[]): Reply {
    let n = 0;
    for (const key of keys) if (this.lookup(key) !== undefined && this.remove(key)) n++;
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
    const key = arg(args, 1);
    let nx = false;
    let xx = false;
    let gt = false;
    let lt = false;
    for (let i = 3; i < args.length; i++) {
      const raw = args[i] as string;
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
    // Options are checked before the time argument is parsed (src/expire.c expireGenericCommand).
    const at = expireAt(arg(args, 2), unitMs, absolute ? 0 : this.#context.now());
    if (at === undefined)
      throw new RedisReplyError(`ERR invalid expire time in '${arg(args, 0).toLowerCase()}' command`);
    const entry = this.#live(key);
    if (entry === undefined) return 0;
    const current = entry.at;
    const atMs = toExpireAt(at);
    if (nx && current !== undefined) return 0;
    if (xx && current === undefined) return 0;
    // A key without TTL counts as an infinite TTL for GT/LT (src/expire.c).
    if (gt && (current === undefined || atMs <= current)) return 0;
    if (lt && current !== undefined && atMs >= current) return 0;
    if (atMs <= this.#context.now() && !this.applyingReplication) {
      this.remove(key);
      this.effects.push(['DEL', key]);
      return 1;
    }
    entry.at = atMs;
    if (!this.applyingReplication) this.effects.push(['PEXPIREAT', key, String(at)]);
    return 1;
  }

  /** TTL / PTTL (src/expire.c ttlGenericCommand): seconds are rounded, (ms + 500) / 1000. */
  ttl(key: string, inMs: boolean): Reply {
    const entry = this.#live(key);
    if (entry === undefined) return -2;
    const at = entry.at;
    if (at === undefined) return -1;
    if (typeof at === 'bigint') {
      const left = at - BigInt(this.#context.now());
      const ms = left < 0n ? 0n : left;
      return Number(inMs ? ms : (ms + 500n) / 1000n);
    }
    const left = Math.max(0, at - this.#context.now());
    return inMs ? left : Math.floor((left + 500) / 1000);
  }

  persist(key: string): Reply {
    const entry = this.#live(key);
    if (entry === undefined || entry.at === undefined) return 0;
    entry.at = undefined;
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
}

const KEY_ROWS: CommandRow[] = [
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
  ['dbsize', 1, false, undefined, (ks) => ks.size()],
  ['flushall', -1, true, undefined, (ks, a) => ks.flushAll(a)],
  ['flushdb', -1, true, undefined, (ks, a) => ks.flushAll(a)],
];

/**
 * The command table of the keyspace commands: lower-case name → arity (src/commands/*.json:
 * positive = exact, negative = at least), write flag, key positions, handler. Shared by client
 * connections, redis.call in scripts, replication and the cluster's key routing.
 */
export const KEYSPACE_COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [...STRING_ROWS, ...KEY_ROWS, ...HASH_ROWS, ...ZSET_ROWS, ...LIST_ROWS].map(
    ([name, arity, write, keys, run]) => [name, { name, arity, write, keys, run }],
  ),
);

/** The keyspace command a name spelled in any case names, or undefined. */
export const keyspaceCommand = spellingLookup(KEYSPACE_COMMANDS);

function cloneValue(value: RedisValue): RedisValue {
  switch (value.type) {
    case 'string':
      return { type: 'string', value: value.value };
    case 'hash':
      return { type: 'hash', value: new Map(value.value) };
    case 'list':
      return { type: 'list', value: [...value.value] };
    case 'zset':
      return {
        type: 'zset',
        value: new Map(value.value),
        skiplist: value.skiplist,
        inOrder: value.inOrder,
        lastScore: value.lastScore,
        lowScore: value.lowScore,
      };
  }
}

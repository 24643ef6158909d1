// Hash commands of the simulated node, as redis-server 7.0 runs them (src/t_hash.c): replies,
// error lines and their order, and the form each write is propagated in.

import { byteLength } from '../bytes.ts';
import { type CommandRow, ONE_KEY } from '../command-spec.ts';
import type { Keyspace, RedisValue } from '../keyspace.ts';
import {
  addLongDouble,
  formatLongDoubleHuman,
  isNonFinite,
  longDoubleFromInteger,
  parseLongDouble,
} from '../numbers.ts';
import {
  arg,
  ERR_HASH_NOT_INTEGER,
  ERR_INCR_OVERFLOW,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  inInt64,
  OK,
  parseInteger,
  RedisReplyError,
  type Reply,
  wrongArity,
} from '../reply.ts';

type Hash = Extract<RedisValue, { type: 'hash' }>;

/** src/t_hash.c hashTypeLookupWriteOrCreate: WRONGTYPE for another type, a new empty hash if missing. */
function hashForWrite(ks: Keyspace, key: string): Hash {
  let hash = ks.typed(key, 'hash');
  if (hash === undefined) {
    hash = { type: 'hash', value: new Map() };
    ks.write(key, hash);
  }
  return hash;
}

function hget(ks: Keyspace, key: string, field: string): Reply {
  return ks.typed(key, 'hash')?.value.get(field) ?? null;
}

function hmget(ks: Keyspace, key: string, fields: readonly string[]): Reply {
  const hash = ks.typed(key, 'hash');
  return fields.map((f) => hash?.value.get(f) ?? null);
}

/** HSET / HMSET: field-value pairs; an odd count is an arity error (src/t_hash.c hsetCommand). */
function hset(ks: Keyspace, args: readonly string[]): Reply {
  if (args.length % 2 !== 0) throw wrongArity(arg(args, 0).toLowerCase());
  const hash = hashForWrite(ks, arg(args, 1));
  let added = 0;
  for (let i = 2; i < args.length; i += 2) {
    if (!hash.value.has(arg(args, i))) added++;
    hash.value.set(arg(args, i), arg(args, i + 1));
  }
  ks.effects.push([...args]);
  return arg(args, 0).toLowerCase() === 'hmset' ? OK : added;
}

function hsetnx(ks: Keyspace, args: readonly string[]): Reply {
  const hash = hashForWrite(ks, arg(args, 1));
  if (hash.value.has(arg(args, 2))) return 0;
  hash.value.set(arg(args, 2), arg(args, 3));
  ks.effects.push([...args]);
  return 1;
}

function hdel(ks: Keyspace, key: string, fields: readonly string[], args: readonly string[]): Reply {
  const hash = ks.typed(key, 'hash');
  if (hash === undefined) return 0;
  let n = 0;
  for (const f of fields) if (hash.value.delete(f)) n++;
  if (hash.value.size === 0) ks.remove(key);
  if (n > 0) ks.effects.push([...args]);
  return n;
}

function hgetall(ks: Keyspace, key: string): Reply {
  const hash = ks.typed(key, 'hash');
  return hash === undefined ? [] : [...hash.value].flat();
}

/** src/t_hash.c hincrbyCommand: increment parsed first, then the key (created if missing). */
function hincrby(ks: Keyspace, args: readonly string[]): Reply {
  const increment = parseInteger(arg(args, 3));
  if (increment === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  const hash = hashForWrite(ks, arg(args, 1));
  const text = hash.value.get(arg(args, 2));
  const base = text === undefined ? 0n : parseInteger(text);
  if (base === undefined) throw new RedisReplyError(ERR_HASH_NOT_INTEGER);
  const result = base + increment;
  if (!inInt64(result)) throw new RedisReplyError(ERR_INCR_OVERFLOW);
  hash.value.set(arg(args, 2), String(result));
  ks.effects.push([...args]);
  return Number(result);
}

/**
 * src/t_hash.c hincrbyfloatCommand: an infinite increment is refused before the key is read;
 * long double sum printed `%.17Lf` trimmed; propagated as HSET with the result.
 */
function hincrbyfloat(ks: Keyspace, args: readonly string[]): Reply {
  const increment = parseLongDouble(arg(args, 3));
  if (increment === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  if (isNonFinite(increment)) throw new RedisReplyError('ERR value is NaN or Infinity');
  const key = arg(args, 1);
  const field = arg(args, 2);
  const hash = hashForWrite(ks, key);
  const text = hash.value.get(field);
  const base = text === undefined ? longDoubleFromInteger(0n) : parseLongDouble(text);
  if (base === undefined) throw new RedisReplyError('ERR hash value is not a float');
  const sum = addLongDouble(base, increment);
  if (isNonFinite(sum)) throw new RedisReplyError('ERR increment would produce NaN or Infinity');
  const result = formatLongDoubleHuman(sum);
  hash.value.set(field, result);
  ks.effects.push(['HSET', key, field, result]);
  return result;
}

function hstrlen(ks: Keyspace, key: string, field: string): Reply {
  const value = ks.typed(key, 'hash')?.value.get(field);
  return value === undefined ? 0 : byteLength(value);
}

export const HASH_ROWS: CommandRow[] = [
  ['hget', 3, false, ONE_KEY, (ks, a) => hget(ks, arg(a, 1), arg(a, 2))],
  ['hmget', -3, false, ONE_KEY, (ks, a) => hmget(ks, arg(a, 1), a.slice(2))],
  ['hset', -4, true, ONE_KEY, (ks, a) => hset(ks, a)],
  ['hmset', -4, true, ONE_KEY, (ks, a) => hset(ks, a)],
  ['hsetnx', 4, true, ONE_KEY, (ks, a) => hsetnx(ks, a)],
  ['hdel', -3, true, ONE_KEY, (ks, a) => hdel(ks, arg(a, 1), a.slice(2), a)],
  ['hgetall', 2, false, ONE_KEY, (ks, a) => hgetall(ks, arg(a, 1))],
  ['hincrby', 4, true, ONE_KEY, (ks, a) => hincrby(ks, a)],
  ['hincrbyfloat', 4, true, ONE_KEY, (ks, a) => hincrbyfloat(ks, a)],
  ['hexists', 3, false, ONE_KEY, (ks, a) => (ks.typed(arg(a, 1), 'hash')?.value.has(arg(a, 2)) ? 1 : 0)],
  ['hlen', 2, false, ONE_KEY, (ks, a) => ks.typed(arg(a, 1), 'hash')?.value.size ?? 0],
  ['hstrlen', 3, false, ONE_KEY, (ks, a) => hstrlen(ks, arg(a, 1), arg(a, 2))],
];

// String commands of the simulated node, as redis-server 7.0 runs them (src/t_string.c): the
// replies, the error lines and their order, and the form each write is propagated in.

import { byteLength, canonical } from '../bytes.ts';
import { ALL_KEYS, type CommandRow, ONE_KEY } from '../command-spec.ts';
import type { Keyspace } from '../keyspace.ts';
import {
  addLongDouble,
  formatLongDoubleHuman,
  isNonFinite,
  longDoubleFromInteger,
  parseLongDouble,
} from '../numbers.ts';
import {
  arg,
  ERR_INCR_OVERFLOW,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  inInt64,
  OK,
  parseInteger,
  RedisReplyError,
  type Reply,
  wrongArity,
} from '../reply.ts';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const ERR_SET_EXPIRE = "ERR invalid expire time in 'set' command";

function getString(ks: Keyspace, key: string): string | null {
  return ks.typed(key, 'string')?.value ?? null;
}

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

/**
 * SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL] (src/t_string.c
 * parseExtendedStringArgumentsOrReply, getExpireMillisecondsOrReply, setGenericCommand). An
 * expire option conflicts with KEEPTTL and with the OTHER units only, so `EX 100 EX 200` keeps
 * the last one; NX after XX (and XX after NX) is a syntax error.
 */
function set(ks: Keyspace, args: readonly string[], replies?: { ok: Reply; abort: Reply }): Reply {
  const key = arg(args, 1);
  const value = arg(args, 2);
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  let unit: ExpireUnit | undefined;
  let expireText: string | undefined;
  for (let i = 3; i < args.length; i++) {
    const opt = arg(args, i).toUpperCase();
    const hasNext = i + 1 < args.length;
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if (opt === 'GET') get = true;
    else if (opt === 'KEEPTTL' && unit === undefined) keepTtl = true;
    else if (
      (opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') &&
      !keepTtl &&
      (unit === undefined || unit === opt) &&
      hasNext
    ) {
      unit = opt;
      expireText = arg(args, ++i);
    } else throw new RedisReplyError(ERR_SYNTAX);
  }
  let expireAt: bigint | number | undefined;
  if (unit !== undefined && expireText !== undefined) expireAt = expireTime(ks, unit, expireText);
  const old = get ? getString(ks, key) : null;
  const found = ks.lookup(key) !== undefined;
  if ((nx && found) || (xx && !found)) return get ? old : (replies?.abort ?? null);
  ks.write(key, { type: 'string', value }, keepTtl, expireAt);
  // What a replica applies is not propagated further (Keyspace.propagate): no effect is built.
  if (!ks.applyingReplication) {
    const effect = ['SET', key, value];
    if (expireAt !== undefined) effect.push('PXAT', String(expireAt));
    else if (keepTtl) effect.push('KEEPTTL');
    ks.effects.push(effect);
  }
  return get ? old : (replies?.ok ?? OK);
}

/** Up to 12 digits: exact in doubles even as seconds × 1000 + now (the common case, no BigInt). */
const SMALL_POSITIVE = /^[1-9][0-9]{0,11}$/;

/** src/t_string.c getExpireMillisecondsOrReply: the absolute expiry in ms, or the error reply. */
function expireTime(ks: Keyspace, unit: ExpireUnit, text: string): bigint | number {
  const seconds = unit === 'EX' || unit === 'EXAT';
  const relative = unit === 'EX' || unit === 'PX';
  if (SMALL_POSITIVE.test(text)) return Number(text) * (seconds ? 1000 : 1) + (relative ? ks.now() : 0);
  const n = parseInteger(text);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) throw new RedisReplyError(ERR_SET_EXPIRE);
  let at = seconds ? n * 1000n : n;
  if (relative) at += BigInt(ks.now());
  // The C addition wraps past INT64_MAX to a negative time, refused as invalid.
  if (at > INT64_MAX) throw new RedisReplyError(ERR_SET_EXPIRE);
  return at;
}

/** src/t_string.c incrDecrCommand: the exact int64 overflow check, value kept as its decimal text. */
function incrBy(ks: Keyspace, key: string, increment: bigint, args: readonly string[]): Reply {
  const current = ks.typed(key, 'string');
  const base = current === undefined ? 0n : parseInteger(current.value);
  if (base === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  const result = base + increment;
  if (!inInt64(result)) throw new RedisReplyError(ERR_INCR_OVERFLOW);
  if (current === undefined) ks.write(key, { type: 'string', value: String(result) });
  else current.value = String(result);
  ks.effects.push([...args]);
  return Number(result);
}

function integerArgument(s: string): bigint {
  const n = parseInteger(s);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return n;
}

/** src/t_string.c decrbyCommand: negating INT64_MIN is refused before the key is read. */
function decrBy(ks: Keyspace, args: readonly string[]): Reply {
  const n = integerArgument(arg(args, 2));
  if (n === INT64_MIN) throw new RedisReplyError('ERR decrement would overflow');
  return incrBy(ks, arg(args, 1), -n, args);
}

/**
 * src/t_string.c incrbyfloatCommand: long double arithmetic, printed `%.17Lf` trimmed; the TTL is
 * kept; propagated as SET key value KEEPTTL.
 */
function incrByFloat(ks: Keyspace, args: readonly string[]): Reply {
  const key = arg(args, 1);
  const current = ks.typed(key, 'string');
  const base = current === undefined ? longDoubleFromInteger(0n) : parseLongDouble(current.value);
  const increment = parseLongDouble(arg(args, 2));
  if (base === undefined || increment === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  const sum = addLongDouble(base, increment);
  if (isNonFinite(sum)) throw new RedisReplyError('ERR increment would produce NaN or Infinity');
  const text = formatLongDoubleHuman(sum);
  if (current === undefined) ks.write(key, { type: 'string', value: text });
  else current.value = text;
  ks.effects.push(['SET', key, text, 'KEEPTTL']);
  return text;
}

/** SETNX: SET NX replying 1 / 0, propagated as itself. */
function setnx(ks: Keyspace, args: readonly string[]): Reply {
  const reply = set(ks, ['SET', arg(args, 1), arg(args, 2), 'NX'], { ok: 1, abort: 0 });
  if (reply === 1) ks.effects[ks.effects.length - 1] = [...args];
  return reply;
}

/** GETSET: the old value (WRONGTYPE for another type), then a plain SET that drops the TTL. */
function getSet(ks: Keyspace, args: readonly string[]): Reply {
  const key = arg(args, 1);
  const old = getString(ks, key);
  ks.write(key, { type: 'string', value: arg(args, 2) });
  ks.effects.push(['SET', key, arg(args, 2)]);
  return old;
}

/** GETDEL: the value, then the key is deleted (propagated as DEL). */
function getDel(ks: Keyspace, key: string): Reply {
  const old = getString(ks, key);
  if (old !== null) {
    ks.remove(key);
    ks.effects.push(['DEL', key]);
  }
  return old;
}

/** MGET: a key holding another type reads as nil, never WRONGTYPE. */
function mget(ks: Keyspace, keys: readonly string[]): Reply {
  return keys.map((key) => {
    const value = ks.lookup(key);
    return value?.type === 'string' ? value.value : null;
  });
}

/** MSET: an even argument count is an arity error (src/t_string.c msetGenericCommand). */
function mset(ks: Keyspace, args: readonly string[]): Reply {
  if (args.length % 2 === 0) throw wrongArity('mset');
  for (let i = 1; i < args.length; i += 2)
    ks.write(arg(args, i), { type: 'string', value: arg(args, i + 1) });
  ks.effects.push([...args]);
  return OK;
}

/** APPEND: the new length in bytes. */
function append(ks: Keyspace, args: readonly string[]): Reply {
  const key = arg(args, 1);
  const current = ks.typed(key, 'string');
  if (current === undefined) ks.write(key, { type: 'string', value: arg(args, 2) });
  // Bytes appended to bytes can complete a UTF-8 character split by a script (sim/redis/bytes.ts).
  else current.value = canonical(current.value + arg(args, 2));
  ks.effects.push([...args]);
  return byteLength(current?.value ?? arg(args, 2));
}

function strlen(ks: Keyspace, key: string): Reply {
  const value = getString(ks, key);
  return value === null ? 0 : byteLength(value);
}

/** Every key of MSET is at an odd position. */
const MSET_KEYS = { first: 1, last: -1, step: 2 };

export const STRING_ROWS: CommandRow[] = [
  ['get', 2, false, ONE_KEY, (ks, a) => getString(ks, arg(a, 1))],
  ['set', -3, true, ONE_KEY, (ks, a) => set(ks, a)],
  ['setnx', 3, true, ONE_KEY, (ks, a) => setnx(ks, a)],
  ['getset', 3, true, ONE_KEY, (ks, a) => getSet(ks, a)],
  ['getdel', 2, true, ONE_KEY, (ks, a) => getDel(ks, arg(a, 1))],
  ['mget', -2, false, ALL_KEYS, (ks, a) => mget(ks, a.slice(1))],
  ['mset', -3, true, MSET_KEYS, (ks, a) => mset(ks, a)],
  ['append', 3, true, ONE_KEY, (ks, a) => append(ks, a)],
  ['strlen', 2, false, ONE_KEY, (ks, a) => strlen(ks, arg(a, 1))],
  ['incr', 2, true, ONE_KEY, (ks, a) => incrBy(ks, arg(a, 1), 1n, a)],
  ['decr', 2, true, ONE_KEY, (ks, a) => incrBy(ks, arg(a, 1), -1n, a)],
  ['incrby', 3, true, ONE_KEY, (ks, a) => incrBy(ks, arg(a, 1), integerArgument(arg(a, 2)), a)],
  ['decrby', 3, true, ONE_KEY, (ks, a) => decrBy(ks, a)],
  ['incrbyfloat', 3, true, ONE_KEY, (ks, a) => incrByFloat(ks, a)],
];

// Reply values of the simulated node, shaped like RESP2 as ioredis decodes it: bulk strings are
// JS strings, integers are numbers, a nil bulk/array is null, arrays are arrays. A status reply
// (`+OK`) is a `StatusReply` so that Lua sees it as `{ok=...}` (redis/redis src/script_lua.c
// `redisProtocolToLuaType`); callers outside Lua get its text. Error replies are thrown as
// `RedisReplyError`, except inside arrays, where they are elements.

import { AssertionError } from '../../src/assert.ts';

/** A `+STATUS` reply. */
export class StatusReply {
  constructor(
    /** The status text, e.g. `'OK'`, `'PONG'`. */
    readonly text: string,
  ) {}
}

/** An error reply (`-ERR ...`); `message` is the whole error line without the leading `-`. */
export class RedisReplyError extends Error {
  /** Same name as ioredis's `ReplyError`, so `err.name` checks work on both. */
  override readonly name = 'ReplyError';

  constructor(message: string) {
    // A reply, not a fault of the simulator: no stack trace is captured (a failover makes tens of
    // thousands of MOVED and CLUSTERDOWN replies, and capturing was most of their cost).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/**
 * An `Error` without a stack trace, for what a simulated client reports as an outcome, not a
 * fault of the simulator (`Connection is closed.`, `Too many Cluster redirections`): a failover
 * makes tens of thousands of them, and capturing stacks was most of their cost.
 */
export function clientError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new Error(message);
  Error.stackTraceLimit = limit;
  return error;
}

/** A reply of the simulated node. */
export type Reply = string | number | null | StatusReply | RedisReplyError | Reply[];

/** The shared status `OK`. */
export const OK = new StatusReply('OK');

/** Converts a reply to what ioredis would resolve with: status → its text, errors stay errors. */
export function toClientValue(reply: Reply): unknown {
  if (reply instanceof StatusReply) return reply.text;
  if (Array.isArray(reply)) return reply.map(toClientValue);
  return reply;
}

// Error lines, verbatim from redis-server 7.0 (src/server.c shared objects, src/t_string.c, ...).
export const ERR_NOT_INTEGER = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';
export const ERR_READONLY = "READONLY You can't write against a read only replica.";
export const ERR_MIN_MAX_FLOAT = 'ERR min or max is not a float';
export const ERR_HASH_NOT_INTEGER = 'ERR hash value is not an integer';
export const ERR_INCR_OVERFLOW = 'ERR increment or decrement would overflow';

/** `ERR wrong number of arguments for '<name>' command` (lower-case name, as the command table spells it). */
export function wrongArity(name: string): RedisReplyError {
  return new RedisReplyError(`ERR wrong number of arguments for '${name}' command`);
}

/** `ERR unknown command ...` exactly as src/server.c processCommand formats it. */
export function unknownCommand(args: readonly string[]): RedisReplyError {
  const rest = args
    .slice(1)
    .map((a) => `'${a.slice(0, 128)}' `)
    .join('');
  return new RedisReplyError(
    `ERR unknown command '${(args[0] ?? '').slice(0, 128)}', with args beginning with: ${rest}`,
  );
}

/**
 * Formats a double like C's `%.<precision>g`. redis-server 7.0 uses `%.17g` for sorted-set scores
 * and for Lua numbers passed to `redis.call` (src/script_lua.c): `1/3` → `0.33333333333333331`,
 * `5` → `5`; Lua 5.1 prints numbers with `%.14g` (LUA_NUMBER_FMT).
 */
export function formatDouble(x: number, precision = 17): string {
  if (Number.isNaN(x)) return precision === 17 ? 'nan' : x < 0 ? '-nan' : 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 10 ** precision) return Object.is(x, -0) ? '-0' : String(x);
  const [mantissa = '0', exponentText = '0'] = x.toExponential(precision - 1).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= precision) {
    const sign = exponent < 0 ? '-' : '+';
    return `${stripFraction(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return stripFraction(x.toFixed(precision - 1 - exponent));
}

function stripFraction(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses a 64-bit signed integer the way src/util.c `string2ll` does: optional `-`, digits, no
 * leading zeros, no `+`, no spaces, within int64. Returns undefined when it is not one.
 */
export function parseInteger(s: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

/** `parseInteger` for arguments that must fit a JS number (timeouts, counts); throws Redis's error. */
export function integerArg(s: string): number {
  const n = parseInteger(s);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return Number(n);
}

/** True when `n` is within int64. */
export function inInt64(n: bigint): boolean {
  return n <= INT64_MAX && n >= INT64_MIN;
}

/**
 * Parses a double the way src/util.c `string2d` / strtod accepts it: decimal or exponent form,
 * `inf`/`infinity` with an optional sign; no spaces, no NaN. Hex floats are not accepted here
 * (strtod would), a documented gap. Returns undefined when it is not one.
 */
export function parseDouble(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s))
    return s.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return undefined;
  return Number(s);
}

/**
 * Argument `i` of a command whose arity (or the handler's own bound check) guarantees it exists;
 * a missing one is a bug in the simulated node, never a client error.
 */
export function arg(args: readonly string[], i: number): string {
  const value = args[i];
  if (value === undefined) throw new AssertionError(`argument ${i} of ${args[0] ?? 'a command'} is missing`);
  return value;
}

// Sorted-set commands of the simulated node, as redis-server 7.0 runs them (src/t_zset.c): ZADD
// with every flag (INCR included), ZINCRBY, the ZRANGE family (rank, BYSCORE, BYLEX, REV, LIMIT,
// WITHSCORES), ZCOUNT, and the order of their error replies.

import { byteLength } from '../bytes.ts';
import { type CommandRow, ONE_KEY } from '../command-spec.ts';
import type { Keyspace, RedisValue } from '../keyspace.ts';
import { parseDouble, parseRangeDouble } from '../numbers.ts';
import {
  arg,
  ERR_MIN_MAX_FLOAT,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  formatDouble,
  parseInteger,
  RedisReplyError,
  type Reply,
} from '../reply.ts';

type Zset = Extract<RedisValue, { type: 'zset' }>;

/** src/redis.conf defaults: zset-max-listpack-entries 128, zset-max-listpack-value 64. */
const LISTPACK_MAX_ENTRIES = 128;
const LISTPACK_MAX_VALUE = 64;

/**
 * Byte order of two strings as their UTF-8 encodings compare (memcmp in Redis), without encoding:
 * UTF-16 order differs only where a surrogate meets a code unit at or above U+E000.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Members in Redis order: by score, then by member bytes. */
function sortedMembers(zset: Map<string, number>): [string, number][] {
  return [...zset].sort(([ma, sa], [mb, sb]) => (sa < sb ? -1 : sa > sb ? 1 : compareBytes(ma, mb)));
}

/**
 * Stores a score the way the set's encoding keeps it: a listpack stores -0 as the integer 0.
 * `added`: the member is new, so the map appends it (else it keeps its place with a new score).
 */
function store(zset: Zset, member: string, score: number, added: boolean): void {
  zset.value.set(member, !zset.skiplist && score === 0 ? 0 : score);
  if (score < zset.lowScore) zset.lowScore = score;
  if (!added) zset.inOrder = false;
  else if (score < zset.lastScore) zset.inOrder = false;
  zset.lastScore = score;
}

/**
 * src/t_zset.c zaddGenericCommand + zsetAdd (ZINCRBY is ZADD INCR): options, then pairs, then
 * the flag conflicts, then every score is parsed (string2d) before the key is looked up.
 */
function zadd(ks: Keyspace, args: readonly string[], incrCommand: boolean): Reply {
  const key = arg(args, 1);
  let i = 2;
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  let ch = false;
  let incr = incrCommand;
  for (; i < args.length; i++) {
    const raw = arg(args, i);
    // Every option starts with a letter, a score mostly with a digit or a sign: that ends the
    // scan without an upper-case copy (inf, like any other word, is still compared).
    if (!startsWithLetter(raw)) break;
    const opt = raw.toUpperCase();
    if (opt === 'NX') nx = true;
    else if (opt === 'XX') xx = true;
    else if (opt === 'CH') ch = true;
    else if (opt === 'INCR') incr = true;
    else if (opt === 'GT') gt = true;
    else if (opt === 'LT') lt = true;
    else break;
  }
  const rest = args.length - i;
  if (rest === 0 || rest % 2 !== 0) throw new RedisReplyError(ERR_SYNTAX);
  if (nx && xx) throw new RedisReplyError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt))
    throw new RedisReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && rest > 2) throw new RedisReplyError('ERR INCR option supports a single increment-element pair');
  // Scores by pair: pair k is (scores[k], args[i + 2k + 1]); one pair (the usual ZADD) needs no array.
  const pairs = rest / 2;
  const first = parseDouble(arg(args, i));
  if (first === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
  let scores: number[] | undefined;
  if (pairs > 1) {
    scores = [first];
    for (let j = i + 2; j < args.length; j += 2) {
      const score = parseDouble(arg(args, j));
      if (score === undefined) throw new RedisReplyError(ERR_NOT_FLOAT);
      scores.push(score);
    }
  }
  let zset = ks.typed(key, 'zset');
  let added = 0;
  let updated = 0;
  let processed = 0;
  let last = 0;
  if (zset === undefined && !xx) {
    zset = {
      type: 'zset',
      value: new Map(),
      skiplist: byteLength(arg(args, i + 1)) > LISTPACK_MAX_VALUE,
      inOrder: true,
      lastScore: Number.NEGATIVE_INFINITY,
      lowScore: Number.POSITIVE_INFINITY,
    };
    ks.write(key, zset);
  }
  for (let k = 0; zset !== undefined && k < pairs; k++) {
    let score = k === 0 ? first : (scores?.[k] as number);
    const member = arg(args, i + 2 * k + 1);
    const current = zset.value.get(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        score += current;
        if (Number.isNaN(score)) {
          if (added + updated > 0) ks.effects.push([...args]);
          throw new RedisReplyError('ERR resulting score is not a number (NaN)');
        }
      }
      if ((lt && score >= current) || (gt && score <= current)) continue;
      processed++;
      last = score;
      if (score !== current) {
        store(zset, member, score, false);
        updated++;
      }
    } else if (!xx) {
      if (
        !zset.skiplist &&
        (zset.value.size + 1 > LISTPACK_MAX_ENTRIES || byteLength(member) > LISTPACK_MAX_VALUE)
      )
        zset.skiplist = true;
      store(zset, member, score, true);
      processed++;
      last = score;
      added++;
    }
  }
  if (added + updated > 0) ks.propagate(args);
  if (incr) return processed > 0 ? formatDouble(last) : null;
  return ch ? added + updated : added;
}

function zscore(ks: Keyspace, key: string, member: string): Reply {
  const score = ks.typed(key, 'zset')?.value.get(member);
  return score === undefined ? null : formatDouble(score);
}

function zrem(ks: Keyspace, args: readonly string[]): Reply {
  const key = arg(args, 1);
  const zset = ks.typed(key, 'zset');
  if (zset === undefined) return 0;
  let n = 0;
  for (const m of args.slice(2)) if (zset.value.delete(m)) n++;
  if (zset.value.size === 0) ks.remove(key);
  if (n > 0) ks.effects.push([...args]);
  return n;
}

interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minex: boolean;
  readonly maxex: boolean;
}

/**
 * False when `text` starts with an ASCII character that is not a letter: no upper-case form of it
 * is an option (each starts with a letter). A non-ASCII first character is let through, as
 * toUpperCase may map it to an ASCII letter.
 */
function startsWithLetter(text: string): boolean {
  const c = text.charCodeAt(0);
  if (c >= 0x80) return true;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/** src/t_zset.c zslParseRange: `(` opens a bound; strtod on the rest (so '' and '(' are 0). */
function parseScoreRange(minText: string, maxText: string): ScoreRange {
  const minex = minText.startsWith('(');
  const maxex = maxText.startsWith('(');
  return { min: scoreBound(minText, minex), max: scoreBound(maxText, maxex), minex, maxex };
}

// One bound's value (`open`: it starts with `(`). A module function, not a closure made per call:
// under tsx (esbuild keepNames) a named closure costs a `name` property definition each time.
function scoreBound(text: string, open: boolean): number {
  const value = parseRangeDouble(open ? text.slice(1) : text);
  if (value === undefined || Number.isNaN(value)) throw new RedisReplyError(ERR_MIN_MAX_FLOAT);
  return value;
}

const gteMin = (s: number, r: ScoreRange) => (r.minex ? s > r.min : s >= r.min);
const lteMax = (s: number, r: ScoreRange) => (r.maxex ? s < r.max : s <= r.max);

type LexBound =
  | { readonly kind: 'min' | 'max' }
  | { readonly kind: 'value'; readonly value: string; readonly ex: boolean };

/** src/t_zset.c zslParseLexRangeItem: `-`, `+`, `(value` or `[value`. */
function parseLexBound(text: string): LexBound {
  if (text === '+') return { kind: 'max' };
  if (text === '-') return { kind: 'min' };
  if (text.startsWith('(') || text.startsWith('['))
    return { kind: 'value', value: text.slice(1), ex: text.startsWith('(') };
  throw new RedisReplyError('ERR min or max not valid string range item');
}

function lexGteMin(m: string, min: LexBound): boolean {
  if (min.kind !== 'value') return min.kind === 'min';
  const c = compareBytes(m, min.value);
  return min.ex ? c > 0 : c >= 0;
}

function lexLteMax(m: string, max: LexBound): boolean {
  if (max.kind !== 'value') return max.kind === 'max';
  const c = compareBytes(m, max.value);
  return max.ex ? c < 0 : c <= 0;
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';

/**
 * src/t_zset.c zrangeGenericCommand: ZRANGE (with BYSCORE / BYLEX / REV / LIMIT / WITHSCORES) and
 * ZRANGEBYSCORE (BYSCORE fixed, forward fixed: REV, BYSCORE, BYLEX are syntax errors there).
 */
function zrange(ks: Keyspace, args: readonly string[], fixed: RangeType): Reply {
  let type: RangeType = fixed;
  let reverse: boolean | undefined = fixed === 'auto' ? undefined : false;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < args.length; j++) {
    const opt = arg(args, j).toUpperCase();
    const left = args.length - j - 1;
    if (opt === 'WITHSCORES') withScores = true;
    else if (opt === 'LIMIT' && left >= 2) {
      offset = integer(arg(args, j + 1));
      limit = integer(arg(args, j + 2));
      j += 2;
    } else if (reverse === undefined && opt === 'REV') reverse = true;
    else if (type === 'auto' && opt === 'BYLEX') type = 'lex';
    else if (type === 'auto' && opt === 'BYSCORE') type = 'score';
    else throw new RedisReplyError(ERR_SYNTAX);
  }
  const rev = reverse === true;
  const rangeType = type === 'auto' ? 'rank' : type;
  if (limit !== -1 && rangeType === 'rank')
    throw new RedisReplyError(
      'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
    );
  if (withScores && rangeType === 'lex')
    throw new RedisReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  const [minText, maxText] =
    rev && rangeType !== 'rank' ? [arg(args, 3), arg(args, 2)] : [arg(args, 2), arg(args, 3)];
  let select: (sorted: [string, number][]) => [string, number][];
  if (rangeType === 'rank') {
    const start = integer(minText);
    const end = integer(maxText);
    select = (sorted) => byRank(sorted, start, end, rev);
  } else if (rangeType === 'score') {
    const range = parseScoreRange(minText, maxText);
    select = (sorted) =>
      page(
        scan(
          sorted,
          rev,
          (s) => gteMin(s[1], range) && lteMax(s[1], range),
          (s) => (rev ? gteMin(s[1], range) : lteMax(s[1], range)),
        ),
        offset,
        limit,
      );
  } else {
    const min = parseLexBound(minText);
    const max = parseLexBound(maxText);
    select = (sorted) => page(scanLex(sorted, rev, min, max), offset, limit);
  }
  const zset = ks.typed(arg(args, 1), 'zset');
  if (zset === undefined) return [];
  if (rangeType !== 'rank' && offset > 0 && offset >= zset.value.size) return [];
  const chosen = select(sortedMembers(zset.value));
  return withScores ? chosen.flatMap(([m, s]) => [m, formatDouble(s)]) : chosen.map(([m]) => m);
}

function integer(text: string): number {
  const n = parseInteger(text);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return Number(n);
}

/** src/t_zset.c genericZrangebyrankCommand: negative indexes from the end, clamped. */
function byRank(
  sorted: [string, number][],
  startIn: number,
  endIn: number,
  rev: boolean,
): [string, number][] {
  const n = sorted.length;
  let start = startIn < 0 ? n + startIn : startIn;
  let end = endIn < 0 ? n + endIn : endIn;
  if (start < 0) start = 0;
  if (start > end || start >= n) return [];
  if (end >= n) end = n - 1;
  const ordered = rev ? [...sorted].reverse() : sorted;
  return ordered.slice(start, end + 1);
}

/**
 * The listpack/skiplist walk: find the first element (from the end when reversed) that is in
 * range, then keep going while `more` holds.
 */
function scan<T>(sorted: T[], rev: boolean, first: (x: T) => boolean, more: (x: T) => boolean): T[] {
  const ordered = rev ? [...sorted].reverse() : sorted;
  const at = ordered.findIndex(first);
  if (at < 0) return [];
  const out: T[] = [];
  for (let i = at; i < ordered.length; i++) {
    const x = ordered[i] as T;
    if (!more(x)) break;
    out.push(x);
  }
  return out;
}

/** src/t_zset.c zzlFirstInLexRange / zzlLastInLexRange: the first member past one bound decides. */
function scanLex(sorted: [string, number][], rev: boolean, min: LexBound, max: LexBound): [string, number][] {
  const ordered = rev ? [...sorted].reverse() : sorted;
  const entry = ordered.findIndex(([m]) => (rev ? lexLteMax(m, max) : lexGteMin(m, min)));
  if (entry < 0) return [];
  const out: [string, number][] = [];
  for (let i = entry; i < ordered.length; i++) {
    const x = ordered[i] as [string, number];
    if (!(rev ? lexGteMin(x[0], min) : lexLteMax(x[0], max))) break;
    out.push(x);
  }
  return out;
}

/** LIMIT offset count: a negative offset skips everything, a negative count takes the rest. */
function page<T>(items: T[], offset: number, limit: number): T[] {
  if (offset < 0) return [];
  return items.slice(offset, limit < 0 ? undefined : offset + limit);
}

function zcount(ks: Keyspace, args: readonly string[]): Reply {
  const range = parseScoreRange(arg(args, 2), arg(args, 3));
  const zset = ks.typed(arg(args, 1), 'zset');
  if (zset === undefined) return 0;
  let n = 0;
  for (const s of zset.value.values()) if (gteMin(s, range) && lteMax(s, range)) n++;
  return n;
}

function zremrangebyscore(ks: Keyspace, args: readonly string[]): Reply {
  const range = parseScoreRange(arg(args, 2), arg(args, 3));
  const key = arg(args, 1);
  const zset = ks.typed(key, 'zset');
  if (zset === undefined) return 0;
  // A range ending below every score holds no member (zslDeleteRangeByScore deletes nothing, and
  // the in-order walk below would stop at the first entry): nothing to walk. A sliding-window log
  // trims entries older than the window, and mostly there are none yet.
  if (zset.inOrder && !lteMax(zset.lowScore, range)) return 0;
  let n = 0;
  // Deleting the entry being visited is safe in a Map iteration (ECMA-262 Map.prototype.forEach:
  // deleted entries are not visited, the others are), so the set is not copied. Scores in
  // order end the walk at the first one past the range (src/t_zset.c zslDeleteRangeByScore
  // walks the sorted skiplist from the first in range to the first past it).
  // A walk of the whole set learns whether what stays is in order again.
  const inOrder = zset.inOrder;
  let kept = Number.NEGATIVE_INFINITY;
  let keptInOrder = true;
  // In order, the first entry kept holds the lowest score left.
  let low = Number.NaN;
  for (const [member, score] of zset.value) {
    if (gteMin(score, range) && lteMax(score, range)) {
      zset.value.delete(member);
      n++;
    } else if (inOrder) {
      if (Number.isNaN(low)) low = score;
      if (!lteMax(score, range)) break;
    } else {
      if (score < kept) keptInOrder = false;
      kept = score;
    }
  }
  if (!inOrder && keptInOrder) {
    zset.inOrder = true;
    zset.lastScore = kept;
  }
  if (inOrder && !Number.isNaN(low)) zset.lowScore = low;
  if (zset.value.size === 0) ks.remove(key);
  if (n > 0) ks.propagate(args);
  return n;
}

export const ZSET_ROWS: CommandRow[] = [
  ['zadd', -4, true, ONE_KEY, (ks, a) => zadd(ks, a, false)],
  ['zincrby', 4, true, ONE_KEY, (ks, a) => zadd(ks, a, true)],
  ['zcard', 2, false, ONE_KEY, (ks, a) => ks.typed(arg(a, 1), 'zset')?.value.size ?? 0],
  ['zscore', 3, false, ONE_KEY, (ks, a) => zscore(ks, arg(a, 1), arg(a, 2))],
  ['zrem', -3, true, ONE_KEY, (ks, a) => zrem(ks, a)],
  ['zrange', -4, false, ONE_KEY, (ks, a) => zrange(ks, a, 'auto')],
  ['zrangebyscore', -4, false, ONE_KEY, (ks, a) => zrange(ks, a, 'score')],
  ['zcount', 4, false, ONE_KEY, (ks, a) => zcount(ks, a)],
  ['zremrangebyscore', 4, true, ONE_KEY, (ks, a) => zremrangebyscore(ks, a)],
];

// List commands of the simulated node, as redis-server 7.0 runs them (src/t_list.c): LPUSH/RPUSH,
// LPOP/RPOP with an optional count, LRANGE, LLEN, LTRIM (a capped chat history is LPUSH + LTRIM).
import { type CommandRow, ONE_KEY } from '../command-spec.ts';
import type { Keyspace } from '../keyspace.ts';
import { arg, ERR_NOT_INTEGER, OK, parseInteger, RedisReplyError, type Reply, wrongArity } from '../reply.ts';

function push(ks: Keyspace, args: readonly string[], head: boolean): Reply {
  const key = arg(args, 1);
  let list = ks.typed(key, 'list');
  if (list === undefined) {
    list = { type: 'list', value: [] };
    ks.write(key, list);
  }
  const items = args.slice(2);
  if (head) list.value.unshift(...items.reverse());
  else list.value.push(...items);
  ks.effects.push([...args]);
  return list.value.length;
}

/**
 * src/t_list.c popGenericCommand: more than one count argument is an arity error; the count must
 * be a non-negative integer (`value is out of range, must be positive`) and is checked before the
 * key; with a count a missing key is a nil array and a count of 0 an empty one.
 */
function pop(ks: Keyspace, args: readonly string[], head: boolean): Reply {
  if (args.length > 3) throw wrongArity(arg(args, 0).toLowerCase());
  const hasCount = args.length === 3;
  let count = 0;
  if (hasCount) {
    const n = parseInteger(arg(args, 2));
    if (n === undefined || n < 0n) throw new RedisReplyError('ERR value is out of range, must be positive');
    count = Number(n);
  }
  const key = arg(args, 1);
  const list = ks.typed(key, 'list');
  if (list === undefined) return null;
  if (hasCount && count === 0) return [];
  const n = hasCount ? Math.min(count, list.value.length) : 1;
  const popped = head ? list.value.splice(0, n) : list.value.splice(list.value.length - n, n).reverse();
  if (list.value.length === 0) ks.remove(key);
  ks.effects.push([...args]);
  return hasCount ? popped : (popped[0] ?? null);
}

function index(text: string): number {
  const n = parseInteger(text);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return Number(n);
}

/** src/t_list.c addListRangeReply: negative indexes from the end, clamped, empty when start > end. */
function bounds(length: number, startIn: number, endIn: number): [number, number] | undefined {
  let start = startIn < 0 ? length + startIn : startIn;
  let end = endIn < 0 ? length + endIn : endIn;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return [start, end];
}

function lrange(ks: Keyspace, args: readonly string[]): Reply {
  const start = index(arg(args, 2));
  const end = index(arg(args, 3));
  const list = ks.typed(arg(args, 1), 'list');
  if (list === undefined) return [];
  const range = bounds(list.value.length, start, end);
  return range === undefined ? [] : list.value.slice(range[0], range[1] + 1);
}

/** src/t_list.c ltrimCommand: indexes parsed before the key; an emptied list is deleted. */
function ltrim(ks: Keyspace, args: readonly string[]): Reply {
  const start = index(arg(args, 2));
  const end = index(arg(args, 3));
  const key = arg(args, 1);
  const list = ks.typed(key, 'list');
  if (list === undefined) return OK;
  const range = bounds(list.value.length, start, end);
  const before = list.value.length;
  if (range === undefined) list.value.length = 0;
  else {
    list.value.splice(range[1] + 1);
    list.value.splice(0, range[0]);
  }
  if (list.value.length === 0) ks.remove(key);
  if (list.value.length !== before) ks.effects.push([...args]);
  return OK;
}

export const LIST_ROWS: CommandRow[] = [
  ['lpush', -3, true, ONE_KEY, (ks, a) => push(ks, a, true)],
  ['rpush', -3, true, ONE_KEY, (ks, a) => push(ks, a, false)],
  ['lpop', -2, true, ONE_KEY, (ks, a) => pop(ks, a, true)],
  ['rpop', -2, true, ONE_KEY, (ks, a) => pop(ks, a, false)],
  ['lrange', 4, false, ONE_KEY, (ks, a) => lrange(ks, a)],
  ['llen', 2, false, ONE_KEY, (ks, a) => ks.typed(arg(a, 1), 'list')?.value.length ?? 0],
  ['ltrim', 4, true, ONE_KEY, (ks, a) => ltrim(ks, a)],
];

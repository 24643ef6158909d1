// Where a cluster node routes a client command: the hash slot its keys share (for EVAL/EVALSHA
// the declared KEYS), as src/cluster.c getNodeByQuery finds it before it checks the cluster state
// and the slot's owner (cluster.ts).
import { keyHashSlot } from '../../src/ports/redis-slots.ts';
import { lastKeyIndex } from './command-spec.ts';
import { arityOk } from './keyspace.ts';
import type { NodeCommandSpec } from './node.ts';
import { RedisReplyError } from './reply.ts';

/** {@link commandSlot}: a keyed command that names no key (EVAL with 0 keys, DBSIZE). */
export const NO_KEY = -1;
/** {@link commandSlot}: not a keyed command (unknown, or a wrong arity: the node answers it). */
export const NOT_KEYED = -2;

/**
 * The slot every key of a command hashes to (for EVAL/EVALSHA the declared KEYS), NO_KEY or
 * NOT_KEYED; throws CROSSSLOT when two keys hash to different slots (src/cluster.c getNodeByQuery).
 */
export function commandSlot(spec: NodeCommandSpec, args: readonly string[]): number {
  let first: number;
  let last: number;
  let step = 1;
  if (spec.name === 'eval' || spec.name === 'evalsha') {
    const n = Number(args[2]);
    if (!Number.isInteger(n) || n < 0) return NO_KEY;
    first = 3;
    last = 2 + n;
  } else {
    if (spec.run === undefined || !arityOk(spec, args.length)) return NOT_KEYED;
    if (spec.keys === undefined) return NO_KEY;
    first = spec.keys.first;
    last = lastKeyIndex(spec.keys, args.length);
    step = spec.keys.step;
  }
  if (last >= args.length) last = args.length - 1;
  if (first > last) return NO_KEY;
  const slot = keyHashSlot(args[first] as string);
  for (let i = first + step; i <= last; i += step) {
    if (keyHashSlot(args[i] as string) !== slot)
      throw new RedisReplyError("CROSSSLOT Keys in request don't hash to the same slot");
  }
  return slot;
}

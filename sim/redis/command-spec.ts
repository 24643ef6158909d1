// The shape of the simulated node's command table (src/commands/*.json in redis/redis 7.0): arity,
// write flag, key positions and handler, and the two questions asked of it (arity, keys).
import type { Keyspace } from './keyspace.ts';
import type { Reply } from './reply.ts';

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

/** One key at argument 1. */
export const ONE_KEY: KeySpec = { first: 1, last: 1, step: 1 };
/** Every argument from 1 on is a key. */
export const ALL_KEYS: KeySpec = { first: 1, last: -1, step: 1 };

/** A row of the command table (src/commands/*.json): name, arity, write flag, keys, handler. */
export type CommandRow = [
  name: string,
  arity: number,
  write: boolean,
  keys: KeySpec | undefined,
  run: CommandSpec['run'],
];

/** True when `args` has the arity `spec` demands. */
export function arityOk(spec: { readonly arity: number }, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/**
 * A command name as the command table spells it (lower case). Clients send `GET`, `EVALSHA`:
 * the lower-case form of each spelling is made once and remembered (a bounded table: names are
 * a small vocabulary, and a name past the bound is simply lowered again each time).
 */
export function commandName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < LOWER_NAMES_MAX) lowerNames.set(name, lower);
  }
  return lower;
}

const lowerNames = new Map<string, string>();
const LOWER_NAMES_MAX = 1024;

/**
 * A lookup of `table` (keyed by lower-case names) by any spelling of a name: the entry of each
 * spelling is remembered (a bounded table, as {@link commandName}), so a command is found with
 * one map probe and without lowering its name again.
 */
export function spellingLookup<T extends object>(
  table: ReadonlyMap<string, T>,
): (spelling: string) => T | undefined {
  const memo = new Map<string, T | null>();
  return (spelling) => {
    let found = memo.get(spelling);
    if (found === undefined) {
      found = table.get(spelling.toLowerCase()) ?? null;
      if (memo.size < LOWER_NAMES_MAX) memo.set(spelling, found);
    }
    return found ?? undefined;
  };
}

/**
 * The index of the last key argument of a command given `argc` arguments, per its key spec (a
 * negative `last` counts from the end, as src/commands/*.json key specs do); the keys are at
 * `first`, `first + step`, ... up to it (and below `argc`).
 */
export function lastKeyIndex(keys: KeySpec, argc: number): number {
  return keys.last < 0 ? argc + keys.last : keys.last;
}

/** The first key a command names (what routes it in a cluster), or undefined when it names none. */
export function firstKey(
  spec: { readonly keys: KeySpec | undefined },
  args: readonly string[],
): string | undefined {
  if (spec.keys === undefined) return undefined;
  const { first } = spec.keys;
  return first <= lastKeyIndex(spec.keys, args.length) && first < args.length ? args[first] : undefined;
}

/**
 * Redis as components use it: the subset of ioredis's own method signatures that the project
 * calls, so that an ioredis client, an ioredis `Cluster` and ioredis-mock satisfy it as they are
 * (test/src/ports/redis-port.types.test.ts proves it at compile time), and the simulated node and
 * cluster (sim/redis/) implement it too. Replies follow redis-server 7 as ioredis delivers them:
 * `null` for a missing key, integers as numbers, `'OK'` for successful writes, errors as rejections
 * whose message is the server's error line (e.g. `WRONGTYPE Operation against a key holding the
 * wrong kind of value`).
 *
 * Pub/sub is not here: a connection in subscriber mode can run no other command (ioredis needs a
 * separate connection), so subscriptions go through {@link RedisSubscriber} instead.
 */
export interface RedisPort {
  /** GET: the string value, or `null` when the key is missing or expired. */
  get(key: RedisKey): Promise<string | null>;
  /** SET without options: always `'OK'`. */
  set(key: RedisKey, value: RedisArg): Promise<'OK'>;
  /** SET with a relative TTL (`EX` seconds, `PX` milliseconds). */
  set(key: RedisKey, value: RedisArg, secondsToken: 'EX', seconds: number | string): Promise<'OK'>;
  set(key: RedisKey, value: RedisArg, millisecondsToken: 'PX', milliseconds: number | string): Promise<'OK'>;
  /** SET NX: `'OK'` when written, `null` when the key already existed. */
  set(key: RedisKey, value: RedisArg, nx: 'NX'): Promise<'OK' | null>;
  set(
    key: RedisKey,
    value: RedisArg,
    secondsToken: 'EX',
    seconds: number | string,
    nx: 'NX',
  ): Promise<'OK' | null>;
  set(
    key: RedisKey,
    value: RedisArg,
    millisecondsToken: 'PX',
    milliseconds: number | string,
    nx: 'NX',
  ): Promise<'OK' | null>;
  /** DEL: how many of the keys existed. */
  del(...keys: RedisKey[]): Promise<number>;
  /** EXISTS: how many of the keys exist (a key named twice counts twice). */
  exists(...keys: RedisKey[]): Promise<number>;
  /** INCR: the value after the increment. */
  incr(key: RedisKey): Promise<number>;
  /** INCRBY: the value after adding `increment`. */
  incrby(key: RedisKey, increment: number | string): Promise<number>;
  /** EXPIRE in seconds: 1 when the timeout was set, 0 when the key does not exist. */
  expire(key: RedisKey, seconds: number | string): Promise<number>;
  /** PEXPIRE in milliseconds: 1 when set, 0 when the key does not exist. */
  pexpire(key: RedisKey, milliseconds: number | string): Promise<number>;
  /** TTL in seconds (rounded to nearest), -1 without expiry, -2 when missing. */
  ttl(key: RedisKey): Promise<number>;
  /** PTTL in milliseconds, -1 without expiry, -2 when missing. */
  pttl(key: RedisKey): Promise<number>;
  /** EVAL: the script's reply after Redis's Lua-to-RESP conversion. */
  eval(script: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown>;
  /** EVALSHA: like EVAL for a cached script; rejects with `NOSCRIPT ...` when the node lacks it. */
  evalsha(sha1: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown>;
  /** SCRIPT LOAD: the script's SHA1 (hex) once cached on the node. */
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
  /** HGET: the field's value or `null`. */
  hget(key: RedisKey, field: string): Promise<string | null>;
  /** HSET field value [field value ...]: how many fields were added (not updated). */
  hset(key: RedisKey, ...fieldValues: RedisArg[]): Promise<number>;
  /** HDEL: how many fields were removed. */
  hdel(key: RedisKey, ...fields: string[]): Promise<number>;
  /** HGETALL: every field and value (`{}` when the key is missing). */
  hgetall(key: RedisKey): Promise<Record<string, string>>;
  /** ZADD score member [score member ...]: how many members were added. */
  zadd(key: RedisKey, ...scoreMembers: RedisArg[]): Promise<number>;
  /** ZRANGEBYSCORE min max (`(` exclusive, `-inf`/`+inf`): members in score order. */
  zrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<string[]>;
  /** ZREMRANGEBYSCORE min max: how many members were removed. */
  zremrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<number>;
  /** ZCARD: number of members (0 when missing). */
  zcard(key: RedisKey): Promise<number>;
  /** PUBLISH: how many subscribers received the message (on a cluster: on the node asked). */
  publish(channel: string, message: string): Promise<number>;
}

/**
 * A subscription helper (not an ioredis signature): ioredis needs a dedicated connection in
 * subscriber mode, the simulated node delivers in-process. `subscribe` resolves once the
 * subscription is active; the returned function ends it.
 */
export interface RedisSubscriber {
  /** Calls `onMessage` for each message PUBLISHed to `channel` after the returned promise resolves. */
  subscribe(
    channel: string,
    onMessage: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>>;
}

export type RedisKey = string;
export type RedisArg = string | number;

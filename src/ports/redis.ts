/**
 * Redis as components use it: the subset of ioredis's own method signatures that the project
 * calls, so that an ioredis client, an ioredis `Cluster` and ioredis-mock satisfy it as they are,
 * and the simulated node and cluster (sim/redis/) implement it too. Replies follow redis-server 7:
 * `null` for a missing key, integers as numbers, `'OK'` for successful writes.
 */
export interface RedisPort {
  get(key: RedisKey): Promise<string | null>;
  set(key: RedisKey, value: string | number): Promise<'OK'>;
  set(key: RedisKey, value: string | number, mode: 'PX' | 'EX', ttl: number): Promise<'OK'>;
  del(...keys: RedisKey[]): Promise<number>;
  incr(key: RedisKey): Promise<number>;
  expire(key: RedisKey, seconds: number): Promise<number>;
  pexpire(key: RedisKey, milliseconds: number): Promise<number>;
  ttl(key: RedisKey): Promise<number>;
  pttl(key: RedisKey): Promise<number>;
  eval(script: string, numKeys: number, ...args: RedisArg[]): Promise<unknown>;
  evalsha(sha1: string, numKeys: number, ...args: RedisArg[]): Promise<unknown>;
}

export type RedisKey = string;
export type RedisArg = string | number;

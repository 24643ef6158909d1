// The RedisPort methods over one `command(args)` primitive, shared by the simulated node and the
// simulated cluster's client: each method sends the command as ioredis would spell it.
import type { RedisArg, RedisKey, RedisPort } from '../../src/ports/redis.ts';

/** RedisPort implemented over an abstract `command`. */
export abstract class CommandPort implements RedisPort {
  /** Sends one command and resolves with the reply as ioredis would (status as text, errors rejected). */
  abstract command(args: readonly RedisArg[]): Promise<unknown>;

  get(key: RedisKey): Promise<string | null> {
    return this.command(['GET', key]) as Promise<string | null>;
  }
  set(key: RedisKey, value: RedisArg): Promise<'OK'>;
  set(key: RedisKey, value: RedisArg, secondsToken: 'EX', seconds: number | string): Promise<'OK'>;
  set(key: RedisKey, value: RedisArg, millisecondsToken: 'PX', milliseconds: number | string): Promise<'OK'>;
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
  set(key: RedisKey, value: RedisArg, ...options: (string | number)[]): Promise<'OK' | null> {
    return this.command(['SET', key, value, ...options]) as Promise<'OK' | null>;
  }
  del(...keys: RedisKey[]): Promise<number> {
    return this.command(['DEL', ...keys]) as Promise<number>;
  }
  exists(...keys: RedisKey[]): Promise<number> {
    return this.command(['EXISTS', ...keys]) as Promise<number>;
  }
  incr(key: RedisKey): Promise<number> {
    return this.command(['INCR', key]) as Promise<number>;
  }
  incrby(key: RedisKey, increment: number | string): Promise<number> {
    return this.command(['INCRBY', key, increment]) as Promise<number>;
  }
  expire(key: RedisKey, seconds: number | string): Promise<number> {
    return this.command(['EXPIRE', key, seconds]) as Promise<number>;
  }
  pexpire(key: RedisKey, milliseconds: number | string): Promise<number> {
    return this.command(['PEXPIRE', key, milliseconds]) as Promise<number>;
  }
  ttl(key: RedisKey): Promise<number> {
    return this.command(['TTL', key]) as Promise<number>;
  }
  pttl(key: RedisKey): Promise<number> {
    return this.command(['PTTL', key]) as Promise<number>;
  }
  eval(script: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown> {
    return this.command(['EVAL', script, numkeys, ...args]);
  }
  evalsha(sha1: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown> {
    return this.command(['EVALSHA', sha1, numkeys, ...args]);
  }
  script(subcommand: 'LOAD', script: string): Promise<unknown> {
    return this.command(['SCRIPT', subcommand, script]);
  }
  hget(key: RedisKey, field: string): Promise<string | null> {
    return this.command(['HGET', key, field]) as Promise<string | null>;
  }
  hset(key: RedisKey, ...fieldValues: RedisArg[]): Promise<number> {
    return this.command(['HSET', key, ...fieldValues]) as Promise<number>;
  }
  hdel(key: RedisKey, ...fields: string[]): Promise<number> {
    return this.command(['HDEL', key, ...fields]) as Promise<number>;
  }
  async hgetall(key: RedisKey): Promise<Record<string, string>> {
    const flat = (await this.command(['HGETALL', key])) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
    return out;
  }
  zadd(key: RedisKey, ...scoreMembers: RedisArg[]): Promise<number> {
    return this.command(['ZADD', key, ...scoreMembers]) as Promise<number>;
  }
  zrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<string[]> {
    return this.command(['ZRANGEBYSCORE', key, min, max]) as Promise<string[]>;
  }
  zremrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<number> {
    return this.command(['ZREMRANGEBYSCORE', key, min, max]) as Promise<number>;
  }
  zcard(key: RedisKey): Promise<number> {
    return this.command(['ZCARD', key]) as Promise<number>;
  }
  publish(channel: string, message: string): Promise<number> {
    return this.command(['PUBLISH', channel, message]) as Promise<number>;
  }
  /** DBSIZE: keys not yet expired. */
  dbsize(): Promise<number> {
    return this.command(['DBSIZE']) as Promise<number>;
  }
}

// The RedisPort methods over one `command(args)` primitive, shared by the simulated node and the
// simulated cluster's client: each method sends the command as ioredis would spell it.
import type { RedisArg, RedisKey, RedisPort } from '../../src/ports/redis.ts';

/** RedisPort implemented over an abstract `commandArgv`. */
export abstract class CommandPort implements RedisPort {
  /** Sends one command and resolves with the reply as ioredis would (status as text, errors rejected). */
  command(args: readonly RedisArg[]): Promise<unknown> {
    return this.commandArgv(args.map(String));
  }

  /**
   * `command` for arguments already spelled as strings, in an array the port may keep (the
   * methods below build each one fresh, so no copy is made per command).
   */
  protected abstract commandArgv(argv: readonly string[]): Promise<unknown>;

  get(key: RedisKey): Promise<string | null> {
    return this.commandArgv(['GET', str(key)]) as Promise<string | null>;
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
    return this.commandArgv(withRest(['SET', str(key), str(value)], options)) as Promise<'OK' | null>;
  }
  del(...keys: RedisKey[]): Promise<number> {
    return this.commandArgv(withRest(['DEL'], keys)) as Promise<number>;
  }
  exists(...keys: RedisKey[]): Promise<number> {
    return this.commandArgv(withRest(['EXISTS'], keys)) as Promise<number>;
  }
  incr(key: RedisKey): Promise<number> {
    return this.commandArgv(['INCR', str(key)]) as Promise<number>;
  }
  incrby(key: RedisKey, increment: number | string): Promise<number> {
    return this.commandArgv(['INCRBY', str(key), str(increment)]) as Promise<number>;
  }
  expire(key: RedisKey, seconds: number | string): Promise<number> {
    return this.commandArgv(['EXPIRE', str(key), str(seconds)]) as Promise<number>;
  }
  pexpire(key: RedisKey, milliseconds: number | string): Promise<number> {
    return this.commandArgv(['PEXPIRE', str(key), str(milliseconds)]) as Promise<number>;
  }
  ttl(key: RedisKey): Promise<number> {
    return this.commandArgv(['TTL', str(key)]) as Promise<number>;
  }
  pttl(key: RedisKey): Promise<number> {
    return this.commandArgv(['PTTL', str(key)]) as Promise<number>;
  }
  eval(script: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown> {
    return this.commandArgv(withRest(['EVAL', str(script), str(numkeys)], args));
  }
  evalsha(sha1: string, numkeys: number | string, ...args: RedisArg[]): Promise<unknown> {
    return this.commandArgv(withRest(['EVALSHA', str(sha1), str(numkeys)], args));
  }
  script(subcommand: 'LOAD', script: string): Promise<unknown> {
    return this.commandArgv(['SCRIPT', str(subcommand), str(script)]);
  }
  hget(key: RedisKey, field: string): Promise<string | null> {
    return this.commandArgv(['HGET', str(key), str(field)]) as Promise<string | null>;
  }
  hset(key: RedisKey, ...fieldValues: RedisArg[]): Promise<number> {
    return this.commandArgv(withRest(['HSET', str(key)], fieldValues)) as Promise<number>;
  }
  hdel(key: RedisKey, ...fields: string[]): Promise<number> {
    return this.commandArgv(withRest(['HDEL', str(key)], fields)) as Promise<number>;
  }
  async hgetall(key: RedisKey): Promise<Record<string, string>> {
    const flat = (await this.commandArgv(['HGETALL', str(key)])) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
    return out;
  }
  zadd(key: RedisKey, ...scoreMembers: RedisArg[]): Promise<number> {
    return this.commandArgv(withRest(['ZADD', str(key)], scoreMembers)) as Promise<number>;
  }
  zrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<string[]> {
    return this.commandArgv(['ZRANGEBYSCORE', str(key), str(min), str(max)]) as Promise<string[]>;
  }
  zremrangebyscore(key: RedisKey, min: number | string, max: number | string): Promise<number> {
    return this.commandArgv(['ZREMRANGEBYSCORE', str(key), str(min), str(max)]) as Promise<number>;
  }
  zcard(key: RedisKey): Promise<number> {
    return this.commandArgv(['ZCARD', str(key)]) as Promise<number>;
  }
  publish(channel: string, message: string): Promise<number> {
    return this.commandArgv(['PUBLISH', str(channel), str(message)]) as Promise<number>;
  }
  /** DBSIZE: keys not yet expired. */
  dbsize(): Promise<number> {
    return this.commandArgv(['DBSIZE']) as Promise<number>;
  }
}

/** An argument as ioredis sends it: its `String` spelling (a string is taken as it is). */
function str(value: RedisArg): string {
  return typeof value === 'string' ? value : String(value);
}

/** `head` followed by every argument of `rest` as a string (`head` is extended in place). */
function withRest(head: string[], rest: readonly RedisArg[]): string[] {
  for (const value of rest) head.push(str(value));
  return head;
}

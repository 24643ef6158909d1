// A tiny in-test Redis on an injected Clock, standing in for the simulated Redis (sim/redis)
// until it lands. It implements only what the cache uses, with redis-server 7's rules:
// - expiry is lazy and strict: a key with expire time `when` exists while `now <= when`
//   (redis/redis src/db.c keyIsExpired: `now > when`);
// - PTTL is `when − now` (never below 0 while the key exists), −2 for a missing key, −1 without TTL
//   (src/expire.c ttlGenericCommand); TTL rounds (ms + 500) / 1000.
// `eval` runs JS twins of the two lease scripts of src/cache/redis-l2.ts, selected by the exact
// script text; the scripts themselves are checked on ioredis-mock and real Redis by the L2 contract
// suite (test/contract/cache-l2.contract.ts), so the twins are only as good as that suite.
import { LEASE_GET_SCRIPT, LEASE_SET_SCRIPT } from '../../../../src/cache/redis-l2.ts';
import type { Clock } from '../../../../src/ports/clock.ts';
import type { RedisArg, RedisKey, RedisPort } from '../../../../src/ports/redis.ts';

interface Slot {
  value: string;
  /** Absolute expire time in clock ms, or undefined for no TTL. */
  when: number | undefined;
}

export class ClockRedis implements RedisPort {
  readonly #data = new Map<string, Slot>();
  /** Commands served, by name (for tests that count round trips). */
  readonly calls = new Map<string, number>();

  constructor(
    readonly clock: Clock,
    /** Virtual latency of every command, in ms (0: resolves in the same tick). */
    readonly latencyMs = 0,
  ) {}

  async #tick(name: string): Promise<void> {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
  }

  #live(key: string): Slot | undefined {
    const slot = this.#data.get(key);
    if (slot === undefined) return undefined;
    if (slot.when !== undefined && this.clock.now() > slot.when) {
      this.#data.delete(key);
      return undefined;
    }
    return slot;
  }

  /** Number of live keys (expired ones are not counted). */
  size(): number {
    let n = 0;
    for (const key of [...this.#data.keys()]) if (this.#live(key)) n++;
    return n;
  }

  async get(key: RedisKey): Promise<string | null> {
    await this.#tick('get');
    return this.#live(key)?.value ?? null;
  }

  set(key: RedisKey, value: RedisArg): Promise<'OK'>;
  set(key: RedisKey, value: RedisArg, mode: 'PX' | 'EX', ttl: number | string): Promise<'OK'>;
  set(key: RedisKey, value: RedisArg, nx: 'NX'): Promise<'OK' | null>;
  set(
    key: RedisKey,
    value: RedisArg,
    mode: 'PX' | 'EX',
    ttl: number | string,
    nx: 'NX',
  ): Promise<'OK' | null>;
  async set(
    key: RedisKey,
    value: RedisArg,
    modeOrNx?: 'PX' | 'EX' | 'NX',
    ttl?: number | string,
    nx?: 'NX',
  ): Promise<'OK' | null> {
    await this.#tick('set');
    const onlyIfAbsent = modeOrNx === 'NX' || nx === 'NX';
    if (onlyIfAbsent && this.#live(key)) return null;
    const mode = modeOrNx === 'NX' ? undefined : modeOrNx;
    this.#setNow(key, String(value), mode, ttl === undefined ? undefined : Number(ttl));
    return 'OK';
  }

  #setNow(key: string, value: string, mode?: 'PX' | 'EX', ttl?: number): void {
    let when: number | undefined;
    if (mode !== undefined) {
      if (!Number.isInteger(ttl) || (ttl as number) <= 0)
        throw new Error("ERR invalid expire time in 'set' command");
      when = this.clock.now() + (mode === 'EX' ? (ttl as number) * 1000 : (ttl as number));
    }
    this.#data.set(key, { value, when });
  }

  async del(...keys: RedisKey[]): Promise<number> {
    await this.#tick('del');
    let n = 0;
    for (const key of keys) if (this.#live(key) && this.#data.delete(key)) n++;
    return n;
  }

  async incr(key: RedisKey): Promise<number> {
    await this.#tick('incr');
    const slot = this.#live(key);
    const next = (slot ? Number(slot.value) : 0) + 1;
    this.#data.set(key, { value: String(next), when: slot?.when });
    return next;
  }

  async expire(key: RedisKey, seconds: number | string): Promise<number> {
    return this.pexpire(key, Number(seconds) * 1000);
  }

  async pexpire(key: RedisKey, milliseconds: number | string): Promise<number> {
    await this.#tick('pexpire');
    const slot = this.#live(key);
    if (!slot) return 0;
    slot.when = this.clock.now() + Number(milliseconds);
    return 1;
  }

  async ttl(key: RedisKey): Promise<number> {
    const ms = await this.pttl(key);
    return ms < 0 ? ms : Math.floor((ms + 500) / 1000);
  }

  async pttl(key: RedisKey): Promise<number> {
    await this.#tick('pttl');
    const slot = this.#live(key);
    if (!slot) return -2;
    if (slot.when === undefined) return -1;
    return Math.max(0, slot.when - this.clock.now());
  }

  async eval(script: string, numKeys: number | string, ...args: RedisArg[]): Promise<unknown> {
    await this.#tick('eval');
    if (Number(numKeys) !== 1) throw new Error('ClockRedis: only single-key scripts are supported');
    const [key, ...argv] = args.map(String) as [string, ...string[]];
    if (script === LEASE_GET_SCRIPT) {
      const slot = this.#live(key);
      if (slot) return slot.value;
      this.#setNow(key, argv[0] as string, 'PX', Number(argv[1]));
      return argv[0];
    }
    if (script === LEASE_SET_SCRIPT) {
      if (this.#live(key)?.value !== argv[0]) return 0;
      this.#setNow(key, argv[1] as string, 'PX', Number(argv[2]));
      return 1;
    }
    throw new Error('ClockRedis: unknown script (only the cache lease scripts have JS twins here)');
  }

  async evalsha(): Promise<unknown> {
    throw new Error('NOSCRIPT No matching script. ClockRedis does not cache scripts.');
  }

  async exists(...keys: RedisKey[]): Promise<number> {
    await this.#tick('exists');
    return keys.filter((key) => this.#live(key)).length;
  }

  // Commands the cache never sends: present for the RedisPort shape, loud if called.
  incrby(): Promise<number> {
    return unsupported('INCRBY');
  }
  script(): Promise<unknown> {
    return unsupported('SCRIPT');
  }
  hget(): Promise<string | null> {
    return unsupported('HGET');
  }
  hset(): Promise<number> {
    return unsupported('HSET');
  }
  hdel(): Promise<number> {
    return unsupported('HDEL');
  }
  hgetall(): Promise<Record<string, string>> {
    return unsupported('HGETALL');
  }
  zadd(): Promise<number> {
    return unsupported('ZADD');
  }
  zrangebyscore(): Promise<string[]> {
    return unsupported('ZRANGEBYSCORE');
  }
  zremrangebyscore(): Promise<number> {
    return unsupported('ZREMRANGEBYSCORE');
  }
  zcard(): Promise<number> {
    return unsupported('ZCARD');
  }
  publish(): Promise<number> {
    return unsupported('PUBLISH');
  }
}

function unsupported(command: string): never {
  throw new Error(`ClockRedis: ${command} is not implemented (the cache does not use it)`);
}

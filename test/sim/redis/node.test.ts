import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { respLength, SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, type Reply, StatusReply } from '#sim/redis/reply.ts';
import type { Clock } from '#src/ports/clock.ts';

/** A clock the test moves by hand (no simulation needed for synchronous execute()). */
function manualClock(startMs = 0): Clock & { advance(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    sleep: async () => {},
    schedule: () => ({ cancel() {} }),
    advance(ms: number) {
      now += ms;
    },
  };
}

function reply(node: SimRedis, ...args: string[]): Reply | string {
  try {
    const r = node.execute(args);
    return r instanceof StatusReply ? `+${r.text}` : r;
  } catch (error) {
    if (error instanceof RedisReplyError) return `-${error.message}`;
    throw error;
  }
}

function seeded(): SimRedis {
  const node = new SimRedis({}, { clock: manualClock() });
  node.execute(['SET', 'hz:s', 'abc']);
  node.execute(['HSET', 'hz:h', 'f', '1']);
  return node;
}

// Every expected reply below was read from redis-server 7.0.15 (redis-cli on 127.0.0.1:6379)
// after `SET hz:s abc` and `HSET hz:h f 1`.
describe('SimRedis replies and errors (redis-server 7.0.15)', () => {
  it.each<[string[], Reply | string]>([
    [['INCR', 'hz:s'], '-ERR value is not an integer or out of range'],
    [['INCR'], "-ERR wrong number of arguments for 'incr' command"],
    [['INCR', 'a', 'b'], "-ERR wrong number of arguments for 'incr' command"],
    [['INCRBY', 'hz:x', 'abc'], '-ERR value is not an integer or out of range'],
    [['GET', 'hz:h'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
    [['INCR', 'hz:h'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
    [['HGET', 'hz:s', 'f'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
    [['SET', 'hz:x', '1', 'EX', '0'], "-ERR invalid expire time in 'set' command"],
    [['SET', 'hz:x', '1', 'EX', '-5'], "-ERR invalid expire time in 'set' command"],
    [['SET', 'hz:x', '1', 'EX', 'abc'], '-ERR value is not an integer or out of range'],
    [['SET', 'hz:x', '1', 'PX', '1.5'], '-ERR value is not an integer or out of range'],
    [['SET', 'hz:x', '1', 'EX'], '-ERR syntax error'],
    [['SET', 'hz:x', '1', 'NX', 'XX'], '-ERR syntax error'],
    [['SET', 'hz:x', '1', 'EX', '10', 'PX', '10'], '-ERR syntax error'],
    [['SET', 'hz:x', '1', 'FOO'], '-ERR syntax error'],
    [['EXPIRE', 'hz:s', 'abc'], '-ERR value is not an integer or out of range'],
    [['EXPIRE', 'hz:s'], "-ERR wrong number of arguments for 'expire' command"],
    [['ZADD', 'hz:z'], "-ERR wrong number of arguments for 'zadd' command"],
    [['ZADD', 'hz:z', '1'], "-ERR wrong number of arguments for 'zadd' command"],
    [['ZADD', 'hz:z', 'abc', 'm'], '-ERR value is not a valid float'],
    [['ZADD', 'hz:z', 'nan', 'm'], '-ERR value is not a valid float'],
    [['ZRANGEBYSCORE', 'hz:z', 'abc', '1'], '-ERR min or max is not a float'],
    [['HSET', 'hz:h', 'f'], "-ERR wrong number of arguments for 'hset' command"],
    [['HSET', 'hz:h'], "-ERR wrong number of arguments for 'hset' command"],
    [['EVALSHA', 'abc', '0'], '-NOSCRIPT No matching script. Please use EVAL.'],
    [
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      '-NOSCRIPT No matching script. Please use EVAL.',
    ],
    [['EVAL', 'return 1', '-1'], "-ERR Number of keys can't be negative"],
    [['EVAL', 'return 1', '2', 'a'], "-ERR Number of keys can't be greater than number of args"],
    [['EVAL', 'return 1', 'abc'], '-ERR value is not an integer or out of range'],
    [['SCRIPT', 'LOAD'], "-ERR wrong number of arguments for 'script|load' command"],
    [['SCRIPT', 'foo'], "-ERR unknown subcommand 'foo'. Try SCRIPT HELP."],
    [['foo'], "-ERR unknown command 'foo', with args beginning with: "],
    [['PUBLISH'], "-ERR wrong number of arguments for 'publish' command"],
    [['TTL'], "-ERR wrong number of arguments for 'ttl' command"],
    [['DEL'], "-ERR wrong number of arguments for 'del' command"],
    [['PTTL', 'hz:none'], -2],
    [['TTL', 'hz:s'], -1],
    [['EXISTS', 'hz:s', 'hz:s', 'hz:none'], 2],
  ])('%j -> %j', (args, expected) => {
    expect(reply(seeded(), ...args)).toEqual(expected);
  });
});

// Each row: script body run as `EVAL <body> 1 hz:k` on redis-server 7.0.15 after the same setup.
describe('SimRedis Lua (redis-server 7.0.15 conversions and errors)', () => {
  it.each<[string, Reply | string]>([
    ['return 3.99', 3],
    ['return -2.5', -2],
    ['return {1,nil,3}', [1]],
    ['return {1,false,3}', [1, null, 3]],
    ['return {1,true,3}', [1, 1, 3]],
    ['return true', 1],
    ['return false', null],
    ['return {ok="OK"}', '+OK'],
    ['return redis.status_reply("PONG")', '+PONG'],
    ['return type(redis.call("SET",KEYS[1],"v"))', 'table'],
    ['return type(redis.call("GET","hz:nonexist"))', 'boolean'],
    ['return tostring(10/2)', '5'],
    ['return redis.sha1hex("")', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['return {1,{2,{"a"}},"x"}', [1, [2, ['a']], 'x']],
    ['return 1e20', -(2 ** 63)], // INT64_MIN, printed by Redis as -9223372036854775808
    ['return {1.5, "2.5"}', [1, '2.5']],
    ['return redis.call("HGETALL","hz:h")', ['f', '1']],
    ['return redis.pcall("incr","hz:s")', '-ERR value is not an integer or out of range'],
    [
      'local r = redis.pcall("incr"); return r.err',
      'ERR Wrong number of args calling Redis command from script',
    ],
    ['return redis.error_reply("boom")', '-ERR boom'],
    ['return redis.error_reply("MY boom")', '-MY boom'],
    ['return redis.error_reply("-boom x")', '-boom x'],
    ['return {err="MYERR x"}', '-MYERR x'],
    ['return #ARGV', 0],
    ['return tostring(2^53)', '9.007199254741e+15'],
    [
      'return redis.call("incr","hz:s")',
      '-ERR value is not an integer or out of range script: 9433ac1cf6064aa256f5d3a69662cf1b3c68626f, on @user_script:1.',
    ],
    [
      'return redis.call("nosuch")',
      '-ERR Unknown Redis command called from script script: 2218effcac8108416909801acfb39c080a85adfa, on @user_script:1.',
    ],
    [
      'return redis.call("incr")',
      '-ERR Wrong number of args calling Redis command from script script: bf8c1dc6a8fe925cc784dfe8bd11dc5da86888c5, on @user_script:1.',
    ],
    [
      'error("boom")',
      '-ERR user_script:1: boom script: 872b3fcb081448525c6141cdfa3df8374d30d162, on @user_script:1.',
    ],
    ['error("x", 0)', '-ERR x script: e777b076e81c04cb1df465a6ec99de6666fd7d46, on @user_script:1.'],
    [
      'return error({err="BAD thing"})',
      '-BAD thing script: 5df933058e8b4ac68024fef8d2fef805b8da0e27, on @user_script:1.',
    ],
    [
      'x=1',
      '-ERR user_script:1: Attempt to modify a readonly table script: 7caf6056913504f0508c65faf2dc3f94ff65bcfd, on @user_script:1.',
    ],
    [
      'return y',
      "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.",
    ],
    [
      'return redis.call("get", {})',
      '-ERR Lua redis lib command arguments must be strings or integers script: 7a5fe891c214c0fa43feaefd41f433083050825e, on @user_script:1.',
    ],
    [
      'return syntax(',
      "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'",
    ],
  ])('%s -> %j', (body, expected) => {
    expect(reply(seeded(), 'EVAL', body, '1', 'hz:k')).toEqual(expected);
  });

  it('stores a float argument with %.17g, as redis.call does', () => {
    const node = seeded();
    node.execute(['EVAL', 'return redis.call("SET",KEYS[1],1/3)', '1', 'k']);
    expect(node.execute(['GET', 'k'])).toBe('0.33333333333333331');
  });

  it('keeps one persistent state but no globals between scripts', () => {
    const node = seeded();
    expect(reply(node, 'EVAL', 'local a = 1; return a', '0')).toBe(1);
    expect(reply(node, 'EVAL', 'return a', '0')).toMatch(/nonexistent global variable 'a'/);
  });

  it('caches scripts by SHA1: SCRIPT LOAD / EXISTS / FLUSH and EVALSHA', () => {
    const node = seeded();
    const sha = node.execute(['SCRIPT', 'LOAD', 'return ARGV[1]']) as string;
    expect(sha).toBe('098e0f0d1448c0a81dafe820f66d460eb09263da'); // SCRIPT LOAD on redis-server 7.0.15
    expect(node.execute(['EVALSHA', sha, '0', 'hi'])).toBe('hi');
    expect(node.execute(['SCRIPT', 'EXISTS', sha, 'ffff'])).toEqual([1, 0]);
    node.execute(['SCRIPT', 'FLUSH']);
    expect(reply(node, 'EVALSHA', sha, '0', 'hi')).toBe('-NOSCRIPT No matching script. Please use EVAL.');
    // EVAL caches too (src/eval.c): EVALSHA works afterwards.
    node.execute(['EVAL', 'return ARGV[1]', '0', 'x']);
    expect(node.execute(['EVALSHA', sha, '0', 'y'])).toBe('y');
  });
});

describe('SimRedis expiry on the injected clock', () => {
  it('expires when now > expire time, rounds TTL like src/expire.c', () => {
    const clock = manualClock(1_000);
    const node = new SimRedis({}, { clock });
    expect(node.execute(['SET', 'k', 'v', 'PX', '10000'])).toBeInstanceOf(StatusReply);
    clock.advance(604); // 9396 ms left -> TTL 9 ((ms + 500) / 1000)
    expect(node.execute(['TTL', 'k'])).toBe(9);
    expect(node.execute(['PTTL', 'k'])).toBe(9396);
    clock.advance(9396); // exactly at the expire time: still there (keyIsExpired: now > when)
    expect(node.execute(['GET', 'k'])).toBe('v');
    expect(node.execute(['PTTL', 'k'])).toBe(0);
    clock.advance(1);
    expect(node.execute(['GET', 'k'])).toBeNull();
    expect(node.execute(['PTTL', 'k'])).toBe(-2);
    expect(node.execute(['DBSIZE'])).toBe(0);
  });

  it('runs the article fixed-window script with EXPIRE on the first hit only', () => {
    const clock = manualClock();
    const node = new SimRedis({}, { clock });
    const script =
      "local key = KEYS[1] local limit = tonumber(ARGV[1]) local window = tonumber(ARGV[2]) local current = redis.call('INCR', key) if current == 1 then redis.call('EXPIRE', key, window) end return current <= limit and 1 or 0";
    const call = () => node.execute(['EVAL', script, '1', 'rate_limit:u', '3', '10']);
    expect([call(), call(), call(), call(), call()]).toEqual([1, 1, 1, 0, 0]);
    expect(node.execute(['TTL', 'rate_limit:u'])).toBe(10);
    expect(node.execute(['GET', 'rate_limit:u'])).toBe('5');
    clock.advance(10_001);
    expect(call()).toBe(1);
  });
});

describe('SimRedis replication stream', () => {
  it('counts offsets in RESP bytes: *<argc>\\r\\n then $<len>\\r\\n<bytes>\\r\\n per argument', () => {
    const resp = (args: string[]) =>
      Buffer.byteLength(
        `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      );
    const cases = [
      ['PING'],
      ['SET', 'k', 'x'.repeat(9)],
      ['SET', 'k', 'x'.repeat(10)],
      ['SET', 'k', 'é'.repeat(50)],
      Array.from({ length: 10 }, (_, i) => 'y'.repeat(i * 11)),
      ['SET', 'k', 'z'.repeat(1000)],
    ];
    for (const args of cases) expect([args[0], respLength(args)]).toEqual([args[0], resp(args)]);
    expect(respLength(['PING'])).toBe(14);
  });

  it('propagates effects with absolute expiries, script effects as one batch, lazy expiry as DEL', () => {
    const clock = manualClock(5_000);
    const master = new SimRedis({ name: 'm' }, { clock });
    const replica = new SimRedis({ name: 'r' }, { clock });
    replica.role = { role: 'replica', masterName: 'm' };
    const batches: string[][][] = [];
    master.onReplicate((batch) => {
      batches.push([...batch]);
      replica.applyReplicated(batch);
    });
    master.execute(['SET', 'a', '1', 'EX', '10']);
    master.execute(['EVAL', "redis.call('INCR', KEYS[1]); redis.call('PEXPIRE', KEYS[1], 500)", '1', 'c']);
    master.execute(['GET', 'missing']);
    expect(batches).toEqual([
      [['SET', 'a', '1', 'PXAT', '15000']],
      [
        ['INCR', 'c'],
        ['PEXPIREAT', 'c', '5500'],
      ],
    ]);
    expect(replica.execute(['GET', 'a'])).toBe('1');
    expect(replica.replicationOffset).toBe(master.replicationOffset);
    // The replica hides an expired key but waits for the master's DEL.
    clock.advance(501);
    expect(replica.execute(['GET', 'c'])).toBeNull();
    expect(replica.storedKeys()).toContain('c');
    expect(master.execute(['GET', 'c'])).toBeNull();
    expect(batches.at(-1)).toEqual([['DEL', 'c']]);
    expect(replica.storedKeys()).not.toContain('c');
    // Replicas refuse client writes.
    expect(reply(replica, 'SET', 'x', '1')).toBe("-READONLY You can't write against a read only replica.");
    // The script cache is per node: the replica never saw the EVAL.
    expect(replica.execute(['SCRIPT', 'EXISTS', 'ffffffffffffffffffffffffffffffffffffffff'])).toEqual([0]);
  });

  it('snapshots and loads a keyspace (full resync)', () => {
    const clock = manualClock();
    const master = new SimRedis({}, { clock });
    master.execute(['SET', 'a', '1', 'PX', '100']);
    master.execute(['ZADD', 'z', '1', 'm']);
    const replica = new SimRedis({}, { clock });
    replica.load(master.snapshot(), master.replicationOffset);
    master.execute(['ZADD', 'z', '2', 'n']);
    expect(replica.execute(['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'])).toEqual(['m', '1']);
    expect(replica.execute(['PTTL', 'a'])).toBe(100);
  });
});

describe('SimRedis as a RedisPort in a simulation', () => {
  it('resolves commands after the configured virtual latency and delivers pub/sub', async () => {
    const sim = new Simulation({ seed: 'redis-node-port' });
    const node = new SimRedis({ latencyMs: 2 }, { clock: sim.clock });
    const received: string[] = [];
    const task = sim.spawn(async () => {
      const unsubscribe = await node.subscribe('inv', (message) => received.push(message));
      const t0 = sim.clock.now(); // 4 commands x 2 ms until elapsedMs is read
      await node.set('k', 'v', 'EX', 60);
      const value = await node.get('k');
      const n = await node.publish('inv', 'k');
      await unsubscribe();
      const after = await node.publish('inv', 'k2');
      return { elapsedMs: sim.clock.now() - t0, value, n, after, hash: await node.hgetall('none') };
    });
    await sim.run();
    expect(await task).toEqual({ elapsedMs: 8, value: 'v', n: 1, after: 0, hash: {} });
    expect(received).toEqual(['k']);
  });
});

// Issue 12 section 2: the edge cases and the commands added to the simulated node. Every
// expected reply was read from redis-server 7.0.15 (redis-cli -n 9 on 127.0.0.1:6379) running the
// same commands in the same order; the source rule is cited per group.
import { describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, type Reply, StatusReply } from '#sim/redis/reply.ts';

/** A node on a wall-clock-like time (so relative expiries near 2^63 overflow as on a real server). */
function node(nowMs = 1_764_000_000_000): SimRedis {
  return new SimRedis(
    {},
    { clock: { now: () => nowMs, sleep: async () => {}, schedule: () => ({ cancel() {} }) } },
  );
}

function run(n: SimRedis, ...args: string[]): Reply | string {
  try {
    const r = n.execute(args);
    return r instanceof StatusReply ? `+${r.text}` : r;
  } catch (error) {
    if (error instanceof RedisReplyError) return `-${error.message}`;
    throw error;
  }
}

/** Runs [command, expected] pairs in order on one node. */
function script(steps: [string[], Reply | string][]): void {
  const n = node();
  for (const [args, expected] of steps) expect([args, run(n, ...args)]).toEqual([args, expected]);
}

describe('SET options (src/t_string.c parseExtendedStringArgumentsOrReply)', () => {
  it('a repeated expire unit keeps the last value; another unit is a syntax error', () =>
    script([
      [['SET', 'k', 'v', 'EX', '100', 'EX', '200'], '+OK'],
      [['TTL', 'k'], 200],
      [['SET', 'k', 'v', 'EX', '100', 'PX', '200'], '-ERR syntax error'],
      [['SET', 'k', 'v', 'EX', '5', 'EX', '0'], "-ERR invalid expire time in 'set' command"],
      [['SET', 'k', 'v', 'PX', '0', 'PX', '5000'], '+OK'],
      [['SET', 'k', 'v', 'KEEPTTL', 'EX', '5'], '-ERR syntax error'],
      [['SET', 'k', 'v', 'NX', 'XX'], '-ERR syntax error'],
      [['SET', 'k', 'v', 'GET', 'GET'], 'v'],
      [['SET', 'k', 'v', 'NX', 'EX', 'abc', 'XX'], '-ERR syntax error'],
    ]));

  it('expiry times near 2^63 (src/t_string.c getExpireMillisecondsOrReply)', () =>
    script([
      [['SET', 'k', 'v', 'EX', '9223372036854775'], "-ERR invalid expire time in 'set' command"],
      [['SET', 'k', 'v', 'EX', '9223372036854776'], "-ERR invalid expire time in 'set' command"],
      [['SET', 'k', 'v', 'PX', '9223372036854775807'], "-ERR invalid expire time in 'set' command"],
      [['SET', 'k', 'v', 'EXAT', '9223372036854775'], '+OK'],
      [['SET', 'k', 'v', 'PXAT', '9223372036854775807'], '+OK'],
    ]));
});

describe('integer overflow (src/t_string.c incrDecrCommand, decrbyCommand)', () => {
  it('DECRBY INT64_MIN is refused before the key is read; INCR/DECR overflow', () =>
    script([
      [['SET', 'r', '0'], '+OK'],
      [['DECRBY', 'r', '-9223372036854775808'], '-ERR decrement would overflow'],
      [['SET', 'r', '-9223372036854775808'], '+OK'],
      [['DECRBY', 'r', '-9223372036854775808'], '-ERR decrement would overflow'],
      [['DECR', 'r'], '-ERR increment or decrement would overflow'],
      [['SET', 'r', '9223372036854775807'], '+OK'],
      [['INCR', 'r'], '-ERR increment or decrement would overflow'],
      [['SET', 'r', '0'], '+OK'],
      [['DECRBY', 'r', '9223372036854775807'], Number(-9223372036854775807n)],
      [['GET', 'r'], '-9223372036854775807'],
    ]));
});

describe('ZADD scores and range bounds (src/util.c string2d, src/t_zset.c zslParseRange)', () => {
  it('strtod rules: hex accepted, overflow and underflow to zero refused, denormals kept', () =>
    script([
      [['ZADD', 'z', '0x10', 'm'], 1],
      [['ZSCORE', 'z', 'm'], '16'],
      [['ZADD', 'z', '1e-400', 'm'], '-ERR value is not a valid float'],
      [['ZADD', 'z', '1e309', 'm'], '-ERR value is not a valid float'],
      [['ZADD', 'z', ' 1', 'm'], '-ERR value is not a valid float'],
      [['ZADD', 'z', 'nan', 'm'], '-ERR value is not a valid float'],
      [['ZADD', 'z', '1e-310', 'm'], 0],
      [['ZSCORE', 'z', 'm'], '9.9999999999999694e-311'],
      [['ZADD', 'z', '0x1p3', 'm'], 0],
      [['ZADD', 'z', 'infinity', 'n'], 1],
      [['ZSCORE', 'z', 'n'], 'inf'],
    ]));

  it('a -0 score reads back as 0 in a listpack, and ZINCRBY/ZADD INCR reply -0', () =>
    script([
      [['ZADD', 'z', '-0', 'a'], 1],
      [['ZSCORE', 'z', 'a'], '0'],
      [
        ['ZRANGEBYSCORE', 'z', '-0', '0', 'WITHSCORES'],
        ['a', '0'],
      ],
      [['ZADD', 'y', 'INCR', '-0', 'a'], '-0'],
      [['ZINCRBY', 'x', '-0', 'a'], '-0'],
    ]));

  it("'' and '(' bounds read 0, spaces before a number pass, a trailing space does not", () =>
    script([
      [['ZADD', 'z', '0', 'a', '1', 'b'], 2],
      [
        ['ZRANGEBYSCORE', 'z', '', '1'],
        ['a', 'b'],
      ],
      [['ZRANGEBYSCORE', 'z', '(', '1'], ['b']],
      [['ZRANGEBYSCORE', 'z', '( 1', '1'], []],
      [['ZRANGEBYSCORE', 'z', '(1 ', '1'], '-ERR min or max is not a float'],
      [
        ['ZRANGEBYSCORE', 'z', '(-inf', '(inf'],
        ['a', 'b'],
      ],
      [['ZRANGEBYSCORE', 'z', '1e400', '1'], []],
      [['ZRANGEBYSCORE', 'z', 'nan', '1'], '-ERR min or max is not a float'],
      [['ZCOUNT', 'z', '(0x0', '0x1'], 1],
    ]));
});

describe('EXPIRE (src/expire.c expireGenericCommand)', () => {
  it('options are checked before the time argument', () =>
    script([
      [['SET', 'k', 'v'], '+OK'],
      [['EXPIRE', 'k', 'abc', 'FOO'], '-ERR Unsupported option FOO'],
      [
        ['EXPIRE', 'k', 'abc', 'NX', 'XX'],
        '-ERR NX and XX, GT or LT options at the same time are not compatible',
      ],
      [['EXPIRE', 'k', 'abc', 'GT', 'LT'], '-ERR GT and LT options at the same time are not compatible'],
      [['EXPIRE', 'k', 'abc', 'GT'], '-ERR value is not an integer or out of range'],
      [['EXPIRE', 'k', '9223372036854776'], "-ERR invalid expire time in 'expire' command"],
      [['PEXPIRE', 'k', '9223372036854775807'], "-ERR invalid expire time in 'pexpire' command"],
    ]));

  it('expiries beyond 2^53 ms are exact: GT sees one millisecond, propagation keeps every digit', () => {
    const n = node();
    const effects: string[][] = [];
    n.onReplicate((batch) => effects.push(...batch));
    run(n, 'SET', 'k', 'v');
    expect(run(n, 'PEXPIREAT', 'k', '9223372036854775806')).toBe(1);
    expect(run(n, 'PEXPIREAT', 'k', '9223372036854775807', 'GT')).toBe(1);
    expect(run(n, 'PEXPIREAT', 'k', '9223372036854775807', 'GT')).toBe(0);
    expect(run(n, 'PEXPIREAT', 'k', '9223372036854775806', 'LT')).toBe(1);
    expect(effects.at(-1)).toEqual(['PEXPIREAT', 'k', '9223372036854775806']);
    expect(run(n, 'SET', 'j', 'v', 'PXAT', '9223372036854775807')).toBe('+OK');
    expect(effects.at(-1)).toEqual(['SET', 'j', 'v', 'PXAT', '9223372036854775807']);
  });
});

describe('string commands (src/t_string.c)', () => {
  it('MGET, MSET, SETNX, GETSET, GETDEL, APPEND, STRLEN', () =>
    script([
      [['SET', 's', '日本'], '+OK'],
      [['STRLEN', 's'], 6],
      [['APPEND', 's', '語'], 9],
      [['ZADD', 'zz', '1', 'a'], 1],
      [
        ['MGET', 's', 'zz', 'nokey'],
        ['日本語', null, null],
      ],
      [['MSET', 'a', '1', 'b'], "-ERR wrong number of arguments for 'mset' command"],
      [['MSET', 'a', '1', 'b', '2'], '+OK'],
      [['GETDEL', 's'], '日本語'],
      [['GETDEL', 's'], null],
      [['GETDEL', 'zz'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['GETSET', 'a', '5'], '1'],
      [['SETNX', 'a', '7'], 0],
      [['SETNX', 'nn', '7'], 1],
      [['SET', 'g', '3'], '+OK'],
      [['EXPIRE', 'g', '100'], 1],
      [['GETSET', 'g', 'x'], '3'],
      [['TTL', 'g'], -1],
    ]));

  it('INCRBYFLOAT: long double sums printed %.17Lf trimmed, TTL kept', () =>
    script([
      [['SET', 's', '10'], '+OK'],
      [['INCRBYFLOAT', 's', '0.1'], '10.1'],
      [['INCRBYFLOAT', 'n', '5.0e3'], '5000'],
      [['INCRBYFLOAT', 'n', '1.5e-7'], '5000.00000014999999998'],
      [['INCRBYFLOAT', 'n', '-5000.00000015'], '0'],
      [['INCRBYFLOAT', 'q', '0.1'], '0.1'],
      [['INCRBYFLOAT', 'q', '0.2'], '0.3'],
      [['INCRBYFLOAT', 'q', '1e20'], '100000000000000000000'],
      [['INCRBYFLOAT', 'm', '0x10'], '16'],
      [['INCRBYFLOAT', 'm', 'inf'], '-ERR increment would produce NaN or Infinity'],
      [['INCRBYFLOAT', 'm', '1e5000'], '-ERR value is not a valid float'],
      [['INCRBYFLOAT', 'm', ' 1'], '-ERR value is not a valid float'],
      [['SET', 'f', '1e10'], '+OK'],
      [['INCRBY', 'f', '1'], '-ERR value is not an integer or out of range'],
      [['INCRBYFLOAT', 'f', '1'], '10000000001'],
      [['SET', 'g', '3'], '+OK'],
      [['EXPIRE', 'g', '100'], 1],
      [['INCRBYFLOAT', 'g', '0.5'], '3.5'],
      [['TTL', 'g'], 100],
    ]));

  it('INCRBYFLOAT beyond the double range stays exact in long double', () => {
    const n = node();
    const text = run(n, 'INCRBYFLOAT', 'big', '1e400') as string;
    expect(text.startsWith('10000000000000000000281880683947586514586453433629052038625910693')).toBe(true);
    expect(text).toHaveLength(401);
    expect(run(n, 'STRLEN', 'big')).toBe(401);
  });
});

describe('hash commands (src/t_hash.c)', () => {
  it('HSETNX, HEXISTS, HLEN, HSTRLEN, HINCRBYFLOAT', () =>
    script([
      [['HSETNX', 'h', 'f', '1'], 1],
      [['HSETNX', 'h', 'f', '2'], 0],
      [['HEXISTS', 'h', 'f'], 1],
      [['HEXISTS', 'h', 'g'], 0],
      [['HLEN', 'h'], 1],
      [['HSET', 'h', 'u', '日本'], 1],
      [['HSTRLEN', 'h', 'u'], 6],
      [['HSTRLEN', 'nokey', 'u'], 0],
      [['HINCRBYFLOAT', 'h', 'f', '0.1'], '1.1'],
      [['HINCRBYFLOAT', 'h', 'f', 'inf'], '-ERR value is NaN or Infinity'],
      [['HINCRBYFLOAT', 'h', 'u', '1'], '-ERR hash value is not a float'],
      [['HINCRBYFLOAT', 'h', 'n', 'abc'], '-ERR value is not a valid float'],
      [['SET', 's', 'x'], '+OK'],
      [['HLEN', 's'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
    ]));
});

describe('sorted-set commands (src/t_zset.c zaddGenericCommand, zrangeGenericCommand)', () => {
  it('ZADD INCR with NX / XX / GT and its errors', () =>
    script([
      [['ZADD', 'z', 'INCR', '1', 'a'], '1'],
      [['ZADD', 'z', 'NX', 'INCR', '5', 'a'], null],
      [['ZADD', 'z', 'XX', 'INCR', '5', 'a'], '6'],
      [['ZADD', 'z', 'GT', 'INCR', '-1', 'a'], null],
      [
        ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
        '-ERR INCR option supports a single increment-element pair',
      ],
      [['ZADD', 'zi', 'inf', 'a'], 1],
      [['ZADD', 'zi', 'INCR', '-inf', 'a'], '-ERR resulting score is not a number (NaN)'],
      [['ZINCRBY', 'z', '1.5', 'a'], '7.5'],
      [['ZINCRBY', 'z', 'x', 'a'], '-ERR value is not a valid float'],
    ]));

  it('ZRANGE by rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES; ZCOUNT', () =>
    script([
      [['ZADD', 'zz', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], 4],
      [
        ['ZRANGE', 'zz', '0', '-1', 'WITHSCORES'],
        ['a', '1', 'b', '2', 'c', '3', 'd', '4'],
      ],
      [
        ['ZRANGE', 'zz', '0', '1', 'REV'],
        ['d', 'c'],
      ],
      [['ZRANGE', 'zz', '2', '1', 'REV'], []],
      [
        ['ZRANGE', 'zz', '(1', '3', 'BYSCORE'],
        ['b', 'c'],
      ],
      [
        ['ZRANGE', 'zz', '3', '(1', 'BYSCORE', 'REV', 'WITHSCORES'],
        ['c', '3', 'b', '2'],
      ],
      [
        ['ZRANGE', 'zz', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '2'],
        ['b', 'c'],
      ],
      [
        ['ZRANGE', 'zz', '0', '-1', 'LIMIT', '0', '1'],
        '-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
      ],
      [
        ['ZRANGE', 'zz', '0', '-1', 'LIMIT', '0', '-1'],
        ['a', 'b', 'c', 'd'],
      ],
      [
        ['ZRANGE', 'zz', '-', '+', 'BYLEX', 'WITHSCORES'],
        '-ERR syntax error, WITHSCORES not supported in combination with BYLEX',
      ],
      [
        ['ZRANGE', 'zz', '[b', '(d', 'BYLEX'],
        ['b', 'c'],
      ],
      [['ZRANGE', 'zz', '+', '-', 'BYLEX', 'REV', 'LIMIT', '1', '1'], ['c']],
      [['ZRANGE', 'zz', 'x', '1'], '-ERR value is not an integer or out of range'],
      [['ZRANGE', 'zz', 'a', 'b', 'BYSCORE'], '-ERR min or max is not a float'],
      [['ZRANGE', 'zz', 'a', 'b', 'BYLEX'], '-ERR min or max not valid string range item'],
      [['ZCOUNT', 'zz', '(1', '3'], 2],
      [['ZCOUNT', 'zz', 'x', '1'], '-ERR min or max is not a float'],
      [['ZRANGEBYSCORE', 'zz', '0', '5', 'REV'], '-ERR syntax error'],
      [['ZRANGEBYSCORE', 'zz', '-inf', '+inf', 'LIMIT', '-1', '2'], []],
    ]));
});

describe('list commands (src/t_list.c)', () => {
  it('LPUSH, RPUSH, LPOP/RPOP with count, LRANGE, LLEN, LTRIM', () =>
    script([
      [['LPUSH', 'l', 'a', 'b', 'c'], 3],
      [['RPUSH', 'l', 'd'], 4],
      [
        ['LRANGE', 'l', '0', '-1'],
        ['c', 'b', 'a', 'd'],
      ],
      [['LPOP', 'l', '0'], []],
      [['LPOP', 'l', '-1'], '-ERR value is out of range, must be positive'],
      [
        ['LPOP', 'l', '2'],
        ['c', 'b'],
      ],
      [
        ['RPOP', 'l', '5'],
        ['d', 'a'],
      ],
      [['EXISTS', 'l'], 0],
      [['LPOP', 'l', '1'], null],
      [['LPOP', 'l'], null],
      [['LPOP', 'l', '1', '2'], "-ERR wrong number of arguments for 'lpop' command"],
      [['LPUSH', 'l', '1', '2', '3', '4', '5'], 5],
      [
        ['LRANGE', 'l', '-100', '100'],
        ['5', '4', '3', '2', '1'],
      ],
      [['LRANGE', 'l', '3', '1'], []],
      [['LTRIM', 'l', '1', '-2'], '+OK'],
      [
        ['LRANGE', 'l', '0', '-1'],
        ['4', '3', '2'],
      ],
      [['LLEN', 'l'], 3],
      [['LTRIM', 'l', '5', '1'], '+OK'],
      [['EXISTS', 'l'], 0],
      [['LTRIM', 'nol', 'a', '1'], '-ERR value is not an integer or out of range'],
      [['SET', 's', 'x'], '+OK'],
      [['LPUSH', 's', 'a'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
      [['LPOP', 's', '-1'], '-ERR value is out of range, must be positive'],
      [['LRANGE', 's', '0', '1'], '-WRONGTYPE Operation against a key holding the wrong kind of value'],
    ]));

  it('a capped chat history: LPUSH + LTRIM keeps the newest N, replicas follow', () => {
    const n = node();
    const replica = node();
    replica.role = { role: 'replica', masterName: 'm' };
    n.onReplicate((batch) => replica.applyReplicated(batch));
    for (let i = 1; i <= 8; i++) {
      run(n, 'LPUSH', 'chat', `m${i}`);
      run(n, 'LTRIM', 'chat', '0', '4');
    }
    expect(run(n, 'LRANGE', 'chat', '0', '-1')).toEqual(['m8', 'm7', 'm6', 'm5', 'm4']);
    expect(run(replica, 'LRANGE', 'chat', '0', '-1')).toEqual(['m8', 'm7', 'm6', 'm5', 'm4']);
    expect(run(n, 'INCRBYFLOAT', 'f', '0.1')).toBe('0.1');
    expect(run(replica, 'GET', 'f')).toBe('0.1');
  });
});

describe('the new commands through redis.call', () => {
  it('a script uses MSET, LPUSH/LRANGE, ZADD INCR and HINCRBYFLOAT', () => {
    const n = node();
    const body = `redis.call('MSET', KEYS[1], 'x', KEYS[2], 'y')
redis.call('RPUSH', KEYS[3], 'a', 'b')
return {redis.call('MGET', KEYS[1], KEYS[2]), redis.call('LRANGE', KEYS[3], 0, -1),
  redis.call('ZADD', KEYS[4], 'INCR', 2.5, 'm'), redis.call('HINCRBYFLOAT', KEYS[5], 'f', 0.1)}`;
    expect(run(n, 'EVAL', body, '5', 'a', 'b', 'l', 'z', 'h')).toEqual([
      ['x', 'y'],
      ['a', 'b'],
      '2.5',
      '0.10000000000000001',
    ]);
  });
});

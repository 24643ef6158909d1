// Issue 12 section 1: scripts run on Lua 5.1 as redis-server embeds it, not on a Lua 5.3. Every
// expected reply below was read from redis-server 7.0.15 (Debian 7.0.15-1~deb12u10, 127.0.0.1:6379,
// database 9) with ioredis `callBuffer`, so non-UTF-8 bytes are compared exactly.
import { describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, type Reply, StatusReply } from '#sim/redis/reply.ts';
import type { Clock } from '#src/ports/clock.ts';

const clock: Clock = { now: () => 0, sleep: async () => {}, schedule: () => ({ cancel() {} }) };

function node(): SimRedis {
  return new SimRedis({}, { clock });
}

/** EVAL on a node; error replies as `-line`, status replies as `+text`. */
function evalOn(target: SimRedis, body: string, ...rest: string[]): Reply | string {
  try {
    const r = target.execute(['EVAL', body, ...(rest.length > 0 ? rest : ['0'])]);
    return r instanceof StatusReply ? `+${r.text}` : r;
  } catch (error) {
    if (error instanceof RedisReplyError) return `-${error.message}`;
    throw error;
  }
}

function run(body: string, ...rest: string[]): Reply | string {
  return evalOn(node(), body, ...rest);
}

describe('Lua 5.1 numbers as redis-server has them', () => {
  it('tonumber reads inf, -inf and nan (strtod), which Lua 5.3 refuses', () => {
    expect(run('return tostring(tonumber("inf"))')).toBe('inf');
    expect(run('return tostring(tonumber("-inf"))')).toBe('-inf');
    expect(run('return tostring(tonumber("nan"))')).toBe('nan');
    expect(run('return tostring(tonumber("-nan"))')).toBe('-nan');
  });

  it('tonumber("-0") keeps its sign', () => {
    expect(run('return {tostring(tonumber("-0")), tostring(1/tonumber("-0"))}')).toEqual(['-0', '-inf']);
  });

  it('tonumber(s, base) gives nil on failure and wraps negative numbers like strtoul', () => {
    expect(run('return tostring(tonumber("z", 10))')).toBe('nil');
    expect(run('return tostring(tonumber("8", 8))')).toBe('nil');
    expect(run('return tostring(tonumber("-ff", 16))')).toBe('1.844674407371e+19');
    expect(run('return tostring(tonumber("1e1", 16))')).toBe('481');
    expect(run('return tostring(tonumber("ffffffffff", 16))')).toBe('1099511627775');
    expect(run('return tostring(tonumber("-0x10"))')).toBe('-16');
    expect(run('return tostring(tonumber("0x1ffffffff"))')).toBe('8589934591');
  });

  it('has only doubles: %d truncates 3.7 and 1e100, %s of 1e10 has no ".0"', () => {
    expect(run('return string.format("%d", 3.7)')).toBe('3');
    expect(run('return string.format("%d", -3.7)')).toBe('-3');
    expect(run('return string.format("%d", 1e100)')).toBe('-9223372036854775808');
    expect(run('return string.format("%s", 1e10)')).toBe('10000000000');
    expect(run('return string.format("%x %u %o", -1, 2^64, 0/0)')).toBe(
      'ffffffffffffffff 0 1000000000000000000000',
    );
    expect(run('return tostring(1e10) .. " " .. tostring(2^63) .. " " .. 2^53')).toBe(
      '10000000000 9.2233720368548e+18 9.007199254741e+15',
    );
    expect(run('return {7 % -3, 2^63 % 2}')).toEqual([-2, 0]);
  });
});

describe('the redis library as redis-server 7.0 has it', () => {
  it('pcall(redis.call, ...) hands the script the error string; redis.pcall hands the table', () => {
    const body =
      'redis.call("SET", KEYS[1], "abc") local ok, e = pcall(redis.call, "INCR", KEYS[1]) return {tostring(ok), type(e), e}';
    expect(run(body, '1', 'a')).toEqual(['false', 'string', 'ERR value is not an integer or out of range']);
    const table =
      'redis.call("SET", KEYS[1], "abc") local e = redis.pcall("INCR", KEYS[1]) return {type(e), e.err, tostring(e.ignore_error_stats_update)}';
    expect(run(table, '1', 'a')).toEqual(['table', 'ERR value is not an integer or out of range', 'true']);
    expect(run('local ok, e = pcall(error, {err="MY x"}) return {tostring(ok), type(e), e}')).toEqual([
      'false',
      'string',
      'MY x',
    ]);
  });

  it('refuses redis.status_reply and redis.error_reply of a non-string', () => {
    expect(run('return redis.status_reply(5)')).toBe('-ERR wrong number or type of arguments');
    expect(run('return redis.error_reply(5)')).toBe('-ERR wrong number or type of arguments');
    expect(run('return redis.status_reply("a", "b")')).toBe('-ERR wrong number or type of arguments');
  });

  it('replaces newlines inside {ok=...} and {err=...} replies', () => {
    expect(run('return {ok="a\\nb\\r\\nc"}')).toBe('+a b  c');
    expect(run('return {err="a\\nb\\rc"}')).toBe('-a b c');
    expect(run('return redis.status_reply("x\\ny")')).toBe('+x y');
    expect(run('return redis.error_reply("\\nX\\r\\nY\\n")')).toBe('-ERR X  Y');
    expect(run('error({err="E1\\nE2"})')).toBe(
      '-E1 E2 script: 95cb7214b9e8304acdc87d96f6f1b86cb0c9f5e1, on @user_script:1.',
    );
  });

  it('returns bytes that are not UTF-8 instead of throwing (each as U+DC80 + byte)', () => {
    expect(run('return string.sub(ARGV[1], 1, 2)', '0', '日本')).toBe('\uDCE6\uDC97');
    expect(run('return {string.sub(ARGV[1], 2, 4), ARGV[1]:byte(1,-1)}', '0', '日本')).toEqual([
      '\uDC97\uDCA5\uDCE6',
      230,
      151,
      165,
      230,
      156,
      172,
    ]);
    const stored = node();
    const body = 'redis.call("SET", KEYS[1], string.sub(ARGV[1], 1, 4)) return redis.call("STRLEN", KEYS[1])';
    expect(evalOn(stored, body, '1', 'b', '日本')).toBe(4);
    expect(stored.execute(['GET', 'b'])).toBe('日\uDCE6');
  });
});

describe('math.random as src/rand.c, process-wide', () => {
  // The sequence of a fresh redis-server, read after `math.randomseed(305441741)`, which restores
  // rand48's initial state (x = 0x1234ABCD330E, src/rand.c).
  const FRESH = [40, 9, 353337, '0.44658343468168'];
  const DRAW = 'return {math.random(100), math.random(1, 10), math.random(1000000), tostring(math.random())}';

  it('starts where a fresh redis-server starts', () => {
    expect(run(DRAW)).toEqual(FRESH);
  });

  it('is not reseeded per script (Redis 7.0), nor by SCRIPT FLUSH', () => {
    const target = node();
    expect(evalOn(target, 'return math.random(100)')).toBe(40);
    target.execute(['SCRIPT', 'FLUSH']);
    expect(evalOn(target, 'return math.random(1, 10)')).toBe(9);
    expect(evalOn(target, 'math.randomseed(305441741) return math.random(100)')).toBe(40);
  });

  it('follows math.randomseed and checks its intervals', () => {
    expect(run('math.randomseed(42) return {math.random(100), math.random(100)}')).toEqual([75, 35]);
    expect(run('return math.random(0)')).toBe(
      "-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.",
    );
  });
});

describe('error and compile messages in Lua 5.1 wording', () => {
  it.each<[string, string]>([
    ['return +', "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'"],
    [
      'return "abc',
      "-ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'",
    ],
    ['return 0x', "-ERR Error compiling script (new function): user_script:1: malformed number near '0x'"],
    ['goto x', "-ERR Error compiling script (new function): user_script:1: '=' expected near 'x'"],
    [
      'return 1 .. {}',
      '-ERR user_script:1: attempt to concatenate a table value script: 56351ab0a275e1917da560e2e2b59dd478627719, on @user_script:1.',
    ],
    [
      'local t = nil return t.x',
      "-ERR user_script:1: attempt to index local 't' (a nil value) script: 9b254dbb503ee54eb16164b758132c072ed37366, on @user_script:1.",
    ],
    [
      'return #ARGV + "x"',
      '-ERR user_script:1: attempt to perform arithmetic on a string value script: d201f19b5b6c9d4a613a6f010bb46ed7c1922b2f, on @user_script:1.',
    ],
    [
      'return ("x"):bad()',
      "-ERR user_script:1: attempt to call method 'bad' (a nil value) script: 14fd46be6c0c55e3992b786e2e961b239f3b446a, on @user_script:1.",
    ],
    [
      'for i = 1, "a" do end',
      "-ERR user_script:1: 'for' limit must be a number script: b7c0460e299b06da1ab9e7258bde47be923d29c9, on @user_script:1.",
    ],
    [
      'local a = {} a = a .. 1',
      "-ERR user_script:1: attempt to concatenate local 'a' (a table value) script: 09b862984bae051745ec2e0f34a0baf33a80f666, on @user_script:1.",
    ],
    [
      'return math.floor("x")',
      "-ERR user_script:1: bad argument #1 to 'floor' (number expected, got string) script: 1f683580f1b3b3032aec840268ad12ed73ed3fef, on @user_script:1.",
    ],
  ])('%s', (body, expected) => {
    expect(run(body)).toBe(expected);
  });
});

describe('the libraries and globals redis-server 7.0.15 (Debian) gives scripts', () => {
  it.each<[string, Reply | string]>([
    ['return _VERSION', 'Lua 5.1'],
    ['return cjson.encode({1, 2, 3})', '[1,2,3]'],
    ['return cjson.decode("[1,2,{\\"a\\":3}]")[3].a', 3],
    ['return bit.tohex(65535, -4)', 'FFFF'],
    ['return struct.pack(">I2", 258)', '\u0001\u0002'],
    ['return cmsgpack.unpack(cmsgpack.pack({1, 2}))', [1, 2]],
    ['return loadstring("return 5")()', 5],
    ['return {table.getn({1, 2, 3}), math.mod(7, 3), select("#", unpack({1, nil, 3}))}', [3, 1, 3]],
    ['return type(gcinfo)', 'function'],
    [
      'return type(setfenv)',
      "-ERR user_script:1: Script attempted to access nonexistent global variable 'setfenv' script: ceaddaad3558d2f10cbb8082ea10e1b63f3ac0ea, on @user_script:1.",
    ],
    [
      'return type(newproxy)',
      "-ERR user_script:1: Script attempted to access nonexistent global variable 'newproxy' script: 2db8cbf73e97a4b7d8d1a7ce472bf57302f0f369, on @user_script:1.",
    ],
  ])('%s', (body, expected) => {
    expect(run(body)).toEqual(expected);
  });
});

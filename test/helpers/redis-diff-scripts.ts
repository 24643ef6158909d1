// Seeded random EVAL scripts for the differential suite: redis.call / redis.pcall of the
// generated commands (arguments passed through ARGV, so no quoting), what a script does with the
// replies (type(), error tables, several calls), and Lua -> RESP return conversions. Plus, apart,
// the Lua 5.1 edge cases of issue 12 section 1 that a Lua 5.3 engine (fengari) answers
// differently.
import { type Rng, randomScriptCommand } from './redis-diff-commands.ts';

/** An EVAL as sent: script, numkeys and the rest of the arguments. */
export type EvalCall = readonly string[];

function argList(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `ARGV[${i + from}]`).join(', ');
}

/** `redis.call(ARGV[1], ..., ARGV[n])` for a command passed whole in ARGV. */
function callOf(fn: string, command: readonly string[], from = 1): string {
  return `${fn}(${argList(command.length, from)})`;
}

const RETURNS = [
  'return 3.99',
  'return -0.5',
  'return 1e15',
  'return -2^53',
  'return {1, 2.7, "x", true, false}',
  'return {1, nil, 3}',
  'return {ok="fine"}',
  'return {err="My Error"}',
  'return {{ok="nested"}, {err="nested err"}, {1, {2}}}',
  'return redis.error_reply("custom")',
  'return redis.status_reply("STATUS")',
  'return true',
  'return false',
  'return nil',
  'return ""',
  'return "12"',
  'return tostring(12345678901234)',
  'return tostring(0.1)',
  'return tostring(1/3)',
  'return {tonumber("10"), tonumber("0x10"), tonumber(" 5 "), tonumber("z")}',
  'return #KEYS + #ARGV',
  'return redis.sha1hex("abc")',
  'return type(redis.call("PING"))',
  'return redis.call("PING")',
  'return redis.call("ECHO", "hi")',
  'return redis.call("NOSUCH")',
  'return redis.pcall("NOSUCH")',
  'return redis.call("GET")',
  'return redis.pcall("GET")',
  'return redis.call("EVAL", "return 1", 0)',
  'return redis.call()',
  'return math.floor(7.9) + math.ceil(0.1)',
  'return string.format("%.3f", 2/3)',
  'return string.rep("ab", 3)',
  'return table.concat({"a", "b", "c"}, "-")',
];

/** One random EVAL. */
export function randomEval(rng: Rng, keys: readonly string[]): EvalCall {
  const roll = rng.int(10);
  const key = rng.pick(keys);
  if (roll <= 3) {
    const command = randomScriptCommand(rng);
    const fn = rng.chance(0.6) ? 'redis.call' : 'redis.pcall';
    return [`return ${callOf(fn, command)}`, '0', ...command];
  }
  if (roll === 4) {
    const command = randomScriptCommand(rng);
    return [`local r = ${callOf('redis.pcall', command)}\nreturn type(r)`, '0', ...command];
  }
  if (roll === 5) {
    const command = randomScriptCommand(rng);
    const body = `local r = ${callOf('redis.pcall', command)}
if type(r) == 'table' and r.err then return 'E:' .. r.err end
if type(r) == 'table' and r.ok then return 'S:' .. r.ok end
return r`;
    return [body, '0', ...command];
  }
  if (roll === 6) {
    const a = randomScriptCommand(rng);
    const b = randomScriptCommand(rng);
    const body = `local x = ${callOf('redis.pcall', a)}\nlocal y = ${callOf('redis.pcall', b, a.length + 1)}\nreturn {x, y}`;
    return [body, '0', ...a, ...b];
  }
  if (roll === 7) {
    // Lua numbers as command arguments: formatted %.17g by redis.call.
    const n = rng.pick(['0.1', '3', '-0.5', '1e20', '2^53', '1/3', '-7', '123456789012']);
    const body = rng.pick([
      `redis.call('SET', KEYS[1], ${n}) return redis.call('GET', KEYS[1])`,
      `return redis.pcall('INCRBYFLOAT', KEYS[1], ${n})`,
      `return redis.pcall('ZADD', KEYS[1], ${n}, 'm')`,
      `return redis.pcall('HINCRBYFLOAT', KEYS[1], 'f', ${n})`,
      `return redis.pcall('LPUSH', KEYS[1], ${n})`,
      `return redis.pcall('INCRBY', KEYS[1], ${n})`,
    ]);
    return [body, '1', key];
  }
  if (roll === 8) {
    const numkeys = rng.pick(['1', '0', '-1', 'x', '5']);
    return ['return {KEYS[1], ARGV[1]}', numkeys, key, 'v'];
  }
  return [rng.pick(RETURNS), '0'];
}

/**
 * Section 1 of issue 12: what Lua 5.1 inside Redis does and a Lua 5.3 engine (fengari, which the
 * simulated node ran before) does not.
 */
export const LUA51_EDGE_CASES: readonly EvalCall[] = [
  ['return tostring(tonumber("inf"))', '0'],
  ['return tostring(tonumber("-inf"))', '0'],
  ['return tostring(tonumber("nan"))', '0'],
  ['return tostring(tonumber("-0"))', '0'],
  ['return tostring(tonumber("z", 10))', '0'],
  ['return tostring(tonumber("8", 8))', '0'],
  ['return tostring(tonumber("-ff", 16))', '0'],
  ['return tostring(tonumber("-0x10"))', '0'],
  ['return string.format("%d", 3.7)', '0'],
  ['return string.format("%d", 1e100)', '0'],
  ['return string.format("%s", 1e10)', '0'],
  ['return tostring(1e10) .. " " .. tostring(2^63)', '0'],
  [
    'local ok, e = pcall(redis.call, "INCR", KEYS[1]) return {tostring(ok), type(e), tostring(type(e) == "table" and e.err or e)}',
    '1',
    'a',
    'abc',
  ],
  [
    'redis.call("SET", KEYS[1], "abc") local ok, e = pcall(redis.call, "INCR", KEYS[1]) return type(e)',
    '1',
    'a',
  ],
  ['return redis.status_reply(5)', '0'],
  ['return redis.error_reply(5)', '0'],
  ['return {ok="a\\nb"}', '0'],
  ['return {err="a\\nb\\rc"}', '0'],
  ['return redis.status_reply("x\\ny")', '0'],
  ['return string.sub(ARGV[1], 1, 2)', '0', '日本'],
  ['return {string.byte(string.sub(ARGV[1], 2, 4), 1, -1)}', '0', '日本'],
  ['return {math.random(100), math.random(1, 10), math.random(1000000)}', '0'],
  ['return tostring(math.random())', '0'],
  ['math.randomseed(42) return {math.random(100), math.random(100)}', '0'],
  ['return nil + 1', '0'],
  ['local t = nil return t.x', '0'],
  ['error("boom")', '0'],
  ['error({err="table boom"})', '0'],
  ['return #ARGV + "x"', '0'],
  ['return +', '0'],
  ['return 1 .. {}', '0'],
  ['return unpack({1, 2, 3})', '0'],
  ['return select("#", unpack({1, nil, 3}))', '0'],
  ['return table.getn({1, 2, 3})', '0'],
  ['return math.mod(7, 3)', '0'],
  ['return string.gsub("hello", "l", "L")', '0'],
  ['return 7 % -3', '0'],
  ['return 2^63 % 2', '0'],
  ['return math.huge', '0'],
  ['return -math.huge', '0'],
  ['return 0/0', '0'],
  ['return tostring(0/0)', '0'],
  ['return tostring(-0.0)', '0'],
  ['return string.format("%5.2s|", "abc")', '0'],
  ['return cjson.encode({1, 2, 3})', '0'],
  ['return cjson.decode("[1,2,{\\"a\\":3}]")[3].a', '0'],
  ['return bit.band(0xff, 0x0f)', '0'],
  ['return struct.pack(">I2", 258)', '0'],
  ['return cmsgpack.unpack(cmsgpack.pack({1, 2}))', '0'],
  ['return loadstring("return 5")()', '0'],
  ['return type(setfenv)', '0'],
  ['return type(gcinfo)', '0'],
  ['return type(newproxy)', '0'],
  ['return tostring(tonumber("0x"))', '0'],
  ['return tostring(tonumber("-nan"))', '0'],
  ['return tostring(tonumber("0x1p4"))', '0'],
  ['return tostring(tonumber("ffffffffff", 16))', '0'],
  ['return string.format("%x %u %o", -1, 2^64, 0/0)', '0'],
  ['return string.format("%5.1f|%g|%e|%c", 3.14159, 1e20, 12345.678, 65)', '0'],
  ['return string.sub("abcdef", 2, 4294967297)', '0'],
  ['return struct.pack("<l", -2)', '0'],
  ['return struct.pack(">d", 1.5)', '0'],
  ['return cmsgpack.pack({1, "x", {a = 2.5}})', '0'],
  ['return cjson.encode({1.5, 1/3, 1e20, "\\226\\128"})', '0'],
  ['error(string.sub(ARGV[1], 1, 1))', '0', '日本'],
  ['return {double = 1/3}', '0'],
  ['return {double = 1/0}', '0'],
  ['return {big_number = "123\n4"}', '0'],
  ['return {set = {a = true}}', '0'],
  ['return {map = {k = "v"}}', '0'],
  ['redis.setresp(3) return {false, redis.call("GET", KEYS[1])}', '1', 'z'],
  ['return redis.setresp(4)', '0'],
  ['return redis.log(redis.LOG_WARNING)', '0'],
  ['return redis.acl_check_cmd("nosuchcommand")', '0'],
  ['return redis.acl_check_cmd("get", "x")', '0'],
  ['return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}', '0'],
  ['return math.random(1e10)', '0'],
  ['return string.rep("x", 3, 4)', '0'],
  ['local t = {} for i = 1, 5 do t[i] = i end return #t', '0'],
  ['return {pcall(error)}', '0'],
  ['return getmetatable("").__index == string', '0'],
  ['getmetatable("").__index = {}', '0'],
  ['string.x = 1', '0'],
  [
    'return {tostring(99999999999999), tostring(1e14), tostring(-99999999999999), tostring(123456789012345678), tostring(-0.0 * 1), 12 .. ""}',
    '0',
  ],
  [
    'local t = {} for i, n in ipairs({1e16, 99999999999999999, 2^53 + 1, -1e15, 0.5, -0.0}) do redis.call("SET", KEYS[1], n) t[i] = redis.call("GET", KEYS[1]) end return t',
    '1',
    'n',
  ],
  [
    'local t = {} for i, s in ipairs(ARGV) do t[i] = tostring(tonumber(s)) end return t',
    '0',
    '  -12  ',
    '+5',
    '012',
    '1.',
    '-',
    '',
    '9007199254740993',
    '999999999999999',
    '1234567890123456',
    '12abc',
    '- 1',
    '0x1F',
    '1e2',
  ],
];

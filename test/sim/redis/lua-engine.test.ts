// The engine around Redis's Lua: its limits and its recovery, which redis-server does not have.
import { describe, expect, it } from 'vitest';
import { LuaEngine } from '#sim/redis/lua.ts';
import { LuaInstructionLimitError } from '#sim/redis/lua-wasm.ts';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, type Reply } from '#sim/redis/reply.ts';
import type { Clock } from '#src/ports/clock.ts';

const clock: Clock = { now: () => 0, sleep: async () => {}, schedule: () => ({ cancel() {} }) };

describe('LuaEngine', () => {
  it('fails a run that goes over its instruction limit, even inside pcall, and runs the next script', () => {
    const node = new SimRedis({ luaInstructionsMax: 1_000_000 }, { clock });
    expect(() => node.execute(['EVAL', 'while true do end', '0'])).toThrow(LuaInstructionLimitError);
    expect(() => node.execute(['EVAL', 'pcall(function() while true do end end) return 1', '0'])).toThrow(
      LuaInstructionLimitError,
    );
    expect(node.execute(['EVAL', 'local n = 0 for i = 1, 1000 do n = n + i end return n', '0'])).toBe(500500);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new LuaEngine({ callFromScript: () => null }, { instructionsMax: 0 })).toThrow(RangeError);
  });

  it('starts a new Lua state after a JavaScript error in a command, keeping the cached scripts', () => {
    let fail = true;
    const engine = new LuaEngine({
      callFromScript: (args): Reply => {
        if (fail) throw new TypeError('bug in a command');
        return args[1] ?? null;
      },
    });
    const sha = engine.load('return redis.call("ECHO", ARGV[1])');
    expect(() => engine.run(sha, [], ['x'])).toThrow(TypeError);
    fail = false;
    expect(engine.run(sha, [], ['y'])).toBe('y');
  });

  it('answers an empty script with nil, and a compile error with the server line', () => {
    const engine = new LuaEngine({ callFromScript: () => null });
    expect(engine.run(engine.load(''), [], [])).toBeNull();
    expect(() => engine.load('return "a\nb')).toThrow(
      new RedisReplyError(
        "ERR Error compiling script (new function): user_script:1: unfinished string near '\"a'",
      ),
    );
  });

  it('grows the instance memory for large values and reads them back', () => {
    const node = new SimRedis({}, { clock });
    const big = node.execute(['EVAL', 'return string.rep("ab", 2 * 1024 * 1024)', '0']) as string;
    expect(big.length).toBe(4 * 1024 * 1024);
    expect(big.slice(0, 4)).toBe('abab');
    expect(node.execute(['EVAL', 'return #ARGV[1]', '0', big])).toBe(4 * 1024 * 1024);
  });

  it('gives each node its own process: math.random sequences and SCRIPT FLUSH are per node', () => {
    const a = new SimRedis({}, { clock });
    const b = new SimRedis({}, { clock });
    expect(a.execute(['EVAL', 'return math.random(100)', '0'])).toBe(40);
    expect(b.execute(['EVAL', 'return math.random(100)', '0'])).toBe(40);
    a.flush({ scripts: true }); // a restart: a fresh process
    expect(a.execute(['EVAL', 'return math.random(100)', '0'])).toBe(40);
  });
});

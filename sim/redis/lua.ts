// Lua scripting of the simulated node: ONE persistent fengari state per node (ioredis-mock builds
// a VM per call, ~150x slower), with the parts of redis-server 7.0's scripting engine that decide
// replies: the `redis` library (call / pcall / error_reply / status_reply / sha1hex / log),
// KEYS and ARGV, the Lua<->RESP conversions (src/script_lua.c luaReplyToRedisReply and
// redisProtocolToLuaType), the error handler that appends `script: <sha>, on @user_script:<line>.`
// (src/function_lua.c / src/eval.c `__redis__err__handler`), the deterministic math.random
// (src/rand.c redisLrand48, reseeded to 0 before every script) and read-only globals.
//
// What is enforced: assigning a global fails (`Attempt to modify a readonly table`), reading an
// undefined global fails (`Script attempted to access nonexistent global variable`), so nothing
// leaks from one script to the next; os, io, package, require, dofile, loadfile, load, debug are
// absent. What is not: library tables (string, math, table) are not frozen, `rawset(_G, ...)`
// succeeds, there is no cjson/cmsgpack/struct/bit.
//
// Dialect: fengari is Lua 5.3 with 32-bit integers; Redis embeds Lua 5.1, where every number is a
// double printed with %.14g. To behave like 5.1, while one of our scripts compiles or runs,
// fengari's lobject.luaO_str2num makes every numeral, coerced string and tonumber result a double
// (so arithmetic never wraps at 2^31 and `-0` stays negative), lobject.luaO_tostring prints %.14g
// without 5.3's ".0", and redis.call replies, math.floor/ceil/random return doubles. The swap
// lasts only for the synchronous call and is restored after, so another fengari user in the
// process (ioredis-mock) is unaffected. Still 5.3: `#t` and string.len give integers, and
// `math.type`, `//`, bit operators and `goto` exist, and float `%` is fmod (5.1: a - floor(a/b)*b,
// which differs once a/b is beyond 2^53).
import { createHash } from 'node:crypto';
import fengari, { type LuaState } from 'fengari';
import lobject, { type TValue } from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';
import { formatDouble, RedisReplyError, type Reply, StatusReply } from './reply.ts';

const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari;

/** What the engine needs from its node. */
export interface LuaHost {
  /** Runs a command issued by `redis.call`/`redis.pcall`; throws RedisReplyError on an error reply. */
  callFromScript(args: string[]): Reply;
}

/** SHA1 hex of a script body, the key of the script cache (EVALSHA). */
export function scriptSha1(body: string): string {
  return createHash('sha1').update(body).digest('hex');
}

const INT32_MAX = 2147483647;
const TWO_POW_63 = 2 ** 63;
const INT64_MIN = -TWO_POW_63;

// The env's __index is the globals TABLE (a VM-level lookup, no Lua call per global access); only a
// miss reaches the function on the globals' own metatable, which raises Redis's error.
const SETUP_ENV = `
local G = ...
local error, tostring = error, tostring
setmetatable(G, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
})
local env = setmetatable({}, {
  __index = G,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})
rawset(G, '_G', env)
return env
`;

// Walks up to the user script's frame so that errors raised inside C functions or the env
// metatable are located where Redis locates them ("on @user_script:<line>.").
const SETUP_HANDLER = `
local dbg = debug
local type, tostring = type, tostring
return function(err)
  local info
  for level = 2, 6 do
    local i = dbg.getinfo(level, 'Sl')
    if i == nil then break end
    if i.source == '@user_script' then info = i break end
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if info then err.source = info.source err.line = info.currentline end
  return err
end
`;

/** A persistent Lua state with the Redis scripting environment and a per-node script cache. */
export class LuaEngine {
  readonly #L: LuaState;
  readonly #globalsRef: number;
  readonly #envRef: number;
  readonly #handlerRef: number;
  readonly #scripts = new Map<string, number>();
  /** rand48 state, seeded like redisSrand48(0) once per node (src/rand.c). */
  #rand48 = 0x330en;

  readonly #host: LuaHost;

  constructor(host: LuaHost) {
    this.#host = host;
    const L = lauxlib.luaL_newstate();
    this.#L = L;
    // Only the libraries Redis opens (src/script_lua.c luaLoadLibraries) plus debug for the error
    // handler; fengari's io library would open process streams (and queue ticks) on creation.
    for (const [name, open] of [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['debug', lualib.luaopen_debug],
    ] as const) {
      lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_pushglobaltable(L);
    this.#globalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.#handlerRef = this.#runSetup(SETUP_HANDLER, false);
    this.#installRedisLibrary();
    // Lua 5.1 names scripts written for Redis use, and 5.1 numbers (doubles, see the header).
    this.#runSetup('unpack = table.unpack; table.getn = function(t) return #t end', false);
    lua.lua_getglobal(L, to_luastring('tonumber'));
    const tonumberRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushjsfunction(L, (L) => {
      const argc = lua.lua_gettop(L);
      if (argc !== 1) {
        // With a base: Lua's own tonumber, then made a float.
        lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, tonumberRef);
        lua.lua_insert(L, 1);
        lua.lua_call(L, argc, 1);
      } else if (!lua.lua_isnumber(L, 1)) {
        lua.lua_pushnil(L);
        return 1;
      }
      lua.lua_pushnumber(L, lua.lua_tonumber(L, -1));
      return 1;
    });
    lua.lua_setglobal(L, to_luastring('tonumber'));
    lua.lua_pushjsfunction(L, (L) => {
      if (lua.lua_type(L, 1) === lua.LUA_TNUMBER)
        lua.lua_pushstring(L, to_luastring(formatDouble(lua.lua_tonumber(L, 1), 14)));
      else lauxlib.luaL_tolstring(L, 1);
      return 1;
    });
    lua.lua_setglobal(L, to_luastring('tostring'));
    for (const name of ['dofile', 'loadfile', 'load', 'debug', 'print']) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, to_luastring(name));
    }
    this.#envRef = this.#runSetup(SETUP_ENV, true);
  }

  /** True when a script with this SHA1 is cached. */
  has(sha: string): boolean {
    return this.#scripts.has(sha);
  }

  /** Compiles and caches a script (SCRIPT LOAD, and the first EVAL of a body); returns its SHA1. */
  load(body: string): string {
    const sha = scriptSha1(body);
    if (this.#scripts.has(sha)) return sha;
    const L = this.#L;
    const status = asLua51(() =>
      lauxlib.luaL_loadbuffer(L, to_luastring(body), null, to_luastring('@user_script')),
    );
    if (status !== lua.LUA_OK) {
      // Lua 5.1 quotes the end-of-stream token ('<eof>'); fengari's 5.3 lexer does not.
      const message = to_jsstring(lua.lua_tolstring(L, -1)).replace(/ near <eof>$/, " near '<eof>'");
      lua.lua_settop(L, 0);
      throw new RedisReplyError(`ERR Error compiling script (new function): ${message}`);
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envRef);
    lua.lua_setupvalue(L, -2, 1); // the chunk's _ENV is the read-only global proxy
    this.#scripts.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    return sha;
  }

  /** Drops every cached script (SCRIPT FLUSH). */
  flush(): void {
    for (const ref of this.#scripts.values()) lauxlib.luaL_unref(this.#L, lua.LUA_REGISTRYINDEX, ref);
    this.#scripts.clear();
  }

  /** Runs a cached script; returns its converted reply or throws its error reply. */
  run(sha: string, keys: readonly string[], argv: readonly string[]): Reply {
    const L = this.#L;
    const ref = this.#scripts.get(sha);
    if (ref === undefined) throw new Error(`script ${sha} is not loaded`);
    lua.lua_settop(L, 0);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    pushStringArray(L, keys);
    lua.lua_setfield(L, -2, to_luastring('KEYS'));
    pushStringArray(L, argv);
    lua.lua_setfield(L, -2, to_luastring('ARGV'));
    lua.lua_settop(L, 0);
    // Redis 7.0 no longer reseeds per script (7.0 src/eval.c has no redisSrand48(0)): the sequence continues.
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#handlerRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    const status = asLua51(() => lua.lua_pcall(L, 0, 1, 1));
    try {
      if (status !== lua.LUA_OK) throw new RedisReplyError(this.#errorMessage(sha));
      const reply = luaToReply(L);
      if (reply instanceof RedisReplyError) throw reply;
      return reply;
    } finally {
      lua.lua_settop(L, 0);
    }
  }

  #errorMessage(sha: string): string {
    const L = this.#L;
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE)
      return `ERR ${luaString(L, -1) ?? 'unknown error'} script: ${sha}`;
    const field = (name: string): string | undefined => {
      lua.lua_pushstring(L, to_luastring(name));
      lua.lua_rawget(L, -2);
      const t = lua.lua_type(L, -1);
      const value = t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER ? luaString(L, -1) : undefined;
      lua.lua_pop(L, 1);
      return value;
    };
    const err = field('err') ?? 'ERR unknown error';
    const source = field('source');
    const line = field('line');
    return source === undefined ? `${err} script: ${sha}` : `${err} script: ${sha}, on ${source}:${line}.`;
  }

  /** Runs setup code with the full library; returns a registry ref to its result when asked. */
  #runSetup(code: string, passGlobals: boolean): number {
    const L = this.#L;
    if (lauxlib.luaL_loadbuffer(L, to_luastring(code), null, to_luastring('=redis_setup')) !== lua.LUA_OK) {
      throw new Error(`Lua setup failed: ${to_jsstring(lua.lua_tolstring(L, -1))}`);
    }
    if (passGlobals) lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    lua.lua_call(L, passGlobals ? 1 : 0, 1);
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  #installRedisLibrary(): void {
    const L = this.#L;
    lua.lua_createtable(L, 0, 16);
    const setFunction = (name: string, fn: (L: LuaState) => number) => {
      lua.lua_pushjsfunction(L, fn);
      lua.lua_setfield(L, -2, to_luastring(name));
    };
    setFunction('call', (L) => this.#redisCall(L, true));
    setFunction('pcall', (L) => this.#redisCall(L, false));
    setFunction('error_reply', (L) => {
      // src/script_lua.c luaRedisErrorReplyCommand + luaPushErrorBuff: "-CODE msg" keeps CODE,
      // a message without a leading "-" or without a space gets the ERR code.
      const raw = luaString(L, 1) ?? '';
      const text = raw.startsWith('-') ? raw : `-${raw}`;
      const space = text.indexOf(' ');
      const message =
        space === -1 ? `ERR ${text.slice(1)}` : `${text.slice(1, space)} ${text.slice(space + 1)}`;
      pushTableField(L, 'err', message);
      return 1;
    });
    setFunction('status_reply', (L) => {
      pushTableField(L, 'ok', luaString(L, 1) ?? '');
      return 1;
    });
    setFunction('sha1hex', (L) => {
      lua.lua_pushstring(L, to_luastring(scriptSha1(luaString(L, 1) ?? '')));
      return 1;
    });
    setFunction('log', () => 0);
    setFunction('replicate_commands', (L) => {
      lua.lua_pushboolean(L, true);
      return 1;
    });
    setFunction('set_repl', () => 0);
    for (const [name, value] of [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
      ['REPL_NONE', 0],
      ['REPL_AOF', 1],
      ['REPL_SLAVE', 2],
      ['REPL_REPLICA', 2],
      ['REPL_ALL', 3],
    ] as const) {
      lua.lua_pushinteger(L, value);
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_setglobal(L, to_luastring('redis'));

    // math.random / math.randomseed as src/script_lua.c redis_math_random over src/rand.c.
    lua.lua_getglobal(L, to_luastring('math'));
    lua.lua_pushjsfunction(L, (L) => {
      const r = (this.#nextRand48() % INT32_MAX) / INT32_MAX;
      const argc = lua.lua_gettop(L);
      if (argc === 0) lua.lua_pushnumber(L, r);
      else if (argc === 1) {
        const u = lauxlib.luaL_checkinteger(L, 1);
        if (u < 1) return lauxlib.luaL_argerror(L, 1, to_luastring('interval is empty'));
        lua.lua_pushnumber(L, Math.floor(r * u) + 1);
      } else {
        const l = lauxlib.luaL_checkinteger(L, 1);
        const u = lauxlib.luaL_checkinteger(L, 2);
        if (l > u) return lauxlib.luaL_argerror(L, 2, to_luastring('interval is empty'));
        lua.lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
      }
      return 1;
    });
    lua.lua_setfield(L, -2, to_luastring('random'));
    lua.lua_pushjsfunction(L, (L) => {
      this.#rand48 = (BigInt(Math.trunc(lauxlib.luaL_checkinteger(L, 1))) << 16n) + 0x330en;
      return 0;
    });
    lua.lua_setfield(L, -2, to_luastring('randomseed'));
    // Lua 5.1's floor/ceil return doubles (5.3's return integers, 32-bit in fengari).
    for (const [name, round] of [
      ['floor', Math.floor],
      ['ceil', Math.ceil],
    ] as const) {
      lua.lua_pushjsfunction(L, (L) => {
        lua.lua_pushnumber(L, round(lauxlib.luaL_checknumber(L, 1)));
        return 1;
      });
      lua.lua_setfield(L, -2, to_luastring(name));
    }
    lua.lua_pop(L, 1);
  }

  /** src/rand.c: the rand48 recurrence; returns the 31-bit value redisLrand48 does. */
  #nextRand48(): number {
    this.#rand48 = (this.#rand48 * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    return Number(this.#rand48 >> 17n);
  }

  /** redis.call (raise=true) and redis.pcall (raise=false), src/script_lua.c luaRedisGenericCommand. */
  #redisCall(L: LuaState, raise: boolean): number {
    const fail = (message: string): number => {
      pushTableField(L, 'err', message);
      return raise ? lua.lua_error(L) : 1;
    };
    const argc = lua.lua_gettop(L);
    if (argc === 0) return fail('ERR Please specify at least one argument for this redis lib call');
    const args: string[] = [];
    for (let i = 1; i <= argc; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TSTRING) args.push(to_jsstring(lua.lua_tolstring(L, i)));
      else if (t === lua.LUA_TNUMBER) args.push(formatDouble(lua.lua_tonumber(L, i)));
      else return fail('ERR Lua redis lib command arguments must be strings or integers');
    }
    let reply: Reply;
    try {
      reply = this.#host.callFromScript(args);
    } catch (error) {
      if (error instanceof RedisReplyError) return fail(error.message);
      throw error;
    }
    lua.lua_settop(L, 0);
    pushReply(L, reply);
    return 1;
  }
}

/**
 * String → number as Lua 5.1 does it: always a double. Used by the lexer (numerals in the script
 * text), arithmetic coercion and tonumber while our code runs.
 */
function luaO_str2num51(s: Uint8Array, o: TValue): number {
  const size = str2num53(s, o);
  if (size !== 0 && o.ttisinteger()) o.setfltvalue(o.value);
  return size;
}

const str2num53 = lobject.luaO_str2num;

/** Runs `fn` with fengari's number conversions switched to Lua 5.1's (restored afterwards). */
function asLua51<T>(fn: () => T): T {
  const tostring53 = lobject.luaO_tostring;
  lobject.luaO_tostring = luaO_tostring51;
  lobject.luaO_str2num = luaO_str2num51;
  try {
    return fn();
  } finally {
    lobject.luaO_tostring = tostring53;
    lobject.luaO_str2num = str2num53;
  }
}

/** Number → string as Lua 5.1 does it (%.14g, no ".0"), for `..` and lua_tolstring. */
function luaO_tostring51(L: LuaState, obj: TValue): void {
  const text = obj.ttisinteger() ? String(obj.value) : formatDouble(obj.value, 14);
  obj.setsvalue(lstring.luaS_bless(L, to_luastring(text)));
}

function luaString(L: LuaState, index: number): string | undefined {
  const t = lua.lua_type(L, index);
  if (t === lua.LUA_TNUMBER) {
    const n = lua.lua_tonumber(L, index);
    return formatDouble(n);
  }
  if (t !== lua.LUA_TSTRING) return undefined;
  return to_jsstring(lua.lua_tolstring(L, index));
}

function pushTableField(L: LuaState, field: string, value: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, to_luastring(value));
  lua.lua_setfield(L, -2, to_luastring(field));
}

function pushStringArray(L: LuaState, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  for (let i = 0; i < values.length; i++) {
    lua.lua_pushstring(L, to_luastring(values[i] as string));
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** RESP → Lua (src/script_lua.c redisProtocolToLuaType): nil bulk → false, status → {ok=}, error → {err=}. */
function pushReply(L: LuaState, reply: Reply): void {
  if (reply === null) lua.lua_pushboolean(L, false);
  else if (typeof reply === 'string') lua.lua_pushstring(L, to_luastring(reply));
  else if (typeof reply === 'number') {
    // Lua 5.1 has only doubles (see the header): integer replies enter the script as floats.
    lua.lua_pushnumber(L, reply);
  } else if (reply instanceof StatusReply) pushTableField(L, 'ok', reply.text);
  else if (reply instanceof RedisReplyError) pushTableField(L, 'err', reply.message);
  else {
    lua.lua_createtable(L, reply.length, 0);
    for (let i = 0; i < reply.length; i++) {
      pushReply(L, reply[i] as Reply);
      lua.lua_rawseti(L, -2, i + 1);
    }
  }
}

/**
 * Lua → RESP for the value on top of the stack (src/script_lua.c luaReplyToRedisReply): numbers
 * are truncated to integers, true → 1, false/nil → nil, `{err=}` → error, `{ok=}` → status, other
 * tables → arrays that stop at the first nil. Pops nothing.
 */
function luaToReply(L: LuaState): Reply {
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) return to_jsstring(lua.lua_tolstring(L, -1));
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, -1) ? 1 : null;
  if (t === lua.LUA_TNUMBER) return truncateToInt64(lua.lua_tonumber(L, -1));
  if (t !== lua.LUA_TTABLE) return null;
  for (const field of ['err', 'ok'] as const) {
    lua.lua_pushstring(L, to_luastring(field));
    lua.lua_rawget(L, -2);
    if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
      const text = to_jsstring(lua.lua_tolstring(L, -1));
      lua.lua_pop(L, 1);
      return field === 'err' ? new RedisReplyError(text) : new StatusReply(text);
    }
    lua.lua_pop(L, 1);
  }
  const items: Reply[] = [];
  for (let i = 1; ; i++) {
    if (lua.lua_rawgeti(L, -1, i) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return items;
    }
    items.push(luaToReply(L));
    lua.lua_pop(L, 1);
  }
}

/** C's `(long long)` cast of a double as x86-64 does it: out of range (or NaN) gives INT64_MIN. */
function truncateToInt64(x: number): number {
  const n = Math.trunc(x);
  if (Number.isNaN(n) || n >= TWO_POW_63 || n < INT64_MIN) return INT64_MIN;
  return n === 0 ? 0 : n;
}

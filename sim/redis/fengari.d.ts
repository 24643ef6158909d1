// The part of fengari 0.1.5 (Lua 5.3 in JavaScript) that sim/redis/lua.ts uses. fengari ships no
// type declarations; these mirror the C API names of lua.h / lauxlib.h that it reproduces.
declare module 'fengari' {
  /** An opaque lua_State. */
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  export type LuaCFunction = (L: LuaState) => number;
  export interface LuaDebug {
    currentline: number;
    source: Uint8Array | null;
    what: Uint8Array | null;
  }
  export interface LuaApi {
    readonly LUA_OK: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_MULTRET: number;
    lua_gettop(L: LuaState): number;
    lua_settop(L: LuaState, index: number): void;
    lua_pop(L: LuaState, n: number): void;
    lua_type(L: LuaState, index: number): number;
    lua_tonumber(L: LuaState, index: number): number;
    lua_toboolean(L: LuaState, index: number): boolean;
    lua_tolstring(L: LuaState, index: number): Uint8Array;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: Uint8Array): void;
    lua_pushvalue(L: LuaState, index: number): void;
    lua_insert(L: LuaState, index: number): void;
    lua_isnumber(L: LuaState, index: number): boolean;
    lua_pushjsfunction(L: LuaState, fn: LuaCFunction): void;
    lua_pushglobaltable(L: LuaState): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_rawgeti(L: LuaState, index: number, i: number): number;
    lua_rawget(L: LuaState, index: number): number;
    lua_setfield(L: LuaState, index: number, key: Uint8Array): void;
    lua_getglobal(L: LuaState, name: Uint8Array): number;
    lua_setglobal(L: LuaState, name: Uint8Array): void;
    lua_setupvalue(L: LuaState, funcIndex: number, n: number): Uint8Array | null;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_error(L: LuaState): number;
  }
  export interface LauxApi {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buffer: Uint8Array, size: number | null, chunkname: Uint8Array): number;
    luaL_ref(L: LuaState, t: number): number;
    luaL_unref(L: LuaState, t: number, ref: number): void;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_checknumber(L: LuaState, arg: number): number;
    luaL_argerror(L: LuaState, arg: number, message: Uint8Array): number;
    luaL_tolstring(L: LuaState, index: number): Uint8Array;
    luaL_requiref(L: LuaState, modname: Uint8Array, openf: LuaCFunction, glb: number): void;
  }
  export interface LualibApi {
    luaL_openlibs(L: LuaState): void;
    luaopen_base: LuaCFunction;
    luaopen_table: LuaCFunction;
    luaopen_string: LuaCFunction;
    luaopen_math: LuaCFunction;
    luaopen_debug: LuaCFunction;
  }
  const fengari: {
    lua: LuaApi;
    lauxlib: LauxApi;
    lualib: LualibApi;
    to_luastring(s: string): Uint8Array;
    to_jsstring(b: Uint8Array): string;
  };
  export default fengari;
}

declare module 'fengari/src/lobject.js' {
  import type { LuaState } from 'fengari';
  /** A Lua value slot. */
  export interface TValue {
    readonly value: number;
    ttisinteger(): boolean;
    setsvalue(s: unknown): void;
    setfltvalue(n: number): void;
  }
  const lobject: {
    luaO_tostring: (L: LuaState, obj: TValue) => void;
    luaO_str2num: (s: Uint8Array, obj: TValue) => number;
  };
  export default lobject;
}

declare module 'fengari/src/lstring.js' {
  import type { LuaState } from 'fengari';

  const lstring: { luaS_bless(L: LuaState, bytes: Uint8Array): unknown };
  export default lstring;
}

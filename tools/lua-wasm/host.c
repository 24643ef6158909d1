/*
 * hasim's host for Redis's Lua 5.1, compiled to WebAssembly: the scripting environment that
 * redis-server 7.0.15 (Debian 5:7.0.15-1~deb12u10) builds around deps/lua, with a small C API
 * for the simulated node in sim/redis/lua.ts.
 *
 * Most of this file is ported from redis/redis src/script_lua.c and src/eval.c at tag 7.0.15
 * (with Debian's CVE-2025-46818 and CVE-2025-67733 patches): the `redis` library, the
 * replacement pcall, math.random over src/rand.c, the globals allow list and read-only tables,
 * the error handler, and the Lua -> RESP2 / RESP -> Lua conversions. Function names follow the
 * originals so they can be compared side by side. Those parts are:
 *
 * Copyright (c) 2009-2021, Redis Ltd.
 * Copyright (c) 2009-2012, Salvatore Sanfilippo <antirez at gmail dot com>
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 *   * Redistributions of source code must retain the above copyright notice,
 *     this list of conditions and the following disclaimer.
 *   * Redistributions in binary form must reproduce the above copyright
 *     notice, this list of conditions and the following disclaimer in the
 *     documentation and/or other materials provided with the distribution.
 *   * Neither the name of Redis nor the names of its contributors may be used
 *     to endorse or promote products derived from this software without
 *     specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 * AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE
 * LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 * CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 * SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 * CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 * ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 * POSSIBILITY OF SUCH DAMAGE.
 *
 * The C API (hl_*) and the byte format between this module and JavaScript are hasim's.
 *
 * One WebAssembly instance is one redis-server process: it holds one Lua state (replaced by
 * SCRIPT FLUSH, src/eval.c scriptingReset) and the rand48 state of src/rand.c, which, as in the
 * server, is process-wide and survives SCRIPT FLUSH.
 *
 * Byte format ("reply tree"), little-endian, used both for command replies going into a script
 * and for the script's own reply coming out:
 *   '$' u32 len, bytes     bulk string
 *   '+' u32 len, bytes     status
 *   '-' u32 len, bytes     error line, without its leading '-'
 *   ':' f64                integer (as the double Lua and JavaScript both hold)
 *   '*' u32 count, items   array
 *   '_'                    nil bulk / nil array
 * Command arguments (redis.call) and script inputs are u32-length-prefixed byte strings.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "rand.h"
#include "sha1.h"

#define EXPORT __attribute__((visibility("default")))

/* Implemented in JavaScript (sim/redis/lua-wasm.ts). host_call runs the command whose arguments
 * are at io[0..len) (mode 0) or tells whether such a command exists (mode 1, acl_check_cmd);
 * it writes its reply tree with hl_io() and returns the reply's length. */
__attribute__((import_module("host"), import_name("call"))) extern uint32_t host_call(uint32_t mode,
                                                                                    uint32_t len);

#define REDIS_VERSION "7.0.15"
#define REDIS_VERSION_NUM 0x0007000f
#define LL_DEBUG 0
#define LL_WARNING 3
#define PROPAGATE_AOF 1
#define PROPAGATE_REPL 2
#define REDIS_LRAND48_MAX INT32_MAX
/* src/script_lua.c luaCallFunction */
#define LUA_GC_CYCLE_PERIOD 50
/* Instructions between two calls of the count hook (src/script_lua.c luaCallFunction). */
#define HOOK_PERIOD 100000

static lua_State *lua;

/* Set while a script runs (src/script_lua.c keeps a scriptRunCtx in the registry). */
static int running;
/* RESP version the script's redis.call replies use (redis.setresp; reset to 2 per run). */
static int script_resp = 2;
/* Hook calls allowed per script run before it is killed (0: no limit), and whether it was. */
static uint32_t hooks_max;
static uint32_t hooks_run;
static int killed;
static long gc_count;

/* glibc's strtod and strtoull, where redis-server gets its numbers, differ from musl's in two
 * corners a script can reach (tonumber, numerals, cjson): musl drops the sign of a NaN (so
 * tonumber("-nan") would print "nan"), and musl takes "0x" without hex digits as a whole number
 * where glibc reads the "0" and stops at the "x" (so "return 0x" would compile). The build links
 * every call here with -Wl,--wrap=strtod,--wrap=strtoull. */
double __real_strtod(const char *s, char **end);
unsigned long long __real_strtoull(const char *s, char **end, int base);

static int is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Where the subject starts: after white space and a sign. */
static const char *subject(const char *s, int *negative) {
  while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
  *negative = *s == '-';
  if (*s == '-' || *s == '+') s++;
  return s;
}

/* Up to 15 decimal digits and nothing a longer number could continue with: the value is exact in a
 * double, so it is what strtod gives (musl's strtod does every conversion in software binary128,
 * which made it a tenth of a limiter script's time). */
static int small_decimal(const char *p, int negative, char **end, double *out) {
  long long v = 0;
  const char *d = p;
  while (*d >= '0' && *d <= '9' && d - p < 16) v = v * 10 + (*d++ - '0');
  long n = d - p;
  char c = *d;
  if (n == 0 || n > 15 || c == '.' || c == 'e' || c == 'E' || c == 'x' || c == 'X' || (c >= '0' && c <= '9'))
    return 0;
  *out = negative ? -(double)v : (double)v;
  if (end) *end = (char *)d;
  return 1;
}

double __wrap_strtod(const char *s, char **end) {
  int negative;
  const char *p = subject(s, &negative);
  double fast;
  if (small_decimal(p, negative, end, &fast)) return fast;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && !is_hex_digit(p[2]) &&
      !(p[2] == '.' && is_hex_digit(p[3]))) {
    if (end) *end = (char *)p + 1;
    return negative ? -0.0 : 0.0;
  }
  double d = __real_strtod(s, end);
  if (d != d) d = negative ? -fabs(d) : fabs(d);
  return d;
}

unsigned long long __wrap_strtoull(const char *s, char **end, int base) {
  int negative;
  const char *p = subject(s, &negative);
  if ((base == 16 || base == 0) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && !is_hex_digit(p[2])) {
    if (end) *end = (char *)p + 1;
    return 0;
  }
  return __real_strtoull(s, end, base);
}

/* The text printf("%.*g", precision, d) gives for an integral d below 10^precision: its digits
 * ("-0" for negative zero). Returns the length, or -1 when d is not such a number. musl prints
 * every double through software long double arithmetic; scripts mostly print integers. */
static int integral_g(char *buf, double d, int precision) {
  static const double limits[] = {1e14, 1e17};
  double limit = precision == 14 ? limits[0] : limits[1];
  if (!(d == floor(d)) || !(fabs(d) < limit)) return -1;
  char digits[24];
  int n = 0;
  unsigned long long v = (unsigned long long)fabs(d);
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  int len = 0;
  if (signbit(d)) buf[len++] = '-';
  while (n > 0) buf[len++] = digits[--n];
  buf[len] = '\0';
  return len;
}

/* lua_number2str (speed.patch): sprintf("%.14g") */
int hasim_number2str(char *s, double n) {
  int len = integral_g(s, n, 14);
  return len >= 0 ? len : sprintf(s, "%.14g", n);
}

/* ----------------------------------------------------------------------------------------------
 * The shared byte buffer between JavaScript and this module.
 * -------------------------------------------------------------------------------------------- */

static unsigned char *io;
static uint32_t io_cap;
static uint32_t io_len;

/* Returns a buffer of at least `need` bytes (its address may change on every call). */
EXPORT unsigned char *hl_io(uint32_t need) {
  if (need > io_cap) {
    uint32_t cap = io_cap ? io_cap : 4096;
    while (cap < need) cap *= 2;
    io = realloc(io, cap);
    if (io == NULL) abort();
    io_cap = cap;
  }
  return io;
}

static void out_reset(void) { io_len = 0; }

static void out_bytes(const void *p, uint32_t n) {
  hl_io(io_len + n);
  memcpy(io + io_len, p, n);
  io_len += n;
}

static void out_u8(unsigned char c) { out_bytes(&c, 1); }
static void out_u32(uint32_t v) { out_bytes(&v, 4); }

static void out_str(unsigned char tag, const char *s, uint32_t n) {
  out_u8(tag);
  out_u32(n);
  out_bytes(s, n);
}

/* Reserves the u32 count of an array whose length is known afterwards. */
static uint32_t out_deferred_len(void) {
  out_u8('*');
  uint32_t at = io_len;
  out_u32(0);
  return at;
}

static void out_set_len(uint32_t at, uint32_t n) { memcpy(io + at, &n, 4); }

static uint32_t in_u32(const unsigned char **p) {
  uint32_t v;
  memcpy(&v, *p, 4);
  *p += 4;
  return v;
}

/* ----------------------------------------------------------------------------------------------
 * Error tables (src/script_lua.c luaPushErrorBuff, luaPushError).
 * -------------------------------------------------------------------------------------------- */

/* sdstrim(s, "\r\n") on a C string, in place: both ends. */
static char *trim_crlf(char *s) {
  while (*s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
  return s;
}

/* sdsmapchars(s, "\r\n", "  ", 2) */
static void map_crlf(char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\r' || s[i] == '\n') s[i] = ' ';
}

/* Pushes {err='<CODE> <msg>'}. `err` is a C string ("-CODE msg" or "msg"); it is modified. */
static void luaPushErrorBuff(lua_State *L, char *err) {
  const char *code;
  char *msg;
  if (err[0] == '-') {
    char *space = strstr(err, " ");
    if (!space) {
      msg = err + 1;
      code = "ERR";
    } else {
      *space = '\0';
      msg = space + 1;
      code = err + 1;
    }
  } else {
    msg = err;
    code = "ERR";
  }
  msg = trim_crlf(msg);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushstring(L, code);
  lua_pushstring(L, " ");
  lua_pushstring(L, msg);
  lua_concat(L, 3);
  lua_settable(L, -3);
}

static void luaPushError(lua_State *L, const char *error) {
  size_t n = strlen(error);
  char *copy = malloc(n + 1);
  if (copy == NULL) abort();
  memcpy(copy, error, n + 1);
  luaPushErrorBuff(L, copy);
  free(copy);
}

/* ----------------------------------------------------------------------------------------------
 * Command replies into Lua (src/script_lua.c redisProtocolToLuaType).
 * -------------------------------------------------------------------------------------------- */

static void push_checkstack(lua_State *L, int n) {
  /* Redis panics here; the simulated node raises a script error instead. */
  if (!lua_checkstack(L, n)) luaL_error(L, "lua stack limit reach when parsing redis.call reply");
}

static void redisProtocolToLuaType(lua_State *L, const unsigned char **p) {
  unsigned char tag = **p;
  *p += 1;
  switch (tag) {
    case '$': {
      uint32_t n = in_u32(p);
      push_checkstack(L, 1);
      lua_pushlstring(L, (const char *)*p, n);
      *p += n;
      break;
    }
    case ':': {
      double d;
      memcpy(&d, *p, 8);
      *p += 8;
      push_checkstack(L, 1);
      lua_pushnumber(L, (lua_Number)(long long)d);
      break;
    }
    case '+': {
      uint32_t n = in_u32(p);
      push_checkstack(L, 3);
      lua_newtable(L);
      lua_pushstring(L, "ok");
      lua_pushlstring(L, (const char *)*p, n);
      lua_settable(L, -3);
      *p += n;
      break;
    }
    case '-': {
      uint32_t n = in_u32(p);
      push_checkstack(L, 3);
      char *err = malloc(n + 2);
      if (err == NULL) abort();
      err[0] = '-';
      memcpy(err + 1, *p, n);
      err[n + 1] = '\0';
      *p += n;
      luaPushErrorBuff(L, err);
      free(err);
      /* the error was already counted when the command ran */
      lua_pushstring(L, "ignore_error_stats_update");
      lua_pushboolean(L, 1);
      lua_settable(L, -3);
      break;
    }
    case '*': {
      uint32_t n = in_u32(p);
      push_checkstack(L, 2);
      lua_newtable(L);
      for (uint32_t j = 0; j < n; j++) {
        lua_pushnumber(L, j + 1);
        redisProtocolToLuaType(L, p);
        lua_settable(L, -3);
      }
      break;
    }
    default: /* '_': a RESP2 nil is false; RESP3's null is nil */
      push_checkstack(L, 1);
      if (script_resp == 3)
        lua_pushnil(L);
      else
        lua_pushboolean(L, 0);
  }
}

/* ----------------------------------------------------------------------------------------------
 * The script's reply (src/script_lua.c luaReplyToRedisReply, for a RESP2 caller).
 * -------------------------------------------------------------------------------------------- */

/* addReplyErrorFormat("-%s", msg): trim CR/LF at both ends, map the others to spaces, and drop
 * the leading '-' that marks a caller-provided error code (addReplyErrorLength). */
static void out_error_line(const char *line) {
  size_t n = strlen(line);
  char *s = malloc(n + 1);
  if (s == NULL) abort();
  memcpy(s, line, n + 1);
  char *t = trim_crlf(s);
  size_t m = strlen(t);
  map_crlf(t, m);
  if (m > 0 && t[0] == '-')
    out_str('-', t + 1, (uint32_t)(m - 1));
  else {
    out_u8('-');
    out_u32((uint32_t)(m + 4));
    out_bytes("ERR ", 4);
    out_bytes(t, (uint32_t)m);
  }
  free(s);
}

static void out_double(double d) {
  char buf[128];
  if (isinf(d)) {
    const char *s = d > 0 ? "inf" : "-inf";
    out_str('$', s, (uint32_t)strlen(s));
    return;
  }
  int n = snprintf(buf, sizeof(buf), "%.17g", d);
  out_str('$', buf, (uint32_t)n);
}

/* Consumes the value on top of the stack. */
static void luaReplyToRedisReply(lua_State *L) {
  int t = lua_type(L, -1);
  if (!lua_checkstack(L, 4)) {
    out_error_line("reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (t) {
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, -1, &n);
      out_str('$', s, (uint32_t)n);
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          double one = 1;
          out_u8(':');
          out_bytes(&one, 8);
        } else
          out_u8('_');
      } else {
        double b = lua_toboolean(L, -1) ? 1 : 0;
        out_u8(':');
        out_bytes(&b, 8);
      }
      break;
    case LUA_TNUMBER: {
      /* (long long) of a double: what x86-64 gives (INT64_MIN when out of range) is what the
       * build's -mno-nontrapping-fptoint lowering gives too. */
      double v = (double)(long long)lua_tonumber(L, -1);
      out_u8(':');
      out_bytes(&v, 8);
      break;
    }
    case LUA_TTABLE: {
      lua_pushstring(L, "err");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TSTRING) {
        /* luaExtractErrorInformation on the table, then addReplyErrorFormatEx("-%s") */
        char *line = malloc(strlen(lua_tostring(L, -1)) + 2);
        if (line == NULL) abort();
        line[0] = '-';
        strcpy(line + 1, lua_tostring(L, -1));
        out_error_line(line);
        free(line);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      lua_pushstring(L, "ok");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TSTRING) {
        /* addReplyStatusSafe: a C string, CR/LF mapped to spaces */
        const char *s = lua_tostring(L, -1);
        size_t n = strlen(s);
        char *ok = malloc(n + 1);
        if (ok == NULL) abort();
        memcpy(ok, s, n + 1);
        map_crlf(ok, n);
        out_str('+', ok, (uint32_t)n);
        free(ok);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      lua_pushstring(L, "double");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TNUMBER) {
        out_double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      lua_pushstring(L, "big_number");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        char *num = malloc(n + 1);
        if (num == NULL) abort();
        memcpy(num, s, n);
        map_crlf(num, n);
        out_str('$', num, (uint32_t)n);
        free(num);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      lua_pushstring(L, "verbatim_string");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TTABLE) {
        lua_pushstring(L, "format");
        lua_rawget(L, -2);
        t = lua_type(L, -1);
        if (t == LUA_TSTRING) {
          lua_pushstring(L, "string");
          lua_rawget(L, -3);
          t = lua_type(L, -1);
          if (t == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, -1, &n);
            out_str('$', s, (uint32_t)n);
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);

      lua_pushstring(L, "map");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TTABLE) {
        uint32_t at = out_deferred_len();
        uint32_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          luaReplyToRedisReply(L); /* key */
          luaReplyToRedisReply(L); /* value */
          n += 2;
        }
        out_set_len(at, n);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      lua_pushstring(L, "set");
      lua_rawget(L, -2);
      t = lua_type(L, -1);
      if (t == LUA_TTABLE) {
        uint32_t at = out_deferred_len();
        uint32_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          luaReplyToRedisReply(L);
          n++;
        }
        out_set_len(at, n);
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);

      {
        uint32_t at = out_deferred_len();
        uint32_t n = 0;
        for (int j = 1;; j++) {
          lua_pushnumber(L, j);
          lua_rawget(L, -2);
          if (lua_type(L, -1) == LUA_TNIL) {
            lua_pop(L, 1);
            break;
          }
          luaReplyToRedisReply(L);
          n++;
        }
        out_set_len(at, n);
      }
      break;
    }
    default:
      out_u8('_');
  }
  lua_pop(L, 1);
}

/* ----------------------------------------------------------------------------------------------
 * The redis library (src/script_lua.c).
 * -------------------------------------------------------------------------------------------- */

/* luaArgsToRedisArgv: writes the arguments to io; on failure pushes the error table and
 * returns 0. */
static int luaArgsToRedisArgv(lua_State *L, int *argc) {
  *argc = lua_gettop(L);
  if (*argc == 0) {
    luaPushError(L, "Please specify at least one argument for this redis lib call");
    return 0;
  }
  out_reset();
  out_u32((uint32_t)*argc);
  int j;
  for (j = 0; j < *argc; j++) {
    const char *s;
    size_t n;
    char dbuf[64];
    if (lua_type(L, j + 1) == LUA_TNUMBER) {
      /* lua_tolstring would use %.14g and lose precision */
      double d = (double)lua_tonumber(L, j + 1);
      int len = integral_g(dbuf, d, 17);
      n = (size_t)(len >= 0 ? len : snprintf(dbuf, sizeof(dbuf), "%.17g", d));
      s = dbuf;
    } else {
      s = lua_tolstring(L, j + 1, &n);
      if (s == NULL) break; /* not a string */
    }
    out_u32((uint32_t)n);
    out_bytes(s, (uint32_t)n);
  }
  lua_pop(L, *argc);
  if (j != *argc) {
    luaPushError(L, "Lua redis lib command arguments must be strings or integers");
    return 0;
  }
  return 1;
}

static int luaRedisGenericCommand(lua_State *L, int raise_error) {
  if (!running) {
    luaPushError(L, "redis.call/pcall can only be called inside a script invocation");
    return lua_error(L);
  }
  int argc;
  if (!luaArgsToRedisArgv(L, &argc)) return raise_error ? lua_error(L) : 1;
  host_call(0, io_len);
  const unsigned char *p = io;
  if (raise_error && p[0] != '-') raise_error = 0;
  redisProtocolToLuaType(L, &p);
  if (raise_error) return lua_error(L);
  return 1;
}

static int luaRedisCallCommand(lua_State *L) { return luaRedisGenericCommand(L, 1); }
static int luaRedisPCallCommand(lua_State *L) { return luaRedisGenericCommand(L, 0); }

/* Redis 7's error objects are tables; the script's own pcall hands back the message string. */
static int luaRedisPcall(lua_State *L) {
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

static void sha1hex(char *digest, const char *script, size_t len) {
  SHA1_CTX ctx;
  unsigned char hash[20];
  const char *cset = "0123456789abcdef";
  SHA1Init(&ctx);
  SHA1Update(&ctx, (const unsigned char *)script, len);
  SHA1Final(hash, &ctx);
  for (int j = 0; j < 20; j++) {
    digest[j * 2] = cset[((hash[j] & 0xF0) >> 4)];
    digest[j * 2 + 1] = cset[(hash[j] & 0xF)];
  }
  digest[40] = '\0';
}

static int luaRedisSha1hexCommand(lua_State *L) {
  int argc = lua_gettop(L);
  char digest[41];
  size_t len = 0;
  if (argc != 1) {
    luaPushError(L, "wrong number of arguments");
    return lua_error(L);
  }
  const char *s = lua_tolstring(L, 1, &len);
  /* redis-server hashes whatever lua_tolstring left for a non-string; here that is "" */
  if (s == NULL) {
    s = "";
    len = 0;
  }
  sha1hex(digest, s, len);
  lua_pushstring(L, digest);
  return 1;
}

static int luaRedisReturnSingleFieldTable(lua_State *L, const char *field) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    luaPushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

static int luaRedisErrorReplyCommand(lua_State *L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    luaPushError(L, "wrong number or type of arguments");
    return 1;
  }
  const char *err = lua_tostring(L, -1);
  size_t n = strlen(err);
  char *buf = malloc(n + 2);
  if (buf == NULL) abort();
  if (err[0] != '-') {
    buf[0] = '-';
    memcpy(buf + 1, err, n + 1);
  } else
    memcpy(buf, err, n + 1);
  luaPushErrorBuff(L, buf);
  free(buf);
  return 1;
}

static int luaRedisStatusReplyCommand(lua_State *L) { return luaRedisReturnSingleFieldTable(L, "ok"); }

/* Replication flags are checked as redis-server does; the simulated node always propagates. */
static int luaRedisSetReplCommand(lua_State *L) {
  int argc = lua_gettop(L);
  if (!running) {
    luaPushError(L, "redis.set_repl can only be called inside a script invocation");
    return lua_error(L);
  }
  if (argc != 1) {
    luaPushError(L, "redis.set_repl() requires two arguments.");
    return lua_error(L);
  }
  int flags = (int)lua_tonumber(L, -1);
  if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) != 0) {
    luaPushError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return lua_error(L);
  }
  return 0;
}

/* Every command is permitted (the simulated node has only the default user). */
static int luaRedisAclCheckCmdPermissionsCommand(lua_State *L) {
  if (!running) {
    luaPushError(L, "redis.acl_check_cmd can only be called inside a script invocation");
    return lua_error(L);
  }
  int argc;
  if (!luaArgsToRedisArgv(L, &argc)) return lua_error(L);
  if (host_call(1, io_len) == 0) {
    luaPushError(L, "Invalid command passed to redis.acl_check_cmd()");
    return lua_error(L);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Arguments are checked as redis-server does; nothing is logged (its default verbosity is
 * notice, and the simulation has no log). */
static int luaLogCommand(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc < 2) {
    luaPushError(L, "redis.log() requires two arguments or more.");
    return lua_error(L);
  } else if (!lua_isnumber(L, -argc)) {
    luaPushError(L, "First argument must be a number (log level).");
    return lua_error(L);
  }
  int level = (int)lua_tonumber(L, -argc);
  if (level < LL_DEBUG || level > LL_WARNING) {
    luaPushError(L, "Invalid debug level.");
    return lua_error(L);
  }
  return 0;
}

static int luaSetResp(lua_State *L) {
  if (!running) {
    luaPushError(L, "redis.setresp can only be called inside a script invocation");
    return lua_error(L);
  }
  int argc = lua_gettop(L);
  if (argc != 1) {
    luaPushError(L, "redis.setresp() requires one argument.");
    return lua_error(L);
  }
  int resp = (int)lua_tonumber(L, -argc);
  if (resp != 2 && resp != 3) {
    luaPushError(L, "RESP version must be 2 or 3.");
    return lua_error(L);
  }
  script_resp = resp;
  return 0;
}

/* src/eval.c: no debugger, so breakpoint() is false and debug() does nothing. */
static int luaRedisBreakpointCommand(lua_State *L) {
  lua_pushboolean(L, 0);
  return 1;
}

static int luaRedisDebugCommand(lua_State *L) {
  (void)L;
  return 0;
}

static int luaRedisReplicateCommandsCommand(lua_State *L) {
  lua_pushboolean(L, 1);
  return 1;
}

static int redis_math_random(lua_State *L) {
  if (!running) return luaL_error(L, "math.random can only be called inside a script invocation");
  /* the `%' avoids the (rare) case of r==1, and is needed also because on
     some systems (SunOS!) `rand()' may return a value larger than RAND_MAX */
  lua_Number r = (lua_Number)(redisLrand48() % REDIS_LRAND48_MAX) / (lua_Number)REDIS_LRAND48_MAX;
  switch (lua_gettop(L)) {
    case 0: {
      lua_pushnumber(L, r);
      break;
    }
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

static int redis_math_randomseed(lua_State *L) {
  if (!running) return luaL_error(L, "math.randomseed can only be called inside a script invocation");
  redisSrand48(luaL_checkint(L, 1));
  return 0;
}

/* ----------------------------------------------------------------------------------------------
 * Globals protection (src/script_lua.c, with Debian's CVE-2025-46818 patch: setfenv, getfenv and
 * newproxy are deprecated and, with lua-enable-deprecated-api off, never reach the globals).
 * -------------------------------------------------------------------------------------------- */

static const char *libraries_allow_list[] = {"string", "cjson", "bit", "cmsgpack", "math", "table", "struct", NULL};
static const char *redis_api_allow_list[] = {"redis", "__redis__err__handler", NULL};
static const char *lua_builtins_allow_list[] = {
    "xpcall", "tostring", "setmetatable", "next",   "assert",     "tonumber", "rawequal",
    "collectgarbage", "getmetatable", "rawset", "pcall", "coroutine", "type", "_G",
    "select", "unpack", "gcinfo", "pairs", "rawget", "loadstring", "ipairs", "_VERSION",
    "load", "error", NULL};
static const char *lua_builtins_removed_after_initialization_allow_list[] = {"debug", NULL};
static const char **allow_lists[] = {libraries_allow_list, redis_api_allow_list, lua_builtins_allow_list,
                                     lua_builtins_removed_after_initialization_allow_list, NULL};

static int luaProtectedTableError(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc != 2) {
    luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
  }
  if (!lua_isstring(L, -1) && !lua_isnumber(L, -1)) {
    luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  }
  const char *variable_name = lua_tostring(L, -1);
  luaL_error(L, "Script attempted to access nonexistent global variable '%s'", variable_name);
  return 0;
}

static void luaSetErrorMetatable(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, luaProtectedTableError);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
}

static int luaNewIndexAllowList(lua_State *L) {
  int argc = lua_gettop(L);
  if (argc != 3) {
    luaL_error(L, "Wrong number of arguments to luaNewIndexAllowList");
  }
  if (!lua_istable(L, -3)) {
    luaL_error(L, "first argument to luaNewIndexAllowList must be a table");
  }
  if (!lua_isstring(L, -2) && !lua_isnumber(L, -2)) {
    luaL_error(L, "Second argument to luaNewIndexAllowList must be a string or number");
  }
  const char *variable_name = lua_tostring(L, -2);
  for (const char ***list = allow_lists; *list; ++list) {
    for (const char **c = *list; *c; ++c) {
      if (strcmp(*c, variable_name) == 0) {
        lua_rawset(L, -3);
        return 0;
      }
    }
  }
  /* not allowed (deny list, deprecated or unknown): dropped */
  return 0;
}

static void luaSetAllowListProtection(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, luaNewIndexAllowList);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
}

static void luaSetTableProtectionRecursively(lua_State *L) {
  if (lua_isreadonlytable(L, -1)) return;
  lua_enablereadonlytable(L, -1, 1);
  lua_checkstack(L, 2);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_istable(L, -1)) luaSetTableProtectionRecursively(L);
    lua_pop(L, 1);
  }
  if (lua_getmetatable(L, -1)) {
    luaSetTableProtectionRecursively(L);
    lua_pop(L, 1);
  }
}

static void luaSetTableProtectionForBasicTypes(lua_State *L) {
  static const int types[] = {LUA_TSTRING, LUA_TNUMBER, LUA_TBOOLEAN,      LUA_TNIL,
                              LUA_TFUNCTION, LUA_TTHREAD, LUA_TLIGHTUSERDATA};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    switch (types[i]) {
      case LUA_TSTRING: lua_pushstring(L, ""); break;
      case LUA_TNUMBER: lua_pushnumber(L, 0); break;
      case LUA_TBOOLEAN: lua_pushboolean(L, 0); break;
      case LUA_TNIL: lua_pushnil(L); break;
      case LUA_TFUNCTION: lua_pushcfunction(L, NULL); break;
      case LUA_TTHREAD: lua_newthread(L); break;
      case LUA_TLIGHTUSERDATA: lua_pushlightuserdata(L, (void *)L); break;
    }
    if (lua_getmetatable(L, -1)) {
      luaSetTableProtectionRecursively(L);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
}

/* ----------------------------------------------------------------------------------------------
 * Initialization (src/script_lua.c luaRegisterRedisAPI, src/eval.c scriptingInit).
 * -------------------------------------------------------------------------------------------- */

LUALIB_API int(luaopen_cjson)(lua_State *L);
LUALIB_API int(luaopen_struct)(lua_State *L);
LUALIB_API int(luaopen_cmsgpack)(lua_State *L);
LUALIB_API int(luaopen_bit)(lua_State *L);

static void luaLoadLib(lua_State *L, const char *libname, lua_CFunction luafunc) {
  lua_pushcfunction(L, luafunc);
  lua_pushstring(L, libname);
  lua_call(L, 1, 0);
}

static void luaLoadLibraries(lua_State *L) {
  luaLoadLib(L, "", luaopen_base);
  luaLoadLib(L, LUA_TABLIBNAME, luaopen_table);
  luaLoadLib(L, LUA_STRLIBNAME, luaopen_string);
  luaLoadLib(L, LUA_MATHLIBNAME, luaopen_math);
  luaLoadLib(L, LUA_DBLIBNAME, luaopen_debug);
  luaLoadLib(L, "cjson", luaopen_cjson);
  luaLoadLib(L, "struct", luaopen_struct);
  luaLoadLib(L, "cmsgpack", luaopen_cmsgpack);
  luaLoadLib(L, "bit", luaopen_bit);
}

static void set_function(lua_State *L, const char *name, lua_CFunction fn) {
  lua_pushstring(L, name);
  lua_pushcfunction(L, fn);
  lua_settable(L, -3);
}

static void set_number(lua_State *L, const char *name, lua_Number value) {
  lua_pushstring(L, name);
  lua_pushnumber(L, value);
  lua_settable(L, -3);
}

static void luaRegisterRedisAPI(lua_State *L) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  luaSetAllowListProtection(L);
  lua_pop(L, 1);

  luaLoadLibraries(L);

  lua_pushcfunction(L, luaRedisPcall);
  lua_setglobal(L, "pcall");

  lua_newtable(L);
  set_function(L, "call", luaRedisCallCommand);
  set_function(L, "pcall", luaRedisPCallCommand);
  set_function(L, "log", luaLogCommand);
  set_number(L, "LOG_DEBUG", 0);
  set_number(L, "LOG_VERBOSE", 1);
  set_number(L, "LOG_NOTICE", 2);
  set_number(L, "LOG_WARNING", 3);
  set_number(L, "REDIS_VERSION_NUM", REDIS_VERSION_NUM);
  lua_pushstring(L, "REDIS_VERSION");
  lua_pushstring(L, REDIS_VERSION);
  lua_settable(L, -3);
  set_function(L, "setresp", luaSetResp);
  set_function(L, "sha1hex", luaRedisSha1hexCommand);
  set_function(L, "error_reply", luaRedisErrorReplyCommand);
  set_function(L, "status_reply", luaRedisStatusReplyCommand);
  set_function(L, "set_repl", luaRedisSetReplCommand);
  set_number(L, "REPL_NONE", 0);
  set_number(L, "REPL_AOF", PROPAGATE_AOF);
  set_number(L, "REPL_SLAVE", PROPAGATE_REPL);
  set_number(L, "REPL_REPLICA", PROPAGATE_REPL);
  set_number(L, "REPL_ALL", PROPAGATE_AOF | PROPAGATE_REPL);
  set_function(L, "acl_check_cmd", luaRedisAclCheckCmdPermissionsCommand);
  lua_setglobal(L, "redis");

  lua_getglobal(L, "math");
  set_function(L, "random", redis_math_random);
  set_function(L, "randomseed", redis_math_randomseed);
  lua_setglobal(L, "math");
}

static const char *ERROR_HANDLER =
    "local dbg = debug\n"
    "debug = nil\n"
    "function __redis__err__handler(err)\n"
    "  local i = dbg.getinfo(2,'nSl')\n"
    "  if i and i.what == 'C' then\n"
    "    i = dbg.getinfo(3,'nSl')\n"
    "  end\n"
    "  if type(err) ~= 'table' then\n"
    "    err = {err='ERR ' .. tostring(err)}"
    "  end"
    "  if i then\n"
    "    err['source'] = i.source\n"
    "    err['line'] = i.currentline\n"
    "  end"
    "  return err\n"
    "end\n";

static void scriptingInit(void) {
  lua_State *L = luaL_newstate();
  luaRegisterRedisAPI(L);

  lua_getglobal(L, "redis");
  set_function(L, "breakpoint", luaRedisBreakpointCommand);
  set_function(L, "debug", luaRedisDebugCommand);
  set_function(L, "replicate_commands", luaRedisReplicateCommandsCommand);
  lua_setglobal(L, "redis");

  luaL_loadbuffer(L, ERROR_HANDLER, strlen(ERROR_HANDLER), "@err_handler_def");
  lua_pcall(L, 0, 0, 0);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  luaSetErrorMetatable(L);
  luaSetTableProtectionRecursively(L);
  lua_pop(L, 1);
  luaSetTableProtectionForBasicTypes(L);
  lua = L;
}

/* ----------------------------------------------------------------------------------------------
 * The C API.
 * -------------------------------------------------------------------------------------------- */

/* Creates the Lua state (process start). */
EXPORT void hl_init(void) {
  if (lua == NULL) scriptingInit();
}

/* SCRIPT FLUSH: a new Lua state (src/eval.c scriptingReset, with Debian's CVE-2024-46981 full
 * collection before lua_close). The rand48 state is kept. */
EXPORT void hl_reset(void) {
  lua_gc(lua, LUA_GCCOLLECT, 0);
  lua_close(lua);
  lua = NULL;
  scriptingInit();
}

/* Compiles the body at io[0..len) as "@user_script" (src/eval.c luaCreateFunction). Returns a
 * registry reference (> 0), or 0 with the compiler's message at io as u32 length + bytes. */
EXPORT int hl_load(uint32_t len) {
  if (luaL_loadbuffer(lua, (const char *)io, len, "@user_script")) {
    const char *msg = lua_tostring(lua, -1);
    uint32_t n = (uint32_t)strlen(msg);
    char *copy = malloc(n + 1);
    if (copy == NULL) abort();
    memcpy(copy, msg, n + 1);
    lua_pop(lua, 1);
    out_reset();
    out_u32(n);
    out_bytes(copy, n);
    free(copy);
    return 0;
  }
  return luaL_ref(lua, LUA_REGISTRYINDEX);
}

/* Drops a compiled script. */
EXPORT void hl_unref(int ref) { luaL_unref(lua, LUA_REGISTRYINDEX, ref); }

/* Kill a script after this many count-hook calls (HOOK_PERIOD instructions each); 0: never. */
EXPORT void hl_set_hooks_max(uint32_t n) { hooks_max = n; }

/* True when the last run was killed by the instruction limit. */
EXPORT int hl_killed(void) { return killed; }

static void luaMaskCountHook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  if (killed || ++hooks_run > hooks_max) {
    /* As SCRIPT KILL does: raise on every line from now on, so pcall cannot swallow it. */
    killed = 1;
    lua_sethook(L, luaMaskCountHook, LUA_MASKLINE, 0);
    luaPushError(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

static void luaCreateArray(lua_State *L, const unsigned char **p, uint32_t n) {
  lua_newtable(L);
  for (uint32_t j = 0; j < n; j++) {
    uint32_t len = in_u32(p);
    lua_pushlstring(L, (const char *)*p, len);
    *p += len;
    lua_rawseti(L, -2, (int)j + 1);
  }
}

/* Runs a compiled script (src/script_lua.c luaCallFunction). io holds the 40-hex SHA1, u32 key
 * count, u32 argument count, then the keys and arguments. Leaves the reply tree at io and
 * returns its length. */
EXPORT uint32_t hl_run(int ref) {
  lua_State *L = lua;
  char sha[41];
  memcpy(sha, io, 40);
  sha[40] = '\0';
  const unsigned char *p = io + 40;
  uint32_t nkeys = in_u32(&p);
  uint32_t nargs = in_u32(&p);

  lua_getglobal(L, "__redis__err__handler");
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);

  running = 1;
  script_resp = 2;
  killed = 0;
  hooks_run = 0;
  if (hooks_max > 0) lua_sethook(L, luaMaskCountHook, LUA_MASKCOUNT, HOOK_PERIOD);

  luaCreateArray(L, &p, nkeys);
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
  lua_setglobal(L, "KEYS");
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);
  luaCreateArray(L, &p, nargs);
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 0);
  lua_setglobal(L, "ARGV");
  lua_enablereadonlytable(L, LUA_GLOBALSINDEX, 1);

  int err = lua_pcall(L, 0, 1, -2);

  if (++gc_count == LUA_GC_CYCLE_PERIOD) {
    lua_gc(L, LUA_GCSTEP, LUA_GC_CYCLE_PERIOD);
    gc_count = 0;
  }

  out_reset();
  if (err) {
    if (!lua_istable(L, -1)) {
      const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
      char line[256];
      snprintf(line, sizeof(line), "Error running script %s, %.100s\n", sha, msg);
      out_error_line(line);
    } else {
      /* luaExtractErrorInformation, then "-%s script: %s, on %s:%s." with CR/LF mapped to
       * spaces (addReplyErrorSdsExSafe). A table without a string `err` crashes
       * redis-server 7.0.15 (sdscatfmt of NULL); the simulated node answers
       * "ERR unknown error" instead. */
      lua_getfield(L, -1, "err");
      size_t msg_len = 0;
      const char *msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "ERR unknown error";
      char *msg_copy = malloc(strlen(msg) + 1);
      if (msg_copy == NULL) abort();
      strcpy(msg_copy, msg);
      msg_len = strlen(msg_copy);
      lua_pop(L, 1);
      lua_getfield(L, -1, "source");
      char *source = NULL;
      if (lua_isstring(L, -1)) {
        source = malloc(strlen(lua_tostring(L, -1)) + 1);
        if (source == NULL) abort();
        strcpy(source, lua_tostring(L, -1));
      }
      lua_pop(L, 1);
      lua_getfield(L, -1, "line");
      char *line_no = NULL;
      if (lua_isstring(L, -1)) {
        line_no = malloc(strlen(lua_tostring(L, -1)) + 1);
        if (line_no == NULL) abort();
        strcpy(line_no, lua_tostring(L, -1));
      }
      lua_pop(L, 1);
      size_t n = msg_len + 64 + (source ? strlen(source) : 0) + (line_no ? strlen(line_no) : 0);
      char *final_msg = malloc(n + 1);
      if (final_msg == NULL) abort();
      if (line_no && source)
        snprintf(final_msg, n + 1, "%s script: %s, on %s:%s.", msg_copy, sha, source, line_no);
      else
        snprintf(final_msg, n + 1, "%s", msg_copy);
      size_t m = strlen(final_msg);
      map_crlf(final_msg, m);
      out_str('-', final_msg, (uint32_t)m);
      free(final_msg);
      free(msg_copy);
      free(source);
      free(line_no);
    }
    lua_pop(L, 1);
  } else {
    luaReplyToRedisReply(L);
  }

  if (hooks_max > 0) lua_sethook(L, NULL, 0, 0);
  running = 0;
  lua_pop(L, 1); /* the error handler */
  return io_len;
}

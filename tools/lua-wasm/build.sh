#!/usr/bin/env bash
# Builds sim/redis/lua/redis-lua.wasm: Redis 7.0.15's deps/lua (Lua 5.1.5 as Redis patched it, with
# cjson, cmsgpack, struct and bit), Redis's rand.c and sha1.c, and host.c, compiled to standalone
# WebAssembly with Debian's emscripten (apt-get install emscripten; built and checked with 3.1.6).
# The result is committed, so neither CI nor users need emscripten.
#
# Compiler flags: those of redis/redis deps/Makefile for Lua (-DLUA_ANSI -DENABLE_CJSON_GLOBAL
# -DREDIS_STATIC='' -DLUA_USE_MKSTEMP, -O2), plus what keeps wasm32 (ILP32) answering as the
# x86-64 (LP64) redis-server does: lp64.patch, -DLUA_USELONGLONG (string.format's %d uses 64
# bits), -DSTRUCT_INT='long long' (struct.pack's integers), -mno-nontrapping-fptoint (a double
# out of an integer's range converts to INT_MIN as cvttsd2si does, not saturated), and setjmp /
# longjmp (Lua's errors) as WebAssembly exceptions, so no JavaScript glue is needed.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/sim/redis/lua/redis-lua.wasm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The tree keeps Redis's layout: lua_cjson.c includes ../../../src/solarisfixes.h.
mkdir -p "$work/deps/lua/src" "$work/src"
cp "$here"/redis/deps/lua/src/*.[ch] "$work/deps/lua/src/"
cp "$here"/redis/src/*.[ch] "$work/src/"
cp "$here/host.c" "$here/config.h" "$work/src/"
(cd "$work/deps/lua/src" && patch -s -p1 < "$here/lp64.patch" && patch -s -p1 < "$here/speed.patch")

# deps/lua/src/Makefile CORE_O and LIB_O, without the libraries redis-server never opens (io, os,
# package) and without the stand-alone interpreters.
sources=(
  lapi.c lcode.c ldebug.c ldo.c ldump.c lfunc.c lgc.c llex.c lmem.c lobject.c lopcodes.c
  lparser.c lstate.c lstring.c ltable.c ltm.c lundump.c lvm.c lzio.c strbuf.c fpconv.c
  lauxlib.c lbaselib.c ldblib.c lmathlib.c ltablib.c lstrlib.c
  lua_cjson.c lua_struct.c lua_cmsgpack.c lua_bit.c
)

cflags=(
  -O2 -Wall -Wno-unused-but-set-variable
  -DLUA_ANSI -DENABLE_CJSON_GLOBAL "-DREDIS_STATIC=" -DLUA_USE_MKSTEMP
  -DLUA_USELONGLONG "-DSTRUCT_INT=long long"
  -mno-nontrapping-fptoint -sSUPPORT_LONGJMP=wasm
)

exports=_hl_io,_hl_init,_hl_reset,_hl_load,_hl_unref,_hl_run,_hl_set_hooks_max,_hl_killed

cd "$work"
mkdir obj
for s in "${sources[@]}"; do
  emcc "${cflags[@]}" -c "deps/lua/src/$s" -o "obj/${s%.c}.o"
done
for s in rand.c sha1.c host.c; do
  emcc "${cflags[@]}" -Ideps/lua/src -c "src/$s" -o "obj/${s%.c}.o"
done
emcc -O2 -mno-nontrapping-fptoint -sSUPPORT_LONGJMP=wasm \
  --no-entry -sSTANDALONE_WASM -sFILESYSTEM=0 -Wl,--wrap=strtod,--wrap=strtoull \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=2097152 -sMAXIMUM_MEMORY=1073741824 \
  -sTOTAL_STACK=1048576 \
  -sEXPORTED_FUNCTIONS="$exports" -sERROR_ON_UNDEFINED_SYMBOLS=0 \
  obj/*.o -o "$work/redis-lua.wasm"

mkdir -p "$(dirname "$out")"
cp "$work/redis-lua.wasm" "$out"
echo "wrote $out ($(wc -c < "$out") bytes, sha256 $(sha256sum "$out" | cut -d' ' -f1))"

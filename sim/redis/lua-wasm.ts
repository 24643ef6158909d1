// The Lua of one simulated redis-server process: an instance of sim/redis/lua/redis-lua.wasm,
// which is Redis 7.0.15's deps/lua with the scripting environment of src/script_lua.c and
// src/eval.c around it (built by tools/lua-wasm/build.sh; its byte format is described at the top
// of tools/lua-wasm/host.c). This file moves bytes between JavaScript and that instance; the
// script cache and EVAL semantics are in lua.ts.
//
// The module is compiled once, synchronously, when this file is loaded; each process
// instantiates it synchronously too, so creating a node never awaits and a simulated run stays
// deterministic. An instance has no clock, no randomness of its own (math.random is rand48 in
// its memory) and no imports but `host.call`, which runs a command on the node.
import { readFileSync } from 'node:fs';
import { decode, encodeInto } from './bytes.ts';
import { RedisReplyError, type Reply, StatusReply } from './reply.ts';

const WASM = new WebAssembly.Module(readFileSync(new URL('./lua/redis-lua.wasm', import.meta.url)));

interface LuaExports {
  readonly memory: WebAssembly.Memory;
  _initialize(): void;
  hl_io(need: number): number;
  hl_init(): void;
  hl_reset(): void;
  hl_load(len: number): number;
  hl_run(ref: number): number;
  hl_set_hooks_max(n: number): void;
  hl_killed(): number;
}

/** What the Lua of a process needs from its node. */
export interface LuaProcessHost {
  /** Runs a command a script issued; throws RedisReplyError on an error reply. */
  call(args: string[]): Reply;
  /** True when the node knows the command (redis.acl_check_cmd). */
  hasCommand(name: string): boolean;
}

/** Instructions between two calls of the count hook (tools/lua-wasm/host.c HOOK_PERIOD). */
const HOOK_PERIOD = 100_000;

/** Tags of the byte format (tools/lua-wasm/host.c). */
const BULK = 0x24; // '$'
const STATUS = 0x2b; // '+'
const ERROR = 0x2d; // '-'
const INTEGER = 0x3a; // ':'
const ARRAY = 0x2a; // '*'
const NIL = 0x5f; // '_'

/** A script that ran over its instruction limit: a simulator failure, not a Redis reply. */
export class LuaInstructionLimitError extends Error {
  override readonly name = 'LuaInstructionLimitError';
}

/** Lua 5.1 of one redis-server process. */
export class LuaProcess {
  readonly #x: LuaExports;
  readonly #host: LuaProcessHost;
  #u8: Uint8Array;
  #dv: DataView;
  /** Command names host calls have spelled so far (a script names a handful, e.g. `ZADD`). */
  readonly #names: string[] = [];
  /**
   * KEYS and ARGV of the run in progress, `#runArgs` from `#runFrom` on (KEYS first): a script
   * mostly passes them back to redis.call.
   */
  #runArgs: readonly string[] = [];
  #runFrom = 0;

  /**
   * @param instructionsMax instructions one script may run before the run fails with
   *   LuaInstructionLimitError (rounded up to a multiple of 100,000).
   */
  constructor(host: LuaProcessHost, instructionsMax: number) {
    this.#host = host;
    // emscripten's setjmp/longjmp (Lua's errors) returns setjmp's label through this register.
    let tempRet0 = 0;
    const instance = new WebAssembly.Instance(WASM, {
      host: { call: (mode: number, len: number) => this.#hostCall(mode, len) },
      env: {
        getTempRet0: () => tempRet0,
        setTempRet0: (value: number) => {
          tempRet0 = value;
        },
        emscripten_notify_memory_growth: () => {},
        // Only reachable through code redis-server never opens to scripts (stdio, exit).
        __syscall_dup3: () => -1,
      },
      wasi_snapshot_preview1: {
        proc_exit: (code: number) => {
          throw new Error(`redis-lua.wasm exited with ${code}`);
        },
        fd_write: () => 8, // EBADF
        fd_read: () => 8,
        fd_close: () => 8,
        fd_seek: () => 8,
      },
    });
    this.#x = instance.exports as unknown as LuaExports;
    this.#u8 = new Uint8Array(this.#x.memory.buffer);
    this.#dv = new DataView(this.#x.memory.buffer);
    this.#x._initialize();
    this.#x.hl_init();
    this.#x.hl_set_hooks_max(Math.ceil(instructionsMax / HOOK_PERIOD));
  }

  /** SCRIPT FLUSH: a new Lua state; rand48 keeps its state. */
  reset(): void {
    this.#x.hl_reset();
  }

  /** Compiles a script body; returns its reference, or the compiler's message. */
  load(body: string): { ref: number } | { error: string } {
    const at = this.#x.hl_io(body.length * 3);
    const len = encodeInto(body, this.#memory(), at) - at;
    const ref = this.#x.hl_load(len);
    if (ref !== 0) return { ref };
    const io = this.#x.hl_io(0);
    const mem = this.#memory();
    const n = this.#dv.getUint32(io, true);
    return { error: decode(mem, io + 4, io + 4 + n) };
  }

  /**
   * Runs a compiled script with KEYS and ARGV; returns its reply, or the error reply (not
   * thrown, so the caller decides). `sha` names the script in error messages.
   */
  run(ref: number, sha: string, keys: readonly string[], argv: readonly string[]): Reply | RedisReplyError {
    return this.runArgs(ref, sha, [...keys, ...argv], 0, keys.length);
  }

  /**
   * `run` with KEYS and ARGV given in place: `args` from `from` on, the first `numKeys` of them
   * KEYS, the rest ARGV (as EVAL's arguments carry them, src/eval.c evalGenericCommand).
   */
  runArgs(
    ref: number,
    sha: string,
    args: readonly string[],
    from: number,
    numKeys: number,
  ): Reply | RedisReplyError {
    let need = 48;
    for (let i = from; i < args.length; i++) need += 4 + (args[i] as string).length * 3;
    const io = this.#x.hl_io(need);
    const mem = this.#memory();
    let p = encodeInto(sha, mem, io);
    this.#dv.setUint32(p, numKeys, true);
    this.#dv.setUint32(p + 4, args.length - from - numKeys, true);
    p += 8;
    this.#writeStrings(args, from, mem, p);
    this.#runArgs = args;
    this.#runFrom = from;
    try {
      this.#x.hl_run(ref);
    } finally {
      this.#runArgs = [];
      this.#runFrom = 0;
    }
    if (this.#x.hl_killed() !== 0) {
      throw new LuaInstructionLimitError(`script ${sha} ran over its instruction limit (an endless loop?)`);
    }
    const out = this.#x.hl_io(0);
    this.#memory();
    return this.#readReply({ at: out }, true);
  }

  /** Writes each string of `list` from index `from` as length + bytes from `p`; returns the position after the last. */
  #writeStrings(list: readonly string[], from: number, mem: Uint8Array, at: number): number {
    let p = at;
    for (let i = from; i < list.length; i++) {
      const end = encodeInto(list[i] as string, mem, p + 4);
      this.#dv.setUint32(p, end - p - 4, true);
      p = end;
    }
    return p;
  }

  /**
   * Argument `i` of a host call, `n` bytes at `at`. The same bytes as a command name seen before
   * or as one of the run's KEYS or ARGV give that string back instead of a new copy: the keyspace
   * then looks up a string whose hash is already known, and nothing is allocated.
   */
  #argument(mem: Uint8Array, at: number, n: number, i: number): string {
    if (i === 0) {
      const names = this.#names;
      for (let k = 0; k < names.length; k++) {
        const name = names[k] as string;
        if (sameAscii(mem, at, n, name)) return name;
      }
      const name = decode(mem, at, at + n);
      if (names.length < NAMES_MAX) names.push(name);
      return name;
    }
    const known = this.#runArgs;
    for (let k = this.#runFrom; k < known.length; k++) {
      const s = known[k] as string;
      if (sameAscii(mem, at, n, s)) return s;
    }
    return decode(mem, at, at + n);
  }

  /** The memory, re-viewed after the instance grew it (growth detaches the old views). */
  #memory(): Uint8Array {
    if (this.#u8.byteLength === 0) {
      this.#u8 = new Uint8Array(this.#x.memory.buffer);
      this.#dv = new DataView(this.#x.memory.buffer);
    }
    return this.#u8;
  }

  /** Reads one reply tree; an error at the top comes back as a value, inside arrays too. */
  #readReply(cursor: { at: number }, top: boolean): Reply | RedisReplyError {
    const mem = this.#u8;
    const tag = mem[cursor.at];
    cursor.at += 1;
    switch (tag) {
      case BULK:
      case STATUS:
      case ERROR: {
        const n = this.#dv.getUint32(cursor.at, true);
        const text = decode(mem, cursor.at + 4, cursor.at + 4 + n);
        cursor.at += 4 + n;
        if (tag === BULK) return text;
        return tag === STATUS ? new StatusReply(text) : new RedisReplyError(text);
      }
      case INTEGER: {
        const v = this.#dv.getFloat64(cursor.at, true);
        cursor.at += 8;
        return v === 0 ? 0 : v;
      }
      case ARRAY: {
        const n = this.#dv.getUint32(cursor.at, true);
        cursor.at += 4;
        const items: Reply[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.#readReply(cursor, false);
        return items;
      }
      case NIL:
        return null;
      default:
        throw new Error(`redis-lua.wasm: unknown reply tag ${tag} (top ${top})`);
    }
  }

  /** The `host.call` import: runs the command at io and writes its reply tree back. Never throws into the instance. */
  #hostCall(mode: number, len: number): number {
    const io = this.#x.hl_io(0);
    const mem = this.#memory();
    const argc = this.#dv.getUint32(io, true);
    const args: string[] = new Array(argc);
    let p = io + 4;
    for (let i = 0; i < argc; i++) {
      const n = this.#dv.getUint32(p, true);
      args[i] = this.#argument(mem, p + 4, n, i);
      p += 4 + n;
    }
    if (p !== io + len) throw new Error('redis-lua.wasm: malformed command arguments');
    if (mode === 1) return this.#host.hasCommand(args[0] ?? '') ? 1 : 0;
    let reply: Reply;
    try {
      reply = this.#host.call(args);
    } catch (error) {
      if (!(error instanceof RedisReplyError)) throw error;
      reply = error;
    }
    const out = this.#x.hl_io(replySize(reply));
    const end = this.#writeReply(reply, out);
    return end - out;
  }

  #writeReply(reply: Reply, at: number): number {
    const mem = this.#memory();
    if (reply === null) {
      mem[at] = NIL;
      return at + 1;
    }
    if (typeof reply === 'number') {
      mem[at] = INTEGER;
      this.#dv.setFloat64(at + 1, reply, true);
      return at + 9;
    }
    if (Array.isArray(reply)) {
      mem[at] = ARRAY;
      this.#dv.setUint32(at + 1, reply.length, true);
      let p = at + 5;
      for (const item of reply) p = this.#writeReply(item, p);
      return p;
    }
    const [tag, text] =
      typeof reply === 'string'
        ? [BULK, reply]
        : reply instanceof StatusReply
          ? [STATUS, reply.text]
          : [ERROR, reply.message];
    mem[at] = tag;
    const end = encodeInto(text, mem, at + 5);
    this.#dv.setUint32(at + 1, end - at - 5, true);
    return end;
  }
}

/** Command names remembered per process (a script vocabulary is small; past this, decoded each time). */
const NAMES_MAX = 64;

/**
 * True when the `n` bytes at `at` are the ASCII string `s`. Only ASCII counts: a byte at or above
 * 0x80 decodes to a different string than the char code it equals (UTF-8, or an escaped byte).
 */
function sameAscii(mem: Uint8Array, at: number, n: number, s: string): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c !== mem[at + i] || c >= 0x80) return false;
  }
  return true;
}

/** Bytes enough for a reply tree (3 per UTF-16 unit). */
function replySize(reply: Reply): number {
  if (reply === null) return 1;
  if (typeof reply === 'number') return 9;
  if (Array.isArray(reply)) {
    let n = 5;
    for (const item of reply) n += replySize(item);
    return n;
  }
  const text = typeof reply === 'string' ? reply : reply instanceof StatusReply ? reply.text : reply.message;
  return 5 + text.length * 3;
}

// Lua scripting of the simulated node: Redis's own Lua 5.1 (deps/lua of redis 7.0.15, with cjson,
// cmsgpack, struct and bit) run as WebAssembly, one process per node (lua-wasm.ts), and the script
// cache of src/eval.c around it: EVAL compiles a body once and caches it by SHA1, SCRIPT LOAD
// compiles without running, EVALSHA runs what is cached, SCRIPT FLUSH drops the cache and the Lua
// state. Everything a script sees (numbers, tonumber, string.format, the `redis` library, pcall's
// error values, read-only globals, math.random's rand48 sequence, error wording) is the server's;
// tools/lua-wasm/README.md lists what still differs.
import { createHash } from 'node:crypto';
import { encode } from './bytes.ts';
import { LuaProcess } from './lua-wasm.ts';
import { RedisReplyError, type Reply } from './reply.ts';

/** What the engine needs from its node. */
export interface LuaHost {
  /** Runs a command issued by `redis.call`/`redis.pcall`; throws RedisReplyError on an error reply. */
  callFromScript(args: string[]): Reply;
  /** True when the node knows the command (redis.acl_check_cmd). @defaultValue every command */
  hasCommand?(name: string): boolean;
}

/** Options of {@link LuaEngine}. */
export interface LuaEngineOptions {
  /**
   * Lua instructions one script run may execute; a run that goes over fails with
   * LuaInstructionLimitError (a simulator failure, not a reply), as an endless loop would
   * otherwise hang the simulation. redis-server has no such limit (its scripts only become BUSY).
   * @defaultValue 1,000,000,000
   */
  readonly instructionsMax?: number;
}

/** Default of {@link LuaEngineOptions.instructionsMax}. */
export const LUA_INSTRUCTIONS_MAX = 1_000_000_000;

/** Bodies whose SHA1 is remembered, so a repeated EVAL does not hash its body again. */
const SHA_MEMO_MAX = 1024;

/** SHA1 hex of a script body's bytes, the key of the script cache (EVALSHA). */
export function scriptSha1(body: string): string {
  return createHash('sha1').update(encode(body)).digest('hex');
}

/** A node's scripting: its Lua process (created on first use) and its script cache. */
export class LuaEngine {
  readonly #host: LuaHost;
  readonly #instructionsMax: number;
  #process: LuaProcess | undefined;
  /** SHA1 -> the compiled function's reference in the current Lua state, and its body. */
  readonly #scripts = new Map<string, { ref: number; body: string }>();
  readonly #shaOf = new Map<string, string>();

  constructor(host: LuaHost, options: LuaEngineOptions = {}) {
    this.#host = host;
    this.#instructionsMax = options.instructionsMax ?? LUA_INSTRUCTIONS_MAX;
    if (!Number.isSafeInteger(this.#instructionsMax) || this.#instructionsMax < 1) {
      throw new RangeError(
        `LuaEngine: instructionsMax must be a positive integer (instructions), got ${options.instructionsMax}`,
      );
    }
  }

  /** True when a script with this SHA1 is cached. */
  has(sha: string): boolean {
    return this.#scripts.has(sha);
  }

  /** Compiles and caches a script (SCRIPT LOAD, and the first EVAL of a body); returns its SHA1. */
  load(body: string): string {
    const sha = this.#sha(body);
    if (this.#scripts.has(sha)) return sha;
    const compiled = this.#lua().load(body);
    if ('error' in compiled) {
      throw new RedisReplyError(oneLine(`ERR Error compiling script (new function): ${compiled.error}`));
    }
    this.#scripts.set(sha, { ref: compiled.ref, body });
    return sha;
  }

  /** SCRIPT FLUSH: drops every cached script and starts a new Lua state (src/eval.c scriptingReset). */
  flush(): void {
    this.#scripts.clear();
    this.#process?.reset();
  }

  /** A restart of the server process: no scripts, a fresh Lua state and a fresh rand48 sequence. */
  restart(): void {
    this.#scripts.clear();
    this.#process = undefined;
  }

  /** Runs a cached script; returns its converted reply or throws its error reply. */
  run(sha: string, keys: readonly string[], argv: readonly string[]): Reply {
    return this.runArgs(sha, [...keys, ...argv], 0, keys.length);
  }

  /**
   * `run` with KEYS and ARGV in place: `args` from `from` on, the first `numKeys` of them KEYS
   * (EVAL's own arguments, without copying them out).
   */
  runArgs(sha: string, args: readonly string[], from: number, numKeys: number): Reply {
    const script = this.#scripts.get(sha);
    if (script === undefined) throw new Error(`script ${sha} is not loaded`);
    let reply: Reply | RedisReplyError;
    try {
      reply = this.#lua().runArgs(script.ref, sha, args, from, numKeys);
    } catch (error) {
      // A JavaScript error thrown through the instance leaves its Lua state mid-call: start over.
      this.#recover();
      throw error;
    }
    if (reply instanceof RedisReplyError) throw reply;
    return reply;
  }

  #lua(): LuaProcess {
    if (this.#process === undefined) {
      this.#process = new LuaProcess(
        {
          call: (args) => this.#host.callFromScript(args),
          hasCommand: (name) => this.#host.hasCommand?.(name) ?? true,
        },
        this.#instructionsMax,
      );
    }
    return this.#process;
  }

  /** A new Lua state with every cached script compiled again. */
  #recover(): void {
    const process = this.#lua();
    process.reset();
    for (const [sha, script] of this.#scripts) {
      const compiled = process.load(script.body);
      if ('error' in compiled) this.#scripts.delete(sha);
      else script.ref = compiled.ref;
    }
  }

  #sha(body: string): string {
    let sha = this.#shaOf.get(body);
    if (sha === undefined) {
      sha = scriptSha1(body);
      if (this.#shaOf.size >= SHA_MEMO_MAX) this.#shaOf.clear();
      this.#shaOf.set(body, sha);
    }
    return sha;
  }
}

/** addReplyErrorFormat: CR/LF trimmed at both ends, the others replaced by spaces. */
function oneLine(message: string): string {
  return message.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
}

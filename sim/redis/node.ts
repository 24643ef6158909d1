// SimRedis: one simulated redis-server 7.0 on the injected clock. It implements RedisPort (async
// methods resolving at the current virtual time, after an optional per-command latency), and
// exposes what a cluster model needs: a synchronous `execute(args)` core, a stream of effective
// writes for replicas (script EFFECTS, absolute expiries), `applyReplicated`, snapshot/load for a
// full resync, and pub/sub delivery to in-process subscribers.
import type { Clock } from '../../src/ports/clock.ts';
import type { RedisSubscriber } from '../../src/ports/redis.ts';
import { byteLength } from './bytes.ts';
import { CommandPort } from './command-port.ts';
import { lastKeyIndex, spellingLookup } from './command-spec.ts';
import {
  arityOk,
  type CommandSpec,
  KEYSPACE_COMMANDS,
  Keyspace,
  keyspaceCommand,
  type SnapshotEntry,
} from './keyspace.ts';
import { LuaEngine } from './lua.ts';
import {
  arg,
  ERR_NOSCRIPT,
  ERR_NOT_INTEGER,
  ERR_READONLY,
  parseInteger,
  RedisReplyError,
  type Reply,
  StatusReply,
  toClientValue,
  unknownCommand,
  wrongArity,
} from './reply.ts';

/** Options of {@link SimRedis}. */
export interface SimRedisOptions {
  /** Name used in errors and by a cluster (e.g. `'127.0.0.1:7000'`). @defaultValue `'sim-redis'` */
  readonly name?: string;
  /** Virtual delay before each RedisPort command is executed, in ms. @defaultValue 0 */
  readonly latencyMs?: number;
  /**
   * Lua instructions one script may run before the run fails with LuaInstructionLimitError
   * (redis-server has no limit; an endless script would hang the simulation).
   * @defaultValue 1,000,000,000 (LUA_INSTRUCTIONS_MAX)
   */
  readonly luaInstructionsMax?: number;
}

/** What a node runs on: a Simulation satisfies it. */
export interface SimRedisPorts {
  /** Time for expiries, TIME and the per-command latency. */
  readonly clock: Clock;
}

/**
 * A batch of effective writes of one command (a script's effects arrive as one batch), and its
 * length in RESP (what it adds to a replication offset).
 */
export type ReplicationListener = (commands: readonly string[][], bytes: number) => void;

/** Role of a node: masters expire keys and accept writes; replicas hide expired keys and refuse writes. */
export type NodeRole =
  | { readonly role: 'master' }
  | { readonly role: 'replica'; readonly masterName: string };

/** A command the node handles itself (scripting, pub/sub, server), next to the keyspace table. */
interface NodeOnlySpec {
  readonly name: string;
  readonly arity: number;
  readonly write: boolean;
  readonly keys: undefined;
  readonly run: undefined;
}

/** Commands the node handles itself, with their arity and write flag (src/commands/*.json). */
const NODE_COMMANDS: readonly NodeOnlySpec[] = (
  [
    ['eval', -3, true],
    ['evalsha', -3, true],
    ['script', -2, false],
    ['publish', 3, false],
    ['ping', -1, false],
    ['echo', 2, false],
    ['time', 1, false],
  ] as const
).map(([name, arity, write]) => ({ name, arity, write, keys: undefined, run: undefined }));

/** Every command of the node: the keyspace table and its own. */
const NODE_TABLE: ReadonlyMap<string, CommandSpec | NodeOnlySpec> = new Map<
  string,
  CommandSpec | NodeOnlySpec
>([...KEYSPACE_COMMANDS, ...NODE_COMMANDS.map((spec) => [spec.name, spec] as const)]);

/** A command of the node's table: a keyspace command or one the node handles itself. */
export type NodeCommandSpec = CommandSpec | NodeOnlySpec;

/** The command (keyspace or node's own) a name spelled in any case names, or undefined. */
export const nodeCommand = spellingLookup(NODE_TABLE);

/** Commands a script may not call (src/commands: flag noscript). */
const NOSCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'script', 'multi', 'exec', 'watch', 'subscribe']);

/** A simulated redis-server 7.0 node (database 0). */
export class SimRedis extends CommandPort implements RedisSubscriber {
  /** Name of the node, e.g. its `host:port` in a cluster. */
  readonly name: string;
  /** Virtual per-command latency of the RedisPort methods, in ms. */
  latencyMs: number;
  /** Current role; a cluster model switches it on failover. */
  role: NodeRole = { role: 'master' };
  /** Replication offset: bytes of effects produced (master) or applied (replica), RESP-encoded. */
  replicationOffset = 0;

  readonly #keyspace: Keyspace;
  readonly #lua: LuaEngine;
  readonly #replicationListeners = new Set<ReplicationListener>();
  readonly #subscribers = new Map<string, Set<(message: string, channel: string) => void>>();
  #inScript = false;

  readonly #clock: Clock;

  constructor(options: SimRedisOptions, ports: SimRedisPorts) {
    super();
    this.#clock = ports.clock;
    this.name = options.name ?? 'sim-redis';
    this.latencyMs = options.latencyMs ?? 0;
    if (!Number.isInteger(this.latencyMs) || this.latencyMs < 0) {
      throw new Error(`SimRedis: latencyMs must be a non-negative integer (ms), got ${options.latencyMs}`);
    }
    this.#keyspace = new Keyspace({
      now: () => this.#clock.now(),
      isReplica: () => this.role.role === 'replica',
    });
    this.#lua = new LuaEngine(
      {
        callFromScript: (args) => this.#callFromScript(args),
        hasCommand: (name) => nodeCommand(name) !== undefined,
      },
      options.luaInstructionsMax === undefined ? {} : { instructionsMax: options.luaInstructionsMax },
    );
  }

  // --- the synchronous core ------------------------------------------------------------------

  /**
   * Executes one command as a client connection would, synchronously, at the clock's current
   * time. Returns the reply; throws `RedisReplyError` for an error reply. Writes are announced to
   * replication listeners as one batch.
   */
  execute(args: readonly string[]): Reply {
    try {
      return this.#dispatch(args, false);
    } finally {
      this.#flushEffects();
    }
  }

  /**
   * Applies a batch the master propagated (never refused, never expires keys, not re-propagated).
   * `bytes`: the batch's length in RESP when the master already counted it (else counted here).
   */
  applyReplicated(commands: readonly string[][], bytes?: number): void {
    this.#keyspace.applyingReplication = true;
    try {
      for (const args of commands) {
        const spec = keyspaceCommand(arg(args, 0));
        if (spec === undefined) throw new Error(`${this.name}: cannot apply replicated ${args[0]}`);
        spec.run(this.#keyspace, args);
        if (bytes === undefined) this.replicationOffset += respLength(args);
      }
      if (bytes !== undefined) this.replicationOffset += bytes;
    } finally {
      this.#keyspace.applyingReplication = false;
      // Never handed to anyone (#flushEffects replaces the array it hands out): emptied in place.
      this.#keyspace.effects.length = 0;
    }
  }

  /** Subscribes to this node's effective writes (what a replica would receive). */
  onReplicate(listener: ReplicationListener): () => void {
    this.#replicationListeners.add(listener);
    return () => this.#replicationListeners.delete(listener);
  }

  /** Deep copy of the keyspace, as an RDB for a full resync. */
  snapshot(): SnapshotEntry[] {
    return this.#keyspace.snapshot();
  }

  /** Replaces the keyspace with a snapshot (a replica loading the master's RDB). */
  load(entries: readonly SnapshotEntry[], replicationOffset: number): void {
    this.#keyspace.load(entries);
    this.replicationOffset = replicationOffset;
  }

  /** Drops every key (not propagated) and, with `scripts`, the script cache too (a restart). */
  flush(options: { readonly scripts?: boolean } = {}): void {
    this.#keyspace.flush();
    if (options.scripts) this.#lua.restart();
  }

  /** Keys currently stored, expired-but-not-reclaimed ones included (cluster slot bookkeeping). */
  storedKeys(): string[] {
    return [...this.#keyspace.keys()];
  }

  /** True when the script cache holds this SHA1. */
  hasScript(sha: string): boolean {
    return this.#lua.has(sha);
  }

  #dispatch(args: readonly string[], fromScript: boolean): Reply {
    if (args.length === 0) throw new RedisReplyError('ERR empty command');
    return this.#run(nodeCommand(arg(args, 0)), args, fromScript);
  }

  /** Runs a command `spec` (undefined: unknown) names, after processCommand's checks (src/server.c). */
  #run(spec: NodeCommandSpec | undefined, args: readonly string[], fromScript: boolean): Reply {
    if (spec === undefined) {
      throw fromScript
        ? new RedisReplyError('ERR Unknown Redis command called from script')
        : unknownCommand(args);
    }
    const name = spec.name;
    if (!arityOk(spec, args.length)) {
      throw fromScript
        ? new RedisReplyError('ERR Wrong number of args calling Redis command from script')
        : wrongArity(name);
    }
    if (fromScript && NOSCRIPT_COMMANDS.has(name)) {
      throw new RedisReplyError('ERR This Redis command is not allowed from script');
    }
    if (spec.write && this.role.role === 'replica' && name !== 'eval' && name !== 'evalsha') {
      throw new RedisReplyError(ERR_READONLY);
    }
    if (spec.run !== undefined) return spec.run(this.#keyspace, args);
    return this.#nodeCommand(name, args);
  }

  /**
   * Set by a cluster: returns an error line when a script touches a key this node does not serve
   * (src/script.c scriptVerifyClusterState), or undefined to allow it.
   */
  scriptKeyGuard: ((key: string) => string | undefined) | undefined;

  #callFromScript(args: string[]): Reply {
    if (args.length === 0) return this.#dispatch(args, true);
    const spec = nodeCommand(args[0] as string);
    const guard = this.scriptKeyGuard;
    if (guard !== undefined && spec?.keys !== undefined && arityOk(spec, args.length)) {
      const { first, step } = spec.keys;
      const last = lastKeyIndex(spec.keys, args.length);
      for (let i = first; i <= last && i < args.length; i += step) {
        const refusal = guard(args[i] as string);
        if (refusal !== undefined) throw new RedisReplyError(refusal);
      }
    }
    // A replica running a script refuses writes the same way (src/script.c scriptVerifyWriteCommandAllow).
    return this.#run(spec, args, true);
  }

  #nodeCommand(name: string, args: readonly string[]): Reply {
    switch (name) {
      case 'ping':
        return args.length > 1 ? arg(args, 1) : new StatusReply('PONG');
      case 'echo':
        return arg(args, 1);
      case 'time': {
        const now = this.#clock.now();
        return [String(Math.floor(now / 1000)), String((now % 1000) * 1000)];
      }
      case 'publish':
        return this.#deliver(arg(args, 1), arg(args, 2));
      case 'script':
        return this.#scriptCommand(args);
      case 'eval':
        return this.#evalCommand(this.#lua.load(arg(args, 1)), args);
      case 'evalsha': {
        const sha = arg(args, 1).toLowerCase();
        if (!this.#lua.has(sha)) throw new RedisReplyError(ERR_NOSCRIPT);
        return this.#evalCommand(sha, args);
      }
      default:
        throw unknownCommand(args);
    }
  }

  /** src/eval.c evalGenericCommand: numkeys checks, then run the cached function. */
  #evalCommand(sha: string, args: readonly string[]): Reply {
    const n = numKeysOf(arg(args, 2));
    if (n < 0) throw new RedisReplyError("ERR Number of keys can't be negative");
    if (n > args.length - 3) {
      throw new RedisReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (this.#inScript) throw new RedisReplyError('ERR This Redis command is not allowed from script');
    this.#inScript = true;
    try {
      return this.#lua.runArgs(sha, args, 3, n);
    } finally {
      this.#inScript = false;
    }
  }

  #scriptCommand(args: readonly string[]): Reply {
    const sub = arg(args, 1).toLowerCase();
    if (sub === 'load') {
      if (args.length !== 3)
        throw new RedisReplyError("ERR wrong number of arguments for 'script|load' command");
      return this.#lua.load(arg(args, 2));
    }
    if (sub === 'exists') {
      if (args.length < 3)
        throw new RedisReplyError("ERR wrong number of arguments for 'script|exists' command");
      return args.slice(2).map((sha) => (this.#lua.has(sha.toLowerCase()) ? 1 : 0));
    }
    if (sub === 'flush') {
      if (args.length > 3)
        throw new RedisReplyError("ERR wrong number of arguments for 'script|flush' command");
      this.#lua.flush();
      return new StatusReply('OK');
    }
    throw new RedisReplyError(`ERR unknown subcommand '${arg(args, 1).slice(0, 128)}'. Try SCRIPT HELP.`);
  }

  #flushEffects(): void {
    const effects = this.#keyspace.effects;
    if (effects.length === 0) return;
    this.#keyspace.effects = [];
    let bytes = 0;
    for (const args of effects) bytes += respLength(args);
    this.replicationOffset += bytes;
    for (const listener of this.#replicationListeners) listener(effects, bytes);
  }

  #deliver(channel: string, message: string): number {
    const subscribers = this.#subscribers.get(channel);
    if (subscribers === undefined) return 0;
    for (const onMessage of [...subscribers]) onMessage(message, channel);
    return subscribers.size;
  }

  // --- RedisPort -----------------------------------------------------------------------------

  /** Runs a command after the node's latency and resolves with the reply as ioredis would. */
  protected async commandArgv(argv: readonly string[]): Promise<unknown> {
    if (this.latencyMs > 0) await this.#clock.sleep(this.latencyMs);
    return toClientValue(this.execute(argv));
  }

  /** Subscribes in-process (a subscriber connection of its own, as ioredis needs). */
  async subscribe(
    channel: string,
    onMessage: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>> {
    if (this.latencyMs > 0) await this.#clock.sleep(this.latencyMs);
    let set = this.#subscribers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    const entry = (message: string, ch: string) => onMessage(message, ch);
    set.add(entry);
    return async () => {
      set.delete(entry);
      if (set.size === 0) this.#subscribers.delete(channel);
    };
  }
}

/** A count of one or two digits (no leading zero), as EVAL's numkeys mostly is: `Number` reads it exactly. */
const SMALL_COUNT = /^(0|[1-9][0-9]?)$/;

/**
 * EVAL's numkeys as src/eval.c reads it (getLongLongFromObjectOrReply: string2ll): throws
 * ERR_NOT_INTEGER when it is not an int64. Beyond the safe range the count is clamped: it is
 * then only compared with 0 and with the number of arguments, which it exceeds either way.
 */
function numKeysOf(text: string): number {
  if (SMALL_COUNT.test(text)) return Number(text);
  const n = parseInteger(text);
  if (n === undefined) throw new RedisReplyError(ERR_NOT_INTEGER);
  return n < 0n ? -1 : n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Length of a command in RESP (what the replication offset counts), e.g. `*1\r\n$4\r\nPING\r\n` = 14. */
export function respLength(args: readonly string[]): number {
  let n = 3 + digits(args.length);
  for (const a of args) {
    const bytes = byteLength(a);
    n += 5 + digits(bytes) + bytes;
  }
  return n;
}

/** Decimal digits of a non-negative integer (what `String(n).length` counts, without the string). */
function digits(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

// The live run's `Faults`: the scenario's fault timeline acting on real servers. Process faults are
// signals (SIGKILL, SIGSTOP/SIGCONT) to the processes scripts/backends.sh started and a start with
// the same command line; Redis failover is `CLUSTER FAILOVER` on the replica (redis.io "CLUSTER
// FAILOVER": default, FORCE, TAKEOVER); MariaDB replica faults are `STOP SLAVE IO_THREAD` and its
// kin, and the primary's `semi-sync-timeout` sets `rpl_semi_sync_master_timeout` (MariaDB KB
// "Semisynchronous Replication"). Network faults go to the fault proxy in front of a server, when
// the live world put one there (network.ts). Targets name roles resolved when the fault fires, as
// in the simulated world (sim/world/redis-world.ts, mysql-world.ts): `redis/shard-1/master` is the
// node mastering shard 1 then, and the verb that ends a fault (`restart`, `resume`, `repair`) goes
// to the node its start hit.
import {
  type BackendAdmin,
  driverAdmin,
  linuxProcesses,
  type ProcessControl,
} from '../../adapters/process-control.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  type FaultAction,
  type FaultArgs,
  FaultError,
  type Faults,
  type FaultTarget,
  type FaultVerb,
} from '../../ports/faults.ts';
import type { TraceSink } from '../../ports/trace.ts';
import type { NetworkFaults } from './network.ts';
import { RedisShards } from './redis-shards.ts';
import { describeServer, type LiveServer, ServerOps } from './server-ops.ts';
import type { LiveServers, ManagedProcess, MysqlServer } from './servers.ts';

/** Options of {@link LiveFaults}. */
export interface LiveFaultsOptions {
  /** The servers, from `discoverBackends()` or the live run's options. */
  readonly servers: LiveServers;
  /**
   * Fault servers hasim did not start (`--allow-foreign-faults`): admin-command faults (failover,
   * replica threads, semi-sync timeout) then act on them; process faults still need a known
   * process. @defaultValue false
   */
  readonly allowForeign?: boolean;
  /** Limit of one admin call, in ms. @defaultValue 2000 */
  readonly adminTimeoutMs?: number;
  /** Limit of each wait (exit, start, role change, fail-back), in ms. @defaultValue 60000 */
  readonly waitLimitMs?: number;
  /** Pause between polls of a wait, in ms. @defaultValue 100 */
  readonly pollIntervalMs?: number;
}

/** Ports of {@link LiveFaults}. `clock` is the system clock in a live run. */
export interface LiveFaultsPorts {
  readonly clock: Clock;
  readonly trace?: TraceSink;
  readonly processes?: ProcessControl;
  readonly admin?: BackendAdmin;
  /** Fault proxies in front of servers, for `partition`, `repair` and `slow`. */
  readonly network?: NetworkFaults;
}

type Handler = (args: FaultArgs) => Promise<void>;

const THREAD_SQL: Partial<Record<FaultVerb, string>> = {
  'stop-io-thread': 'STOP SLAVE IO_THREAD',
  'start-io-thread': 'START SLAVE IO_THREAD',
  'stop-sql-thread': 'STOP SLAVE SQL_THREAD',
  'start-sql-thread': 'START SLAVE SQL_THREAD',
};

/** Real faults on real servers, addressed like the simulated world's targets. */
export class LiveFaults implements Faults {
  readonly #targets = new Map<string, Map<FaultVerb, Handler>>();
  readonly #ops: ServerOps;
  readonly #trace: TraceSink | undefined;
  readonly #network: NetworkFaults | undefined;
  readonly #allowForeign: boolean;
  readonly #shards: RedisShards;
  /** target -> server its starting verb hit, for the ending verb. */
  readonly #boundTo = new Map<string, LiveServer>();
  readonly #crashed = new Set<LiveServer>();
  readonly #frozen = new Set<LiveServer>();
  /** A replica -> the thread-start statements restoreAll owes it. */
  readonly #stoppedThreads = new Map<MysqlServer, Set<string>>();
  /** The primary's `rpl_semi_sync_master_timeout` before the first `semi-sync-timeout`, in ms. */
  readonly #semiSyncBefore = new Map<MysqlServer, number>();
  /** Which stacks a server fault (not a proxy's) has touched since the last restoreAll. */
  readonly #touched = new Set<'redis' | 'mysql'>();
  #replicas: readonly MysqlServer[] = [];

  constructor(options: LiveFaultsOptions, ports: LiveFaultsPorts) {
    const limits = {
      adminTimeoutMs: options.adminTimeoutMs ?? 2_000,
      waitLimitMs: options.waitLimitMs ?? 60_000,
      pollIntervalMs: options.pollIntervalMs ?? 100,
    };
    for (const [field, ms] of Object.entries(limits)) {
      if (!Number.isFinite(ms) || ms <= 0) {
        throw new RangeError(`LiveFaults: ${field} must be a number of ms > 0, got ${String(ms)}`);
      }
    }
    this.#ops = new ServerOps(limits, {
      clock: ports.clock,
      processes: ports.processes ?? linuxProcesses,
      admin: ports.admin ?? driverAdmin,
    });
    this.#trace = ports.trace;
    this.#network = ports.network;
    this.#allowForeign = options.allowForeign ?? false;
    this.#shards = new RedisShards(options.servers.redis, this.#ops, (s) => this.#crashed.has(s));
    this.#registerRedis();
    this.#registerMysql(options.servers.mysql);
  }

  targets(): readonly FaultTarget[] {
    return [...this.#targets].map(([name, verbs]) => ({ name, verbs: [...verbs.keys()] }));
  }

  async inject(action: FaultAction): Promise<void> {
    const verbs = this.#targets.get(action.target);
    if (verbs === undefined) {
      const known = [...this.#targets.keys()].join(', ');
      throw new FaultError(`no fault target '${action.target}' (targets: ${known || 'none'})`);
    }
    const handler = verbs.get(action.verb);
    if (handler === undefined) {
      throw new FaultError(
        `target '${action.target}' has no verb '${action.verb}' live (verbs: ${[...verbs.keys()].join(', ')})`,
      );
    }
    if (action.verb !== 'partition' && action.verb !== 'repair' && action.verb !== 'slow') {
      this.#touched.add(action.target.startsWith('redis/') ? 'redis' : 'mysql');
    }
    this.#trace?.emit('fault', 'inject', {
      verb: action.verb,
      target: action.target,
      args: (action.args ?? {}) as Readonly<Record<string, string | number | boolean | readonly string[]>>,
    });
    await handler(action.args ?? {});
  }

  /**
   * Undoes every fault still in force, each step tried even when another failed: SIGCONT to frozen
   * processes, a start of crashed ones, replica threads started again, the semi-sync timeout set
   * back, network faults repaired; then, for a stack that had server faults since the last
   * restoreAll, every Redis shard failed back to its original master and every MariaDB replica's
   * IO and SQL threads seen running. A stack nothing was done to is left alone (a foreign cluster
   * that failed over by itself is not failed back). Resolves with what could not be restored
   * (empty when everything was).
   */
  async restoreAll(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    for (const server of [...this.#frozen]) {
      await attempt(`resume ${describeServer(server)}`, async () => this.#resume(server));
    }
    for (const server of [...this.#crashed]) {
      await attempt(`restart ${describeServer(server)}`, () => this.#restart(server));
    }
    for (const [server, statements] of [...this.#stoppedThreads]) {
      for (const sql of [...statements]) {
        await attempt(`${sql} on ${describeServer(server)}`, () => this.#sqlThread(server, sql));
      }
    }
    for (const [server, ms] of [...this.#semiSyncBefore]) {
      await attempt(`semi-sync timeout of ${describeServer(server)}`, async () => {
        await this.#ops.sql(server, `SET GLOBAL rpl_semi_sync_master_timeout = ${ms}`);
        this.#semiSyncBefore.delete(server);
      });
    }
    if (this.#network !== undefined)
      await attempt('network faults', () => this.#network?.restoreAll() ?? Promise.resolve());
    if (this.#touched.has('redis')) problems.push(...(await this.#shards.failBack()));
    if (this.#touched.has('mysql')) {
      for (const replica of this.#replicas) {
        await attempt(`replication on ${describeServer(replica)}`, () => this.#replicationRunning(replica));
      }
    }
    this.#touched.clear();
    this.#boundTo.clear();
    return problems;
  }

  #register(target: string, handlers: Partial<Record<FaultVerb, Handler>>) {
    const verbs = new Map<FaultVerb, Handler>();
    for (const [verb, handler] of Object.entries(handlers) as [FaultVerb, Handler | undefined][]) {
      if (handler !== undefined) verbs.set(verb, handler);
    }
    this.#targets.set(target, verbs);
  }

  /**
   * Process and network verbs of a target whose server `resolve` names when the fault fires.
   * Network faults act on hasim's own proxy, never on the server, so they are allowed on servers
   * hasim did not start.
   */
  #processVerbs(target: string, resolve: () => Promise<LiveServer>): Partial<Record<FaultVerb, Handler>> {
    const starting = async (binding: string, check: boolean) => {
      const found = await resolve();
      const server = check ? this.#checkForeign(found) : found;
      this.#boundTo.set(binding, server);
      return server;
    };
    const ending = async (binding: string, check: boolean) => {
      const server = this.#boundTo.get(binding) ?? (await starting(binding, check));
      this.#boundTo.delete(binding);
      return server;
    };
    const handlers: Partial<Record<FaultVerb, Handler>> = {
      crash: async () => {
        const server = await starting(target, true);
        await this.#ops.kill(server, this.#process(server, 'crash'));
        this.#crashed.add(server);
        this.#frozen.delete(server); // a killed process is no longer stopped
      },
      restart: async () => this.#restart(await ending(target, true)),
      freeze: async () => {
        const server = await starting(target, true);
        this.#ops.signal(server, this.#process(server, 'freeze'), 'SIGSTOP');
        this.#frozen.add(server);
      },
      resume: async () => this.#resume(await ending(target, true)),
    };
    const network = this.#network;
    if (network !== undefined) {
      const net = `${target} (network)`;
      handlers.partition = async (args) => network.apply(await starting(net, false), 'partition', args);
      handlers.repair = async (args) => network.apply(await ending(net, false), 'repair', args);
      handlers.slow = async (args) => network.apply(await resolve(), 'slow', args);
    }
    return handlers;
  }

  #registerRedis() {
    this.#shards.shards.forEach((shard, m) => {
      const name = `redis/shard-${m + 1}`;
      this.#register(
        `${name}/master`,
        this.#processVerbs(`${name}/master`, () => this.#shards.master(m)),
      );
      for (let r = 1; r < shard.length; r++) {
        const target = `${name}/replica-${r}`;
        const resolve = () => this.#shards.replica(m, r);
        this.#register(target, {
          ...this.#processVerbs(target, resolve),
          failover: async (args) => {
            const mode = args.mode === 'FORCE' || args.mode === 'TAKEOVER' ? args.mode : undefined;
            await this.#shards.failover(this.#checkForeign(await resolve()), mode);
          },
        });
      }
    });
  }

  #registerMysql(servers: readonly MysqlServer[]) {
    const primary = servers.find((s) => s.role === 'primary');
    const replicas = servers.filter((s) => s.role === 'replica');
    this.#replicas = replicas;
    if (primary !== undefined) {
      this.#register('mysql/primary', {
        ...this.#processVerbs('mysql/primary', async () => primary),
        'semi-sync-timeout': async (args) => this.#semiSyncTimeout(this.#checkForeign(primary), args),
        failover: async () => {
          throw new FaultError(
            'failover on mysql/primary is refused live: MariaDB has no built-in failover, and a live run ' +
              'has no failover manager (MHA, Orchestrator) to promote a replica',
          );
        },
      });
    }
    replicas.forEach((replica, i) => {
      const target = `mysql/replica-${i + 1}`;
      const threads: Partial<Record<FaultVerb, Handler>> = {};
      for (const [verb, sql] of Object.entries(THREAD_SQL) as [FaultVerb, string][]) {
        threads[verb] = async () => this.#sqlThread(this.#checkForeign(replica), sql);
      }
      this.#register(target, { ...this.#processVerbs(target, async () => replica), ...threads });
    });
  }

  #checkForeign<S extends LiveServer>(server: S): S {
    if (server.managed || this.#allowForeign) return server;
    throw new FaultError(
      `${describeServer(server)} was not started by hasim; pass --allow-foreign-faults to fault it`,
    );
  }

  #process(server: LiveServer, verb: string): ManagedProcess {
    if (server.process !== undefined) return server.process;
    throw new FaultError(
      `${verb}: no process is known for ${describeServer(server)} (hasim did not start it)`,
    );
  }

  async #restart(server: LiveServer) {
    await this.#ops.start(server, this.#process(server, 'restart'));
    this.#crashed.delete(server);
  }

  #resume(server: LiveServer) {
    this.#ops.signal(server, this.#process(server, 'resume'), 'SIGCONT');
    this.#frozen.delete(server);
  }

  async #sqlThread(server: MysqlServer, sql: string) {
    await this.#ops.sql(server, sql);
    const pending = this.#stoppedThreads.get(server) ?? new Set<string>();
    const start = sql.replace(/^STOP/, 'START');
    if (sql.startsWith('STOP')) pending.add(start);
    else pending.delete(sql);
    if (pending.size === 0) this.#stoppedThreads.delete(server);
    else this.#stoppedThreads.set(server, pending);
  }

  /** Waits until the replica's IO and SQL threads both run (a restarted primary is reconnected to). */
  async #replicationRunning(replica: MysqlServer) {
    let last: Record<string, unknown> | undefined;
    const running = async () => {
      last = (await this.#ops.sql(replica, 'SHOW SLAVE STATUS'))[0];
      return last?.Slave_IO_Running === 'Yes' && last?.Slave_SQL_Running === 'Yes';
    };
    try {
      await this.#ops.waitUntil(`${describeServer(replica)} to run its IO and SQL threads`, running);
    } catch (error) {
      const why = `IO ${String(last?.Slave_IO_Running)} '${String(last?.Last_IO_Error ?? '')}', SQL ${String(last?.Slave_SQL_Running)} '${String(last?.Last_SQL_Error ?? '')}'`;
      throw new FaultError(`${(error as Error).message} (${why})`);
    }
  }

  async #semiSyncTimeout(server: MysqlServer, args: FaultArgs) {
    const ms = args.timeoutMs;
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
      throw new FaultError(
        `semi-sync-timeout: args.timeoutMs must be an integer >= 0 (ms), got ${String(ms)}`,
      );
    }
    if (!this.#semiSyncBefore.has(server)) {
      const rows = await this.#ops.sql(server, 'SELECT @@GLOBAL.rpl_semi_sync_master_timeout AS ms');
      this.#semiSyncBefore.set(server, Number(rows[0]?.ms));
    }
    await this.#ops.sql(server, `SET GLOBAL rpl_semi_sync_master_timeout = ${ms}`);
  }
}

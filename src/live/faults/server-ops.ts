// What the live fault driver does to one real server: signals, a start with the recorded command
// line, admin commands, and the bounded waits around them. LiveFaults (live-faults.ts) decides
// which server a target names; this file acts on it.
import type { BackendAdmin, ProcessControl } from '../../adapters/process-control.ts';
import type { Clock } from '../../ports/clock.ts';
import { FaultError } from '../../ports/faults.ts';
import type { ManagedProcess, MysqlServer, RedisServer } from './servers.ts';

/** A Redis node or MariaDB server of the description. */
export type LiveServer = RedisServer | MysqlServer;

/** `redis 127.0.0.1:7000`: how messages name a server. */
export function describeServer(server: LiveServer): string {
  return `${server.kind} ${server.host}:${server.port}`;
}

/** Limits of {@link ServerOps}. */
export interface ServerOpsLimits {
  /** Limit of one admin call, in ms. */
  readonly adminTimeoutMs: number;
  /** Limit of each wait (a process to exit, a server to answer, a role to change), in ms. */
  readonly waitLimitMs: number;
  /** Pause between two polls of a wait, in ms. */
  readonly pollIntervalMs: number;
}

/** Signals, starts, admin calls and bounded waits on single servers. */
export class ServerOps {
  constructor(
    readonly limits: ServerOpsLimits,
    readonly ports: {
      readonly clock: Clock;
      readonly processes: ProcessControl;
      readonly admin: BackendAdmin;
    },
  ) {}

  /**
   * Polls `probe` until it returns true; throws a FaultError naming `what` after `limitMs`
   * (default {@link ServerOpsLimits.waitLimitMs}). A probe that throws counts as false.
   */
  async waitUntil(what: string, probe: () => Promise<boolean> | boolean, limitMs = this.limits.waitLimitMs) {
    const { clock } = this.ports;
    const deadline = clock.now() + limitMs;
    for (;;) {
      if (await Promise.resolve(probe()).catch(() => false)) return;
      if (clock.now() >= deadline) throw new FaultError(`timed out after ${limitMs} ms waiting for ${what}`);
      await clock.sleep(this.limits.pollIntervalMs);
    }
  }

  /** The process's current pid (the pid file is rewritten by a restart), if it is alive. */
  pidOf(proc: ManagedProcess): number | undefined {
    const { processes } = this.ports;
    const pid = processes.readPidFile(proc.pidFile) ?? proc.pid;
    return processes.alive(pid) ? pid : undefined;
  }

  /** SIGKILL, then wait until the process is gone. */
  async kill(server: LiveServer, proc: ManagedProcess): Promise<void> {
    const pid = this.pidOf(proc);
    if (pid === undefined) throw new FaultError(`crash: ${describeServer(server)} is not running`);
    this.ports.processes.signal(pid, 'SIGKILL');
    await this.waitUntil(`${describeServer(server)} (pid ${pid}) to exit after SIGKILL`, () => {
      return !this.ports.processes.alive(pid);
    });
  }

  /** SIGSTOP or SIGCONT the running process. */
  signal(server: LiveServer, proc: ManagedProcess, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const pid = this.pidOf(proc);
    if (pid === undefined) throw new FaultError(`${describeServer(server)} is not running (no ${signal})`);
    this.ports.processes.signal(pid, signal);
  }

  /** Starts the process with its recorded command line unless it runs, then waits until it answers. */
  async start(server: LiveServer, proc: ManagedProcess): Promise<void> {
    if (this.pidOf(proc) === undefined) {
      try {
        await this.ports.processes.start(proc.start);
      } catch (error) {
        throw new FaultError(`restart: cannot start ${describeServer(server)}: ${String(error)}`);
      }
    }
    await this.waitUntil(`${describeServer(server)} to answer after a restart`, () => this.answers(server));
  }

  /** True when the server answers a PING / `SELECT 1` within the admin timeout. */
  async answers(server: LiveServer): Promise<boolean> {
    if (server.kind === 'redis') return (await this.redis(server, ['PING'])) === 'PONG';
    await this.sql(server, 'SELECT 1');
    return true;
  }

  /** One Redis command on `server`. */
  redis(server: RedisServer, args: readonly string[]): Promise<unknown> {
    return this.ports.admin.redis(server.host, server.port, args, this.limits.adminTimeoutMs);
  }

  /** One SQL statement on `server` as its admin user. */
  sql(server: MysqlServer, statement: string) {
    return this.ports.admin.sql(server.host, server.port, server.user, statement, this.limits.adminTimeoutMs);
  }

  /** The role line of Redis `ROLE` (`master`, `slave`), or undefined when the node did not answer. */
  async redisRole(server: RedisServer): Promise<string | undefined> {
    try {
      const reply = await this.redis(server, ['ROLE']);
      return Array.isArray(reply) ? String(reply[0]) : undefined;
    } catch {
      return undefined;
    }
  }
}

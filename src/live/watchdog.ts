import {
  type HostPort,
  type LiveMysql,
  type LiveRedis,
  LiveServerError,
  probeTcp,
} from '../adapters/live-backends.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { type Clock, repeat, type TimerHandle } from '../ports/clock.ts';

/** Options of `Watchdog`. */
export interface WatchdogOptions {
  /** Real ms a server may stay unreachable before the run fails. */
  readonly deadAfterMs: number;
  /** Longest wait for one probe's TCP connection, ms. */
  readonly probeTimeoutMs: number;
  /** Real ms between probes. @defaultValue 1000 */
  readonly intervalMs?: number;
}

/**
 * Watches a live run's servers on real time: every `intervalMs` it opens a TCP connection to each.
 * A MariaDB server, or a standalone Redis, that refuses for `deadAfterMs` fails the run; a Redis
 * Cluster node only when the cluster has not covered for it by then (no reachable node reports
 * `cluster_state:ok`), since a master killed and replaced by its replica is what a failover is.
 */
export class Watchdog {
  readonly #options: WatchdogOptions;
  readonly #redis: LiveRedis;
  readonly #servers: { readonly what: string; readonly server: HostPort; readonly cluster: boolean }[];
  readonly #downSince = new Map<string, number>();
  readonly #timer: TimerHandle;
  /** Real time: how long a server has been down is measured on it. */
  readonly #clock: Clock;
  #reject: ((error: LiveServerError) => void) | undefined;
  #failure: LiveServerError | undefined;
  #probing = false;

  /**
   * `host:port` of servers the run's own fault timeline has crashed or frozen and not yet brought
   * back: they are down on purpose and never declared dead (the driver restores them at the end).
   */
  readonly #excused: ReadonlySet<string>;
  /** How a server is probed: a TCP connect (tests give a fake). */
  readonly #probeTcp: typeof probeTcp;

  constructor(
    options: WatchdogOptions,
    watched: {
      readonly redis: LiveRedis;
      readonly mysql: readonly LiveMysql[];
      readonly excused?: ReadonlySet<string>;
    },
    ports: { readonly probe?: typeof probeTcp; readonly clock?: Clock } = {},
  ) {
    this.#probeTcp = ports.probe ?? probeTcp;
    this.#clock = ports.clock ?? new SystemClock();
    this.#excused = watched.excused ?? new Set();
    this.#options = options;
    this.#redis = watched.redis;
    const cluster = watched.redis.mode === 'cluster';
    this.#servers = [
      ...watched.redis.servers.map((server) => ({ what: 'Redis', server, cluster })),
      ...watched.mysql.map((m) => ({ what: 'MariaDB', server: m.server, cluster: false })),
    ];
    this.#timer = repeat(this.#clock, options.intervalMs ?? 1000, () => void this.#probe());
  }

  /** Rejects with a `LiveServerError` when a server is declared dead; never resolves. */
  death(): Promise<never> {
    return new Promise((_, reject) => {
      if (this.#failure !== undefined) reject(this.#failure);
      else this.#reject = reject;
    });
  }

  stop(): void {
    this.#timer.cancel();
    this.#reject = undefined;
  }

  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      const now = this.#clock.now();
      for (const s of this.#servers) {
        const name = `${s.what} at ${s.server.host}:${s.server.port}`;
        const problem = await this.#probeTcp(s.server, this.#options.probeTimeoutMs);
        if (problem === undefined || this.#excused.has(`${s.server.host}:${s.server.port}`)) {
          this.#downSince.delete(name);
          continue;
        }
        const since = this.#downSince.get(name) ?? now;
        this.#downSince.set(name, since);
        if (now - since < this.#options.deadAfterMs) continue;
        if (s.cluster && (await this.#redis.healthy())) continue;
        this.#fail(new LiveServerError(name, problem));
        return;
      }
    } finally {
      this.#probing = false;
    }
  }

  #fail(error: LiveServerError): void {
    this.#failure = error;
    this.#timer.cancel();
    this.#reject?.(error);
  }
}

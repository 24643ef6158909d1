import {
  type HostPort,
  type LiveMysql,
  type LiveRedis,
  LiveServerError,
  probeTcp,
} from '../adapters/live-backends.ts';

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
  readonly #timer: NodeJS.Timeout;
  #reject: ((error: LiveServerError) => void) | undefined;
  #failure: LiveServerError | undefined;
  #probing = false;

  constructor(
    options: WatchdogOptions,
    watched: { readonly redis: LiveRedis; readonly mysql: readonly LiveMysql[] },
  ) {
    this.#options = options;
    this.#redis = watched.redis;
    const cluster = watched.redis.servers.length > 1;
    this.#servers = [
      ...watched.redis.servers.map((server) => ({ what: 'Redis', server, cluster })),
      ...watched.mysql.map((m) => ({ what: 'MariaDB', server: m.server, cluster: false })),
    ];
    this.#timer = setInterval(() => void this.#probe(), options.intervalMs ?? 1000);
  }

  /** Rejects with a `LiveServerError` when a server is declared dead; never resolves. */
  death(): Promise<never> {
    return new Promise((_, reject) => {
      if (this.#failure !== undefined) reject(this.#failure);
      else this.#reject = reject;
    });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#reject = undefined;
  }

  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      const now = performance.now();
      for (const s of this.#servers) {
        const name = `${s.what} at ${s.server.host}:${s.server.port}`;
        const problem = await probeTcp(s.server, this.#options.probeTimeoutMs);
        if (problem === undefined) {
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
    clearInterval(this.#timer);
    this.#reject?.(error);
  }
}

// Noticing what a reconnecting ioredis client does not: that the server it reconnected to is a new
// process. Redis gives every server process a random `run_id` (server.c, `getRandomHexChars(
// server.runid, CONFIG_RUN_ID_SIZE)` at startup; reported by INFO server), so a changed run_id
// after a reconnect means a restart, and without persistence a restart empties the data set: cached
// writes that were acknowledged are gone and limiter counters start again from zero.
import type { Cluster, Redis } from 'ioredis';
import type { TraceSink } from '../ports/trace.ts';

/** Options of {@link RedisRestartWatcher}. */
export interface RedisRestartWatcherOptions {
  /** The trace component of the events, e.g. `redis-client/cache`. @defaultValue 'redis-client' */
  readonly component?: string;
}

/** Ports of {@link RedisRestartWatcher}. */
export interface RedisRestartWatcherPorts {
  /** The client to watch: a standalone ioredis client (a Cluster's nodes each have their own). */
  readonly client: Redis | Cluster;
  readonly trace?: TraceSink;
}

/** The `run_id` field of an `INFO server` reply, if present. */
export function parseRunId(info: string): string | undefined {
  return /^run_id:([0-9a-f]+)\r?$/m.exec(info)?.[1];
}

/**
 * Reads the server's run_id on every `ready` (the first connection and every reconnection) and
 * records a restart when it changed: `restarts` counts them, and the trace gets
 * `server-restarted {previousRunId, runId}`.
 */
export class RedisRestartWatcher {
  readonly #client: Redis | Cluster;
  readonly #trace: TraceSink | undefined;
  readonly #component: string;
  readonly #onReady = () => void this.#check();
  #runId: string | undefined;
  #restarts = 0;
  #checks: Promise<void> = Promise.resolve();

  constructor(options: RedisRestartWatcherOptions, ports: RedisRestartWatcherPorts) {
    this.#client = ports.client;
    this.#trace = ports.trace;
    this.#component = options.component ?? 'redis-client';
    this.#client.on('ready', this.#onReady);
    if (this.#client.status === 'ready') this.#onReady();
  }

  /** The run_id of the server last connected to, once read. */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** Restarts noticed so far (run_id changes between connections). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Resolves once every check started so far has finished (for tests and orderly shutdown). */
  settled(): Promise<void> {
    return this.#checks;
  }

  /** Stops watching. */
  close(): void {
    this.#client.off('ready', this.#onReady);
  }

  #check(): Promise<void> {
    this.#checks = this.#checks.then(async () => {
      let runId: string | undefined;
      try {
        runId = parseRunId(await this.#client.info('server'));
      } catch {
        return; // the connection went again: the next `ready` checks
      }
      if (runId === undefined) return;
      const previous = this.#runId;
      this.#runId = runId;
      if (previous !== undefined && previous !== runId) {
        this.#restarts++;
        this.#trace?.emit(this.#component, 'server-restarted', { previousRunId: previous, runId });
      }
    });
    return this.#checks;
  }
}

/**
 * How a failed write ended, in the sense of Jepsen's `:fail` and `:info`: `failed` when it was
 * certainly not applied (the server refused it with an error reply, or it was never sent), and
 * `indeterminate` when it may have been (the connection was lost or the client gave up after the
 * command may have reached the server).
 */
export type WriteFailure = 'failed' | 'indeterminate';

/**
 * Classifies the error of a failed ioredis write (see {@link WriteFailure}). Only two errors are
 * certain: an error reply (ioredis `ReplyError`: the server answered, and refused) and a command
 * refused while the client had no writable connection and no offline queue. `Connection is
 * closed.` is not: ioredis gives it both to commands never written and to commands written but
 * unanswered when the socket closed, and `MaxRetriesPerRequestError` follows resends. Anything
 * uncertain is `indeterminate`.
 */
export function classifyWriteFailure(error: unknown): WriteFailure {
  if (!(error instanceof Error)) return 'indeterminate';
  if (error.name === 'ReplyError') return 'failed';
  if (/enableOfflineQueue|Stream isn't writeable/.test(error.message)) return 'failed';
  return 'indeterminate';
}

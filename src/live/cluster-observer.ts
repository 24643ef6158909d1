import type { LiveRedis } from '../adapters/live-backends.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { type Clock, repeat, type TimerHandle } from '../ports/clock.ts';
import type { TraceSink } from '../ports/trace.ts';

/** Options of `ClusterObserver`. */
export interface ClusterObserverOptions {
  /** Real ms between looks at the cluster. @defaultValue 250 */
  readonly intervalMs?: number;
}

/**
 * Writes a real Redis Cluster's failovers into a live run's trace as the simulated cluster does:
 * `redis-cluster promoted {node, replaces, configEpoch}` when a slot range's master changes (read
 * from CLUSTER NODES every `intervalMs`), so `redis-cluster.failovers` and the report's cluster
 * diagram read a live run like a simulated one. The time is when the change was seen, up to
 * `intervalMs` after it happened. Nothing for a standalone Redis.
 */
export class ClusterObserver {
  readonly #redis: LiveRedis;
  readonly #trace: TraceSink;
  readonly #timer: TimerHandle | undefined;
  #masters: ReadonlyMap<number, { readonly node: string; readonly configEpoch: number }> | undefined;
  #looking = false;

  constructor(
    options: ClusterObserverOptions,
    ports: { readonly redis: LiveRedis; readonly trace: TraceSink; readonly clock?: Clock },
  ) {
    this.#redis = ports.redis;
    this.#trace = ports.trace;
    this.#timer =
      ports.redis.mode === 'cluster'
        ? repeat(ports.clock ?? new SystemClock(), options.intervalMs ?? 250, () => void this.#look())
        : undefined;
  }

  /** Takes the masters as they are now, before the run starts: changes are counted from here. */
  async start(): Promise<void> {
    if (this.#redis.mode === 'cluster') this.#masters = await this.#redis.slotMasters();
  }

  stop(): void {
    this.#timer?.cancel();
  }

  async #look(): Promise<void> {
    if (this.#looking || this.#masters === undefined) return;
    this.#looking = true;
    try {
      const now = await this.#redis.slotMasters().catch(() => undefined);
      if (now === undefined || now.size === 0) return; // no node answered, or the cluster is mid-change
      const before = this.#masters;
      const seen = new Set<string>();
      for (const [start, master] of now) {
        const previous = before.get(start);
        if (previous === undefined || previous.node === master.node || seen.has(master.node)) continue;
        seen.add(master.node);
        this.#trace.emit('redis-cluster', 'promoted', {
          node: master.node,
          replaces: previous.node,
          configEpoch: master.configEpoch,
        });
      }
      this.#masters = new Map([...before, ...now]);
    } finally {
      this.#looking = false;
    }
  }
}

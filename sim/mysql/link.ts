import type { Clock } from '../../src/ports/clock.ts';

/** Options of a replication link between two nodes. */
export interface LinkOptions {
  /** One-way latency, ms. @defaultValue 1 */
  readonly latencyMs?: number;
  /** Bandwidth in bytes per ms (1 byte/ms = 1 kB/s); `Infinity` = unlimited. @defaultValue Infinity */
  readonly bandwidthBytesPerMs?: number;
}

interface Held {
  readonly deliver: () => void;
}

/**
 * A TCP-like link on the virtual clock: each direction is a FIFO with a transmission time
 * (size / bandwidth) and a one-way latency. While partitioned, what arrives is held (TCP keeps
 * retransmitting) and delivered in order on `repair()`, unless the connection using it was
 * declared dead meanwhile (the sender's `deliver` checks that itself).
 */
export class Link {
  /** One-way latency, ms. */
  latencyMs: number;
  /** Bytes per ms. */
  bandwidthBytesPerMs: number;
  #partitioned = false;
  /** Bumped on every partition, so a timer can tell "still the same partition". */
  #partitionEpoch = 0;
  readonly #busyUntilMs = [0, 0];
  readonly #held: Held[][] = [[], []];
  readonly #clock: Clock;

  constructor(clock: Clock, options: LinkOptions = {}) {
    this.#clock = clock;
    this.latencyMs = options.latencyMs ?? 1;
    this.bandwidthBytesPerMs = options.bandwidthBytesPerMs ?? Number.POSITIVE_INFINITY;
    if (!(this.latencyMs >= 0)) throw new RangeError(`link latencyMs: expected >= 0, got ${this.latencyMs}`);
    if (!(this.bandwidthBytesPerMs > 0)) {
      throw new RangeError(`link bandwidthBytesPerMs: expected > 0, got ${this.bandwidthBytesPerMs}`);
    }
  }

  get partitioned(): boolean {
    return this.#partitioned;
  }

  get partitionEpoch(): number {
    return this.#partitionEpoch;
  }

  /** Sends `bytes` in direction `dir` (0 = toward the replica, 1 = back); `deliver` runs on arrival. */
  send(dir: 0 | 1, bytes: number, deliver: () => void): void {
    const now = this.#clock.now();
    const start = Math.max(now, this.#busyUntilMs[dir]!);
    const done =
      start + (Number.isFinite(this.bandwidthBytesPerMs) ? Math.ceil(bytes / this.bandwidthBytesPerMs) : 0);
    this.#busyUntilMs[dir] = done;
    this.#clock.schedule(done + this.latencyMs - now, () => {
      if (this.#partitioned) this.#held[dir]!.push({ deliver });
      else deliver();
    });
  }

  /** Cuts the link both ways. */
  partition(): void {
    if (this.#partitioned) return;
    this.#partitioned = true;
    this.#partitionEpoch++;
  }

  /** Heals the link and delivers what was held, in order. */
  repair(): void {
    if (!this.#partitioned) return;
    this.#partitioned = false;
    for (const queue of this.#held) {
      const items = queue.splice(0);
      for (const h of items) h.deliver();
    }
  }
}

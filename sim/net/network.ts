// SimNetwork: the one simulated network every twin sends over, on the virtual clock.
//
// Named hosts are joined by links; a link has a one-way latency, a bandwidth and a delivery policy
// chosen when it is created. Each direction of a link is a FIFO: a message waits for the ones sent
// before it, takes size / bandwidth to transmit, then the latency to arrive. Faults are the plain
// verbs of turmoil: `partition(sideA, sideB)`, `repair()`, `slow(a, b, extraLatencyMs)`.
//
// Delivery policies (which twin uses which, and why):
// - 'hold', TCP: MySQL replication (sim/mysql). A TCP sender retransmits until the peer answers, so
//   what is sent while the link is partitioned is held and delivered, in order, on `repair()`. The
//   network never loses it; only the receiver can decide that the connection died meanwhile (its
//   `arrive` checks that itself, as MariaDB's IO thread does after slave_net_timeout, slave.cc).
//   The partition is checked when a message arrives, so what was in flight when the cut came is
//   held too.
// - 'drop', the Redis Cluster bus (sim/redis). A bus message sent across a partition is lost: the
//   bus does not queue for a dead link, it frees the link and, once reconnected, resends its whole
//   state with the next PING/PONG (redis/redis src/cluster_legacy.c clusterCron, freeClusterLink,
//   clusterLinkConnectHandler). The partition is checked when a message is sent; what is already
//   on the wire arrives. A zero-latency 'drop' link delivers inline (no timer), as the Redis twin
//   always has.
//
// What a host does with an arriving message (a crashed process loses it, a frozen one holds it in
// its socket buffer) is the twin's business: the network only calls `arrive`.
import { assert } from '../../src/assert.ts';
import type { Clock } from '../../src/ports/clock.ts';

/** How a link treats what is sent across a partition (see the file header). */
export type DeliveryPolicy = 'hold' | 'drop';

/** Settings of one link, fixed when it is created. */
export interface NetLinkOptions {
  /** What happens to a message sent while the link is partitioned. */
  readonly policy: DeliveryPolicy;
  /** One-way latency, ms. @defaultValue 1 */
  readonly latencyMs?: number;
  /** Bandwidth in bytes per ms (1 byte/ms = 1 kB/s); `Infinity` = unlimited. @defaultValue Infinity */
  readonly bandwidthBytesPerMs?: number;
}

/** One message on a link. */
export interface NetMessage {
  /** Size on the wire, bytes (only matters with a finite bandwidth). @defaultValue 0 */
  readonly bytes?: number;
  /** Runs when the message reaches the receiver. */
  readonly arrive: () => void;
  /** Runs when the network loses the message ('drop' links only). @defaultValue nothing */
  readonly lost?: () => void;
  /**
   * Asked when a message leaves the sender after waiting in its output buffer (a slowed link):
   * `false` loses it (the sender crashed meanwhile). @defaultValue always true
   */
  readonly leaves?: () => boolean;
}

/** The ports of {@link SimNetwork}. */
export interface SimNetworkPorts {
  readonly clock: Clock;
}

/** Options of {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Hosts that exist from the start (more can be added with `addHost`). @defaultValue none */
  readonly hosts?: readonly string[];
}

/** A link between two hosts: two FIFO directions, a policy, and its fault state. */
export class NetLink {
  /** The two hosts; direction 0 is `hosts[0]` → `hosts[1]`, direction 1 the way back. */
  readonly hosts: readonly [string, string];
  /** What happens to a message sent while partitioned. */
  readonly policy: DeliveryPolicy;
  /** One-way latency, ms. */
  readonly latencyMs: number;
  /** Bytes per ms (`Infinity` = unlimited). */
  readonly bandwidthBytesPerMs: number;
  #partitioned = false;
  /** Bumped on every partition, so a timer can tell "still the same partition". */
  #partitionEpoch = 0;
  /** Extra one-way delay per direction set by `slow` / `slowFrom`, ms (0 = none). */
  readonly #extraLatencyMs: [number, number] = [0, 0];
  readonly #busyUntilMs: [number, number] = [0, 0];
  /** 'hold' only: what arrived while partitioned, per direction, in arrival order. */
  readonly #held: [(() => void)[], (() => void)[]] = [[], []];
  readonly #clock: Clock;

  constructor(hosts: readonly [string, string], options: NetLinkOptions, clock: Clock) {
    this.hosts = hosts;
    this.policy = options.policy;
    this.latencyMs = options.latencyMs ?? 1;
    this.bandwidthBytesPerMs = options.bandwidthBytesPerMs ?? Number.POSITIVE_INFINITY;
    this.#clock = clock;
    if (!(this.latencyMs >= 0)) {
      throw new RangeError(`NetLink: latencyMs must be >= 0 (ms), got ${this.latencyMs}`);
    }
    if (!(this.bandwidthBytesPerMs > 0)) {
      throw new RangeError(`NetLink: bandwidthBytesPerMs must be > 0, got ${this.bandwidthBytesPerMs}`);
    }
    if (options.policy !== 'hold' && options.policy !== 'drop') {
      throw new TypeError(`NetLink: policy must be 'hold' or 'drop', got ${String(options.policy)}`);
    }
  }

  /** True while the link is cut. */
  get partitioned(): boolean {
    return this.#partitioned;
  }

  /** How many times the link has been cut (a timer compares it to tell one partition from the next). */
  get partitionEpoch(): number {
    return this.#partitionEpoch;
  }

  /** Extra one-way delay set by `slow`, ms (0 = none; the larger direction's after `slowFrom`). */
  get extraLatencyMs(): number {
    return Math.max(this.#extraLatencyMs[0], this.#extraLatencyMs[1]);
  }

  /** Messages held by a partitioned 'hold' link (both directions). */
  get heldCount(): number {
    return this.#held[0].length + this.#held[1].length;
  }

  /** Sends `message` from `from` (one of `hosts`) to the other end. */
  send(from: string, message: NetMessage): void {
    const dir = this.#direction(from);
    if (this.policy === 'drop' && this.#partitioned) {
      message.lost?.();
      return;
    }
    const extraMs = this.#extraLatencyMs[dir];
    if (extraMs > 0) {
      // A slow link holds data at the sender (its output buffer): a crash before it leaves loses it.
      this.#clock.schedule(extraMs, () => {
        if (message.leaves?.() === false) message.lost?.();
        else this.#transmit(dir, message);
      });
      return;
    }
    this.#transmit(dir, message);
  }

  /** Cuts the link both ways (a no-op when already cut). */
  cut(): void {
    if (this.#partitioned) return;
    this.#partitioned = true;
    this.#partitionEpoch++;
  }

  /** Heals the link, removes its slowness, and ('hold') delivers what was held, in order. */
  heal(): void {
    this.#extraLatencyMs[0] = 0;
    this.#extraLatencyMs[1] = 0;
    assert(this.policy === 'hold' || this.heldCount === 0, "a 'drop' link held a message");
    if (!this.#partitioned) return;
    this.#partitioned = false;
    for (const queue of this.#held) {
      for (const arrive of queue.splice(0)) arrive();
    }
  }

  /** Adds `extraLatencyMs` of one-way delay both ways until the next `heal` (0 removes it). */
  slow(extraLatencyMs: number): void {
    checkExtra('NetLink.slow', extraLatencyMs);
    this.#extraLatencyMs[0] = extraLatencyMs;
    this.#extraLatencyMs[1] = extraLatencyMs;
  }

  /**
   * Adds `extraLatencyMs` of delay to what `from` sends only, until the next `heal` (0 removes it):
   * Toxiproxy's latency toxic on one stream, as hasim's live fault proxy slows a server's replies.
   */
  slowFrom(from: string, extraLatencyMs: number): void {
    checkExtra('NetLink.slowFrom', extraLatencyMs);
    this.#extraLatencyMs[this.#direction(from)] = extraLatencyMs;
  }

  #direction(from: string): 0 | 1 {
    if (from === this.hosts[0]) return 0;
    if (from === this.hosts[1]) return 1;
    throw new RangeError(`NetLink: ${from} is not an end of the link ${this.hosts[0]} - ${this.hosts[1]}`);
  }

  /** The FIFO: wait for earlier messages, transmit (size / bandwidth), then the latency. */
  #transmit(dir: 0 | 1, message: NetMessage): void {
    const now = this.#clock.now();
    const start = Math.max(now, this.#busyUntilMs[dir]);
    const bytes = message.bytes ?? 0;
    const done =
      start + (Number.isFinite(this.bandwidthBytesPerMs) ? Math.ceil(bytes / this.bandwidthBytesPerMs) : 0);
    this.#busyUntilMs[dir] = done;
    const delayMs = done + this.latencyMs - now;
    if (this.policy === 'drop') {
      if (delayMs === 0) message.arrive();
      else this.#clock.schedule(delayMs, message.arrive);
      return;
    }
    this.#clock.schedule(delayMs, () => {
      if (this.#partitioned) this.#held[dir].push(message.arrive);
      else message.arrive();
    });
  }
}

/** The simulated network: hosts, the links between them, and the fault verbs. */
export class SimNetwork {
  readonly #hosts = new Set<string>();
  /** Links in creation order (repair heals them in this order). */
  readonly #links = new Map<string, NetLink>();
  readonly #clock: Clock;

  constructor(options: SimNetworkOptions, ports: SimNetworkPorts) {
    this.#clock = ports.clock;
    for (const host of options.hosts ?? []) this.addHost(host);
  }

  /** Every host, in the order added. */
  get hosts(): readonly string[] {
    return [...this.#hosts];
  }

  /** Adds a host named `name` (names are unique). */
  addHost(name: string): void {
    if (this.#hosts.has(name)) throw new RangeError(`SimNetwork: host ${name} exists already`);
    this.#hosts.add(name);
  }

  /** Creates the link between hosts `a` and `b` (direction 0 is `a` → `b`). */
  connect(a: string, b: string, options: NetLinkOptions): NetLink {
    this.#known(a);
    this.#known(b);
    if (a === b) throw new RangeError(`SimNetwork: a link needs two hosts, got ${a} twice`);
    const key = linkKey(a, b);
    if (this.#links.has(key)) throw new RangeError(`SimNetwork: hosts ${a} and ${b} are linked already`);
    const link = new NetLink([a, b], options, this.#clock);
    this.#links.set(key, link);
    return link;
  }

  /** The link between `a` and `b`; throws when there is none. */
  link(a: string, b: string): NetLink {
    const link = this.#links.get(linkKey(a, b));
    if (link === undefined) throw new RangeError(`SimNetwork: no link between ${a} and ${b}`);
    return link;
  }

  /** Sends `message` from host `from` to host `to` over their link. */
  send(from: string, to: string, message: NetMessage): void {
    this.link(from, to).send(from, message);
  }

  /** Cuts every link between a host of `sideA` and a host of `sideB`; cuts add up until `repair`. */
  partition(sideA: readonly string[], sideB: readonly string[]): void {
    for (const a of sideA) this.#known(a);
    for (const b of sideB) this.#known(b);
    for (const a of sideA) {
      for (const b of sideB) {
        if (a === b) throw new RangeError(`SimNetwork.partition: ${a} is on both sides`);
        this.#links.get(linkKey(a, b))?.cut();
      }
    }
  }

  /** Heals every link and removes every slowness; 'hold' links deliver what they held. */
  repair(): void {
    for (const link of this.#links.values()) link.heal();
  }

  /** Adds `extraLatencyMs` of one-way delay on the link between `a` and `b` until `repair`. */
  slow(a: string, b: string, extraLatencyMs: number): void {
    this.link(a, b).slow(extraLatencyMs);
  }

  #known(host: string): void {
    if (!this.#hosts.has(host)) throw new RangeError(`SimNetwork: no host ${host}`);
  }
}

function checkExtra(where: string, extraLatencyMs: number): void {
  if (!(extraLatencyMs >= 0) || !Number.isFinite(extraLatencyMs))
    throw new RangeError(`${where}: extraLatencyMs must be a finite number >= 0, got ${extraLatencyMs}`);
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

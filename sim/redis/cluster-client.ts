// SimRedisClusterClient: a RedisPort that routes like ioredis's `Cluster` (lib/cluster/index.ts
// handleError): a slot map from CLUSTER SLOTS; MOVED patches the slot and retries at once (then
// refreshes the map); CLUSTERDOWN, TRYAGAIN and a closed connection wait 100 ms, refresh and retry
// on a random node; after 16 redirections the command fails with `Too many Cluster redirections.
// Last error: ...`. It reaches the cluster only through the `ClusterEndpoint` it declares here.
// Not modelled: ASK (no slot migration), READONLY replica reads, ioredis's offline queue.
import { CLUSTER_SLOTS, keyHashSlot } from '../../src/ports/redis-slots.ts';
import { CommandPort } from './command-port.ts';
import { arityOk, commandName, firstKey, keyspaceCommand } from './keyspace.ts';
import { clientError, type Reply, toClientValue } from './reply.ts';

/** CLUSTER SLOTS: `[low, high, masterId, ...replicaIds]` per range. */
export type ClusterSlots = [number, number, string, ...string[]][];

/** What the client needs from a cluster: the seam between SimRedisClusterClient and SimRedisCluster. */
export interface ClusterEndpoint {
  /**
   * One client command to one node over the network; resolves with the reply, rejects with the
   * node's error or `Connection is closed.` when the node cannot be reached.
   */
  send(nodeId: string, args: readonly string[]): Promise<Reply>;
  /** CLUSTER SLOTS from the first node, starting at `preferred`, that answers the client. */
  slotsFrom(preferred: string): ClusterSlots | undefined;
  /** A random node id (ioredis picks one for retries). */
  randomNodeId(): string;
  /** Waits `ms` on the cluster's clock. */
  sleep(ms: number): Promise<void>;
  /** Adds a subscriber to `channel` (PUBLISH is broadcast on the bus); returns its removal. */
  subscribe(channel: string, onMessage: (message: string, channel: string) => void): () => void;
}

/** ioredis ClusterOptions.maxRedirections: attempts of one command before it fails. */
const REDIRECTIONS_MAX = 16;
/** MOVED patches remembered before the next refresh rewrites the whole map instead. */
const PATCHED_MAX = 1024;
/** ioredis ClusterOptions.retryDelayOnClusterDown / retryDelayOnTryAgain, ms. */
const RETRY_DELAY_MS = 100;

/** What the client counts over its life. */
export interface ClusterClientStats {
  /** Retries after MOVED, CLUSTERDOWN, TRYAGAIN or a closed connection. */
  redirections: number;
  /** Slot-map refreshes (CLUSTER SLOTS requests). */
  refreshes: number;
  /** Commands that failed with `Too many Cluster redirections`. */
  failures: number;
}

/** A cluster client like ioredis's `Cluster` (see the file header). */
export class SimRedisClusterClient extends CommandPort {
  /** Redirections, slot-map refreshes and redirection-limit failures so far. */
  readonly stats: ClusterClientStats = { redirections: 0, refreshes: 0, failures: 0 };
  /** Slot → master id, as the refreshes and MOVED replies so far left it (undefined: never learned). */
  readonly #slotMap: (string | undefined)[] = new Array<string | undefined>(CLUSTER_SLOTS).fill(undefined);
  /** The CLUSTER SLOTS reply last written into the map. */
  #applied: ClusterSlots | undefined;
  /**
   * Slots a MOVED reply rewrote since `#applied` was written: the map is `#applied` except at
   * these, so a refresh that returns the same ranges restores only them instead of 16,384 slots.
   */
  readonly #patched: number[] = [];
  #refreshed = false;
  readonly #cluster: ClusterEndpoint;

  constructor(cluster: ClusterEndpoint) {
    super();
    this.#cluster = cluster;
  }

  /** Sends one command, following redirections. */
  protected async commandArgv(argv: readonly string[]): Promise<unknown> {
    if (!this.#refreshed) this.#refresh(this.#cluster.randomNodeId());
    const slot = this.#slotOf(argv);
    let target =
      slot === undefined
        ? this.#cluster.randomNodeId()
        : (this.#slotMap[slot] ?? this.#cluster.randomNodeId());
    let lastError: unknown;
    for (let ttl = REDIRECTIONS_MAX; ttl > 0; ttl--) {
      try {
        return toClientValue(await this.#cluster.send(target, argv));
      } catch (error) {
        lastError = error;
        const message = error instanceof Error ? error.message : String(error);
        // Only a MOVED line is parsed (a failover makes tens of thousands of other errors).
        const moved = message.startsWith('MOVED ') ? /^MOVED (\d+) (\S+)$/.exec(message) : null;
        const movedTo = moved?.[2];
        if (moved !== null && movedTo !== undefined) {
          this.stats.redirections++;
          const movedSlot = Number(moved[1]);
          this.#slotMap[movedSlot] = movedTo;
          if (this.#patched.length < PATCHED_MAX) this.#patched.push(movedSlot);
          else this.#applied = undefined;
          target = movedTo;
          this.#refresh(target);
          continue;
        }
        if (
          message.startsWith('CLUSTERDOWN') ||
          message.startsWith('TRYAGAIN') ||
          message === 'Connection is closed.'
        ) {
          this.stats.redirections++;
          await this.#cluster.sleep(RETRY_DELAY_MS);
          target = this.#cluster.randomNodeId();
          this.#refresh(target);
          continue;
        }
        throw error;
      }
    }
    this.stats.failures++;
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    throw clientError(`Too many Cluster redirections. Last error: ${last}`);
  }

  /** Subscribes to a channel (PUBLISH is broadcast over the cluster bus). */
  async subscribe(
    channel: string,
    onMessage: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>> {
    const remove = this.#cluster.subscribe(channel, onMessage);
    return async () => {
      remove();
    };
  }

  #slotOf(argv: readonly string[]): number | undefined {
    const spelling = argv[0] ?? '';
    const spec = keyspaceCommand(spelling);
    if (spec === undefined) {
      const name = commandName(spelling);
      if (name === 'eval' || name === 'evalsha')
        return Number(argv[2]) > 0 ? keyHashSlot(argv[3] ?? '') : undefined;
      return undefined;
    }
    if (!arityOk(spec, argv.length)) return undefined;
    const first = firstKey(spec, argv);
    return first === undefined ? undefined : keyHashSlot(first);
  }

  /** refreshSlotsCache: CLUSTER SLOTS from one node's view (its own view, stale or not). */
  #refresh(fromNodeId: string): void {
    this.stats.refreshes++;
    const slots = this.#cluster.slotsFrom(fromNodeId);
    if (slots === undefined) return;
    this.#refreshed = true;
    // Writing the reply the map already holds changes only the slots MOVED patched since; a
    // patched slot no range covers keeps its patch, as a full copy of the ranges would leave it.
    if (this.#applied !== undefined && (this.#applied === slots || sameRanges(this.#applied, slots))) {
      for (const slot of this.#patched) {
        const master = masterOf(slots, slot);
        if (master !== undefined) this.#slotMap[slot] = master;
      }
      this.#patched.length = 0;
      return;
    }
    for (const [low, high, master] of slots) this.#slotMap.fill(master, low, high + 1);
    this.#applied = slots;
    this.#patched.length = 0;
  }
}

/** The master a CLUSTER SLOTS reply gives `slot`, if a range covers it. */
function masterOf(slots: ClusterSlots, slot: number): string | undefined {
  for (const [low, high, master] of slots) if (low <= slot && slot <= high) return master;
  return undefined;
}

/** Both replies give the same master to the same ranges (replica lists do not route). */
function sameRanges(a: ClusterSlots, b: ClusterSlots): boolean {
  return (
    a.length === b.length &&
    a.every((range, i) => {
      const other = b[i];
      return other !== undefined && range[0] === other[0] && range[1] === other[1] && range[2] === other[2];
    })
  );
}

// The state of one node of SimRedisCluster: its process, its role, its epochs, and its view of
// every other node (src/cluster_legacy.c clusterNode / clusterState as seen from one process).
// The rules that change this state live in failover.ts (gossip, failure detection, elections)
// and cluster.ts (faults, client commands).
import { assert, present } from '../../src/assert.ts';
import { CLUSTER_SLOTS } from '../../src/ports/redis-slots.ts';
import type { SimRedis } from './node.ts';

/** A node's process state (fault injection). */
export type NodeProcess =
  | { readonly state: 'running' }
  | { readonly state: 'crashed' }
  | { readonly state: 'frozen' };

/** A node's role as it sees itself: a master, or a replica of the node at `master` (an index). */
export type ClusterRole = { readonly kind: 'master' } | { readonly kind: 'replica'; readonly master: number };

/**
 * What one node believes about another's health (src/cluster_legacy.c CLUSTER_NODE_PFAIL /
 * CLUSTER_NODE_FAIL); `failAtMs` is when it was marked FAIL (clearNodeFailureIfNeeded's clock).
 */
export type PeerHealth =
  | { readonly flag: 'ok' }
  | { readonly flag: 'pfail' }
  | { readonly flag: 'fail'; readonly failAtMs: number };

/** What one node believes about another. */
export interface PeerView {
  pingSentAtMs: number | undefined;
  /** Last time a ping was actually sent (a reconnect re-sends while one is pending). */
  pingAttemptAtMs: number;
  pongAtMs: number;
  health: PeerHealth;
}

/**
 * A replica's election (clusterHandleSlaveFailover): `scheduled` until `authAtMs`, then
 * `requested` with the epoch it asked votes for and the votes received so far.
 */
export type Election =
  | { readonly phase: 'scheduled'; readonly authAtMs: number; readonly forced: boolean }
  | {
      readonly phase: 'requested';
      readonly authAtMs: number;
      readonly forced: boolean;
      readonly epoch: number;
      readonly votes: Set<number>;
    };

/** A manual CLUSTER FAILOVER in progress on a replica. */
export type ManualFailover =
  | { readonly phase: 'waiting-offset'; readonly masterOffset: number; readonly untilMs: number }
  | { readonly phase: 'electing'; readonly untilMs: number };

/** The header every cluster-bus packet carries (src/cluster_legacy.c clusterMsg). */
export interface BusHeader {
  readonly sender: number;
  readonly currentEpoch: number;
  readonly configEpoch: number;
  /** The sender's master, or -1 when the sender is a master (clusterMsg.slaveof, all zeroes). */
  readonly masterIndex: number;
  readonly claimed: [number, number][];
  /** Gossip: nodes the sender sees as PFAIL or FAIL. */
  readonly suspects: number[];
}

/** One node of the cluster: its server, its cluster state and its view of everyone else. */
export class ClusterNode {
  process: NodeProcess = { state: 'running' };
  lastVoteEpoch = 0;
  /** My view: slot → owner index (-1 unbound). */
  readonly owners = new Int16Array(CLUSTER_SLOTS).fill(-1);
  /** My view of every node's configEpoch and master. */
  readonly epochs: number[];
  /** My view of every node's master (-1: a master); my own entry follows `role`. */
  readonly masterOf: number[];
  readonly peers: PeerView[];
  /** failing node → reporter → time of its latest report. */
  readonly failReports = new Map<number, Map<number, number>>();
  /** master → when I last voted for one of its replicas. */
  readonly votedAtMs = new Map<number, number>();
  election: Election | undefined;
  manualFailover: ManualFailover | undefined;
  /** Writes of clients wait while a manual failover pauses this master (until this time). */
  writesPausedUntilMs = 0;
  stateOk = true;
  /** A restarted node reports the cluster down until then (CLUSTER_WRITABLE_DELAY). */
  stateFailUntilMs = 0;
  /** Set when this replica lost part of its master's stream: it must full-resync. */
  needsFullSync = false;
  /** Deliveries held while frozen (a stopped process still has its socket buffers). */
  readonly held: (() => void)[] = [];
  #role: ClusterRole = { kind: 'master' };
  #currentEpoch = 0;
  #configEpoch = 0;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly server: SimRedis,
    nodeCount: number,
    nowMs: number,
  ) {
    this.epochs = new Array(nodeCount).fill(0);
    this.masterOf = new Array(nodeCount).fill(-1);
    this.peers = Array.from({ length: nodeCount }, () => ({
      pingSentAtMs: undefined,
      pingAttemptAtMs: nowMs,
      pongAtMs: nowMs,
      health: { flag: 'ok' } as PeerHealth,
    }));
  }

  /** The largest epoch I have seen or started (clusterState.currentEpoch); it never goes down. */
  get currentEpoch(): number {
    return this.#currentEpoch;
  }

  /** My configEpoch (the version of my slot claims); it never goes down, never above currentEpoch. */
  get configEpoch(): number {
    return this.#configEpoch;
  }

  /** Learns an epoch seen on the bus: currentEpoch = max(currentEpoch, epoch). */
  observeEpoch(epoch: number): void {
    if (epoch > this.#currentEpoch) this.#currentEpoch = epoch;
  }

  /** currentEpoch++ (an election, or a TAKEOVER); returns the new epoch. */
  bumpEpoch(): number {
    this.#currentEpoch++;
    return this.#currentEpoch;
  }

  /** Adopts `epoch` as my configEpoch when it is larger, in my view of everyone's epochs too. */
  raiseConfigEpoch(epoch: number): void {
    if (epoch > this.#configEpoch) this.#configEpoch = epoch;
    this.epochs[this.index] = this.#configEpoch;
    this.checkInvariants();
  }

  /** What must hold between my fields after any change of role or epoch. */
  checkInvariants(): void {
    assert(this.#configEpoch <= this.#currentEpoch, () => `${this.id}: configEpoch above currentEpoch`);
    assert(this.lastVoteEpoch <= this.#currentEpoch, () => `${this.id}: voted in a future epoch`);
    assert(this.epochs[this.index] === this.#configEpoch, () => `${this.id}: own epoch view is stale`);
    assert(this.masterOf[this.index] === this.masterIndex, () => `${this.id}: own master view is stale`);
    const server = this.server.role;
    assert(
      server.role === (this.#role.kind === 'master' ? 'master' : 'replica'),
      () => `${this.id}: the server's role differs from the node's`,
    );
  }

  /** My role, held here only: `becomeMaster` / `becomeReplica` write it and the server's copy. */
  get role(): ClusterRole {
    return this.#role;
  }

  /** My master's index, or -1 when I am a master (the bus header's encoding). */
  get masterIndex(): number {
    return this.#role.kind === 'master' ? -1 : this.#role.master;
  }

  /** I am a master: my server accepts writes. */
  becomeMaster(): void {
    this.#role = { kind: 'master' };
    this.masterOf[this.index] = -1;
    this.server.role = { role: 'master' };
    this.checkInvariants();
  }

  /** I replicate `master` (`masterId` is its name): my server refuses writes. */
  becomeReplica(master: number, masterId: string): void {
    assert(master !== this.index, () => `${this.id}: a node cannot replicate itself`);
    this.#role = { kind: 'replica', master };
    this.masterOf[this.index] = master;
    this.server.role = { role: 'replica', masterName: masterId };
    // A node turns replica only once it has lost every slot (clusterUpdateSlotsConfigWith), and
    // only a claim by its sender ever rebinds a slot: a replica serves no slot in its own view.
    assert(this.claimedRanges().length === 0, () => `${this.id}: a replica that still owns slots`);
    this.checkInvariants();
  }

  /** The owner of `slot` in my view (-1: unbound). */
  ownerOf(slot: number): number {
    return present(this.owners[slot], 'slot owner');
  }

  /** The configEpoch of node `i` in my view. */
  epochOf(i: number): number {
    return present(this.epochs[i], 'epoch view');
  }

  /** Slots this node claims as a master, as ranges, in its own view. */
  claimedRanges(): [number, number][] {
    return slotRanges(this.owners, this.index);
  }
}

/** The slots `owners` gives to `index`, as inclusive ranges in slot order. */
export function slotRanges(owners: Int16Array, index: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    if (owners[slot] !== index) continue;
    const last = ranges.at(-1);
    if (last && last[1] === slot - 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return ranges;
}

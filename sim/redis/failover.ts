// The cluster bus protocol of SimRedisCluster, after redis/redis src/cluster_legacy.c (7.x):
// gossip (every packet carries the sender's epochs, role, claimed slots and suspects), failure
// detection (PFAIL → FAIL), replica elections, manual CLUSTER FAILOVER, and a node turning into a
// replica when its slots are taken (replicaof).
//
// - clusterCron every 100 ms: ping a peer whose last pong is older than NT/2; PFAIL when a ping has
//   been pending more than NT; FAIL when PFAIL locally and failure reports from masters (valid 2 NT)
//   plus myself if master reach size/2+1 (markNodeAsFailingIfNeeded); a FAIL message is broadcast and
//   believed; FAIL of a master with slots is cleared 2 NT after it is reachable again.
// - election (clusterHandleSlaveFailover): delay 500 + random(0..499) + 1000 x rank, rank = sibling
//   replicas with a larger replication offset; currentEpoch++ then FAILOVER_AUTH_REQUEST; a master
//   votes once per epoch, only if the requester's master is FAIL (or the request is forced), not for
//   another replica of that master within 2 NT, and when no claimed slot has a higher configEpoch
//   owner (clusterSendFailoverAuthIfNeeded); majority wins, configEpoch = election epoch; retry
//   after 2 x max(2 NT, 2000) ms.
// - slot claims spread by every ping/pong: a higher configEpoch wins a slot; a master that loses
//   its slots becomes a replica of the winner and resyncs (its unreplicated writes are gone).
// - cluster state (clusterUpdateState): fail when a slot is unbound or its owner is FAIL
//   (cluster-require-full-coverage yes) or when fewer than size/2+1 masters are reachable.
// - manual CLUSTER FAILOVER: default (master pauses writes, replica catches up, forced election
//   without delay), FORCE (no handshake), TAKEOVER (no votes, configEpoch bumped alone).
// Not modelled: replica migration, the replica-validity-factor data-age check, the rejoin delay.
import { assert, present } from '../../src/assert.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { Random } from '../../src/ports/random.ts';
import { nextInt } from '../../src/ports/random.ts';
import type { TraceFields } from '../../src/ports/trace.ts';
import { type BusHeader, type ClusterNode, slotRanges } from './cluster-node.ts';
import { RedisReplyError } from './reply.ts';

/** clusterCron's period (src/cluster_legacy.c: called every 100 ms by serverCron). */
export const CRON_INTERVAL_MS = 100;
/** CLUSTER_MF_TIMEOUT: a manual failover gives up after 5 s. */
const MANUAL_FAILOVER_TIMEOUT_MS = 5_000;
/** CLUSTER_MF_PAUSE_MULT: the master pauses client writes for twice the manual failover timeout. */
const MANUAL_FAILOVER_PAUSE_MS = MANUAL_FAILOVER_TIMEOUT_MS * 2;

/** What the protocol needs from the cluster it runs in. */
export interface FailoverContext {
  readonly nodes: readonly ClusterNode[];
  readonly nodeIds: readonly string[];
  readonly clock: Clock;
  /** The cluster's random stream (election delays draw from it). */
  readonly random: Random;
  /** cluster-node-timeout, ms. */
  readonly nodeTimeoutMs: number;
  readonly requireFullCoverage: boolean;
  /** Sends over the bus from node `from` to node `to`; `lost` runs when it cannot arrive. */
  deliver(from: number, to: number, deliver: () => void, lost?: () => void): void;
  /** True while the bus link between two nodes is cut. */
  partitioned(a: number, b: number): boolean;
  /** Emits a `redis-cluster` trace event. */
  emit(kind: string, fields: TraceFields): void;
}

/** Gossip, failure detection, elections and manual failover for every node of one cluster. */
export class Failover {
  readonly #c: FailoverContext;

  constructor(context: FailoverContext) {
    this.#c = context;
  }

  /** The header of a packet `node` sends now. */
  header(node: ClusterNode): BusHeader {
    const suspects: number[] = [];
    node.peers.forEach((p, i) => {
      if (i !== node.index && p.health.flag !== 'ok') suspects.push(i);
    });
    const role = node.role;
    return {
      sender: node.index,
      currentEpoch: node.currentEpoch,
      configEpoch: role.kind === 'master' ? node.configEpoch : node.epochOf(role.master),
      masterIndex: node.masterIndex,
      claimed: role.kind === 'master' ? node.claimedRanges() : [],
      suspects,
    };
  }

  #id(i: number): string {
    return present(this.#c.nodeIds[i], 'node id');
  }

  #nodeAt(i: number): ClusterNode {
    return present(this.#c.nodes[i], 'node');
  }

  #send(from: ClusterNode, to: number, onArrive: (target: ClusterNode) => void): void {
    this.#c.deliver(from.index, to, () => onArrive(this.#nodeAt(to)));
  }

  /** src/cluster_legacy.c clusterCron, every 100 ms. */
  clusterCron(node: ClusterNode): void {
    if (node.process.state !== 'running') return;
    const now = this.#c.clock.now();
    const nt = this.#c.nodeTimeoutMs;
    for (let i = 0; i < this.#c.nodes.length; i++) {
      if (i === node.index) continue;
      const peer = present(node.peers[i], 'peer view');
      // A ping pending for more than NT/2 means a dead link: Redis frees it and pings again on the
      // new link, keeping the original ping time (clusterCron + clusterLinkConnectHandler).
      const reconnect = peer.pingSentAtMs !== undefined && now - peer.pingAttemptAtMs > nt / 2;
      if ((peer.pingSentAtMs === undefined && now - peer.pongAtMs > nt / 2) || reconnect) {
        peer.pingSentAtMs ??= now;
        peer.pingAttemptAtMs = now;
        const header = this.header(node);
        this.#send(node, i, (target) => this.#receivePing(target, header));
      }
      if (peer.pingSentAtMs !== undefined && now - peer.pingSentAtMs > nt && peer.health.flag === 'ok') {
        peer.health = { flag: 'pfail' };
        this.#c.emit('pfail', { node: node.id, peer: this.#id(i) });
      }
      if (peer.health.flag === 'pfail') this.#markNodeAsFailingIfNeeded(node, i);
    }
    this.#replicaCron(node);
    this.updateState(node);
  }

  #receivePing(node: ClusterNode, header: BusHeader): void {
    this.processHeader(node, header);
    const reply = this.header(node);
    this.#send(node, header.sender, (target) => this.#receivePong(target, reply));
  }

  #receivePong(node: ClusterNode, header: BusHeader): void {
    const peer = present(node.peers[header.sender], 'peer view');
    peer.pingSentAtMs = undefined;
    peer.pongAtMs = this.#c.clock.now();
    if (peer.health.flag === 'pfail') peer.health = { flag: 'ok' };
    this.processHeader(node, header);
    this.#clearFailureIfNeeded(node, header.sender);
  }

  /** What every packet teaches its receiver (clusterProcessPacket): epochs, roles, slots, gossip. */
  processHeader(node: ClusterNode, h: BusHeader): void {
    const now = this.#c.clock.now();
    node.observeEpoch(h.currentEpoch);
    node.masterOf[h.sender] = h.masterIndex;
    if (h.masterIndex === -1) {
      node.epochs[h.sender] = Math.max(node.epochOf(h.sender), h.configEpoch);
      this.#updateSlotsConfigWith(node, h.sender, h.configEpoch, h.claimed);
    }
    // Failure reports count only from masters with slots (clusterProcessGossipSection).
    const senderIsVotingMaster = node.masterOf[h.sender] === -1 && h.claimed.length > 0;
    for (let i = 0; i < this.#c.nodes.length; i++) {
      if (i === node.index || i === h.sender) continue;
      const reports = node.failReports.get(i);
      if (senderIsVotingMaster && h.suspects.includes(i)) {
        if (reports) reports.set(h.sender, now);
        else node.failReports.set(i, new Map([[h.sender, now]]));
        if (node.peers[i]?.health.flag === 'pfail') this.#markNodeAsFailingIfNeeded(node, i);
      } else if (senderIsVotingMaster) reports?.delete(h.sender);
    }
  }

  /** clusterUpdateSlotsConfigWith: a claim with a higher configEpoch rebinds the slot. */
  #updateSlotsConfigWith(
    node: ClusterNode,
    sender: number,
    configEpoch: number,
    claimed: [number, number][],
  ): void {
    let lostMine = false;
    let myMasterLost = false;
    for (const [low, high] of claimed) {
      for (let slot = low; slot <= high; slot++) {
        const owner = node.ownerOf(slot);
        if (owner === sender) continue;
        const ownerEpoch = owner === node.index ? node.configEpoch : owner >= 0 ? node.epochOf(owner) : -1;
        if (owner >= 0 && ownerEpoch >= configEpoch) continue;
        if (owner === node.index) lostMine = true;
        if (owner >= 0 && owner === node.masterIndex) myMasterLost = true;
        node.owners[slot] = sender;
      }
    }
    const role = node.role;
    if (lostMine && role.kind === 'master' && slotRanges(node.owners, node.index).length === 0) {
      // "Configuration change detected. Reconfiguring myself as a replica of <sender>."
      this.#becomeReplicaOf(node, sender);
    } else if (myMasterLost && role.kind === 'replica' && slotRanges(node.owners, role.master).length === 0) {
      this.#becomeReplicaOf(node, sender);
    }
  }

  #becomeReplicaOf(node: ClusterNode, master: number): void {
    const masterId = this.#id(master);
    this.#c.emit('replicaof', { node: node.id, master: masterId });
    node.becomeReplica(master, masterId);
    node.election = undefined;
    node.manualFailover = undefined;
    node.writesPausedUntilMs = 0;
    node.needsFullSync = true;
    this.#fullSync(node);
  }

  /** Full resync: the master's dataset replaces the replica's (an RDB transfer over the link). */
  #fullSync(replica: ClusterNode): void {
    const master = this.#c.nodes[replica.masterIndex];
    if (master === undefined || master.process.state !== 'running') return;
    const snapshot = master.server.snapshot();
    const offset = master.server.replicationOffset;
    this.#c.deliver(master.index, replica.index, () => {
      if (replica.masterIndex !== master.index) return;
      replica.server.load(snapshot, offset);
      replica.needsFullSync = false;
    });
  }

  #markNodeAsFailingIfNeeded(node: ClusterNode, failing: number): void {
    const peer = present(node.peers[failing], 'peer view');
    if (peer.health.flag !== 'pfail') return;
    const now = this.#c.clock.now();
    const reports = node.failReports.get(failing) ?? new Map<number, number>();
    for (const [reporter, at] of reports) {
      if (now - at > 2 * this.#c.nodeTimeoutMs) reports.delete(reporter);
    }
    const size = this.clusterSize(node);
    // redis 7.0 src/cluster.c markNodeAsFailingIfNeeded: "count myself as a voter if I'm a master"
    // (nodeIsMaster, slot-less masters included; 7.2 narrowed it to slot-owning masters).
    const iAmMaster = node.role.kind === 'master';
    if (reports.size + (iAmMaster ? 1 : 0) < Math.floor(size / 2) + 1) return;
    peer.health = { flag: 'fail', failAtMs: now };
    this.#c.emit('fail', { node: node.id, peer: this.#id(failing), reports: reports.size });
    for (let i = 0; i < this.#c.nodes.length; i++) {
      if (i === node.index) continue;
      this.#send(node, i, (target) => {
        const p = present(target.peers[failing], 'peer view');
        if (failing !== target.index && p.health.flag !== 'fail') {
          p.health = { flag: 'fail', failAtMs: this.#c.clock.now() };
        }
      });
    }
  }

  /** clearNodeFailureIfNeeded: replicas and slot-less masters at once, masters after 2 NT. */
  #clearFailureIfNeeded(node: ClusterNode, peerIndex: number): void {
    const peer = present(node.peers[peerIndex], 'peer view');
    const health = peer.health;
    if (health.flag !== 'fail') return;
    const isMasterWithSlots =
      node.masterOf[peerIndex] === -1 && slotRanges(node.owners, peerIndex).length > 0;
    if (!isMasterWithSlots || this.#c.clock.now() - health.failAtMs > 2 * this.#c.nodeTimeoutMs) {
      peer.health = { flag: 'ok' };
    }
  }

  /** Masters serving at least one slot, in a node's view (the quorum base). */
  clusterSize(node: ClusterNode): number {
    const masters = new Set<number>();
    for (const owner of node.owners) if (owner >= 0) masters.add(owner);
    return masters.size;
  }

  /** clusterUpdateState. */
  updateState(node: ClusterNode): void {
    let ok = true;
    const masters = new Set<number>();
    for (const owner of node.owners) {
      if (owner < 0 || (owner !== node.index && node.peers[owner]?.health.flag === 'fail')) {
        if (this.#c.requireFullCoverage) ok = false;
      }
      if (owner >= 0) masters.add(owner);
    }
    let reachable = 0;
    for (const m of masters) if (m === node.index || node.peers[m]?.health.flag === 'ok') reachable++;
    if (reachable < Math.floor(masters.size / 2) + 1) ok = false;
    if (this.#c.clock.now() < node.stateFailUntilMs) ok = false;
    node.stateOk = ok;
  }

  /** Replica duties: keep the link synced, run elections and manual failovers. */
  #replicaCron(node: ClusterNode): void {
    const role = node.role;
    if (role.kind === 'master') return;
    const master = role.master;
    if (node.needsFullSync && !this.#c.partitioned(master, node.index)) this.#fullSync(node);
    const now = this.#c.clock.now();
    const mf = node.manualFailover;
    if (mf !== undefined) {
      if (now > mf.untilMs) {
        node.manualFailover = undefined; // "Manual failover timed out."
        node.election = undefined;
      } else if (mf.phase === 'waiting-offset' && node.server.replicationOffset >= mf.masterOffset) {
        node.manualFailover = { phase: 'electing', untilMs: mf.untilMs };
        node.election = { phase: 'scheduled', authAtMs: now, forced: true };
      }
    }
    const masterFailed = node.peers[master]?.health.flag === 'fail';
    if (node.election === undefined && masterFailed && slotRanges(node.owners, master).length > 0) {
      this.#scheduleElection(node, master, now);
    }
    const election = node.election;
    if (election === undefined) return;
    const authTimeoutMs = Math.max(2 * this.#c.nodeTimeoutMs, 2000);
    if (election.phase === 'requested') {
      if (now > election.authAtMs + 2 * authTimeoutMs) node.election = undefined; // retry with a new delay
      return;
    }
    if (now < election.authAtMs) return;
    if (!election.forced && !masterFailed) {
      node.election = undefined;
      return;
    }
    this.#requestVotes(node, election.authAtMs, election.forced);
  }

  /** The election delay: 500 ms + random(0..499) + 1000 ms per sibling with a larger offset. */
  #scheduleElection(node: ClusterNode, master: number, now: number): void {
    let rank = 0;
    for (const sibling of this.#c.nodes) {
      if (sibling !== node && node.masterOf[sibling.index] === master) {
        if (sibling.server.replicationOffset > node.server.replicationOffset) rank++;
      }
    }
    const delayMs = 500 + nextInt(this.#c.random, 500) + 1000 * rank;
    node.election = { phase: 'scheduled', authAtMs: now + delayMs, forced: false };
    this.#c.emit('election-scheduled', { node: node.id, delayMs, rank });
  }

  /** currentEpoch++ and FAILOVER_AUTH_REQUEST to every node. */
  #requestVotes(node: ClusterNode, authAtMs: number, forced: boolean): void {
    const epoch = node.bumpEpoch();
    node.election = { phase: 'requested', authAtMs, forced, epoch, votes: new Set() };
    this.#c.emit('auth-request', { node: node.id, epoch, forced });
    const request = { header: this.header(node), epoch, forced };
    for (let i = 0; i < this.#c.nodes.length; i++) {
      if (i !== node.index) this.#send(node, i, (voter) => this.#receiveAuthRequest(voter, request));
    }
  }

  /** clusterSendFailoverAuthIfNeeded. */
  #receiveAuthRequest(
    voter: ClusterNode,
    request: { header: BusHeader; epoch: number; forced: boolean },
  ): void {
    this.processHeader(voter, request.header);
    const requester = request.header.sender;
    const now = this.#c.clock.now();
    if (voter.role.kind !== 'master' || slotRanges(voter.owners, voter.index).length === 0) return;
    if (request.epoch < voter.currentEpoch) return;
    if (voter.lastVoteEpoch === voter.currentEpoch) return;
    const master = request.header.masterIndex;
    if (master < 0) return; // "it is a master node"
    if (!request.forced && voter.peers[master]?.health.flag !== 'fail') return;
    const votedAt = voter.votedAtMs.get(master);
    if (votedAt !== undefined && now - votedAt < 2 * this.#c.nodeTimeoutMs) return;
    for (const [low, high] of slotRanges(voter.owners, master)) {
      for (let slot = low; slot <= high; slot++) {
        if (voter.epochOf(voter.ownerOf(slot)) > request.header.configEpoch) return;
      }
    }
    voter.lastVoteEpoch = voter.currentEpoch;
    voter.votedAtMs.set(master, now);
    this.#send(voter, requester, (candidate) => this.#receiveAuthAck(candidate, voter.index, request.epoch));
  }

  #receiveAuthAck(node: ClusterNode, voter: number, epoch: number): void {
    const election = node.election;
    if (election?.phase !== 'requested' || election.epoch !== epoch || node.role.kind === 'master') return;
    election.votes.add(voter);
    assert(election.votes.size < this.#c.nodes.length, 'more votes than voters other than the candidate');
    if (election.votes.size >= Math.floor(this.clusterSize(node) / 2) + 1) this.#takeOverMaster(node, epoch);
  }

  /** clusterFailoverReplaceYourMaster: claim the master's slots with the new configEpoch. */
  #takeOverMaster(node: ClusterNode, epoch: number): void {
    const oldMaster = node.masterIndex;
    node.raiseConfigEpoch(epoch);
    this.#c.emit('promoted', {
      node: node.id,
      replaces: this.#id(oldMaster),
      configEpoch: node.configEpoch,
    });
    for (const [low, high] of slotRanges(node.owners, oldMaster)) node.owners.fill(node.index, low, high + 1);
    assert(
      slotRanges(node.owners, oldMaster).length === 0,
      'a promoted replica left slots to its old master',
    );
    node.becomeMaster();
    node.election = undefined;
    node.manualFailover = undefined;
    node.needsFullSync = false;
    const header = this.header(node);
    for (let i = 0; i < this.#c.nodes.length; i++) {
      if (i !== node.index) this.#send(node, i, (target) => this.processHeader(target, header));
    }
    this.updateState(node);
  }

  /**
   * CLUSTER FAILOVER [FORCE|TAKEOVER] sent to replica `node`: returns 'OK' when the failover was
   * scheduled (as Redis replies), or throws Redis's error.
   */
  manualFailover(node: ClusterNode, mode: 'default' | 'FORCE' | 'TAKEOVER'): 'OK' {
    const role = node.role;
    if (role.kind === 'master')
      throw new RedisReplyError('ERR You should send CLUSTER FAILOVER to a replica');
    const master = this.#nodeAt(role.master);
    const now = this.#c.clock.now();
    if (mode === 'TAKEOVER') {
      // clusterBumpConfigEpochWithoutConsensus: no votes.
      this.#takeOverMaster(node, node.bumpEpoch());
      return 'OK';
    }
    if (mode === 'FORCE') {
      node.manualFailover = { phase: 'electing', untilMs: now + MANUAL_FAILOVER_TIMEOUT_MS };
      node.election = { phase: 'scheduled', authAtMs: now, forced: true };
      return 'OK';
    }
    if (node.peers[master.index]?.health.flag !== 'ok' || master.process.state !== 'running') {
      throw new RedisReplyError('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
    }
    // MFSTART: the master pauses writes and sends its offset; the replica waits to reach it.
    master.writesPausedUntilMs = now + MANUAL_FAILOVER_PAUSE_MS;
    node.manualFailover = {
      phase: 'waiting-offset',
      masterOffset: master.server.replicationOffset,
      untilMs: now + MANUAL_FAILOVER_TIMEOUT_MS,
    };
    return 'OK';
  }
}

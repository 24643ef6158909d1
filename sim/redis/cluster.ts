// SimRedisCluster: a Redis Cluster of SimRedis nodes on the virtual clock, with the failure
// detection, election and epoch rules of redis/redis src/cluster_legacy.c (7.x), asynchronous
// replication, per-node views of slot ownership (so stale routing and the acknowledged-write loss
// of a frozen master happen as on a real cluster), and a client that routes like ioredis's Cluster.
//
// Modelled (with the source each rule follows):
// - slots: 16384, keyHashSlot (src/cluster.c); ranges as `redis-cli --cluster create` assigns them
//   (src/redis-cli.c clusterManagerCommandCreate); replica j of master i on port base+masters*(j+1)+i.
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
// - errors verbatim from src/cluster.c: MOVED, CROSSSLOT, CLUSTERDOWN, non-local script keys.
// Not modelled: slot migration (so no ASK/TRYAGAIN), replica migration, READONLY replica reads,
// the replica-validity-factor data-age check, the rejoin/writable delays, PUBLISH fan-out limits.
import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import type { Random } from '../../src/ports/random.ts';
import { nextInt } from '../../src/ports/random.ts';
import type { RedisArg } from '../../src/ports/redis.ts';
import { nullTraceSink, type TraceFields, type TraceSink } from '../../src/ports/trace.ts';
import { CLUSTER_SLOTS, keyHashSlot } from '../../src/redis/key-hash-slot.ts';
import { CommandPort } from './command-port.ts';
import { arityOk, commandKeys, KEYSPACE_COMMANDS } from './keyspace.ts';
import { SimRedis } from './node.ts';
import { RedisReplyError, type Reply, toClientValue } from './reply.ts';

/** Options of {@link SimRedisCluster}. */
export interface SimRedisClusterOptions {
  /** Masters, each serving one slot range. @defaultValue 3 */
  readonly masters?: number;
  /** Replicas per master. @defaultValue 1 */
  readonly replicasPerMaster?: number;
  /** cluster-node-timeout in ms. @defaultValue 15000 (redis.conf default) */
  readonly nodeTimeoutMs?: number;
  /** One-way network latency between any two parties (nodes, client) in ms. @defaultValue 1 */
  readonly linkLatencyMs?: number;
  /** First port; nodes are 127.0.0.1:basePort.. @defaultValue 7000 */
  readonly basePort?: number;
  /** cluster-require-full-coverage. @defaultValue true */
  readonly requireFullCoverage?: boolean;
}

/** What the cluster runs on: a Simulation satisfies it. */
export interface SimRedisClusterContext {
  readonly clock: Clock;
  readonly random: Random;
  /** Receives role, failure-detection and fault events (component `redis-cluster`). @defaultValue none */
  readonly trace?: TraceSink;
}

/** A node's process state (fault injection). */
export type NodeProcess =
  | { readonly state: 'running' }
  | { readonly state: 'crashed' }
  | { readonly state: 'frozen' };

/** What one node believes about another. */
interface PeerView {
  pingSentAtMs: number | undefined;
  /** Last time a ping was actually sent (a reconnect re-sends while one is pending). */
  pingAttemptAtMs: number;
  pongAtMs: number;
  flag: 'ok' | 'pfail' | 'fail';
  failAtMs: number;
}

interface Election {
  readonly authAtMs: number;
  epoch: number;
  requested: boolean;
  readonly votes: Set<number>;
  readonly forced: boolean;
}

type ManualFailover =
  | { readonly phase: 'waiting-offset'; readonly masterOffset: number; readonly untilMs: number }
  | { readonly phase: 'electing'; readonly untilMs: number };

/** One node of the cluster: its server, its cluster state and its view of everyone else. */
class ClusterNode {
  process: NodeProcess = { state: 'running' };
  currentEpoch = 0;
  configEpoch = 0;
  lastVoteEpoch = 0;
  /** My master's index, or -1 when I am a master. */
  masterIndex = -1;
  /** My view: slot → owner index (-1 unbound). */
  readonly owners = new Int16Array(CLUSTER_SLOTS).fill(-1);
  /** My view of every node's configEpoch and master. */
  readonly epochs: number[];
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
      flag: 'ok' as const,
      failAtMs: 0,
    }));
  }

  /** Slots this node claims as a master, as ranges, in its own view. */
  claimedRanges(): [number, number][] {
    return slotRanges(this.owners, this.index);
  }
}

function slotRanges(owners: Int16Array, index: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    if (owners[slot] !== index) continue;
    const last = ranges.at(-1);
    if (last && last[1] === slot - 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return ranges;
}

/** The header every cluster-bus packet carries (src/cluster_legacy.c clusterMsg). */
interface BusHeader {
  readonly sender: number;
  readonly currentEpoch: number;
  readonly configEpoch: number;
  readonly masterIndex: number;
  readonly claimed: [number, number][];
  /** Gossip: nodes the sender sees as PFAIL or FAIL. */
  readonly suspects: number[];
}

const CRON_INTERVAL_MS = 100;
const MANUAL_FAILOVER_TIMEOUT_MS = 5_000;
const MANUAL_FAILOVER_PAUSE_MS = MANUAL_FAILOVER_TIMEOUT_MS * 2;
const RETRY_DELAY_MS = 100;
const MAX_REDIRECTIONS = 16;

/** A simulated Redis Cluster: nodes, the bus between them, faults, and clients. */
export class SimRedisCluster {
  /** cluster-node-timeout in ms. */
  readonly nodeTimeoutMs: number;
  /** Node ids (`127.0.0.1:<port>`) in port order: masters first, then replicas. */
  readonly nodeIds: readonly string[];

  private readonly nodes: ClusterNode[];
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly linkLatencyMs: number;
  private readonly requireFullCoverage: boolean;
  private readonly cut = new Set<string>();
  private readonly slowMs = new Map<string, number>();
  private readonly cron: TimerHandle[] = [];
  private readonly subscribers = new Map<string, Set<(message: string, channel: string) => void>>();
  private readonly trace: TraceSink;

  constructor(options: SimRedisClusterOptions, context: SimRedisClusterContext) {
    this.trace = context.trace ?? nullTraceSink;
    const masters = options.masters ?? 3;
    const replicasPerMaster = options.replicasPerMaster ?? 1;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 15_000;
    this.linkLatencyMs = options.linkLatencyMs ?? 1;
    this.requireFullCoverage = options.requireFullCoverage ?? true;
    const basePort = options.basePort ?? 7000;
    if (!Number.isInteger(masters) || masters < 1)
      throw new Error(`SimRedisCluster: masters must be an integer >= 1, got ${masters}`);
    if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
      throw new Error(`SimRedisCluster: replicasPerMaster must be an integer >= 0, got ${replicasPerMaster}`);
    }
    if (!Number.isInteger(this.nodeTimeoutMs) || this.nodeTimeoutMs < 100) {
      throw new Error(
        `SimRedisCluster: nodeTimeoutMs must be an integer >= 100 (ms), got ${this.nodeTimeoutMs}`,
      );
    }
    if (!Number.isInteger(this.linkLatencyMs) || this.linkLatencyMs < 0) {
      throw new Error(
        `SimRedisCluster: linkLatencyMs must be an integer >= 0 (ms), got ${this.linkLatencyMs}`,
      );
    }
    this.clock = context.clock;
    this.random = context.random.fork('redis-cluster');
    const count = masters * (1 + replicasPerMaster);
    this.nodeIds = Array.from({ length: count }, (_, i) => `127.0.0.1:${basePort + i}`);
    const now = this.clock.now();
    this.nodes = this.nodeIds.map(
      (id, i) => new ClusterNode(i, id, new SimRedis(this.clock, { name: id }), count, now),
    );

    // redis-cli --cluster create: slots_per_node = 16384 / masters, last = lround(cursor + spn - 1).
    const perMaster = CLUSTER_SLOTS / masters;
    const ranges: [number, number][] = [];
    let first = 0;
    for (let m = 0, cursor = 0; m < masters; m++, cursor += perMaster) {
      const last = m === masters - 1 ? CLUSTER_SLOTS - 1 : Math.round(cursor + perMaster - 1);
      ranges.push([first, last]);
      first = last + 1;
    }
    for (const node of this.nodes) {
      ranges.forEach(([low, high], m) => {
        node.owners.fill(m, low, high + 1);
      });
      for (let i = 0; i < count; i++) {
        node.masterOf[i] = i < masters ? -1 : (i - masters) % masters;
        node.epochs[i] = i < masters ? i + 1 : 0; // CLUSTER SET-CONFIG-EPOCH 1..N for the masters
      }
    }
    for (const node of this.nodes) {
      node.masterIndex = node.masterOf[node.index] as number;
      node.configEpoch = node.index < masters ? node.index + 1 : 0;
      node.currentEpoch = masters;
      this.wireServer(node);
      if (node.masterIndex >= 0)
        node.server.role = { role: 'replica', masterName: this.nodeIds[node.masterIndex] as string };
      const tick = () => {
        this.clusterCron(node);
        this.cron[node.index] = this.clock.schedule(CRON_INTERVAL_MS, tick);
      };
      this.cron[node.index] = this.clock.schedule(CRON_INTERVAL_MS, tick);
    }
  }

  private emit(kind: string, fields: TraceFields): void {
    this.trace.emit('redis-cluster', kind, fields);
  }

  // --- faults ---------------------------------------------------------------------------------

  /** kill -9: the process is gone, its dataset (no persistence) and script cache with it. */
  crash(nodeId: string): void {
    const node = this.node(nodeId);
    node.process = { state: 'crashed' };
    node.held.length = 0;
    this.emit('crash', { node: nodeId });
  }

  /**
   * Starts a crashed node again with its nodes.conf (epochs, last known roles and slots) but an
   * empty dataset; it learns the current configuration from the first packets it receives.
   */
  restart(nodeId: string): void {
    const node = this.node(nodeId);
    if (node.process.state !== 'crashed')
      throw new Error(`SimRedisCluster.restart: ${nodeId} is not crashed`);
    node.server.flush({ scripts: true });
    node.server.replicationOffset = 0;
    // Fresh links: the restarted node pings everyone on its first cron.
    for (const peer of node.peers) {
      peer.pingSentAtMs = undefined;
      peer.pongAtMs = this.clock.now() - this.nodeTimeoutMs;
    }
    node.election = undefined;
    node.manualFailover = undefined;
    node.needsFullSync = node.masterIndex >= 0;
    // src/cluster_legacy.c CLUSTER_WRITABLE_DELAY: 2000 ms of cluster_state:fail after a start, so
    // a restarted master does not serve slots it may no longer own.
    node.stateFailUntilMs = this.clock.now() + 2_000;
    node.stateOk = false;
    node.process = { state: 'running' };
    this.emit('restart', { node: nodeId });
  }

  /** SIGSTOP: the process keeps its memory and sockets but runs nothing until {@link resume}. */
  freeze(nodeId: string): void {
    this.node(nodeId).process = { state: 'frozen' };
    this.emit('freeze', { node: nodeId });
  }

  /** SIGCONT: held client commands run first (as queued on the socket), then the bus. */
  resume(nodeId: string): void {
    const node = this.node(nodeId);
    if (node.process.state !== 'frozen') throw new Error(`SimRedisCluster.resume: ${nodeId} is not frozen`);
    node.process = { state: 'running' };
    this.emit('resume', { node: nodeId, held: node.held.length });
    for (const deliver of node.held.splice(0)) deliver();
  }

  /**
   * Cuts every link between `nodeIds` and the other nodes. Clients stay with the other nodes
   * (`clients: 'outside'`, default) or with the partitioned ones (`'inside'`).
   */
  partition(nodeIds: readonly string[], options: { readonly clients?: 'inside' | 'outside' } = {}): void {
    const inside = new Set(nodeIds.map((id) => this.node(id).index));
    const clientsInside = options.clients === 'inside';
    const isInside = (i: number) => (i === -1 ? clientsInside : inside.has(i));
    for (let a = -1; a < this.nodes.length; a++) {
      for (let b = a + 1; b < this.nodes.length; b++) {
        if (isInside(a) !== isInside(b)) this.cut.add(linkKey(a, b));
      }
    }
    this.emit('partition', { nodes: [...nodeIds], clients: clientsInside ? 'inside' : 'outside' });
  }

  /** Heals every partition and removes link slowness. */
  repair(): void {
    this.cut.clear();
    this.slowMs.clear();
    this.emit('repair', {});
  }

  /** Adds `extraMs` one-way delay on the link between two nodes (or a node and the clients: `'client'`). */
  slowLink(a: string, b: string, extraMs: number): void {
    const ia = a === 'client' ? -1 : this.node(a).index;
    const ib = b === 'client' ? -1 : this.node(b).index;
    this.slowMs.set(linkKey(ia, ib), extraMs);
  }

  // --- observation ----------------------------------------------------------------------------

  /** The node's role as it sees itself. */
  roleOf(nodeId: string): 'master' | 'replica' {
    return this.node(nodeId).masterIndex === -1 ? 'master' : 'replica';
  }

  /** The master (node id) a node serves `key` from, in that node's view. */
  ownerOf(key: string, viewOf: string = this.nodeIds[0] as string): string | undefined {
    const owner = this.node(viewOf).owners[keyHashSlot(key)] as number;
    return owner < 0 ? undefined : this.nodeIds[owner];
  }

  /** CLUSTER INFO essentials of one node. */
  info(nodeId: string): {
    state: 'ok' | 'fail';
    currentEpoch: number;
    myEpoch: number;
    role: 'master' | 'replica';
  } {
    const node = this.node(nodeId);
    return {
      state: node.stateOk ? 'ok' : 'fail',
      currentEpoch: node.currentEpoch,
      myEpoch: node.configEpoch,
      role: this.roleOf(nodeId),
    };
  }

  /** CLUSTER SLOTS of one node's view: [low, high, masterId, ...replicaIds]. */
  slots(nodeId: string): [number, number, string, ...string[]][] {
    const view = this.node(nodeId);
    const out: [number, number, string, ...string[]][] = [];
    for (let m = 0; m < this.nodes.length; m++) {
      const replicas = this.nodeIds.filter((_, i) => view.masterOf[i] === m);
      for (const [low, high] of slotRanges(view.owners, m))
        out.push([low, high, this.nodeIds[m] as string, ...replicas]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** The SimRedis server of a node (for direct inspection in tests). */
  server(nodeId: string): SimRedis {
    return this.node(nodeId).server;
  }

  /** A client that routes like ioredis's Cluster (a RedisPort). */
  client(): SimRedisClusterClient {
    return new SimRedisClusterClient(this);
  }

  /** Stops the cron timers (the cluster can no longer detect failures). */
  stop(): void {
    for (const timer of this.cron) timer.cancel();
  }

  // --- client side ------------------------------------------------------------------------------

  /** @internal One client command to one node; resolves with the reply or rejects with its error. */
  sendToNode(nodeId: string, args: readonly string[]): Promise<Reply> {
    const node = this.node(nodeId);
    return new Promise<Reply>((resolve, reject) => {
      const replyBack = (run: () => Reply) => {
        let outcome: { ok: true; reply: Reply } | { ok: false; error: unknown };
        try {
          outcome = { ok: true, reply: run() };
        } catch (error) {
          outcome = { ok: false, error };
        }
        this.deliver(
          node.index,
          -1,
          () => (outcome.ok ? resolve(outcome.reply) : reject(outcome.error)),
          () => reject(new Error('Connection is closed.')),
        );
      };
      this.deliver(
        -1,
        node.index,
        () => this.whenWritable(node, args, () => replyBack(() => this.handleClientCommand(node, args))),
        () => reject(new Error('Connection is closed.')),
      );
    });
  }

  /** @internal CLUSTER SLOTS from the first node, starting at `preferred`, that answers the client. */
  reachableSlots(preferred: string): [number, number, string, ...string[]][] | undefined {
    const start = this.node(preferred).index;
    for (let k = 0; k < this.nodes.length; k++) {
      const node = this.nodes[(start + k) % this.nodes.length] as ClusterNode;
      if (node.process.state === 'running' && !this.cut.has(linkKey(-1, node.index)))
        return this.slots(node.id);
    }
    return undefined;
  }

  /** @internal A random node id (ioredis picks one for retries). */
  randomNodeId(): string {
    return this.nodeIds[nextInt(this.random, this.nodeIds.length)] as string;
  }

  /** @internal Waits the client-side retry delay on the virtual clock. */
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }

  /** @internal Subscribe helper: PUBLISH is broadcast on the bus, so any node's subscribers see it. */
  addSubscriber(channel: string, onMessage: (message: string, channel: string) => void): () => void {
    let set = this.subscribers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(channel, set);
    }
    set.add(onMessage);
    return () => set.delete(onMessage);
  }

  private handleClientCommand(node: ClusterNode, args: readonly string[]): Reply {
    const name = (args[0] ?? '').toLowerCase();
    if (name === 'publish' && args.length === 3) {
      const receivers = [...(this.subscribers.get(args[1] as string) ?? [])];
      for (const onMessage of receivers) onMessage(args[2] as string, args[1] as string);
      return receivers.length;
    }
    const keys = this.keysOf(args);
    if (keys !== undefined && keys.length > 0) {
      const slot = keyHashSlot(keys[0] as string);
      // src/cluster.c getNodeByQuery: CROSSSLOT first, then cluster state, then ownership.
      if (keys.some((k) => keyHashSlot(k) !== slot)) {
        throw new RedisReplyError("CROSSSLOT Keys in request don't hash to the same slot");
      }
      if (!node.stateOk) throw new RedisReplyError('CLUSTERDOWN The cluster is down');
      const owner = node.owners[slot] as number;
      if (owner < 0) throw new RedisReplyError('CLUSTERDOWN Hash slot not served');
      if (owner !== node.index) throw new RedisReplyError(`MOVED ${slot} ${this.nodeIds[owner]}`);
    } else if (keys !== undefined && !node.stateOk && name !== 'ping') {
      throw new RedisReplyError('CLUSTERDOWN The cluster is down');
    }
    return node.server.execute(args);
  }

  /** Keys a command names; for EVAL/EVALSHA the declared KEYS (undefined = not a keyed command). */
  private keysOf(args: readonly string[]): string[] | undefined {
    const name = (args[0] ?? '').toLowerCase();
    if (name === 'eval' || name === 'evalsha') {
      const n = Number(args[2]);
      return Number.isInteger(n) && n >= 0 ? args.slice(3, 3 + n) : [];
    }
    const spec = KEYSPACE_COMMANDS.get(name);
    if (spec === undefined || !arityOk(spec, args.length)) return undefined;
    return commandKeys(spec, args);
  }

  /** A manual failover pauses client writes on the master (src/cluster_legacy.c, pauseActions). */
  private whenWritable(node: ClusterNode, args: readonly string[], run: () => void): void {
    const spec = KEYSPACE_COMMANDS.get((args[0] ?? '').toLowerCase());
    const writes = spec?.write === true || /^eval/i.test(args[0] ?? '');
    const waitMs = node.writesPausedUntilMs - this.clock.now();
    if (!writes || waitMs <= 0) {
      run();
      return;
    }
    this.clock.schedule(Math.min(waitMs, CRON_INTERVAL_MS), () => this.whenWritable(node, args, run));
  }

  // --- the bus --------------------------------------------------------------------------------

  /**
   * Delivers `deliver` from `from` to `to` (-1 = the client side) after the link latency, if the
   * link is up and the target process is not crashed; a frozen target holds it. `lost` runs when
   * the delivery cannot happen.
   */
  private deliver(from: number, to: number, deliver: () => void, lost: () => void = () => {}): void {
    if (this.cut.has(linkKey(from, to))) {
      lost();
      return;
    }
    const slowMs = this.slowMs.get(linkKey(from, to)) ?? 0;
    if (slowMs > 0) {
      // A slow link holds data at the sender (its output buffer): a crash before it leaves loses it.
      this.clock.schedule(slowMs, () => {
        if (from >= 0 && (this.nodes[from] as ClusterNode).process.state === 'crashed') lost();
        else this.transmit(to, this.linkLatencyMs, deliver, lost);
      });
      return;
    }
    this.transmit(to, this.linkLatencyMs, deliver, lost);
  }

  private transmit(to: number, delayMs: number, deliver: () => void, lost: () => void): void {
    const arrive = () => {
      if (to === -1) {
        deliver();
        return;
      }
      const target = this.nodes[to] as ClusterNode;
      if (target.process.state === 'crashed') lost();
      else if (target.process.state === 'frozen') target.held.push(deliver);
      else deliver();
    };
    if (delayMs === 0) arrive();
    else this.clock.schedule(delayMs, arrive);
  }

  private header(node: ClusterNode): BusHeader {
    const suspects: number[] = [];
    node.peers.forEach((p, i) => {
      if (i !== node.index && p.flag !== 'ok') suspects.push(i);
    });
    return {
      sender: node.index,
      currentEpoch: node.currentEpoch,
      configEpoch: node.masterIndex === -1 ? node.configEpoch : (node.epochs[node.masterIndex] as number),
      masterIndex: node.masterIndex,
      claimed: node.masterIndex === -1 ? node.claimedRanges() : [],
      suspects,
    };
  }

  private send(from: ClusterNode, to: number, onArrive: (target: ClusterNode) => void): void {
    this.deliver(from.index, to, () => onArrive(this.nodes[to] as ClusterNode));
  }

  /** src/cluster_legacy.c clusterCron, every 100 ms. */
  private clusterCron(node: ClusterNode): void {
    if (node.process.state !== 'running') return;
    const now = this.clock.now();
    const nt = this.nodeTimeoutMs;
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === node.index) continue;
      const peer = node.peers[i] as PeerView;
      // A ping pending for more than NT/2 means a dead link: Redis frees it and pings again on the
      // new link, keeping the original ping time (clusterCron + clusterLinkConnectHandler).
      const reconnect = peer.pingSentAtMs !== undefined && now - peer.pingAttemptAtMs > nt / 2;
      if ((peer.pingSentAtMs === undefined && now - peer.pongAtMs > nt / 2) || reconnect) {
        peer.pingSentAtMs ??= now;
        peer.pingAttemptAtMs = now;
        const header = this.header(node);
        this.send(node, i, (target) => this.receivePing(target, header));
      }
      if (peer.pingSentAtMs !== undefined && now - peer.pingSentAtMs > nt && peer.flag === 'ok') {
        peer.flag = 'pfail';
        this.emit('pfail', { node: node.id, peer: this.nodeIds[i] as string });
      }
      if (peer.flag === 'pfail') this.markNodeAsFailingIfNeeded(node, i);
    }
    this.replicaCron(node);
    this.updateState(node);
  }

  private receivePing(node: ClusterNode, header: BusHeader): void {
    this.processHeader(node, header);
    const reply = this.header(node);
    this.send(node, header.sender, (target) => this.receivePong(target, reply));
  }

  private receivePong(node: ClusterNode, header: BusHeader): void {
    const peer = node.peers[header.sender] as PeerView;
    peer.pingSentAtMs = undefined;
    peer.pongAtMs = this.clock.now();
    if (peer.flag === 'pfail') peer.flag = 'ok';
    this.processHeader(node, header);
    this.clearFailureIfNeeded(node, header.sender);
  }

  /** What every packet teaches its receiver (clusterProcessPacket): epochs, roles, slots, gossip. */
  private processHeader(node: ClusterNode, h: BusHeader): void {
    const now = this.clock.now();
    if (h.currentEpoch > node.currentEpoch) node.currentEpoch = h.currentEpoch;
    node.masterOf[h.sender] = h.masterIndex;
    if (h.masterIndex === -1) {
      node.epochs[h.sender] = Math.max(node.epochs[h.sender] as number, h.configEpoch);
      this.updateSlotsConfigWith(node, h.sender, h.configEpoch, h.claimed);
    }
    // Failure reports count only from masters with slots (clusterProcessGossipSection).
    const senderIsVotingMaster = node.masterOf[h.sender] === -1 && h.claimed.length > 0;
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === node.index || i === h.sender) continue;
      const reports = node.failReports.get(i);
      if (senderIsVotingMaster && h.suspects.includes(i)) {
        if (reports) reports.set(h.sender, now);
        else node.failReports.set(i, new Map([[h.sender, now]]));
        if ((node.peers[i] as PeerView).flag === 'pfail') this.markNodeAsFailingIfNeeded(node, i);
      } else if (senderIsVotingMaster) reports?.delete(h.sender);
    }
  }

  /** clusterUpdateSlotsConfigWith: a claim with a higher configEpoch rebinds the slot. */
  private updateSlotsConfigWith(
    node: ClusterNode,
    sender: number,
    configEpoch: number,
    claimed: [number, number][],
  ): void {
    let lostMine = false;
    let myMasterLost = false;
    for (const [low, high] of claimed) {
      for (let slot = low; slot <= high; slot++) {
        const owner = node.owners[slot] as number;
        if (owner === sender) continue;
        const ownerEpoch =
          owner === node.index ? node.configEpoch : owner >= 0 ? (node.epochs[owner] as number) : -1;
        if (owner >= 0 && ownerEpoch >= configEpoch) continue;
        if (owner === node.index) lostMine = true;
        if (owner >= 0 && owner === node.masterIndex) myMasterLost = true;
        node.owners[slot] = sender;
      }
    }
    if (lostMine && node.masterIndex === -1 && slotRanges(node.owners, node.index).length === 0) {
      // "Configuration change detected. Reconfiguring myself as a replica of <sender>."
      this.becomeReplicaOf(node, sender);
    } else if (
      myMasterLost &&
      node.masterIndex >= 0 &&
      slotRanges(node.owners, node.masterIndex).length === 0
    ) {
      this.becomeReplicaOf(node, sender);
    }
  }

  private becomeReplicaOf(node: ClusterNode, master: number): void {
    this.emit('replicaof', { node: node.id, master: this.nodeIds[master] as string });
    node.masterIndex = master;
    node.masterOf[node.index] = master;
    node.server.role = { role: 'replica', masterName: this.nodeIds[master] as string };
    node.election = undefined;
    node.manualFailover = undefined;
    node.writesPausedUntilMs = 0;
    node.needsFullSync = true;
    this.fullSync(node);
  }

  /** Full resync: the master's dataset replaces the replica's (an RDB transfer over the link). */
  private fullSync(replica: ClusterNode): void {
    const master = this.nodes[replica.masterIndex] as ClusterNode | undefined;
    if (master === undefined || master.process.state !== 'running') return;
    const snapshot = master.server.snapshot();
    const offset = master.server.replicationOffset;
    this.deliver(master.index, replica.index, () => {
      if (replica.masterIndex !== master.index) return;
      replica.server.load(snapshot, offset);
      replica.needsFullSync = false;
    });
  }

  private markNodeAsFailingIfNeeded(node: ClusterNode, failing: number): void {
    const peer = node.peers[failing] as PeerView;
    if (peer.flag !== 'pfail') return;
    const now = this.clock.now();
    const reports = node.failReports.get(failing) ?? new Map<number, number>();
    for (const [reporter, at] of reports) if (now - at > 2 * this.nodeTimeoutMs) reports.delete(reporter);
    const size = this.clusterSize(node);
    // redis 7.0 src/cluster.c markNodeAsFailingIfNeeded: "count myself as a voter if I'm a master"
    // (nodeIsMaster, slot-less masters included; 7.2 narrowed it to slot-owning masters).
    const iAmMaster = node.masterIndex === -1;
    if (reports.size + (iAmMaster ? 1 : 0) < Math.floor(size / 2) + 1) return;
    peer.flag = 'fail';
    peer.failAtMs = now;
    this.emit('fail', { node: node.id, peer: this.nodeIds[failing] as string, reports: reports.size });
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === node.index) continue;
      this.send(node, i, (target) => {
        const p = target.peers[failing] as PeerView;
        if (failing !== target.index && p.flag !== 'fail') {
          p.flag = 'fail';
          p.failAtMs = this.clock.now();
        }
      });
    }
  }

  /** clearNodeFailureIfNeeded: replicas and slot-less masters at once, masters after 2 NT. */
  private clearFailureIfNeeded(node: ClusterNode, peerIndex: number): void {
    const peer = node.peers[peerIndex] as PeerView;
    if (peer.flag !== 'fail') return;
    const isMasterWithSlots =
      node.masterOf[peerIndex] === -1 && slotRanges(node.owners, peerIndex).length > 0;
    if (!isMasterWithSlots || this.clock.now() - peer.failAtMs > 2 * this.nodeTimeoutMs) peer.flag = 'ok';
  }

  /** Masters serving at least one slot, in a node's view (the quorum base). */
  private clusterSize(node: ClusterNode): number {
    const masters = new Set<number>();
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      const owner = node.owners[slot] as number;
      if (owner >= 0) masters.add(owner);
    }
    return masters.size;
  }

  /** clusterUpdateState. */
  private updateState(node: ClusterNode): void {
    let ok = true;
    const masters = new Set<number>();
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      const owner = node.owners[slot] as number;
      if (owner < 0 || (owner !== node.index && (node.peers[owner] as PeerView).flag === 'fail')) {
        if (this.requireFullCoverage) ok = false;
      }
      if (owner >= 0) masters.add(owner);
    }
    let reachable = 0;
    for (const m of masters) if (m === node.index || (node.peers[m] as PeerView).flag === 'ok') reachable++;
    if (reachable < Math.floor(masters.size / 2) + 1) ok = false;
    if (this.clock.now() < node.stateFailUntilMs) ok = false;
    node.stateOk = ok;
  }

  /** Replica duties: keep the link synced, run elections and manual failovers. */
  private replicaCron(node: ClusterNode): void {
    if (node.masterIndex === -1) return;
    const master = node.masterIndex;
    if (node.needsFullSync && !this.cut.has(linkKey(master, node.index))) this.fullSync(node);
    const now = this.clock.now();
    const mf = node.manualFailover;
    if (mf !== undefined) {
      if (now > mf.untilMs) {
        node.manualFailover = undefined; // "Manual failover timed out."
        node.election = undefined;
      } else if (mf.phase === 'waiting-offset' && node.server.replicationOffset >= mf.masterOffset) {
        node.manualFailover = { phase: 'electing', untilMs: mf.untilMs };
        node.election = { authAtMs: now, epoch: 0, requested: false, votes: new Set(), forced: true };
      }
    }
    const masterFailed = (node.peers[master] as PeerView).flag === 'fail';
    if (node.election === undefined && masterFailed && slotRanges(node.owners, master).length > 0) {
      // Rank: siblings with a greater replication offset go first.
      let rank = 0;
      for (const sibling of this.nodes) {
        if (sibling !== node && node.masterOf[sibling.index] === master) {
          if (sibling.server.replicationOffset > node.server.replicationOffset) rank++;
        }
      }
      const delayMs = 500 + nextInt(this.random, 500) + 1000 * rank;
      node.election = {
        authAtMs: now + delayMs,
        epoch: 0,
        requested: false,
        votes: new Set(),
        forced: false,
      };
      this.emit('election-scheduled', { node: node.id, delayMs, rank });
    }
    const election = node.election;
    if (election === undefined) return;
    const authTimeoutMs = Math.max(2 * this.nodeTimeoutMs, 2000);
    if (election.requested && now > election.authAtMs + 2 * authTimeoutMs) {
      node.election = undefined; // retry with a new delay
      return;
    }
    if (election.requested || now < election.authAtMs) return;
    if (!election.forced && !masterFailed) {
      node.election = undefined;
      return;
    }
    node.currentEpoch++;
    election.epoch = node.currentEpoch;
    election.requested = true;
    this.emit('auth-request', { node: node.id, epoch: election.epoch, forced: election.forced });
    const request = { header: this.header(node), epoch: election.epoch, forced: election.forced };
    for (let i = 0; i < this.nodes.length; i++) {
      if (i !== node.index) this.send(node, i, (voter) => this.receiveAuthRequest(voter, request));
    }
  }

  /** clusterSendFailoverAuthIfNeeded. */
  private receiveAuthRequest(
    voter: ClusterNode,
    request: { header: BusHeader; epoch: number; forced: boolean },
  ): void {
    this.processHeader(voter, request.header);
    const requester = request.header.sender;
    const now = this.clock.now();
    if (voter.masterIndex !== -1 || slotRanges(voter.owners, voter.index).length === 0) return;
    if (request.epoch < voter.currentEpoch) return;
    if (voter.lastVoteEpoch === voter.currentEpoch) return;
    const master = request.header.masterIndex;
    if (master < 0) return; // "it is a master node"
    if (!request.forced && (voter.peers[master] as PeerView).flag !== 'fail') return;
    const votedAt = voter.votedAtMs.get(master);
    if (votedAt !== undefined && now - votedAt < 2 * this.nodeTimeoutMs) return;
    for (const [low, high] of slotRanges(voter.owners, master)) {
      for (let slot = low; slot <= high; slot++) {
        const owner = voter.owners[slot] as number;
        if ((voter.epochs[owner] as number) > request.header.configEpoch) return;
      }
    }
    voter.lastVoteEpoch = voter.currentEpoch;
    voter.votedAtMs.set(master, now);
    this.send(voter, requester, (candidate) => this.receiveAuthAck(candidate, voter.index, request.epoch));
  }

  private receiveAuthAck(node: ClusterNode, voter: number, epoch: number): void {
    const election = node.election;
    if (election === undefined || election.epoch !== epoch || node.masterIndex === -1) return;
    election.votes.add(voter);
    if (election.votes.size >= Math.floor(this.clusterSize(node) / 2) + 1) this.takeOverMaster(node, epoch);
  }

  /** clusterFailoverReplaceYourMaster: claim the master's slots with the new configEpoch. */
  private takeOverMaster(node: ClusterNode, epoch: number): void {
    const oldMaster = node.masterIndex;
    if (epoch > node.configEpoch) node.configEpoch = epoch;
    this.emit('promoted', {
      node: node.id,
      replaces: this.nodeIds[oldMaster] as string,
      configEpoch: node.configEpoch,
    });
    node.epochs[node.index] = node.configEpoch;
    for (const [low, high] of slotRanges(node.owners, oldMaster)) node.owners.fill(node.index, low, high + 1);
    node.masterIndex = -1;
    node.masterOf[node.index] = -1;
    node.server.role = { role: 'master' };
    node.election = undefined;
    node.manualFailover = undefined;
    node.needsFullSync = false;
    const header = this.header(node);
    for (let i = 0; i < this.nodes.length; i++) {
      if (i !== node.index) this.send(node, i, (target) => this.processHeader(target, header));
    }
    this.updateState(node);
  }

  /**
   * CLUSTER FAILOVER [FORCE|TAKEOVER] sent to a replica. Resolves with 'OK' when the failover was
   * scheduled (as Redis replies), or rejects with Redis's error.
   */
  async failover(replicaId: string, mode: 'default' | 'FORCE' | 'TAKEOVER' = 'default'): Promise<'OK'> {
    const node = this.node(replicaId);
    if (node.masterIndex === -1)
      throw new RedisReplyError('ERR You should send CLUSTER FAILOVER to a replica');
    const master = this.nodes[node.masterIndex] as ClusterNode;
    const now = this.clock.now();
    if (mode === 'TAKEOVER') {
      // clusterBumpConfigEpochWithoutConsensus: no votes.
      node.currentEpoch++;
      this.takeOverMaster(node, node.currentEpoch);
      return 'OK';
    }
    if (mode === 'FORCE') {
      node.manualFailover = { phase: 'electing', untilMs: now + MANUAL_FAILOVER_TIMEOUT_MS };
      node.election = { authAtMs: now, epoch: 0, requested: false, votes: new Set(), forced: true };
      return 'OK';
    }
    if ((node.peers[master.index] as PeerView).flag !== 'ok' || master.process.state !== 'running') {
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

  private wireServer(node: ClusterNode): void {
    node.server.scriptKeyGuard = (keys) => {
      for (const key of keys) {
        if (node.owners[keyHashSlot(key)] !== node.index)
          return 'ERR Script attempted to access a non local key in a cluster node';
      }
      return undefined;
    };
    // Asynchronous replication: each effect batch travels to every replica of this master.
    node.server.onReplicate((batch) => {
      if (node.masterIndex !== -1) return;
      for (const replica of this.nodes) {
        if (replica.masterIndex !== node.index || replica === node) continue;
        this.deliver(
          node.index,
          replica.index,
          () => {
            if (replica.masterIndex === node.index && !replica.needsFullSync)
              replica.server.applyReplicated(batch);
          },
          () => {
            replica.needsFullSync = true;
          },
        );
      }
    });
  }

  private node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined)
      throw new Error(`SimRedisCluster: no node ${id} (nodes: ${this.nodeIds.join(', ')})`);
    return node;
  }
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * A cluster client like ioredis's `Cluster` (lib/cluster/index.ts handleError): a slot map from
 * CLUSTER SLOTS; MOVED patches the slot and retries at once (then refreshes the map); CLUSTERDOWN
 * and a closed connection wait 100 ms, refresh and retry on a random node; after 16 redirections
 * the command fails with `Too many Cluster redirections. Last error: ...`.
 */
export class SimRedisClusterClient extends CommandPort {
  /** Commands that failed with `Too many Cluster redirections`. */
  readonly stats = { redirections: 0, refreshes: 0, failures: 0 };
  private readonly slotMap = new Map<number, string>();
  private refreshed = false;

  constructor(private readonly cluster: SimRedisCluster) {
    super();
  }

  /** Sends one command, following redirections. */
  async command(args: readonly RedisArg[]): Promise<unknown> {
    const argv = args.map(String);
    if (!this.refreshed) this.refresh(this.cluster.randomNodeId());
    const slot = this.slotOf(argv);
    let target =
      slot === undefined
        ? this.cluster.randomNodeId()
        : (this.slotMap.get(slot) ?? this.cluster.randomNodeId());
    let lastError: unknown;
    for (let ttl = MAX_REDIRECTIONS; ttl > 0; ttl--) {
      try {
        return toClientValue(await this.cluster.sendToNode(target, argv));
      } catch (error) {
        lastError = error;
        const message = error instanceof Error ? error.message : String(error);
        this.stats.redirections++;
        const moved = /^MOVED (\d+) (\S+)$/.exec(message);
        if (moved) {
          this.slotMap.set(Number(moved[1]), moved[2] as string);
          target = moved[2] as string;
          this.refresh(target);
          continue;
        }
        if (
          message.startsWith('CLUSTERDOWN') ||
          message.startsWith('TRYAGAIN') ||
          message === 'Connection is closed.'
        ) {
          await this.cluster.sleep(RETRY_DELAY_MS);
          target = this.cluster.randomNodeId();
          this.refresh(target);
          continue;
        }
        this.stats.redirections--;
        throw error;
      }
    }
    this.stats.failures++;
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    throw new Error(`Too many Cluster redirections. Last error: ${last}`);
  }

  /** Subscribes to a channel (PUBLISH is broadcast over the cluster bus). */
  async subscribe(
    channel: string,
    onMessage: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>> {
    const remove = this.cluster.addSubscriber(channel, onMessage);
    return async () => {
      remove();
    };
  }

  private slotOf(argv: readonly string[]): number | undefined {
    const name = (argv[0] ?? '').toLowerCase();
    if (name === 'eval' || name === 'evalsha')
      return Number(argv[2]) > 0 ? keyHashSlot(argv[3] ?? '') : undefined;
    const spec = KEYSPACE_COMMANDS.get(name);
    if (spec === undefined || !arityOk(spec, argv.length)) return undefined;
    const first = commandKeys(spec, argv)[0];
    return first === undefined ? undefined : keyHashSlot(first);
  }

  /** refreshSlotsCache: CLUSTER SLOTS from one node's view (its own view, stale or not). */
  private refresh(fromNodeId: string): void {
    this.stats.refreshes++;
    const slots = this.cluster.reachableSlots(fromNodeId);
    if (slots === undefined) return;
    this.refreshed = true;
    for (const [low, high, master] of slots) {
      for (let slot = low; slot <= high; slot++) this.slotMap.set(slot, master);
    }
  }
}

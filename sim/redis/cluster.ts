// SimRedisCluster: a Redis Cluster of SimRedis nodes on the virtual clock, with the failure
// detection, election and epoch rules of redis/redis src/cluster_legacy.c (7.x), asynchronous
// replication, per-node views of slot ownership (so stale routing and the acknowledged-write loss
// of a frozen master happen as on a real cluster), and a client that routes like ioredis's Cluster.
//
// The twin is three files: this one (nodes, slots, faults, client commands), failover.ts (the bus
// protocol: gossip, PFAIL → FAIL, elections, manual failover, replicaof) and cluster-client.ts (the
// ioredis-like client, over the `ClusterEndpoint` it declares). Node state is in cluster-node.ts.
//
// Modelled (with the source each rule follows):
// - slots: 16384, keyHashSlot (src/cluster.c); ranges as `redis-cli --cluster create` assigns them
//   (src/redis-cli.c clusterManagerCommandCreate); replica j of master i on port base+masters*(j+1)+i.
// - the bus and the client connections run over sim/net with the 'drop' policy: a bus message sent
//   across a partition is lost (the bus reconnects and resends its state, src/cluster_legacy.c), a
//   crashed node loses what reaches it, a frozen one holds it in its socket buffer.
// - gossip, failure detection, elections, cluster state and manual failover: see failover.ts.
// - asynchronous replication: every effect batch of a master travels to its replicas; a batch lost
//   on the way forces a full resync (the master's dataset replaces the replica's).
// - a restart keeps nodes.conf (epochs, roles, slots) but not the dataset, and reports
//   cluster_state:fail for CLUSTER_WRITABLE_DELAY.
// - errors verbatim from src/cluster.c: MOVED, CROSSSLOT, CLUSTERDOWN, non-local script keys.
// Not modelled: slot migration (so no ASK/TRYAGAIN), replica migration, READONLY replica reads,
// the replica-validity-factor data-age check, the rejoin delay, PUBLISH fan-out limits.
import { present } from '../../src/assert.ts';
import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import type { Random } from '../../src/ports/random.ts';
import { nextInt } from '../../src/ports/random.ts';
import { CLUSTER_SLOTS, keyHashSlot } from '../../src/ports/redis-slots.ts';
import { nullTraceSink, type TraceFields, type TraceSink } from '../../src/ports/trace.ts';
import { type NetLink, type NetMessage, SimNetwork } from '../net/network.ts';
import { type ClusterEndpoint, type ClusterSlots, SimRedisClusterClient } from './cluster-client.ts';
import { ClusterNode } from './cluster-node.ts';
import { SlotsReplies, slotsReply } from './cluster-slots.ts';
import { commandSlot, NO_KEY, NOT_KEYED } from './command-slot.ts';
import { CRON_INTERVAL_MS, Failover } from './failover.ts';
import { commandName } from './keyspace.ts';
import { nodeCommand, SimRedis } from './node.ts';
import { clientError, RedisReplyError, type Reply } from './reply.ts';

export type { NodeProcess } from './cluster-node.ts';

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
export interface SimRedisClusterPorts {
  readonly clock: Clock;
  readonly random: Random;
  /** Receives role, failure-detection and fault events (component `redis-cluster`). @defaultValue none */
  readonly trace?: TraceSink;
  /**
   * The network to join: the cluster adds its nodes (named by id) and one host for its clients
   * (`redis-clients:<basePort>`), linked pairwise by 'drop' links. @defaultValue a network of its own
   */
  readonly network?: SimNetwork;
}

/**
 * src/cluster_legacy.c CLUSTER_WRITABLE_DELAY: for 2000 ms after a start a node reports
 * cluster_state:fail, so a restarted master does not serve slots it may no longer own.
 */
const CLUSTER_WRITABLE_DELAY_MS = 2_000;

/** How the API names the clients' side of a link (`slowLink(node, 'client', ms)`). */
const CLIENT = 'client';

/** A simulated Redis Cluster: nodes, the bus between them, faults, and clients. */
export class SimRedisCluster {
  /** cluster-node-timeout in ms. */
  readonly nodeTimeoutMs: number;
  /** Node ids (`127.0.0.1:<port>`) in port order: masters first, then replicas. */
  readonly nodeIds: readonly string[];

  readonly #nodes: ClusterNode[];
  readonly #nodeById = new Map<string, ClusterNode>();
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #net: SimNetwork;
  /** The network host of every client connection (the clients share one side of a partition). */
  readonly #clientHost: string;
  /** `#links[a + 1][b + 1]`: the link between node a and node b, -1 being the clients. */
  readonly #links: NetLink[][];
  /** Every link of the cluster, once. */
  readonly #busLinks: NetLink[] = [];
  /** Per node, the `leaves` check of what it sends (made once, not per message). */
  readonly #leaves: (() => boolean)[];
  /** The CLUSTER SLOTS replies the clients' refreshes read (cluster-slots.ts). */
  readonly #slotsReplies = new SlotsReplies();
  readonly #failover: Failover;
  readonly #cron: TimerHandle[] = [];
  readonly #subscribers = new Map<string, Set<(message: string, channel: string) => void>>();
  readonly #trace: TraceSink;
  readonly #endpoint: ClusterEndpoint = {
    send: (nodeId, args) => this.sendToNode(nodeId, args),
    slotsFrom: (preferred) => this.#slotsFrom(preferred),
    randomNodeId: () => this.#id(nextInt(this.#random, this.nodeIds.length)),
    sleep: (ms) => this.#clock.sleep(ms),
    subscribe: (channel, onMessage) => this.#addSubscriber(channel, onMessage),
  };

  constructor(options: SimRedisClusterOptions, ports: SimRedisClusterPorts) {
    this.#trace = ports.trace ?? nullTraceSink;
    const masters = options.masters ?? 3;
    const replicasPerMaster = options.replicasPerMaster ?? 1;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 15_000;
    const linkLatencyMs = options.linkLatencyMs ?? 1;
    const requireFullCoverage = options.requireFullCoverage ?? true;
    const basePort = options.basePort ?? 7000;
    checkOptions(masters, replicasPerMaster, this.nodeTimeoutMs, linkLatencyMs);
    this.#clock = ports.clock;
    this.#random = ports.random.fork('redis-cluster');
    const count = masters * (1 + replicasPerMaster);
    this.nodeIds = Array.from({ length: count }, (_, i) => `127.0.0.1:${basePort + i}`);
    const now = this.#clock.now();
    this.#nodes = this.nodeIds.map(
      (id, i) => new ClusterNode(i, id, new SimRedis({ name: id }, { clock: this.#clock }), count, now),
    );
    for (const node of this.#nodes) this.#nodeById.set(node.id, node);
    this.#leaves = this.#nodes.map((node) => leavesWhileRunning(node));
    this.#clientHost = `redis-clients:${basePort}`;
    this.#net = ports.network ?? new SimNetwork({}, { clock: this.#clock });
    for (const host of [this.#clientHost, ...this.nodeIds]) this.#net.addHost(host);
    this.#links = this.#connectAll(linkLatencyMs);
    this.#failover = new Failover({
      nodes: this.#nodes,
      nodeIds: this.nodeIds,
      clock: this.#clock,
      random: this.#random,
      nodeTimeoutMs: this.nodeTimeoutMs,
      requireFullCoverage,
      deliver: (from, to, deliver, lost) => this.#deliver(from, to, deliver, lost),
      partitioned: (a, b) => this.#link(a, b).partitioned,
      emit: (kind, fields) => this.#emit(kind, fields),
    });
    this.#assignSlots(masters);
    for (const node of this.#nodes) {
      node.observeEpoch(masters);
      const master = present(node.masterOf[node.index], 'master view');
      if (master >= 0) node.becomeReplica(master, this.#id(master));
      node.raiseConfigEpoch(node.index < masters ? node.index + 1 : 0);
      this.#wireServer(node);
      const tick = () => {
        this.#failover.clusterCron(node);
        this.#cron[node.index] = this.#clock.schedule(CRON_INTERVAL_MS, tick);
      };
      this.#cron[node.index] = this.#clock.schedule(CRON_INTERVAL_MS, tick);
    }
  }

  /** Every pair of parties (the clients and each node) gets a 'drop' link: this is the cluster bus. */
  #connectAll(latencyMs: number): NetLink[][] {
    const hosts = [this.#clientHost, ...this.nodeIds];
    const links: NetLink[][] = hosts.map(() => []);
    hosts.forEach((a, i) => {
      hosts.forEach((b, j) => {
        if (j <= i) return;
        const link = this.#net.connect(a, b, { policy: 'drop', latencyMs });
        this.#busLinks.push(link);
        present(links[i], 'link row')[j] = link;
        present(links[j], 'link row')[i] = link;
      });
    });
    return links;
  }

  /** redis-cli --cluster create: slots_per_node = 16384 / masters, last = lround(cursor + spn - 1). */
  #assignSlots(masters: number): void {
    const perMaster = CLUSTER_SLOTS / masters;
    const ranges: [number, number][] = [];
    let first = 0;
    for (let m = 0, cursor = 0; m < masters; m++, cursor += perMaster) {
      const last = m === masters - 1 ? CLUSTER_SLOTS - 1 : Math.round(cursor + perMaster - 1);
      ranges.push([first, last]);
      first = last + 1;
    }
    const count = this.#nodes.length;
    for (const node of this.#nodes) {
      ranges.forEach(([low, high], m) => {
        node.slots.fill(m, low, high);
      });
      for (let i = 0; i < count; i++) {
        node.masterOf[i] = i < masters ? -1 : (i - masters) % masters;
        node.epochs[i] = i < masters ? i + 1 : 0; // CLUSTER SET-CONFIG-EPOCH 1..N for the masters
      }
    }
  }

  #emit(kind: string, fields: TraceFields): void {
    this.#trace.emit('redis-cluster', kind, fields);
  }

  // --- faults ---------------------------------------------------------------------------------

  /** kill -9: the process is gone, its dataset (no persistence) and script cache with it. */
  crash(nodeId: string): void {
    const node = this.#node(nodeId);
    node.process = { state: 'crashed' };
    node.held.length = 0;
    this.#emit('crash', { node: nodeId });
  }

  /**
   * Starts a crashed node again with its nodes.conf (epochs, last known roles and slots) but an
   * empty dataset; it learns the current configuration from the first packets it receives.
   */
  restart(nodeId: string): void {
    const node = this.#node(nodeId);
    if (node.process.state !== 'crashed')
      throw new Error(`SimRedisCluster.restart: ${nodeId} is not crashed`);
    node.server.flush({ scripts: true });
    node.server.replicationOffset = 0;
    // Fresh links: the restarted node pings everyone on its first cron.
    for (const peer of node.peers) {
      peer.pingSentAtMs = undefined;
      peer.pongAtMs = this.#clock.now() - this.nodeTimeoutMs;
    }
    node.election = undefined;
    node.manualFailover = undefined;
    node.needsFullSync = node.role.kind === 'replica';
    node.stateFailUntilMs = this.#clock.now() + CLUSTER_WRITABLE_DELAY_MS;
    node.stateOk = false;
    node.process = { state: 'running' };
    this.#emit('restart', { node: nodeId });
  }

  /** SIGSTOP: the process keeps its memory and sockets but runs nothing until {@link resume}. */
  freeze(nodeId: string): void {
    this.#node(nodeId).process = { state: 'frozen' };
    this.#emit('freeze', { node: nodeId });
  }

  /** SIGCONT: held client commands run first (as queued on the socket), then the bus. */
  resume(nodeId: string): void {
    const node = this.#node(nodeId);
    if (node.process.state !== 'frozen') throw new Error(`SimRedisCluster.resume: ${nodeId} is not frozen`);
    node.process = { state: 'running' };
    this.#emit('resume', { node: nodeId, held: node.held.length });
    for (const deliver of node.held.splice(0)) deliver();
  }

  /**
   * Cuts every link between `nodeIds` and the other nodes. Clients stay with the other nodes
   * (`clients: 'outside'`, default) or with the partitioned ones (`'inside'`).
   */
  partition(nodeIds: readonly string[], options: { readonly clients?: 'inside' | 'outside' } = {}): void {
    const inside = new Set(nodeIds.map((id) => this.#node(id).index));
    const clientsInside = options.clients === 'inside';
    const sideA = clientsInside ? [this.#clientHost] : [];
    const sideB = clientsInside ? [] : [this.#clientHost];
    for (const node of this.#nodes) (inside.has(node.index) ? sideA : sideB).push(node.id);
    this.#net.partition(sideA, sideB);
    this.#emit('partition', { nodes: [...nodeIds], clients: clientsInside ? 'inside' : 'outside' });
  }

  /** Heals every partition of the cluster's links and removes their slowness (other links stay as they are). */
  repair(): void {
    for (const link of this.#busLinks) link.heal();
    this.#emit('repair', {});
  }

  /** Adds `extraMs` one-way delay on the link between two nodes (or a node and the clients: `'client'`). */
  slowLink(a: string, b: string, extraMs: number): void {
    const ia = a === CLIENT ? -1 : this.#node(a).index;
    const ib = b === CLIENT ? -1 : this.#node(b).index;
    this.#link(ia, ib).slow(extraMs);
  }

  /**
   * Delays every reply `nodeId` sends its clients by `extraMs` until `repair` (0 removes it): the
   * latency toxic hasim's live fault proxy puts on a server's replies (src/live/faults/network.ts).
   */
  slowReplies(nodeId: string, extraMs: number): void {
    const node = this.#node(nodeId);
    this.#link(node.index, -1).slowFrom(node.id, extraMs);
    this.#emit('slow', { node: node.id, latencyMs: extraMs });
  }

  // --- observation ----------------------------------------------------------------------------

  /** The node's role as it sees itself. */
  roleOf(nodeId: string): 'master' | 'replica' {
    return this.#node(nodeId).role.kind;
  }

  /** The master (node id) a node serves `key` from, in that node's view. */
  ownerOf(key: string, viewOf: string = this.#id(0)): string | undefined {
    const owner = this.#node(viewOf).ownerOf(keyHashSlot(key));
    return owner < 0 ? undefined : this.nodeIds[owner];
  }

  /** CLUSTER INFO essentials of one node. */
  info(nodeId: string): {
    state: 'ok' | 'fail';
    currentEpoch: number;
    myEpoch: number;
    role: 'master' | 'replica';
  } {
    const node = this.#node(nodeId);
    return {
      state: node.stateOk ? 'ok' : 'fail',
      currentEpoch: node.currentEpoch,
      myEpoch: node.configEpoch,
      role: node.role.kind,
    };
  }

  /** CLUSTER SLOTS of one node's view: [low, high, masterId, ...replicaIds]. */
  slots(nodeId: string): ClusterSlots {
    return slotsReply(this.#node(nodeId), this.nodeIds);
  }

  /** The SimRedis server of a node (for direct inspection in tests). */
  server(nodeId: string): SimRedis {
    return this.#node(nodeId).server;
  }

  /** A client that routes like ioredis's Cluster (a RedisPort). */
  client(): SimRedisClusterClient {
    return new SimRedisClusterClient(this.#endpoint);
  }

  /**
   * CLUSTER FAILOVER [FORCE|TAKEOVER] sent to a replica. Resolves with 'OK' when the failover was
   * scheduled (as Redis replies), or rejects with Redis's error.
   */
  async failover(replicaId: string, mode: 'default' | 'FORCE' | 'TAKEOVER' = 'default'): Promise<'OK'> {
    return this.#failover.manualFailover(this.#node(replicaId), mode);
  }

  /** Stops the cron timers (the cluster can no longer detect failures). */
  stop(): void {
    for (const timer of this.#cron) timer.cancel();
  }

  // --- client side ------------------------------------------------------------------------------

  /**
   * One command over a direct client connection to one node (`redis-cli -p <port>` without `-c`):
   * no redirection is followed. Resolves with the node's reply or rejects with its error, or with
   * `Connection is closed.` when the node cannot be reached.
   */
  sendToNode(nodeId: string, args: readonly string[]): Promise<Reply> {
    const node = this.#node(nodeId);
    // Callbacks are passed inline or returned by a method rather than named: this runs for every
    // client command, and a named closure costs a `name` property definition each time under tsx
    // (esbuild keepNames), an object literal's function property too.
    return new Promise<Reply>((resolve, reject) => {
      const lost = this.#connectionLost(reject);
      this.#link(-1, node.index).send(
        this.#clientHost,
        netMessage(() => this.#requestArrives(node, args, resolve, reject, lost), lost),
      );
    });
  }

  /** The `Connection is closed.` rejection of one client command (returned unnamed: see sendToNode). */
  #connectionLost(reject: (error: unknown) => void): () => void {
    return () => reject(clientError('Connection is closed.'));
  }

  /**
   * A client command reaches `node`: a running node takes it at once (no closure made), a crashed
   * or frozen one as any delivery (#arrive: lost, or held until resumed).
   */
  #requestArrives(
    node: ClusterNode,
    args: readonly string[],
    resolve: (reply: Reply) => void,
    reject: (error: unknown) => void,
    lost: () => void,
  ): void {
    if (node.process.state === 'running') this.#whenWritable(node, args, resolve, reject, lost);
    else this.#arrive(node.index, () => this.#whenWritable(node, args, resolve, reject, lost), lost);
  }

  /** Runs a client command on `node` and sends its reply (or error) back over the link. */
  #replyBack(
    node: ClusterNode,
    args: readonly string[],
    resolve: (reply: Reply) => void,
    reject: (error: unknown) => void,
    lost: () => void,
  ): void {
    let reply: Reply;
    try {
      reply = this.#handleClientCommand(node, args);
    } catch (error) {
      this.#toClient(node, () => reject(error), lost);
      return;
    }
    this.#toClient(node, () => resolve(reply), lost);
  }

  /** Sends `arrive` from `node` to the clients' side (which never crashes or freezes). */
  #toClient(node: ClusterNode, arrive: () => void, lost: () => void): void {
    this.#link(node.index, -1).send(node.id, { arrive, lost, leaves: this.#leaves[node.index] });
  }

  /** CLUSTER SLOTS from the first node, starting at `preferred`, that answers the client. */
  #slotsFrom(preferred: string): ClusterSlots | undefined {
    const start = this.#node(preferred).index;
    for (let k = 0; k < this.#nodes.length; k++) {
      const node = present(this.#nodes[(start + k) % this.#nodes.length], 'node');
      if (node.process.state === 'running' && !this.#link(-1, node.index).partitioned)
        return this.#slotsReplies.reply(node, this.nodeIds);
    }
    return undefined;
  }

  /** PUBLISH is broadcast on the bus, so any node's subscribers see it. */
  #addSubscriber(channel: string, onMessage: (message: string, channel: string) => void): () => void {
    let set = this.#subscribers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    set.add(onMessage);
    return () => set.delete(onMessage);
  }

  #handleClientCommand(node: ClusterNode, args: readonly string[]): Reply {
    const spec = nodeCommand(args[0] ?? '');
    const name = spec?.name;
    if (name === 'publish' && args.length === 3) {
      const [, channel, message] = args as [string, string, string];
      const receivers = [...(this.#subscribers.get(channel) ?? [])];
      for (const onMessage of receivers) onMessage(message, channel);
      return receivers.length;
    }
    const slot = spec === undefined ? NOT_KEYED : commandSlot(spec, args);
    if (slot >= 0) {
      // src/cluster.c getNodeByQuery: CROSSSLOT first (commandSlot), then cluster state, then ownership.
      if (!node.stateOk) throw new RedisReplyError('CLUSTERDOWN The cluster is down');
      const owner = node.ownerOf(slot);
      if (owner < 0) throw new RedisReplyError('CLUSTERDOWN Hash slot not served');
      if (owner !== node.index) throw new RedisReplyError(`MOVED ${slot} ${this.nodeIds[owner]}`);
    } else if (slot === NO_KEY && !node.stateOk && name !== 'ping') {
      throw new RedisReplyError('CLUSTERDOWN The cluster is down');
    }
    return node.server.execute(args);
  }

  /** A manual failover pauses client writes on the master (src/cluster_legacy.c, pauseActions). */
  #whenWritable(
    node: ClusterNode,
    args: readonly string[],
    resolve: (reply: Reply) => void,
    reject: (error: unknown) => void,
    lost: () => void,
  ): void {
    // The pause is checked first: outside a manual failover no command needs its name looked up.
    const waitMs = node.writesPausedUntilMs - this.#clock.now();
    if (waitMs <= 0) {
      this.#replyBack(node, args, resolve, reject, lost);
      return;
    }
    // A keyspace command by its write flag; scripts (and whatever else is spelled eval*) as writes.
    const spec = nodeCommand(args[0] ?? '');
    const writes =
      spec?.run !== undefined ? spec.write : (spec?.name ?? commandName(args[0] ?? '')).startsWith('eval');
    if (!writes) {
      this.#replyBack(node, args, resolve, reject, lost);
      return;
    }
    this.#clock.schedule(Math.min(waitMs, CRON_INTERVAL_MS), () =>
      this.#whenWritable(node, args, resolve, reject, lost),
    );
  }

  // --- the network ------------------------------------------------------------------------------

  #link(a: number, b: number): NetLink {
    return present(this.#links[a + 1]?.[b + 1], 'bus link');
  }

  /**
   * Delivers `deliver` from `from` to `to` (-1 = the client side) over their 'drop' link: lost at
   * once when the link is cut, or when the sender crashes while a slow link holds the data in its
   * output buffer; on arrival a crashed target loses it and a frozen one holds it. `lost` runs
   * when the delivery cannot happen.
   */
  #deliver(from: number, to: number, deliver: () => void, lost: () => void = NOTHING): void {
    const sender = from >= 0 ? this.#nodes[from] : undefined;
    const arrive = this.#arrival(to, deliver, lost);
    // The clients' side never crashes: what it sends always leaves.
    this.#link(from, to).send(
      sender === undefined ? this.#clientHost : sender.id,
      sender === undefined ? { arrive, lost } : { arrive, lost, leaves: this.#leaves[from] },
    );
  }

  /** What runs when a delivery reaches `to` (returned unnamed: see sendToNode). */
  #arrival(to: number, deliver: () => void, lost: () => void): () => void {
    return () => this.#arrive(to, deliver, lost);
  }

  #arrive(to: number, deliver: () => void, lost: () => void): void {
    if (to === -1) {
      deliver();
      return;
    }
    const target = present(this.#nodes[to], 'node');
    if (target.process.state === 'crashed') lost();
    else if (target.process.state === 'frozen') target.held.push(deliver);
    else deliver();
  }

  #wireServer(node: ClusterNode): void {
    node.server.scriptKeyGuard = (key) =>
      node.ownerOf(keyHashSlot(key)) !== node.index
        ? 'ERR Script attempted to access a non local key in a cluster node'
        : undefined;
    // Asynchronous replication: each effect batch travels to every replica of this master.
    node.server.onReplicate((batch, bytes) => {
      if (node.role.kind !== 'master') return;
      for (const replica of this.#nodes) {
        if (replica.masterIndex !== node.index || replica === node) continue;
        this.#deliver(
          node.index,
          replica.index,
          () => {
            if (replica.masterIndex === node.index && !replica.needsFullSync)
              replica.server.applyReplicated(batch, bytes);
          },
          () => {
            replica.needsFullSync = true;
          },
        );
      }
    });
  }

  #id(index: number): string {
    return present(this.nodeIds[index], 'node id');
  }

  #node(id: string): ClusterNode {
    const node = this.#nodeById.get(id);
    if (node === undefined)
      throw new Error(`SimRedisCluster: no node ${id} (nodes: ${this.nodeIds.join(', ')})`);
    return node;
  }
}

/** Whether what `sender` sends leaves its output buffer: not once its process has crashed. */
function leavesWhileRunning(sender: ClusterNode): () => boolean {
  return () => sender.process.state !== 'crashed';
}

/** A message of the clients' side (which never crashes: what it sends always leaves). */
function netMessage(arrive: () => void, lost: () => void): NetMessage {
  return { arrive, lost };
}

/** What a lost bus message costs its sender: nothing (the bus resends its state). */
function NOTHING(): void {}

function checkOptions(
  masters: number,
  replicasPerMaster: number,
  nodeTimeoutMs: number,
  linkLatencyMs: number,
) {
  if (!Number.isInteger(masters) || masters < 1)
    throw new Error(`SimRedisCluster: masters must be an integer >= 1, got ${masters}`);
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`SimRedisCluster: replicasPerMaster must be an integer >= 0, got ${replicasPerMaster}`);
  }
  if (!Number.isInteger(nodeTimeoutMs) || nodeTimeoutMs < 100) {
    throw new Error(`SimRedisCluster: nodeTimeoutMs must be an integer >= 100 (ms), got ${nodeTimeoutMs}`);
  }
  if (!Number.isInteger(linkLatencyMs) || linkLatencyMs < 0) {
    throw new Error(`SimRedisCluster: linkLatencyMs must be an integer >= 0 (ms), got ${linkLatencyMs}`);
  }
}

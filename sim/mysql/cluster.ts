// SimMysqlCluster: a simulated MariaDB primary with its replicas, joined by replication links on the
// shared simulated network (sim/net/network.ts).
//
// Replication links are 'hold' links (TCP). The binlog dump connection is one TCP connection
// opened by the replica's IO thread; TCP retransmits what a partition keeps from arriving, so
// nothing sent over it is lost by the network: it arrives, in order, once the partition heals.
// Only the replica decides the connection is dead: after slave_net_timeout seconds without data
// it aborts the read and reconnects (MariaDB, "Replication and Binary Log System Variables",
// https://mariadb.com/kb/en/replication-and-binary-log-system-variables/#slave_net_timeout;
// sql/slave.cc try_to_reconnect). A replica whose connection was declared dead ignores what the
// link delivers on it afterwards (ReplicaChannel.receive checks that its connection is current).
//
// Each pair of nodes has one link, created on first use (a replica connecting to its master, or
// `partition`) between the two nodes' hosts (a node's host is its name). A message goes from its
// sender's host: binlog groups from the master, semi-sync replies from the replica. Cut links with
// `partition`: it also tells the replicas, which start their slave_net_timeout watch.
import { present } from '../../src/assert.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { Random } from '../../src/ports/random.ts';
import { nullTraceSink, type TraceSink } from '../../src/ports/trace.ts';
import { type NetLink, SimNetwork } from '../net/network.ts';
import { SimMysqlNode } from './node.ts';
import type { PromoteOptions, SimMysqlNodeOptions } from './options.ts';
import type { SemiSyncOptions } from './semi-sync-master.ts';

/** Options of `SimMysqlCluster`. */
export interface SimMysqlClusterOptions {
  /** Number of replicas of the primary. @defaultValue 2 */
  readonly replicas?: number;
  /** Semi-sync settings of the primary (replicas ack when it is enabled). @defaultValue async */
  readonly semiSync?: SemiSyncOptions;
  /** One-way latency of every replication link, ms. @defaultValue 1 */
  readonly linkLatencyMs?: number;
  /** Bandwidth of every replication link, bytes per ms. @defaultValue Infinity */
  readonly linkBandwidthBytesPerMs?: number;
  /** SQL-thread apply cost per event group, ms. @defaultValue 1 */
  readonly applyCostMs?: number;
  /** Extra apply cost per row change, ms. @defaultValue 0 */
  readonly applyCostPerRowMs?: number;
  /** Virtual time of each client statement, ms. @defaultValue 0 */
  readonly statementCostMs?: number;
  /** `slave_net_timeout`, ms. @defaultValue 60000 */
  readonly slaveNetTimeoutMs?: number;
  /** `MASTER_CONNECT_RETRY`, ms. @defaultValue 60000 */
  readonly masterConnectRetryMs?: number;
  /** `relay_log_recovery` on every replica. @defaultValue false */
  readonly relayLogRecovery?: boolean;
  /** `gtid_strict_mode` on every node. @defaultValue false */
  readonly gtidStrictMode?: boolean;
  /** Binlog groups every node keeps after its automatic purge. @defaultValue 20_000 */
  readonly binlogRetainGroups?: number;
  /** Node names. @defaultValue 'ds-master', 'ds-slave-0', 'ds-slave-1', ... (the article's names) */
  readonly names?: { readonly primary?: string; readonly replicas?: readonly string[] };
  /** Database name in error messages. @defaultValue 'hasim' */
  readonly database?: string;
  /** mysql2's `supportBigNumbers` for every node's answers (see SimMysqlNodeOptions). @defaultValue true */
  readonly supportBigNumbers?: boolean;
  /** mysql2's `bigNumberStrings` for every node's answers. @defaultValue false */
  readonly bigNumberStrings?: boolean;
}

/** What a `SimMysqlCluster` touches: the clock its links and nodes run on, the trace, the network. */
export interface SimMysqlClusterPorts {
  /** The (virtual) clock of every node and link. */
  readonly clock: Clock;
  /** Not drawn from today (the twin is deterministic without it); accepted for the common shape. */
  readonly random?: Random;
  /** Where the nodes and the cluster write their events. @defaultValue no trace */
  readonly trace?: TraceSink;
  /**
   * The network to join: the cluster adds one host per node (named as the node) and links them
   * pairwise with 'hold' links on first use. @defaultValue a network of its own
   */
  readonly network?: SimNetwork;
}

/**
 * A simulated MariaDB primary with replicas (the article's ds-master / ds-slave-N), on the
 * simulation's virtual clock. Server ids are 1 for the primary, 2.. for the replicas. Every pair
 * of nodes has its own replication link; `partition` / `repair` cut and heal them. Clients (the
 * tests, the router) reach every node directly: a partition only separates the servers.
 */
export class SimMysqlCluster {
  /** Every node, primary first. */
  readonly nodes: readonly SimMysqlNode[];
  /** The replicas as built (identity is fixed; after a failover one of them may be the primary). */
  readonly replicas: readonly SimMysqlNode[];
  #primary: SimMysqlNode;
  readonly #net: SimNetwork;
  /** The cluster's own links, in creation order (`repair` heals them in this order). */
  readonly #links = new Map<string, NetLink>();
  readonly #linkOptions: { latencyMs: number; bandwidthBytesPerMs: number };
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #semiSync: SemiSyncOptions | undefined;

  constructor(options: SimMysqlClusterOptions, ports: SimMysqlClusterPorts) {
    this.#clock = ports.clock;
    this.#trace = ports.trace ?? nullTraceSink;
    this.#semiSync = options.semiSync;
    const count = options.replicas ?? 2;
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`replicas: expected an integer >= 0, got ${count}`);
    this.#linkOptions = {
      latencyMs: options.linkLatencyMs ?? 1,
      bandwidthBytesPerMs: options.linkBandwidthBytesPerMs ?? Number.POSITIVE_INFINITY,
    };
    const primaryName = options.names?.primary ?? 'ds-master';
    const replicaNames = Array.from(
      { length: count },
      (_, i) => options.names?.replicas?.[i] ?? `ds-slave-${i}`,
    );
    this.#net = ports.network ?? new SimNetwork({}, { clock: this.#clock });
    for (const host of [primaryName, ...replicaNames]) this.#net.addHost(host);
    const network = {
      link: (a: SimMysqlNode, b: SimMysqlNode) => this.link(a, b),
      promoted: (n: SimMysqlNode) => this.#promoted(n),
    };
    const base = (name: string, serverId: number): SimMysqlNodeOptions => ({
      name,
      serverId,
      ...(options.database !== undefined ? { database: options.database } : {}),
      ...(options.statementCostMs !== undefined ? { statementCostMs: options.statementCostMs } : {}),
      ...(options.applyCostMs !== undefined ? { applyCostMs: options.applyCostMs } : {}),
      ...(options.applyCostPerRowMs !== undefined ? { applyCostPerRowMs: options.applyCostPerRowMs } : {}),
      ...(options.slaveNetTimeoutMs !== undefined ? { slaveNetTimeoutMs: options.slaveNetTimeoutMs } : {}),
      ...(options.masterConnectRetryMs !== undefined
        ? { masterConnectRetryMs: options.masterConnectRetryMs }
        : {}),
      ...(options.relayLogRecovery !== undefined ? { relayLogRecovery: options.relayLogRecovery } : {}),
      ...(options.gtidStrictMode !== undefined ? { gtidStrictMode: options.gtidStrictMode } : {}),
      ...(options.binlogRetainGroups !== undefined ? { binlogRetainGroups: options.binlogRetainGroups } : {}),
      ...(options.supportBigNumbers !== undefined ? { supportBigNumbers: options.supportBigNumbers } : {}),
      ...(options.bigNumberStrings !== undefined ? { bigNumberStrings: options.bigNumberStrings } : {}),
    });
    const nodePorts = { clock: this.#clock, trace: this.#trace, network };
    const primary = new SimMysqlNode(
      {
        ...base(primaryName, 1),
        ...(options.semiSync !== undefined ? { semiSync: options.semiSync } : {}),
      },
      nodePorts,
    );
    const replicas: SimMysqlNode[] = [];
    for (let i = 0; i < count; i++) {
      const name = present(replicaNames[i], 'replica name');
      // Replicas carry the semi-sync settings for the day they are promoted, disabled until then.
      replicas.push(
        new SimMysqlNode(
          { ...base(name, i + 2), semiSync: { ...options.semiSync, enabled: false } },
          nodePorts,
        ),
      );
    }
    this.#primary = primary;
    this.replicas = replicas;
    this.nodes = [primary, ...replicas];
    for (const r of replicas) r.replicateFrom(primary, 'slave_pos');
  }

  /** The current primary (changes on promotion). */
  get primary(): SimMysqlNode {
    return this.#primary;
  }

  /** The node named `name`. */
  node(name: string): SimMysqlNode {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined)
      throw new RangeError(
        `node: no node named '${name}' (have ${this.nodes.map((x) => x.name).join(', ')})`,
      );
    return n;
  }

  /** The replication link between two nodes (a 'hold' link, created on first use with the cluster's settings). */
  link(a: SimMysqlNode, b: SimMysqlNode): NetLink {
    const key = a.name < b.name ? `${a.name}|${b.name}` : `${b.name}|${a.name}`;
    let l = this.#links.get(key);
    if (l === undefined) {
      l = this.#net.connect(a.name, b.name, { policy: 'hold', ...this.#linkOptions });
      this.#links.set(key, l);
    }
    return l;
  }

  /** Cuts every link between `side` and the other nodes (or only `others`). */
  partition(
    side: readonly SimMysqlNode[],
    others: readonly SimMysqlNode[] = this.nodes.filter((n) => !side.includes(n)),
  ): void {
    for (const a of side) {
      for (const b of others) {
        const l = this.link(a, b);
        l.cut();
        a.linkCut(l);
        b.linkCut(l);
      }
    }
    this.#trace.emit('mysql', 'partition', {
      side: side.map((n) => n.name),
      others: others.map((n) => n.name),
    });
  }

  /** Heals every link of the cluster (other links of a shared network stay as they are). */
  repair(): void {
    for (const l of this.#links.values()) l.heal();
    this.#trace.emit('mysql', 'repair', {});
  }

  /**
   * Failover: promotes `replica` (see `SimMysqlNode.promote`) with the primary's semi-sync
   * settings, then re-points the other running replicas at it (MASTER_USE_GTID=slave_pos).
   */
  async promote(replica: SimMysqlNode, options: PromoteOptions = {}): Promise<void> {
    const semiSync = options.semiSync ?? this.#semiSync;
    await replica.promote({ ...options, ...(semiSync !== undefined ? { semiSync } : {}) });
  }

  #promoted(node: SimMysqlNode): void {
    const old = this.#primary;
    this.#primary = node;
    for (const n of this.nodes) {
      if (n === node || n === old || !n.up || n.master === null) continue;
      n.replicateFrom(node, 'slave_pos');
    }
  }
}

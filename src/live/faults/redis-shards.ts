// A real Redis Cluster's shards as the fault targets name them: shard k is the k-th master by slot
// range as discovered, with its replicas by port, fixed for the run (as sim/world/redis-world.ts
// fixes its shards). Who masters a shard now is read from `CLUSTER NODES` when a fault fires.
import { FaultError } from '../../ports/faults.ts';
import { describeServer, type ServerOps } from './server-ops.ts';
import { type ClusterNodeLine, parseClusterNodes, type RedisServer } from './servers.ts';

const key = (s: { readonly host: string; readonly port: number }) => `${s.host}:${s.port}`;

/** The shards of the described Redis nodes, and the cluster operations on them. */
export class RedisShards {
  /** Shard k (0-based): its original master first, then its replicas by port. */
  readonly shards: readonly (readonly RedisServer[])[];

  constructor(
    servers: readonly RedisServer[],
    private readonly ops: ServerOps,
    /** Nodes the fault driver has crashed and not restarted: never a shard's master. */
    private readonly crashed: (server: RedisServer) => boolean,
  ) {
    const masters = servers
      .filter((s) => s.role === 'master' && s.slots.length > 0)
      .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
    this.shards = masters.map((master) => [
      master,
      ...servers
        .filter((s) => s.role === 'replica' && (s.masterOf === master.nodeId || s.masterOf === key(master)))
        .sort((a, b) => a.port - b.port),
    ]);
  }

  /** The node's own line of its `CLUSTER NODES` (`myself`), or undefined when it does not answer. */
  async #selfLine(server: RedisServer): Promise<ClusterNodeLine | undefined> {
    try {
      const reply = String(await this.ops.redis(server, ['CLUSTER', 'NODES']));
      return parseClusterNodes(reply).find((line) => line.flags.includes('myself'));
    } catch {
      return undefined; // frozen or down
    }
  }

  /**
   * The node mastering shard `m` now. Each running member is asked about itself, and of the members
   * that call themselves master with slots the one with the highest configEpoch wins, as in Redis's
   * own slot-ownership rule (cluster.c, clusterUpdateSlotsConfigWith): a resumed old master may
   * still call itself master until it hears of the newer epoch. When no member claims the shard
   * (its master is frozen, or crashed and not yet replaced), the first member not crashed by a
   * fault, in shard order.
   */
  async master(m: number): Promise<RedisServer> {
    const shard = this.#shard(m);
    const lines = await Promise.all(shard.map((s) => (this.crashed(s) ? undefined : this.#selfLine(s))));
    let best: RedisServer | undefined;
    let bestEpoch = Number.NEGATIVE_INFINITY;
    shard.forEach((server, i) => {
      const line = lines[i];
      if (line === undefined || !line.flags.includes('master') || line.slots.length === 0) return;
      if (line.configEpoch > bestEpoch) {
        best = server;
        bestEpoch = line.configEpoch;
      }
    });
    return best ?? shard.find((s) => !this.crashed(s)) ?? shard[0] ?? this.#missing(m);
  }

  /** The `r`-th (1-based) node of shard `m` that is not its master now. */
  async replica(m: number, r: number): Promise<RedisServer> {
    const master = await this.master(m);
    const replica = this.#shard(m).filter((s) => s !== master)[r - 1];
    if (replica === undefined) throw new FaultError(`redis shard ${m + 1} has no replica ${r}`);
    return replica;
  }

  /**
   * `CLUSTER FAILOVER [FORCE|TAKEOVER]` on `replica`, then waits until it reports itself master.
   * A node that is already master is left alone.
   */
  async failover(
    replica: RedisServer,
    mode: 'FORCE' | 'TAKEOVER' | undefined,
    limitMs = this.ops.limits.waitLimitMs,
  ): Promise<void> {
    if ((await this.ops.redisRole(replica)) === 'master') return;
    await this.ops.redis(
      replica,
      mode === undefined ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', mode],
    );
    await this.ops.waitUntil(
      `${describeServer(replica)} to become master after CLUSTER FAILOVER${mode === undefined ? '' : ` ${mode}`}`,
      async () => (await this.ops.redisRole(replica)) === 'master',
      limitMs,
    );
  }

  /**
   * Makes each shard's original master its master again (a coordinated `CLUSTER FAILOVER` once it
   * is a connected replica in sync, FORCE if that does not happen in time), then waits until every
   * node reports `cluster_state:ok`. Returns what could not be restored.
   */
  async failBack(): Promise<string[]> {
    const problems: string[] = [];
    for (const shard of this.shards) {
      const original = shard[0];
      if (original === undefined || original.nodeId === undefined) continue;
      try {
        await this.#failBackTo(original);
        // The promoted replica learns of the newer epoch by gossip and turns replica again.
        for (const member of shard.slice(1)) {
          await this.ops.waitUntil(
            `${describeServer(member)} to be a replica again`,
            async () => (await this.ops.redisRole(member)) === 'slave',
          );
        }
      } catch (error) {
        problems.push(`fail back to ${describeServer(original)}: ${(error as Error).message}`);
      }
    }
    for (const server of this.shards.flat()) {
      if (server.nodeId === undefined) continue;
      try {
        await this.ops.waitUntil(`${describeServer(server)} to report cluster_state:ok`, async () =>
          /^cluster_state:ok/m.test(String(await this.ops.redis(server, ['CLUSTER', 'INFO']))),
        );
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    return problems;
  }

  async #failBackTo(original: RedisServer) {
    await this.ops.waitUntil(`${describeServer(original)} to answer`, () => this.ops.answers(original));
    if ((await this.ops.redisRole(original)) === 'master') return;
    const linked = async () =>
      /^master_link_status:up/m.test(String(await this.ops.redis(original, ['INFO', 'replication'])));
    await this.ops.waitUntil(`${describeServer(original)} to be a connected replica`, linked);
    // A master votes for one replica of a given master at most once per 2 x cluster-node-timeout
    // (cluster.c, clusterSendFailoverAuthIfNeeded), so right after the replica's own promotion the
    // original master's CLUSTER FAILOVER (default or FORCE: both need votes) finds no majority, and
    // Redis abandons a manual failover after 5 s (CLUSTER_MF_TIMEOUT, cluster.h). Ask again until
    // half the wait limit has passed, then TAKEOVER, which needs no votes: the node is in sync.
    const { clock } = this.ops.ports;
    const deadline = clock.now() + this.ops.limits.waitLimitMs / 2;
    while (clock.now() < deadline) {
      try {
        await this.failover(original, undefined, 10_000);
        return;
      } catch {
        // no majority yet: ask again
      }
    }
    await this.failover(original, 'TAKEOVER');
  }

  #shard(m: number): readonly RedisServer[] {
    return this.shards[m] ?? this.#missing(m);
  }

  #missing(m: number): never {
    throw new FaultError(`redis shard ${m + 1} is not in the live cluster (${this.shards.length} shards)`);
  }
}

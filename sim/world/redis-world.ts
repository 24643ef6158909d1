import type { FaultArgs } from '../../src/ports/faults.ts';
import type { Random } from '../../src/ports/random.ts';
import type { RedisPort } from '../../src/ports/redis.ts';
import type { Topology } from '../../src/ports/topology.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { SimFaults } from '../faults/registry.ts';
import type { VirtualClock } from '../kernel/virtual-clock.ts';
import { SimRedisCluster } from '../redis/cluster.ts';
import type { GatewayTopology } from '../scenarios/gateway-schema.ts';

/** The simulated Redis Cluster of a world: its client port, its fault targets and its topology. */
export interface RedisWorld {
  readonly port: RedisPort;
  readonly cluster: SimRedisCluster;
  readonly topology: NonNullable<Topology['redis']>;
  stop(): void;
}

/**
 * Builds the cluster (`masters` × (1 + `replicasPerMaster`) nodes, slots split as
 * `redis-cli --cluster create` does) and registers its targets. A shard's targets name roles, so
 * `redis/shard-1/master` is the node that masters shard 1 when the fault fires; the verb that ends
 * a fault (`restart`, `resume`) goes to the node its start hit, even if it is no longer the master.
 */
export function buildRedisWorld(
  config: GatewayTopology['redis'],
  faults: SimFaults,
  ports: { readonly clock: VirtualClock; readonly random: Random; readonly trace?: TraceSink },
): RedisWorld {
  const masters = config?.masters ?? 3;
  const replicasPerMaster = config?.replicasPerMaster ?? 1;
  const nodeTimeoutMs = config?.nodeTimeoutMs ?? 15_000;
  const cluster = new SimRedisCluster(
    { masters, replicasPerMaster, nodeTimeoutMs },
    { clock: ports.clock, random: ports.random, ...(ports.trace ? { trace: ports.trace } : {}) },
  );
  const ids = cluster.nodeIds;
  // redis-cli --cluster create pairs replica i (after the masters) with master i mod masters.
  const shards = Array.from({ length: masters }, (_, m) => [
    ids[m] ?? '',
    ...ids.filter((_, i) => i >= masters && (i - masters) % masters === m),
  ]);
  const crashed = new Set<string>();
  const boundTo = new Map<string, string>();
  const masterOf = (shard: readonly string[]) =>
    shard.find((id) => !crashed.has(id) && cluster.roleOf(id) === 'master') ?? shard[0] ?? '';
  const replicaOf = (shard: readonly string[], r: number) => {
    const master = masterOf(shard);
    return shard.filter((id) => id !== master)[r - 1] ?? '';
  };
  shards.forEach((shard, m) => {
    const register = (target: string, resolve: () => string, withFailover: boolean) => {
      const start = (fn: (id: string) => void) => () => {
        const id = resolve();
        boundTo.set(target, id);
        fn(id);
      };
      const end = (fn: (id: string) => void) => () => {
        const id = boundTo.get(target) ?? resolve();
        boundTo.delete(target);
        fn(id);
      };
      faults.register(target, {
        crash: start((id) => {
          crashed.add(id);
          cluster.crash(id);
        }),
        restart: end((id) => {
          crashed.delete(id);
          cluster.restart(id);
        }),
        freeze: start((id) => cluster.freeze(id)),
        resume: end((id) => cluster.resume(id)),
        partition: (args: FaultArgs) => {
          const id = resolve();
          boundTo.set(target, id);
          cluster.partition([id], { clients: args.clients === 'inside' ? 'inside' : 'outside' });
        },
        repair: () => {
          boundTo.delete(target);
          cluster.repair();
        },
        // The live fault proxy's latency toxic: the node's replies to its clients arrive later
        // (jitterMs and bandwidthKBps act on live runs only).
        slow: (args: FaultArgs) => {
          const ms = args.latencyMs;
          if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms))
            throw new RangeError(`slow: args.latencyMs must be a number >= 0 (ms), got ${String(ms)}`);
          const id = resolve();
          boundTo.set(target, id);
          cluster.slowReplies(id, ms);
        },
        ...(withFailover
          ? {
              failover: async (args: FaultArgs) => {
                const mode = args.mode === 'FORCE' || args.mode === 'TAKEOVER' ? args.mode : 'default';
                await cluster.failover(resolve(), mode).catch(() => undefined);
              },
            }
          : {}),
      });
    };
    register(`redis/shard-${m + 1}/master`, () => masterOf(shard), false);
    for (let r = 1; r <= replicasPerMaster; r++)
      register(`redis/shard-${m + 1}/replica-${r}`, () => replicaOf(shard, r), true);
  });
  const slots = cluster.slots(ids[0] ?? '');
  const topology: NonNullable<Topology['redis']> = {
    nodeTimeoutMs,
    nodes: shards.flatMap((shard, m) =>
      shard.map((id, k) =>
        k === 0
          ? {
              id,
              target: `redis/shard-${m + 1}/master`,
              role: 'master' as const,
              slots: slots.filter((s) => s[2] === id).map((s) => [s[0], s[1]] as const),
            }
          : {
              id,
              target: `redis/shard-${m + 1}/replica-${k}`,
              role: 'replica' as const,
              replicaOf: shard[0] ?? '',
            },
      ),
    ),
  };
  return { port: cluster.client(), cluster, topology, stop: () => cluster.stop() };
}

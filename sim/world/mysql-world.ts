import type { FaultArgs } from '../../src/ports/faults.ts';
import type { Random } from '../../src/ports/random.ts';
import type { SqlPort } from '../../src/ports/sql.ts';
import type { Topology } from '../../src/ports/topology.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { SimFaults } from '../faults/registry.ts';
import type { VirtualClock } from '../kernel/virtual-clock.ts';
import { SimMysqlCluster } from '../mysql/cluster.ts';
import type { SimMysqlNode } from '../mysql/node.ts';
import type { GatewayTopology } from '../scenarios/gateway-schema.ts';

/** The simulated MariaDB primary and replicas of a world, as the router's data sources. */
export interface MysqlWorld {
  readonly cluster: SimMysqlCluster;
  /** `ds-master` (follows the current primary, as a VIP or proxy does) and `ds-slave-N`. */
  readonly dataSources: ReadonlyMap<string, SqlPort>;
  readonly topology: NonNullable<Topology['mysql']>;
}

/**
 * `rpl_semi_sync_master_timeout` in the fixed variant: a day, longer than any run, so the primary
 * never falls back to asynchronous replication (MariaDB accepts up to 2^64 - 1 ms). A commit then
 * waits for a replica's ACK or for the primary's end, and is never acknowledged without a copy
 * (MariaDB KB "Semisynchronous Replication": on timeout the primary "switches to asynchronous
 * replication" and only the Rpl_semi_sync_master_status variable says so).
 */
export const SEMI_SYNC_NEVER_FALL_BACK_MS = 86_400_000;

/**
 * Builds the primary with `replicas` replicas (the article's ds-master, ds-slave-0, ...), semi-sync
 * when the topology asks for it, and registers `mysql/primary` (the current primary) and
 * `mysql/replica-N` (the N-th replica as built). `failover` on the primary promotes the first
 * running replica and re-points the others, as a failover manager (MHA, Orchestrator) would after
 * the primary died; `slow` on a replica sets its SQL thread's apply cost (args.applyCostMs), the way
 * a lagging replica is made, and/or delays its answers to clients (args.latencyMs). `variant` `'fixed'` runs semi-sync without the silent fallback to
 * async (`SEMI_SYNC_NEVER_FALL_BACK_MS`); `'article'` uses the configured `timeoutMs`.
 */
export function buildMysqlWorld(
  config: GatewayTopology['mysql'],
  faults: SimFaults,
  ports: { readonly clock: VirtualClock; readonly random: Random; readonly trace?: TraceSink },
  variant: 'article' | 'fixed' = 'article',
): MysqlWorld {
  const replicaCount = config?.replicas ?? 2;
  const semi = config?.semiSync;
  const semiTimeoutMs = variant === 'fixed' ? SEMI_SYNC_NEVER_FALL_BACK_MS : (semi?.timeoutMs ?? 10_000);
  const cluster = new SimMysqlCluster(
    {
      replicas: replicaCount,
      ...(config?.applyCostMs === undefined ? {} : { applyCostMs: config.applyCostMs }),
      ...(config?.statementCostMs === undefined ? {} : { statementCostMs: config.statementCostMs }),
      ...(semi === undefined
        ? {}
        : {
            semiSync: {
              enabled: true,
              waitPoint: semi.waitPoint ?? 'AFTER_SYNC',
              timeoutMs: semiTimeoutMs,
            },
          }),
    },
    { clock: ports.clock, random: ports.random, ...(ports.trace ? { trace: ports.trace } : {}) },
  );
  const primaryPort: SqlPort = { query: (sql, params) => cluster.primary.query(sql, params) };
  const dataSources = new Map<string, SqlPort>([['ds-master', primaryPort]]);
  cluster.replicas.forEach((node, i) => {
    dataSources.set(`ds-slave-${i}`, node);
  });
  let crashedPrimary: SimMysqlNode | undefined;
  // The node a `slow` on mysql/primary hit: its `repair` goes there even after a failover.
  let slowedPrimary: SimMysqlNode | undefined;
  faults.register('mysql/primary', {
    crash: () => {
      crashedPrimary = cluster.primary;
      cluster.primary.crash();
    },
    restart: () => {
      (crashedPrimary ?? cluster.primary).restart();
      crashedPrimary = undefined;
    },
    freeze: () => cluster.partition([cluster.primary]),
    resume: () => cluster.repair(),
    partition: () => cluster.partition([cluster.primary]),
    repair: () => {
      cluster.repair();
      if (slowedPrimary !== undefined && slowedPrimary.replyLatencyMs !== 0)
        slowedPrimary.setReplyLatencyMs(0);
      slowedPrimary = undefined;
    },
    // A slow link to the clients, as the live fault proxy makes it (see the replicas' `slow`).
    slow: (args: FaultArgs) => {
      const ms = args.latencyMs;
      if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms))
        throw new RangeError(`slow: args.latencyMs must be a number >= 0 (ms), got ${String(ms)}`);
      slowedPrimary = cluster.primary;
      slowedPrimary.setReplyLatencyMs(ms);
    },
    'semi-sync-timeout': async (args: FaultArgs) => {
      const ms = args.timeoutMs;
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
        throw new RangeError(
          `semi-sync-timeout: args.timeoutMs must be an integer >= 0 (ms), got ${String(ms)}`,
        );
      }
      await cluster.primary.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${ms}`);
    },
    failover: async () => {
      const next = cluster.replicas.find((n) => n.up && n !== cluster.primary);
      if (next !== undefined) await cluster.promote(next);
    },
  });
  cluster.replicas.forEach((node, i) => {
    const configuredCostMs = node.applyCostMs;
    faults.register(`mysql/replica-${i + 1}`, {
      crash: () => node.crash(),
      restart: () => node.restart(),
      freeze: () => cluster.partition([node]),
      resume: () => cluster.repair(),
      partition: () => cluster.partition([node]),
      // `repair` ends `slow` too (INVERSE_VERB): the SQL thread goes back to its configured cost,
      // the answers to clients to no extra delay.
      repair: () => {
        cluster.repair();
        if (node.applyCostMs !== configuredCostMs) node.setApplyCostMs(configuredCostMs);
        if (node.replyLatencyMs !== 0) node.setReplyLatencyMs(0);
      },
      // args.applyCostMs: a lagging SQL thread; args.latencyMs: a slow link to the clients, as the
      // live fault proxy makes it (its jitterMs and bandwidthKBps act on live runs only).
      slow: (args: FaultArgs) => {
        const cost = args.applyCostMs;
        const latency = args.latencyMs;
        if (cost === undefined && latency === undefined)
          throw new RangeError('slow: needs args.applyCostMs or args.latencyMs');
        for (const [name, value] of [
          ['applyCostMs', cost],
          ['latencyMs', latency],
        ] as const) {
          if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)))
            throw new RangeError(`slow: args.${name} must be a number >= 0 (ms), got ${String(value)}`);
        }
        if (typeof cost === 'number') node.setApplyCostMs(cost);
        if (typeof latency === 'number') node.setReplyLatencyMs(latency);
      },
      'stop-io-thread': () => node.stopIoThread(),
      'start-io-thread': () => node.startIoThread(),
      'stop-sql-thread': () => node.stopSqlThread(),
      'start-sql-thread': () => node.startSqlThread(),
    });
  });
  const topology: NonNullable<Topology['mysql']> = {
    nodes: [
      { name: cluster.primary.name, target: 'mysql/primary', role: 'primary' },
      ...cluster.replicas.map((n, i) => ({
        name: n.name,
        target: `mysql/replica-${i + 1}`,
        role: 'replica' as const,
      })),
    ],
    ...(semi === undefined
      ? {}
      : { semiSync: { waitPoint: semi.waitPoint ?? 'AFTER_SYNC', timeoutMs: semiTimeoutMs } }),
    loadBalancer: config?.loadBalancer ?? 'ROUND_ROBIN',
    shards: config?.shards ?? 4,
  };
  return { cluster, dataSources, topology };
}

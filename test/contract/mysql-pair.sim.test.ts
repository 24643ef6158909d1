// The MariaDB pair contract on the simulated pair (sim/mysql), on virtual time, seeded.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster, type SimMysqlClusterOptions } from '#sim/mysql/index.ts';
import {
  FAILOVER_LOSES_ASYNC_COMMITS,
  failoverLosesAsyncCommits,
  type MysqlPairTarget,
  semiSyncStall,
  WRITE_REACHES_REPLICA,
  writeReachesReplica,
} from './mysql-pair.contract.ts';

// The real pair's settings (scripts/backends.sh): semi-sync AFTER_SYNC, one replica.
const OPTIONS: SimMysqlClusterOptions = {
  replicas: 1,
  semiSync: { enabled: true, waitPoint: 'AFTER_SYNC', timeoutMs: 2_000 },
  linkLatencyMs: 1,
  applyCostMs: 1,
  masterConnectRetryMs: 1_000,
};

async function onSimulatedPair<T>(seed: number, body: (t: MysqlPairTarget) => Promise<T>): Promise<T> {
  const sim = new Simulation({ seed });
  const c = new SimMysqlCluster(OPTIONS, sim);
  const [primary, replica] = [c.primary, c.replicas[0]!];
  const target: MysqlPairTarget = {
    primary,
    replica,
    clock: sim.clock,
    table: 'contract_t',
    failover: async () => {
      primary.crash();
      await c.promote(replica, { applyRelayLog: true });
      return replica;
    },
    rejoinOldPrimary: async () => {
      primary.restart();
      primary.replicateFrom(replica, 'current_pos');
      await sim.clock.sleep(100);
      return primary;
    },
  };
  const p = sim.spawn(() => body(target), { name: 'contract' });
  await sim.run();
  return p;
}

describe('mysql pair contract: simulated pair', () => {
  it('a write reaches the replica (seed 301)', async () => {
    expect(await onSimulatedPair(301, writeReachesReplica)).toEqual(WRITE_REACHES_REPLICA);
  });

  it('IO thread stopped: the commit waits exactly the semi-sync timeout, returns OK, status OFF then ON (seed 302)', async () => {
    const observed = await onSimulatedPair(302, (t) => semiSyncStall(t, 1_000));
    expect(observed).toEqual({ before: 'ON', affectedRows: 1, waitedMs: 1_000, during: 'OFF', after: 'ON' });
  });

  it('a failover after async commits loses them and the old primary cannot rejoin (seed 303)', async () => {
    expect(await onSimulatedPair(303, failoverLosesAsyncCommits)).toEqual(FAILOVER_LOSES_ASYNC_COMMITS);
  });
});

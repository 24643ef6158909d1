// Router incidents on the simulated replicating cluster (sim/mysql), seeded, each asserting the
// outcome a user would observe (docs/router.md, incidents 1 and 4):
//   1. stale read-after-write under ROUND_ROBIN, and the same reads made fresh by causal reads;
//   4. a replica whose SQL thread stopped on a duplicate key keeps being served, stale forever, by a
//      router without health checks (ShardingSphere's static group), and is skipped with them.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import {
  ARTICLE_READWRITE_SPLITTING_YAML,
  ReadWriteRouter,
  type ReadWriteRouterOptions,
} from '#src/router/index.ts';
import { STALE_READ_EXPECTED, staleReadWhileReplicaLags } from './contract-bodies.ts';

function build(seed: number, extra: Partial<ReadWriteRouterOptions> = {}) {
  const sim = new Simulation({ seed });
  const cluster = new SimMysqlCluster({ replicas: 2, linkLatencyMs: 2, applyCostMs: 1 }, sim);
  const dataSources = new Map(cluster.nodes.map((n) => [n.name, n] as const));
  const router = new ReadWriteRouter(ARTICLE_READWRITE_SPLITTING_YAML, {
    dataSources,
    clock: sim.clock,
    random: sim.random.fork('router'),
    trace: sim.trace,
    ...extra,
  });
  return { sim, cluster, router };
}

/** Reads row 1 through the router `n` times; returns `dataSource:value` per read. */
async function readMany(router: ReadWriteRouter, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { rows } = await router.query('SELECT v FROM chat_history WHERE id = 1');
    out.push(`${router.lastRoute!.dataSourceName}:${String(rows[0]?.v)}`);
  }
  return out;
}

async function seedTable(cluster: SimMysqlCluster, sim: Simulation): Promise<void> {
  await cluster.primary.query('CREATE TABLE chat_history (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await cluster.primary.query("INSERT INTO chat_history VALUES (1, 'old')");
  await sim.clock.sleep(100); // both replicas apply (latency 2 ms, apply 1 ms per group)
}

describe('incident 1: stale read-after-write under ROUND_ROBIN (seed 101)', () => {
  it('reads alternate fresh/stale while ds-slave-1 lags, then both are fresh once it applies', async () => {
    const { sim, cluster, router } = build(101);
    const p = sim.spawn(async () => {
      await seedTable(cluster, sim);
      cluster.replicas[1]!.stopSqlThread(); // ds-slave-1 applies nothing for 300 ms
      await router.query("UPDATE chat_history SET v = 'new' WHERE id = 1");
      await sim.clock.sleep(50); // ds-slave-0 has applied it
      const lagging = await readMany(router, 4);
      await sim.clock.sleep(250);
      cluster.replicas[1]!.startSqlThread();
      await sim.clock.sleep(50);
      const caughtUp = await readMany(router, 2);
      return { lagging, caughtUp };
    });
    await sim.run();
    expect(await p).toEqual({
      lagging: ['ds-slave-0:new', 'ds-slave-1:old', 'ds-slave-0:new', 'ds-slave-1:old'],
      caughtUp: ['ds-slave-0:new', 'ds-slave-1:new'],
    });
  });

  it('causal reads: the lagging replica times out on the GTID wait and the read goes to ds-master', async () => {
    const { sim, cluster, router } = build(101, { causalReads: { timeoutMs: 100 } });
    const p = sim.spawn(async () => {
      await seedTable(cluster, sim);
      cluster.replicas[1]!.stopSqlThread();
      const write = await router.query("UPDATE chat_history SET v = 'new' WHERE id = 1");
      const reads = await readMany(router, 4);
      cluster.replicas[1]!.startSqlThread();
      return { gtid: write.gtid, reads, reasons: router.lastRoute?.reason };
    });
    await sim.run();
    const { gtid, reads, reasons } = await p;
    expect(gtid).toMatch(/^0-1-\d+$/);
    // Every read sees the write: ds-slave-0 after its wait succeeds, ds-master after ds-slave-1's times out.
    expect(reads).toEqual(['ds-slave-0:new', 'ds-master:new', 'ds-slave-0:new', 'ds-master:new']);
    expect(reasons).toBe('causal-timeout');
  });
});

describe('incident 4: duplicate-key SQL-thread stop served by a router without health checks (seed 404)', () => {
  const breakReplica = async (sim: Simulation, cluster: SimMysqlCluster) => {
    await seedTable(cluster, sim);
    // A privileged local write on ds-slave-1, then the primary writes the same key.
    await cluster.replicas[1]!.query("INSERT INTO chat_history VALUES (8, 'local')");
    await cluster.primary.query("INSERT INTO chat_history VALUES (8, 'primary')");
    await sim.clock.sleep(50);
    await cluster.primary.query("UPDATE chat_history SET v = 'v2' WHERE id = 1");
    await sim.clock.sleep(10_000); // far longer than any lag: ds-slave-1 will never catch up by itself
  };

  it('without health checks (the article, ShardingSphere): ds-slave-1 keeps serving the old row', async () => {
    const { sim, cluster, router } = build(404);
    const p = sim.spawn(async () => {
      await breakReplica(sim, cluster);
      const status = cluster.replicas[1]!.status();
      return {
        sql: status.Slave_SQL_Running,
        errno: status.Last_SQL_Errno,
        sbm: status.Seconds_Behind_Master,
        reads: await readMany(router, 4),
      };
    });
    await sim.run();
    expect(await p).toEqual({
      sql: 'No',
      errno: 1062,
      sbm: null,
      reads: ['ds-slave-0:v2', 'ds-slave-1:old', 'ds-slave-0:v2', 'ds-slave-1:old'],
    });
  });

  it('with replicaChecks.health the stopped replica is skipped and every read is fresh', async () => {
    const { sim, cluster, router } = build(404, { replicaChecks: { health: true } });
    const p = sim.spawn(async () => {
      await breakReplica(sim, cluster);
      return readMany(router, 4);
    });
    await sim.run();
    expect(await p).toEqual(['ds-slave-0:v2', 'ds-slave-0:v2', 'ds-slave-0:v2', 'ds-slave-0:v2']);
  });

  it('ShardingSphere remedy: DISABLE the replica by hand, then reads are fresh', async () => {
    const { sim, cluster, router } = build(404);
    const p = sim.spawn(async () => {
      await breakReplica(sim, cluster);
      router.disableReadDataSource('ds-slave-1');
      return readMany(router, 3);
    });
    await sim.run();
    expect(await p).toEqual(['ds-slave-0:v2', 'ds-slave-0:v2', 'ds-slave-0:v2']);
  });
});

describe('the simulation is reproducible (seed 101)', () => {
  it('the same seed gives the same trace hash', async () => {
    const hashes: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { sim, cluster, router } = build(101);
      sim.spawn(async () => {
        await seedTable(cluster, sim);
        cluster.replicas[1]!.stopSqlThread();
        await router.query("UPDATE chat_history SET v = 'new' WHERE id = 1");
        await readMany(router, 4);
      });
      await sim.run();
      hashes.push(String(sim.trace.hash));
    }
    expect(hashes[0]).toBe(hashes[1]);
  });
});

describe('contract body on the simulated pair (the same body runs on the real pair in test/integration)', () => {
  it('stale read while the replica SQL thread is stopped; causal reads avoid it (seed 7)', async () => {
    const sim = new Simulation({ seed: 7 });
    const cluster = new SimMysqlCluster({ replicas: 1, linkLatencyMs: 1, applyCostMs: 1 }, sim);
    const p = sim.spawn(() =>
      staleReadWhileReplicaLags({
        primary: cluster.primary,
        replica: cluster.replicas[0]!,
        dataSources: new Map(cluster.nodes.map((n) => [n.name, n] as const)),
        clock: sim.clock,
        random: sim.random.fork('router'),
        table: 'contract_stale',
      }),
    );
    await sim.run();
    expect(await p).toEqual(STALE_READ_EXPECTED);
  });
});

describe('incident 5: Seconds_Behind_Master says 0 while the IO thread is behind (seed 505)', () => {
  it('lag exclusion keeps a replica whose data is old; causal reads wait for the write instead', async () => {
    const sim = new Simulation({ seed: 505 });
    // A slow replication link: every event group takes 500 ms to reach the relay log.
    const cluster = new SimMysqlCluster({ replicas: 1, linkLatencyMs: 500, applyCostMs: 1 }, sim);
    const dataSources = new Map(cluster.nodes.map((n) => [n.name, n] as const));
    // The article's rule with its second reader's list item removed: one writer, one reader.
    const rule = ARTICLE_READWRITE_SPLITTING_YAML.replace(/^[\u00a0 ]*- ds-slave-1\n/m, '');
    expect(rule).not.toBe(ARTICLE_READWRITE_SPLITTING_YAML);
    const make = (extra: Partial<ReadWriteRouterOptions>) =>
      new ReadWriteRouter(rule, {
        dataSources,
        clock: sim.clock,
        random: sim.random.fork('router'),
        ...extra,
      });
    const p = sim.spawn(async () => {
      await cluster.primary.query('CREATE TABLE chat_history (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
      await cluster.primary.query("INSERT INTO chat_history VALUES (1, 'old')");
      await sim.clock.sleep(2_000);
      const lagChecked = make({ replicaChecks: { health: true, maxReplicationLagMs: 1_000 } });
      await lagChecked.query("UPDATE chat_history SET v = 'new' WHERE id = 1");
      await sim.clock.sleep(100);
      const status = cluster.replicas[0]!.status();
      const lagRead = (await lagChecked.query('SELECT v FROM chat_history WHERE id = 1')).rows[0]?.v;
      const causal = make({ causalReads: { timeoutMs: 1_000 } });
      await causal.query("UPDATE chat_history SET v = 'newer' WHERE id = 1");
      const before = sim.clock.now();
      const causalRead = (await causal.query('SELECT v FROM chat_history WHERE id = 1')).rows[0]?.v;
      return {
        sbm: status.Seconds_Behind_Master,
        trueLagMs: status.trueLagMs,
        lagRead: `${lagChecked.lastRoute?.dataSourceName}:${String(lagRead)}`,
        causalRead: `${causal.lastRoute?.dataSourceName}:${String(causalRead)}`,
        causalWaitMs: sim.clock.now() - before,
      };
    });
    await sim.run();
    const seen = await p;
    expect(seen.sbm).toBe(0); // the SQL thread has applied all it has received
    expect(seen.trueLagMs).toBeGreaterThan(0); // but the replica is behind the primary
    expect(seen.lagRead).toBe('ds-slave-0:old'); // so lag exclusion keeps it, and the read is stale
    expect(seen.causalRead).toBe('ds-slave-0:newer'); // the GTID wait ends when the write arrives
    expect(seen.causalWaitMs).toBeGreaterThanOrEqual(500);
    expect(seen.causalWaitMs).toBeLessThan(1_000);
  });
});

describe('incident 9 (router side): a replica crashes under reads (seed 909)', () => {
  const scenario = async (seed: number, extra: Partial<ReadWriteRouterOptions>) => {
    const { sim, cluster, router } = build(seed, extra);
    const p = sim.spawn(async () => {
      await seedTable(cluster, sim);
      cluster.replicas[1]!.crash(); // kill -9 of ds-slave-1
      const during: string[] = [];
      for (let i = 0; i < 4; i++) {
        try {
          const { rows } = await router.query('SELECT v FROM chat_history WHERE id = 1');
          during.push(`${router.lastRoute!.dataSourceName}:${String(rows[0]?.v)}`);
        } catch (err) {
          during.push(`${router.lastRoute!.dataSourceName}:error ${(err as { errno?: number }).errno}`);
        }
      }
      cluster.replicas[1]!.restart();
      await sim.clock.sleep(2_000); // reconnects and catches up; the cached status expires
      const after = await readMany(router, 2);
      return { during, after };
    });
    await sim.run();
    return p;
  };

  it('without health checks every other read fails while ds-slave-1 is down', async () => {
    const { during, after } = await scenario(909, {});
    expect(during).toEqual([
      'ds-slave-0:old',
      'ds-slave-1:error 2003',
      'ds-slave-0:old',
      'ds-slave-1:error 2003',
    ]);
    expect(after).toEqual(['ds-slave-0:old', 'ds-slave-1:old']);
  });

  it('with replicaChecks.health the unreachable replica is skipped, and used again after restart', async () => {
    const { during, after } = await scenario(909, { replicaChecks: { health: true, statusTtlMs: 1_000 } });
    expect(during).toEqual(['ds-slave-0:old', 'ds-slave-0:old', 'ds-slave-0:old', 'ds-slave-0:old']);
    expect(after).toEqual(['ds-slave-0:old', 'ds-slave-1:old']);
  });
});

// L3 over the simulated replicating MariaDB (sim/mysql) and over the read/write-splitting router
// with the article's rule (ds-master; ds-slave-0, ds-slave-1; ROUND_ROBIN). The same MysqlL3
// statements run unchanged. Through the router, L3 reads go to a replica, so a read right after a
// write can miss until the replica has applied it: asserted as observed (seed 'l3-router').
import { describe, expect, it } from 'vitest';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import { ARTICLE_READWRITE_SPLITTING_YAML, ReadWriteRouter } from '#src/router/index.ts';
import { newSim } from './helpers/stack.ts';

describe('MysqlL3 on the simulated MariaDB', () => {
  it('creates its table, misses, writes, replaces, batches and deletes on the primary', async () => {
    const sim = newSim('l3-sim-mysql');
    const cluster = new SimMysqlCluster({ replicas: 1 }, sim);
    const l3 = new MysqlL3<unknown>({}, { sql: cluster.primary, clock: sim.clock });
    const p = sim.spawn(async () => {
      await l3.createTable();
      const out: unknown[] = [await l3.get('h1')];
      await l3.put('h1', { text: '你好 🚀' });
      out.push(await l3.get('h1'));
      await l3.putMany([
        { hash: 'h1', value: 'v2' },
        { hash: 'h2', value: [1, 2] },
      ]);
      out.push(await l3.get('h1'), await l3.get('h2'), await l3.delete('h1'), await l3.delete('h1'));
      await sim.clock.sleep(100);
      const replica = new MysqlL3<unknown>({}, { sql: cluster.replicas[0] as never, clock: sim.clock });
      out.push(await replica.get('h2'), await replica.get('h1')); // replicated, delete included
      return out;
    });
    await sim.run();
    expect(await p).toEqual([undefined, { text: '你好 🚀' }, 'v2', [1, 2], true, false, [1, 2], undefined]);
  });
});

describe('MysqlL3 through the ReadWriteRouter (article rule)', () => {
  it('writes go to ds-master; a read right after a write reaches a replica that has not applied it yet', async () => {
    const sim = newSim('l3-router');
    const cluster = new SimMysqlCluster({ replicas: 2, linkLatencyMs: 2, applyCostMs: 1 }, sim);
    const router = new ReadWriteRouter(ARTICLE_READWRITE_SPLITTING_YAML, {
      dataSources: new Map(cluster.nodes.map((n) => [n.name, n] as const)),
      clock: sim.clock,
      random: sim.random.fork('router'),
    });
    const l3 = new MysqlL3<string>({}, { sql: router, clock: sim.clock });
    const p = sim.spawn(async () => {
      await l3.createTable();
      await sim.clock.sleep(100);
      await l3.put('h', 'answer');
      const right = await l3.get('h'); // same instant: the replica has not received the event
      const routedTo = router.lastRoute?.dataSourceName;
      await sim.clock.sleep(100);
      const later = [await l3.get('h'), await l3.get('h')]; // both replicas, round robin
      return { right, routedTo, later };
    });
    await sim.run();
    expect(await p).toEqual({
      right: undefined,
      routedTo: 'ds-slave-0', // pinned for seed 'l3-router' (round robin starts at the first replica)
      later: ['answer', 'answer'],
    });
  });
});

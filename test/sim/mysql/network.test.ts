// The MySQL twin on the shared simulated network (sim/net): its nodes are hosts, its replication
// links are 'hold' links (TCP), and its partition / repair touch only its own links.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { SimNetwork } from '#sim/net/network.ts';
import { CREATE_T } from './helpers.ts';

function setup() {
  const sim = new Simulation({ seed: 31, stepsMax: 1_000_000 });
  const network = new SimNetwork({ hosts: ['gateway', 'cache'] }, { clock: sim.clock });
  const cluster = new SimMysqlCluster({ replicas: 1, linkLatencyMs: 5 }, { ...sim, network });
  return { sim, network, cluster };
}

describe('SimMysqlCluster on a shared SimNetwork', () => {
  it('adds its nodes as hosts and replicates over a hold link of the network', () => {
    const { network, cluster } = setup();
    expect(network.hosts).toEqual(['gateway', 'cache', 'ds-master', 'ds-slave-0']);
    const link = network.link('ds-master', 'ds-slave-0');
    expect(cluster.link(cluster.primary, cluster.replicas[0]!)).toBe(link);
    expect(link).toMatchObject({ policy: 'hold', latencyMs: 5, hosts: ['ds-master', 'ds-slave-0'] });
  });

  it('holds the binlog during its partition and delivers it on repair; other links stay cut', async () => {
    const { sim, network, cluster } = setup();
    const other = network.connect('gateway', 'cache', { policy: 'hold' });
    network.partition(['gateway'], ['cache']);
    const replica = cluster.replicas[0]!;
    const p = sim.spawn(
      async () => {
        await cluster.primary.query(CREATE_T);
        await sim.clock.sleep(20);
        cluster.partition([cluster.primary]);
        await cluster.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
        await sim.clock.sleep(1_000);
        const held = {
          pos: replica.status().gtid_slave_pos,
          heldCount: network.link('ds-master', 'ds-slave-0').heldCount,
        };
        cluster.repair();
        await sim.clock.sleep(20);
        return { held, healed: replica.status().gtid_slave_pos };
      },
      { name: 'scenario' },
    );
    await sim.run();
    expect(await p).toEqual({ held: { pos: '0-1-1', heldCount: 1 }, healed: '0-1-2' });
    expect(other.partitioned).toBe(true);
  });

  it('two clusters share a network when their node names differ', () => {
    const { sim, network } = setup();
    const names = { primary: 'orders-master', replicas: ['orders-slave-0'] };
    const orders = new SimMysqlCluster({ replicas: 1, names }, { ...sim, network });
    expect(network.link('orders-master', 'orders-slave-0').policy).toBe('hold');
    expect(orders.nodes.map((n) => n.name)).toEqual(['orders-master', 'orders-slave-0']);
    expect(() => new SimMysqlCluster({ replicas: 1 }, { ...sim, network })).toThrow(/exists already/);
  });
});

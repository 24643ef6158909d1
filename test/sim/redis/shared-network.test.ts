// SimRedisCluster on a shared SimNetwork: two clusters join one network as named hosts with
// 'drop' links, and a cluster's repair() heals only its own links.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimNetwork } from '#sim/net/network.ts';
import { SimRedisCluster } from '#sim/redis/cluster.ts';

describe('SimRedisCluster on a shared SimNetwork', () => {
  it('joins as named hosts, serves its clients, and repairs only its own links', async () => {
    const sim = new Simulation({ seed: 'redis-shared-network' });
    const network = new SimNetwork({}, { clock: sim.clock });
    const ports = { clock: sim.clock, random: sim.random, network };
    const a = new SimRedisCluster({ masters: 3, replicasPerMaster: 0, basePort: 7000 }, ports);
    const b = new SimRedisCluster({ masters: 3, replicasPerMaster: 0, basePort: 8000 }, ports);
    expect(network.hosts).toEqual([
      'redis-clients:7000',
      '127.0.0.1:7000',
      '127.0.0.1:7001',
      '127.0.0.1:7002',
      'redis-clients:8000',
      '127.0.0.1:8000',
      '127.0.0.1:8001',
      '127.0.0.1:8002',
    ]);
    expect(network.link('127.0.0.1:7000', '127.0.0.1:7001').policy).toBe('drop');
    const out = sim.spawn(async () => {
      await a.client().set('hello', 'a');
      await b.client().set('hello', 'b');
      return [await a.client().get('hello'), await b.client().get('hello')];
    });
    await sim.run({ untilMs: 1_000 });
    expect(await out).toEqual(['a', 'b']);

    a.partition(['127.0.0.1:7000']);
    network.partition(['127.0.0.1:8000'], ['127.0.0.1:8001']);
    expect(network.link('127.0.0.1:7000', '127.0.0.1:7001').partitioned).toBe(true);
    expect(network.link('redis-clients:7000', '127.0.0.1:7000').partitioned).toBe(true);
    a.repair();
    expect(network.link('127.0.0.1:7000', '127.0.0.1:7001').partitioned).toBe(false);
    expect(network.link('127.0.0.1:8000', '127.0.0.1:8001').partitioned).toBe(true);
    a.stop();
    b.stop();
  });
});

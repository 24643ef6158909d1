// The Redis cluster contract against SimRedisCluster (3 masters, 3 replicas, node-timeout 5000 ms,
// like scripts/backends.sh), each test on its own seeded simulation.
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimRedisCluster } from '#sim/redis/cluster.ts';
import { toClientValue } from '#sim/redis/reply.ts';
import { keyHashSlot } from '#src/ports/redis-slots.ts';
import { redisClusterContract } from './redis-cluster.contract.ts';

let run = 0;

redisClusterContract('SimRedisCluster', async () => {
  const sim = new Simulation({ seed: `redis-cluster-contract-${run++}` });
  const cluster = new SimRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5_000 }, sim);
  const client = cluster.client();
  const id = (port: number) => `127.0.0.1:${port}`;
  return {
    client,
    nodeTimeoutMs: cluster.nodeTimeoutMs,
    prefix: 'hasim:cluster-contract',
    keySlot: async (key) => keyHashSlot(key),
    // Replies as ioredis delivers them (a status reply as its text).
    direct: async (port, args) => toClientValue(await cluster.sendToNode(id(port), args)),
    failover: async (port) => {
      await cluster.failover(id(port));
    },
    kill: async (port) => cluster.crash(id(port)),
    restart: async (port) => cluster.restart(id(port)),
    role: async (port) => cluster.roleOf(id(port)),
    sleep: (ms) => sim.clock.sleep(ms),
    now: () => sim.clock.now(),
    run: async (body) => {
      // Once the body is done the cluster's cron timers stop, so the run ends at idle.
      const task = sim.spawn(
        async () => {
          try {
            return await body();
          } finally {
            cluster.stop();
          }
        },
        { name: 'contract body' },
      );
      await sim.run();
      return task;
    },
    close: async () => cluster.stop(),
  };
});

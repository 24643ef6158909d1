// Smoke test for the 6-node Redis Cluster that `scripts/backends.sh up` starts on
// 127.0.0.1:7000-7005. It pins down the topology the simulator's sim/redis cluster model is
// compared against: every node reports cluster_state:ok, masters 7000/7001/7002 own slots
// 0-5460/5461-10922/10923-16383, replicas are paired 7003->7000, 7004->7001, 7005->7002, and a
// key written through ioredis' Cluster client lands on the master that owns its slot.
// Skipped with a visible reason when the cluster is not up, failed under CI=true.
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS_SH_HINT, gateBackend, uniqueName } from './backends.ts';

const HOST = '127.0.0.1';
/** Masters in slot order, each with the replica `scripts/backends.sh` pairs with it. */
const SHARDS = [
  { master: 7000, replica: 7003, slotLow: 0, slotHigh: 5460 },
  { master: 7001, replica: 7004, slotLow: 5461, slotHigh: 10922 },
  { master: 7002, replica: 7005, slotLow: 10923, slotHigh: 16383 },
] as const;
const PORTS = SHARDS.flatMap((s) => [s.master, s.replica]).sort((a, b) => a - b);
/** Upper bound on candidate key names tried when looking for one key per shard. */
const KEY_CANDIDATES_MAX = 1_000;

const gate = await gateBackend({ name: 'redis cluster smoke', ports: PORTS, hint: BACKENDS_SH_HINT });

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }

  let cluster: Cluster;
  const nodes = new Map<number, Redis>();
  const written: string[] = [];

  const node = (port: number): Redis => {
    const client = nodes.get(port);
    if (!client) throw new Error(`no client for :${port}`);
    return client;
  };

  beforeAll(async () => {
    for (const port of PORTS) {
      const client = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 2 });
      nodes.set(port, client);
      await client.connect();
    }
    cluster = new Cluster([{ host: HOST, port: SHARDS[0].master }], {
      lazyConnect: true,
      redisOptions: { maxRetriesPerRequest: 5 },
    });
    await cluster.connect();
  });

  afterAll(async () => {
    for (const key of written) await cluster?.del(key);
    await cluster?.quit();
    for (const client of nodes.values()) await client.quit();
  });

  it('reports cluster_state:ok with 3 masters and 6 nodes on every node', { timeout: 30_000 }, async () => {
    for (const port of PORTS) {
      const info = String(await node(port).call('CLUSTER', 'INFO'));
      expect(info, `:${port}`).toMatch(/^cluster_state:ok\r?$/m);
      expect(info, `:${port}`).toMatch(/^cluster_slots_assigned:16384\r?$/m);
      expect(info, `:${port}`).toMatch(/^cluster_known_nodes:6\r?$/m);
      expect(info, `:${port}`).toMatch(/^cluster_size:3\r?$/m);
    }
  });

  it('assigns the slot ranges to masters 7000-7002 with replicas 7003-7005', {
    timeout: 30_000,
  }, async () => {
    // CLUSTER SLOTS: [low, high, [masterHost, masterPort, id, ...], [replicaHost, replicaPort, id, ...]...]
    const slots = (await node(SHARDS[0].master).call('CLUSTER', 'SLOTS')) as [
      number,
      number,
      ...[string, number, string, ...unknown[]][],
    ][];
    const ranges = slots
      .map(([low, high, ...servers]) => ({ low, high, ports: servers.map((s) => s[1]) }))
      .sort((a, b) => a.low - b.low);
    expect(ranges).toEqual(
      SHARDS.map((s) => ({ low: s.slotLow, high: s.slotHigh, ports: [s.master, s.replica] })),
    );
  });

  it('writes one key into each master and reads it back', { timeout: 30_000 }, async () => {
    const prefix = uniqueName('hasim:smoke:cluster');
    const keyOfShard = new Map<number, { key: string; slot: number }>();
    for (let i = 0; i < KEY_CANDIDATES_MAX && keyOfShard.size < SHARDS.length; i++) {
      const key = `${prefix}:${i}`;
      const slot = Number(await node(SHARDS[0].master).call('CLUSTER', 'KEYSLOT', key));
      const shard = SHARDS.find((s) => slot >= s.slotLow && slot <= s.slotHigh);
      expect(shard, `slot ${slot} of ${key} belongs to no shard`).toBeDefined();
      if (shard && !keyOfShard.has(shard.master)) keyOfShard.set(shard.master, { key, slot });
    }
    expect([...keyOfShard.keys()].sort()).toEqual(SHARDS.map((s) => s.master));

    for (const shard of SHARDS) {
      const { key, slot } = keyOfShard.get(shard.master)!;
      written.push(key);
      expect(await cluster.set(key, `value-of-${shard.master}`, 'EX', 300)).toBe('OK');
      expect(await cluster.get(key)).toBe(`value-of-${shard.master}`);
      // The owning master serves the key directly; every other master redirects with MOVED.
      expect(await node(shard.master).get(key)).toBe(`value-of-${shard.master}`);
      expect(
        Number(await node(shard.master).call('CLUSTER', 'COUNTKEYSINSLOT', slot)),
      ).toBeGreaterThanOrEqual(1);
      for (const other of SHARDS.filter((s) => s !== shard)) {
        await expect(node(other.master).get(key)).rejects.toThrow(
          new RegExp(`^MOVED ${slot} 127\\.0\\.0\\.1:${shard.master}$`),
        );
      }
    }
  });

  it('pairs replicas 7003->7000, 7004->7001, 7005->7002 (ROLE, INFO replication)', {
    timeout: 30_000,
  }, async () => {
    for (const shard of SHARDS) {
      // Replica ROLE: ['slave', masterHost, masterPort, linkState, offset].
      const replicaRole = (await node(shard.replica).call('ROLE')) as unknown[];
      expect(replicaRole.slice(0, 4)).toEqual(['slave', HOST, shard.master, 'connected']);
      const replicaInfo = String(await node(shard.replica).info('replication'));
      expect(replicaInfo).toMatch(/^role:slave\r?$/m);
      expect(replicaInfo).toMatch(new RegExp(`^master_port:${shard.master}\\r?$`, 'm'));
      expect(replicaInfo).toMatch(/^master_link_status:up\r?$/m);

      // Master ROLE: ['master', offset, [[replicaHost, replicaPort, offset], ...]].
      const masterRole = (await node(shard.master).call('ROLE')) as [
        string,
        number,
        [string, string, string][],
      ];
      expect(masterRole[0]).toBe('master');
      expect(masterRole[2].map(([host, port]) => `${host}:${port}`)).toEqual([`${HOST}:${shard.replica}`]);
      const masterInfo = String(await node(shard.master).info('replication'));
      expect(masterInfo).toMatch(/^connected_slaves:1\r?$/m);
      expect(masterInfo).toMatch(
        new RegExp(`^slave0:ip=127\\.0\\.0\\.1,port=${shard.replica},state=online,`, 'm'),
      );
    }
  });
});

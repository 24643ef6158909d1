// Network faults of live runs on the backends.sh servers: a fault proxy in front of every node, an
// ioredis Cluster client that reaches every node through the proxies (natMap), and the timeline's
// `partition`, `repair` and `slow` verbs acting on the proxy of the node a target names. The
// servers themselves are never touched; restoreAll() and closing the proxies end every fault.
// Skipped with a visible reason when the servers are down; failed under CI=true.
import { Cluster } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { LiveFaults } from '#src/live/faults/live-faults.ts';
import { type ProxiedServers, startFaultProxies } from '#src/live/faults/network.ts';
import { discoverBackends, type LiveServers } from '#src/live/faults/servers.ts';
import { keyHashSlot } from '#src/ports/redis-slots.ts';
import { BACKENDS_SH_HINT, gateBackend, pollUntil, waitForClusterLayout } from './backends.ts';

const gate = await gateBackend({
  name: 'live network faults through the fault proxy',
  ports: [7000, 7001, 7002, 7003, 7004, 7005, 3307, 3308],
  hint: BACKENDS_SH_HINT,
});

/** A command on a partitioned or slowed node gives up after this, ms (far below the slow latency). */
const COMMAND_TIMEOUT_MS = 1_000;
const SLOW_MS = 5_000;

/** The first key `hasim:net:N` whose slot lies in [low, high]. */
function keyIn(low: number, high: number): string {
  for (let n = 0; ; n++) {
    const key = `hasim:net:${process.pid}:${n}`;
    const slot = keyHashSlot(key);
    if (slot >= low && slot <= high) return key;
  }
}
const KEY_SHARD_1 = keyIn(0, 5460);
const KEY_SHARD_2 = keyIn(5461, 10922);

let servers: LiveServers;
let proxied: ProxiedServers;
let faults: LiveFaults;
let cluster: Cluster;

describe.skipIf(gate.skip)(gate.title, () => {
  beforeAll(async () => {
    gate.assertAvailable();
    // The suites before this one fail nodes over, kill and freeze them and restore them; the
    // shard targets are fixed from what discoverBackends sees now, so start from the layout.
    await waitForClusterLayout();
    const clock = new SystemClock();
    servers = await discoverBackends();
    proxied = await startFaultProxies(servers, { clock, random: new SeededRandom(15) });
    faults = new LiveFaults({ servers }, { clock, network: proxied.network });
    const first = servers.redis[0] ?? { host: '127.0.0.1', port: 7000 };
    cluster = new Cluster([proxied.addressOf(first)], {
      natMap: proxied.redisNatMap,
      enableOfflineQueue: false,
      redisOptions: { commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 0 },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('cluster client not ready after 30 s')), 30_000);
      cluster.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await cluster.set(KEY_SHARD_1, 'one');
    await cluster.set(KEY_SHARD_2, 'two');
  }, 120_000);
  afterEach(async () => {
    expect(await faults.restoreAll()).toEqual([]);
    // Each test starts with a client that reads both shards: a connection a fault closed is
    // reopened by ioredis after a backoff, and until then a command on it is refused at once
    // (enableOfflineQueue: false).
    const readsBoth = async () =>
      (await cluster.get(KEY_SHARD_1).catch(() => undefined)) === 'one' &&
      (await cluster.get(KEY_SHARD_2).catch(() => undefined)) === 'two'
        ? true
        : undefined;
    expect(await pollUntil(readsBoth, 30_000)).toBe(true);
  }, 120_000);
  afterAll(async () => {
    await faults?.restoreAll();
    if (cluster !== undefined) {
      await cluster.del(KEY_SHARD_1, KEY_SHARD_2).catch(() => undefined);
      cluster.disconnect();
    }
    await proxied?.close();
  }, 120_000);

  it('routes every cluster connection through the proxies (natMap)', async () => {
    expect(await cluster.get(KEY_SHARD_1)).toBe('one');
    expect(await cluster.get(KEY_SHARD_2)).toBe('two');
    const master1 = proxied.proxies.get('127.0.0.1:7000');
    const master2 = proxied.proxies.get('127.0.0.1:7001');
    expect(master1?.connections).toBeGreaterThan(0);
    expect(master2?.connections).toBeGreaterThan(0);
    expect(faults.targets().find((t) => t.name === 'redis/shard-1/master')?.verbs).toEqual(
      expect.arrayContaining(['partition', 'repair', 'slow']),
    );
  });

  it('partition cuts the clients off one master only; repair lets them through again', async () => {
    await faults.inject({ verb: 'partition', target: 'redis/shard-1/master' });
    await expect(cluster.get(KEY_SHARD_1)).rejects.toThrow(/timed out/i);
    expect(await cluster.get(KEY_SHARD_2)).toBe('two');
    await faults.inject({ verb: 'repair', target: 'redis/shard-1/master' });
    expect(await cluster.get(KEY_SHARD_1)).toBe('one');
  }, 60_000);

  it('partition mode reset resets the clients connections to one master; repair lets them reconnect', async () => {
    await faults.inject({ verb: 'partition', target: 'redis/shard-2/master', args: { mode: 'reset' } });
    await expect(cluster.get(KEY_SHARD_2)).rejects.toThrow();
    expect(await cluster.get(KEY_SHARD_1)).toBe('one');
    await faults.inject({ verb: 'repair', target: 'redis/shard-2/master' });
    const back = async () =>
      (await cluster.get(KEY_SHARD_2).catch(() => undefined)) === 'two' ? true : undefined;
    expect(await pollUntil(back, 30_000)).toBe(true);
  }, 60_000);

  it('slow adds latency to every reply of the node; latencyMs 0 takes it away', async () => {
    await faults.inject({ verb: 'slow', target: 'redis/shard-1/master', args: { latencyMs: SLOW_MS } });
    await expect(cluster.get(KEY_SHARD_1)).rejects.toThrow(/timed out/i);
    expect(await cluster.get(KEY_SHARD_2)).toBe('two');
    await faults.inject({ verb: 'slow', target: 'redis/shard-1/master', args: { latencyMs: 0 } });
    expect(await cluster.get(KEY_SHARD_1)).toBe('one');
    await expect(
      faults.inject({ verb: 'slow', target: 'mysql/replica-1', args: { applyCostMs: 5 } }),
    ).rejects.toThrow(/applyCostMs .* is simulated only/);
  }, 60_000);

  it('partition mode refuse takes the MariaDB proxy down; repair brings it back', async () => {
    const primary = servers.mysql[0] ?? { host: '127.0.0.1', port: 3307 };
    const via = proxied.addressOf(primary);
    expect(via.port).not.toBe(3307);
    const select = async () => {
      const c = await mysql.createConnection({ ...via, user: 'root', connectTimeout: COMMAND_TIMEOUT_MS });
      try {
        const [rows] = await c.query('SELECT @@port AS port');
        return rows;
      } finally {
        c.destroy();
      }
    };
    expect(await select()).toEqual([{ port: 3307 }]);
    await faults.inject({ verb: 'partition', target: 'mysql/primary', args: { mode: 'refuse' } });
    await expect(select()).rejects.toThrow(/ECONNREFUSED/);
    await faults.inject({ verb: 'repair', target: 'mysql/primary' });
    expect(await select()).toEqual([{ port: 3307 }]);
  }, 60_000);
});

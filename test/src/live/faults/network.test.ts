// The timeline's network verbs on fault proxies in front of a local echo server: what `partition`,
// `repair` and `slow` put on the proxy, without real backends (test/integration/
// live-faults-network.test.ts runs them on the Redis Cluster and MariaDB).
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import {
  PARTITION_TOXICS,
  type ProxiedServers,
  SLOW_TOXIC,
  startFaultProxies,
} from '#src/live/faults/network.ts';
import type { LiveServers, RedisServer } from '#src/live/faults/servers.ts';
import { FaultError } from '#src/ports/faults.ts';

let echo: net.Server;
let proxied: ProxiedServers;
let server: RedisServer;

beforeEach(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const port = (echo.address() as net.AddressInfo).port;
  server = { kind: 'redis', host: '127.0.0.1', port, role: 'master', slots: [[0, 16383]], managed: false };
  const servers: LiveServers = { stateDir: '/none', redis: [server], mysql: [] };
  proxied = await startFaultProxies(servers, { clock: new SystemClock(), random: new SeededRandom(2) });
});

afterEach(async () => {
  await proxied.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

describe('startFaultProxies', () => {
  it('puts a loopback proxy in front of each server and maps its announced address for ioredis', () => {
    const via = proxied.addressOf(server);
    expect(via.host).toBe('127.0.0.1');
    expect(via.port).not.toBe(server.port);
    expect(proxied.redisNatMap).toEqual({ [`127.0.0.1:${server.port}`]: via });
  });
});

describe('ProxiedNetwork', () => {
  it('partition holds both streams (a black hole); repair removes it; mode refuse takes the proxy down', async () => {
    const proxy = proxied.network.proxyFor(server);
    await proxied.network.apply(server, 'partition', {});
    await proxied.network.apply(server, 'partition', {}); // twice: no duplicate toxic
    expect(proxy?.toxics().map((t) => [t.name, t.type, t.stream])).toEqual([
      [PARTITION_TOXICS[0], 'timeout', 'upstream'],
      [PARTITION_TOXICS[1], 'timeout', 'downstream'],
    ]);
    await proxied.network.apply(server, 'repair', {});
    expect(proxy?.toxics()).toEqual([]);
    await proxied.network.apply(server, 'partition', { mode: 'refuse' });
    expect(proxy?.enabled).toBe(false);
    await proxied.network.apply(server, 'repair', {});
    expect(proxy?.enabled).toBe(true);
  });

  it('slow sets one downstream latency toxic; latencyMs 0 removes it; bad args are refused', async () => {
    const proxy = proxied.network.proxyFor(server);
    await proxied.network.apply(server, 'slow', { latencyMs: 50, jitterMs: 5 });
    await proxied.network.apply(server, 'slow', { latencyMs: 80 });
    expect(proxy?.toxics()).toEqual([
      expect.objectContaining({
        name: SLOW_TOXIC,
        type: 'latency',
        stream: 'downstream',
        attributes: { latency: 80, jitter: 0 },
      }),
    ]);
    await proxied.network.apply(server, 'slow', { latencyMs: 0 });
    expect(proxy?.toxics()).toEqual([]);
    await expect(proxied.network.apply(server, 'slow', { latencyMs: -1 })).rejects.toThrow(FaultError);
    await expect(proxied.network.apply(server, 'slow', { applyCostMs: 5 })).rejects.toThrow(/simulated only/);
    await proxied.network.apply(server, 'slow', { latencyMs: 0, bandwidthKBps: 64 });
    expect(proxy?.toxics().map((t) => [t.type, t.stream, t.attributes])).toEqual([
      ['bandwidth', 'upstream', { rate: 64 }],
      ['bandwidth', 'downstream', { rate: 64 }],
    ]);
    await proxied.network.apply(server, 'slow', { latencyMs: 10 });
    await proxied.network.restoreAll();
    expect(proxy?.toxics()).toEqual([]);
  });

  it('partition modes timeout and reset map to Toxiproxy timeout and reset_peer; repair removes them', async () => {
    const proxy = proxied.network.proxyFor(server);
    await proxied.network.apply(server, 'partition', { mode: 'timeout', timeoutMs: 250 });
    expect(proxy?.toxics().map((t) => [t.type, t.stream, t.attributes])).toEqual([
      ['timeout', 'upstream', { timeout: 250 }],
      ['timeout', 'downstream', { timeout: 250 }],
    ]);
    await proxied.network.apply(server, 'partition', { mode: 'reset' });
    expect(proxy?.toxics().map((t) => [t.type, t.attributes])).toEqual([['reset_peer', { timeout: 0 }]]);
    await proxied.network.apply(server, 'repair', {});
    expect(proxy?.toxics()).toEqual([]);
    await expect(proxied.network.apply(server, 'partition', { mode: 'timeout' })).rejects.toThrow(
      /args.timeoutMs/,
    );
    await expect(proxied.network.apply(server, 'partition', { mode: 'drop' })).rejects.toThrow(
      /args.mode must be one of/,
    );
  });

  it('refuses a server without a proxy, naming it', async () => {
    const other: RedisServer = { ...server, port: 1 };
    await expect(proxied.network.apply(other, 'partition', {})).rejects.toThrow(
      /redis 127.0.0.1:1 has no fault proxy in front of it/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { HostPort, LiveMysql, LiveRedis } from '../../../src/adapters/live-backends.ts';
import { LiveServerError } from '../../../src/adapters/live-backends.ts';
import { Watchdog } from '../../../src/live/watchdog.ts';

const redis = (mode: 'cluster' | 'standalone', healthy: boolean): LiveRedis =>
  ({
    mode,
    servers: [{ host: '127.0.0.1', port: 7000 }],
    healthy: async () => healthy,
  }) as unknown as LiveRedis;
const mysql = (port: number): LiveMysql =>
  ({ server: { host: '127.0.0.1', port, user: 'root', database: 'hasim' } }) as unknown as LiveMysql;

/** A probe that refuses `down` and counts its calls; `until` resolves after `n` calls. */
function fakeProbe(down: ReadonlySet<number>) {
  let calls = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const probe = async (server: HostPort) => {
    calls++;
    for (const w of waiters) if (calls >= w.n) w.resolve();
    return down.has(server.port) ? 'ECONNREFUSED' : undefined;
  };
  const until = (n: number) => new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { probe, until };
}

describe('Watchdog', () => {
  it('declares a MariaDB server that stays unreachable dead, naming it', async () => {
    const { probe } = fakeProbe(new Set([3307]));
    const dog = new Watchdog(
      { deadAfterMs: 0, probeTimeoutMs: 10, intervalMs: 1 },
      { redis: redis('cluster', true), mysql: [mysql(3307)] },
      { probe },
    );
    const error = await dog.death().catch((e: unknown) => e);
    dog.stop();
    expect(error).toBeInstanceOf(LiveServerError);
    expect((error as Error).message).toBe('cannot reach MariaDB at 127.0.0.1:3307 (ECONNREFUSED)');
  });

  it('never declares dead a server the timeline took down on purpose, nor a cluster node the cluster covered for', async () => {
    const { probe, until } = fakeProbe(new Set([3307, 7000]));
    const dog = new Watchdog(
      { deadAfterMs: 0, probeTimeoutMs: 10, intervalMs: 1 },
      { redis: redis('cluster', true), mysql: [mysql(3307)], excused: new Set(['127.0.0.1:3307']) },
      { probe },
    );
    let dead = false;
    dog.death().catch(() => {
      dead = true;
    });
    await until(40); // 20 rounds of both servers
    dog.stop();
    expect(dead).toBe(false);
  });

  it('declares a cluster node dead when the cluster did not cover for it', async () => {
    const { probe } = fakeProbe(new Set([7000]));
    const dog = new Watchdog(
      { deadAfterMs: 0, probeTimeoutMs: 10, intervalMs: 1 },
      { redis: redis('cluster', false), mysql: [] },
      { probe },
    );
    const error = await dog.death().catch((e: unknown) => e);
    dog.stop();
    expect((error as Error).message).toBe('cannot reach Redis at 127.0.0.1:7000 (ECONNREFUSED)');
  });
});

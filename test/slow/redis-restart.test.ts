// A Redis that restarts empty (no persistence) under a connected ioredis client: the client
// reconnects on its own, and RedisRestartWatcher notices that the server is a new process (its
// run_id changed), which is what tells a cache or a limiter that acknowledged writes and counters
// are gone. Runs its own redis-server on a free port (never the shared backends), so it lives in
// the slow project; skipped when redis-server is not installed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyWriteFailure, RedisRestartWatcher } from '#src/adapters/redis-restart.ts';
import type { TraceFields, TraceSink } from '#src/ports/trace.ts';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGKILL');
  await exited;
}

const once = (client: Redis, event: string) =>
  new Promise<void>((resolve) => client.once(event, () => resolve()));

describe.skipIf(!hasRedisServer)('a Redis restart under a connected ioredis client', () => {
  const servers: ChildProcess[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const s of servers) await stop(s);
  });

  it('is noticed by its run_id, traced, and the lost write shows', { timeout: 30_000 }, async () => {
    const port = await freePort();
    servers.push(startRedis(port));
    const events: Array<{ component: string; kind: string; fields?: TraceFields }> = [];
    const trace: TraceSink = {
      emit: (component, kind, fields) => void events.push({ component, kind, fields }),
    };
    const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    clients.push(client);
    client.on('error', () => {}); // reconnect attempts while the server is down
    const watcher = new RedisRestartWatcher({ component: 'redis-client/test' }, { client, trace });
    await once(client, 'ready');
    await watcher.settled();
    const firstRunId = watcher.runId;
    expect(firstRunId).toMatch(/^[0-9a-f]{40}$/);
    expect(await client.set('acknowledged', 'v')).toBe('OK');

    await stop(servers[0]!);
    servers.push(startRedis(port));
    await once(client, 'ready');
    await watcher.settled();

    expect(watcher.restarts).toBe(1);
    expect(watcher.runId).not.toBe(firstRunId);
    expect(events).toEqual([
      {
        component: 'redis-client/test',
        kind: 'server-restarted',
        fields: { previousRunId: firstRunId, runId: watcher.runId },
      },
    ]);
    // The acknowledged write did not survive: exactly what the watcher exists to report.
    expect(await client.get('acknowledged')).toBeNull();
    watcher.close();
  });

  it('classifies failed writes as failed (certainly not applied) or indeterminate', {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    const server = startRedis(port);
    servers.push(server);
    const client = new Redis({
      port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    clients.push(client);
    client.on('error', () => {});
    await once(client, 'ready');
    await client.set('text', 'not a number');
    // The server refused it with an error reply: certainly not applied.
    expect(classifyWriteFailure(await client.incr('text').catch((e: unknown) => e))).toBe('failed');
    await stop(server);
    // No connection and no offline queue: never sent.
    const offline = await client.set('k', 'v').catch((e: unknown) => e);
    expect(classifyWriteFailure(offline)).toBe('failed');
    // A lost connection or a client that gave up may have let the write through.
    expect(classifyWriteFailure(new Error('Connection is closed.'))).toBe('indeterminate');
    expect(
      classifyWriteFailure(
        Object.assign(new Error('Reached the max retries per request limit'), {
          name: 'MaxRetriesPerRequestError',
        }),
      ),
    ).toBe('indeterminate');
  });
});

// The Redis cluster contract against the real 6-node cluster on 127.0.0.1:7000-7005 (started by
// scripts/backends.sh, node-timeout 5000 ms). The failover tests change roles and kill a master;
// each restores the original topology (restart with the same command line, fail back) before
// it ends. Skipped with a visible reason when the cluster is not up.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { describe, it } from 'vitest';
import { redisClusterContract } from '../contract/redis-cluster.contract.ts';
import { BACKENDS_SH_HINT, gateBackend, pollUntil, uniqueName } from './backends.ts';

const PORTS = [7000, 7001, 7002, 7003, 7004, 7005];
const gate = await gateBackend({
  name: 'redis cluster contract (real 7000-7005)',
  ports: PORTS,
  hint: BACKENDS_SH_HINT,
});

if (gate.mustFail) {
  describe(gate.title, () => it('has its backend', () => gate.assertAvailable()));
} else if (gate.skip) {
  describe.skip(gate.title, () => it('skipped', () => {}));
} else {
  /** Command lines of killed nodes, to start them again exactly as scripts/backends.sh did. */
  const killed = new Map<number, { argv: string[]; cwd: string }>();

  redisClusterContract('redis-server cluster 127.0.0.1:7000-7005', async () => {
    const nodes = new Map<number, Redis>();
    const node = (port: number): Redis => {
      let client = nodes.get(port);
      // A client that found its node down has given up for good (no retries): make a new one.
      if (client === undefined || client.status === 'end') {
        client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null });
        client.on('error', () => {});
        nodes.set(port, client);
      }
      return client;
    };
    const client = new Cluster([{ host: '127.0.0.1', port: 7000 }], {
      redisOptions: { maxRetriesPerRequest: 20 },
    });
    client.on('error', () => {});
    const prefix = uniqueName('hasim:cluster-contract');
    const configValue = async (port: number, name: string) =>
      String(((await node(port).config('GET', name)) as string[])[1]);
    const nodeTimeoutMs = Number(await configValue(7000, 'cluster-node-timeout'));
    return {
      client,
      nodeTimeoutMs,
      prefix,
      keySlot: async (key) => Number(await node(7000).call('CLUSTER', 'KEYSLOT', key)),
      direct: (port, args) => node(port).call(args[0] as string, ...args.slice(1)),
      failover: async (port) => {
        await node(port).call('CLUSTER', 'FAILOVER');
      },
      kill: async (port) => {
        // Redis rewrites its process title, so the command line is rebuilt from the node's own
        // config, flag for flag as scripts/backends.sh starts it.
        const setting = async (name: string) => configValue(port, name);
        const argv = [
          'redis-server',
          ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
          ...['--cluster-config-file', await setting('cluster-config-file')],
          ...['--cluster-node-timeout', await setting('cluster-node-timeout')],
          ...[
            '--appendonly',
            'no',
            '--save',
            '',
            '--enable-debug-command',
            'local',
            '--repl-diskless-sync-delay',
            '0',
          ],
          ...['--dir', await setting('dir'), '--daemonize', 'yes'],
          ...['--pidfile', await setting('pidfile'), '--logfile', await setting('logfile')],
        ];
        const cwd = await setting('dir');
        const pid = Number(readFileSync(await setting('pidfile'), 'utf8').trim());
        killed.set(port, { argv, cwd });
        node(port).disconnect();
        nodes.delete(port);
        process.kill(pid, 'SIGKILL');
      },
      restart: async (port) => {
        const saved = killed.get(port);
        if (saved === undefined) throw new Error(`:${port} was not killed by this suite`);
        const [exe, ...args] = saved.argv;
        spawnSync(exe as string, args, { cwd: saved.cwd, stdio: 'ignore' });
        await pollUntil(
          async () =>
            (await node(port)
              .ping()
              .catch(() => undefined)) === 'PONG'
              ? true
              : undefined,
          10_000,
        );
        killed.delete(port);
      },
      role: async (port) =>
        ((await node(port).call('ROLE')) as string[])[0] === 'master' ? 'master' : 'replica',
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => Date.now(),
      run: (body) => body(),
      close: async () => {
        const keys: string[] = [];
        for (const master of client.nodes('master')) keys.push(...(await master.keys(`${prefix}*`)));
        for (const key of keys) await client.del(key);
        client.disconnect();
        for (const c of nodes.values()) c.disconnect();
      },
    };
  });
}

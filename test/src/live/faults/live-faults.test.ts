// LiveFaults on fake ports: a process table and admin connections that model a 2-shard Redis
// Cluster and a MariaDB pair just enough to check what the driver decides (which server a target
// names when the fault fires, what is refused, what is traced, what restoreAll undoes) without
// real servers. test/integration/live-faults*.test.ts run the same verbs on real ones.
import { describe, expect, it } from 'vitest';
import type { BackendAdmin, ProcessControl, StartCommand } from '#src/adapters/process-control.ts';
import { LiveFaults } from '#src/live/faults/live-faults.ts';
import type { LiveServers, MysqlServer, RedisServer } from '#src/live/faults/servers.ts';
import type { Clock } from '#src/ports/clock.ts';
import { FaultError } from '#src/ports/faults.ts';

/** A clock whose sleeps return at once, moving time on. */
function fastClock(): Clock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    schedule: () => ({ cancel() {} }),
  };
}

interface FakeNode {
  id: string;
  role: 'master' | 'slave';
  epoch: number;
  slots: string;
  master: string;
}

/** Redis nodes 7000 (master, slots 0-8191) / 7002 (its replica) and 7001 / 7003; MariaDB 3307 / 3308. */
function world() {
  const nodes = new Map<number, FakeNode>([
    [7000, { id: 'a', role: 'master', epoch: 1, slots: '0-8191', master: '-' }],
    [7001, { id: 'b', role: 'master', epoch: 2, slots: '8192-16383', master: '-' }],
    [7002, { id: 'c', role: 'slave', epoch: 1, slots: '', master: 'a' }],
    [7003, { id: 'd', role: 'slave', epoch: 2, slots: '', master: 'b' }],
  ]);
  const pids = new Map<string, number>(); // pid file -> pid
  const alive = new Set<number>();
  const stopped = new Set<number>();
  const portOf = new Map<number, number>(); // pid -> port
  const log: string[] = [];
  let nextPid = 100;
  const spawnAt = (port: number) => {
    const pid = nextPid++;
    pids.set(`/s/${port}.pid`, pid);
    alive.add(pid);
    portOf.set(pid, port);
  };
  for (const port of [7000, 7001, 7002, 7003, 3307, 3308]) spawnAt(port);
  const up = (port: number) => [...alive].some((pid) => portOf.get(pid) === port && !stopped.has(pid));
  const processes: ProcessControl = {
    readPidFile: (file) => pids.get(file),
    readArgvFile: () => undefined,
    inspect: () => undefined,
    alive: (pid) => alive.has(pid),
    signal(pid, signal) {
      if (!alive.has(pid)) return false;
      log.push(`${signal} ${portOf.get(pid)}`);
      if (signal === 'SIGKILL') alive.delete(pid);
      else if (signal === 'SIGSTOP') stopped.add(pid);
      else stopped.delete(pid);
      return true;
    },
    async start(command: StartCommand) {
      const port = Number(command.argv[1]);
      log.push(`start ${port}`);
      spawnAt(port);
      return 1;
    },
  };
  const admin: BackendAdmin = {
    async redis(_host, port, args) {
      if (!up(port)) throw new Error('Command timed out');
      const node = nodes.get(port);
      if (node === undefined) throw new Error('ECONNREFUSED');
      const [cmd, sub] = args;
      if (cmd === 'PING') return 'PONG';
      if (cmd === 'ROLE') return [node.role];
      if (cmd === 'CLUSTER' && sub === 'NODES')
        return `${node.id} 127.0.0.1:${port}@1 myself,${node.role} ${node.master} 0 0 ${node.epoch} connected ${node.slots}`;
      if (cmd === 'CLUSTER' && sub === 'INFO') return 'cluster_state:ok\r\n';
      if (cmd === 'INFO') return 'master_link_status:up\r\n';
      if (cmd === 'CLUSTER' && sub === 'FAILOVER') {
        log.push(`failover ${port} ${args[2] ?? ''}`.trim());
        const old = [...nodes.values()].find((n) => n.id === node.master);
        if (old === undefined) throw new Error('ERR not a replica');
        Object.assign(node, { role: 'master', epoch: 10 + node.epoch, slots: old.slots, master: '-' });
        Object.assign(old, { role: 'slave', slots: '', master: node.id });
        return 'OK';
      }
      throw new Error(`unexpected ${args.join(' ')}`);
    },
    async sql(_host, port, _user, statement) {
      if (!up(port)) throw new Error('connect ETIMEDOUT');
      log.push(`${port}: ${statement}`);
      if (statement.startsWith('SELECT @@GLOBAL')) return [{ ms: 2000 }];
      if (statement === 'SHOW SLAVE STATUS') return [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' }];
      return [];
    },
  };
  const redis = (port: number, role: 'master' | 'replica', extra: Partial<RedisServer>): RedisServer => ({
    kind: 'redis',
    host: '127.0.0.1',
    port,
    role,
    slots: [],
    managed: true,
    process: { pidFile: `/s/${port}.pid`, pid: 0, start: { argv: ['redis-server', String(port)], cwd: '/' } },
    ...extra,
  });
  const mysql = (port: number, role: 'primary' | 'replica'): MysqlServer => ({
    kind: 'mysql',
    host: '127.0.0.1',
    port,
    user: 'root',
    role,
    managed: true,
    process: { pidFile: `/s/${port}.pid`, pid: 0, start: { argv: ['mariadbd', String(port)], cwd: '/' } },
  });
  const servers: LiveServers = {
    stateDir: '/s',
    redis: [
      redis(7000, 'master', { nodeId: 'a', slots: [[0, 8191]] }),
      redis(7001, 'master', { nodeId: 'b', slots: [[8192, 16383]] }),
      redis(7002, 'replica', { nodeId: 'c', masterOf: 'a' }),
      redis(7003, 'replica', { nodeId: 'd', masterOf: 'b' }),
    ],
    mysql: [mysql(3307, 'primary'), mysql(3308, 'replica')],
  };
  const events: unknown[] = [];
  const trace = { emit: (c: string, k: string, f?: unknown) => events.push([c, k, f]) };
  const faults = new LiveFaults(
    { servers, waitLimitMs: 1_000 },
    { clock: fastClock(), processes, admin, trace },
  );
  return { faults, log, nodes, events, servers, processes, admin };
}

describe('LiveFaults', () => {
  it('names the targets as the simulated world does, without network verbs when nothing is proxied', () => {
    const { faults } = world();
    expect(faults.targets().map((t) => t.name)).toEqual([
      'redis/shard-1/master',
      'redis/shard-1/replica-1',
      'redis/shard-2/master',
      'redis/shard-2/replica-1',
      'mysql/primary',
      'mysql/replica-1',
    ]);
    expect(faults.targets()[1]?.verbs).toEqual(['crash', 'restart', 'freeze', 'resume', 'failover']);
  });

  it('traces the fault before acting, in the simulated vocabulary', async () => {
    const { faults, events, log } = world();
    await faults.inject({ verb: 'freeze', target: 'redis/shard-2/master' });
    expect(events).toEqual([
      ['fault', 'inject', { verb: 'freeze', target: 'redis/shard-2/master', args: {} }],
    ]);
    expect(log).toEqual(['SIGSTOP 7001']);
  });

  it('resolves roles when the fault fires, and ends a fault on the node its start hit', async () => {
    const { faults, log } = world();
    await faults.inject({ verb: 'failover', target: 'redis/shard-1/replica-1' });
    expect(log).toEqual(['failover 7002']);
    await faults.inject({ verb: 'crash', target: 'redis/shard-1/master' }); // 7002 masters shard 1 now
    expect(log.at(-1)).toBe('SIGKILL 7002');
    await faults.inject({ verb: 'restart', target: 'redis/shard-1/master' });
    expect(log.at(-1)).toBe('start 7002');
  });

  it('restoreAll leaves a stack alone that no server fault touched', async () => {
    const { faults, log, nodes } = world();
    nodes.get(7000)!.role = 'slave'; // the cluster failed over by itself: not ours to undo
    await faults.inject({ verb: 'stop-io-thread', target: 'mysql/replica-1' });
    log.length = 0;
    expect(await faults.restoreAll()).toEqual([]);
    expect(log).toEqual(['3308: START SLAVE IO_THREAD', '3308: SHOW SLAVE STATUS']);
  });

  it('a frozen process that is then crashed is restarted, not resumed', async () => {
    const { faults, log } = world();
    await faults.inject({ verb: 'freeze', target: 'mysql/replica-1' });
    await faults.inject({ verb: 'crash', target: 'mysql/replica-1' });
    log.length = 0;
    expect(await faults.restoreAll()).toEqual([]);
    expect(log).toEqual(['start 3308', '3308: SELECT 1', '3308: SHOW SLAVE STATUS']);
  });

  it('refuses bad limits with the field named', () => {
    const { servers } = world();
    expect(() => new LiveFaults({ servers, waitLimitMs: 0 }, { clock: fastClock() })).toThrow(
      new RangeError('LiveFaults: waitLimitMs must be a number of ms > 0, got 0'),
    );
  });

  it('refuses what cannot be done live, naming the reason', async () => {
    const { faults, servers, processes, admin } = world();
    await expect(faults.inject({ verb: 'failover', target: 'mysql/primary' })).rejects.toThrow(
      /failover manager/,
    );
    await expect(faults.inject({ verb: 'partition', target: 'mysql/primary' })).rejects.toThrow(
      /has no verb 'partition' live/,
    );
    await expect(
      faults.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: 1.5 } }),
    ).rejects.toThrow(FaultError);
    const foreign = { ...servers, mysql: servers.mysql.map((m) => ({ ...m, managed: false })) };
    const other = new LiveFaults({ servers: foreign }, { clock: fastClock(), processes, admin });
    await expect(other.inject({ verb: 'stop-io-thread', target: 'mysql/replica-1' })).rejects.toThrow(
      'mysql 127.0.0.1:3308 was not started by hasim; pass --allow-foreign-faults to fault it',
    );
  });

  it('restoreAll undoes every fault in force and fails Redis back to the original masters', async () => {
    const { faults, log, nodes } = world();
    await faults.inject({ verb: 'freeze', target: 'mysql/replica-1' });
    await faults.inject({ verb: 'crash', target: 'redis/shard-2/replica-1' });
    await faults.inject({ verb: 'failover', target: 'redis/shard-1/replica-1' });
    await faults.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: 5 } });
    log.length = 0;
    // a frozen replica must answer before its threads can be started: resume comes first
    await faults.inject({ verb: 'resume', target: 'mysql/replica-1' });
    await faults.inject({ verb: 'stop-sql-thread', target: 'mysql/replica-1' });
    await faults.inject({ verb: 'freeze', target: 'mysql/replica-1' });
    log.length = 0;
    expect(await faults.restoreAll()).toEqual([]);
    expect(log).toEqual([
      'SIGCONT 3308',
      'start 7003',
      '3308: START SLAVE SQL_THREAD',
      '3307: SET GLOBAL rpl_semi_sync_master_timeout = 2000',
      'failover 7000',
      '3308: SHOW SLAVE STATUS',
    ]);
    expect(nodes.get(7000)?.role).toBe('master');
    log.length = 0;
    expect(await faults.restoreAll()).toEqual([]); // nothing left to undo
    expect(log).toEqual([]);
  });
});

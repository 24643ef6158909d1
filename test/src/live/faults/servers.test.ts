import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type BackendAdmin,
  type ProcessControl,
  type ProcessInfo,
  splitArgv,
} from '../../../../src/adapters/process-control.ts';
import {
  backendsRedisCommand,
  discoverBackends,
  parseClusterNodes,
} from '../../../../src/live/faults/servers.ts';

const NODES = [
  'aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
  'bbb 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922 [5470->-ccc]',
  'ddd 127.0.0.1:7003@17003 slave aaa 0 0 1 connected',
  'eee 127.0.0.1:7004@17004 master,fail - 0 0 2 disconnected',
  '',
].join('\n');

/** NODES as node `port` answers it: its own line flagged `myself`, and 7000 not. */
function viewOf(port: number): string {
  return NODES.split('\n')
    .map((line) => line.replace('myself,', ''))
    .map((line) =>
      line.includes(`127.0.0.1:${port}@`) ? line.replace(/ (master|slave)/, ' myself,$1') : line,
    )
    .join('\n');
}

/** A process table with one live redis 7000 (pid 10) and one recycled pid 11 (a shell). */
function fakeProcesses(recorded = false): ProcessControl {
  const table = new Map<number, ProcessInfo>([
    [
      10,
      {
        exe: '/usr/bin/redis-check-rdb',
        cmdline: 'redis-server 127.0.0.1:7000 [cluster]',
        argv: [],
        cwd: '/',
      },
    ],
    [11, { exe: '/usr/bin/bash', cmdline: 'bash -c sleep', argv: [], cwd: '/' }],
  ]);
  const pidFiles = new Map([
    ['/state/redis-cluster/7000/redis.pid', 10],
    ['/state/redis-cluster/7001/redis.pid', 11],
  ]);
  return {
    readPidFile: (file) => pidFiles.get(file),
    readArgvFile: (file) =>
      file === '/state/redis-cluster/7000/cmdline' && recorded
        ? ['redis-server', '--port', '7000', '--save', '']
        : undefined,
    inspect: (pid) => table.get(pid),
    signal: () => false,
    alive: (pid) => table.has(pid),
    start: () => Promise.reject(new Error('not in this test')),
  };
}

const admin: BackendAdmin = {
  async redis(_host, port, args) {
    if (port === 6379) throw new Error('ERR This instance has cluster support disabled');
    if (args[0] === 'CLUSTER') return viewOf(port);
    if (args[0] === 'CONFIG') return ['cluster-node-timeout', '7000'];
    throw new Error(`unexpected ${args.join(' ')}`);
  },
  async sql(_host, port) {
    if (port === 3308) return [{ Slave_IO_Running: 'Yes' }];
    if (port === 3307) return [];
    throw new Error('connect ECONNREFUSED');
  },
};

describe('parseClusterNodes', () => {
  it('reads address, flags, master and slot ranges, skipping migration entries', () => {
    const lines = parseClusterNodes(NODES);
    expect(lines.map((l) => [l.port, l.flags.join(','), l.master])).toEqual([
      [7000, 'myself,master', '-'],
      [7001, 'master', '-'],
      [7003, 'slave', 'aaa'],
      [7004, 'master,fail', '-'],
    ]);
    expect(lines[0]?.slots).toEqual([[0, 5460]]);
    expect(lines[1]?.slots).toEqual([[5461, 10922]]);
  });
});

describe('discoverBackends', () => {
  it('marks managed only a live pid that is still the program backends.sh started', async () => {
    const s = await discoverBackends(
      {
        stateDir: '/state',
        redis: [7000, 7001, 7003].map((port) => ({ host: '127.0.0.1', port })),
        mysql: [
          { host: '127.0.0.1', port: 3307 },
          { host: '127.0.0.1', port: 3308 },
          { host: '127.0.0.1', port: 3399 },
        ],
      },
      { processes: fakeProcesses(), admin },
    );
    expect(s.redis.map((r) => [r.port, r.role, r.managed])).toEqual([
      [7000, 'master', true],
      [7001, 'master', false], // pid 11 was reused by a shell
      [7003, 'replica', false], // no pid file
    ]);
    expect(s.redis[2]?.masterOf).toBe('aaa');
    const argv = s.redis[0]?.process?.start.argv ?? [];
    expect(argv.slice(0, 3)).toEqual(['redis-server', '--port', '7000']);
    expect(argv[argv.indexOf('--cluster-node-timeout') + 1]).toBe('7000'); // from CONFIG GET
    expect(s.mysql.map((m) => [m.port, m.role, m.managed])).toEqual([
      [3307, 'primary', false],
      [3308, 'replica', false],
      [3399, 'unknown', false],
    ]);
  });

  it('restarts with the command line backends.sh recorded, when there is one', async () => {
    const s = await discoverBackends(
      { stateDir: '/state', redis: [{ host: '127.0.0.1', port: 7000 }], mysql: [] },
      { processes: fakeProcesses(true), admin },
    );
    expect(s.redis[0]?.process?.start).toEqual({
      cwd: '/state/redis-cluster/7000',
      argv: ['redis-server', '--port', '7000', '--save', ''],
    });
    expect(splitArgv('redis-server\0--save\0\0')).toEqual(['redis-server', '--save', '']);
  });

  it('takes each node role from its own line, not from a stale view of another node', async () => {
    // 7000 still sees 7003 as a master (gossip has not caught up); 7003 knows it is a replica.
    const stale: BackendAdmin = {
      ...admin,
      async redis(host, port, args) {
        if (args[0] === 'CLUSTER' && port === 7000)
          return viewOf(7000).replace(
            'ddd 127.0.0.1:7003@17003 slave aaa',
            'ddd 127.0.0.1:7003@17003 master -',
          );
        return admin.redis(host, port, args, 1);
      },
    };
    const s = await discoverBackends(
      { stateDir: '/state', redis: [7000, 7003].map((port) => ({ host: '127.0.0.1', port })), mysql: [] },
      { processes: fakeProcesses(), admin: stale },
    );
    expect(s.redis.map((r) => [r.port, r.role, r.masterOf])).toEqual([
      [7000, 'master', undefined],
      [7003, 'replica', 'aaa'],
    ]);
  });

  it('describes a standalone server from INFO replication', async () => {
    const standalone: BackendAdmin = {
      ...admin,
      async redis(host, port, args) {
        if (args[0] === 'INFO') return 'role:master\r\nconnected_slaves:0\r\n';
        return admin.redis(host, port, args, 1);
      },
    };
    const s = await discoverBackends(
      { stateDir: '/state', redis: [{ host: '127.0.0.1', port: 6379 }], mysql: [] },
      { processes: fakeProcesses(), admin: standalone },
    );
    expect(s.redis).toEqual([
      { kind: 'redis', host: '127.0.0.1', port: 6379, role: 'master', slots: [[0, 16383]], managed: false },
    ]);
  });
});

describe('backendsRedisCommand', () => {
  it('rebuilds the redis-server line scripts/backends.sh records (same options, same order)', () => {
    const script = readFileSync(new URL('../../../../scripts/backends.sh', import.meta.url), 'utf8');
    const block = /cmd=\(redis-server ([^)]*)\)/.exec(script)?.[1] ?? '';
    const scriptFlags = block.match(/--[a-z-]+/g);
    const rebuilt = backendsRedisCommand('/state', 7000, 5000).argv.filter((a) => a.startsWith('--'));
    expect(scriptFlags).toEqual(rebuilt);
  });
});

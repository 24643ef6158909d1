// A description of the real servers a live run talks to, and which of them hasim itself started
// (scripts/backends.sh) and may therefore crash, freeze and restart. Roles are discovered from the
// servers (Redis `CLUSTER NODES`, or `INFO replication` for a standalone server; MariaDB
// `SHOW SLAVE STATUS`), and a server counts as managed only when backends.sh's pid file names a
// live process that is still the program backends.sh started (its `pid_of` check: pids are
// reused, so the pid alone proves nothing).
import {
  type BackendAdmin,
  driverAdmin,
  linuxProcesses,
  type ProcessControl,
  type StartCommand,
} from '../../adapters/process-control.ts';

/** A server's address. Live faults act on loopback servers only. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A server process hasim started, with what it takes to start it again. */
export interface ManagedProcess {
  /** The pid file backends.sh (and the server itself) writes. */
  readonly pidFile: string;
  /** The pid when discovered. */
  readonly pid: number;
  /** The command line to start it again exactly as backends.sh did. */
  readonly start: StartCommand;
}

/** A Redis node. */
export interface RedisServer extends HostPort {
  readonly kind: 'redis';
  /** As discovered: `unknown` when the node did not answer. */
  readonly role: 'master' | 'replica' | 'unknown';
  /** Cluster node id (40 hex digits), for a cluster node that answered. */
  readonly nodeId?: string;
  /** For a replica: its master's node id (cluster) or `host:port` (standalone). */
  readonly masterOf?: string;
  /** Slot ranges a cluster master serves, `[first, last]` inclusive. */
  readonly slots: readonly (readonly [number, number])[];
  /** True when hasim started this process (see {@link ManagedProcess}). */
  readonly managed: boolean;
  readonly process?: ManagedProcess;
}

/** A MariaDB server. */
export interface MysqlServer extends HostPort {
  readonly kind: 'mysql';
  /** The account admin statements run as (no password). */
  readonly user: string;
  /** `replica` when `SHOW SLAVE STATUS` returns a row; `unknown` when it did not answer. */
  readonly role: 'primary' | 'replica' | 'unknown';
  readonly managed: boolean;
  readonly process?: ManagedProcess;
}

/** Every server of a live run. */
export interface LiveServers {
  /** backends.sh's state dir that was read. */
  readonly stateDir: string;
  /** Redis nodes in the order given (backends.sh: 7000-7005). */
  readonly redis: readonly RedisServer[];
  /** MariaDB servers in the order given (backends.sh: primary 3307, replica 3308). */
  readonly mysql: readonly MysqlServer[];
}

/** The Redis Cluster scripts/backends.sh starts: masters 7000-7002, replicas 7003-7005. */
export const BACKENDS_REDIS: readonly HostPort[] = [7000, 7001, 7002, 7003, 7004, 7005].map((port) => ({
  host: '127.0.0.1',
  port,
}));

/** The MariaDB pair scripts/backends.sh starts: primary 3307, replica 3308, root without password. */
export const BACKENDS_MYSQL: readonly (HostPort & { readonly user: string })[] = [
  { host: '127.0.0.1', port: 3307, user: 'root' },
  { host: '127.0.0.1', port: 3308, user: 'root' },
];

/** backends.sh's names for its MariaDB servers, by port (`$MDB_DIR/<name>.pid`). */
const MDB_NAMES: ReadonlyMap<number, string> = new Map([
  [3307, 'primary'],
  [3308, 'replica'],
]);

/** Options of {@link discoverBackends}. */
export interface DiscoverOptions {
  /** backends.sh's state dir. @defaultValue `$HASIM_BACKENDS_DIR` or `/tmp/hasim-backends` */
  readonly stateDir?: string;
  /** Redis nodes to describe. @defaultValue {@link BACKENDS_REDIS} */
  readonly redis?: readonly HostPort[];
  /** MariaDB servers to describe. @defaultValue {@link BACKENDS_MYSQL} */
  readonly mysql?: readonly (HostPort & { readonly user?: string })[];
  /** Limit of each admin call, in ms. @defaultValue 2000 */
  readonly timeoutMs?: number;
  /**
   * `cluster-node-timeout` to restart a backends.sh Redis node with when the node cannot be asked
   * (`CONFIG GET`). @defaultValue `$HASIM_REDIS_NODE_TIMEOUT_MS` or 5000, as backends.sh
   */
  readonly redisNodeTimeoutMs?: number;
}

/** Ports of {@link discoverBackends}. */
export interface DiscoverPorts {
  readonly processes?: ProcessControl;
  readonly admin?: BackendAdmin;
}

/** One line of `CLUSTER NODES` (redis.io "CLUSTER NODES": id, ip:port@cport, flags, master, ...). */
export interface ClusterNodeLine {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly flags: readonly string[];
  /** The master's node id, or `-`. */
  readonly master: string;
  /** The node's configEpoch: of two masters claiming the same slots, the higher one wins. */
  readonly configEpoch: number;
  readonly slots: readonly (readonly [number, number])[];
}

/** Parses a `CLUSTER NODES` reply; slot-migration entries (`[slot->-id]`) are skipped. */
export function parseClusterNodes(reply: string): ClusterNodeLine[] {
  const out: ClusterNodeLine[] = [];
  for (const line of reply.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const m = /^(.*):(\d+)(@\d+)?(,.*)?$/.exec(f[1] ?? '');
    if (m === null) continue;
    const slots: [number, number][] = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue;
      const [a, b] = s.split('-');
      slots.push([Number(a), Number(b ?? a)]);
    }
    out.push({
      id: f[0] ?? '',
      host: m[1] ?? '',
      port: Number(m[2]),
      flags: (f[2] ?? '').split(','),
      master: f[3] ?? '-',
      configEpoch: Number(f[6]),
      slots,
    });
  }
  return out;
}

/** The state dir backends.sh uses. */
export function backendsStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HASIM_BACKENDS_DIR ?? '/tmp/hasim-backends';
}

/**
 * The command line scripts/backends.sh starts cluster node `port` with (redis_up). redis-server
 * rewrites its process title, so /proc cannot give it back; `--daemonize yes` makes the launcher
 * exit once the server runs, and `nodes-PORT.conf` in `--dir` gives the node its identity back.
 */
export function backendsRedisCommand(stateDir: string, port: number, nodeTimeoutMs: number): StartCommand {
  const dir = `${stateDir}/redis-cluster/${port}`;
  return {
    cwd: dir,
    argv: [
      'redis-server',
      ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
      ...['--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs)],
      ...['--appendonly', 'no', '--save', '', '--enable-debug-command', 'local'],
      ...['--repl-diskless-sync-delay', '0', '--dir', dir, '--daemonize', 'yes'],
      ...['--pidfile', `${dir}/redis.pid`, '--logfile', `${dir}/redis.log`],
    ],
  };
}

/**
 * How to restart backends.sh's node `port`: the command line backends.sh recorded in
 * `redis-cluster/PORT/cmdline`, or (state dirs from before it recorded them) the same line rebuilt.
 */
function redisStart(
  processes: ProcessControl,
  stateDir: string,
  port: number,
  nodeTimeoutMs: number,
): StartCommand {
  const rebuilt = backendsRedisCommand(stateDir, port, nodeTimeoutMs);
  const recorded = processes.readArgvFile(`${rebuilt.cwd}/cmdline`);
  return recorded === undefined ? rebuilt : { cwd: rebuilt.cwd, argv: recorded };
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

/** backends.sh's `redis_pid`: the pid file's process is a redis-* binary titled `redis-server 127.0.0.1:PORT ...`. */
function managedRedisPid(processes: ProcessControl, stateDir: string, node: HostPort) {
  if (!isLoopback(node.host)) return undefined;
  const pidFile = `${stateDir}/redis-cluster/${node.port}/redis.pid`;
  const pid = processes.readPidFile(pidFile);
  const info = pid === undefined ? undefined : processes.inspect(pid);
  if (pid === undefined || info === undefined) return undefined;
  if (!/\/redis-[^/]*$/.test(info.exe) || !info.cmdline.startsWith(`redis-server 127.0.0.1:${node.port} `))
    return undefined;
  return { pidFile, pid };
}

/** backends.sh's `mdb_pid`: a mariadbd whose command line has `--datadir=$MDB_DIR/<name> `. */
function managedMysqlProcess(
  processes: ProcessControl,
  stateDir: string,
  server: HostPort,
): ManagedProcess | undefined {
  const name = MDB_NAMES.get(server.port);
  if (name === undefined || !isLoopback(server.host)) return undefined;
  const dir = `${stateDir}/mariadb`;
  const pidFile = `${dir}/${name}.pid`;
  const pid = processes.readPidFile(pidFile);
  const info = pid === undefined ? undefined : processes.inspect(pid);
  if (pid === undefined || info === undefined || !info.exe.includes('mariadbd')) return undefined;
  if (!`${info.cmdline} `.includes(`--datadir=${dir}/${name} `)) return undefined;
  return { pidFile, pid, start: { argv: info.argv, cwd: info.cwd, outputFile: `${dir}/${name}.out` } };
}

type RedisRole = Pick<RedisServer, 'role' | 'nodeId' | 'masterOf' | 'slots'>;

function roleOfLine(line: ClusterNodeLine): RedisRole {
  const replica = line.flags.includes('slave');
  return {
    role: replica ? 'replica' : 'master',
    nodeId: line.id,
    ...(replica ? { masterOf: line.master } : {}),
    slots: line.slots,
  };
}

/**
 * Every node's role. Each node that answers is asked about itself (its `myself` line of
 * `CLUSTER NODES`): other nodes learn of a failover by gossip, so right after one (a fail-back at
 * the end of the previous run) their view of a node can still be the old one. A node that does not
 * answer is described as the first view that lists it says.
 */
async function redisRoles(
  admin: BackendAdmin,
  nodes: readonly HostPort[],
  timeoutMs: number,
): Promise<Map<string, RedisRole>> {
  const own = new Map<string, RedisRole>();
  const seen = new Map<string, RedisRole>();
  const replies = await Promise.all(
    nodes.map(async (node) => {
      try {
        return {
          node,
          reply: String(await admin.redis(node.host, node.port, ['CLUSTER', 'NODES'], timeoutMs)),
        };
      } catch (error) {
        return { node, error };
      }
    }),
  );
  for (const { node, reply, error } of replies) {
    const key = `${node.host}:${node.port}`;
    if (reply !== undefined) {
      for (const line of parseClusterNodes(reply)) {
        if (line.flags.includes('noaddr') || line.flags.includes('handshake')) continue;
        const lineKey = `${line.host}:${line.port}`;
        if (line.flags.includes('myself')) own.set(key, roleOfLine(line));
        else if (!seen.has(lineKey)) seen.set(lineKey, roleOfLine(line));
      }
    } else if (/cluster support disabled/i.test(String(error))) {
      own.set(key, await standaloneRole(admin, node, timeoutMs));
    }
  }
  for (const [key, role] of seen) if (!own.has(key)) own.set(key, role);
  return own;
}

async function standaloneRole(admin: BackendAdmin, node: HostPort, timeoutMs: number): Promise<RedisRole> {
  const info = String(await admin.redis(node.host, node.port, ['INFO', 'replication'], timeoutMs));
  const role = /^role:slave/m.test(info) ? 'replica' : 'master';
  const host = /^master_host:(.*)\r?$/m.exec(info)?.[1];
  const port = /^master_port:(\d+)/m.exec(info)?.[1];
  return {
    role,
    ...(role === 'replica' && host !== undefined ? { masterOf: `${host}:${port}` } : {}),
    slots: role === 'master' ? [[0, 16383]] : [],
  };
}

async function redisNodeTimeoutMs(
  admin: BackendAdmin,
  node: HostPort,
  timeoutMs: number,
  fallbackMs: number,
): Promise<number> {
  try {
    const reply = await admin.redis(
      node.host,
      node.port,
      ['CONFIG', 'GET', 'cluster-node-timeout'],
      timeoutMs,
    );
    const value = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    return Number.isSafeInteger(value) && value > 0 ? value : fallbackMs;
  } catch {
    return fallbackMs;
  }
}

/**
 * Describes the live servers: their roles as they answer now, and which ones scripts/backends.sh
 * started (a live pid in its state dir that is still the same program). A server that does not
 * answer gets role `unknown`; nothing here throws for an unreachable server.
 */
export async function discoverBackends(
  options: DiscoverOptions = {},
  ports: DiscoverPorts = {},
): Promise<LiveServers> {
  const processes = ports.processes ?? linuxProcesses;
  const admin = ports.admin ?? driverAdmin;
  const stateDir = options.stateDir ?? backendsStateDir();
  const timeoutMs = options.timeoutMs ?? 2_000;
  const fallbackNodeTimeoutMs =
    options.redisNodeTimeoutMs ?? Number(process.env.HASIM_REDIS_NODE_TIMEOUT_MS ?? 5_000);
  const redisNodes = options.redis ?? BACKENDS_REDIS;
  const roles = await redisRoles(admin, redisNodes, timeoutMs);
  const redis: RedisServer[] = [];
  for (const node of redisNodes) {
    const found = roles.get(`${node.host}:${node.port}`);
    const managed = managedRedisPid(processes, stateDir, node);
    const nodeTimeoutMs = managed
      ? await redisNodeTimeoutMs(admin, node, timeoutMs, fallbackNodeTimeoutMs)
      : fallbackNodeTimeoutMs;
    redis.push({
      kind: 'redis',
      host: node.host,
      port: node.port,
      role: found?.role ?? 'unknown',
      ...(found?.nodeId === undefined ? {} : { nodeId: found.nodeId }),
      ...(found?.masterOf === undefined ? {} : { masterOf: found.masterOf }),
      slots: found?.slots ?? [],
      managed: managed !== undefined,
      ...(managed === undefined
        ? {}
        : { process: { ...managed, start: redisStart(processes, stateDir, node.port, nodeTimeoutMs) } }),
    });
  }
  const mysqlServers: MysqlServer[] = [];
  for (const server of options.mysql ?? BACKENDS_MYSQL) {
    const user = server.user ?? 'root';
    let role: MysqlServer['role'] = 'unknown';
    try {
      const rows = await admin.sql(server.host, server.port, user, 'SHOW SLAVE STATUS', timeoutMs);
      role = rows.length > 0 ? 'replica' : 'primary';
    } catch {
      // unreachable now: role unknown
    }
    const proc = managedMysqlProcess(processes, stateDir, server);
    mysqlServers.push({
      kind: 'mysql',
      host: server.host,
      port: server.port,
      user,
      role,
      managed: proc !== undefined,
      ...(proc === undefined ? {} : { process: proc }),
    });
  }
  return { stateDir, redis, mysql: mysqlServers };
}

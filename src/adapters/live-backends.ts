// The real servers of a live run (`hasim live`): connecting with bounded waits, the topology the
// trace's first event describes, and removing what a run created. The only live file that talks to
// drivers; src/live/ sees ports.
import net from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import { parseClusterNodes } from '../live/faults/servers.ts';
import type { RedisPort } from '../ports/redis.ts';
import { SqlError, type SqlPort } from '../ports/sql.ts';
import type { Topology } from '../ports/topology.ts';
import { createIoredisClusterPort, createIoredisPort } from './ioredis.ts';
import { Mysql2SqlPort } from './mysql2.ts';

/** A server's address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A MariaDB/MySQL server and the database a run uses on it. */
export interface MysqlServer extends HostPort {
  readonly user: string;
  readonly password?: string;
  readonly database: string;
}

/** Bounded waits of a live run's clients. */
export interface LiveTimeouts {
  /** Longest wait for a TCP connection to a server, ms. @defaultValue 2000 */
  readonly connectTimeoutMs?: number;
  /** Longest wait for one Redis command's reply, ms. @defaultValue 2000 */
  readonly commandTimeoutMs?: number;
}

/** A server that could not be reached or stopped answering: `what` names it (`Redis at 127.0.0.1:7000`). */
export class LiveServerError extends Error {
  override readonly name = 'LiveServerError';
  constructor(
    /** `Redis at host:port`, `MariaDB at host:port`. */
    readonly what: string,
    /** The system error code (`ECONNREFUSED`, `ETIMEDOUT`) or the server's message. */
    readonly code: string,
    /** `unreachable`: no connection; `refused`: the server answered and said no (a login, a database). */
    readonly reason: 'unreachable' | 'refused' = 'unreachable',
  ) {
    super(
      reason === 'unreachable' ? `cannot reach ${what} (${code})` : `${what} refused the connection: ${code}`,
    );
  }
}

/**
 * Opens and closes a TCP connection to `server` within `timeoutMs`: undefined when it was accepted,
 * else why not (`ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`). Sends nothing.
 */
export function probeTcp(server: HostPort, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.host, port: server.port });
    const finish = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => finish('ETIMEDOUT'));
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

/** Fault proxies in front of the servers (src/live/faults/network.ts): where clients must connect. */
export interface ProxiedAddresses {
  /** The proxy's address for `server` (the server's own when it has none). */
  addressOf(server: HostPort): HostPort;
  /** ioredis `natMap`: each node's announced `host:port` -> its proxy, so redirects go through proxies too. */
  readonly redisNatMap: Readonly<Record<string, HostPort>>;
}

/** A connected Redis (standalone or cluster) of a live run. */
export interface LiveRedis {
  readonly mode: 'cluster' | 'standalone';
  readonly port: RedisPort;
  /** The servers, for the watchdog and messages. */
  readonly servers: readonly HostPort[];
  /** Client errors seen so far (ioredis 'error' events), for the summary. */
  readonly errors: () => number;
  /** The trace topology's `redis` part: shards in slot order, `redis/shard-N/master` targets. */
  topology(): Promise<NonNullable<Topology['redis']>>;
  /**
   * Cluster mode: which node (`host:port`) masters each slot range now, by the range's first slot,
   * with its configEpoch (CLUSTER NODES, asked of any reachable node). Standalone: empty.
   */
  slotMasters(): Promise<ReadonlyMap<number, { readonly node: string; readonly configEpoch: number }>>;
  /** SCAN + UNLINK of `prefix*` on every master; the number of keys removed. */
  deleteKeys(prefix: string): Promise<number>;
  /** Whether the cluster reports `cluster_state:ok` on some reachable node (standalone: true). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

const label = (s: HostPort) => `${s.host}:${s.port}`;

/** Fails with a `LiveServerError` naming the first of `servers` that does not accept a connection. */
export async function probeAll(kind: string, servers: readonly HostPort[], timeoutMs: number): Promise<void> {
  const problems = await Promise.all(servers.map((s) => probeTcp(s, timeoutMs)));
  problems.forEach((problem, i) => {
    const server = servers[i];
    if (problem !== undefined && server !== undefined)
      throw new LiveServerError(`${kind} at ${label(server)}`, problem);
  });
}

/**
 * Connects to a Redis Cluster (`mode: 'cluster'`, any of its nodes) or one standalone server, with
 * ioredis's waits bounded: a connect timeout, a per-command timeout, one retry per command, and a
 * cluster slot refresh every second so a promoted replica is found quickly.
 */
export async function connectRedis(
  mode: 'cluster' | 'standalone',
  servers: readonly HostPort[],
  timeouts: LiveTimeouts = {},
  via?: ProxiedAddresses,
): Promise<LiveRedis> {
  const connectTimeout = timeouts.connectTimeoutMs ?? 2000;
  const commandTimeout = timeouts.commandTimeoutMs ?? 2000;
  await probeAll('Redis', servers, connectTimeout);
  let errors = 0;
  const redisOptions = {
    connectTimeout,
    commandTimeout,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
  };
  const client: Redis | Cluster =
    mode === 'cluster'
      ? createIoredisClusterPort(
          servers.map((s) => (via === undefined ? { host: s.host, port: s.port } : via.addressOf(s))),
          {
            redisOptions,
            ...(via === undefined ? {} : { natMap: { ...via.redisNatMap } }),
            enableAutoPipelining: true,
            lazyConnect: true,
            slotsRefreshInterval: 1000,
            slotsRefreshTimeout: connectTimeout,
            clusterRetryStrategy: (times) => (times > 3 ? null : 200),
            retryDelayOnFailover: 100,
            retryDelayOnClusterDown: 100,
          },
        )
      : createIoredisPort({
          ...((via === undefined ? servers[0] : servers[0] && via.addressOf(servers[0])) ?? {
            host: '127.0.0.1',
            port: 6379,
          }),
          ...redisOptions,
          lazyConnect: true,
          retryStrategy: (times) => Math.min(times * 100, 1000),
        });
  client.on('error', () => errors++);
  const first = servers[0] ?? { host: '127.0.0.1', port: 6379 };
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new LiveServerError(`Redis at ${label(first)}`, (error as Error).message.slice(0, 120));
  }
  const masters = (): Redis[] =>
    'nodes' in client && mode === 'cluster' ? client.nodes('master') : [client as Redis];
  return {
    mode,
    port: client,
    servers,
    errors: () => errors,
    topology: () => redisTopology(client, mode, first),
    async slotMasters() {
      const out = new Map<number, { node: string; configEpoch: number }>();
      if (mode !== 'cluster') return out;
      const reply = String(await client.cluster('NODES'));
      for (const line of parseClusterNodes(reply)) {
        if (!line.flags.includes('master') || line.flags.includes('fail')) continue;
        for (const [start] of line.slots)
          out.set(start, { node: `${line.host}:${line.port}`, configEpoch: line.configEpoch });
      }
      return out;
    },
    async deleteKeys(prefix) {
      let removed = 0;
      for (const node of masters()) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) {
            const pipeline = node.pipeline();
            for (const key of keys) pipeline.unlink(key);
            await pipeline.exec();
            removed += keys.length;
          }
        } while (cursor !== '0');
      }
      return removed;
    },
    async healthy() {
      if (mode !== 'cluster') return (await client.ping().catch(() => undefined)) === 'PONG';
      for (const node of (client as Cluster).nodes('all')) {
        const info = await node.cluster('INFO').catch(() => undefined);
        if (typeof info === 'string' && info.includes('cluster_state:ok')) return true;
      }
      return false;
    },
    close: () => closeClient(client, connectTimeout),
  };
}

/**
 * Disconnects and waits for ioredis's `end` event (bounded by `timeoutMs`): its last events are
 * emitted on process.nextTick after disconnect() returns, and nothing of a live run may still be
 * running when a simulated run (`--compare`) starts.
 */
function closeClient(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once('end', () => {
      clearTimeout(timer);
      setImmediate(resolve);
    });
    client.disconnect();
  });
}

async function redisTopology(
  client: Redis | Cluster,
  mode: 'cluster' | 'standalone',
  first: HostPort,
): Promise<NonNullable<Topology['redis']>> {
  if (mode === 'standalone') {
    return {
      nodes: [{ id: label(first), target: 'redis/shard-1/master', role: 'master', slots: [[0, 16383]] }],
      nodeTimeoutMs: 0,
    };
  }
  // CLUSTER SLOTS: [[start, end, [host, port, id], [replica host, port, id], ...], ...]
  const slots = await client.cluster('SLOTS');
  const byMaster = new Map<string, { slots: [number, number][]; replicas: string[]; first: number }>();
  for (const [start, end, master, ...replicas] of slots) {
    const id = master === undefined ? '?' : `${master[0]}:${master[1]}`;
    const entry = byMaster.get(id) ?? { slots: [], replicas: [], first: start };
    entry.slots.push([start, end]);
    entry.first = Math.min(entry.first, start);
    for (const r of replicas)
      if (!entry.replicas.includes(`${r[0]}:${r[1]}`)) entry.replicas.push(`${r[0]}:${r[1]}`);
    byMaster.set(id, entry);
  }
  const shards = [...byMaster].sort((a, b) => a[1].first - b[1].first);
  const nodes: NonNullable<Topology['redis']>['nodes'][number][] = [];
  shards.forEach(([id, shard], m) => {
    nodes.push({ id, target: `redis/shard-${m + 1}/master`, role: 'master', slots: shard.slots });
    for (const [k, r] of shard.replicas.entries()) {
      nodes.push({ id: r, target: `redis/shard-${m + 1}/replica-${k + 1}`, role: 'replica', replicaOf: id });
    }
  });
  const config = (await client.config('GET', 'cluster-node-timeout').catch(() => [])) as string[];
  return { nodes, nodeTimeoutMs: Number(config[1] ?? 15_000) };
}

/** A connected MariaDB/MySQL server of a live run. */
export interface LiveMysql {
  readonly port: SqlPort;
  readonly server: MysqlServer;
  close(): Promise<void>;
}

/**
 * Connections of each MariaDB pool. A durable commit (redo log flush, and on a semi-sync primary the
 * replica's ACK) holds its connection for its whole round trip, so a pool's commits per second are
 * at most connections / commit latency: measured on the backends.sh pair, 16 connections gave 660
 * INSERTs/s and 64 gave 2,250 (binlog group commit batches the waiting ones).
 */
export const MYSQL_POOL_CONNECTIONS = 64;

/**
 * Connects a pool to `server` and checks it answers `SELECT 1` within the connect timeout. The
 * pool has `connectTimeout` on every connection, so a server that dies mid-run fails statements
 * instead of hanging them.
 */
export async function connectMysql(
  server: MysqlServer,
  timeouts: LiveTimeouts = {},
  via?: ProxiedAddresses,
): Promise<LiveMysql> {
  const connectTimeout = timeouts.connectTimeoutMs ?? 2000;
  const what = `MariaDB at ${label(server)}`;
  const problem = await probeTcp(server, connectTimeout);
  if (problem !== undefined) throw new LiveServerError(what, problem);
  const address = via === undefined ? server : via.addressOf(server);
  const port = Mysql2SqlPort.create({
    host: address.host,
    port: address.port,
    user: server.user,
    ...(server.password === undefined ? {} : { password: server.password }),
    database: server.database,
    connectTimeout,
    connectionLimit: MYSQL_POOL_CONNECTIONS,
  });
  try {
    await port.query('SELECT 1');
  } catch (error) {
    await port.end().catch(() => undefined);
    const sqlError = error instanceof SqlError || (error as { sqlMessage?: string }).sqlMessage !== undefined;
    throw new LiveServerError(
      what,
      (error as Error).message.slice(0, 120),
      sqlError ? 'refused' : 'unreachable',
    );
  }
  return { port, server, close: () => port.end() };
}

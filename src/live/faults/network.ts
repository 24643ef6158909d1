// Network faults of a live run: `partition`, `repair` and `slow` on a server that the gateway's
// clients reach through a fault proxy (src/adapters/fault-proxy.ts, Toxiproxy's model).
//
// What a proxy can and cannot cut: it sits between the gateway's clients and one server, so a live
// `partition` always separates "the clients" from "that server" (`args.from` is ignored). Links
// between servers are not proxied: the Redis Cluster bus (port + 10000) and MariaDB replication
// still flow, so a partitioned Redis master is not failed over by its peers, unlike the simulated
// `partition` which isolates the node from everyone. Use `freeze` for a node its peers must lose.
//
// Redis Cluster: clients learn node addresses from CLUSTER SLOTS and MOVED replies, which name the
// real ports (7000-7005). The live world gives ioredis `natMap` (announced address -> proxy
// address, {@link ProxiedServers.redisNatMap}) so every connection, including the ones opened after
// a redirect or a failover, goes through a proxy.
import { FaultProxy } from '../../adapters/fault-proxy.ts';
import type { Clock } from '../../ports/clock.ts';
import { type FaultArgs, FaultError } from '../../ports/faults.ts';
import type { Random } from '../../ports/random.ts';
import { describeServer, type LiveServer } from './server-ops.ts';
import type { HostPort, LiveServers } from './servers.ts';

/** The verbs a fault proxy answers to. */
export type NetworkVerb = 'partition' | 'repair' | 'slow';

/** Network faults on the proxies in front of servers. */
export interface NetworkFaults {
  /** Applies `verb` to the proxy in front of `server`; rejects with a FaultError when there is none. */
  apply(server: LiveServer, verb: NetworkVerb, args: FaultArgs): Promise<void>;
  /** Repairs every partition and removes every toxic. */
  restoreAll(): Promise<void>;
}

const key = (s: HostPort) => `${s.host}:${s.port}`;

/** Names of the toxics the verbs add (a user's own toxics on the same proxy keep theirs). */
export const PARTITION_TOXICS = ['partition_upstream', 'partition_downstream'] as const;
export const SLOW_TOXIC = 'slow';
export const SLOW_BANDWIDTH_TOXIC = 'slow_bandwidth';

/** The forms of a live `partition` (`args.mode`). */
export const PARTITION_MODES = ['blackhole', 'timeout', 'reset', 'refuse'] as const;

function numberArg(verb: string, args: FaultArgs, field: string, fallback?: number): number {
  const value = args[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new FaultError(`${verb}: args.${field} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

/**
 * {@link NetworkFaults} over one {@link FaultProxy} per server, each verb a Toxiproxy toxic:
 * - `partition`, by `args.mode`:
 *   - `blackhole` (default), as a real partition is: `timeout` 0 on both streams; nothing passes,
 *     connections stay open and clients time out; new connections are accepted and held too;
 *   - `timeout`: `timeout` of `args.timeoutMs` on both streams: nothing passes, and each
 *     connection is closed that long after the partition (or after it opened);
 *   - `reset`: `reset_peer` after `args.timeoutMs` (default 0): connections are reset (RST);
 *   - `refuse`: the proxy goes down (Toxiproxy's `enabled: false`): connections closed, connects
 *     refused;
 * - `repair`: removes the partition toxics and brings the proxy up;
 * - `slow`: a `latency` toxic of `args.latencyMs` (± `args.jitterMs`) on the downstream, so every
 *   reply arrives that much later, and with `args.bandwidthKBps` a `bandwidth` toxic on both
 *   streams; `slow` again replaces them, `latencyMs: 0` without a bandwidth removes them.
 */
export class ProxiedNetwork implements NetworkFaults {
  constructor(private readonly proxies: ReadonlyMap<string, FaultProxy>) {}

  /** The proxy in front of `server`, if any. */
  proxyFor(server: HostPort): FaultProxy | undefined {
    return this.proxies.get(key(server));
  }

  async apply(server: LiveServer, verb: NetworkVerb, args: FaultArgs): Promise<void> {
    const proxy = this.proxyFor(server);
    if (proxy === undefined) {
      throw new FaultError(
        `${verb}: ${describeServer(server)} has no fault proxy in front of it (network faults need the live run's clients to go through one)`,
      );
    }
    if (verb === 'partition') return partition(proxy, args);
    if (verb === 'repair') {
      for (const name of PARTITION_TOXICS) proxy.removeToxic(name);
      return proxy.setEnabled(true);
    }
    slow(proxy, args);
  }

  async restoreAll(): Promise<void> {
    for (const proxy of this.proxies.values()) await proxy.reset();
  }
}

async function partition(proxy: FaultProxy, args: FaultArgs): Promise<void> {
  const mode = args.mode ?? 'blackhole';
  if (!PARTITION_MODES.includes(mode as (typeof PARTITION_MODES)[number])) {
    throw new FaultError(
      `partition: args.mode must be one of ${PARTITION_MODES.join(', ')}, got ${String(mode)}`,
    );
  }
  if (mode === 'refuse') return proxy.setEnabled(false);
  for (const name of PARTITION_TOXICS) proxy.removeToxic(name);
  if (mode === 'reset') {
    const timeout = numberArg('partition', args, 'timeoutMs', 0);
    proxy.addToxic({ name: PARTITION_TOXICS[1], type: 'reset_peer', attributes: { timeout } });
    return;
  }
  const timeout = mode === 'timeout' ? numberArg('partition', args, 'timeoutMs') : 0;
  proxy.addToxic({ name: PARTITION_TOXICS[0], type: 'timeout', stream: 'upstream', attributes: { timeout } });
  proxy.addToxic({
    name: PARTITION_TOXICS[1],
    type: 'timeout',
    stream: 'downstream',
    attributes: { timeout },
  });
}

function slow(proxy: FaultProxy, args: FaultArgs): void {
  if (args.latencyMs === undefined && args.applyCostMs !== undefined) {
    throw new FaultError(
      "slow: args.applyCostMs (a replica's apply cost) is simulated only; live runs take args.latencyMs",
    );
  }
  const latency = numberArg('slow', args, 'latencyMs');
  const jitter = numberArg('slow', args, 'jitterMs', 0);
  const rate = args.bandwidthKBps === undefined ? undefined : numberArg('slow', args, 'bandwidthKBps');
  if (rate === 0) throw new FaultError('slow: args.bandwidthKBps must be > 0 (use partition to stop data)');
  proxy.removeToxic(SLOW_TOXIC);
  for (const stream of ['upstream', 'downstream'] as const)
    proxy.removeToxic(`${SLOW_BANDWIDTH_TOXIC}_${stream}`);
  if (latency > 0) {
    proxy.addToxic({
      name: SLOW_TOXIC,
      type: 'latency',
      stream: 'downstream',
      attributes: { latency, jitter },
    });
  }
  if (rate !== undefined) {
    for (const stream of ['upstream', 'downstream'] as const) {
      proxy.addToxic({
        name: `${SLOW_BANDWIDTH_TOXIC}_${stream}`,
        type: 'bandwidth',
        stream,
        attributes: { rate },
      });
    }
  }
}

/** A fault proxy in front of every server of a live run. */
export interface ProxiedServers {
  /** Network faults on these proxies, for `LiveFaults`'s `network` port. */
  readonly network: ProxiedNetwork;
  /** `host:port` of a server -> its proxy. */
  readonly proxies: ReadonlyMap<string, FaultProxy>;
  /** The address clients must use for `server`: its proxy's. */
  addressOf(server: HostPort): HostPort;
  /** ioredis `natMap`: each Redis node's announced `host:port` -> its proxy's address. */
  readonly redisNatMap: Readonly<Record<string, HostPort>>;
  /** Closes every proxy. */
  close(): Promise<void>;
}

/** Options of {@link startFaultProxies}. */
export interface StartFaultProxiesOptions {
  /** Most connections per proxy. @defaultValue FaultProxy's (1024) */
  readonly maxConnections?: number;
  /** Most bytes queued per stream of a connection. @defaultValue FaultProxy's (16 MiB) */
  readonly maxBufferedBytes?: number;
}

/**
 * Starts one loopback fault proxy (a free port on 127.0.0.1) in front of every Redis node and
 * MariaDB server of `servers`, each with its own Random fork (`proxy/<host:port>`).
 */
export async function startFaultProxies(
  servers: LiveServers,
  ports: { readonly clock: Clock; readonly random: Random },
  options: StartFaultProxiesOptions = {},
): Promise<ProxiedServers> {
  const proxies = new Map<string, FaultProxy>();
  try {
    for (const server of [...servers.redis, ...servers.mysql]) {
      const name = `${server.kind}/${key(server)}`;
      const proxy = new FaultProxy(
        { name, upstream: { host: server.host, port: server.port }, ...options },
        { clock: ports.clock, random: ports.random.fork(`proxy/${key(server)}`) },
      );
      proxies.set(key(server), proxy);
      await proxy.start();
    }
  } catch (error) {
    for (const proxy of proxies.values()) await proxy.close();
    throw error;
  }
  const addressOf = (server: HostPort): HostPort => {
    const proxy = proxies.get(key(server));
    return proxy === undefined ? server : { host: '127.0.0.1', port: proxy.port };
  };
  const redisNatMap: Record<string, HostPort> = {};
  for (const node of servers.redis) redisNatMap[key(node)] = addressOf(node);
  return {
    network: new ProxiedNetwork(proxies),
    proxies,
    addressOf,
    redisNatMap,
    close: async () => {
      for (const proxy of proxies.values()) await proxy.close();
    },
  };
}

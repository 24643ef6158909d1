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

/**
 * {@link NetworkFaults} over one {@link FaultProxy} per server:
 * - `partition`: by default a black hole, as a real partition is (Toxiproxy `timeout` 0 on both
 *   streams: nothing passes, connections stay open, clients time out; new connections are accepted
 *   and held too); with `args.mode: 'refuse'` the proxy goes down instead (connections closed,
 *   connects refused);
 * - `repair`: removes the partition toxics and brings the proxy up;
 * - `slow`: a `latency` toxic of `args.latencyMs` (± `args.jitterMs`) on the downstream, so every
 *   reply arrives that much later; `latencyMs: 0` removes it.
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
    if (verb === 'partition') {
      if (args.mode === 'refuse') return proxy.setEnabled(false);
      for (const [i, name] of PARTITION_TOXICS.entries()) {
        if (proxy.toxics().some((t) => t.name === name)) continue;
        const stream = i === 0 ? 'upstream' : 'downstream';
        proxy.addToxic({ name, type: 'timeout', stream, attributes: { timeout: 0 } });
      }
      return;
    }
    if (verb === 'repair') {
      for (const name of PARTITION_TOXICS) proxy.removeToxic(name);
      return proxy.setEnabled(true);
    }
    const latency = args.latencyMs;
    const jitter = args.jitterMs ?? 0;
    if (typeof latency !== 'number' || !(latency >= 0) || typeof jitter !== 'number' || !(jitter >= 0)) {
      throw new FaultError(
        `slow: live runs need args.latencyMs (and optional args.jitterMs), numbers >= 0 (ms), got latencyMs=${String(latency)}` +
          (args.applyCostMs === undefined ? '' : '; applyCostMs (replica apply cost) is simulated only'),
      );
    }
    proxy.removeToxic(SLOW_TOXIC);
    if (latency > 0) {
      proxy.addToxic({
        name: SLOW_TOXIC,
        type: 'latency',
        stream: 'downstream',
        attributes: { latency, jitter },
      });
    }
  }

  async restoreAll(): Promise<void> {
    for (const proxy of this.proxies.values()) await proxy.reset();
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

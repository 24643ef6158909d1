// RedisPort over ioredis: an ioredis `Redis` or `Cluster` IS a RedisPort (the port is a subset of
// its own method signatures; test/src/ports/redis-port.types.test.ts proves it), so the factories
// only fix the project's connection defaults. Subscriptions need a connection of their own in
// subscriber mode (ioredis refuses other commands on it), hence IoredisSubscriber.
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisSubscriber } from '../ports/redis.ts';

/** Options of {@link createIoredisPort}: ioredis's own. */
export type IoredisPortOptions = RedisOptions;

/**
 * An ioredis client for a standalone server, as a RedisPort. Defaults: 127.0.0.1:6379,
 * `maxRetriesPerRequest` 2 (fail fast instead of ioredis's 20 retries), everything else ioredis's.
 */
export function createIoredisPort(options: IoredisPortOptions = {}): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 2, ...options });
}

/**
 * An ioredis Cluster client as a RedisPort: follows MOVED/ASK, retries TRYAGAIN/CLUSTERDOWN after
 * 100 ms, gives up after `maxRedirections` (16) with `Too many Cluster redirections`.
 * Defaults: startup node 127.0.0.1:7000, ioredis's cluster options otherwise.
 */
export function createIoredisClusterPort(
  startupNodes: ClusterNode[] = [{ host: '127.0.0.1', port: 7000 }],
  options: ClusterOptions = {},
): Cluster {
  return new Cluster(startupNodes, options);
}

/** Pub/sub over a duplicate ioredis connection in subscriber mode (one per subscription). */
export class IoredisSubscriber implements RedisSubscriber {
  constructor(
    /** The client whose connection settings the subscriber connection copies. */
    private readonly client: Redis | Cluster,
  ) {}

  /** Subscribes on a new connection; the returned function unsubscribes and closes it. */
  async subscribe(
    channel: string,
    onMessage: (message: string, channel: string) => void,
  ): Promise<() => Promise<void>> {
    const connection = this.client.duplicate();
    connection.on('message', (ch: string, message: string) => {
      if (ch === channel) onMessage(message, ch);
    });
    await connection.subscribe(channel);
    return async () => {
      await connection.unsubscribe(channel);
      await connection.quit();
    };
  }
}

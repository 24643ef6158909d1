// Cross-node L1 invalidation. Each gateway node keeps its own L1 (Caffeine in the article), so a
// write on node A leaves node B serving its copy until B's expireAfterWrite (1 min) runs out
// (Caffeine `Caffeine.expireAfterWrite` javadoc: an entry is removed "once a fixed duration has
// elapsed after the entry's creation, or the most recent replacement of its value"; nothing else
// tells B). A bus carries "drop this key from your L1" to every node.
//
// Delivery is at-most-once on both implementations (the Redis Pub/Sub documentation: "Redis'
// Pub/Sub exhibits at-most-once message delivery semantics"; a disconnected subscriber loses what
// was published meanwhile), so the L1 TTL stays as the backstop.
import type { Clock } from '../ports/clock.ts';
import type { RedisPort, RedisSubscriber } from '../ports/redis.ts';

/** Broadcasts cache-key invalidations to every subscribed node, the sender included. */
export interface InvalidationBus {
  /** Announces that `hash` changed; resolves once the message has been handed to the transport. */
  publish(hash: string): Promise<void>;
  /** Calls `onInvalidate` for each announced hash; resolves (once active) to an unsubscribe function. */
  subscribe(onInvalidate: (hash: string) => void): Promise<() => Promise<void>>;
}

/** The default pub/sub channel of {@link RedisInvalidationBus}. */
export const DEFAULT_INVALIDATION_CHANNEL = 'llm:invalidate';

/** Options of {@link ClockInvalidationBus}. */
export interface ClockInvalidationBusOptions {
  /** Delivery delay in milliseconds (integer >= 0). @defaultValue 1 */
  readonly delayMs?: number;
}

/** Ports of {@link ClockInvalidationBus}. */
export interface ClockInvalidationBusPorts {
  /** Schedules each delivery `delayMs` after its publish. */
  readonly clock: Clock;
}

/**
 * An in-process bus on an injected clock: each message reaches every subscriber `delayMs` after
 * publish (in subscription order), as Redis pub/sub would after one network hop. For simulations.
 */
export class ClockInvalidationBus implements InvalidationBus {
  /** Delivery delay in milliseconds. */
  readonly delayMs: number;
  readonly #clock: Clock;
  readonly #subscribers = new Set<(hash: string) => void>();
  /** Messages published so far. */
  published = 0;

  constructor(options: ClockInvalidationBusOptions, ports: ClockInvalidationBusPorts) {
    const delayMs = options?.delayMs ?? 1;
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`ClockInvalidationBus: delayMs must be an integer >= 0, got ${delayMs}`);
    }
    if (typeof ports?.clock?.schedule !== 'function') {
      throw new TypeError('ClockInvalidationBus: ports.clock is required');
    }
    this.delayMs = delayMs;
    this.#clock = ports.clock;
  }

  async publish(hash: string): Promise<void> {
    this.published++;
    // Snapshot: a node subscribing after the publish does not receive it (pub/sub has no history).
    const targets = [...this.#subscribers];
    this.#clock.schedule(this.delayMs, () => {
      for (const deliver of targets) if (this.#subscribers.has(deliver)) deliver(hash);
    });
  }

  async subscribe(onInvalidate: (hash: string) => void): Promise<() => Promise<void>> {
    const deliver = (hash: string) => onInvalidate(hash);
    this.#subscribers.add(deliver);
    return async () => {
      this.#subscribers.delete(deliver);
    };
  }
}

/** Options of {@link RedisInvalidationBus}. */
export interface RedisInvalidationBusOptions {
  /** Channel name. @defaultValue `'llm:invalidate'` */
  readonly channel?: string;
}

/** Ports of {@link RedisInvalidationBus}. */
export interface RedisInvalidationBusPorts {
  /** The command connection: PUBLISH. */
  readonly redis: Pick<RedisPort, 'publish'>;
  /** The subscriber connection: SUBSCRIBE (ioredis needs a separate connection in subscriber mode). */
  readonly subscriber: RedisSubscriber;
}

/**
 * Invalidation over Redis pub/sub: PUBLISH on the command connection, SUBSCRIBE through a
 * {@link RedisSubscriber} (ioredis needs a separate connection in subscriber mode).
 */
export class RedisInvalidationBus implements InvalidationBus {
  /** The channel in use. */
  readonly channel: string;
  readonly #redis: Pick<RedisPort, 'publish'>;
  readonly #subscriber: RedisSubscriber;

  constructor(options: RedisInvalidationBusOptions, ports: RedisInvalidationBusPorts) {
    if (typeof ports?.redis?.publish !== 'function') {
      throw new TypeError('RedisInvalidationBus: ports.redis is required');
    }
    if (typeof ports.subscriber?.subscribe !== 'function') {
      throw new TypeError('RedisInvalidationBus: ports.subscriber is required');
    }
    this.channel = options?.channel ?? DEFAULT_INVALIDATION_CHANNEL;
    this.#redis = ports.redis;
    this.#subscriber = ports.subscriber;
  }

  async publish(hash: string): Promise<void> {
    await this.#redis.publish(this.channel, hash);
  }

  subscribe(onInvalidate: (hash: string) => void): Promise<() => Promise<void>> {
    return this.#subscriber.subscribe(this.channel, (message) => onInvalidate(message));
  }
}

// Builds the article's cache stack for tests: L1 LocalCache (Caffeine's settings from the article:
// maximumSize 10000, expireAfterWrite 1 min, recordStats), L2 RedisL2 on the simulated Redis
// (SimRedis), L3 MysqlL3 on the simulated MariaDB primary (sim/mysql, no replicas) behind a
// statement log, all on one Simulation's clock, plus a TraceSink that keeps events in memory.

import type { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { SimRedis } from '#sim/redis/node.ts';
import { LocalCache } from '#src/cache/local-cache.ts';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import { RedisL2, type RedisL2Options } from '#src/cache/redis-l2.ts';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import type {
  CacheEntry,
  CacheStrategy,
  TieredCacheCommonOptions,
  TieredCacheOptions,
  TieredLoader,
  TieredRead,
} from '#src/cache/tiered-cache-types.ts';
import type { WriteBehindOptions } from '#src/cache/write-behind-queue.ts';
import type { Random } from '#src/ports/random.ts';
import type { TraceFields, TraceSink } from '#src/ports/trace.ts';
import { checkTraceEvent } from '#src/ports/trace-events.ts';
import { LoggedSql } from './logged-sql.ts';

// The generic simulation helpers live in test/helpers/sim.ts; the cache tests import them from here.
export { inSim, newSim } from '../../../helpers/sim.ts';

/** The article's L1 settings. */
export const ARTICLE_L1 = { maximumSize: 10_000, expireAfterWriteMs: 60_000, recordStats: true } as const;

export interface TraceEvent {
  readonly t: number;
  readonly c: string;
  readonly k: string;
  readonly f: TraceFields | undefined;
}

export class RecordingTrace implements TraceSink {
  readonly events: TraceEvent[] = [];
  constructor(readonly now: () => number) {}
  emit(component: string, kind: string, fields?: TraceFields): void {
    // Every event must fit the declared vocabulary (src/ports/trace-events.ts), fields included.
    checkTraceEvent(component, kind, fields);
    this.events.push({ t: this.now(), c: component, k: kind, f: fields });
  }
  kinds(component = 'cache'): string[] {
    return this.events.filter((e) => e.c === component).map((e) => e.k);
  }
}

export interface SharedBackends {
  readonly redis: SimRedis;
  readonly sql: LoggedSql;
  readonly trace: RecordingTrace;
}

/** One Redis and one MySQL shared by every node of a test. */
export async function sharedBackends(
  sim: Simulation,
  redisLatencyMs = 0,
  sqlLatencyMs = 0,
): Promise<SharedBackends> {
  const redis = new SimRedis({ latencyMs: redisLatencyMs }, { clock: sim.clock });
  const sql = new LoggedSql(new SimMysqlCluster({ replicas: 0 }, sim).primary, sim.clock);
  const trace = new RecordingTrace(() => sim.clock.now());
  await new MysqlL3({}, { sql, clock: sim.clock }).createTable();
  sql.latencyMs = sqlLatencyMs;
  return { redis, sql, trace };
}

export interface NodeOptions<V> extends Partial<Omit<TieredCacheCommonOptions<V>, 'l1' | 'l2'>> {
  /** @defaultValue 'cache-aside' */
  readonly strategy?: CacheStrategy;
  readonly writeBehind?: WriteBehindOptions;
  readonly name?: string;
  /** false: no L1. */
  readonly l1?: false | Partial<ConstructorParameters<typeof LocalCache>[0]>;
  readonly l3?: false;
  readonly l2Options?: Partial<RedisL2Options<CacheEntry<V>>>;
  /** The L2's Random (TTL jitter, lease tokens). @defaultValue a fork of the node's */
  readonly l2Random?: Random;
  /** The loader this node's requests pass to `get` (the gateway's per-request LLM call). */
  readonly loader?: TieredLoader<V>;
}

/** One gateway node's TieredCache over the shared backends. */
export function makeNode<V>(sim: Simulation, shared: SharedBackends, options: NodeOptions<V> = {}) {
  const name = options.name ?? 'a';
  const random = sim.random.fork(`cache/${name}`);
  const l1 =
    options.l1 === false
      ? undefined
      : new LocalCache<string, CacheEntry<V>>(
          { ...ARTICLE_L1, ...options.l1 },
          { clock: sim.clock, random: random.fork('l1') },
        );
  const l2 = new RedisL2<CacheEntry<V>>(
    { ...options.l2Options },
    { redis: shared.redis, random: options.l2Random ?? random.fork('l2') },
  );
  const l3 = options.l3 === false ? undefined : new MysqlL3<V>({}, { sql: shared.sql, clock: sim.clock });
  const { loader, l1: _l1, l3: _l3, l2Options: _l2, l2Random: _l2r, name: _name, ...cacheOptions } = options;
  const cacheAll = { nodeId: name, ...cacheOptions, strategy: options.strategy ?? 'cache-aside', l1, l2, l3 };
  const cache = new TieredCache<V>(cacheAll as TieredCacheOptions<V>, {
    clock: sim.clock,
    random: random.fork('tiered'),
    trace: shared.trace,
  });
  /** One request's read: `cache.get(prompt, loader)` with this node's loader (no extra await). */
  const get = (prompt: string): Promise<TieredRead<V>> => cache.get(prompt, loader);
  return { cache, l1, l2, l3, get };
}

/** Prints a seeded test's measured outcome (outside any run), so docs/cache.md can quote it. */
export function report(seed: string, what: string, measured: Record<string, unknown>): void {
  console.info(`[cache incident] seed=${seed} ${what}: ${JSON.stringify(measured)}`);
}

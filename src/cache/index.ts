// The cache component's public surface: the article's L1 (LocalCache, Caffeine-faithful), L2 on
// Redis, L3 on MySQL, the tiered cache with the four strategies, and the fixes the incidents need.

export {
  ClockInvalidationBus,
  DEFAULT_INVALIDATION_CHANNEL,
  type InvalidationBus,
  RedisInvalidationBus,
} from './invalidation-bus.ts';
export {
  type CacheLoader,
  CacheStats,
  LocalCache,
  type LocalCacheKey,
  type LocalCacheOptions,
  type LocalCachePolicy,
  type LocalCachePorts,
} from './local-cache.ts';
export { DEFAULT_L3_TABLE, type L3Row, MysqlL3, type MysqlL3Options } from './mysql-l3.ts';
export { CACHE_PREFIX, hashPrompt, type PromptHashScheme } from './prompt-key.ts';
export {
  DEFAULT_L2_TTL_MS,
  DEFAULT_LEASE_TTL_MS,
  isLeaseMarker,
  LEASE_GET_SCRIPT,
  LEASE_MARKER,
  LEASE_SET_SCRIPT,
  type LeaseGetResult,
  RedisL2,
  type RedisL2Options,
} from './redis-l2.ts';
export { jsonSerializer, type Serializer } from './serializer.ts';
export { TieredCache } from './tiered-cache.ts';
export type {
  CacheEntry,
  CacheStrategy,
  CacheTier,
  L1Cache,
  LeaseOptions,
  TieredCacheCommonOptions,
  TieredCacheOptions,
  TieredCachePorts,
  TieredCacheStats,
  TieredLoader,
  TieredRead,
  XFetchOptions,
} from './tiered-cache-types.ts';
export {
  type WriteBehindOptions,
  WriteBehindQueueFullError,
  type WriteBehindQueueFullPolicy,
} from './write-behind-queue.ts';

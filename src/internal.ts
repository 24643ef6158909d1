// Names that exist for conformance tests and the bench, not for users of the library: the Lua
// scripts' internals, JVM-compatibility helpers, cache-size constants. Not part of the public API.

export { TRACK_LAST_GTID_SQL } from './adapters/mysql2.ts';
export { DEFAULT_LEASE_TTL_MS, LEASE_GET_SCRIPT, LEASE_MARKER, LEASE_SET_SCRIPT } from './cache/index.ts';
export { INTEGER_MAX_VALUE } from './executor/index.ts';
export { crc16 } from './ports/redis-slots.ts';
export { CLASSIFY_CACHE_LIMIT, javaStringHashCode } from './router/index.ts';
export { BLOCK as FLOW_BLOCK } from './sentinel/index.ts';

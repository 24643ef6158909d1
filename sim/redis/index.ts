// Simulated Redis: one node (SimRedis); replies and errors of redis-server 7.0.

export type { SnapshotEntry } from './keyspace.ts';
export type { NodeRole, ReplicationListener, SimRedisOptions } from './node.ts';
export { SimRedis } from './node.ts';
export type { Reply } from './reply.ts';
export { RedisReplyError, StatusReply } from './reply.ts';

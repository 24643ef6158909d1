// Simulated Redis: one node (SimRedis) and a Redis Cluster (SimRedisCluster); replies and errors
// of redis-server 7.0.
export type { NodeProcess, SimRedisClusterOptions, SimRedisClusterPorts } from './cluster.ts';
export { SimRedisCluster } from './cluster.ts';
export type { ClusterClientStats, ClusterEndpoint, ClusterSlots } from './cluster-client.ts';
export { SimRedisClusterClient } from './cluster-client.ts';
export type { SnapshotEntry } from './keyspace.ts';
export type { NodeRole, ReplicationListener, SimRedisOptions, SimRedisPorts } from './node.ts';
export { SimRedis } from './node.ts';
export type { Reply } from './reply.ts';
export { RedisReplyError, StatusReply } from './reply.ts';

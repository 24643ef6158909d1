export { javaStringHashCode, seedShardIndex, shardIndex } from './sharding.ts';

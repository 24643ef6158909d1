// The simulation's public entry: explicit named exports only.

// Cache hit-rate simulator in the manner of Caffeine's (sim/cache/, docs/local-cache.md)
export type { HitRateRow, KeyTrace, RealTraceName, ReplayPolicy, SyntheticTraceName } from './cache/index.ts';
export {
  beladyPolicy,
  DEFAULT_SIZES,
  defaultPolicies,
  formatHitRateTable,
  HIT_RATE_SEED,
  loadTrace,
  localCachePolicy,
  loopTrace,
  lruCachePolicy,
  REAL_TRACES,
  readRealTrace,
  realTracePath,
  SHARED_TRACES_DIR,
  SYNTHETIC_TRACES,
  scanZipfTrace,
  simulateHitRates,
  zipfTrace,
} from './cache/index.ts';
export type { MysqlHistoryPorts, MysqlHistoryReport, MysqlOp } from './checkers/index.ts';
export { checkMysqlHistory, checkMysqlHistoryTrace, MysqlHistory } from './checkers/index.ts';
export type { Barrier, RunResult, SimulationOptions, SpawnOptions } from './kernel/simulation.ts';
export { Simulation, StallError, StepLimitError, TaskFailedError } from './kernel/simulation.ts';
export { TripwireError } from './kernel/tripwires.ts';
export { VirtualClock } from './kernel/virtual-clock.ts';
export type { SimLlmConfig } from './llm/upstream.ts';
export { SimLlmUpstream } from './llm/upstream.ts';
// Simulated replicating MySQL/MariaDB and its history checker (sim/mysql/, docs/mysql.md)
export type {
  BinlogGroup,
  Gtid,
  GtidPos,
  LinkOptions,
  NodeStatus,
  PromoteOptions,
  ReplEvent,
  RestartOptions,
  RowChange,
  SemiSyncOptions,
  SemiSyncWaitPoint,
  SimMysqlClusterOptions,
  SimMysqlClusterPorts,
  SimMysqlNodeOptions,
  SimMysqlNodePorts,
  TableSpec,
  UseGtid,
} from './mysql/index.ts';
export { formatGtid, formatPos, Link, parsePos, SimMysqlCluster, SimMysqlNode } from './mysql/index.ts';
// Simulated Redis node and Redis Cluster with failover (sim/redis/, docs/redis.md)
export type {
  NodeProcess,
  NodeRole,
  ReplicationListener,
  Reply,
  SimRedisClusterContext,
  SimRedisClusterOptions,
  SimRedisOptions,
  SnapshotEntry,
} from './redis/index.ts';
export {
  RedisReplyError,
  SimRedis,
  SimRedisCluster,
  SimRedisClusterClient,
  StatusReply,
} from './redis/index.ts';
export type { RunOptions, RunSummary, TraceHeader } from './run.ts';
export { HASIM_VERSION, runScenario, TRACE_FORMAT } from './run.ts';
export type { LlmSmokeScenario, Scenario } from './scenarios/schema.ts';
export { loadScenarioFile, parseScenario, ScenarioError } from './scenarios/schema.ts';
export { poissonArrivals } from './workload/arrivals.ts';

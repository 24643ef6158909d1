// The simulation's public entry: explicit named exports only.

export type { ExpectationResult, InvariantRegistry } from './checkers/expectations/evaluate.ts';
export { ExpectationJudge, evaluateExpectations } from './checkers/expectations/evaluate.ts';
export { METRICS } from './checkers/expectations/metrics.ts';
export type { MysqlHistoryPorts, MysqlHistoryReport, MysqlOp } from './checkers/index.ts';
export { checkMysqlHistory, checkMysqlHistoryTrace, MysqlHistory } from './checkers/index.ts';
export { INVARIANTS } from './checkers/invariants.ts';
export { SimFaults } from './faults/registry.ts';
export { registerUpstream } from './faults/upstream-targets.ts';
export type { Barrier, RunResult, SimulationOptions, SpawnOptions } from './kernel/simulation.ts';
export {
  Simulation,
  StallError,
  StepLimitError,
  TaskFailedError,
  TraceBudgetError,
} from './kernel/simulation.ts';
export { TripwireError } from './kernel/tripwires.ts';
export { VirtualClock } from './kernel/virtual-clock.ts';
export { LIMITS, LimitError, type LimitName, type LimitValues } from './limits.ts';
export { ProviderFaults } from './llm/provider-faults.ts';
export type { SimLlmConfig } from './llm/upstream.ts';
export { SimLlmUpstream } from './llm/upstream.ts';
// Simulated replicating MySQL/MariaDB and its history checker (sim/mysql/, docs/mysql.md)
export type {
  BinlogGroup,
  Gtid,
  GtidPos,
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
export { formatGtid, formatPos, parsePos, SimMysqlCluster, SimMysqlNode } from './mysql/index.ts';
// The simulated network every twin sends over (sim/net/)
export type {
  DeliveryPolicy,
  NetLinkOptions,
  NetMessage,
  SimNetworkOptions,
  SimNetworkPorts,
} from './net/network.ts';
export { NetLink, SimNetwork } from './net/network.ts';
// Simulated Redis node and Redis Cluster with failover (sim/redis/, docs/redis.md)
export type {
  ClusterClientStats,
  ClusterEndpoint,
  ClusterSlots,
  NodeProcess,
  NodeRole,
  ReplicationListener,
  Reply,
  SimRedisClusterOptions,
  SimRedisClusterPorts,
  SimRedisOptions,
  SimRedisPorts,
  SnapshotEntry,
} from './redis/index.ts';
export {
  RedisReplyError,
  SimRedis,
  SimRedisCluster,
  SimRedisClusterClient,
  StatusReply,
} from './redis/index.ts';
// Drawing a finished run: its digest, the SVG charts and diagrams, report.html (sim/render/)
export type { RunDigest } from './render/digest.ts';
export { RunDirError, readRun } from './render/read-run.ts';
export { renderReport, writeReport } from './render/report.ts';
// Running a scenario file on virtual time (sim/run.ts, sim/scenarios/)
export type { RunCost, RunOptions, RunSummary, ScenarioResult, TraceHeader } from './run.ts';
export { HASIM_VERSION, runScenario, summaryJson, TRACE_FORMAT } from './run.ts';
export type { GatewayReport } from './scenarios/gateway.ts';
export type { GatewayScenario, GatewayTopology } from './scenarios/gateway-schema.ts';
export { gatewaySchema, LAYER_NAMES } from './scenarios/gateway-schema.ts';
export { loadScenarioFile, parseScenario, ScenarioError } from './scenarios/load.ts';
export type {
  Scenario,
  ScenarioKind,
  ScenarioKindName,
  ScenarioReport,
  Variant,
} from './scenarios/registry.ts';
export { SCENARIO_KINDS, scenarioSchema } from './scenarios/registry.ts';
export type { LlmSmokeScenario } from './scenarios/schema.ts';
export { poissonArrivals } from './workload/arrivals.ts';
export { phasedArrivals } from './workload/phases.ts';
export { RequestMix } from './workload/requests.ts';
export { Zipf } from './workload/zipf.ts';
export type { World } from './world/world.ts';
export { buildWorld } from './world/world.ts';

export { ARTICLE_READWRITE_SPLITTING_YAML } from './article.ts';
export {
  CLASSIFY_CACHE_LIMIT,
  type ClassifiedStatement,
  classifyStatement,
  type StatementKind,
} from './classify.ts';
export {
  DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY,
  type LoadBalancerConfig,
  parseReadwriteSplittingYaml,
  type ReadwriteSplittingGroupConfig,
  type ReadwriteSplittingRuleConfig,
  RouterConfigError,
  ruleFromObject,
  type TransactionalReadQueryStrategy,
} from './config.ts';
export {
  type LoadBalancer,
  LoadBalancerError,
  type LoadBalancerType,
  RandomLoadBalancer,
  RoundRobinLoadBalancer,
  WeightLoadBalancer,
} from './load-balancer.ts';
export {
  DEFAULT_STATUS_TTL_MS,
  ReadWriteRouter,
  type ReadWriteRouterOptions,
  type ReplicaChecks,
  type RouteDecision,
  type RouteReason,
  RouterSession,
} from './read-write-router.ts';
export { type ReplicaProbe, type ReplicaStatus, sqlReplicaProbe } from './replica-probe.ts';
export { javaStringHashCode, seedShardIndex, shardIndex } from './sharding.ts';

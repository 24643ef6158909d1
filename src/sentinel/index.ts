// Sentinel 1.8.x for one process: the slot chain (`Sentinel`, `Entry`), circuit breaking (./degrade/)
// and flow control (./flow/), with the statistics both read.

export { TickClock } from '../adapters/tick-clock.ts';
export type {
  BreakerPhase,
  CircuitBreakerPorts,
  CircuitBreakerState,
  CompletedRequest,
  StateChangeObserver,
  TerminateHooks,
} from './degrade/circuit-breaker.ts';
export {
  AbstractCircuitBreaker,
  ExceptionCircuitBreaker,
  ResponseTimeCircuitBreaker,
} from './degrade/circuit-breaker.ts';
export { DegradeException } from './degrade/errors.ts';
export type {
  DegradeGradeValue,
  DegradeRule,
  DegradeRuleConfig,
  SentinelDegradeRuleConfig,
} from './degrade/rule.ts';
export {
  ARTICLE_EXCEPTION_DEGRADE_RULE,
  ARTICLE_RT_DEGRADE_RULE,
  DegradeGrade,
  degradeRule,
  degradeRuleFromSentinel,
  degradeRuleProblem,
} from './degrade/rule.ts';
export { Entry } from './entry.ts';
export { BlockException, InvalidRuleError } from './errors.ts';
export type {
  DefaultControllerOptions,
  FlowControllerPorts,
  RateLimiterControllerOptions,
  TrafficShapingController,
  WarmUpControllerOptions,
  WarmUpRateLimiterControllerOptions,
} from './flow/controllers.ts';
export {
  BLOCK,
  DefaultController,
  RateLimiterController,
  WarmUpController,
  WarmUpRateLimiterController,
} from './flow/controllers.ts';
export { FlowException } from './flow/errors.ts';
export type {
  ControlBehaviorValue,
  FlowGradeValue,
  FlowRule,
  FlowRuleConfig,
  SentinelFlowRuleConfig,
} from './flow/rule.ts';
export { ControlBehavior, FlowGrade, flowRule, flowRuleFromSentinel, flowRuleProblem } from './flow/rule.ts';
export type { RunHandlers, SentinelOptions, SentinelPorts } from './sentinel.ts';
export { Sentinel } from './sentinel.ts';
export type { FlowNode } from './statistic-node.ts';
export { StatisticNode } from './statistic-node.ts';

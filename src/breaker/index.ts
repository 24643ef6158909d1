// Sentinel 1.8.x circuit breaking (and the Sentinel facade that also runs flow rules).
export type {
  BreakerPhase,
  CircuitBreakerDeps,
  CircuitBreakerState,
  CompletedRequest,
  StateChangeObserver,
  TerminateHooks,
} from './circuit-breaker.ts';
export {
  AbstractCircuitBreaker,
  ExceptionCircuitBreaker,
  ResponseTimeCircuitBreaker,
} from './circuit-breaker.ts';
export { BlockException, DegradeException } from './errors.ts';
export type { DegradeGradeValue, DegradeRule, DegradeRuleConfig } from './rule.ts';
export {
  ARTICLE_EXCEPTION_DEGRADE_RULE,
  ARTICLE_RT_DEGRADE_RULE,
  DegradeGrade,
  degradeRule,
  degradeRuleProblem,
  InvalidRuleError,
} from './rule.ts';
export type { RunHandlers, SentinelOptions } from './sentinel.ts';
export { Entry, Sentinel } from './sentinel.ts';

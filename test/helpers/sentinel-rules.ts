// Sentinel's own spelling of rules (timeWindow in s, warmUpPeriodSec), as the JVM tests and the
// article write them, converted once per rule by the library's converters.
import {
  type DegradeRuleConfig,
  degradeRuleFromSentinel,
  type FlowRuleConfig,
  flowRuleFromSentinel,
  type SentinelDegradeRuleConfig,
  type SentinelFlowRuleConfig,
} from '#src/sentinel/index.ts';

/** Degrade rules written as Sentinel's `DegradeRule` (`timeWindow` in seconds). */
export function sentinelDegradeRules(rules: readonly SentinelDegradeRuleConfig[]): DegradeRuleConfig[] {
  return rules.map(degradeRuleFromSentinel);
}

/** Flow rules written as Sentinel's `FlowRule` (`warmUpPeriodSec` in seconds). */
export function sentinelFlowRules(rules: readonly SentinelFlowRuleConfig[]): FlowRuleConfig[] {
  return rules.map(flowRuleFromSentinel);
}

// Sentinel 1.8.x flow control: rules, traffic-shaping controllers and the statistics they read.
export type { TrafficShapingController } from './controllers.ts';
export {
  BLOCK,
  DefaultController,
  RateLimiterController,
  WarmUpController,
  WarmUpRateLimiterController,
} from './controllers.ts';
export { FlowException } from './errors.ts';
export type { ControlBehaviorValue, FlowGradeValue, FlowRule, FlowRuleConfig } from './rule.ts';
export { ControlBehavior, FlowGrade, flowRule, flowRuleProblem } from './rule.ts';
export type { FlowNode } from './statistic-node.ts';
export { StatisticNode } from './statistic-node.ts';

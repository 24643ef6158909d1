/**
 * Sentinel 1.8.x `FlowRule` (sentinel-core/.../slots/block/flow/FlowRule.java) for the DIRECT strategy
 * and the default origin. Validity follows `FlowRuleUtil.isValidRule`; an invalid rule is an error
 * naming the field (Sentinel logs and drops it).
 */
import { InvalidRuleError } from '../errors.ts';

/** `RuleConstant.FLOW_GRADE_*`. */
export const FlowGrade = {
  /** Concurrent entries in flight (`FLOW_GRADE_THREAD`). */
  THREAD: 0,
  /** Passed requests per second (`FLOW_GRADE_QPS`). */
  QPS: 1,
} as const;
export type FlowGradeValue = (typeof FlowGrade)[keyof typeof FlowGrade];

/** `RuleConstant.CONTROL_BEHAVIOR_*`: how a QPS rule shapes traffic. */
export const ControlBehavior = {
  /** Reject at once above `count` (`DefaultController`). */
  DEFAULT: 0,
  /** Guava-style cold start (`WarmUpController`). */
  WARM_UP: 1,
  /** Even pacing with a bounded queue (`RateLimiterController`). */
  RATE_LIMITER: 2,
  /** Pacing whose interval follows the warm-up curve (`WarmUpRateLimiterController`). */
  WARM_UP_RATE_LIMITER: 3,
} as const;
export type ControlBehaviorValue = (typeof ControlBehavior)[keyof typeof ControlBehavior];

/** A flow rule with every field present. */
export interface FlowRule {
  /** Resource name. Required, non-blank. */
  readonly resource: string;
  /** 1 QPS, 0 thread (concurrency) count. @defaultValue 1 */
  readonly grade: FlowGradeValue;
  /** Threshold: requests per second (grade 1) or concurrent entries (grade 0). Must be >= 0. @defaultValue 0 */
  readonly count: number;
  /** 0 DIRECT only (RELATE and CHAIN are not modelled). @defaultValue 0 */
  readonly strategy: 0;
  /** QPS grade only: 0 DEFAULT, 1 WARM_UP, 2 RATE_LIMITER, 3 WARM_UP_RATE_LIMITER. @defaultValue 0 */
  readonly controlBehavior: ControlBehaviorValue;
  /**
   * Warm-up period in ms (behaviours 1 and 3): a whole number of seconds, since Sentinel's
   * `warmUpPeriodSec` is a Java `int` the controllers compute with (see {@link flowRuleFromSentinel}).
   * @defaultValue 10000
   */
  readonly warmUpPeriodMs: number;
  /** Longest pacing wait in ms before a request is refused (behaviours 2 and 3). @defaultValue 500 */
  readonly maxQueueingTimeMs: number;
  /** Origin; only `'default'` is modelled. @defaultValue 'default' */
  readonly limitApp: string;
  /** Cluster flow control is not modelled; must be false. @defaultValue false */
  readonly clusterMode: false;
}

/** What a caller writes: `resource` plus the fields that differ from Sentinel's defaults. */
export type FlowRuleConfig = Partial<FlowRule> & { readonly resource: string };

/**
 * A flow rule as Sentinel's `FlowRule` spells it (a scenario file, the article's Java):
 * `warmUpPeriodSec` in seconds, every other field as in {@link FlowRule}.
 */
export type SentinelFlowRuleConfig = Omit<FlowRuleConfig, 'warmUpPeriodMs'> & {
  /** Warm-up period in seconds (`FlowRule.warmUpPeriodSec`, a Java `int`). */
  readonly warmUpPeriodSec?: number;
};

/**
 * The one converter from Sentinel's spelling of a flow rule to ours: `warmUpPeriodSec` (s) becomes
 * `warmUpPeriodMs`; the other fields are copied. Defaults are filled later, by {@link flowRule}.
 */
export function flowRuleFromSentinel(config: SentinelFlowRuleConfig): FlowRuleConfig {
  const { warmUpPeriodSec, ...rest } = config;
  return warmUpPeriodSec === undefined ? rest : { ...rest, warmUpPeriodMs: warmUpPeriodSec * 1000 };
}

/** Fills Sentinel's defaults (FlowRule.java field initialisers; blank limitApp → 'default'). */
export function flowRule(config: FlowRuleConfig): FlowRule {
  return {
    resource: config.resource,
    grade: config.grade ?? FlowGrade.QPS,
    count: config.count ?? 0,
    strategy: config.strategy ?? 0,
    controlBehavior: config.controlBehavior ?? ControlBehavior.DEFAULT,
    warmUpPeriodMs: config.warmUpPeriodMs ?? 10_000,
    maxQueueingTimeMs: config.maxQueueingTimeMs ?? 500,
    limitApp: config.limitApp === undefined || config.limitApp.trim() === '' ? 'default' : config.limitApp,
    clusterMode: config.clusterMode ?? false,
  };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Why `FlowRuleUtil.isValidRule` (plus the modelled subset) would refuse the rule, or undefined. */
export function flowRuleProblem(rule: FlowRule): { field: string; message: string } | undefined {
  if (typeof rule.resource !== 'string' || rule.resource.trim() === '') {
    return { field: 'resource', message: 'must be a non-blank resource name' };
  }
  if (typeof rule.count !== 'number' || Number.isNaN(rule.count) || rule.count < 0) {
    return { field: 'count', message: `must be a number >= 0, got ${rule.count}` };
  }
  if (rule.grade !== FlowGrade.QPS && rule.grade !== FlowGrade.THREAD) {
    return { field: 'grade', message: `must be 1 (QPS) or 0 (thread count), got ${String(rule.grade)}` };
  }
  if (rule.strategy !== 0) {
    return { field: 'strategy', message: `only 0 (DIRECT) is modelled, got ${String(rule.strategy)}` };
  }
  if (![0, 1, 2, 3].includes(rule.controlBehavior)) {
    // Sentinel accepts any value >= 0 and falls back to DEFAULT for unknown ones; we refuse them.
    return {
      field: 'controlBehavior',
      message: `must be 0 DEFAULT, 1 WARM_UP, 2 RATE_LIMITER or 3 WARM_UP_RATE_LIMITER, got ${String(rule.controlBehavior)}`,
    };
  }
  if (rule.limitApp !== 'default') {
    return {
      field: 'limitApp',
      message: `only 'default' is modelled (no caller origins), got '${rule.limitApp}'`,
    };
  }
  if (rule.clusterMode !== false) {
    return { field: 'clusterMode', message: 'cluster flow control is not modelled; must be false' };
  }
  if (!isInt(rule.warmUpPeriodMs) || rule.warmUpPeriodMs % 1000 !== 0) {
    return {
      field: 'warmUpPeriodMs',
      message: `must be a whole number of seconds, in ms, got ${rule.warmUpPeriodMs}`,
    };
  }
  if (!isInt(rule.maxQueueingTimeMs)) {
    return {
      field: 'maxQueueingTimeMs',
      message: `must be an integer number of ms, got ${rule.maxQueueingTimeMs}`,
    };
  }
  if (rule.grade === FlowGrade.QPS) {
    // FlowRuleUtil.checkControlBehaviorField.
    const b = rule.controlBehavior;
    if (
      (b === ControlBehavior.WARM_UP || b === ControlBehavior.WARM_UP_RATE_LIMITER) &&
      rule.warmUpPeriodMs <= 0
    ) {
      return {
        field: 'warmUpPeriodMs',
        message: `must be > 0 ms for controlBehavior ${b}, got ${rule.warmUpPeriodMs}`,
      };
    }
    if (
      (b === ControlBehavior.RATE_LIMITER || b === ControlBehavior.WARM_UP_RATE_LIMITER) &&
      rule.maxQueueingTimeMs <= 0
    ) {
      return {
        field: 'maxQueueingTimeMs',
        message: `must be > 0 ms for controlBehavior ${b}, got ${rule.maxQueueingTimeMs}`,
      };
    }
  }
  return undefined;
}

/** Throws `InvalidRuleError` naming the first field `FlowRuleUtil.isValidRule` would refuse. */
export function assertValidFlowRule(rule: FlowRule): void {
  const p = flowRuleProblem(rule);
  if (p) throw new InvalidRuleError('FlowRule', p.field, p.message);
}

/**
 * Sentinel 1.8.x `DegradeRule` (sentinel-core/.../slots/block/degrade/DegradeRule.java): field names,
 * defaults and validity exactly as there, with one house deviation: an invalid rule is an error
 * naming the field, where `DegradeRuleManager.loadRules` logs a warning and drops it.
 */
import { InvalidRuleError } from '../errors.ts';

/** `RuleConstant.DEGRADE_GRADE_*`: what a degrade rule measures. */
export const DegradeGrade = {
  /** Slow-request ratio: `count` is the max allowed RT in ms (`RuleConstant.DEGRADE_GRADE_RT`). */
  RT: 0,
  /** Exception ratio: `count` is a ratio in [0, 1]. */
  EXCEPTION_RATIO: 1,
  /** Exception count: `count` is a number of traced exceptions per stat window. */
  EXCEPTION_COUNT: 2,
} as const;
export type DegradeGradeValue = (typeof DegradeGrade)[keyof typeof DegradeGrade];

/** A degrade (circuit-breaking) rule with every field present, as the breakers read it. */
export interface DegradeRule {
  /** Resource name the rule guards. Required, non-blank. */
  readonly resource: string;
  /** 0 slow-request ratio, 1 exception ratio, 2 exception count. @defaultValue 0 */
  readonly grade: DegradeGradeValue;
  /**
   * Threshold, by grade: 0 → max allowed response time in ms (rounded, `Math.round`); 1 → exception
   * ratio in [0, 1]; 2 → exception count. Must be >= 0. @defaultValue 0
   */
  readonly count: number;
  /** Grade 0 only: slow-request ratio in [0, 1] above which the breaker opens. @defaultValue 1.0 */
  readonly slowRatioThreshold: number;
  /** Completed requests needed in the current stat window before the breaker may open. @defaultValue 5 */
  readonly minRequestAmount: number;
  /** Length of the (single, epoch-aligned) statistics window in ms. @defaultValue 1000 */
  readonly statIntervalMs: number;
  /**
   * Recovery timeout in ms: how long the breaker stays OPEN (Sentinel's `timeWindow`, which is in
   * seconds; see {@link degradeRuleFromSentinel}). An integer > 0. @defaultValue 0 (invalid)
   */
  readonly timeWindowMs: number;
  /** Origin the rule applies to; only `'default'` (every caller) is modelled. @defaultValue 'default' */
  readonly limitApp: string;
}

/** What a caller writes: `resource` plus any fields that differ from Sentinel's defaults. */
export type DegradeRuleConfig = Partial<DegradeRule> & { readonly resource: string };

/**
 * A degrade rule as Sentinel's `DegradeRule` spells it (a scenario file, the article's Java):
 * `timeWindow` in seconds, every other field as in {@link DegradeRule}.
 */
export type SentinelDegradeRuleConfig = Omit<DegradeRuleConfig, 'timeWindowMs'> & {
  /** Recovery timeout in seconds (`DegradeRule.timeWindow`, a Java `int`). */
  readonly timeWindow?: number;
};

/**
 * The one converter from Sentinel's spelling of a degrade rule to ours: `timeWindow` (s) becomes
 * `timeWindowMs`; the other fields are copied as they are. Defaults are filled later, by
 * {@link degradeRule}. A fractional `timeWindow`, which Sentinel's `int` field cannot hold, becomes
 * a valid whole number of ms here; a negative or zero one stays invalid.
 */
export function degradeRuleFromSentinel(config: SentinelDegradeRuleConfig): DegradeRuleConfig {
  const { timeWindow, ...rest } = config;
  return timeWindow === undefined ? rest : { ...rest, timeWindowMs: timeWindow * 1000 };
}

/**
 * The article's section 1.3 slow-call rule exactly as written there (`new DegradeRule("llmApi")` in
 * `SentinelDegradeConfig.initDegradeRules`), resource name included: grade RT, `count` 2000 ms max
 * allowed response time, `slowRatioThreshold` 0.5, `minRequestAmount` 5, `statIntervalMs` 60000 ms
 * (one minute), `timeWindow` 30 s. Fields the article does not set keep Sentinel's defaults when
 * passed through {@link degradeRule} (limitApp `'default'`).
 */
export const ARTICLE_RT_DEGRADE_RULE: DegradeRuleConfig = Object.freeze(
  degradeRuleFromSentinel({
    resource: 'llmApi',
    grade: DegradeGrade.RT,
    count: 2000,
    slowRatioThreshold: 0.5,
    minRequestAmount: 5,
    statIntervalMs: 60_000,
    timeWindow: 30,
  }),
);

/**
 * The article's section 1.3 exception-ratio rule exactly as written there (`new
 * DegradeRule("llmApiException")`), resource name included: grade EXCEPTION_RATIO, `count` 0.3 (30 %),
 * `minRequestAmount` 5, `timeWindow` 60 s. The article sets no `statIntervalMs`, so Sentinel's default
 * 1000 ms window applies through {@link degradeRule}; `slowRatioThreshold` (default 1.0) is unused by
 * this grade.
 */
export const ARTICLE_EXCEPTION_DEGRADE_RULE: DegradeRuleConfig = Object.freeze(
  degradeRuleFromSentinel({
    resource: 'llmApiException',
    grade: DegradeGrade.EXCEPTION_RATIO,
    count: 0.3,
    minRequestAmount: 5,
    timeWindow: 60,
  }),
);

/** Fills Sentinel's defaults (DegradeRule.java field initialisers; blank limitApp → 'default'). */
export function degradeRule(config: DegradeRuleConfig): DegradeRule {
  return {
    resource: config.resource,
    grade: config.grade ?? DegradeGrade.RT,
    count: config.count ?? 0,
    slowRatioThreshold: config.slowRatioThreshold ?? 1.0,
    minRequestAmount: config.minRequestAmount ?? 5,
    statIntervalMs: config.statIntervalMs ?? 1000,
    timeWindowMs: config.timeWindowMs ?? 0,
    limitApp: config.limitApp === undefined || config.limitApp.trim() === '' ? 'default' : config.limitApp,
  };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

/**
 * Why `DegradeRuleManager.isValidRule` would refuse the rule, or `undefined` if it is valid. The
 * checks and their order follow isValidRule; the integer checks stand in for Java's `int` fields.
 */
export function degradeRuleProblem(rule: DegradeRule): { field: string; message: string } | undefined {
  if (typeof rule.resource !== 'string' || rule.resource.trim() === '') {
    return { field: 'resource', message: 'must be a non-blank resource name' };
  }
  if (!isNum(rule.count) || rule.count < 0) {
    return { field: 'count', message: `must be a number >= 0, got ${rule.count}` };
  }
  if (!isInt(rule.timeWindowMs) || rule.timeWindowMs <= 0) {
    return {
      field: 'timeWindowMs',
      message: `must be an integer number of ms > 0, got ${rule.timeWindowMs} (Sentinel's default 0 is invalid)`,
    };
  }
  if (!isInt(rule.minRequestAmount) || rule.minRequestAmount <= 0) {
    return { field: 'minRequestAmount', message: `must be an integer > 0, got ${rule.minRequestAmount}` };
  }
  if (!isInt(rule.statIntervalMs) || rule.statIntervalMs <= 0) {
    return {
      field: 'statIntervalMs',
      message: `must be an integer number of ms > 0, got ${rule.statIntervalMs}`,
    };
  }
  if (rule.limitApp !== 'default') {
    return {
      field: 'limitApp',
      message: `only 'default' is modelled (no caller origins), got '${rule.limitApp}'`,
    };
  }
  switch (rule.grade) {
    case DegradeGrade.RT:
      if (!isNum(rule.slowRatioThreshold) || rule.slowRatioThreshold < 0 || rule.slowRatioThreshold > 1) {
        return {
          field: 'slowRatioThreshold',
          message: `must be in [0, 1] for grade 0 (slow-request ratio), got ${rule.slowRatioThreshold}`,
        };
      }
      return undefined;
    case DegradeGrade.EXCEPTION_RATIO:
      if (rule.count > 1) {
        return {
          field: 'count',
          message: `must be a ratio in [0, 1] for grade 1 (exception ratio), got ${rule.count}`,
        };
      }
      return undefined;
    case DegradeGrade.EXCEPTION_COUNT:
      return undefined;
    default:
      return {
        field: 'grade',
        message: `must be 0 (slow-request ratio), 1 (exception ratio) or 2 (exception count), got ${String(rule.grade)}`,
      };
  }
}

/** Throws `InvalidRuleError` naming the first field `DegradeRuleManager.isValidRule` would refuse. */
export function assertValidDegradeRule(rule: DegradeRule): void {
  const p = degradeRuleProblem(rule);
  if (p) throw new InvalidRuleError('DegradeRule', p.field, p.message);
}

/** `DegradeRule.equals`: resource, limitApp and the six numeric fields. */
export function sameDegradeRule(a: DegradeRule, b: DegradeRule): boolean {
  return (
    a.resource === b.resource &&
    a.limitApp === b.limitApp &&
    Object.is(a.count, b.count) &&
    a.timeWindowMs === b.timeWindowMs &&
    a.grade === b.grade &&
    a.minRequestAmount === b.minRequestAmount &&
    Object.is(a.slowRatioThreshold, b.slowRatioThreshold) &&
    a.statIntervalMs === b.statIntervalMs
  );
}

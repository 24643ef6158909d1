/**
 * Sentinel's `BlockException` (sentinel-core/.../slots/block/BlockException.java): the request was
 * refused by a rule and never ran. Subclasses carry the rule that refused it
 * (`DegradeException` in ./degrade/, `FlowException` in ./flow/).
 */
export abstract class BlockException extends Error {
  /** The rule that refused the request. */
  abstract readonly rule: { readonly resource: string; readonly limitApp: string };
  /** `BlockException.getRuleLimitApp()`: the refusing rule's origin, always `'default'` here. */
  get ruleLimitApp(): string {
    return this.rule.limitApp;
  }
}

/** A rule that `DegradeRuleManager.isValidRule` (or `FlowRuleUtil.isValidRule`) would refuse. */
export class InvalidRuleError extends Error {
  override readonly name = 'InvalidRuleError';
  /** The offending field, e.g. `'timeWindowMs'`. */
  readonly field: string;
  constructor(kind: string, field: string, message: string) {
    super(`${kind}.${field}: ${message}`);
    this.field = field;
  }
}

import type { DegradeRule } from './rule.ts';

/**
 * Sentinel's `BlockException` (sentinel-core/.../slots/block/BlockException.java): the request was
 * refused by a rule and never ran. Subclasses carry the rule that refused it.
 */
export abstract class BlockException extends Error {
  /** The rule that refused the request. */
  abstract readonly rule: { readonly resource: string; readonly limitApp: string };
  /** `BlockException.getRuleLimitApp()`: the refusing rule's origin, always `'default'` here. */
  get ruleLimitApp(): string {
    return this.rule.limitApp;
  }
}

/** Refused by an OPEN (or HALF_OPEN, probe already out) circuit breaker (`DegradeException`). */
export class DegradeException extends BlockException {
  override readonly name = 'DegradeException';
  /** The degrade rule whose breaker refused the request. */
  readonly rule: DegradeRule;
  constructor(rule: DegradeRule) {
    super(`Circuit breaker for resource '${rule.resource}' (grade ${rule.grade}) refused the request`);
    this.rule = rule;
  }
}

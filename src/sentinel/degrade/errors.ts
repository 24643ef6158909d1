import { BlockException } from '../errors.ts';
import type { DegradeRule } from './rule.ts';

/**
 * Refused by an OPEN (or HALF_OPEN, probe already out) circuit breaker (`DegradeException`,
 * sentinel-core/.../slots/block/degrade/DegradeException.java).
 */
export class DegradeException extends BlockException {
  override readonly name = 'DegradeException';
  /** The degrade rule whose breaker refused the request. */
  readonly rule: DegradeRule;
  constructor(rule: DegradeRule) {
    super(`Circuit breaker for resource '${rule.resource}' (grade ${rule.grade}) refused the request`);
    this.rule = rule;
  }
}

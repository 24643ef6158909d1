import { BlockException } from '../errors.ts';
import type { FlowRule } from './rule.ts';

/** Refused by a flow rule (`FlowException`, sentinel-core/.../slots/block/flow/FlowException.java). */
export class FlowException extends BlockException {
  override readonly name = 'FlowException';
  /** The flow rule that refused the request. */
  readonly rule: FlowRule;
  constructor(rule: FlowRule) {
    super(
      `Flow rule for resource '${rule.resource}' (grade ${rule.grade}, count ${rule.count}) refused the request`,
    );
    this.rule = rule;
  }
}

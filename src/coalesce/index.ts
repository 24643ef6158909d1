export type { Coalesced, CoalescerOptions, CoalescerPorts, CoalescerVariant } from './coalescer.ts';
export { Coalescer, promptMergeKey } from './coalescer.ts';

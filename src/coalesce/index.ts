export type { Coalesced, CoalescerOptions, CoalescerPorts, CoalescerVariant } from './coalescer.ts';
export { Coalescer, hashPrompt } from './coalescer.ts';

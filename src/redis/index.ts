// Redis helpers components use directly (no I/O).
export { CLUSTER_SLOTS, crc16, keyHashSlot } from './key-hash-slot.ts';

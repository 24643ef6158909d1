export {
  DEFAULT_SIZES,
  formatHitRateTable,
  HIT_RATE_SEED,
  type HitRateRow,
  loadTrace,
  SYNTHETIC_TRACES,
  type SyntheticTraceName,
  simulateHitRates,
} from './hit-rate.ts';
export {
  beladyPolicy,
  defaultPolicies,
  localCachePolicy,
  type ReplayPolicy,
} from './policies.ts';
export {
  decodeInt32BigEndian,
  distinctKeys,
  type KeyTrace,
  loopTrace,
  REAL_TRACES,
  REAL_TRACES_DIR,
  type RealTraceName,
  readRealTrace,
  readTraceFile,
  realTracePath,
  scanZipfTrace,
  zipfTrace,
} from './traces.ts';

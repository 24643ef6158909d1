// Redis + Lua rate limiters.
export type {
  RateLimitDecision,
  RedisLimiterAlgorithm,
  RedisLimiterOptions,
  RedisLimiterPorts,
} from './redis-limiter.ts';
export { RedisLimiter } from './redis-limiter.ts';
export {
  FIXED_WINDOW_SCRIPT,
  GCRA_SCRIPT,
  SLIDING_COUNTER_SCRIPT,
  SLIDING_LOG_SCRIPT,
  TOKEN_BUCKET_SCRIPT,
} from './scripts.ts';

// The token bucket's public names. Sentinel's flow rules live in ./flow/ (exported by their owner).
export type { TokenBucketOptions, TokenBucketPorts, TokenBucketVariant } from './token-bucket.ts';
export { TokenBucket } from './token-bucket.ts';

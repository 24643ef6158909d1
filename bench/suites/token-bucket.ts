import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Simulation } from '../../sim/kernel/simulation.ts';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import { TokenBucket, type TokenBucketVariant } from '../../src/limit/token-bucket.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// tryAcquire throughput next to rate-limiter-flexible's in-memory limiter, on the real clock
// (both read Date.now per call). The peer's public API is async (`consume` returns a promise that
// rejects when over the limit); it has no public synchronous path, so a second case measures its
// private synchronous core `_memoryStorage.incrby`, which `consume` wraps. Limits are set so every
// call is admitted on both sides: the per-call work is the comparison, not rejection handling.
const N = 1_000_000;
const clock = new SystemClock();

function oursSync(variant: TokenBucketVariant): () => Promise<Measurement> {
  return async () => {
    const bucket = new TokenBucket(
      { capacity: 1_000_000_000, refillTokensPerSecond: 1_000_000, variant },
      { clock },
    );
    let admitted = 0;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) if (bucket.tryAcquire()) admitted++;
    const ms = performance.now() - t0;
    if (admitted !== N) throw new Error(`bench: expected every call admitted, got ${admitted}`);
    return { ops: N, ms };
  };
}

async function oursAwaited(): Promise<Measurement> {
  const bucket = new TokenBucket({ capacity: 1_000_000_000, refillTokensPerSecond: 1_000_000 }, { clock });
  const acquire = async () => bucket.tryAcquire();
  let admitted = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) if (await acquire()) admitted++;
  const ms = performance.now() - t0;
  if (admitted !== N) throw new Error(`bench: expected every call admitted, got ${admitted}`);
  return { ops: N, ms };
}

async function peerConsume(): Promise<Measurement> {
  const limiter = new RateLimiterMemory({ points: 1_000_000_000, duration: 1_000 });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await limiter.consume('k');
  return { ops: N, ms: performance.now() - t0 };
}

interface MemoryCore {
  _memoryStorage: { incrby(key: string, value: number, durationSec: number): { consumedPoints: number } };
}

async function peerSyncCore(): Promise<Measurement> {
  const limiter = new RateLimiterMemory({ points: 1_000_000_000, duration: 1_000 });
  const storage = (limiter as unknown as MemoryCore)._memoryStorage;
  const points = limiter.points;
  let admitted = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) if (storage.incrby('rlflx:k', 1, 1_000).consumedPoints <= points) admitted++;
  const ms = performance.now() - t0;
  if (admitted !== N) throw new Error(`bench: expected every call admitted, got ${admitted}`);
  return { ops: N, ms };
}

// Effective admitted rate under one offered load, on virtual time: the "ops" are admitted
// requests and the "ms" are VIRTUAL milliseconds, so the printed rate is admitted per virtual
// second. Capacity 10, refillTokensPerSecond 10/s, 100 req/s offered as 3 requests every 30 ms, for 600 s.
function admittedPerVirtualSecond(variant: TokenBucketVariant): () => Promise<Measurement> {
  return async () => {
    const sim = new Simulation({ seed: 'bench-token-bucket' });
    const bucket = new TokenBucket(
      { capacity: 10, refillTokensPerSecond: 10, variant },
      { clock: sim.clock },
    );
    let admitted = 0;
    const durationMs = 600_000;
    sim.spawn(async () => {
      for (let t = 0; t < durationMs; t += 30) {
        for (let i = 0; i < 3; i++) if (bucket.tryAcquire()) admitted++;
        await sim.clock.sleep(30);
      }
    });
    await sim.run();
    return { ops: admitted, ms: durationMs };
  };
}

export const cases: BenchCase[] = [
  {
    name: `token bucket: tryAcquire/s, sync call vs the peer's public async consume (${N.toLocaleString('en')} calls, all admitted)`,
    unit: 'calls/s',
    ours: { label: 'hasim TokenBucket exact (sync)', run: oursSync('exact') },
    peer: { label: 'rate-limiter-flexible Memory consume', run: peerConsume },
    targets: { minRatio: 1 },
  },
  {
    name: 'token bucket: tryAcquire/s, both awaited (ours wrapped in an async function)',
    unit: 'calls/s',
    ours: { label: 'hasim TokenBucket exact (awaited)', run: oursAwaited },
    peer: { label: 'rate-limiter-flexible Memory consume', run: peerConsume },
    targets: { minRatio: 1 },
  },
  {
    name: "token bucket: tryAcquire/s vs the peer's private sync core (_memoryStorage.incrby)",
    unit: 'calls/s',
    ours: { label: 'hasim TokenBucket exact (sync)', run: oursSync('exact') },
    peer: { label: 'rlflx MemoryStorage.incrby (private)', run: peerSyncCore },
    targets: { minRatio: 1 },
  },
  {
    name: 'token bucket: seed variant tryAcquire/s vs exact (same bucket, all admitted)',
    unit: 'calls/s',
    ours: { label: 'hasim TokenBucket exact', run: oursSync('exact') },
    peer: { label: 'hasim TokenBucket seed', run: oursSync('seed') },
  },
  {
    name: 'token bucket: ADMITTED per VIRTUAL second, capacity 10, 10/s, offered 3 every 30 ms (100/s), 600 s',
    unit: 'admitted/virtual s',
    ours: { label: 'hasim TokenBucket exact', run: admittedPerVirtualSecond('exact') },
    peer: { label: 'hasim TokenBucket seed (article)', run: admittedPerVirtualSecond('seed') },
  },
];

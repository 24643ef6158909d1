import { bulkhead } from 'cockatiel';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import { ThreadPoolExecutor } from '../../src/executor/thread-pool-executor.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Task throughput of a bounded pool: trivial async tasks submitted in batches to 10 workers with an
// unbounded queue, each batch awaited. The 200,000-at-once case shows queue scaling (the peer's
// queue is an array it shifts from, so a deep backlog costs it O(n) per task). Ours: ThreadPoolExecutor core = max = 10 (core threads wait
// untimed, so no keep-alive timers are armed). Peer: cockatiel's BulkheadPolicy(10, Infinity),
// the nearest JS counterpart (a concurrency limit with a queue).
const N = 200_000;
const clock = new SystemClock();

// `batch` tasks submitted at once, awaited, repeated until N tasks have run.
function ours(batch: number): () => Promise<Measurement> {
  return async () => {
    const pool = new ThreadPoolExecutor({ corePoolSize: 10, maxPoolSize: 10 }, { clock });
    const results: Array<Promise<number>> = new Array(batch);
    const t0 = performance.now();
    for (let done = 0; done < N; done += batch) {
      for (let i = 0; i < batch; i++) results[i] = pool.execute(async () => i);
      await Promise.all(results);
    }
    const ms = performance.now() - t0;
    if (pool.completedTaskCount !== N) throw new Error(`bench: ${pool.completedTaskCount} of ${N} completed`);
    return { ops: N, ms };
  };
}

function peer(batch: number): () => Promise<Measurement> {
  return async () => {
    const policy = bulkhead(10, Number.POSITIVE_INFINITY);
    const results: Array<Promise<number>> = new Array(batch);
    const t0 = performance.now();
    for (let done = 0; done < N; done += batch) {
      for (let i = 0; i < batch; i++) results[i] = policy.execute(async () => i);
      await Promise.all(results);
    }
    return { ops: N, ms: performance.now() - t0 };
  };
}

export const cases: BenchCase[] = [1_000, N].map(
  (batch): BenchCase => ({
    name: `executor: tasks/s through a 10-worker pool, unbounded queue, ${batch.toLocaleString('en')} tasks submitted at once (${N.toLocaleString('en')} in all)`,
    unit: 'tasks/s',
    ours: { label: 'hasim ThreadPoolExecutor', run: ours(batch) },
    peer: { label: 'cockatiel bulkhead(10, Infinity)', run: peer(batch) },
    targets: { minRatio: 1 },
  }),
);

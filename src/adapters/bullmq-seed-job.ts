// What one seed job does inside a `hasim worker` thread (loaded by bullmq-seed-processor.mjs):
// read the sweep's scenario from the parent job, run the seed, record the run, return the result.
// A seed whose expectation broke returns normally; only a failure of the infrastructure (the
// queue's Redis, the runner module) throws, and BullMQ retries those.
import { workerData } from 'node:worker_threads';
import { Job, Queue, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import type { SeedOutcome, SeedRunner } from '../ports/sweep-queue.ts';
import { seedKey } from '../ports/sweep-queue.ts';
import { runKeys, type SeedJobData, SWEEPS_QUEUE, type SweepJobData } from './bullmq-sweep-queue.ts';

/** What `BullmqSweepWorker` hands each thread (as `workerData`). */
export interface SeedThreadConfig {
  /** The queue's Redis. */
  readonly url: string;
  readonly prefix: string;
  /** File URL of the module whose `runSeedTask` export runs a seed. */
  readonly runnerModule: string;
}

/** Sweeps whose scenario a thread keeps; a worker serves one sweep at a time in the usual case. */
const SWEEPS_CACHED_MAX = 4;

interface ThreadState {
  readonly client: Redis;
  readonly sweeps: Queue;
  readonly run: SeedRunner<SeedOutcome>;
}

let state: Promise<ThreadState> | undefined;
const sweepCache = new Map<string, Promise<SweepJobData>>();

async function openState(config: SeedThreadConfig): Promise<ThreadState> {
  const client = new Redis(config.url, { maxRetriesPerRequest: null });
  const sweeps = new Queue(SWEEPS_QUEUE, { connection: client, prefix: config.prefix });
  const runner = (await import(config.runnerModule)) as { runSeedTask?: SeedRunner<SeedOutcome> };
  if (typeof runner.runSeedTask !== 'function') {
    throw new TypeError(`${config.runnerModule}: exports no runSeedTask function`);
  }
  return { client, sweeps, run: runner.runSeedTask };
}

async function sweepData(sweeps: Queue, sweepId: string): Promise<SweepJobData> {
  let data = sweepCache.get(sweepId);
  if (data === undefined) {
    data = Job.fromId<SweepJobData>(sweeps, sweepId).then((parent) => {
      if (parent === undefined) throw new Error(`sweep '${sweepId}' has no parent job in ${SWEEPS_QUEUE}`);
      return parent.data;
    });
    data.catch(() => sweepCache.delete(sweepId));
    sweepCache.set(sweepId, data);
    const oldest = sweepCache.keys().next().value;
    if (sweepCache.size > SWEEPS_CACHED_MAX && oldest !== undefined) sweepCache.delete(oldest);
  }
  return data;
}

/**
 * Records one finished run of a seed, atomically: counts the run; keeps the first run's trace hash
 * (HSETNX) and counts the seed as failing if that run was; appends a later run whose hash differs.
 * Returns 1 for a first run, 0 for a later run that agreed, -1 for one that did not.
 */
const RECORD_RUN = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  if ARGV[3] ~= 'pass' then redis.call('HINCRBY', KEYS[3], 'failing', 1) end
  return 1
end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  redis.call('RPUSH', KEYS[4], ARGV[4])
  return -1
end
return 0`;

/** The sandboxed processor: BullMQ calls it with a copy of the seed job. */
export async function processSeedJob(job: SandboxedJob<SeedJobData, SeedOutcome>): Promise<SeedOutcome> {
  const config = workerData as SeedThreadConfig;
  if (state === undefined) {
    state = openState(config);
    // A failed start (the runner module, the connection) is retried by the next job, not cached.
    state.catch(() => {
      state = undefined;
    });
  }
  const { client, sweeps, run } = await state;
  const { sweepId, seed } = job.data;
  const sweep = await sweepData(sweeps, sweepId);
  const result = await run({
    sweepId,
    scenarioPath: sweep.scenarioPath,
    scenarioText: sweep.scenarioText,
    seed,
    ...(sweep.limits === undefined ? {} : { limits: sweep.limits }),
  });
  await recordRun(client, runKeys(sweepId, config.prefix), result);
  return result;
}

/**
 * Records one finished run of a seed (see RECORD_RUN): 1 for the seed's first run, 0 for a later
 * run that agreed with it, -1 for one whose trace hash differed.
 */
export async function recordRun(
  client: Redis,
  keys: ReturnType<typeof runKeys>,
  result: Pick<SeedOutcome, 'seed' | 'verdict' | 'traceHash'>,
): Promise<number> {
  const { seed, traceHash, verdict } = result;
  const answer = await client.eval(
    RECORD_RUN,
    4,
    keys.runs,
    keys.hashes,
    keys.counts,
    keys.differing,
    seedKey(seed),
    traceHash,
    verdict,
    JSON.stringify({ seed, traceHash }),
  );
  return Number(answer);
}

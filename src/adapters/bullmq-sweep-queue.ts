// SweepQueue over BullMQ 6.7.0 on a standalone Redis (scripts/backends.sh starts one on 6390 with
// noeviction and AOF, the two settings BullMQ's "Going to production" guide asks for).
//
// Layout, after BullMQ's flow guide (docs.bullmq.io/guide/flows): one parent job per sweep in the
// queue `hasim-sweeps`, with the scenario text and the seed list as its data, and one child per
// seed in `hasim-seeds` with `jobId = <sweepId>-<seedKey>`. BullMQ ignores a job whose id exists
// (guide/jobs/job-ids), so submitting a sweep twice adds nothing. Nobody processes the parent: it
// only gathers its children's return values (`getChildrenValues`) and, since each child has
// `ignoreDependencyOnFailure`, the failures of seeds that ran out of retries
// (`getIgnoredChildrenFailures`). A seed whose expectation broke is a child that completed.
//
// Beside BullMQ's keys, every finished run of a seed is recorded (src/adapters/bullmq-seed-job.ts)
// in three hashes and a list under `<prefix>-sweep:<sweepId>:`: runs per seed, the first run's
// trace hash, and the runs whose hash differed. That turns at-least-once delivery into a
// determinism check.
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, Job, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import {
  type CollectOptions,
  checkSweepRequest,
  type LostSeed,
  type NondeterministicSeed,
  type SeedOutcome,
  type SeedValue,
  type SubmitReceipt,
  SWEEP_IDLE_MS,
  type SweepQueue,
  SweepQueueError,
  type SweepRequest,
  type SweepResults,
  seedKey,
} from '../ports/sweep-queue.ts';

/** The queue holding one parent job per sweep. */
export const SWEEPS_QUEUE = 'hasim-sweeps';
/** The queue holding one job per seed; `hasim worker` takes from it. */
export const SEEDS_QUEUE = 'hasim-seeds';
/** BullMQ's key prefix for both queues. @defaultValue */
export const QUEUE_PREFIX = 'hasim';

/** Default limit on reaching the queue's Redis, in ms (`--connect-timeout-ms`). */
export const QUEUE_CONNECT_TIMEOUT_MS = 5_000;

/** Attempts of a seed job: the first run and two retries, for infrastructure failures only. */
export const SEED_ATTEMPTS = 3;
/** First retry delay of a seed job, in ms; doubles per retry (BullMQ's exponential backoff). */
export const SEED_RETRY_DELAY_MS = 1_000;

/** The parent job's data: everything a worker or a collector needs to know about the sweep. */
export type SweepJobData = Omit<SweepRequest, 'sweepId'>;

/** A seed job's data: the seed and its sweep (the scenario is in the parent's data). */
export interface SeedJobData {
  readonly sweepId: string;
  readonly seed: SeedValue;
}

/** The keys of a sweep's run records. */
export function runKeys(sweepId: string, prefix = QUEUE_PREFIX) {
  const base = `${prefix}-sweep:${sweepId}`;
  return {
    /** Hash: seed key -> runs finished. */
    runs: `${base}:runs`,
    /** Hash: seed key -> the first run's trace hash. */
    hashes: `${base}:hashes`,
    /** Hash: `failing` -> seeds whose first run was `fail` or `error`. */
    counts: `${base}:counts`,
    /** List of JSON `{seed, traceHash}`: every later run whose hash differed from the first. */
    differing: `${base}:differing`,
  } as const;
}

/** The job id of one seed of a sweep. */
export function seedJobId(sweepId: string, seed: SeedValue): string {
  return `${sweepId}-${seedKey(seed)}`;
}

/** Options of {@link BullmqSweepQueue} and {@link BullmqSweepWorker}. */
export interface BullmqConnectionOptions {
  /** The queue's Redis, `redis://host:port[/db]` (or `rediss://`). */
  readonly url: string;
  /** Limit on connecting to it, in ms. @defaultValue {@link QUEUE_CONNECT_TIMEOUT_MS} */
  readonly connectTimeoutMs?: number;
  /** Key prefix of the queues. @defaultValue {@link QUEUE_PREFIX} */
  readonly prefix?: string;
}

/** Throws a `RangeError` unless `url` is a `redis://` or `rediss://` URL with a host. */
export function checkQueueUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`queue URL: expected redis://host:port (got '${url.slice(0, 80)}')`);
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new RangeError(`queue URL: expected redis://host:port (got '${url.slice(0, 80)}')`);
  }
  return parsed;
}

/** Where a URL points, without its password, for messages. */
export function queueName(url: string): string {
  const parsed = checkQueueUrl(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * Connects to the queue's Redis and checks it answers PING, within `timeoutMs`; a client that
 * BullMQ can share (`maxRetriesPerRequest: null`, as BullMQ requires of worker connections).
 * Throws a {@link SweepQueueError} naming the URL, the limit and the cause.
 */
export async function connectQueue(options: BullmqConnectionOptions): Promise<Redis> {
  checkQueueUrl(options.url);
  const timeoutMs = options.connectTimeoutMs ?? QUEUE_CONNECT_TIMEOUT_MS;
  const settings: RedisOptions = {
    maxRetriesPerRequest: null,
    connectTimeout: timeoutMs,
    lazyConnect: true,
    // No reconnection while connecting: an unreachable queue is reported, not waited for.
    retryStrategy: () => null,
    // ioredis's default of 2000 ms keeps a process that gave up alive that long for nothing.
    disconnectTimeout: 200,
  };
  const client = new Redis(options.url, settings);
  let cause = 'no answer';
  client.on('error', (error: NodeJS.ErrnoException) => {
    cause = error.code ?? error.message;
  });
  const timer = sleep(timeoutMs, 'timeout', { ref: false });
  try {
    const answer = await Promise.race([client.connect().then(() => client.ping()), timer]);
    if (answer !== 'PONG') throw new Error(answer === 'timeout' ? 'no answer' : String(answer));
  } catch (error) {
    client.disconnect();
    const why = cause !== 'no answer' ? cause : (error as Error).message;
    throw new SweepQueueError(
      `cannot reach the sweep queue at ${queueName(options.url)} within ${timeoutMs} ms (${why}; limit --connect-timeout-ms)`,
    );
  }
  // Connected: from now on a lost connection is retried, as BullMQ expects of its clients.
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  return client;
}

/** The submitting side of a sweep on BullMQ. */
export class BullmqSweepQueue<R extends SeedOutcome> implements SweepQueue<R> {
  private readonly prefix: string;
  private readonly flows: FlowProducer;
  private readonly sweeps: Queue;

  private constructor(
    private readonly client: Redis,
    options: BullmqConnectionOptions,
    /** Interval between two looks at a sweep's progress, in ms. */
    private readonly pollMs: number,
  ) {
    this.prefix = options.prefix ?? QUEUE_PREFIX;
    this.flows = new FlowProducer({ connection: client, prefix: this.prefix });
    this.sweeps = new Queue(SWEEPS_QUEUE, { connection: client, prefix: this.prefix });
  }

  /** Connects (bounded by `connectTimeoutMs`) and returns the queue. */
  static async open<R extends SeedOutcome>(
    options: BullmqConnectionOptions & {
      /** Interval between two looks at a sweep's progress, in ms. @defaultValue 200 */
      readonly pollMs?: number;
    },
  ): Promise<BullmqSweepQueue<R>> {
    return new BullmqSweepQueue<R>(await connectQueue(options), options, options.pollMs ?? 200);
  }

  async submit(request: SweepRequest): Promise<SubmitReceipt> {
    checkSweepRequest(request);
    const { sweepId, seeds } = request;
    if ((await Job.fromId(this.sweeps, sweepId)) !== undefined) {
      return { sweepId, seeds: seeds.length, created: false };
    }
    const data: SweepJobData = {
      scenarioPath: request.scenarioPath,
      scenarioText: request.scenarioText,
      seeds,
      ...(request.limits === undefined ? {} : { limits: request.limits }),
    };
    await this.flows.add({
      name: 'sweep',
      queueName: SWEEPS_QUEUE,
      data,
      opts: { jobId: sweepId },
      children: seeds.map((seed) => ({
        name: 'seed',
        queueName: SEEDS_QUEUE,
        data: { sweepId, seed } satisfies SeedJobData,
        opts: {
          jobId: seedJobId(sweepId, seed),
          attempts: SEED_ATTEMPTS,
          backoff: { type: 'exponential', delay: SEED_RETRY_DELAY_MS },
          // A seed that ran out of retries must not hold the sweep's report back.
          ignoreDependencyOnFailure: true,
        },
      })),
    });
    return { sweepId, seeds: seeds.length, created: true };
  }

  async collect(sweepId: string, options: CollectOptions = {}): Promise<SweepResults<R>> {
    const parent = await Job.fromId<SweepJobData>(this.sweeps, sweepId);
    if (parent === undefined) {
      throw new SweepQueueError(`sweep '${sweepId}' is not in the queue (never submitted, or removed)`);
    }
    const { seeds } = parent.data;
    const keys = runKeys(sweepId, this.prefix);
    const idleMs = options.idleMs ?? SWEEP_IDLE_MS;
    let done = -1;
    let lastChangeMs = performance.now();
    for (;;) {
      const counts = await parent.getDependenciesCount();
      const now = (counts.processed ?? 0) + (counts.ignored ?? 0) + (counts.failed ?? 0);
      const failing = Number((await this.client.hget(keys.counts, 'failing')) ?? 0);
      options.onProgress?.({ seeds: seeds.length, done: now, failing });
      if ((counts.unprocessed ?? 0) === 0) break;
      if (now !== done) {
        done = now;
        lastChangeMs = performance.now();
      } else if (performance.now() - lastChangeMs > idleMs) {
        throw new SweepQueueError(
          `no seed of sweep '${sweepId}' finished in ${idleMs} ms (${done} of ${seeds.length} done): is a hasim worker running? (limit --idle-ms)`,
        );
      }
      await sleep(this.pollMs);
    }
    return this.gather(parent, keys);
  }

  /** Reads a finished sweep: one result or one loss per seed, and the determinism check. */
  private async gather(
    parent: Job<SweepJobData>,
    keys: ReturnType<typeof runKeys>,
  ): Promise<SweepResults<R>> {
    const sweepId = parent.id as string;
    const { seeds, scenarioPath } = parent.data;
    const childPrefix = `${this.prefix}:${SEEDS_QUEUE}:${sweepId}-`;
    const bySeedKey = (jobKey: string) =>
      jobKey.startsWith(childPrefix) ? jobKey.slice(childPrefix.length) : '';
    const values = new Map<string, R>();
    for (const [jobKey, value] of Object.entries(await parent.getChildrenValues<R>())) {
      values.set(bySeedKey(jobKey), value);
    }
    const failures = new Map<string, string>();
    for (const [jobKey, reason] of Object.entries(await parent.getIgnoredChildrenFailures())) {
      failures.set(bySeedKey(jobKey), reason);
    }
    const results: R[] = [];
    const lost: LostSeed[] = [];
    for (const seed of seeds) {
      const value = values.get(seedKey(seed));
      if (value !== undefined) results.push(value);
      else
        lost.push({
          seed,
          reason: oneLine(failures.get(seedKey(seed)) ?? 'no result and no failure recorded'),
        });
    }
    const [runs, firstHashes, differing] = await Promise.all([
      this.client.hvals(keys.runs),
      this.client.hgetall(keys.hashes),
      this.client.lrange(keys.differing, 0, -1),
    ]);
    return {
      sweepId,
      scenarioPath,
      results,
      lost,
      nondeterministic: nondeterministicSeeds(seeds, firstHashes, differing),
      runs: runs.reduce((sum, n) => sum + Number(n), 0),
    };
  }

  /** Removes a sweep, its seeds' jobs and its run records (the ids can then be used again). */
  async forget(sweepId: string): Promise<void> {
    const parent = await Job.fromId(this.sweeps, sweepId);
    if (parent !== undefined) await parent.remove({ removeChildren: true });
    const keys = runKeys(sweepId, this.prefix);
    await this.client.del(keys.runs, keys.hashes, keys.counts, keys.differing);
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.sweeps.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Groups the recorded differing runs by seed, first hash first, in the order the seeds were submitted. */
function nondeterministicSeeds(
  seeds: readonly SeedValue[],
  firstHashes: Record<string, string>,
  differing: readonly string[],
): NondeterministicSeed[] {
  const later = new Map<string, string[]>();
  for (const line of differing) {
    const { seed, traceHash } = JSON.parse(line) as { seed: SeedValue; traceHash: string };
    const key = seedKey(seed);
    later.set(key, [...(later.get(key) ?? []), traceHash]);
  }
  return seeds.flatMap((seed) => {
    const hashes = later.get(seedKey(seed));
    return hashes === undefined ? [] : [{ seed, traceHashes: [firstHashes[seedKey(seed)] ?? '', ...hashes] }];
  });
}

function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

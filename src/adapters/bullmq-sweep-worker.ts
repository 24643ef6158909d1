// The running side of a BullMQ sweep: takes seed jobs from `hasim-seeds` and runs each in a
// sandboxed worker thread (bullmq-seed-processor.mjs), one seed per thread at a time.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SeedOutcome, SweepWorker } from '../ports/sweep-queue.ts';
import type { SeedThreadConfig } from './bullmq-seed-job.ts';
import {
  type BullmqConnectionOptions,
  connectQueue,
  QUEUE_PREFIX,
  SEEDS_QUEUE,
  type SeedJobData,
} from './bullmq-sweep-queue.ts';

/** The sandboxed processor file BullMQ loads in each worker thread. */
const PROCESSOR_FILE = fileURLToPath(new URL('./bullmq-seed-processor.mjs', import.meta.url));

/** Default lock of a seed job, in ms: BullMQ's own `lockDuration` default. */
export const SEED_LOCK_MS = 30_000;

/** Most seeds one worker runs at once (one worker thread each). */
export const WORKER_CONCURRENCY_MAX = 256;

/**
 * Times a seed job may be found stalled (its worker died holding it) before BullMQ fails it:
 * twice more than BullMQ's default of 1, so one crashed worker never costs a seed its result.
 */
export const SEED_STALLS_MAX = 3;

/** What a worker reports as it goes. */
export type SweepWorkerEvent =
  /** A seed finished with a result (`pass`, `fail` or `error`; `error` carries its line). */
  | {
      readonly kind: 'completed';
      readonly sweepId: string;
      readonly seed: string | number;
      readonly verdict: SeedOutcome['verdict'];
      readonly error?: string;
    }
  /** A run failed for a reason of the infrastructure; `retried` says whether BullMQ will try again. */
  | {
      readonly kind: 'failed';
      readonly sweepId: string;
      readonly seed: string | number;
      readonly attempt: number;
      readonly reason: string;
      readonly retried: boolean;
    }
  /** The queue's connection failed (ioredis reconnects by itself); `reason` is the error's code or message. */
  | { readonly kind: 'connection'; readonly reason: string };

/** Options of {@link BullmqSweepWorker.start}. */
export interface BullmqSweepWorkerOptions extends BullmqConnectionOptions {
  /** Seeds run at once, each in a worker thread of its own; 1 to {@link WORKER_CONCURRENCY_MAX}. */
  readonly concurrency: number;
  /** Absolute path of the module whose `runSeedTask` export runs one seed (a `SeedRunner`). */
  readonly runnerModule: string;
  /**
   * How long a seed job's lock lasts, in ms; renewed every half of it while the seed runs. A
   * worker that dies holding a seed gives it back this long after its last renewal.
   * @defaultValue {@link SEED_LOCK_MS}
   */
  readonly lockMs?: number;
  /** Called with each seed finished or failed. */
  readonly onEvent?: (event: SweepWorkerEvent) => void;
}

/** A `hasim worker`: see {@link BullmqSweepWorker.start}. */
export class BullmqSweepWorker implements SweepWorker {
  readonly ready: Promise<void>;

  private constructor(
    private readonly client: Redis,
    private readonly worker: Worker<SeedJobData, SeedOutcome>,
  ) {
    this.ready = worker.waitUntilReady().then(() => undefined);
  }

  /**
   * Connects (bounded by `connectTimeoutMs`; a `SweepQueueError` when the queue cannot be reached)
   * and starts taking seeds.
   */
  static async start(options: BullmqSweepWorkerOptions): Promise<BullmqSweepWorker> {
    const { concurrency } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > WORKER_CONCURRENCY_MAX) {
      throw new RangeError(
        `BullmqSweepWorker.concurrency: expected an integer from 1 to ${WORKER_CONCURRENCY_MAX} (got ${concurrency})`,
      );
    }
    const lockMs = options.lockMs ?? SEED_LOCK_MS;
    if (!Number.isInteger(lockMs) || lockMs < 1_000) {
      throw new RangeError(
        `BullmqSweepWorker.lockMs: expected an integer number of ms >= 1000 (got ${lockMs})`,
      );
    }
    const client = await connectQueue(options);
    const prefix = options.prefix ?? QUEUE_PREFIX;
    const config: SeedThreadConfig = {
      url: options.url,
      prefix,
      runnerModule: pathToFileURL(options.runnerModule).href,
    };
    const worker = new Worker<SeedJobData, SeedOutcome>(SEEDS_QUEUE, PROCESSOR_FILE, {
      connection: client,
      prefix,
      concurrency,
      useWorkerThreads: true,
      workerThreadsOptions: { workerData: config },
      lockDuration: lockMs,
      // Other workers look for seeds whose lock lapsed this often: a crashed worker's seed is
      // back in the queue between lockMs and twice lockMs after the crash.
      stalledInterval: lockMs,
      maxStalledCount: SEED_STALLS_MAX,
    });
    const report = options.onEvent;
    if (report !== undefined) {
      worker.on('completed', (job: Job<SeedJobData, SeedOutcome>, result: SeedOutcome) => {
        const error = (result as { error?: unknown }).error;
        report({
          kind: 'completed',
          sweepId: job.data.sweepId,
          seed: job.data.seed,
          verdict: result.verdict,
          ...(typeof error === 'string' ? { error } : {}),
        });
      });
      worker.on('failed', (job: Job<SeedJobData, SeedOutcome> | undefined, error: Error) => {
        if (job === undefined) return;
        const attempts = job.opts.attempts ?? 1;
        report({
          kind: 'failed',
          sweepId: job.data.sweepId,
          seed: job.data.seed,
          attempt: job.attemptsMade,
          reason: error.message,
          retried: job.attemptsMade < attempts,
        });
      });
    }
    // Connection errors are retried by ioredis; BullMQ re-emits them here, and an 'error' event
    // without a listener would end the process.
    worker.on('error', (error: NodeJS.ErrnoException) => {
      report?.({ kind: 'connection', reason: error.code ?? error.message });
    });
    return new BullmqSweepWorker(client, worker);
  }

  /** BullMQ's id of this worker: the part before ':' of every lock it holds on a seed job. */
  get id(): string {
    return this.worker.id;
  }

  /** Finishes the seeds in hand, then closes the threads and the connection. */
  async close(): Promise<void> {
    await this.worker.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

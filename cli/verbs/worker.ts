import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkQueueUrl, QUEUE_CONNECT_TIMEOUT_MS, queueName } from '../../src/adapters/bullmq-sweep-queue.ts';
import {
  BullmqSweepWorker,
  SEED_LOCK_MS,
  type SweepWorkerEvent,
  WORKER_CONCURRENCY_MAX,
} from '../../src/adapters/bullmq-sweep-worker.ts';
import { SweepQueueError } from '../../src/ports/sweep-queue.ts';
import { type OptionSpec, type Parsed, parseAmount, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { out } from '../output.ts';

/** The module whose `runSeedTask` each worker thread runs seeds with. */
const RUNNER_MODULE = fileURLToPath(new URL('../sweep-task.ts', import.meta.url));

/** The flags that reach the sweep queue, shared by `hasim worker` and `hasim swarm --queue`. */
export const CONNECT_OPTION: OptionSpec = {
  name: 'connect-timeout-ms',
  type: 'string',
  value: 'MS',
  help: `limit on reaching the queue's Redis (default ${QUEUE_CONNECT_TIMEOUT_MS}); past it: one line, exit 1`,
};

/** `hasim worker`'s flags. */
export const WORKER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'queue',
    type: 'string',
    value: 'URL',
    help: "the sweep queue's Redis, e.g. redis://127.0.0.1:6390 (scripts/backends.sh up queue)",
  },
  {
    name: 'concurrency',
    type: 'string',
    value: 'K',
    help: `seeds run at once, one worker thread each (default: the cores, ${availableParallelism()} here; at most ${WORKER_CONCURRENCY_MAX})`,
  },
  {
    name: 'lock-ms',
    type: 'string',
    value: 'MS',
    help: `a seed's lock; a worker that dies gives its seeds back 1 to 2 times this later (default ${SEED_LOCK_MS})`,
  },
  CONNECT_OPTION,
];

/** `--queue URL`, checked: a `UsageError` when missing or not a redis:// URL. */
export function queueUrl(verb: string, parsed: Parsed, required: boolean): string | undefined {
  const url = stringValue(parsed, 'queue');
  if (url === undefined) {
    if (required)
      throw new UsageError(`hasim ${verb}: --queue URL is required (e.g. redis://127.0.0.1:6390)`);
    return undefined;
  }
  try {
    checkQueueUrl(url);
  } catch (error) {
    throw new UsageError(`hasim ${verb}: --queue: ${(error as Error).message.replace(/^queue URL: /, '')}`);
  }
  return url;
}

/** A flag in ms or a count, if given. */
export function amountValue(verb: string, parsed: Parsed, name: string): number | undefined {
  const text = stringValue(parsed, name);
  return text === undefined ? undefined : parseAmount(verb, `--${name}`, text);
}

/**
 * `hasim worker --queue URL [--concurrency K] [--lock-ms MS] [--connect-timeout-ms MS]`: takes
 * seeds of any sweep from the queue and runs them until SIGINT or SIGTERM, then finishes the seeds
 * in hand and exits 0. A queue it cannot reach is one line and exit 1 (infrastructure); a bad flag
 * is one line and exit 2. A sweep whose scenario this hasim cannot parse does not stop the worker
 * (other sweeps may be fine): each of its seeds ends as an `error` result, the worker says so in
 * one line per sweep, and the submitting `hasim swarm --queue` ends with that line (docs/sweeps.md).
 */
export async function worker(parsed: Parsed): Promise<number> {
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `hasim worker: takes no file (got '${parsed.positionals[0]}'); scenarios come with the seeds`,
    );
  }
  const url = queueUrl('worker', parsed, true) as string;
  const concurrency = amountValue('worker', parsed, 'concurrency') ?? availableParallelism();
  if (concurrency > WORKER_CONCURRENCY_MAX) {
    throw new UsageError(
      `hasim worker: --concurrency: at most ${WORKER_CONCURRENCY_MAX} (got ${concurrency})`,
    );
  }
  const lockMs = amountValue('worker', parsed, 'lock-ms') ?? SEED_LOCK_MS;
  if (lockMs < 1_000) throw new UsageError(`hasim worker: --lock-ms: at least 1000 (got ${lockMs})`);
  const connectTimeoutMs = amountValue('worker', parsed, 'connect-timeout-ms');
  const tally = new WorkerTally();
  let running: BullmqSweepWorker;
  try {
    running = await BullmqSweepWorker.start({
      url,
      concurrency,
      lockMs,
      runnerModule: RUNNER_MODULE,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      onEvent: (event) => tally.note(event),
    });
    await running.ready;
  } catch (error) {
    if (!(error instanceof SweepQueueError)) throw error;
    errorLine(`hasim worker: ${error.message}`);
    return EXIT.failed;
  }
  out(
    `hasim worker: ready, taking seeds from ${queueName(url)}, ${concurrency} at a time (pid ${process.pid}, worker ${running.id})`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  out(`hasim worker: ${signal}: finishing the seeds in hand`);
  await running.close();
  out(`hasim worker: stopped; ${tally.line()}`);
  return EXIT.ok;
}

/** What a worker has done, and the one line per sweep it owes the user. */
class WorkerTally {
  readonly #verdicts = { pass: 0, fail: 0, error: 0 };
  #retries = 0;
  #lastConnectionError: string | undefined;
  /** Sweeps whose seeds could not run (reported once each); bounded like the thread's scenario cache. */
  readonly #reported = new Set<string>();

  note(event: SweepWorkerEvent): void {
    if (event.kind === 'completed') {
      this.#lastConnectionError = undefined;
      this.#verdicts[event.verdict]++;
      if (event.verdict === 'error' && !this.#reported.has(event.sweepId)) {
        if (this.#reported.size >= 1_000) this.#reported.clear();
        this.#reported.add(event.sweepId);
        errorLine(
          `hasim worker: sweep ${event.sweepId}: seed ${event.seed} could not run: ${event.error ?? 'no reason given'} (seeds that cannot run end as errors; not retried)`,
        );
      }
      return;
    }
    if (event.kind === 'connection') {
      // Once per cause in a row: a queue that is down for a minute is one line, not hundreds.
      if (event.reason !== this.#lastConnectionError)
        errorLine(`hasim worker: the queue's connection failed: ${event.reason} (reconnecting)`);
      this.#lastConnectionError = event.reason;
      return;
    }
    this.#lastConnectionError = undefined;
    if (event.retried) this.#retries++;
    errorLine(
      `hasim worker: sweep ${event.sweepId}: seed ${event.seed}: attempt ${event.attempt} failed: ${event.reason}${event.retried ? ' (retried)' : ' (given up)'}`,
    );
  }

  line(): string {
    const { pass, fail, error } = this.#verdicts;
    return `${pass + fail + error} seeds run (${pass} passed, ${fail} failed, ${error} could not run), ${this.#retries} retried`;
  }
}

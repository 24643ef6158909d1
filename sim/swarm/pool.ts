import { Worker } from 'node:worker_threads';
import type { SeedInput, SeedResult } from './seed-result.ts';

/** Worker threads a pool may hold, whatever `--workers` asks for. */
export const WORKERS_MAX = 256;

interface Task {
  readonly input: SeedInput;
  readonly resolve: (result: SeedResult) => void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
}

/**
 * Worker threads that run seeds, one seed per thread at a time (a seed is CPU-bound: one per core
 * uses every core, as a thread per CPU is what node:os availableParallelism() is for). `run` queues a seed and resolves with its result. A
 * thread that dies while it holds a seed gives that seed an `error` result and is replaced, so one
 * crash never loses or hangs a sweep.
 */
export class SeedPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  readonly #replay: (input: SeedInput) => string;
  #closed = false;
  #unrefIdle = false;

  /**
   * @param workers threads to start, in [1, WORKERS_MAX].
   * @param replay the replay command of a seed, for the result of a seed whose thread died.
   */
  constructor(workers: number, replay: (input: SeedInput) => string) {
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > WORKERS_MAX)
      throw new RangeError(`SeedPool: workers must be an integer in [1, ${WORKERS_MAX}], got ${workers}`);
    this.#replay = replay;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#start());
  }

  /** Threads in the pool. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * From now on an idle thread does not keep the process alive (a thread holding a seed still
   * does), for a caller that cannot close the pool, such as a benchmark that cannot see its last
   * round.
   */
  unrefIdle(): void {
    this.#unrefIdle = true;
    for (const slot of this.#slots) if (slot.task === undefined) slot.worker.unref();
  }

  /** Runs `input` on the next free thread. */
  run(input: SeedInput): Promise<SeedResult> {
    if (this.#closed) return Promise.reject(new Error('SeedPool: run after close'));
    return new Promise((resolve) => {
      this.#queue.push({ input, resolve });
      this.#dispatch();
    });
  }

  /** Stops every thread; seeds still queued are dropped (their promises never settle). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #start(): Slot {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
    if (this.#unrefIdle) worker.unref();
    const slot: Slot = { worker, task: undefined };
    worker.on('message', (result: SeedResult) => {
      const task = slot.task;
      slot.task = undefined;
      if (this.#unrefIdle) worker.unref();
      task?.resolve(result);
      this.#dispatch();
    });
    const died = (why: string) => {
      if (this.#closed) return;
      const task = slot.task;
      slot.task = undefined;
      worker.removeAllListeners();
      void worker.terminate();
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots[index] = this.#start();
      if (task !== undefined) {
        task.resolve({
          seed: task.input.seed,
          verdict: 'error',
          traceHash: '',
          virtualMs: 0,
          wallMs: 0,
          error: `the worker thread running this seed died: ${why}`,
          replay: this.#replay(task.input),
        });
      }
      this.#dispatch();
    };
    worker.on('error', (error) => died(error.message.split('\n')[0] ?? String(error)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return slot;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.task !== undefined) continue;
      const task = this.#queue.shift() as Task;
      slot.task = task;
      if (this.#unrefIdle) slot.worker.ref();
      slot.worker.postMessage(task.input);
    }
  }
}

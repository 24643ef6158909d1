import { assert } from '../assert.ts';
import { admitted, failed, type Outcome, refused } from '../outcome.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { nullTraceSink, type TraceSink } from '../ports/trace.ts';
import {
  type RejectedExecutionHandlerName,
  springTaskExecutorDefaults,
  type ThreadPoolExecutorOptions,
} from './options.ts';

/** What a task is told about where it runs. */
export interface TaskContext {
  /** The worker's name (`threadNamePrefix` + number), or `'caller'` when CallerRunsPolicy ran it. */
  readonly threadName: string;
}

/** Ports of `ThreadPoolExecutor`. */
export interface ThreadPoolExecutorPorts {
  /** Source of time for keep-alive. */
  readonly clock: Clock;
  /**
   * Where thread starts and exits, caller runs and rejections are reported (component
   * `'executor'`; kinds `worker-start`, `worker-exit`, `caller-runs`, `rejected`). @defaultValue nullTraceSink
   */
  readonly trace?: TraceSink;
}

/**
 * A task the executor did not run. `AbortPolicy` rejects with it as the JDK throws it; the
 * discard policies and a CallerRunsPolicy after shutdown, which in Java drop the task silently
 * (a `Future` from `submit` would then never complete), settle the task's promise with it and
 * `discarded: true` instead, so no caller waits forever.
 */
export class RejectedExecutionException extends Error {
  override readonly name = 'RejectedExecutionException';
  constructor(
    message: string,
    /** The policy that refused the task. */
    readonly policy: RejectedExecutionHandlerName,
    /** True when a policy silently dropped the task in Java (DiscardPolicy, DiscardOldestPolicy, CallerRuns after shutdown). */
    readonly discarded: boolean,
  ) {
    super(message);
  }
}

/** What a submission returns once `execute` has returned, in Java's sense (see `submit`). */
export interface Submitted<T> {
  /** The task's outcome: its value, its error, or a `RejectedExecutionException`. */
  readonly result: Promise<T>;
}

interface Job {
  readonly task: (context: TaskContext) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Set (before `reject`) when the rejection policy refused or dropped this job. */
  refusal: RejectedExecutionException | undefined;
}

/**
 * A worker thread's state: running a task, idle waiting on the queue (with its keep-alive timer
 * when the wait is timed), or exited.
 */
type WorkerPhase =
  | { readonly state: 'running' }
  | { readonly state: 'idle'; readonly timer: TimerHandle | undefined }
  | { readonly state: 'exited' };

interface Worker {
  readonly context: TaskContext;
  phase: WorkerPhase;
}

const RUNNING: WorkerPhase = { state: 'running' };
const IDLE_UNTIMED: WorkerPhase = { state: 'idle', timer: undefined };
const EXITED: WorkerPhase = { state: 'exited' };

// Cancels the keep-alive timer of an idle, timed worker.
function cancelTimer(w: Worker): void {
  if (w.phase.state === 'idle') w.phase.timer?.cancel();
}

// The queue compacts its backing array once this many slots at its head are spent (and they are
// more than half of it), so a long-lived queue neither grows without bound nor copies on every shift.
const COMPACT_AFTER_SHIFTS = 1024;

type RunState = 'RUNNING' | 'SHUTDOWN' | 'TERMINATED';

/** A FIFO of jobs with O(1) push and shift. */
class JobQueue {
  // Spent head slots are cleared to undefined so their jobs can be collected.
  #items: (Job | undefined)[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(job: Job): void {
    this.#items.push(job);
  }
  shift(): Job | undefined {
    const job = this.#items[this.#head];
    if (job === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    if (this.#head > COMPACT_AFTER_SHIFTS && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return job;
  }
}

/**
 * `java.util.concurrent.ThreadPoolExecutor` on the injected clock: workers are virtual threads
 * that run async tasks, a task holds its worker until its promise settles, and keep-alive is a
 * virtual timer. Rules follow OpenJDK `ThreadPoolExecutor.java` (`execute`, `addWorker`,
 * `runWorker`, `getTask`, `processWorkerExit`) and the four nested rejection policies.
 *
 * Invariants: `poolSize <= maxPoolSize`; `queueSize <= queueCapacity`; a task's promise always
 * settles (value, error, or `RejectedExecutionException`).
 */
export class ThreadPoolExecutor {
  /** Core pool size, in threads. */
  readonly corePoolSize: number;
  /** Maximum pool size, in threads. */
  readonly maxPoolSize: number;
  /** Queue capacity, in tasks (0: SynchronousQueue). */
  readonly queueCapacity: number;
  /** Keep-alive, in ms. */
  readonly keepAliveMs: number;
  /** Whether core threads time out too. */
  readonly allowCoreThreadTimeOut: boolean;
  /** The rejection policy. */
  readonly rejectedExecutionHandler: RejectedExecutionHandlerName;
  /** Prefix of worker names. */
  readonly threadNamePrefix: string;

  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #workers = new Set<Worker>();
  // Idle workers in the order they started waiting. LinkedBlockingQueue wakes waiters FIFO
  // (one ReentrantLock condition); a non-fair SynchronousQueue matches them LIFO (TransferStack).
  readonly #idle: Worker[] = [];
  readonly #queue = new JobQueue();
  #runState: RunState = 'RUNNING';
  #active = 0;
  #largest = 0;
  #completed = 0;
  #threadsCreated = 0;
  readonly #terminationWaiters: Array<() => void> = [];

  constructor(options: ThreadPoolExecutorOptions, ports: ThreadPoolExecutorPorts) {
    const o = { ...springTaskExecutorDefaults, ...definedOnly(options ?? {}) };
    const intField = (name: string, value: number, min: number) => {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new RangeError(`ThreadPoolExecutor: ${name} must be an integer >= ${min}, got ${value}`);
      }
    };
    intField('corePoolSize', o.corePoolSize, 0);
    intField('maxPoolSize', o.maxPoolSize, 1);
    intField('queueCapacity', o.queueCapacity, 0);
    // OpenJDK ThreadPoolExecutor constructor: IllegalArgumentException if maximumPoolSize < corePoolSize.
    if (o.maxPoolSize < o.corePoolSize) {
      throw new RangeError(
        `ThreadPoolExecutor: maxPoolSize (${o.maxPoolSize}) must be >= corePoolSize (${o.corePoolSize})`,
      );
    }
    if (!Number.isFinite(o.keepAliveMs) || o.keepAliveMs < 0) {
      throw new RangeError(`ThreadPoolExecutor: keepAliveMs must be >= 0 (ms), got ${o.keepAliveMs}`);
    }
    // OpenJDK allowCoreThreadTimeOut(true): "Core threads must have nonzero keep alive times".
    if (o.allowCoreThreadTimeOut && o.keepAliveMs <= 0) {
      throw new RangeError('ThreadPoolExecutor: allowCoreThreadTimeOut needs keepAliveMs > 0');
    }
    const handlers: readonly string[] = [
      'AbortPolicy',
      'CallerRunsPolicy',
      'DiscardPolicy',
      'DiscardOldestPolicy',
    ];
    if (!handlers.includes(o.rejectedExecutionHandler)) {
      throw new TypeError(
        `ThreadPoolExecutor: rejectedExecutionHandler must be one of ${handlers.join(', ')}, got ${String(o.rejectedExecutionHandler)}`,
      );
    }
    if (!ports?.clock) throw new TypeError('ThreadPoolExecutor: ports.clock is required');
    this.corePoolSize = o.corePoolSize;
    this.maxPoolSize = o.maxPoolSize;
    this.queueCapacity = o.queueCapacity;
    this.keepAliveMs = o.keepAliveMs;
    this.allowCoreThreadTimeOut = o.allowCoreThreadTimeOut;
    this.rejectedExecutionHandler = o.rejectedExecutionHandler;
    this.threadNamePrefix = String(o.threadNamePrefix);
    this.#clock = ports.clock;
    this.#trace = ports.trace ?? nullTraceSink;
  }

  /** Threads in the pool (`getPoolSize`); 0 once terminated. */
  get poolSize(): number {
    return this.#workers.size;
  }
  /** Threads running a task (`getActiveCount`). */
  get activeCount(): number {
    return this.#active;
  }
  /** Tasks waiting in the queue (`getQueue().size()`). */
  get queueSize(): number {
    return this.#queue.size;
  }
  /** Most threads ever in the pool at once (`getLargestPoolSize`). */
  get largestPoolSize(): number {
    return this.#largest;
  }
  /** Tasks run to completion by workers, failed ones included (`getCompletedTaskCount`); caller-run tasks are not counted. */
  get completedTaskCount(): number {
    return this.#completed;
  }
  /** `shutdown()` has been called. */
  get isShutdown(): boolean {
    return this.#runState !== 'RUNNING';
  }
  /** Shut down, the queue drained and every worker gone. */
  get isTerminated(): boolean {
    return this.#runState === 'TERMINATED';
  }

  /**
   * Submits `task` and returns a promise of its outcome. Like Java's `submit` (not `execute`):
   * a failing task rejects its promise and its worker carries on. A refused task rejects with
   * `RejectedExecutionException` (see the policies); under CallerRunsPolicy the promise settles
   * when the caller has run the task. Use `submit` to model the caller being blocked meanwhile.
   */
  execute<T>(task: (context: TaskContext) => Promise<T>): Promise<T> {
    return this.#execute(task).result;
  }

  /**
   * The guarded call's one shape: `admitted` with the task's value, `failed` with its error, or
   * `refused` by the `'pool'` when the rejection policy refused the task or dropped it
   * (AbortPolicy, the discard policies, CallerRunsPolicy after shutdown, a queued task that
   * DiscardOldestPolicy dropped). A task the caller ran (CallerRunsPolicy) is admitted or failed
   * like any other. Never rejects, except with a `TypeError` when `task` is not a function.
   */
  attempt<T>(task: (context: TaskContext) => Promise<T>): Promise<Outcome<T>> {
    const { result, job } = this.#execute(task);
    return result.then(
      (value) => admitted(value),
      (error: unknown) =>
        error !== undefined && error === job.refusal
          ? refused<T>({ by: 'pool', policy: job.refusal.policy })
          : failed<T>(error),
    );
  }

  /**
   * Submits `task` as a caller thread would: resolves when Java's `execute`/`submit` call would
   * return, carrying the task's `result`. That is at once when a worker or the queue took the
   * task, and only after the task has run when CallerRunsPolicy ran it on the caller, so a caller
   * that awaits `submit` before submitting again is held up exactly as the Java caller is.
   */
  async submit<T>(task: (context: TaskContext) => Promise<T>): Promise<Submitted<T>> {
    const { result, callerRun } = this.#execute(task);
    if (callerRun) await result.then(noop, noop);
    return { result };
  }

  /** Starts every missing core thread, idle (`prestartAllCoreThreads`). Returns how many it started. */
  prestartAllCoreThreads(): number {
    let n = 0;
    while (this.#runState === 'RUNNING' && this.#workers.size < this.corePoolSize) {
      this.#addWorker(undefined);
      n++;
    }
    return n;
  }

  /**
   * Stops accepting tasks (`shutdown`): queued tasks still run, idle threads end at once, busy
   * ones end when the queue is empty. Tasks submitted afterwards go to the rejection policy.
   */
  shutdown(): void {
    if (this.#runState !== 'RUNNING') return;
    this.#runState = 'SHUTDOWN';
    // interruptIdleWorkers: an idle worker's take()/poll() is interrupted; getTask sees SHUTDOWN
    // with an empty queue and returns null, so the worker exits.
    for (const w of this.#idle.splice(0)) this.#exit(w);
    this.#tryTerminate();
  }

  /** Resolves once the executor has terminated (after `shutdown`). */
  awaitTermination(): Promise<void> {
    if (this.#runState === 'TERMINATED') return Promise.resolve();
    return new Promise((resolve) => this.#terminationWaiters.push(resolve));
  }

  /** `toString` in the JDK's format, used in rejection messages. */
  toString(): string {
    const state = { RUNNING: 'Running', SHUTDOWN: 'Shutting down', TERMINATED: 'Terminated' }[this.#runState];
    return (
      `ThreadPoolExecutor[${state}, pool size = ${this.poolSize}, active threads = ${this.#active}, ` +
      `queued tasks = ${this.#queue.size}, completed tasks = ${this.#completed}]`
    );
  }

  // OpenJDK ThreadPoolExecutor.execute, step by step:
  //  1. fewer than corePoolSize threads → a new core thread with this task as its first task,
  //     even if other threads are idle;
  //  2. else offer to the queue; if no thread is left (corePoolSize 0), start one without a task;
  //  3. else (queue full) a new non-core thread with this task if below maximumPoolSize;
  //  4. else reject. A shut-down executor fails 1-3 and rejects.
  #execute<T>(task: (context: TaskContext) => Promise<T>): {
    result: Promise<T>;
    callerRun: boolean;
    job: Job;
  } {
    if (typeof task !== 'function')
      throw new TypeError('ThreadPoolExecutor.execute: task must be a function');
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const result = new Promise<T>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    const job: Job = { task, resolve, reject, refusal: undefined };
    if (this.#runState === 'RUNNING') {
      if (this.#workers.size < this.corePoolSize) {
        this.#addWorker(job);
        return { result, callerRun: false, job };
      }
      if (this.#offer(job)) {
        if (this.#workers.size === 0) this.#addWorker(undefined);
        return { result, callerRun: false, job };
      }
      if (this.#workers.size < this.maxPoolSize) {
        this.#addWorker(job);
        return { result, callerRun: false, job };
      }
    }
    return { result, callerRun: this.#reject(job), job };
  }

  // Returns whether the caller ran the task.
  #reject(job: Job): boolean {
    const policy = this.rejectedExecutionHandler;
    const running = this.#runState === 'RUNNING';
    this.#trace.emit('executor', 'rejected', {
      policy,
      running,
      poolSize: this.#workers.size,
      queueSize: this.#queue.size,
    });
    switch (policy) {
      case 'AbortPolicy':
        // AbortPolicy.rejectedExecution: throw new RejectedExecutionException("Task " + r + " rejected from " + e)
        refuse(job, new RejectedExecutionException(`Task rejected from ${this}`, policy, false));
        return false;
      case 'CallerRunsPolicy':
        // CallerRunsPolicy: `if (!e.isShutdown()) r.run();` on the submitting thread.
        if (running) {
          this.#trace.emit('executor', 'caller-runs');
          void invoke(job, CALLER).then((settle) => settle());
          return true;
        }
        refuse(job, discarded(policy, `after shutdown, CallerRunsPolicy drops the task (${this})`));
        return false;
      case 'DiscardPolicy':
        refuse(job, discarded(policy, `DiscardPolicy dropped the task (${this})`));
        return false;
      case 'DiscardOldestPolicy': {
        // DiscardOldestPolicy: `if (!e.isShutdown()) { e.getQueue().poll(); e.execute(r); }`
        if (!running) {
          refuse(job, discarded(policy, `after shutdown, DiscardOldestPolicy drops the task (${this})`));
          return false;
        }
        const oldest = this.#queue.shift();
        if (oldest === undefined) {
          // With nothing to poll (a SynchronousQueue with every thread busy) the JDK's retry is
          // rejected again and recurses: OpenJDK 17 throws StackOverflowError (checked here).
          // Drop the task instead, and say so.
          refuse(
            job,
            discarded(
              policy,
              `DiscardOldestPolicy found no queued task to drop; the JDK would recurse until StackOverflowError (${this})`,
            ),
          );
          return false;
        }
        refuse(
          oldest,
          discarded(policy, `DiscardOldestPolicy dropped this queued task for a newer one (${this})`),
        );
        const retry = this.#execute(job.task);
        retry.result.then(job.resolve, (error: unknown) => {
          if (error === retry.job.refusal) job.refusal = retry.job.refusal;
          job.reject(error);
        });
        return retry.callerRun;
      }
    }
  }

  // workQueue.offer(task): a LinkedBlockingQueue takes it while below capacity; a SynchronousQueue
  // takes it only if a thread is waiting to receive it.
  #offer(job: Job): boolean {
    if (this.queueCapacity === 0) {
      const w = this.#idle.pop();
      if (w === undefined) return false;
      this.#runOn(w, job);
      return true;
    }
    if (this.#queue.size >= this.queueCapacity) return false;
    this.#queue.push(job);
    assert(this.#queue.size <= this.queueCapacity, 'ThreadPoolExecutor: queueSize <= queueCapacity');
    const w = this.#idle.shift();
    if (w !== undefined) this.#runOn(w, this.#queue.shift()!);
    return true;
  }

  // addWorker: a new thread; it runs `first` before anything in the queue (runWorker).
  #addWorker(first: Job | undefined): void {
    const w: Worker = {
      context: { threadName: `${this.threadNamePrefix}${++this.#threadsCreated}` },
      phase: IDLE_UNTIMED,
    };
    this.#workers.add(w);
    assert(this.#workers.size <= this.maxPoolSize, 'ThreadPoolExecutor: poolSize <= maxPoolSize');
    if (this.#workers.size > this.#largest) this.#largest = this.#workers.size;
    this.#trace.emit('executor', 'worker-start', {
      thread: w.context.threadName,
      poolSize: this.#workers.size,
      withTask: first !== undefined,
    });
    if (first !== undefined) this.#runOn(w, first);
    else this.#getTask(w);
  }

  #runOn(w: Worker, job: Job): void {
    cancelTimer(w);
    w.phase = RUNNING;
    this.#active++;
    invoke(job, w.context).then((settle) => {
      // runWorker: the thread finishes its bookkeeping and goes back to getTask before a waiter
      // on the task's Future is woken, so a caller resuming on the result sees the thread free.
      this.#active--;
      this.#completed++;
      this.#getTask(w);
      settle();
    });
  }

  // getTask: take the queue's head if any; otherwise wait, timed (keep-alive) if this thread may
  // time out now (`allowCoreThreadTimeOut || wc > corePoolSize`), else untimed.
  #getTask(w: Worker): void {
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.#runOn(w, next);
      return;
    }
    if (this.#runState !== 'RUNNING') {
      this.#exit(w);
      this.#tryTerminate();
      return;
    }
    const timed = this.allowCoreThreadTimeOut || this.#workers.size > this.corePoolSize;
    if (timed && this.keepAliveMs === 0) {
      // poll(0) on an empty queue returns null at once: the thread ends now, not a tick later.
      this.#exit(w);
      return;
    }
    w.phase = timed
      ? { state: 'idle', timer: this.#clock.schedule(this.keepAliveMs, () => this.#timedOut(w)) }
      : IDLE_UNTIMED;
    this.#idle.push(w);
  }

  // A timed poll came back empty. getTask: exit if still `timed` (recomputed now) and either
  // other threads remain or the queue is empty; otherwise loop into an untimed take().
  #timedOut(w: Worker): void {
    const i = this.#idle.indexOf(w);
    if (i < 0 || w.phase.state !== 'idle') return;
    this.#idle.splice(i, 1);
    const timed = this.allowCoreThreadTimeOut || this.#workers.size > this.corePoolSize;
    if (timed && (this.#workers.size > 1 || this.#queue.size === 0)) {
      this.#exit(w);
      return;
    }
    w.phase = IDLE_UNTIMED;
    this.#idle.push(w);
  }

  #exit(w: Worker): void {
    cancelTimer(w);
    w.phase = EXITED;
    this.#workers.delete(w);
    this.#trace.emit('executor', 'worker-exit', {
      thread: w.context.threadName,
      poolSize: this.#workers.size,
    });
  }

  #tryTerminate(): void {
    if (this.#runState !== 'SHUTDOWN' || this.#workers.size > 0 || this.#queue.size > 0) return;
    this.#runState = 'TERMINATED';
    for (const resolve of this.#terminationWaiters.splice(0)) resolve();
  }
}

const CALLER: TaskContext = Object.freeze({ threadName: 'caller' });

// Runs a job's task; resolves, once the task has settled, with the function that settles the
// job's promise the same way (so the caller decides what happens first).
function invoke(job: Job, context: TaskContext): Promise<() => void> {
  let p: Promise<unknown>;
  try {
    p = job.task(context);
  } catch (error) {
    p = Promise.reject(error);
  }
  return Promise.resolve(p).then(
    (value) => () => job.resolve(value),
    (error: unknown) => () => job.reject(error),
  );
}

// The policy refused or dropped the job: mark it so `attempt` can tell a refusal from a task's own
// error, then settle it.
function refuse(job: Job, error: RejectedExecutionException): void {
  job.refusal = error;
  job.reject(error);
}

function discarded(policy: RejectedExecutionHandlerName, message: string): RejectedExecutionException {
  return new RejectedExecutionException(`Task discarded: ${message}`, policy, true);
}

function noop(): void {}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import { JsonlTrace, type JsonlTraceOptions } from '../../src/adapters/jsonl-trace.ts';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import type { Random } from '../../src/ports/random.ts';
import { TimerHeap } from './timer-heap.ts';
import { installTripwires, realNextTick, realSetImmediate, type TripwireError } from './tripwires.ts';
import { VirtualClock } from './virtual-clock.ts';

/**
 * How the kernel waits for simulated code to settle after firing a timer.
 * - `'nextTick'` (default): the drive is one loop in one tick, draining every microtask after each
 *   firing (Node's runNextTicks, as its timers do); an exact barrier while simulated code never
 *   queues ticks itself (a tripwire enforces that). A whole run is one uninterrupted loop.
 * - `'setImmediate'`: a macrotask barrier, robust to code that uses `process.nextTick` (e.g.
 *   ioredis-mock), several times slower.
 */
export type Barrier = 'nextTick' | 'setImmediate';

/** Options of `Simulation`. */
export interface SimulationOptions {
  /** Root seed; every random stream is a named fork of it. */
  readonly seed: number | string;
  /** @defaultValue 'nextTick' */
  readonly barrier?: Barrier;
  /** Timer firings allowed in one `Simulation`; reaching it fails the run. @defaultValue 100_000_000 */
  readonly stepsMax?: number;
  /** Trace events allowed in one `Simulation`; reaching it fails the run. @defaultValue no limit */
  readonly eventsMax?: number;
  /** Characters of trace event lines allowed; reaching it fails the run. @defaultValue no limit */
  readonly traceCharsMax?: number;
  /** Install the real-time / entropy tripwires during runs. @defaultValue true */
  readonly tripwires?: boolean;
  /** Where and how to write the trace. @defaultValue hash only, nothing written */
  readonly trace?: JsonlTraceOptions;
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Name shown in stall and failure messages. @defaultValue `task#N` */
  readonly name?: string;
}

/** What a run reports when it returns. */
export interface RunResult {
  /** Virtual time at the end, in ms. */
  readonly nowMs: number;
  /** Timers fired by this call. */
  readonly steps: number;
  /** Spawned tasks still pending (legitimately, when a run stops at `untilMs`). */
  readonly pendingTasks: number;
}

/** A run that has pending tasks but nothing scheduled that could ever wake them. */
export class StallError extends Error {
  override readonly name = 'StallError';
}

/** A run that reached `stepsMax`. */
export class StepLimitError extends Error {
  override readonly name = 'StepLimitError';
}

/** A run whose trace reached `eventsMax` events or `traceCharsMax` characters. */
export class TraceBudgetError extends Error {
  override readonly name = 'TraceBudgetError';
  constructor(
    readonly budget: 'eventsMax' | 'traceCharsMax',
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/** A spawned task rejected; `cause` is its error. */
export class TaskFailedError extends Error {
  override readonly name = 'TaskFailedError';
}

interface TaskRecord {
  readonly name: string;
}

/**
 * A deterministic simulation: a virtual clock with a `(time, seq)` timer heap that runs ordinary
 * `async` component code, a seeded random with named forks, and a canonical trace with a rolling
 * hash. Same seed + same code → same trace hash, in one process or a fresh one.
 *
 * Tie rule: timers fire one at a time in `(at, seq)` order, and after each one every continuation
 * it unblocked runs to its next await before the next timer fires, including timers due at the
 * same instant. This is what Node does for real timers (microtasks drain between callbacks).
 */
export class Simulation {
  /** The virtual clock (ms from 0). */
  readonly clock: VirtualClock;
  /** The root random stream; components use `sim.random.fork(name)`. */
  readonly random: Random;
  /** The trace sink every component writes to. */
  readonly trace: JsonlTrace;
  /** The seed this simulation was built with. */
  readonly seed: number | string;

  readonly #heap = new TimerHeap();
  readonly #barrier: Barrier;
  readonly #stepsMax: number;
  readonly #eventsMax: number;
  readonly #traceCharsMax: number;
  readonly #tripwires: boolean;
  readonly #tasks = new Set<TaskRecord>();
  #taskCount = 0;
  #steps = 0;
  #running = false;
  #failure: unknown = undefined;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.#barrier = options.barrier ?? 'nextTick';
    this.#stepsMax = options.stepsMax ?? 100_000_000;
    this.#eventsMax = options.eventsMax ?? Number.POSITIVE_INFINITY;
    this.#traceCharsMax = options.traceCharsMax ?? Number.POSITIVE_INFINITY;
    this.#tripwires = options.tripwires ?? true;
    this.clock = new VirtualClock(this.#heap);
    this.random = new SeededRandom(options.seed);
    const budgeted = Number.isFinite(this.#eventsMax) || Number.isFinite(this.#traceCharsMax);
    this.trace = new JsonlTrace(
      this.clock,
      budgeted
        ? {
            ...options.trace,
            budget: {
              eventsMax: this.#eventsMax,
              charsMax: this.#traceCharsMax,
              // The run stops at its next step (the step loop checks for a failure first).
              onExceeded: () => this.#fail(this.#traceBudgetError()),
            },
          }
        : options.trace,
    );
  }

  /** Timers fired so far over the simulation's life. */
  get steps(): number {
    return this.#steps;
  }

  /** Spawned tasks not yet settled. */
  get pendingTasks(): number {
    return this.#tasks.size;
  }

  /** Hex SHA-256 of the trace's event lines so far. */
  get traceHash(): string {
    return this.trace.hash;
  }

  /**
   * Starts `fn` as a simulated task at the current virtual time, after tasks spawned before it.
   * It runs inside the next `advanceBy`/`run`, under the tripwires. If it rejects, the run fails
   * with a `TaskFailedError`: handle expected errors inside the task.
   */
  spawn<T>(fn: () => Promise<T>, options: SpawnOptions = {}): Promise<T> {
    const task: TaskRecord = { name: options.name ?? `task#${++this.#taskCount}` };
    this.#tasks.add(task);
    const result = new Promise<T>((resolve, reject) => {
      this.clock.schedule(0, () => {
        let promise: Promise<T>;
        try {
          promise = fn();
        } catch (error) {
          promise = Promise.reject(error);
        }
        promise.then(
          (value) => {
            this.#tasks.delete(task);
            resolve(value);
          },
          (error: unknown) => {
            this.#tasks.delete(task);
            this.#fail(
              new TaskFailedError(
                `simulated task ${task.name} failed at t=${this.clock.nowMs} ms (seed ${this.seed}): ${describe(error)}`,
                { cause: error },
              ),
            );
            reject(error);
          },
        );
      });
    });
    // The kernel reports task failures through the run; a caller that ignores this promise must
    // not also get an unhandled rejection.
    result.catch(() => {});
    return result;
  }

  /**
   * Fires every timer due in `(now, now + ms]` in order, letting continuations settle after each,
   * then sets the clock to `now + ms`.
   */
  advanceBy(ms: number): Promise<RunResult> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advanceBy: ms must be >= 0, got ${ms}`);
    return this.#drive(this.clock.nowMs + Math.ceil(ms), true);
  }

  /**
   * Runs until nothing is scheduled (idle), or until virtual time `untilMs` if given (the clock
   * then reads `untilMs`). Idle with tasks still pending is a stall and fails with `StallError`.
   */
  run(options: { untilMs?: number } = {}): Promise<RunResult> {
    const until = options.untilMs;
    if (until === undefined) return this.#drive(Number.POSITIVE_INFINITY, false);
    if (!Number.isFinite(until) || until < this.clock.nowMs) {
      throw new RangeError(`run: untilMs must be >= now (${this.clock.nowMs}), got ${until}`);
    }
    return this.#drive(Math.ceil(until), true);
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
  }

  #drive(limitMs: number, moveClockToLimit: boolean): Promise<RunResult> {
    if (this.#running) throw new Error('Simulation: a run is already in progress (await it first)');
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    this.#running = true;
    const heap = this.#heap;
    const clock = this.clock;
    const stepsAtStart = this.#steps;
    // A promise rejected in simulated code that nobody handles would otherwise crash the process
    // after the run (Node's default), far from its cause; it fails the run instead. Node reports
    // unhandled rejections when it has run the microtasks and ticks it had: under the nextTick
    // barrier with its drain, after the firing that left one (the run stops there); without the
    // drain only once the tick queue is empty, the end of the drive, so `finish` lets one
    // macrotask pass before it removes the listener.
    const onUnhandled = (reason: unknown) => {
      this.#fail(
        new TaskFailedError(
          `unhandled promise rejection in simulated code, noticed at t=${clock.nowMs} ms (seed ${this.seed}): ${describe(reason)}`,
          { cause: reason },
        ),
      );
    };
    process.on('unhandledRejection', onUnhandled);
    // Installed last: nothing of the kernel's own set-up may run under the tripwires.
    const uninstall = this.#tripwires
      ? installTripwires({
          nextTick: this.#barrier === 'nextTick',
          onTrip: (error: TripwireError) => this.#fail(error),
          where: () => `t=${clock.nowMs} ms (seed ${this.seed})`,
        })
      : () => {};

    return new Promise<RunResult>((resolve, reject) => {
      const finish = (): false => {
        uninstall();
        realSetImmediate(settle);
        return false;
      };
      const settle = () => {
        this.#running = false;
        process.off('unhandledRejection', onUnhandled);
        if (this.#failure !== undefined) {
          reject(this.#failure);
          return;
        }
        if (moveClockToLimit && clock.nowMs < limitMs) clock.nowMs = limitMs;
        resolve({ nowMs: clock.nowMs, steps: this.#steps - stepsAtStart, pendingTasks: this.#tasks.size });
      };
      // One timer firing; false when the drive is over (finish has been called).
      const fire = (): boolean => {
        try {
          if (this.#failure !== undefined) return finish();
          const next = heap.peek();
          if (next === undefined || next.at > limitMs) {
            if (next === undefined && this.#tasks.size > 0) this.#fail(this.#stall());
            return finish();
          }
          if (++this.#steps > this.#stepsMax) {
            this.#fail(
              new StepLimitError(
                `simulation reached stepsMax=${this.#stepsMax} timer firings at t=${clock.nowMs} ms (seed ${this.seed}); raise stepsMax or look for a timer loop`,
              ),
            );
            return finish();
          }
          heap.pop();
          clock.nowMs = next.at;
          const fn = next.fn!;
          next.fn = null;
          fn();
        } catch (error) {
          // A timer callback threw synchronously (a clock.schedule callback, not a task).
          this.#fail(error);
        }
        return true;
      };
      const resolved = Promise.resolve();
      const drain = this.#barrier === 'nextTick' ? microtaskDrain() : undefined;
      if (drain !== undefined) {
        // The nextTick barrier as Node's own timers keep it (lib/internal/timers.js listOnTimeout
        // calls runNextTicks between two timers): after each firing, `drain` runs every microtask
        // it caused, chains included, before the next one fires. The loop runs in one tick,
        // queued from a microtask so that it starts once the caller's microtasks are done; inside
        // a tick no microtask is running, so the drain is never nested in V8's own.
        const loop = () => {
          while (fire()) drain();
        };
        resolved.then(() => realNextTick(loop));
        return;
      }
      // Without a drain: a tick queued from a microtask runs once V8 has drained every microtask
      // (the nextTick barrier, one promise and one tick per firing), or a macrotask (setImmediate).
      const barrier =
        this.#barrier === 'nextTick'
          ? () => {
              resolved.then(queueStep);
            }
          : () => {
              realSetImmediate(step);
            };
      const queueStep = () => realNextTick(step);
      const step = () => {
        if (fire()) barrier();
      };
      barrier();
    });
  }

  /** The error for a trace that has gone over `eventsMax` or `traceCharsMax`. */
  #traceBudgetError(): TraceBudgetError {
    const where = `at t=${this.clock.nowMs} ms (seed ${this.seed})`;
    if (this.trace.events > this.#eventsMax)
      return new TraceBudgetError(
        'eventsMax',
        this.#eventsMax,
        `the trace passed eventsMax=${this.#eventsMax} events ${where}`,
      );
    return new TraceBudgetError(
      'traceCharsMax',
      this.#traceCharsMax,
      `the trace passed traceCharsMax=${this.#traceCharsMax} characters ${where}`,
    );
  }

  #stall(): StallError {
    const names = [...this.#tasks]
      .slice(0, 5)
      .map((t) => t.name)
      .join(', ');
    const more = this.#tasks.size > 5 ? ` and ${this.#tasks.size - 5} more` : '';
    return new StallError(
      `simulation stalled at t=${this.clock.nowMs} ms (seed ${this.seed}): ${this.#tasks.size} task(s) pending ` +
        `(${names}${more}) but no timer is scheduled. They await something outside the simulation ` +
        '(real I/O, a real timer, or a promise nobody resolves).',
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs every pending microtask now, and the ticks they queue (Node's `runNextTicks`, which it
 * exposes as `process._tickCallback`, lib/internal/bootstrap/node.js); undefined on a Node without
 * it, where the kernel falls back to a promise and a tick per firing.
 */
function microtaskDrain(): (() => void) | undefined {
  const drain = (process as { _tickCallback?: unknown })._tickCallback;
  return typeof drain === 'function' ? (drain.bind(process) as () => void) : undefined;
}

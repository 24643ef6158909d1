import { hash } from 'node:crypto';
import { assert } from '../assert.ts';
import type { Clock } from '../ports/clock.ts';
import { nullTraceSink, type TraceSink } from '../ports/trace.ts';
import { whenSettled } from '../settled.ts';

/**
 * Which coalescer to run.
 * - `'seed'`: the article's `PromptMergingService` (section 4.3) as written. The first caller for
 *   a key creates the pending entry and schedules a task `windowMs` later on a
 *   `newSingleThreadScheduledExecutor`; that task removes the entry and then runs the (blocking)
 *   upstream call on the scheduler's thread. Two flaws follow: callers arriving while the call runs
 *   find no entry and start new calls, and every merged call in the service, for any key, waits for
 *   a free scheduler thread (head-of-line blocking). `schedulerThreads` separates the two.
 * - `'singleflight'`: golang/sync `singleflight.Group.Do`: the entry stays until the upstream call
 *   settles, so everyone who arrives before then shares its result or its error.
 */
export type CoalescerVariant = 'seed' | 'singleflight';

/** Options of `Coalescer`. */
export interface CoalescerOptions {
  /**
   * Delay from the first caller of a key to the upstream call, in ms: the article's merge window.
   * @defaultValue 50 for `'seed'` (the article), 0 for `'singleflight'` (Go starts the call at once)
   */
  readonly windowMs?: number;
  /** @defaultValue 'singleflight' */
  readonly variant?: CoalescerVariant;
  /**
   * `'seed'` only: threads of the scheduled executor that runs the merge tasks, and with them the
   * upstream calls. 1 is the article's `newSingleThreadScheduledExecutor`; a large value removes
   * the head-of-line blocking and leaves only the early-removal flaw. Ignored by `'singleflight'`.
   * @defaultValue 1
   */
  readonly schedulerThreads?: number;
}

/** Ports of `Coalescer`. */
export interface CoalescerPorts {
  /** Source of time for the merge window and the scheduler. */
  readonly clock: Clock;
  /**
   * Where calls are reported (component `'coalesce'`; kinds `call` when an upstream call starts,
   * `settle` when it settles with its caller count). @defaultValue nullTraceSink
   */
  readonly trace?: TraceSink;
}

/** What each caller of `execute` gets. */
export interface Coalesced<T> {
  /** The upstream call's result. */
  readonly value: T;
  /**
   * Whether the result went to more than one caller. As in Go's singleflight, it is true for every
   * caller of a call that had duplicates, the first one included.
   */
  readonly shared: boolean;
}

interface Call {
  readonly promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Callers that joined after the first (Go's `dups`). Written only while the call is in the map. */
  dups: number;
  /** Set by `forget(key)` while this call was the key's entry: a newer call may then start. */
  forgotten: boolean;
}

interface ScheduledTask {
  readonly dueMs: number;
  readonly seq: number;
  readonly run: () => Promise<void>;
}

/**
 * A `ScheduledThreadPoolExecutor` with `threads` threads on the virtual clock: tasks become due at
 * their delay and are taken in (due time, submission order) order by whichever thread is free
 * (OpenJDK `ScheduledThreadPoolExecutor.DelayedWorkQueue`: ordered by time, ties by sequence
 * number). A thread is busy until its task's promise settles: a blocking call holds the thread.
 */
class ScheduledExecutor {
  readonly #clock: Clock;
  readonly #queue: ScheduledTask[] = [];
  #idle: number;
  #seq = 0;

  constructor(clock: Clock, threads: number) {
    this.#clock = clock;
    this.#idle = threads;
  }

  /** Tasks due or waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  schedule(delayMs: number, run: () => Promise<void>): void {
    const task: ScheduledTask = { dueMs: this.#clock.now() + delayMs, seq: this.#seq++, run };
    // Keep (dueMs, seq) order; with one fixed delay this is an append.
    let i = this.#queue.length;
    while (i > 0 && (this.#queue[i - 1]?.dueMs ?? Number.NEGATIVE_INFINITY) > task.dueMs) i--;
    this.#queue.splice(i, 0, task);
    this.#clock.schedule(delayMs, () => this.#pump());
  }

  #pump(): void {
    const now = this.#clock.now();
    for (
      let task = this.#queue[0];
      this.#idle > 0 && task !== undefined && task.dueMs <= now;
      task = this.#queue[0]
    ) {
      this.#queue.shift();
      this.#idle--;
      task.run().finally(() => {
        this.#idle++;
        this.#pump();
      });
    }
  }
}

/**
 * Merges concurrent requests for the same key into one upstream call, as the article's
 * `PromptMergingService` (`variant: 'seed'`) or as Go's singleflight (`'singleflight'`, default).
 *
 * Invariant (`'singleflight'`): at most one upstream call per key is in flight unless `forget(key)`
 * was called while one was; every caller that arrives while a call is in flight gets that call's
 * value, or its error.
 */
export class Coalescer {
  /** The variant this coalescer runs. */
  readonly variant: CoalescerVariant;
  /** Merge window in ms (see `CoalescerOptions.windowMs`). */
  readonly windowMs: number;
  #upstreamCalls = 0;
  #merged = 0;
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #pending = new Map<string, Call>();
  // `'singleflight'`: the call in flight for each key (the newest, when `forget` let another start).
  readonly #flying = new Map<string, Call>();
  readonly #scheduler: ScheduledExecutor | undefined;

  constructor(options: CoalescerOptions, ports: CoalescerPorts) {
    const variant = options?.variant ?? 'singleflight';
    if (variant !== 'seed' && variant !== 'singleflight') {
      throw new TypeError(`Coalescer: variant must be 'seed' or 'singleflight', got ${String(variant)}`);
    }
    const windowMs = options?.windowMs ?? (variant === 'seed' ? 50 : 0);
    if (!Number.isSafeInteger(windowMs) || windowMs < 0) {
      throw new RangeError(`Coalescer: windowMs must be an integer >= 0 (ms), got ${windowMs}`);
    }
    const threads = options?.schedulerThreads ?? 1;
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new RangeError(`Coalescer: schedulerThreads must be a positive integer, got ${threads}`);
    }
    if (!ports?.clock) throw new TypeError('Coalescer: ports.clock is required');
    this.variant = variant;
    this.windowMs = windowMs;
    this.#clock = ports.clock;
    this.#trace = ports.trace ?? nullTraceSink;
    this.#scheduler = variant === 'seed' ? new ScheduledExecutor(ports.clock, threads) : undefined;
  }

  /** Upstream calls started so far (`fn` invocations). */
  get upstreamCalls(): number {
    return this.#upstreamCalls;
  }

  /** Callers that joined an existing entry instead of starting a call. */
  get merged(): number {
    return this.#merged;
  }

  /** Keys that currently have a pending entry (waiting for the window, or in flight for singleflight). */
  get pendingKeys(): number {
    return this.#pending.size;
  }

  /** `'seed'` only: merge tasks due or waiting for a scheduler thread. 0 for singleflight. */
  get schedulerQueueSize(): number {
    return this.#scheduler?.queued ?? 0;
  }

  /**
   * Runs `fn` for `key`, or joins the pending call for `key`. Resolves with the call's value and
   * whether it was shared; rejects with the call's error (the same error object for every caller).
   */
  execute<T>(key: string, fn: () => Promise<T>): Promise<Coalesced<T>> {
    const existing = this.#pending.get(key);
    if (existing !== undefined) {
      // Article: `pendingRequests.get(key)` then `return existing`; Go: `c.dups++; c.wg.Wait()`.
      existing.dups++;
      this.#merged++;
      return existing.promise.then((value) => ({ value: value as T, shared: true }));
    }
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const call: Call = { promise, resolve, reject, dups: 0, forgotten: false };
    this.#pending.set(key, call);
    if (this.#scheduler !== undefined) {
      // Article: `scheduler.schedule(() -> { pendingRequests.remove(key); executeAndComplete(...) }, 50, ms)`.
      // The remove is unconditional (by key), and the call runs on the scheduler thread.
      this.#scheduler.schedule(this.windowMs, () => {
        this.#pending.delete(key);
        return this.#invoke(key, call, fn);
      });
    } else if (this.windowMs > 0) {
      this.#clock.schedule(this.windowMs, () => {
        this.#runSingleflight(key, call, fn);
      });
    } else {
      this.#runSingleflight(key, call, fn);
    }
    // The first caller's `shared` is read once the call has settled: `dups` is final by then.
    return promise.then((value) => ({ value: value as T, shared: call.dups > 0 }));
  }

  /**
   * Forgets `key`: the next `execute(key, …)` starts a new call instead of joining the one in
   * flight, whose callers still get its result (Go's `Group.Forget`). With `'seed'` it removes the
   * pending entry as `pendingRequests.remove(key)` would; its scheduled task still runs the call.
   */
  forget(key: string): void {
    const call = this.#pending.get(key);
    if (call !== undefined) call.forgotten = true;
    this.#pending.delete(key);
  }

  #runSingleflight(key: string, call: Call, fn: () => Promise<unknown>): void {
    // The invariant: at most one call per key is in flight, unless `forget` released the older one.
    const other = this.#flying.get(key);
    assert(
      other === undefined || other.forgotten,
      () => `Coalescer: a second call for key '${key}' started while one is in flight`,
    );
    this.#flying.set(key, call);
    // golang/sync singleflight.go doCall: the entry is deleted only after fn returns, and only if
    // it is still this call's (a Forget followed by a new call must not lose the newer entry).
    whenSettled(this.#invoke(key, call, fn), () => {
      if (this.#pending.get(key) === call) this.#pending.delete(key);
      if (this.#flying.get(key) === call) this.#flying.delete(key);
    });
  }

  // Runs the upstream call and settles the shared promise. Resolves when the call has settled,
  // whatever its outcome (a scheduler thread is free again at that point).
  #invoke(key: string, call: Call, fn: () => Promise<unknown>): Promise<void> {
    this.#upstreamCalls++;
    this.#trace.emit('coalesce', 'call', { key, callers: call.dups + 1 });
    let result: Promise<unknown>;
    try {
      result = fn();
    } catch (error) {
      result = Promise.reject(error);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.#trace.emit('coalesce', 'settle', { key, ok: true, callers: call.dups + 1 });
        call.resolve(value);
      },
      (error: unknown) => {
        this.#trace.emit('coalesce', 'settle', { key, ok: false, callers: call.dups + 1 });
        call.reject(error);
      },
    );
  }
}

// Java's `String.getBytes(UTF_8)` encodes an unpaired surrogate as '?' where Node writes U+FFFD
// (EF BF BD); replacing them first makes the key identical to the JVM's for every string.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The article's merge key: SHA-256 of the prompt's UTF-8 bytes, Base64 (standard alphabet, with
 * padding), first 16 characters (`PromptMergingService.hashPrompt`). 16 Base64 characters carry
 * 96 bits, so by the birthday bound two of n distinct prompts share a key with probability about
 * n² / 2^97: 10^9 prompts → 6·10^-12, and 50% only at about 3.3·10^14. A collision would hand one
 * prompt's completion to another; compare the full request on join if that matters.
 * src/cache's `hashPrompt` uses this function for the article's cache keys.
 */
export function promptMergeKey(prompt: string): string {
  // One-shot crypto.hash (Node >= 20.12) hashes a string as its UTF-8 bytes.
  LONE_SURROGATE.lastIndex = 0;
  const javaText = LONE_SURROGATE.test(prompt) ? prompt.replace(LONE_SURROGATE, '?') : prompt;
  return hash('sha256', javaText, 'base64').slice(0, 16);
}

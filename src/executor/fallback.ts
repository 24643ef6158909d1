import { present } from '../assert.ts';
import { admitted, failed, type Outcome, refused } from '../outcome.ts';
import { AbortError, abortReason, type Clock } from '../ports/clock.ts';
import type { LlmRequest, LlmResponse, LlmUpstream } from '../ports/llm.ts';
import { whenSettled } from '../settled.ts';
import { RejectedExecutionException } from './thread-pool-executor.ts';

/** A call that did not finish within its time limit. Its underlying work was aborted. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    /** The limit that expired, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/**
 * Runs `fn` with a time limit that cancels it: after `timeoutMs` the signal passed to `fn` aborts
 * with a `TimeoutError` and the returned promise rejects with it. Unlike Java's
 * `CompletableFuture.orTimeout`, which only completes the future and lets the work run on, the
 * underlying call is told to stop. An already-aborted or later-aborted `signal` aborts `fn` too.
 * `timeoutMs` may be `Infinity` (no limit).
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<T> {
  if (!(timeoutMs >= 0)) throw new RangeError(`withTimeout: timeoutMs must be >= 0 (ms), got ${timeoutMs}`);
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const controller = clock.abortController?.() ?? new AbortController();
  const onAbort = () => controller.abort(abortReason(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = Number.isFinite(timeoutMs)
    ? clock.schedule(timeoutMs, () => controller.abort(new TimeoutError(timeoutMs)))
    : undefined;
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => {});
  let work: Promise<T>;
  try {
    work = fn(controller.signal);
  } catch (error) {
    work = Promise.reject(error);
  }
  return whenSettled(Promise.race([work, aborted]), () => {
    timer?.cancel();
    signal?.removeEventListener('abort', onAbort);
  });
}

/**
 * How `ModelFallback` uses the models.
 * - `'seed'`: the article's `LLMCompositionService.chatWithFallback` (section 5.3) as written: every
 *   model is started at once (`supplyAsync`), each future gets `orTimeout(timeoutMs)` from its start
 *   and `exceptionally(→ fallback)`; then the futures are joined one after another in list order
 *   and the first non-fallback answer wins. A later model that answered first still waits for every
 *   earlier one, and `orTimeout` cancels nothing: timed-out calls run on to completion.
 * - `'firstSuccess'` (default): all models at once, the first successful answer wins, the others are
 *   aborted; a global deadline aborts everything. Failures do not win (unlike `anyOf`).
 * - `'sequential'`: one model at a time, each with its own abortable timeout; the next model starts
 *   only when the previous one failed. Cheapest, but the worst case is the sum of the timeouts.
 */
export type FallbackMode = 'seed' | 'firstSuccess' | 'sequential';

/**
 * Something that runs tasks, e.g. a `ThreadPoolExecutor` standing in for the seed's `supplyAsync` pool.
 * A task it refuses settles with a `RejectedExecutionException` without having been called.
 */
export interface TaskRunner {
  /** Runs `task`; the promise settles with its outcome, or rejects with `RejectedExecutionException`. */
  execute<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Optional: resolves when Java's `execute` would have returned, carrying the outcome (see
   * `ThreadPoolExecutor.submit`). With it, a CallerRunsPolicy pool holds up the seed's loop while
   * the caller runs the call, as the Java caller thread is held up. @defaultValue absent: `execute`
   */
  submit?<T>(task: () => Promise<T>): Promise<{ readonly result: Promise<T> }>;
}

/** Options of `ModelFallback`. */
export interface ModelFallbackOptions {
  /** The models, in preference order. At least one. */
  readonly upstreams: readonly LlmUpstream[];
  /** @defaultValue 'firstSuccess' */
  readonly mode?: FallbackMode;
  /**
   * Per-model time limit in ms: `'seed'`, `orTimeout` from the model's start (the article's 10 s);
   * `'sequential'`, each attempt's limit. `Infinity` for none. @defaultValue 10_000
   */
  readonly timeoutMs?: number;
  /**
   * `'firstSuccess'`: the global deadline in ms from the start. `'sequential'`: an overall budget
   * that also cuts the current attempt short. Ignored by `'seed'`.
   * @defaultValue timeoutMs for 'firstSuccess', Infinity for 'sequential'
   */
  readonly deadlineMs?: number;
  /**
   * `'seed'` only: the second, per-join `orTimeout` in ms of the article's stream
   * (`.map(CompletableFuture::orTimeout)`, which does not compile as printed; `f -> f.orTimeout(t)` is
   * the evident intent). Streams are lazy, so it starts only when the join reaches that future:
   * without the per-model timeout (`timeoutMs: Infinity`) the total can reach models × joinTimeoutMs.
   * @defaultValue timeoutMs
   */
  readonly joinTimeoutMs?: number;
  /**
   * `'seed'` only: where `supplyAsync` runs the calls. The article passes no executor, so Java uses
   * `ForkJoinPool.commonPool()` (parallelism = cores − 1); pass a one-thread `ThreadPoolExecutor` to
   * see blocking calls serialised on a 2-core machine. As `supplyAsync(supplier, executor)` does, a
   * call the pool refuses (AbortPolicy) makes `chatWithFallback` itself reject with the
   * `RejectedExecutionException` (calls already submitted run on); a discarded call's future never
   * completes, so that model fails at its `orTimeout`; a call that reaches a thread only after its
   * future timed out is not made. @defaultValue every call starts at once
   */
  readonly executor?: TaskRunner;
}

/** Options of `chatWithFallback`: those of `ModelFallback` but the upstreams, plus the call's signal. */
export interface ChatWithFallbackOptions extends Omit<ModelFallbackOptions, 'upstreams'> {
  /** Aborts every call still running. */
  readonly signal?: AbortSignal;
}

/** A failed model attempt. */
export interface ModelFailure {
  readonly model: string;
  readonly error: unknown;
}

/** What `chatWithFallback` returns: a model's answer, or the fallback when none answered. */
export type FallbackResult =
  | { readonly fallback: false; readonly model: string; readonly response: LlmResponse }
  | { readonly fallback: true; readonly failures: readonly ModelFailure[] };

/** Ports of `ModelFallback`. */
export interface FallbackPorts {
  /** Source of time for the timeouts and deadlines. */
  readonly clock: Clock;
}

/** A model's answer: which model, and what it said. */
export interface ModelAnswer {
  readonly model: string;
  readonly response: LlmResponse;
}

/** Every model failed (or timed out): the `failed` error of `ModelFallback.attempt`. */
export class AllModelsFailedError extends Error {
  override readonly name = 'AllModelsFailedError';
  constructor(
    /** Each model's failure, in preference order. */
    readonly failures: readonly ModelFailure[],
  ) {
    super(`every model failed: ${failures.map((f) => f.model).join(', ')}`);
  }
}

/**
 * The article's model fallback (section 5.3) as a component: asks its upstreams (in preference
 * order) for a request and returns the first answer according to `mode`, or the fallback (the
 * article's `ChatResponse.fallback()`) when none answered in time. Throws a `RangeError` (a value
 * out of range) or `TypeError` (an unknown mode, a missing clock) for bad options.
 */
export class ModelFallback {
  /** How the models are used. */
  readonly mode: FallbackMode;
  readonly #upstreams: readonly LlmUpstream[];
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #joinTimeoutMs: number;
  readonly #executor: TaskRunner | undefined;
  readonly #clock: Clock;

  constructor(options: ModelFallbackOptions, ports: FallbackPorts) {
    const mode = options?.mode ?? 'firstSuccess';
    const timeoutMs = options?.timeoutMs ?? 10_000;
    if (!(timeoutMs > 0)) throw new RangeError(`ModelFallback: timeoutMs must be > 0 (ms), got ${timeoutMs}`);
    if (options.upstreams.length === 0)
      throw new RangeError('ModelFallback: upstreams must name at least one model');
    if (!ports?.clock) throw new TypeError('ModelFallback: ports.clock is required');
    let deadlineMs = Number.POSITIVE_INFINITY;
    let joinTimeoutMs = Number.POSITIVE_INFINITY;
    switch (mode) {
      case 'seed':
        joinTimeoutMs = options.joinTimeoutMs ?? timeoutMs;
        if (!(joinTimeoutMs > 0)) {
          throw new RangeError(`ModelFallback: joinTimeoutMs must be > 0 (ms), got ${joinTimeoutMs}`);
        }
        break;
      case 'firstSuccess':
      case 'sequential':
        deadlineMs = options.deadlineMs ?? (mode === 'firstSuccess' ? timeoutMs : Number.POSITIVE_INFINITY);
        if (!(deadlineMs > 0))
          throw new RangeError(`ModelFallback: deadlineMs must be > 0 (ms), got ${deadlineMs}`);
        break;
      default:
        throw new TypeError(
          `ModelFallback: mode must be 'seed', 'firstSuccess' or 'sequential', got ${String(mode)}`,
        );
    }
    this.mode = mode;
    this.#upstreams = options.upstreams;
    this.#timeoutMs = timeoutMs;
    this.#deadlineMs = deadlineMs;
    this.#joinTimeoutMs = joinTimeoutMs;
    this.#executor = options.executor;
    this.#clock = ports.clock;
  }

  /**
   * Asks the models for `request`: a model's answer (`fallback: false`) or `{ fallback: true }`
   * with every failure. Never rejects for a model failure; rejects if `signal` aborts, and in
   * `'seed'` mode with an `executor` when the executor refuses a call (`RejectedExecutionException`).
   */
  chat(request: LlmRequest, signal?: AbortSignal): Promise<FallbackResult> {
    const upstreams = this.#upstreams;
    const clock = this.#clock;
    switch (this.mode) {
      case 'seed':
        return seedFallback(
          request,
          upstreams,
          this.#timeoutMs,
          this.#joinTimeoutMs,
          this.#executor,
          signal,
          clock,
        );
      case 'firstSuccess':
        return firstSuccess(request, upstreams, this.#deadlineMs, signal, clock);
      case 'sequential':
        return sequential(request, upstreams, this.#timeoutMs, this.#deadlineMs, signal, clock);
    }
  }

  /**
   * `chat` as the one guarded-call shape, mapped in one way: an answer is `admitted` with the
   * model and its response; the fallback (every model failed or timed out) is `failed` with an
   * `AllModelsFailedError` carrying the failures; an executor refusal in `'seed'` mode is
   * `refused` by the `'pool'` with its policy; an abort is `failed` with the abort reason.
   */
  attempt(request: LlmRequest, signal?: AbortSignal): Promise<Outcome<ModelAnswer>> {
    return this.chat(request, signal).then(
      (r): Outcome<ModelAnswer> =>
        r.fallback
          ? failed(new AllModelsFailedError(r.failures))
          : admitted({ model: r.model, response: r.response }),
      (error: unknown): Outcome<ModelAnswer> =>
        error instanceof RejectedExecutionException
          ? refused({ by: 'pool', policy: error.policy })
          : failed(error),
    );
  }
}

/**
 * One request through a one-off `ModelFallback` (see there): `upstreams` in preference order,
 * `options.signal` aborting every call still running. Throws as the constructor does.
 */
export function chatWithFallback(
  request: LlmRequest,
  upstreams: readonly LlmUpstream[],
  options: ChatWithFallbackOptions,
  ports: FallbackPorts,
): Promise<FallbackResult> {
  return new ModelFallback({ ...options, upstreams }, ports).chat(request, options?.signal);
}

type CallOutcome = { ok: true; response: LlmResponse } | { ok: false; error: unknown };

// A settled-once cell standing in for a CompletableFuture: the first completion wins, later ones
// are ignored (CompletableFuture.complete/completeExceptionally return false once done).
function futureCell() {
  let done = false;
  let resolve!: (o: CallOutcome) => void;
  const promise = new Promise<CallOutcome>((r) => {
    resolve = r;
  });
  return {
    promise,
    get done(): boolean {
      return done;
    },
    complete(o: CallOutcome): void {
      if (done) return;
      done = true;
      resolve(o);
    },
  };
}

async function seedFallback(
  request: LlmRequest,
  upstreams: readonly LlmUpstream[],
  timeoutMs: number,
  joinTimeoutMs: number,
  runner: TaskRunner | undefined,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<FallbackResult> {
  // tryModel: supplyAsync(chat).orTimeout(10 s).exceptionally(→ fallback). The call itself gets no
  // signal: orTimeout completes the future, it does not stop the call. The stream that builds the
  // futures is sequential: model i is submitted only once model i-1's supplyAsync has returned.
  const futures: Array<ReturnType<typeof futureCell>> = [];
  for (const u of upstreams) {
    const cell = futureCell();
    let running: Promise<LlmResponse | undefined>;
    let started = false;
    if (runner === undefined) {
      running = u.complete(request);
    } else {
      // OpenJDK 17 CompletableFuture.AsyncSupply.run: `if (d.result == null) d.completeValue(f.get())`:
      // a task that reaches a thread after its future was completed (by orTimeout) skips the call.
      const task = async (): Promise<LlmResponse | undefined> => {
        if (cell.done) return undefined;
        started = true;
        return u.complete(request);
      };
      // asyncSupplyStage calls `e.execute(new AsyncSupply(d, f))` on the caller's thread, so the
      // executor's RejectedExecutionException (AbortPolicy) is thrown out of supplyAsync, out of the
      // stream and out of chatWithFallback; the calls already submitted run on (checked on OpenJDK 17:
      // test/fixtures/jvm/SeedFallback.java). A refusal settles the task's promise before `execute`
      // returns, so the reaction below runs before this function resumes.
      running = runner.submit ? (await runner.submit(task)).result : runner.execute(task);
      let refusal: RejectedExecutionException | undefined;
      running.then(undefined, (error: unknown) => {
        if (!started && error instanceof RejectedExecutionException && !error.discarded) refusal = error;
      });
      await Promise.resolve();
      if (refusal !== undefined) throw refusal;
    }
    // orTimeout arms a delayed completion and cancels it when the future completes first
    // (OpenJDK CompletableFuture.orTimeout: Delayer.delay(new Timeout(f)) + whenComplete(Canceller)).
    // It is armed when supplyAsync returns: after the call, if CallerRunsPolicy ran it on the caller.
    const timer = Number.isFinite(timeoutMs)
      ? clock.schedule(timeoutMs, () => cell.complete({ ok: false, error: new TimeoutError(timeoutMs) }))
      : undefined;
    running.then(
      (response) => {
        if (response === undefined) return; // skipped: the future had already completed
        timer?.cancel();
        cell.complete({ ok: true, response });
      },
      (error: unknown) => {
        // A task the pool discarded (DiscardPolicy, DiscardOldestPolicy) never runs, and in Java
        // its future never completes: only the orTimeout above completes it.
        if (!started && runner !== undefined && error instanceof RejectedExecutionException) return;
        timer?.cancel();
        cell.complete({ ok: false, error });
      },
    );
    futures.push(cell);
  }
  const failures: ModelFailure[] = [];
  // futures.stream().map(orTimeout).map(exceptionally).map(join).filter(!isFallback).findFirst():
  // lazily, one element at a time, so each join's timeout starts when the stream reaches it.
  for (const [i, cell] of futures.entries()) {
    if (signal?.aborted) throw abortReason(signal);
    const timer = Number.isFinite(joinTimeoutMs)
      ? clock.schedule(joinTimeoutMs, () =>
          cell.complete({ ok: false, error: new TimeoutError(joinTimeoutMs) }),
        )
      : undefined;
    const outcome = await cell.promise;
    timer?.cancel();
    const model = present(upstreams[i], 'the upstream of a future').model;
    if (outcome.ok) return { fallback: false, model, response: outcome.response };
    failures.push({ model, error: outcome.error });
  }
  return { fallback: true, failures };
}

function firstSuccess(
  request: LlmRequest,
  upstreams: readonly LlmUpstream[],
  deadlineMs: number,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<FallbackResult> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<FallbackResult>((resolve, reject) => {
    const controllers = upstreams.map(() => clock.abortController?.() ?? new AbortController());
    const failures: Array<ModelFailure | undefined> = upstreams.map(() => undefined);
    let pending = upstreams.length;
    let settled = false;
    const finish = (result: FallbackResult | undefined, error?: unknown, reason?: unknown) => {
      if (settled) return;
      settled = true;
      deadline?.cancel();
      signal?.removeEventListener('abort', onAbort);
      // Cancel the losers: their calls are aborted, not merely ignored.
      const why = reason ?? new AbortError('chatWithFallback: another model answered first');
      for (const c of controllers) if (!c.signal.aborted) c.abort(why);
      if (result) resolve(result);
      else reject(error);
    };
    const onAbort = () => finish(undefined, abortReason(signal!), abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = Number.isFinite(deadlineMs)
      ? clock.schedule(deadlineMs, () => {
          const all = upstreams.map(
            (u, i) => failures[i] ?? { model: u.model, error: new TimeoutError(deadlineMs) },
          );
          finish({ fallback: true, failures: all }, undefined, new TimeoutError(deadlineMs));
        })
      : undefined;
    upstreams.forEach((u, i) => {
      let call: Promise<LlmResponse>;
      try {
        call = u.complete(request, present(controllers[i], "the upstream's controller").signal);
      } catch (error) {
        call = Promise.reject(error);
      }
      call.then(
        (response) => finish({ fallback: false, model: u.model, response }),
        (error: unknown) => {
          if (settled) return;
          failures[i] = { model: u.model, error };
          if (--pending === 0) finish({ fallback: true, failures: failures as ModelFailure[] });
        },
      );
    });
  });
}

async function sequential(
  request: LlmRequest,
  upstreams: readonly LlmUpstream[],
  timeoutMs: number,
  deadlineMs: number,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<FallbackResult> {
  const start = clock.now();
  const failures: ModelFailure[] = [];
  for (const u of upstreams) {
    if (signal?.aborted) throw abortReason(signal);
    const leftMs = deadlineMs - (clock.now() - start);
    if (leftMs <= 0) {
      failures.push({ model: u.model, error: new TimeoutError(deadlineMs) });
      continue;
    }
    try {
      const response = await withTimeout(
        (s) => u.complete(request, s),
        Math.min(timeoutMs, leftMs),
        clock,
        signal,
      );
      return { fallback: false, model: u.model, response };
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      failures.push({ model: u.model, error });
    }
  }
  return { fallback: true, failures };
}

import { TimeoutError, withTimeout } from '../../executor/fallback.ts';
import type { Outcome } from '../../outcome.ts';
import type { Clock } from '../../ports/clock.ts';
import { LlmError, type LlmRequest, type LlmResponse, type LlmUpstream } from '../../ports/llm.ts';
import type { Random } from '../../ports/random.ts';
import { nullTraceSink, type TraceSink } from '../../ports/trace.ts';

/** One request as a provider policy sees it: the completion request and the caller's abort signal. */
export type ProviderRequest = LlmRequest & { readonly signal?: AbortSignal };

/** What the request is, for the trace. */
export interface ProviderContext {
  /** The gateway request's id, carried into every `upstream` event. */
  readonly requestId: number;
}

/** A provider policy's answer: the response, the model (or deployment) that gave it, and the calls made. */
export interface ProviderAnswer {
  readonly response: LlmResponse;
  /** The model or deployment label that answered. */
  readonly model: string;
  /** Upstream calls this request made, the answering one included (≥ 1). */
  readonly attempts: number;
}

/**
 * The provider stage of the gateway: how one request is sent to an ordered list of models or
 * deployments, with the retries, backoffs, cooldowns and fallbacks of one real gateway or SDK.
 * `call` never rejects for a provider failure: it returns `{ kind: 'failed', error }` with the
 * last error (or `NoDeploymentsAvailableError`), and `failed` with the abort reason when the
 * request's signal aborts.
 */
export interface ProviderPolicy {
  /** The policy's name in traces and summaries, e.g. `'litellm-router'`. */
  readonly name: string;
  call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>>;
}

/** Ports of every provider policy. */
export interface ProviderPorts {
  readonly clock: Clock;
  /** Jitter and routing draws; pass a fork named after the policy instance. */
  readonly random: Random;
  /** Where `upstream` events go. @defaultValue none */
  readonly trace?: TraceSink;
}

/** Why a policy moved on after a failed call (the `next` field of `upstream attempt-failed`). */
export type NextStep = 'retry' | 'fallback' | 'cooldown' | 'exhausted';

/** A call that a policy gave up waiting for after `timeoutMs`. */
export class ProviderTimeoutError extends Error {
  override readonly name = 'ProviderTimeoutError';
  constructor(
    /** The per-call limit that expired, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`upstream call timed out after ${timeoutMs} ms`);
  }
}

/**
 * LiteLLM's router error when every deployment of a model group is cooling down
 * (BerriAI/litellm `litellm/router.py`, `RouterRateLimitError`: "No deployments available for
 * selected model, Try again in N seconds").
 */
export class NoDeploymentsAvailableError extends Error {
  override readonly name = 'NoDeploymentsAvailableError';
  constructor(
    readonly modelGroup: string,
    /** Time until the first deployment of the group leaves cooldown, ms. */
    readonly retryAfterMs: number,
  ) {
    super(
      `No deployments available for selected model, Try again in ${Math.ceil(retryAfterMs / 1000)} seconds. ` +
        `Passed model=${modelGroup}`,
    );
  }
}

/** The HTTP status of a failed call as the trace reports it: 0 for a timeout, an abort or a non-HTTP error. */
export function traceStatus(error: unknown): number {
  return error instanceof LlmError ? error.status : 0;
}

/** A short, deterministic description of an error for the trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Calls `upstream` with a per-call limit that cancels the call: after `timeoutMs` the call's signal
 * aborts with a `ProviderTimeoutError` and the promise rejects with it. The caller's `signal`
 * aborts the call too (rejecting with its reason). `timeoutMs` may be `Infinity`.
 */
export function callWithTimeout(
  upstream: LlmUpstream,
  request: LlmRequest,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<LlmResponse> {
  // The executor's `withTimeout` (abortable, cancels the call), with its timeout named as a
  // provider's: a `ProviderTimeoutError`, which the policies map to a 408.
  const bare = stripSignal(request);
  return withTimeout((s) => upstream.complete(bare, s), timeoutMs, clock, signal).catch((error: unknown) => {
    throw error instanceof TimeoutError ? new ProviderTimeoutError(timeoutMs) : error;
  });
}

/** The request without its signal (an upstream gets the signal as its own argument). */
export function stripSignal(request: ProviderRequest): LlmRequest {
  // A request already without one is passed on as it is (a policy strips it, then callWithTimeout).
  if (!('signal' in request)) return request;
  const { signal: _signal, ...rest } = request;
  return rest;
}

/** Emits the `upstream` events of one request and counts its calls. */
export class AttemptLog {
  /** Calls made so far. */
  calls = 0;
  readonly #trace: TraceSink;
  readonly #clock: Clock;
  readonly #id: number;

  constructor(context: ProviderContext, ports: ProviderPorts) {
    this.#trace = ports.trace ?? nullTraceSink;
    this.#clock = ports.clock;
    this.#id = context.requestId;
  }

  /** Records the start of a call; returns its number `n` and its start time. */
  start(model: string): { readonly n: number; readonly startMs: number } {
    this.calls++;
    this.#trace.emit('upstream', 'attempt', { id: this.#id, model, n: this.calls });
    return { n: this.calls, startMs: this.#clock.now() };
  }

  answered(model: string, n: number, startMs: number, response: LlmResponse): void {
    this.#trace.emit('upstream', 'answered', {
      id: this.#id,
      model,
      n,
      ms: this.#clock.now() - startMs,
      tokens: response.outputTokens,
    });
  }

  failed(model: string, n: number, error: unknown, next: NextStep): void {
    this.#trace.emit('upstream', 'attempt-failed', {
      id: this.#id,
      model,
      n,
      status: traceStatus(error),
      error: describeError(error),
      next,
    });
  }
}

/** Checks a duration option: finite (or `Infinity` when allowed) and ≥ `min`; throws a `RangeError` naming it. */
export function checkMs(owner: string, field: string, value: number, min = 0, infinite = false): number {
  const ok = (infinite && value === Number.POSITIVE_INFINITY) || (Number.isFinite(value) && value >= min);
  if (!ok) throw new RangeError(`${owner}: ${field} must be a number >= ${min} (ms), got ${value}`);
  return value;
}

/** Checks a count option: a safe integer in [min, max]; throws a `RangeError` naming it. */
export function checkCount(owner: string, field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${owner}: ${field} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Checks that `upstreams` is a non-empty list; throws a `RangeError` naming the owner. */
export function checkUpstreams(owner: string, upstreams: readonly LlmUpstream[]): readonly LlmUpstream[] {
  if (!Array.isArray(upstreams) || upstreams.length === 0) {
    throw new RangeError(`${owner}: upstreams must name at least one model`);
  }
  return upstreams;
}

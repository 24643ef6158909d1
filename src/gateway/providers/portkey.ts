import { admitted, failed, type Outcome } from '../../outcome.ts';
import type { Clock } from '../../ports/clock.ts';
import { LlmError, type LlmUpstream } from '../../ports/llm.ts';
import {
  AttemptLog,
  callWithTimeout,
  checkCount,
  checkMs,
  checkUpstreams,
  type NextStep,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderPolicy,
  type ProviderPorts,
  type ProviderRequest,
  ProviderTimeoutError,
  stripSignal,
} from './policy.ts';

/** Portkey-AI/gateway `src/globals.ts`: `MAX_RETRIES = 5`. */
export const PORTKEY_MAX_RETRIES = 5;
/** Portkey-AI/gateway `src/globals.ts`: `RETRY_STATUS_CODES`. */
export const PORTKEY_RETRY_STATUS_CODES: readonly number[] = [429, 500, 502, 503, 504];
/** Portkey-AI/gateway `src/globals.ts`: `MAX_RETRY_LIMIT_MS` (total Retry-After wait of one target). */
export const PORTKEY_MAX_RETRY_LIMIT_MS = 60_000;
/** async-retry's defaults (`minTimeout` 1000 ms, `factor` 2), which Portkey does not override. */
export const ASYNC_RETRY_MIN_TIMEOUT_MS = 1000;
export const ASYNC_RETRY_FACTOR = 2;

/** Options of `PortkeyPolicy` (a config's `strategy`, `retry` and `request_timeout`, in ms). */
export interface PortkeyOptions {
  /** The config's `targets`, in order. */
  readonly upstreams: readonly LlmUpstream[];
  /** `strategy.mode`: `'fallback'` walks the targets; `'single'` uses the first. @defaultValue 'fallback' */
  readonly mode?: 'fallback' | 'single';
  /**
   * `strategy.on_status_codes`: a failed target falls back only on these statuses (a timeout is the
   * synthetic 408). @defaultValue every failure falls back
   */
  readonly onStatusCodes?: readonly number[];
  /** `retry.attempts`: retries per target, at most 5 (`MAX_RETRIES`). @defaultValue 0 */
  readonly retryAttempts?: number;
  /** `retry.on_status_codes`. @defaultValue [429, 500, 502, 503, 504] */
  readonly retryOnStatusCodes?: readonly number[];
  /** `retry.use_retry_after_header`: wait a 429's Retry-After instead of the backoff. @defaultValue false */
  readonly useRetryAfterHeader?: boolean;
  /** `request_timeout` in ms; a call over it becomes a synthetic 408. @defaultValue none */
  readonly requestTimeoutMs?: number;
}

/** What one target's retry loop ended with. */
type TargetResult =
  | { readonly kind: 'answered'; readonly answer: ProviderAnswer }
  | { readonly kind: 'failed'; readonly error: unknown; readonly status: number }
  | { readonly kind: 'aborted'; readonly reason: unknown };

/**
 * Portkey's gateway (Portkey-AI/gateway `src/handlers/retryHandler.ts` `retryRequest`,
 * `src/handlers/handlerUtils.ts` fallback strategy, `src/globals.ts`): each target is tried with
 * `retry.attempts` retries through async-retry with `randomize: false`, so the waits are the bare
 * defaults 1, 2, 4, 8, 16 s. With `use_retry_after_header`, a 429's Retry-After is waited instead
 * and every later backoff of that target becomes 0; a Retry-After ≥ 60 s, or over what is left of
 * the 60 s budget, stops the retries. A call over `request_timeout` becomes a synthetic 408, which
 * is not retried by default. `fallback` moves to the next target when the last status is in
 * `on_status_codes` (or on any failure when none is given). The hosted circuit breaker is not modelled.
 */
export class PortkeyPolicy implements ProviderPolicy {
  readonly name = 'portkey';
  readonly #upstreams: readonly LlmUpstream[];
  readonly #mode: 'fallback' | 'single';
  readonly #onStatusCodes: readonly number[] | undefined;
  readonly #retryAttempts: number;
  readonly #retryOn: readonly number[];
  readonly #useRetryAfter: boolean;
  readonly #timeoutMs: number;
  readonly #ports: ProviderPorts;
  readonly #clock: Clock;

  constructor(options: PortkeyOptions, ports: ProviderPorts) {
    this.#upstreams = checkUpstreams('PortkeyPolicy', options.upstreams);
    this.#mode = options.mode ?? 'fallback';
    if (this.#mode !== 'fallback' && this.#mode !== 'single') {
      throw new RangeError(`PortkeyPolicy: mode must be 'fallback' or 'single', got ${String(this.#mode)}`);
    }
    this.#onStatusCodes = options.onStatusCodes;
    this.#retryAttempts = checkCount(
      'PortkeyPolicy',
      'retryAttempts',
      options.retryAttempts ?? 0,
      0,
      PORTKEY_MAX_RETRIES,
    );
    this.#retryOn = options.retryOnStatusCodes ?? PORTKEY_RETRY_STATUS_CODES;
    this.#useRetryAfter = options.useRetryAfterHeader ?? false;
    this.#timeoutMs = checkMs(
      'PortkeyPolicy',
      'requestTimeoutMs',
      options.requestTimeoutMs ?? Number.POSITIVE_INFINITY,
      1,
      true,
    );
    this.#ports = ports;
    this.#clock = ports.clock;
  }

  async call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>> {
    const log = new AttemptLog(context, this.#ports);
    const targets = this.#mode === 'single' ? this.#upstreams.slice(0, 1) : this.#upstreams;
    let last: TargetResult | undefined;
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t];
      if (target === undefined) continue;
      const more = t + 1 < targets.length;
      last = await this.#tryTarget(target, request, log, (status) => more && this.#fallsBack(status));
      if (last.kind === 'answered') return admitted(last.answer);
      if (last.kind === 'aborted') return failed(last.reason);
      if (!(more && this.#fallsBack(last.status))) break;
    }
    return failed(last?.kind === 'failed' ? last.error : new Error('PortkeyPolicy: no target was tried'));
  }

  /** `strategy.on_status_codes`: whether a failed target's status moves the request to the next one. */
  #fallsBack(status: number): boolean {
    return this.#onStatusCodes === undefined || this.#onStatusCodes.includes(status);
  }

  /** One target with its retries (`retryRequest`). */
  async #tryTarget(
    target: LlmUpstream,
    request: ProviderRequest,
    log: AttemptLog,
    fallsBack: (status: number) => boolean,
  ): Promise<TargetResult> {
    const signal = request.signal;
    let budgetMs = PORTKEY_MAX_RETRY_LIMIT_MS;
    let backoffCleared = false;
    for (let attempt = 0; ; attempt++) {
      const { n, startMs } = log.start(target.model);
      let error: unknown;
      try {
        const response = await callWithTimeout(
          target,
          stripSignal(request),
          this.#timeoutMs,
          this.#clock,
          signal,
        );
        log.answered(target.model, n, startMs, response);
        return { kind: 'answered', answer: { response, model: target.model, attempts: log.calls } };
      } catch (caught) {
        error = caught;
      }
      if (signal?.aborted) {
        log.failed(target.model, n, error, 'exhausted');
        return { kind: 'aborted', reason: error };
      }
      const status = portkeyStatus(error);
      const retryable = attempt < this.#retryAttempts && this.#retryOn.includes(status);
      let waitMs = backoffCleared ? 0 : asyncRetryTimeoutMs(attempt);
      let retry = retryable;
      const retryAfterMs = error instanceof LlmError ? error.retryAfterMs : undefined;
      if (
        retryable &&
        status === 429 &&
        this.#useRetryAfter &&
        retryAfterMs !== undefined &&
        retryAfterMs > 0
      ) {
        // retryHandler.ts: a Retry-After at or over the 60 s cap, or over what is left of it, ends
        // the retries; otherwise it is waited and the remaining backoff timeouts are reset to 0.
        if (retryAfterMs >= PORTKEY_MAX_RETRY_LIMIT_MS || retryAfterMs > budgetMs) {
          retry = false;
        } else {
          budgetMs -= retryAfterMs;
          backoffCleared = true;
          waitMs = retryAfterMs;
        }
      }
      const next: NextStep = retry ? 'retry' : fallsBack(status) ? 'fallback' : 'exhausted';
      log.failed(target.model, n, error, next);
      if (!retry) return { kind: 'failed', error, status };
      try {
        await this.#clock.sleep(waitMs, signal);
      } catch (aborted) {
        return { kind: 'aborted', reason: aborted };
      }
    }
  }
}

/**
 * async-retry's wait before retry `attempt + 1` with `randomize: false`:
 * `min(minTimeout · factor^attempt, maxTimeout)` with maxTimeout = ∞, i.e. 1, 2, 4, 8, 16 s.
 */
export function asyncRetryTimeoutMs(attempt: number): number {
  return ASYNC_RETRY_MIN_TIMEOUT_MS * ASYNC_RETRY_FACTOR ** attempt;
}

/**
 * The status Portkey sees: the provider's, the synthetic 408 of `fetchWithTimeout` for a timeout,
 * and 500 for any other thrown error (`retryRequest`'s catch-all response).
 */
function portkeyStatus(error: unknown): number {
  if (error instanceof LlmError) return error.status;
  if (error instanceof ProviderTimeoutError) return 408;
  return 500;
}

import { admitted, failed, type Outcome } from '../../outcome.ts';
import type { Clock } from '../../ports/clock.ts';
import { LlmError, type LlmUpstream } from '../../ports/llm.ts';
import type { Random } from '../../ports/random.ts';
import { OPENAI_DEFAULT_MAX_RETRIES, openAiRetryDelayMs, openAiShouldRetry } from './openai-backoff.ts';
import {
  AttemptLog,
  callWithTimeout,
  checkCount,
  checkMs,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderPolicy,
  type ProviderPorts,
  type ProviderRequest,
  stripSignal,
} from './policy.ts';

/** Options of `OpenAiSdkPolicy`. */
export interface OpenAiSdkOptions {
  /** The one model the client talks to. */
  readonly upstream: LlmUpstream;
  /** Retries after the first call (openai-python `DEFAULT_MAX_RETRIES`). @defaultValue 2 */
  readonly maxRetries?: number;
  /**
   * Limit on each call, ms; a call over it is aborted and retried like a connection error
   * (openai-python `DEFAULT_TIMEOUT` = 600 s). @defaultValue 600_000
   */
  readonly timeoutMs?: number;
}

/**
 * The retry loop of the official OpenAI client (openai-python `src/openai/_base_client.py`,
 * `AsyncAPIClient._retry_request` / `_calculate_retry_timeout` / `_should_retry`): one model, up to
 * `maxRetries` retries of 408/409/429/≥500, timeouts and connection errors, each after the SDK's
 * jittered exponential backoff or the server's Retry-After (0 < v ≤ 60 s). Jitter draws come from
 * the random port. No fallback, no cooldown.
 */
export class OpenAiSdkPolicy implements ProviderPolicy {
  readonly name = 'openai-sdk';
  readonly #upstream: LlmUpstream;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #ports: ProviderPorts;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(options: OpenAiSdkOptions, ports: ProviderPorts) {
    if (options.upstream === undefined) throw new TypeError('OpenAiSdkPolicy: upstream is required');
    this.#upstream = options.upstream;
    this.#maxRetries = checkCount(
      'OpenAiSdkPolicy',
      'maxRetries',
      options.maxRetries ?? OPENAI_DEFAULT_MAX_RETRIES,
      0,
      100,
    );
    this.#timeoutMs = checkMs('OpenAiSdkPolicy', 'timeoutMs', options.timeoutMs ?? 600_000, 1, true);
    this.#ports = ports;
    this.#clock = ports.clock;
    this.#random = ports.random;
  }

  async call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>> {
    const log = new AttemptLog(context, this.#ports);
    const model = this.#upstream.model;
    const signal = request.signal;
    for (let retriesTaken = 0; ; retriesTaken++) {
      const { n, startMs } = log.start(model);
      try {
        const response = await callWithTimeout(
          this.#upstream,
          stripSignal(request),
          this.#timeoutMs,
          this.#clock,
          signal,
        );
        log.answered(model, n, startMs, response);
        return admitted({ response, model, attempts: log.calls });
      } catch (error) {
        const retry = signal?.aborted !== true && retriesTaken < this.#maxRetries && openAiShouldRetry(error);
        log.failed(model, n, error, retry ? 'retry' : 'exhausted');
        if (!retry) return failed(error);
        const retryAfterMs = error instanceof LlmError ? error.retryAfterMs : undefined;
        try {
          await this.#clock.sleep(openAiRetryDelayMs(retriesTaken, retryAfterMs, this.#random), signal);
        } catch (aborted) {
          return failed(aborted);
        }
      }
    }
  }
}

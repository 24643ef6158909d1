import { abortReason, type Clock } from '../../src/ports/clock.ts';
import type { LlmError, LlmRequest, LlmResponse, LlmUpstream } from '../../src/ports/llm.ts';
import { nextGaussian, type Random } from '../../src/ports/random.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import { llmError } from './llm-error.ts';
import { ProviderFaults } from './provider-faults.ts';

/**
 * Parameters of a simulated hosted model. Defaults: lognormal time to first token
 * (median 500 ms, σ 0.2), lognormal output length fitted to the Azure LLM inference trace 2023
 * (conversation: μ 5.02, σ 0.86 tokens; Patel et al., "Splitwise", ISCA 2024), a constant decode
 * speed, and a load slowdown of `1 + (f − 1) · inflight / maxConcurrency` with f = 2, as
 * llm-d-inference-sim models time-to-first-token under load.
 */
export interface SimLlmConfig {
  /** Model name reported in responses. */
  readonly model: string;
  /** Median time to first token, in ms. @defaultValue 500 */
  readonly ttftMedianMs?: number;
  /** σ of ln(TTFT). @defaultValue 0.2 */
  readonly ttftSigma?: number;
  /** Decode speed after the first token, tokens per second. @defaultValue 70 */
  readonly decodeTokensPerSecond?: number;
  /** μ of ln(output tokens). @defaultValue 5.02 */
  readonly outputTokensMu?: number;
  /** σ of ln(output tokens). @defaultValue 0.86 */
  readonly outputTokensSigma?: number;
  /** Requests served at once; one more is refused with a 429 at once. @defaultValue 256 */
  readonly maxConcurrency?: number;
  /** Slowdown factor f at full concurrency. @defaultValue 2 */
  readonly loadSlowdown?: number;
  /** Probability that a request fails with a 500 at its first-token time. @defaultValue 0 */
  readonly errorRate?: number;
  /**
   * Probability that a request is refused at once with a 429 (the provider's per-key rate limit,
   * apart from `maxConcurrency`), carrying `Retry-After`. @defaultValue 0
   */
  readonly rateLimitRate?: number;
  /** The `Retry-After` of those 429s, ms. @defaultValue 1000 */
  readonly rateLimitRetryAfterMs?: number;
}

/** Ports of `SimLlmUpstream`. */
export interface SimLlmPorts {
  readonly clock: Clock;
  /** The provider's own stream; fault coin flips come from its fork `'faults'`. */
  readonly random: Random;
  /** Where injected faults are recorded (`upstream fault`). @defaultValue none */
  readonly trace?: TraceSink;
}

/**
 * A simulated LLM provider on the injected clock and random. Each call draws its own latency and
 * length; aborting the signal cancels the call and frees its concurrency slot at once. Faults
 * (`faults`: outage, slowdown, 429 storm, request-counted errors) change what a call does without
 * changing what it draws, so a faulted run and a healthy one stay aligned call by call.
 */
export class SimLlmUpstream implements LlmUpstream {
  readonly model: string;
  /** Calls in progress. */
  inflight = 0;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #ttftMu: number;
  readonly #ttftSigma: number;
  readonly #msPerToken: number;
  readonly #outMu: number;
  readonly #outSigma: number;
  readonly #maxConcurrency: number;
  readonly #slowdown: number;
  readonly #errorRate: number;
  readonly #rateLimitRate: number;
  readonly #rateLimitRetryAfterMs: number;
  /** The provider's fault switchboard (see `ProviderFaults`). */
  readonly faults: ProviderFaults;

  constructor(config: SimLlmConfig, ports: SimLlmPorts) {
    this.model = config.model;
    this.#clock = ports.clock;
    this.#random = ports.random;
    this.faults = new ProviderFaults({ model: config.model }, { random: ports.random.fork('faults') });
    this.#ttftMu = Math.log(config.ttftMedianMs ?? 500);
    this.#ttftSigma = config.ttftSigma ?? 0.2;
    this.#msPerToken = 1000 / (config.decodeTokensPerSecond ?? 70);
    this.#outMu = config.outputTokensMu ?? 5.02;
    this.#outSigma = config.outputTokensSigma ?? 0.86;
    this.#maxConcurrency = config.maxConcurrency ?? 256;
    this.#slowdown = config.loadSlowdown ?? 2;
    this.#errorRate = config.errorRate ?? 0;
    this.#rateLimitRate = config.rateLimitRate ?? 0;
    this.#rateLimitRetryAfterMs = config.rateLimitRetryAfterMs ?? 1000;
    if (!(this.#rateLimitRate >= 0 && this.#rateLimitRate <= 1))
      throw new RangeError(`SimLlmUpstream: rateLimitRate must be in [0, 1], got ${this.#rateLimitRate}`);
    if (!(this.#rateLimitRetryAfterMs >= 0) || !Number.isFinite(this.#rateLimitRetryAfterMs))
      throw new RangeError(
        `SimLlmUpstream: rateLimitRetryAfterMs must be a finite number >= 0, got ${this.#rateLimitRetryAfterMs}`,
      );
  }

  /**
   * Draws one call's fate without waiting: the concurrency check, its latency and length, and the
   * faults' verdict, in the order `complete` has always drawn them. `complete` acts the plan out on
   * the clock; `hasim serve-llm` acts it out over HTTP, drawing each request from a stream of its
   * own (`draws.random`, `draws.faultsRandom`) and as an unloaded provider (`draws.inflight` 0), so
   * request k draws the same values whatever else is in flight.
   * @param draws where the values come from: by default the provider's own streams and `inflight`.
   */
  plan(request: LlmRequest, draws?: LlmDraws): LlmCallPlan {
    const random = draws?.random ?? this.#random;
    const inflight = draws?.inflight ?? this.inflight;
    if (inflight >= this.#maxConcurrency) {
      const error = llmError(429, `${this.model}: concurrency limit ${this.#maxConcurrency} reached`, 1000);
      return { kind: 'fail', error };
    }
    // Every call draws the same number of values whatever its outcome, so one call's outcome
    // never shifts the draws of the calls after it.
    const load = 1 + ((this.#slowdown - 1) * inflight) / this.#maxConcurrency;
    const ttftMs = Math.exp(this.#ttftMu + this.#ttftSigma * nextGaussian(random)) * load;
    const drawnTokens = Math.max(
      1,
      Math.round(Math.exp(this.#outMu + this.#outSigma * nextGaussian(random))),
    );
    const fails = random.next() < this.#errorRate;
    // Drawn only by a provider that has the rate: the streams of every other provider stay as they were.
    const limited = this.#rateLimitRate > 0 && random.next() < this.#rateLimitRate;
    const outputTokens = Math.min(drawnTokens, request.maxTokens ?? Number.POSITIVE_INFINITY);
    const verdict = this.faults.decide(draws?.faultsRandom);
    if (verdict.kind !== 'serve') return verdict;
    if (limited) {
      const error = llmError(429, `${this.model}: rate limit reached`, this.#rateLimitRetryAfterMs);
      return { kind: 'fail', error };
    }
    const slow = verdict.slowdown;
    return {
      kind: 'serve',
      ttftMs: ttftMs * slow,
      failsAtFirstToken: fails,
      outputTokens,
      decodeMs: (outputTokens - 1) * this.#msPerToken * load * slow,
    };
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (signal?.aborted) throw abortReason(signal);
    const plan = this.plan(request);
    if (plan.kind === 'fail') throw plan.error;
    this.inflight++;
    try {
      if (plan.kind === 'hang') {
        // A hung provider answers nothing until its own gateway gives up (a 504 after hangMs).
        await this.#clock.sleep(plan.hangMs, signal);
        throw llmError(504, `${this.model}: gateway timeout after ${plan.hangMs} ms`);
      }
      await this.#clock.sleep(plan.ttftMs, signal);
      if (plan.failsAtFirstToken) throw llmError(500, `${this.model}: internal server error`);
      await this.#clock.sleep(plan.decodeMs, signal);
    } finally {
      this.inflight--;
    }
    const { outputTokens } = plan;
    return { model: this.model, text: `completion of request ${request.id}`, inputTokens: 0, outputTokens };
  }
}

/** Where `SimLlmUpstream.plan` draws one call's values from. */
export interface LlmDraws {
  /** Latency, length and error-rate draws. @defaultValue the provider's own stream */
  readonly random?: Random;
  /** The 429 storm's coin flip. @defaultValue the provider's `'faults'` fork */
  readonly faultsRandom?: Random;
  /** Calls in progress, for the load slowdown and the concurrency limit. @defaultValue `inflight` */
  readonly inflight?: number;
}

/**
 * One call's fate, drawn before it waits: refused at once, hung, or served after `ttftMs` (a 500
 * then if `failsAtFirstToken`) and `decodeMs` more for the remaining `outputTokens - 1` tokens.
 */
export type LlmCallPlan =
  | { readonly kind: 'fail'; readonly error: LlmError }
  | { readonly kind: 'hang'; readonly hangMs: number }
  | {
      readonly kind: 'serve';
      /** Time to the first token, slowdowns included, ms. */
      readonly ttftMs: number;
      /** Whether the call fails with a 500 at its first-token time (the error rate). */
      readonly failsAtFirstToken: boolean;
      readonly outputTokens: number;
      /** Time from the first token to the last, ms. */
      readonly decodeMs: number;
    };

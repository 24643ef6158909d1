import { abortReason, type Clock } from '../../src/ports/clock.ts';
import { LlmError, type LlmRequest, type LlmResponse, type LlmUpstream } from '../../src/ports/llm.ts';
import { nextGaussian, type Random } from '../../src/ports/random.ts';

/**
 * Parameters of a simulated hosted model. Defaults follow ../shared/research/llm-gateway.md §3.6:
 * lognormal time to first token (median 500 ms, σ 0.2), lognormal output length (Azure chat trace:
 * μ 5.02, σ 0.86 tokens), a constant decode speed, and a load slowdown of
 * `1 + (f − 1) · inflight / maxConcurrency` (llm-d-inference-sim) with f = 2.
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
}

/**
 * A simulated LLM provider on the injected clock and random. Each call draws its own latency and
 * length; aborting the signal cancels the call and frees its concurrency slot at once.
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

  constructor(config: SimLlmConfig, ports: { clock: Clock; random: Random }) {
    this.model = config.model;
    this.#clock = ports.clock;
    this.#random = ports.random;
    this.#ttftMu = Math.log(config.ttftMedianMs ?? 500);
    this.#ttftSigma = config.ttftSigma ?? 0.2;
    this.#msPerToken = 1000 / (config.decodeTokensPerSecond ?? 70);
    this.#outMu = config.outputTokensMu ?? 5.02;
    this.#outSigma = config.outputTokensSigma ?? 0.86;
    this.#maxConcurrency = config.maxConcurrency ?? 256;
    this.#slowdown = config.loadSlowdown ?? 2;
    this.#errorRate = config.errorRate ?? 0;
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (signal?.aborted) throw abortReason(signal);
    if (this.inflight >= this.#maxConcurrency) {
      throw new LlmError(429, `${this.model}: concurrency limit ${this.#maxConcurrency} reached`, 1000);
    }
    // Every call draws the same number of values whatever its outcome, so one call's outcome
    // never shifts the draws of the calls after it.
    const load = 1 + ((this.#slowdown - 1) * this.inflight) / this.#maxConcurrency;
    const ttftMs = Math.exp(this.#ttftMu + this.#ttftSigma * nextGaussian(this.#random)) * load;
    const drawnTokens = Math.max(
      1,
      Math.round(Math.exp(this.#outMu + this.#outSigma * nextGaussian(this.#random))),
    );
    const fails = this.#random.next() < this.#errorRate;
    const outputTokens = Math.min(drawnTokens, request.maxTokens ?? Number.POSITIVE_INFINITY);
    this.inflight++;
    try {
      await this.#clock.sleep(ttftMs, signal);
      if (fails) throw new LlmError(500, `${this.model}: internal server error`);
      await this.#clock.sleep((outputTokens - 1) * this.#msPerToken * load, signal);
    } finally {
      this.inflight--;
    }
    return { model: this.model, text: `completion of request ${request.id}`, inputTokens: 0, outputTokens };
  }
}

import { admitted, failed, type Outcome } from '../../outcome.ts';
import { abortReason, type Clock } from '../../ports/clock.ts';
import type { LlmResponse, LlmUpstream } from '../../ports/llm.ts';
import {
  AttemptLog,
  callWithTimeout,
  checkMs,
  checkUpstreams,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderPolicy,
  type ProviderPorts,
  type ProviderRequest,
  ProviderTimeoutError,
  stripSignal,
} from './policy.ts';

/** The article's per-model limit (section 5.3, `orTimeout(10, TimeUnit.SECONDS)`). */
export const ARTICLE_TIMEOUT_MS = 10_000;

/** Options of `ArticleFallbackPolicy` and `SequentialFallbackPolicy`. */
export interface FallbackOptions {
  /** The models, in preference order. */
  readonly upstreams: readonly LlmUpstream[];
  /** Limit on each model's call, ms. @defaultValue 10_000 */
  readonly timeoutMs?: number;
}

/** The article's `ChatResponse`: a model's answer, or `ChatResponse.fallback()`. */
type ChatResponse =
  | { readonly fallback: false; readonly response: LlmResponse }
  | { readonly fallback: true; readonly error: unknown };

/** Thrown into `failed` when every model fell back. */
export class AllModelsFailedError extends Error {
  override readonly name = 'AllModelsFailedError';
  constructor(
    /** Each model's error, in list order. */
    readonly errors: readonly unknown[],
  ) {
    super(`every model fell back (${errors.length} models)`);
  }
}

/**
 * The article's `LLMCompositionService.chatWithFallback` (section 5.3) as written: every model is
 * started at once (`supplyAsync`), each with `orTimeout(10 s)` and `exceptionally(→ fallback)`,
 * then the futures are joined in list order and the first non-fallback answer wins. So an answer
 * from model k waits for every earlier model to answer or time out: the latency is that of the
 * slowest earlier model. As with `orTimeout`, a timed-out call is not cancelled (it runs on and its
 * answer is ignored), and the later models are not cancelled once an earlier one answers.
 */
export class ArticleFallbackPolicy implements ProviderPolicy {
  readonly name = 'article-fallback';
  readonly #upstreams: readonly LlmUpstream[];
  readonly #timeoutMs: number;
  readonly #ports: ProviderPorts;
  readonly #clock: Clock;

  constructor(options: FallbackOptions, ports: ProviderPorts) {
    this.#upstreams = checkUpstreams('ArticleFallbackPolicy', options.upstreams);
    this.#timeoutMs = checkMs(
      'ArticleFallbackPolicy',
      'timeoutMs',
      options.timeoutMs ?? ARTICLE_TIMEOUT_MS,
      1,
    );
    this.#ports = ports;
    this.#clock = ports.clock;
  }

  async call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>> {
    if (request.signal?.aborted) return failed(abortReason(request.signal));
    const log = new AttemptLog(context, this.#ports);
    const last = this.#upstreams.length - 1;
    const futures = this.#upstreams.map((upstream, i) => this.#future(upstream, request, log, i === last));
    const errors: unknown[] = [];
    for (let i = 0; i < futures.length; i++) {
      const future = futures[i];
      const upstream = this.#upstreams[i];
      if (future === undefined || upstream === undefined) continue;
      const result = await future;
      if (!result.fallback)
        return admitted({ response: result.response, model: upstream.model, attempts: log.calls });
      errors.push(result.error);
    }
    if (request.signal?.aborted) return failed(abortReason(request.signal));
    return failed(new AllModelsFailedError(errors));
  }

  /** One model's future: its call, or the fallback at its failure or at the timeout. */
  #future(
    upstream: LlmUpstream,
    request: ProviderRequest,
    log: AttemptLog,
    last: boolean,
  ): Promise<ChatResponse> {
    const { n, startMs } = log.start(upstream.model);
    const next = last ? 'exhausted' : 'fallback';
    return new Promise<ChatResponse>((resolve) => {
      let settled = false;
      const timer = this.#clock.schedule(this.#timeoutMs, () => {
        if (settled) return;
        settled = true;
        const error = new ProviderTimeoutError(this.#timeoutMs);
        log.failed(upstream.model, n, error, next);
        resolve({ fallback: true, error });
      });
      upstream.complete(stripSignal(request), request.signal).then(
        (response) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          log.answered(upstream.model, n, startMs, response);
          resolve({ fallback: false, response });
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          log.failed(upstream.model, n, error, next);
          resolve({ fallback: true, error });
        },
      );
    });
  }
}

/**
 * One model at a time, each with its own limit that cancels the call; the next model starts only
 * when the previous one failed or timed out. Cheapest in upstream calls, but the worst case is the
 * sum of the timeouts plus the last model's latency.
 */
export class SequentialFallbackPolicy implements ProviderPolicy {
  readonly name = 'sequential-fallback';
  readonly #upstreams: readonly LlmUpstream[];
  readonly #timeoutMs: number;
  readonly #ports: ProviderPorts;
  readonly #clock: Clock;

  constructor(options: FallbackOptions, ports: ProviderPorts) {
    this.#upstreams = checkUpstreams('SequentialFallbackPolicy', options.upstreams);
    this.#timeoutMs = checkMs(
      'SequentialFallbackPolicy',
      'timeoutMs',
      options.timeoutMs ?? ARTICLE_TIMEOUT_MS,
      1,
      true,
    );
    this.#ports = ports;
    this.#clock = ports.clock;
  }

  async call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>> {
    const log = new AttemptLog(context, this.#ports);
    const errors: unknown[] = [];
    for (let i = 0; i < this.#upstreams.length; i++) {
      const upstream = this.#upstreams[i];
      if (upstream === undefined) continue;
      const { n, startMs } = log.start(upstream.model);
      try {
        const response = await callWithTimeout(
          upstream,
          stripSignal(request),
          this.#timeoutMs,
          this.#clock,
          request.signal,
        );
        log.answered(upstream.model, n, startMs, response);
        return admitted({ response, model: upstream.model, attempts: log.calls });
      } catch (error) {
        const aborted = request.signal?.aborted === true;
        const more = i + 1 < this.#upstreams.length;
        log.failed(upstream.model, n, error, more && !aborted ? 'fallback' : 'exhausted');
        if (aborted) return failed(error);
        errors.push(error);
      }
    }
    return failed(new AllModelsFailedError(errors));
  }
}

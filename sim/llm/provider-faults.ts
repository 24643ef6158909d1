import type { FaultArgs } from '../../src/ports/faults.ts';
import type { LlmError } from '../../src/ports/llm.ts';
import type { Random } from '../../src/ports/random.ts';
import { llmError } from './llm-error.ts';

/**
 * The faults a simulated provider can be under, each independent of the others (a slowdown and a
 * 429 storm can overlap). Faults change what a call does, never how many values it draws from the
 * provider's own stream: a storm's coin flips come from a separate fork, so a run with a fault and
 * one without draw the same latencies for the same call numbers.
 */
export interface ProviderFaultState {
  /**
   * Every call fails: at once with a 503 (`'error'`), or hangs (`'hang'`) until the caller aborts
   * or `hangMs` passes, then a 504.
   */
  readonly outage: 'none' | 'error' | 'hang';
  /** How long a hung call waits before its 504, ms. */
  readonly hangMs: number;
  /** Latency multiplier (1 = healthy). */
  readonly slowdown: number;
  /** Probability that a call is refused with a 429 (0 = no storm). */
  readonly stormProbability: number;
  /** `Retry-After` sent with a storm's 429, ms. */
  readonly stormRetryAfterMs: number;
  /** Calls still to fail with `failNextStatus` ("the next 2 calls return 429"). */
  readonly failNext: number;
  /** Status of the request-counted failures. */
  readonly failNextStatus: number;
}

export const HEALTHY: ProviderFaultState = {
  outage: 'none',
  hangMs: 600_000,
  slowdown: 1,
  stormProbability: 0,
  stormRetryAfterMs: 1000,
  failNext: 0,
  failNextStatus: 429,
};

/** What the faults decide for one call before it starts. */
export type FaultVerdict =
  | { readonly kind: 'serve'; readonly slowdown: number }
  | { readonly kind: 'fail'; readonly error: LlmError }
  | { readonly kind: 'hang'; readonly hangMs: number };

/** The provider-side fault switchboard of one simulated model. */
export class ProviderFaults {
  #state: ProviderFaultState = HEALTHY;
  readonly #model: string;
  readonly #storm: Random;

  constructor(options: { readonly model: string }, ports: { readonly random: Random }) {
    this.#model = options.model;
    this.#storm = ports.random;
  }

  /** The faults in force. */
  get state(): ProviderFaultState {
    return this.#state;
  }

  /**
   * `outage` with args.mode `'error'` (default) or `'hang'`, and args.hangMs (default 600000: a
   * ten-minute upstream timeout, the OpenAI client's default).
   */
  outage(args: FaultArgs): void {
    const mode = args.mode ?? 'error';
    const hangMs = args.hangMs ?? HEALTHY.hangMs;
    if (mode !== 'error' && mode !== 'hang') {
      throw new RangeError(`outage: args.mode must be 'error' or 'hang', got ${String(mode)}`);
    }
    if (typeof hangMs !== 'number' || !(hangMs >= 0) || !Number.isFinite(hangMs)) {
      throw new RangeError(`outage: args.hangMs must be a finite number >= 0 (ms), got ${String(hangMs)}`);
    }
    this.#state = { ...this.#state, outage: mode, hangMs };
  }

  /** `slowdown` with args.factor ≥ 1 (latency multiplier). */
  slowdown(args: FaultArgs): void {
    const factor = args.factor;
    if (typeof factor !== 'number' || !(factor >= 1) || !Number.isFinite(factor)) {
      throw new RangeError(`slowdown: args.factor must be a finite number >= 1, got ${String(factor)}`);
    }
    this.#state = { ...this.#state, slowdown: factor };
  }

  /** `rate-limit-storm` with args.probability in (0, 1] (default 1) and args.retryAfterMs. */
  rateLimitStorm(args: FaultArgs): void {
    const probability = args.probability ?? 1;
    const retryAfterMs = args.retryAfterMs ?? 1000;
    if (typeof probability !== 'number' || !(probability > 0 && probability <= 1)) {
      throw new RangeError(
        `rate-limit-storm: args.probability must be in (0, 1], got ${String(probability)}`,
      );
    }
    if (typeof retryAfterMs !== 'number' || !(retryAfterMs >= 0) || !Number.isFinite(retryAfterMs)) {
      throw new RangeError(`rate-limit-storm: args.retryAfterMs must be a finite number >= 0 (ms)`);
    }
    this.#state = { ...this.#state, stormProbability: probability, stormRetryAfterMs: retryAfterMs };
  }

  /** `fail-next` with args.count (a positive integer) and args.status (default 429). */
  failNext(args: FaultArgs): void {
    const count = args.count;
    const status = args.status ?? 429;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`fail-next: args.count must be a positive integer, got ${String(count)}`);
    }
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(
        `fail-next: args.status must be an HTTP error status (400-599), got ${String(status)}`,
      );
    }
    this.#state = { ...this.#state, failNext: count, failNextStatus: status };
  }

  /** Ends every fault. */
  heal(): void {
    this.#state = HEALTHY;
  }

  /**
   * Decides one call. Consumes a request-counted failure and one storm draw while a storm is on.
   * @param storm where the storm's coin flip comes from. @defaultValue the provider's faults stream
   */
  decide(storm: Random = this.#storm): FaultVerdict {
    const s = this.#state;
    if (s.failNext > 0) {
      this.#state = { ...s, failNext: s.failNext - 1 };
      return {
        kind: 'fail',
        error: llmError(s.failNextStatus, `${this.#model}: injected ${s.failNextStatus}`, retryAfter(s)),
      };
    }
    if (s.outage === 'error')
      return { kind: 'fail', error: llmError(503, `${this.#model}: service unavailable`) };
    if (s.outage === 'hang') return { kind: 'hang', hangMs: s.hangMs };
    if (s.stormProbability > 0 && storm.next() < s.stormProbability) {
      return {
        kind: 'fail',
        error: llmError(429, `${this.#model}: rate limited (storm)`, s.stormRetryAfterMs),
      };
    }
    return { kind: 'serve', slowdown: s.slowdown };
  }
}

function retryAfter(s: ProviderFaultState): number | undefined {
  return s.failNextStatus === 429 ? s.stormRetryAfterMs : undefined;
}

/**
 * A model provider as the gateway sees it: one completion call that may be slow, fail, be rate
 * limited or be cancelled. Simulated providers live in sim/llm/; a real one would wrap an HTTP API.
 */
export interface LlmUpstream {
  /** The model this upstream serves, e.g. `'gpt-4o'`. */
  readonly model: string;

  /**
   * Completes one prompt. Rejects with `LlmError` for provider errors and with the signal's reason
   * when `signal` aborts (the call is then cancelled, not merely ignored).
   */
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
}

export interface LlmRequest {
  /** Caller-chosen request id, carried into the trace. */
  readonly id: number;
  readonly prompt: string;
  /** Upper bound on generated tokens; providers may stop earlier. */
  readonly maxTokens?: number;
}

export interface LlmResponse {
  readonly model: string;
  readonly text: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A provider-side failure with its HTTP status (429 rate limited, 500/503 server errors). */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly status: number,
    message: string,
    /** Provider-suggested wait before retrying, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

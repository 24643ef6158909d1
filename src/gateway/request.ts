/** One chat request as it enters the gateway. */
export interface GatewayRequest {
  /** Caller-chosen id, carried into every trace event of the request. */
  readonly id: number;
  /** The user it is for: the limiter's key and the chat-history shard key. */
  readonly userId: string;
  /** The prompt; identical prompts share a cache entry and a merged upstream call. */
  readonly prompt: string;
  /** Upper bound on generated tokens. @defaultValue the provider's */
  readonly maxTokens?: number;
  /** Aborts the request (a client timeout or disconnect). */
  readonly signal?: AbortSignal;
}

/** Where an answer came from. */
export type ServedBy = 'l1' | 'l2' | 'l3' | 'upstream' | 'fallback';

/** A successful answer. */
export interface GatewayResponse {
  readonly text: string;
  /** The model that produced `text` (the fallback model when `servedBy` is `'fallback'`). */
  readonly model: string;
  readonly servedBy: ServedBy;
  /** Output tokens generated for this answer (0 when served from a cache). */
  readonly outputTokens: number;
}

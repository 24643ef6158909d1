import type { Clock } from '../ports/clock.ts';
import { abortReason } from '../ports/clock.ts';
import { LlmError, type LlmRequest, type LlmResponse, type LlmUpstream } from '../ports/llm.ts';
import { SystemClock } from './system-clock.ts';

/** Options of `OpenAiHttpUpstream`. */
export interface OpenAiHttpUpstreamOptions {
  /**
   * The API's base URL, up to and including the version: `http://127.0.0.1:8080/v1` (the OpenAI
   * SDK's `base_url`); requests go to `<baseUrl>/chat/completions`.
   */
  readonly baseUrl: string;
  /** The `model` every request names. */
  readonly model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. @defaultValue none */
  readonly apiKey?: string;
  /** Largest response body read, bytes; a larger one is an `LlmError` 502. @defaultValue 4 MiB */
  readonly maxResponseBytes?: number;
}

/** Ports of `OpenAiHttpUpstream`. */
export interface OpenAiHttpUpstreamPorts {
  /** The HTTP client. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
  /** For a `Retry-After` given as an HTTP date. @defaultValue `SystemClock` */
  readonly clock?: Clock;
}

/**
 * An `LlmUpstream` over an OpenAI-compatible Chat Completions endpoint (OpenAI itself, a LiteLLM
 * proxy, `hasim serve-llm`), non-streaming. A non-2xx answer is an `LlmError` with its status, the
 * body's `error.message`, and the wait the server asked for: `retry-after-ms` (ms, as the OpenAI
 * and Azure APIs send it), else `retry-after` in seconds or as an HTTP date (RFC 9110 §10.2.3).
 * A request that cannot reach the server (refused, reset, DNS) is an `LlmError` 502 naming the URL.
 * Aborting `signal` aborts the HTTP request and rejects with the signal's reason.
 */
export class OpenAiHttpUpstream implements LlmUpstream {
  readonly model: string;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #maxResponseBytes: number;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;

  constructor(options: OpenAiHttpUpstreamOptions, ports: OpenAiHttpUpstreamPorts = {}) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`OpenAiHttpUpstream: baseUrl must be an absolute URL, got '${options.baseUrl}'`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new TypeError(`OpenAiHttpUpstream: baseUrl must be http: or https:, got '${base.protocol}'`);
    this.#url = `${base.href.replace(/\/+$/, '')}/chat/completions`;
    this.model = options.model;
    this.#apiKey = options.apiKey;
    this.#maxResponseBytes = options.maxResponseBytes ?? 4 << 20;
    if (!Number.isSafeInteger(this.#maxResponseBytes) || this.#maxResponseBytes < 1)
      throw new RangeError(`OpenAiHttpUpstream: maxResponseBytes must be an integer >= 1 (bytes)`);
    this.#fetch = ports.fetch ?? fetch;
    this.#clock = ports.clock ?? new SystemClock();
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    if (signal?.aborted) throw abortReason(signal);
    const body = {
      model: this.model,
      messages: [{ role: 'user', content: request.prompt }],
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw new LlmError(502, `${this.#url}: ${networkReason(error)}`);
    }
    const text = await this.#readBody(response, signal);
    if (!response.ok) {
      const retryAfterMs = this.#retryAfterMs(response.headers);
      throw new LlmError(response.status, `${this.model}: ${errorMessage(text, response)}`, retryAfterMs);
    }
    return this.#parseCompletion(text);
  }

  /** The body as text, at most `maxResponseBytes`. */
  async #readBody(response: Response, signal: AbortSignal | undefined): Promise<string> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of (response.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > this.#maxResponseBytes) {
          // Leaving the loop by a throw cancels the body stream (its iterator's return()).
          throw new LlmError(502, `${this.#url}: response larger than ${this.#maxResponseBytes} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      if (error instanceof LlmError) throw error;
      throw new LlmError(502, `${this.#url}: ${networkReason(error)}`);
    }
    return Buffer.concat(chunks, total).toString('utf8');
  }

  /** `retry-after-ms`, else `retry-after` (seconds or an HTTP date), in ms; undefined if neither. */
  #retryAfterMs(headers: Headers): number | undefined {
    const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
    if (Number.isFinite(ms) && ms >= 0) return ms;
    const value = headers.get('retry-after');
    if (value === null) return undefined;
    const seconds = Number(value);
    if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - this.#clock.now());
  }

  #parseCompletion(text: string): LlmResponse {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LlmError(502, `${this.#url}: the response is not JSON`);
    }
    const c = json as {
      model?: unknown;
      choices?: { message?: { content?: unknown } }[];
      usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
    };
    const content = c.choices?.[0]?.message?.content;
    if (typeof content !== 'string' && content !== null)
      throw new LlmError(502, `${this.#url}: the response has no choices[0].message.content`);
    const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
    return {
      model: typeof c.model === 'string' ? c.model : this.model,
      text: content ?? '',
      inputTokens: count(c.usage?.prompt_tokens),
      outputTokens: count(c.usage?.completion_tokens),
    };
  }
}

/** The message of an OpenAI error body, else the status text. */
function errorMessage(text: string, response: Response): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}

/** Why a request could not reach the server: undici's cause code (ECONNREFUSED) or its message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (error as Error).message;
}

/**
 * The JSON shapes of OpenAI's Chat Completions API that `hasim serve-llm` speaks: the request
 * fields it reads, the `chat.completion` object, the `chat.completion.chunk` of a stream and the
 * error object. Shapes as in the API reference, https://platform.openai.com/docs/api-reference/chat
 * (create, the chat completion object, the streaming chunk object) and its error codes page,
 * https://platform.openai.com/docs/guides/error-codes.
 */

/** What serve-llm needs of a `POST /v1/chat/completions` body. */
export interface ChatRequest {
  readonly model: string;
  /** Every message's text content, joined: what the prompt-token estimate counts. */
  readonly prompt: string;
  /** `max_completion_tokens`, else the older `max_tokens`. */
  readonly maxTokens?: number;
  readonly stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `usage` before `[DONE]`. */
  readonly includeUsage: boolean;
}

/** A request body that cannot be served: the 400 it earns. */
export interface BadRequest {
  readonly message: string;
  /** The offending field, as OpenAI's `error.param` names it. */
  readonly param: string | null;
}

/** Reads a parsed request body; a `BadRequest` names the first field that is wrong. */
export function parseChatRequest(body: unknown): ChatRequest | BadRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { message: 'The request body must be a JSON object.', param: null };
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '')
    return { message: "you must provide a model parameter ('model': a string)", param: 'model' };
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return { message: "'messages' must be a non-empty array of messages", param: 'messages' };
  const parts: string[] = [];
  for (const m of b.messages as unknown[]) {
    if (typeof m !== 'object' || m === null)
      return { message: "each of 'messages' must be an object", param: 'messages' };
    parts.push(contentText((m as Record<string, unknown>).content));
  }
  const maxField = b.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  const max = b[maxField];
  if (max !== undefined && max !== null && !(Number.isSafeInteger(max) && (max as number) >= 1))
    return { message: `'${maxField}' must be an integer >= 1`, param: maxField };
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean')
    return { message: "'stream' must be a boolean", param: 'stream' };
  const options = b.stream_options as Record<string, unknown> | null | undefined;
  return {
    model: b.model,
    prompt: parts.join('\n'),
    ...(typeof max === 'number' ? { maxTokens: max } : {}),
    stream: b.stream === true,
    includeUsage: typeof options === 'object' && options !== null && options.include_usage === true,
  };
}

/** Text of a message's `content`: a string, or the `text` of its text parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (typeof p === 'object' && p !== null && typeof p.text === 'string' ? p.text : ''))
    .join('');
}

/**
 * Prompt tokens, estimated as one per four characters (OpenAI's rule of thumb for English text,
 * https://help.openai.com/en/articles/4936856): serve-llm has no tokenizer.
 */
export function promptTokens(prompt: string): number {
  return Math.ceil(prompt.length / 4);
}

const WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit'];

/** The text of token `i` (from 0) of an answer: one filler word each, so content length is countable. */
export function tokenText(i: number): string {
  const word = WORDS[i % WORDS.length] as string;
  return i === 0 ? word : ` ${word}`;
}

/** The whole answer of `tokens` tokens, as the stream's deltas concatenate. */
export function answerText(tokens: number): string {
  let text = '';
  for (let i = 0; i < tokens; i++) text += tokenText(i);
  return text;
}

/** What every response object of one request shares. */
export interface ResponseIdentity {
  /** `chatcmpl-...`. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

function usage(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The `chat.completion` object of a non-streaming answer. */
export function completionBody(
  who: ResponseIdentity,
  answer: { readonly outputTokens: number; readonly promptTokens: number; readonly capped: boolean },
): object {
  return {
    id: who.id,
    object: 'chat.completion',
    created: who.created,
    model: who.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answerText(answer.outputTokens), refusal: null },
        logprobs: null,
        finish_reason: answer.capped ? 'length' : 'stop',
      },
    ],
    usage: usage(answer.promptTokens, answer.outputTokens),
  };
}

/**
 * One `chat.completion.chunk`: token `i`'s delta (the first also carries the role), or, with
 * `finish`, the empty last delta with its `finish_reason`.
 */
export function chunkBody(
  who: ResponseIdentity,
  delta: { readonly token: number } | { readonly finish: 'stop' | 'length' },
): object {
  const choice =
    'token' in delta
      ? {
          index: 0,
          delta:
            delta.token === 0
              ? { role: 'assistant', content: tokenText(0) }
              : { content: tokenText(delta.token) },
          logprobs: null,
          finish_reason: null,
        }
      : { index: 0, delta: {}, logprobs: null, finish_reason: delta.finish };
  return {
    id: who.id,
    object: 'chat.completion.chunk',
    created: who.created,
    model: who.model,
    choices: [choice],
  };
}

/** The usage chunk a stream ends with when `stream_options.include_usage` asked for it. */
export function usageChunkBody(who: ResponseIdentity, prompt: number, completion: number): object {
  return {
    id: who.id,
    object: 'chat.completion.chunk',
    created: who.created,
    model: who.model,
    choices: [],
    usage: usage(prompt, completion),
  };
}

/** OpenAI's error `type` and `code` for each status serve-llm answers with. */
function errorKind(status: number): { readonly type: string; readonly code: string | null } {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 404) return { type: 'invalid_request_error', code: 'model_not_found' };
  if (status === 413) return { type: 'invalid_request_error', code: 'request_too_large' };
  if (status === 400) return { type: 'invalid_request_error', code: null };
  if (status === 503) return { type: 'server_error', code: 'service_unavailable' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** `{"error": {message, type, param, code}}`, OpenAI's error body. */
export function errorBody(status: number, message: string, param: string | null = null): object {
  const { type, code } = errorKind(status);
  return { error: { message, type, param, code } };
}

/** `GET /v1/models`: the list object of model objects. */
export function modelsBody(models: readonly string[], created: number): object {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created, owned_by: 'hasim' })),
  };
}

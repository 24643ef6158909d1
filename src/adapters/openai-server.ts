import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type ChatRequest,
  chunkBody,
  completionBody,
  errorBody,
  modelsBody,
  parseChatRequest,
  promptTokens,
  type ResponseIdentity,
  usageChunkBody,
} from '../live/serve-llm/openai-shapes.ts';
import type { ServedCall, ServedModels } from '../live/serve-llm/served-models.ts';
import type { Clock } from '../ports/clock.ts';

/** Options of `OpenAiServer`; every limit is named and has a default. */
export interface OpenAiServerOptions {
  /** Interface to listen on. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Requests handled at once; one more gets a 503 at once. @defaultValue 256 */
  readonly maxConcurrent?: number;
  /** Largest request body, bytes; a larger one gets a 413. @defaultValue 1 MiB */
  readonly maxBodyBytes?: number;
  /**
   * Longest time to receive a request's headers and body, ms (Node's `server.requestTimeout`);
   * past it Node answers 408. @defaultValue 30000
   */
  readonly requestTimeoutMs?: number;
  /** Called with one line per request when set (`--verbose`). */
  readonly log?: (line: string) => void;
}

/** Defaults of `OpenAiServerOptions`. */
export const OPENAI_SERVER_DEFAULTS = {
  maxConcurrent: 256,
  maxBodyBytes: 1 << 20,
  requestTimeoutMs: 30_000,
} as const;

/** Why the server could not listen: the port is taken, or the address cannot be bound. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/**
 * An OpenAI-compatible HTTP front for the simulated providers of `ServedModels`, on node:http:
 * `POST /v1/chat/completions` (JSON, or server-sent events with `stream: true`) and
 * `GET /v1/models`. Each accepted request acts out its plan on the clock: errors at once, a hang
 * until its 504, else the first token after the time to first token and the rest spaced by the
 * per-token time (one SSE chunk per token). A client that disconnects cancels its request.
 *
 * Headers on every answer to an accepted request: `x-request-id`, `x-hasim-request`
 * (`<provider>/<k>`); on a served one `x-hasim-ttft-ms` and `x-hasim-ms-per-token` (real ms, as
 * waited); on a 429 `retry-after` (whole seconds, rounded up) and `retry-after-ms`.
 */
export class OpenAiServer {
  readonly #models: ServedModels;
  readonly #clock: Clock;
  readonly #server: Server;
  readonly #host: string;
  readonly #port: number;
  readonly #maxConcurrent: number;
  readonly #maxBodyBytes: number;
  readonly #log: ((line: string) => void) | undefined;
  readonly #inflight = new Set<AbortController>();

  constructor(options: OpenAiServerOptions, ports: { readonly clock: Clock; readonly models: ServedModels }) {
    this.#models = ports.models;
    this.#clock = ports.clock;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port;
    this.#maxConcurrent = positive(
      'maxConcurrent',
      options.maxConcurrent ?? OPENAI_SERVER_DEFAULTS.maxConcurrent,
    );
    this.#maxBodyBytes = positive(
      'maxBodyBytes',
      options.maxBodyBytes ?? OPENAI_SERVER_DEFAULTS.maxBodyBytes,
    );
    const timeoutMs = positive(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? OPENAI_SERVER_DEFAULTS.requestTimeoutMs,
    );
    this.#log = options.log;
    this.#server = createServer({ requestTimeout: timeoutMs, headersTimeout: timeoutMs }, (req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        // A bug in a handler: answer 500 if nothing was sent yet, and keep serving.
        if (!res.headersSent)
          sendJson(res, 500, errorBody(500, `hasim serve-llm: ${(error as Error).message}`));
        else res.destroy();
      });
    });
  }

  /** Requests being handled now (reading their body, waiting, or streaming). */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /** Starts listening; resolves with the bound port, rejects with a `ListenError` naming host:port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the port is in use' : (error.code ?? error.message);
        reject(new ListenError(`cannot listen on ${this.#host}:${this.#port}: ${why}`));
      };
      this.#server.once('error', onError);
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : this.#port);
      });
    });
  }

  /** Stops listening, cancels the requests in flight and closes every connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const abort of this.#inflight) abort.abort();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      const models = this.#models.providers.map((p) => p.model);
      sendJson(res, 200, modelsBody([...new Set(models)], Math.floor(this.#clock.now() / 1000)));
      return;
    }
    if (path !== '/v1/chat/completions' && path !== '/chat/completions') {
      sendJson(res, 404, errorBody(404, `Unknown request URL: ${req.method} ${path}.`));
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, errorBody(405, `Method ${req.method} not allowed on ${path}; use POST.`));
      return;
    }
    if (this.#inflight.size >= this.#maxConcurrent) {
      const message = `hasim serve-llm: ${this.#maxConcurrent} requests in flight (--max-concurrent)`;
      sendJson(res, 503, errorBody(503, message));
      return;
    }
    const abort = new AbortController();
    this.#inflight.add(abort);
    res.on('close', () => {
      this.#inflight.delete(abort);
      if (!res.writableFinished) abort.abort();
    });
    const request = await this.#readRequest(req, res);
    if (request === undefined) return;
    const provider = this.#models.find(request.model);
    if (provider === undefined) {
      const message = `The model \`${request.model}\` does not exist or you do not have access to it.`;
      sendJson(res, 404, errorBody(404, message, 'model'));
      return;
    }
    const call = this.#models.accept(provider, request);
    try {
      await this.#answer(call, request, res, abort.signal);
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      res.destroy();
    }
  }

  /** The body as a `ChatRequest`, or undefined after answering 413 or 400 (or the client left). */
  async #readRequest(req: IncomingMessage, res: ServerResponse): Promise<ChatRequest | undefined> {
    const tooLarge = () => {
      // The rest of the body is not read: the connection closes after the answer.
      res.setHeader('connection', 'close');
      const message = `Request body larger than ${this.#maxBodyBytes} bytes (--max-body-bytes).`;
      sendJson(res, 413, errorBody(413, message));
    };
    if (Number(req.headers['content-length'] ?? 0) > this.#maxBodyBytes) {
      tooLarge();
      return undefined;
    }
    const bytes = await readBody(req, this.#maxBodyBytes);
    if (bytes === 'too-large') tooLarge();
    if (typeof bytes === 'string') return undefined;
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      sendJson(res, 400, errorBody(400, 'The request body is not valid JSON.'));
      return undefined;
    }
    const parsed = parseChatRequest(body);
    if ('message' in parsed) {
      sendJson(res, 400, errorBody(400, parsed.message, parsed.param));
      return undefined;
    }
    return parsed;
  }

  async #answer(
    call: ServedCall,
    request: ChatRequest,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const tag = `${call.provider.name}/${call.number}`;
    res.setHeader('x-request-id', `hasim-${call.provider.name}-${call.number}`);
    res.setHeader('x-hasim-request', tag);
    const { plan } = call;
    if (plan.kind === 'fail') {
      if (plan.retryAfterMs !== undefined) {
        res.setHeader('retry-after', String(Math.ceil(plan.retryAfterMs / 1000)));
        res.setHeader('retry-after-ms', String(Math.ceil(plan.retryAfterMs)));
      }
      this.#log?.(`${tag} ${plan.status} ${plan.message}`);
      sendJson(res, plan.status, errorBody(plan.status, plan.message));
      return;
    }
    if (plan.kind === 'hang') {
      await this.#clock.sleep(plan.hangMs, signal);
      const message = `${call.provider.model}: gateway timeout after ${Math.ceil(plan.hangMs)} ms`;
      this.#log?.(`${tag} 504 ${message}`);
      sendJson(res, 504, errorBody(504, message));
      return;
    }
    const ttftMs = Math.ceil(plan.ttftMs);
    const start = this.#clock.now();
    await this.#clock.sleep(ttftMs, signal);
    res.setHeader('x-hasim-ttft-ms', String(ttftMs));
    res.setHeader('x-hasim-ms-per-token', plan.msPerToken.toFixed(3));
    if (plan.failsAtFirstToken) {
      const message = `${call.provider.model}: internal server error`;
      this.#log?.(`${tag} 500 ${message} (ttft ${ttftMs} ms)`);
      sendJson(res, 500, errorBody(500, message));
      return;
    }
    const who: ResponseIdentity = {
      id: `chatcmpl-hasim-${call.provider.name}-${call.number}`,
      created: Math.floor(start / 1000),
      model: call.provider.model,
    };
    const answer = {
      outputTokens: plan.outputTokens,
      promptTokens: promptTokens(request.prompt),
      capped: plan.capped,
    };
    if (request.stream) await this.#stream(res, who, answer, plan.msPerToken, request.includeUsage, signal);
    else {
      await this.#clock.sleep(plan.msPerToken * (plan.outputTokens - 1), signal);
      sendJson(res, 200, completionBody(who, answer));
    }
    this.#log?.(
      `${tag} 200 ttft ${ttftMs} ms, ${plan.outputTokens} tokens${request.stream ? ', streamed' : ''}`,
    );
  }

  /** Token i goes out `i × msPerToken` after the first; a late timer sends the tokens due at once. */
  async #stream(
    res: ServerResponse,
    who: ResponseIdentity,
    answer: { readonly outputTokens: number; readonly promptTokens: number; readonly capped: boolean },
    msPerToken: number,
    includeUsage: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const first = this.#clock.now();
    for (let i = 0; i < answer.outputTokens; i++) {
      const waitMs = first + i * msPerToken - this.#clock.now();
      if (waitMs >= 1) await this.#clock.sleep(waitMs, signal);
      await sendEvent(res, chunkBody(who, { token: i }), signal);
    }
    await sendEvent(res, chunkBody(who, { finish: answer.capped ? 'length' : 'stop' }), signal);
    if (includeUsage)
      await sendEvent(res, usageChunkBody(who, answer.promptTokens, answer.outputTokens), signal);
    res.end('data: [DONE]\n\n');
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`OpenAiServer: ${name} must be an integer >= 1, got ${value}`);
  return value;
}

/**
 * A request's body, at most `maxBytes`: `'too-large'` as soon as it is longer (the rest is
 * discarded as it arrives), `'gone'` if the client went away first.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      total += chunk.length;
      if (total > maxBytes) {
        over = true;
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, total)));
    req.on('error', () => resolve('gone'));
    req.on('close', () => resolve('gone'));
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes one SSE event; waits for the socket to drain when its buffer is full. */
function sendEvent(res: ServerResponse, body: object, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (res.write(`data: ${JSON.stringify(body)}\n\n`)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    res.once('drain', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

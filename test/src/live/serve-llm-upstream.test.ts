import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAiHttpUpstream } from '#src/adapters/openai-http-upstream.ts';
import { LlmError } from '#src/ports/llm.ts';
import { FAST, scenario, startServer, type TestServer } from './serve-llm-helpers.ts';

const FAIL_TWO = `  - { at: 0, do: fail-next, target: upstream/primary, args: { count: 2, status: 429 } }`;

/** The LlmError `promise` rejects with. */
async function llmError(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LlmError)) throw new Error(`expected an LlmError, got ${String(error)}`);
  return error;
}

describe('OpenAiHttpUpstream against hasim serve-llm', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("turns the timeline's 429s into LlmErrors with the retry-after, then completes, as the server numbered them", async () => {
    server = await startServer(scenario(FAST, FAIL_TWO), 11);
    // Fault injections at 0 ms run on the next timer tick.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const upstream = new OpenAiHttpUpstream({ baseUrl: server.baseUrl, model: 'gpt-test' });
    for (let k = 1; k <= 2; k++) {
      const error = await llmError(upstream.complete({ id: k, prompt: 'hi' }));
      expect({ status: error.status, retryAfterMs: error.retryAfterMs }).toEqual({
        status: 429,
        retryAfterMs: 1000,
      });
      expect(error.message).toBe('gpt-test: gpt-test: injected 429');
    }
    const outcomes: (number | 'ok')[] = [];
    for (let k = 3; k <= 10; k++) {
      const outcome = await upstream.complete({ id: k, prompt: 'a prompt of some length' }).then(
        (r) => {
          expect(r.model).toBe('gpt-test');
          expect(r.outputTokens).toBeGreaterThan(0);
          expect(r.text.split(' ')).toHaveLength(r.outputTokens);
          expect(r.inputTokens).toBe(6);
          return 'ok' as const;
        },
        (e: unknown) => (e as LlmError).status,
      );
      outcomes.push(outcome);
    }
    // errorRate 0.3: both outcomes occur in eight requests with this seed.
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain(500);
  });

  it('passes max_tokens, and an unknown model is a 404 LlmError with the server message', async () => {
    server = await startServer(scenario(FAST.replace('errorRate: 0.3', 'errorRate: 0')), 1);
    const upstream = new OpenAiHttpUpstream({ baseUrl: `${server.baseUrl}/`, model: 'gpt-test' });
    expect((await upstream.complete({ id: 1, prompt: 'x', maxTokens: 2 })).outputTokens).toBeLessThanOrEqual(
      2,
    );
    const unknown = new OpenAiHttpUpstream({ baseUrl: server.baseUrl, model: 'gpt-9' });
    const error = await llmError(unknown.complete({ id: 1, prompt: 'x' }));
    expect(error.status).toBe(404);
    expect(error.message).toContain('The model `gpt-9` does not exist');
  });

  it('aborting the signal aborts the HTTP request: it rejects with the reason and the server frees the request', async () => {
    const slow = `    - { name: primary, model: gpt-test, ttftMedianMs: 60000, ttftSigma: 0 }`;
    server = await startServer(scenario(slow), 1);
    const upstream = new OpenAiHttpUpstream({ baseUrl: server.baseUrl, model: 'gpt-test' });
    const abort = new AbortController();
    const call = upstream.complete({ id: 1, prompt: 'x' }, abort.signal);
    for (let i = 0; i < 1000 && server.server.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const reason = new Error('client timeout');
    abort.abort(reason);
    await expect(call).rejects.toBe(reason);
    for (let i = 0; i < 1000 && server.server.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(server.server.inFlight).toBe(0);
  });
});

describe('OpenAiHttpUpstream errors', () => {
  it('a server that is not there is a 502 LlmError naming the URL and the reason', async () => {
    const port = await freePort();
    const upstream = new OpenAiHttpUpstream({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' });
    const error = await llmError(upstream.complete({ id: 1, prompt: 'x' }));
    expect(error.status).toBe(502);
    expect(error.message).toBe(`http://127.0.0.1:${port}/v1/chat/completions: ECONNREFUSED`);
  });

  it('reads retry-after-ms, else retry-after in seconds or as an HTTP date', async () => {
    const answer = (headers: Record<string, string>) =>
      new OpenAiHttpUpstream(
        { baseUrl: 'http://example.invalid/v1', model: 'm' },
        {
          fetch: async () => new Response('{"error":{"message":"slow down"}}', { status: 429, headers }),
          clock: {
            now: () => Date.parse('Thu, 03 Dec 2026 12:00:00 GMT'),
            sleep: async () => {},
            schedule: () => ({ cancel() {} }),
          },
        },
      );
    const retry = async (headers: Record<string, string>) =>
      (await llmError(answer(headers).complete({ id: 1, prompt: 'x' }))).retryAfterMs;
    expect(await retry({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(await retry({ 'retry-after': '2' })).toBe(2000);
    expect(await retry({ 'retry-after': 'Thu, 03 Dec 2026 12:00:03 GMT' })).toBe(3000);
    expect(await retry({ 'retry-after': 'soon' })).toBeUndefined();
    expect(await retry({})).toBeUndefined();
  });

  it('a response that is not a completion, or too large, is a 502 LlmError', async () => {
    const with_ = (body: string, maxResponseBytes?: number) =>
      new OpenAiHttpUpstream(
        {
          baseUrl: 'http://example.invalid/v1',
          model: 'm',
          ...(maxResponseBytes ? { maxResponseBytes } : {}),
        },
        { fetch: async () => new Response(body, { status: 200 }) },
      ).complete({ id: 1, prompt: 'x' });
    expect((await llmError(with_('<html>'))).message).toMatch(/not JSON/);
    expect((await llmError(with_('{"choices":[]}'))).message).toMatch(/no choices\[0\]\.message\.content/);
    expect((await llmError(with_(JSON.stringify({ pad: 'x'.repeat(100) }), 50))).message).toMatch(
      /larger than 50 bytes/,
    );
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new OpenAiHttpUpstream({ baseUrl: 'localhost:8080', model: 'm' })).toThrow(TypeError);
    expect(() => new OpenAiHttpUpstream({ baseUrl: 'not a url', model: 'm' })).toThrow(/absolute URL/);
  });
});

/** A loopback port nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

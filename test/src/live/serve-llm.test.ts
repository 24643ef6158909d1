import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { answerText } from '#src/live/serve-llm/openai-shapes.ts';
import { ServedModels, type ServedPlan } from '#src/live/serve-llm/served-models.ts';
import type { Clock, TimerHandle } from '#src/ports/clock.ts';
import { chat, FAST, parseSse, scenario, startServer, type TestServer } from './serve-llm-helpers.ts';

/** A clock whose scheduled callbacks run when the test says (`fire`); nothing sleeps on it. */
class StepClock implements Clock {
  readonly due: { atMs: number; run: () => void }[] = [];
  now(): number {
    return 0;
  }
  sleep(): Promise<void> {
    return Promise.reject(new Error('StepClock: no sleeping'));
  }
  schedule(delayMs: number, callback: () => void): TimerHandle {
    this.due.push({ atMs: delayMs, run: callback });
    return { cancel: () => {} };
  }
  /** Runs every callback due at or before `ms`. */
  async fire(ms: number): Promise<void> {
    for (const d of this.due.filter((x) => x.atMs <= ms)) d.run();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const TWO = `${FAST}
    - { name: backup, model: gpt-backup, ttftMedianMs: 10, decodeTokensPerSecond: 1000 }`;
const FAIL_TWO = `  - { at: 0, do: fail-next, target: upstream/primary, args: { count: 2, status: 429 } }`;

function plans(models: ServedModels, provider: string, n: number): ServedPlan[] {
  const p = models.find(provider)!;
  return Array.from({ length: n }, () => models.accept(p, { prompt: 'hi' }).plan);
}

describe('ServedModels: seeded per request number', () => {
  it('request k of a provider draws the same plan whatever the other providers were asked in between', () => {
    const clock = new StepClock();
    const alone = new ServedModels(scenario(TWO), {}, { clock, random: new SeededRandom(5) });
    const mixed = new ServedModels(scenario(TWO), {}, { clock, random: new SeededRandom(5) });
    const expected = plans(alone, 'gpt-test', 12);
    const got: ServedPlan[] = [];
    for (let k = 0; k < 12; k++) {
      plans(mixed, 'gpt-backup', k % 3);
      got.push(...plans(mixed, 'gpt-test', 1));
    }
    expect(got).toEqual(expected);
    const statuses = expected.map((p) => (p.kind === 'serve' && p.failsAtFirstToken ? 500 : 200));
    expect(statuses).toContain(500);
    expect(statuses).toContain(200);
    const other = new ServedModels(scenario(TWO), {}, { clock, random: new SeededRandom(6) });
    expect(plans(other, 'gpt-test', 12)).not.toEqual(expected);
  });

  it("the timeline's fail-next refuses the first two requests with a 429 and retry-after; --time-scale shortens every wait", async () => {
    const clock = new StepClock();
    const models = new ServedModels(
      scenario(FAST, FAIL_TWO),
      { timeScale: 10 },
      { clock, random: new SeededRandom(1) },
    );
    const unscaled = new ServedModels(scenario(FAST), {}, { clock, random: new SeededRandom(1) });
    models.start((error) => {
      throw error;
    });
    await clock.fire(0);
    const got = plans(models, 'gpt-test', 4);
    expect(got.slice(0, 2)).toEqual([
      { kind: 'fail', status: 429, message: 'gpt-test: injected 429', retryAfterMs: 100 },
      { kind: 'fail', status: 429, message: 'gpt-test: injected 429', retryAfterMs: 100 },
    ]);
    const [p3, p4] = got.slice(2);
    const [u1, u2, u3] = plans(unscaled, 'gpt-test', 3);
    expect(u1?.kind).toBe('serve');
    // Requests 1 and 2 were refused but still numbered: request 3 draws as request 3 does unfaulted.
    if (p3?.kind !== 'serve' || u3?.kind !== 'serve' || p4?.kind !== 'serve' || u2?.kind !== 'serve')
      throw new Error('expected served plans');
    expect(p3.ttftMs).toBeCloseTo(u3.ttftMs / 10, 9);
    expect(p3.outputTokens).toBe(u3.outputTokens);
  });

  it('skips faults on targets it does not serve, and names a fault whose arguments a provider refuses', async () => {
    const clock = new StepClock();
    const redis = `  - { at: 0, do: crash, target: redis/shard-1/master }`;
    const ok = new ServedModels(scenario(FAST, redis), {}, { clock, random: new SeededRandom(1) });
    expect(await ok.timelineProblem()).toBeUndefined();
    // A scenario file with that fault is refused when it is loaded (sim/world/fault-args.ts); a
    // scenario built in code reaches the server, which checks its timeline before it listens.
    const bad = `  - { at: 500, do: slowdown, target: upstream/primary, args: { factor: 0.5 } }`;
    expect(() => scenario(FAST, bad)).toThrow(
      /test\.yaml:\d+: faults\.0\.args\.factor: expected a number >= 1/,
    );
    const good = scenario(FAST, bad.replace('0.5', '2'));
    const built = { ...good, faults: good.faults?.map((f) => ({ ...f, args: { factor: 0.5 } })) };
    const models = new ServedModels(built, {}, { clock, random: new SeededRandom(1) });
    expect(await models.timelineProblem()).toMatch(/^fault slowdown upstream\/primary at 500 ms: .*factor/);
  });

  it('finds a provider by model id, then by name', () => {
    const models = new ServedModels(
      scenario(TWO),
      {},
      { clock: new StepClock(), random: new SeededRandom(1) },
    );
    expect(models.find('gpt-backup')?.name).toBe('backup');
    expect(models.find('primary')?.model).toBe('gpt-test');
    expect(models.find('nope')).toBeUndefined();
  });
});

describe('OpenAiServer over HTTP', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers a chat completion in OpenAI shape, after at least the TTFT it reports', async () => {
    server = await startServer(scenario(FAST), 3);
    let body:
      | {
          choices: { message: { content: string }; finish_reason: string }[];
          usage: { completion_tokens: number };
        }
      | undefined;
    for (let k = 1; k <= 4; k++) {
      const started = performance.now();
      const res = await chat(server.baseUrl, {
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hello' }],
      });
      const elapsedMs = performance.now() - started;
      expect(res.headers.get('x-hasim-request')).toBe(`primary/${k}`);
      if (res.status !== 200) {
        expect(res.status).toBe(500);
        expect(await res.json()).toMatchObject({ error: { type: 'server_error' } });
        continue;
      }
      const ttftMs = Number(res.headers.get('x-hasim-ttft-ms'));
      expect(ttftMs).toBeGreaterThan(0);
      // Node's timers and Date.now are whole milliseconds: allow one for the rounding.
      expect(elapsedMs).toBeGreaterThanOrEqual(ttftMs - 1);
      body = await res.json();
      expect(body).toMatchObject({ object: 'chat.completion', model: 'gpt-test', choices: [{ index: 0 }] });
    }
    if (body === undefined) throw new Error('no request was served');
    const tokens = body.usage.completion_tokens;
    expect(body.choices[0]?.message.content).toBe(answerText(tokens));
    expect(body.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams one chat.completion.chunk per token, a finish chunk, the usage chunk, then [DONE]', async () => {
    const s = scenario(
      `    - { name: primary, model: gpt-test, ttftMedianMs: 10, decodeTokensPerSecond: 1000 }`,
    );
    server = await startServer(s, 3);
    const res = await chat(server.baseUrl, {
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const { events, done } = parseSse(await res.text());
    expect(done).toBe(true);
    type Chunk = {
      object: string;
      choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
      usage?: { completion_tokens: number };
    };
    const chunks = events as Chunk[];
    const usage = chunks.at(-1)?.usage;
    if (usage === undefined) throw new Error('no usage chunk');
    const tokens = chunks.slice(0, -2);
    expect(tokens).toHaveLength(usage.completion_tokens);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(tokens[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(tokens.map((c) => c.choices[0]?.delta.content).join('')).toBe(answerText(usage.completion_tokens));
    expect(chunks.at(-2)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const s = scenario(
      `    - { name: primary, model: gpt-test, ttftMedianMs: 5, decodeTokensPerSecond: 1000, outputTokensMu: 4 }`,
    );
    server = await startServer(s, 3);
    const res = await chat(server.baseUrl, {
      model: 'gpt-test',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(await res.json()).toMatchObject({
      choices: [{ finish_reason: 'length' }],
      usage: { completion_tokens: 3 },
    });
  });

  it('answers bad requests with OpenAI error bodies: unknown model 404, bad JSON 400, too large 413, unknown path 404', async () => {
    server = await startServer(scenario(FAST), 3, { maxBodyBytes: 200 });
    const unknown = await chat(server.baseUrl, { model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: {
        message: 'The model `nope` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
    const badJson = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const noMessages = await chat(server.baseUrl, { model: 'gpt-test' });
    expect(await noMessages.json()).toMatchObject({ error: { param: 'messages' } });
    const large = await chat(server.baseUrl, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x'.repeat(300) }],
    });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 'request_too_large' } });
    const chunked = await fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      body: new Blob(['x'.repeat(300)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await chunked.arrayBuffer();
    const path = await fetch(`${server.baseUrl}/embeddings`, { method: 'POST', body: '{}' });
    expect(path.status).toBe(404);
    const models = await fetch(`${server.baseUrl}/models`);
    expect(await models.json()).toMatchObject({
      object: 'list',
      data: [{ id: 'gpt-test', object: 'model' }],
    });
    // None of these was accepted: the next request is still request 1.
    const first = await chat(server.baseUrl, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(first.headers.get('x-hasim-request')).toBe('primary/1');
    await first.arrayBuffer();
  });

  it('refuses a request beyond --max-concurrent with a 503, and a client that goes away frees its slot', async () => {
    const slow = `    - { name: primary, model: gpt-test, ttftMedianMs: 60000, ttftSigma: 0 }`;
    server = await startServer(scenario(slow), 3, { maxConcurrent: 1 });
    const abort = new AbortController();
    const first = chat(
      server.baseUrl,
      { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] },
      { signal: abort.signal },
    );
    first.catch(() => {});
    await until(() => server?.server.inFlight === 1);
    const second = await chat(server.baseUrl, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(second.status).toBe(503);
    expect(await second.json()).toMatchObject({
      error: { type: 'server_error', code: 'service_unavailable' },
    });
    abort.abort();
    await expect(first).rejects.toThrow();
    await until(() => server?.server.inFlight === 0);
  });
});

/** Polls `condition` every 5 ms, for at most 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

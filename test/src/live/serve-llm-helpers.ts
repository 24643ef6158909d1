// Shared by the serve-llm tests: a gateway scenario from YAML text, and an in-process server on the
// real clock and a free loopback port.
import { OpenAiServer, type OpenAiServerOptions } from '#src/adapters/openai-server.ts';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { ServedModels, type ServedModelsOptions } from '#src/live/serve-llm/served-models.ts';
import type { GatewayScenario } from '../../../sim/scenarios/gateway-schema.ts';
import { parseScenario } from '../../../sim/scenarios/load.ts';

/** A `kind: gateway` scenario with `providers` (YAML list items) and `faults` (YAML list items). */
export function scenario(providers: string, faults = ''): GatewayScenario {
  const text = `kind: gateway
name: serve-llm-test
topology:
  providers:
${providers}
workload:
  phases: [{ durationMs: 1000, arrivalRate: 1 }]
${faults === '' ? '' : `faults:\n${faults}`}`;
  const parsed = parseScenario(text, 'test.yaml');
  if (parsed.kind !== 'gateway') throw new Error('expected a gateway scenario');
  return parsed;
}

/** A fast provider: TTFT ~10 ms, 1 ms per token, about 12 tokens. */
export const FAST = `    - { name: primary, model: gpt-test, ttftMedianMs: 10, decodeTokensPerSecond: 1000, outputTokensMu: 2.5, outputTokensSigma: 0.5, errorRate: 0.3 }`;

/** A started server and its base URL (`http://127.0.0.1:N/v1`). */
export interface TestServer {
  readonly models: ServedModels;
  readonly server: OpenAiServer;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startServer(
  s: GatewayScenario,
  seed: number | string,
  options: Partial<OpenAiServerOptions> & ServedModelsOptions = {},
): Promise<TestServer> {
  const clock = new SystemClock();
  const models = new ServedModels(s, options, { clock, random: new SeededRandom(seed) });
  const server = new OpenAiServer({ port: 0, ...options }, { clock, models });
  const port = await server.listen();
  models.start((error) => {
    throw error;
  });
  return {
    models,
    server,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      models.stop();
      await server.close();
    },
  };
}

/** POSTs a chat completion request body; returns the response. */
export function chat(baseUrl: string, body: object, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

/** The JSON payloads of an SSE body's `data:` lines, and whether it ended with `[DONE]`. */
export function parseSse(text: string): { readonly events: unknown[]; readonly done: boolean } {
  const events: unknown[] = [];
  let done = false;
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    if (done) throw new Error(`an event after [DONE]: ${block}`);
    if (!block.startsWith('data: ')) throw new Error(`not an SSE data event: ${block}`);
    const data = block.slice('data: '.length);
    if (data === '[DONE]') done = true;
    else events.push(JSON.parse(data));
  }
  return { events, done };
}

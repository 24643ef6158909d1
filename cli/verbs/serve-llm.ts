import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { resolveNemesis } from '../../sim/scenarios/nemesis.ts';
import type { Scenario } from '../../sim/scenarios/registry.ts';
import { ListenError, OPENAI_SERVER_DEFAULTS, OpenAiServer } from '../../src/adapters/openai-server.ts';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, ServedModels } from '../../src/live/serve-llm/served-models.ts';
import { type OptionSpec, type Parsed, parseAmount, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { out } from '../output.ts';
import { parseSeed } from './run.ts';

const VERB = 'serve-llm';

/** Addresses `--host` accepts: the server has no authentication, so it stays on this machine. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The options of `hasim serve-llm`, for the verb table. */
export const SERVE_LLM_OPTIONS: readonly OptionSpec[] = [
  { name: 'port', type: 'string', value: 'N', help: 'TCP port to listen on (required; 0 picks a free one)' },
  {
    name: 'seed',
    type: 'string',
    value: 'S',
    help: "root seed, an integer or a name (default: the scenario's seed, else 1)",
  },
  {
    name: 'time-scale',
    type: 'string',
    value: 'F',
    help: 'scenario ms per real ms: 10 plays the fault timeline and latencies 10x faster (default 1)',
  },
  { name: 'host', type: 'string', value: 'ADDR', help: 'loopback address to bind (default 127.0.0.1)' },
  { name: 'verbose', type: 'boolean', help: 'print one line per request' },
  {
    name: 'max-concurrent',
    type: 'string',
    value: 'N',
    help: `requests in flight before the next gets a 503 (default ${OPENAI_SERVER_DEFAULTS.maxConcurrent})`,
  },
  {
    name: 'max-body-bytes',
    type: 'string',
    value: 'N',
    help: 'largest request body before a 413, e.g. 1MiB (default 1MiB)',
  },
  {
    name: 'request-timeout-ms',
    type: 'string',
    value: 'MS',
    help: `longest wait for a request's headers and body before a 408 (default ${OPENAI_SERVER_DEFAULTS.requestTimeoutMs})`,
  },
  {
    name: 'max-output-tokens',
    type: 'string',
    value: 'N',
    help: `longest answer; a longer draw ends with finish_reason length (default ${DEFAULT_MAX_OUTPUT_TOKENS})`,
  },
];

/**
 * `hasim serve-llm <scenario.yaml> --port N [--seed S] [--time-scale F] ...`: serves the scenario's
 * simulated providers as an OpenAI-compatible endpoint until SIGINT or SIGTERM (exit 0). A bad
 * scenario or option, or a port in use, is one line and exit 2.
 */
export async function serveLlm(parsed: Parsed): Promise<number> {
  const file = parsed.positionals[0];
  if (file === undefined || parsed.positionals.length > 1)
    throw new UsageError(`hasim ${VERB}: expected one scenario file (see hasim ${VERB} --help)`);
  const portText = stringValue(parsed, 'port');
  if (portText === undefined)
    throw new UsageError(`hasim ${VERB}: --port N is required (0 picks a free port)`);
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535))
    throw new UsageError(`hasim ${VERB}: --port: expected 0..65535, got '${portText.slice(0, 40)}'`);
  const host = stringValue(parsed, 'host') ?? '127.0.0.1';
  if (!LOOPBACK.has(host))
    throw new UsageError(
      `hasim ${VERB}: --host: only a loopback address (127.0.0.1, ::1, localhost), got '${host}'`,
    );
  const timeScale = parseTimeScale(stringValue(parsed, 'time-scale'));
  const scenario = loadScenarioFile(file);
  const seedText = stringValue(parsed, 'seed');
  const seed = seedText !== undefined ? parseSeed(VERB, seedText) : scenarioSeed(scenario);
  const gateway = providersScenario(resolveNemesis(scenario, seed), file);
  const clock = new SystemClock();
  const models = new ServedModels(
    gateway,
    { timeScale, maxOutputTokens: amount(parsed, 'max-output-tokens') ?? DEFAULT_MAX_OUTPUT_TOKENS },
    { clock, random: new SeededRandom(seed) },
  );
  const problem = await models.timelineProblem();
  if (problem !== undefined) throw new UsageError(`hasim ${VERB}: ${file}: ${problem}`);
  const server = new OpenAiServer(
    {
      host,
      port,
      maxConcurrent: amount(parsed, 'max-concurrent') ?? OPENAI_SERVER_DEFAULTS.maxConcurrent,
      maxBodyBytes: amount(parsed, 'max-body-bytes') ?? OPENAI_SERVER_DEFAULTS.maxBodyBytes,
      requestTimeoutMs: amount(parsed, 'request-timeout-ms') ?? OPENAI_SERVER_DEFAULTS.requestTimeoutMs,
      ...(parsed.values.verbose === true ? { log: (line: string) => out(`hasim ${VERB}: ${line}`) } : {}),
    },
    { clock, models },
  );
  let bound: number;
  try {
    bound = await server.listen();
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    errorLine(`hasim ${VERB}: ${error.message}`);
    return EXIT.usage;
  }
  models.start((error, action) =>
    errorLine(`hasim ${VERB}: fault ${action.verb} ${action.target} failed: ${(error as Error).message}`),
  );
  const names = [...new Set(models.providers.map((p) => p.model))].join(', ');
  const shown = host.includes(':') ? `[${host}]` : host;
  out(`hasim ${VERB}: listening on http://${shown}:${bound} (models: ${names}; seed ${seed})`);
  await untilSignal();
  models.stop();
  await server.close();
  return EXIT.ok;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function parseTimeScale(text: string | undefined): number {
  if (text === undefined) return 1;
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0.001 && value <= 1_000_000))
    throw new UsageError(
      `hasim ${VERB}: --time-scale: expected a number in [0.001, 1000000], got '${text.slice(0, 40)}'`,
    );
  return value;
}

function amount(parsed: Parsed, name: string): number | undefined {
  const text = stringValue(parsed, name);
  return text === undefined ? undefined : parseAmount(VERB, `--${name}`, text);
}

function scenarioSeed(scenario: Scenario): number | string {
  return 'seed' in scenario && scenario.seed !== undefined ? scenario.seed : 1;
}

/** The providers to serve: a gateway scenario's, or an llm-smoke scenario's one upstream. */
function providersScenario(scenario: Scenario, file: string): GatewayScenario {
  if (scenario.kind === 'gateway') return scenario;
  if (scenario.kind === 'llm-smoke') {
    const topology = { providers: [{ name: 'upstream', ...scenario.upstream }] };
    return { kind: 'gateway', name: scenario.name, topology, workload: { phases: [] } } as GatewayScenario;
  }
  throw new UsageError(`hasim ${VERB}: ${file}: expected a scenario of kind gateway or llm-smoke`);
}

import { z } from 'zod';

/**
 * The schema of each scenario `kind`: what a scenario file may say, with the units in the field
 * names. `registry.ts` joins them into one schema keyed by `kind`; `load.ts` reads files against it.
 */

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive(`expected ${what}`);
const probability = z.number({ error: 'expected a probability in [0, 1]' }).min(0).max(1);
/**
 * A number in [min, max]: every field has finite bounds, so that no value a file can hold makes a
 * delay, a rate or a count infinite (`ttftMedianMs: 1e308`) or a run endless.
 */
const within = (min: number, max: number, what: string) => {
  const error = `expected ${what} in [${min}, ${max}]`;
  return z.number({ error }).min(min, error).max(max, error);
};
/** One hour, in ms. */
const HOUR_MS = 3_600_000;

/** The simulated upstream in a scenario; see `SimLlmConfig` for meanings and defaults. */
export const upstreamSchema = z.strictObject({
  model: z.string().min(1),
  ttftMedianMs: positive('a number of ms > 0').max(HOUR_MS, `expected at most ${HOUR_MS} ms`).optional(),
  ttftSigma: within(0, 5, 'a lognormal sigma').optional(),
  decodeTokensPerSecond: within(0.01, 1_000_000, 'tokens per second').optional(),
  outputTokensMu: within(-20, 20, 'a lognormal mu (log tokens)').optional(),
  outputTokensSigma: within(0, 5, 'a lognormal sigma').optional(),
  maxConcurrency: z.number().int().positive().max(1_000_000).optional(),
  loadSlowdown: within(1, 1000, 'a slowdown factor').optional(),
  errorRate: probability.optional(),
});

/** `kind: llm-smoke`: a Poisson client with a timeout against one simulated LLM upstream. */
export const llmSmokeSchema = z.strictObject({
  kind: z.literal('llm-smoke'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Arrivals stop at this virtual time; the run then drains in-flight requests. */
  durationMs: z
    .number()
    .int()
    .positive()
    .max(30 * 24 * 3_600_000),
  client: z.strictObject({
    ratePerSecond: positive('requests per second > 0').max(
      1_000_000,
      'expected at most 1000000 requests per second',
    ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(24 * HOUR_MS),
    maxTokens: z.number().int().positive().max(1_000_000).optional(),
  }),
  upstream: upstreamSchema,
});

export type LlmSmokeScenario = z.infer<typeof llmSmokeSchema>;

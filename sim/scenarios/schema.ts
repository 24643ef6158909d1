import { z } from 'zod';

/**
 * The schema of each scenario `kind`: what a scenario file may say, with the units in the field
 * names. `registry.ts` joins them into one schema keyed by `kind`; `load.ts` reads files against it.
 */

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive(`expected ${what}`);
const probability = z.number({ error: 'expected a probability in [0, 1]' }).min(0).max(1);

/** The simulated upstream in a scenario; see `SimLlmConfig` for meanings and defaults. */
export const upstreamSchema = z.strictObject({
  model: z.string().min(1),
  ttftMedianMs: positive('a number of ms > 0').optional(),
  ttftSigma: z.number().min(0).optional(),
  decodeTokensPerSecond: positive('tokens per second > 0').optional(),
  outputTokensMu: z.number().optional(),
  outputTokensSigma: z.number().min(0).optional(),
  maxConcurrency: z.number().int().positive().optional(),
  loadSlowdown: z.number().min(1).optional(),
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
    ratePerSecond: positive('requests per second > 0'),
    timeoutMs: z.number().int().positive(),
    maxTokens: z.number().int().positive().optional(),
  }),
  upstream: upstreamSchema,
});

export type LlmSmokeScenario = z.infer<typeof llmSmokeSchema>;

import { z } from 'zod';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { Expectation } from '../checkers/expectations/evaluate.ts';
import { toExpectations } from '../checkers/expectations/schema.ts';
import { INVARIANTS } from '../checkers/invariants.ts';
import type { Simulation } from '../kernel/simulation.ts';
import { argsPath, faultArgsProblem } from '../world/fault-args.ts';
import { faultTargetProblem, faultTargets } from '../world/targets.ts';
import { gatewayDurationMs, healMsOf, startGateway } from './gateway.ts';
import { type GatewayScenario, gatewaySchema } from './gateway-schema.ts';
import { startLlmSmoke } from './llm-smoke.ts';
import { nemesisProblem } from './nemesis.ts';
import { type LlmSmokeScenario, llmSmokeSchema } from './schema.ts';

/**
 * The scenario kinds, by the `kind` a scenario file names: each kind's schema, its driver, and
 * what the runner needs to know of it (duration, variants, expectations). A new kind is one schema,
 * one driver and one entry in `scenarioSchema` and `SCENARIO_KINDS` below.
 */

/** Every scenario file, validated against the schema its `kind` selects. */
export const scenarioSchema = z.discriminatedUnion('kind', [llmSmokeSchema, gatewaySchema]);

/** A validated scenario of any kind. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** The kinds a scenario file may name. */
export type ScenarioKindName = Scenario['kind'];

/** What a started scenario reports at the end of a run (plain JSON data, written to summary.json). */
export type ScenarioReport = object;

/** Which form of the components a run uses. */
export type Variant = 'article' | 'fixed';

/** A problem with a field that the schema cannot see (a fault target that does not exist). */
export interface ScenarioProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** One scenario kind: its schema, its driver, and what the runner asks of it. */
export interface ScenarioKind<S extends Scenario> {
  readonly schema: z.ZodType<S>;
  /**
   * Spawns the scenario's tasks on `sim` (nothing runs until the caller runs the simulation),
   * writing through `trace`, and returns a function that reads the report once the run is over.
   */
  readonly start: (
    sim: Simulation,
    scenario: S,
    options: { variant: Variant; trace: TraceSink },
  ) => () => ScenarioReport;
  /** Virtual ms of arrivals (the run then drains). */
  readonly durationMs: (scenario: S) => number;
  /** The variants a plain `hasim run` runs, in order. */
  readonly variants: (scenario: S) => readonly Variant[];
  /** The scenario's expectations for one variant; validated by `check` first. */
  readonly expectations: (scenario: S, variant: Variant) => readonly Expectation[];
  /** Checks what the schema cannot (targets, metric names); the first problem, or undefined. */
  readonly check: (scenario: S) => ScenarioProblem | undefined;
}

type KindTable = { readonly [K in ScenarioKindName]: ScenarioKind<Extract<Scenario, { kind: K }>> };

const llmSmoke: ScenarioKind<LlmSmokeScenario> = {
  schema: llmSmokeSchema,
  start: (sim, scenario) => startLlmSmoke(sim, scenario),
  durationMs: (s) => s.durationMs,
  variants: () => ['fixed'],
  expectations: () => [],
  check: () => undefined,
};

function gatewayVariants(s: GatewayScenario): readonly Variant[] {
  if (s.variant === undefined) return ['fixed'];
  return typeof s.variant === 'string' ? [s.variant] : [...new Set(s.variant)];
}

function gatewayExpectations(s: GatewayScenario, variant: Variant): readonly Expectation[] {
  if (s.expect === undefined) return [];
  const { article, fixed, ...common } = s.expect;
  const out: Expectation[] = [];
  for (const block of [common, variant === 'article' ? article : fixed]) {
    if (block === undefined) continue;
    const xs = toExpectations(block, { healMs: healMsOf(s), invariants: INVARIANTS });
    if (Array.isArray(xs)) out.push(...xs);
  }
  return out;
}

function gatewayCheck(s: GatewayScenario): ScenarioProblem | undefined {
  const targets = faultTargets(s.topology);
  if (s.nemesis !== undefined) {
    if (s.faults !== undefined)
      return {
        path: ['nemesis'],
        message: 'a scenario has faults: or nemesis:, not both (nemesis: draws the faults)',
      };
    const problem = nemesisProblem(s.nemesis, targets, gatewayDurationMs(s));
    if (problem !== undefined) return problem;
  }
  for (const [i, f] of (s.faults ?? []).entries()) {
    const problem = faultTargetProblem(targets, f.target, f.do);
    if (problem !== undefined) return { path: ['faults', i, 'target'], message: problem };
    const args = faultArgsProblem(f.target, f.do, f.args);
    if (args !== undefined) return { path: argsPath(['faults', i], f.args, args.arg), message: args.message };
  }
  const providers = new Set(s.topology.providers.map((p) => p.name));
  for (const [i, m] of (s.topology.fallback?.models ?? []).entries()) {
    if (!providers.has(m)) {
      return {
        path: ['topology', 'fallback', 'models', i],
        message: `no provider named '${m}' (providers: ${[...providers].join(', ')})`,
      };
    }
  }
  if (s.expect !== undefined) {
    const { article, fixed, ...common } = s.expect;
    for (const [key, block] of [
      ['', common],
      ['article', article],
      ['fixed', fixed],
    ] as const) {
      if (block === undefined) continue;
      const xs = toExpectations(block, { healMs: healMsOf(s), invariants: INVARIANTS });
      if (!Array.isArray(xs)) {
        const path = key === '' ? xs.path : ['expect', key, ...xs.path.slice(1)];
        return { path, message: xs.message };
      }
    }
  }
  return undefined;
}

const gateway: ScenarioKind<GatewayScenario> = {
  schema: gatewaySchema,
  start: (sim, scenario, options) => startGateway(sim, scenario, options),
  durationMs: gatewayDurationMs,
  variants: gatewayVariants,
  expectations: gatewayExpectations,
  check: gatewayCheck,
};

/** The registry: kind → { schema, start, ... }. */
export const SCENARIO_KINDS: KindTable = {
  'llm-smoke': llmSmoke,
  gateway,
};

/** The kind entry of `scenario`. */
export function kindOf<S extends Scenario>(scenario: S): ScenarioKind<S> {
  return SCENARIO_KINDS[scenario.kind] as unknown as ScenarioKind<S>;
}

/** Starts `scenario` on `sim` with the driver its kind names; returns the report reader. */
export function startScenario(
  sim: Simulation,
  scenario: Scenario,
  options: { variant: Variant; trace: TraceSink },
): () => ScenarioReport {
  return kindOf(scenario).start(sim, scenario, options);
}

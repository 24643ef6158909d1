import { z } from 'zod';
import type { Simulation } from '../kernel/simulation.ts';
import { startLlmSmoke } from './llm-smoke.ts';
import { llmSmokeSchema } from './schema.ts';

/**
 * The scenario kinds, by the `kind` a scenario file names: each kind's schema and the driver that
 * starts it on a simulation. A new kind is one schema in `schema.ts`, one driver, and one entry in
 * `scenarioSchema` and `SCENARIO_KINDS` below; the runner and the loader look kinds up here.
 */

/** Every scenario file, validated against the schema its `kind` selects. */
export const scenarioSchema = z.discriminatedUnion('kind', [llmSmokeSchema]);

/** A validated scenario of any kind. */
export type Scenario = z.infer<typeof scenarioSchema>;
/** The kinds a scenario file may name. */
export type ScenarioKindName = Scenario['kind'];

/** What a started scenario reports at the end of a run (plain JSON data, written to summary.json). */
export type ScenarioReport = object;

/** One scenario kind: its schema and its driver. */
export interface ScenarioKind<S extends Scenario> {
  readonly schema: z.ZodType<S>;
  /**
   * Spawns the scenario's tasks on `sim` (nothing runs until the caller runs the simulation) and
   * returns a function that reads the scenario's report once the run is over.
   */
  readonly start: (sim: Simulation, scenario: S) => () => ScenarioReport;
}

type KindTable = { readonly [K in ScenarioKindName]: ScenarioKind<Extract<Scenario, { kind: K }>> };

/** The registry: kind → { schema, start }. */
export const SCENARIO_KINDS: KindTable = {
  'llm-smoke': { schema: llmSmokeSchema, start: startLlmSmoke },
};

/** Starts `scenario` on `sim` with the driver its kind names; returns the report reader. */
export function startScenario<K extends ScenarioKindName>(
  sim: Simulation,
  scenario: Extract<Scenario, { kind: K }>,
): () => ScenarioReport {
  const kind: ScenarioKind<Extract<Scenario, { kind: K }>> = SCENARIO_KINDS[scenario.kind as K];
  return kind.start(sim, scenario);
}

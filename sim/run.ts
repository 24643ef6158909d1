import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Simulation } from './kernel/simulation.ts';
import { peakRssMb, wallNowMs } from './kernel/wall-clock.ts';
import { startLlmSmoke } from './scenarios/llm-smoke.ts';
import type { Scenario } from './scenarios/schema.ts';

/** The trace file format this version writes; replay refuses other formats. */
export const TRACE_FORMAT = 1;
/** The hasim version recorded in traces and summaries. */
export const HASIM_VERSION = '0.1.0';

/** Options of `runScenario`. */
export interface RunOptions {
  readonly seed: number;
  /** Directory for `trace.jsonl` and `summary.json`; created if missing. None: nothing written. */
  readonly outDir?: string;
  /** Where the scenario came from, recorded in the trace header. */
  readonly source?: string;
  /** Called between chunks of virtual time with the fraction of arrivals done (0..1). */
  readonly onProgress?: (fraction: number, simulatedMs: number) => void;
  /** Virtual ms per chunk between progress calls; does not change the trace. @defaultValue 1000 */
  readonly chunkMs?: number;
}

/** What a run reports; written to `summary.json`. */
export interface RunSummary {
  readonly scenario: string;
  readonly kind: string;
  readonly seed: number;
  readonly traceHash: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly hasimVersion: string;
  readonly report: Readonly<Record<string, unknown>>;
}

/** The first line of a trace file. */
export interface TraceHeader {
  readonly hasim: 'trace';
  readonly format: number;
  readonly hasimVersion: string;
  readonly seed: number;
  readonly source: string;
  readonly scenario: Scenario;
}

/**
 * Runs a scenario to completion: arrivals until `durationMs`, then a drain until every request
 * has finished. The trace and its hash depend only on the scenario, the seed and the code.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunSummary> {
  const wallStart = wallNowMs();
  const header: TraceHeader = {
    hasim: 'trace',
    format: TRACE_FORMAT,
    hasimVersion: HASIM_VERSION,
    seed: options.seed,
    source: options.source ?? '(built-in)',
    scenario,
  };
  if (options.outDir !== undefined) mkdirSync(options.outDir, { recursive: true });
  const sim = new Simulation({
    seed: options.seed,
    trace:
      options.outDir === undefined
        ? {}
        : { path: join(options.outDir, 'trace.jsonl'), header: { ...header } },
  });
  const report = startLlmSmoke(sim, scenario);

  const chunkMs = options.chunkMs ?? 1000;
  const durationMs = scenario.durationMs;
  try {
    while (sim.clock.now() < durationMs) {
      await sim.run({ untilMs: Math.min(durationMs, sim.clock.now() + chunkMs) });
      options.onProgress?.(sim.clock.now() / durationMs, sim.clock.now());
    }
    await sim.run(); // drain: in-flight requests finish or time out
  } catch (error) {
    sim.trace.close({ end: 'failed', events: sim.trace.events, traceHash: sim.traceHash });
    throw error;
  }
  const summary: RunSummary = {
    scenario: scenario.name,
    kind: scenario.kind,
    seed: options.seed,
    traceHash: sim.traceHash,
    events: sim.trace.events,
    simulatedMs: sim.clock.now(),
    wallMs: Math.round(wallNowMs() - wallStart),
    peakRssMb: Math.round(peakRssMb()),
    hasimVersion: HASIM_VERSION,
    report: { ...report() },
  };
  sim.trace.close({
    end: 'ok',
    events: summary.events,
    traceHash: summary.traceHash,
    simulatedMs: summary.simulatedMs,
  });
  return summary;
}

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { ExpectationJudge, type ExpectationResult } from './checkers/expectations/evaluate.ts';
import { INVARIANTS } from './checkers/invariants.ts';
import { observedTrace } from './checkers/observe.ts';
import { Simulation, TraceBudgetError } from './kernel/simulation.ts';
import { peakRssMb, wallNowMs } from './kernel/wall-clock.ts';
import { group, LimitError, type LimitValues, limitValue } from './limits.ts';
import { resolveNemesis } from './scenarios/nemesis.ts';
import {
  kindOf,
  type Scenario,
  type ScenarioReport,
  startScenario,
  type Variant,
} from './scenarios/registry.ts';
import { expectedArrivals } from './workload/phases.ts';

/** The trace file format this version writes; replay refuses other formats. */
export const TRACE_FORMAT = 1;
/** The hasim version recorded in traces and summaries: package.json's `version`. */
export const HASIM_VERSION: string = packageJson.version;

/** Options of `runScenario`. */
export interface RunOptions {
  /** The root seed: an integer or a name (`stampede`). */
  readonly seed: number | string;
  /** Which form of the components runs. @defaultValue the scenario's first variant */
  readonly variant?: Variant;
  /** The run's event budget and trace size limit (`events`, `traceBytes`). @defaultValue LIMITS */
  readonly limits?: LimitValues;
  /** Directory for `trace.jsonl` and `summary.json`; created if missing. None: nothing written. */
  readonly outDir?: string;
  /** Where the scenario came from, recorded in the trace header. */
  readonly source?: string;
  /** Called between chunks of virtual time with the fraction of arrivals done (0..1). */
  readonly onProgress?: (fraction: number, simulatedMs: number) => void;
  /** Virtual ms per chunk between progress calls; does not change the trace. @defaultValue 1000 */
  readonly chunkMs?: number;
  /** Check every trace event against the vocabulary, not only each kind's first. @defaultValue false */
  readonly checkEveryEvent?: boolean;
}

/**
 * What a run determines: the same scenario, seed and hasim version give the same result, field
 * for field, in any process on any machine.
 */
export interface ScenarioResult {
  readonly scenario: string;
  readonly kind: string;
  readonly seed: number | string;
  readonly variant: Variant;
  readonly traceHash: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly hasimVersion: string;
  /** `pass` when every expectation held (or there are none), else `fail`. */
  readonly verdict: 'pass' | 'fail';
  /** Each expectation with what it measured, in the scenario's order. */
  readonly expectations: readonly ExpectationResult[];
  /** The scenario kind's own report (see the kind's driver). */
  readonly report: ScenarioReport;
}

/** What a run cost on this machine this time: varies from run to run, never part of a comparison. */
export interface RunCost {
  /** Real elapsed time of the run, in ms (rounded). */
  readonly wallMs: number;
  /** Peak resident set size of this process so far, in MiB (rounded). */
  readonly peakRssMb: number;
}

/** What a run reports: its deterministic result apart from what it cost. */
export interface RunSummary {
  readonly result: ScenarioResult;
  readonly cost: RunCost;
}

/**
 * The `summary.json` object: the result's fields and the cost's in one flat object, in the order
 * hasim has always written them.
 */
export function summaryJson({ result, cost }: RunSummary): Record<string, unknown> {
  const { report, hasimVersion, verdict, expectations, ...identity } = result;
  return {
    ...identity,
    verdict,
    expectations,
    wallMs: cost.wallMs,
    peakRssMb: cost.peakRssMb,
    hasimVersion,
    report,
  };
}

/** The first line of a trace file. */
export interface TraceHeader {
  readonly hasim: 'trace';
  readonly format: number;
  readonly hasimVersion: string;
  readonly seed: number | string;
  readonly variant: Variant;
  readonly source: string;
  readonly scenario: Scenario;
}

/**
 * Runs a scenario to completion: arrivals until `durationMs`, then a drain until every request
 * has finished. The trace and its hash depend only on the scenario, the seed and the code.
 */
export async function runScenario(input: Scenario, options: RunOptions): Promise<RunSummary> {
  const wallStart = wallNowMs();
  // A nemesis draws its explicit schedule from the seed first; the header keeps the file's form.
  const scenario = resolveNemesis(input, options.seed, options.limits);
  const kind = kindOf(scenario);
  const variant = options.variant ?? kind.variants(scenario)[0] ?? 'fixed';
  const eventsMax = limitValue(options.limits, 'events');
  const traceBytesMax = limitValue(options.limits, 'traceBytes');
  checkBudget(scenario, options.source ?? `scenario ${scenario.name}`, eventsMax, traceBytesMax);
  const header: TraceHeader = {
    hasim: 'trace',
    format: TRACE_FORMAT,
    hasimVersion: HASIM_VERSION,
    seed: options.seed,
    variant,
    source: options.source ?? '(built-in)',
    scenario: input,
  };
  if (options.outDir !== undefined) mkdirSync(options.outDir, { recursive: true });
  const sim = new Simulation({
    seed: options.seed,
    eventsMax,
    traceCharsMax: traceBytesMax,
    trace: {
      ...(options.outDir === undefined
        ? {}
        : {
            path: join(options.outDir, 'trace.jsonl'),
            header: { ...header },
            thread: traceOnThread(scenario),
          }),
      ...(options.checkEveryEvent === true ? { check: 'every' as const } : {}),
    },
  });
  const judge = new ExpectationJudge(kind.expectations(scenario, variant), INVARIANTS);
  const trace =
    judge.families.size === 0
      ? sim.trace
      : observedTrace(sim.trace, sim.clock, judge.families, (e) => judge.observe(e));
  const report = startScenario(sim, scenario, { variant, trace });

  const chunkMs = options.chunkMs ?? 1000;
  const durationMs = kind.durationMs(scenario);
  try {
    while (sim.clock.now() < durationMs) {
      await sim.run({ untilMs: Math.min(durationMs, sim.clock.now() + chunkMs) });
      options.onProgress?.(sim.clock.now() / durationMs, sim.clock.now());
    }
    await sim.run(); // drain: in-flight requests finish or time out
  } catch (error) {
    sim.trace.close({ end: 'failed', events: sim.trace.events, traceHash: sim.traceHash });
    if (error instanceof TraceBudgetError) {
      const subject = `${options.source ?? `scenario ${scenario.name}`} (seed ${options.seed})`;
      throw error.budget === 'eventsMax'
        ? new LimitError('events', eventsMax, subject, `stopped at t=${sim.clock.now()} ms`)
        : new LimitError('traceBytes', traceBytesMax, subject, `stopped at t=${sim.clock.now()} ms`);
    }
    throw error;
  }
  const expectations = judge.finish(sim.clock.now());
  const result: ScenarioResult = {
    scenario: scenario.name,
    kind: scenario.kind,
    seed: options.seed,
    variant,
    traceHash: sim.traceHash,
    events: sim.trace.events,
    simulatedMs: sim.clock.now(),
    hasimVersion: HASIM_VERSION,
    verdict: expectations.every((x) => x.ok || x.sometimes === true) ? 'pass' : 'fail',
    expectations,
    report: { ...report() },
  };
  const cost: RunCost = { wallMs: Math.round(wallNowMs() - wallStart), peakRssMb: Math.round(peakRssMb()) };
  sim.trace.close({
    end: 'ok',
    events: result.events,
    traceHash: result.traceHash,
    simulatedMs: result.simulatedMs,
  });
  return { result, cost };
}

/**
 * Requests from which a run's trace file is hashed and written on a second thread (WriterThread:
 * gateway-300k writes 386 MB). Below, starting the thread costs more than it saves (the incident
 * catalog's runs: a few thousand requests each).
 */
const TRACE_THREAD_MIN_REQUESTS = 20_000;

function traceOnThread(scenario: Scenario): boolean {
  const requests =
    scenario.kind === 'gateway'
      ? expectedArrivals(scenario.workload.phases)
      : (estimateEvents(scenario) ?? 0) / 2;
  return requests >= TRACE_THREAD_MIN_REQUESTS;
}

/** Trace lines of a request's events are about this long (`{"t":..,"c":"client","k":"ok",...}`). */
const BYTES_PER_EVENT = 64;

/**
 * The events a scenario will write, estimated from its arrival rate × duration before it runs:
 * undefined for a kind without an estimate (the kernel's hard stop still applies).
 */
export function estimateEvents(scenario: Scenario): number | undefined {
  switch (scenario.kind) {
    case 'llm-smoke':
      // Two events per request: `client invoke`, then `client ok` or `client fail`.
      return Math.ceil((2 * scenario.client.ratePerSecond * scenario.durationMs) / 1000);
    default:
      return undefined;
  }
}

/** Refuses up front a scenario whose estimated events or trace size is over its budget. */
function checkBudget(scenario: Scenario, subject: string, eventsMax: number, traceBytesMax: number): void {
  const events = estimateEvents(scenario);
  if (events === undefined) return;
  const rate = 'client.ratePerSecond × durationMs';
  if (events > eventsMax)
    throw new LimitError('events', eventsMax, subject, `${rate} gives about ${group(events)} events`);
  const bytes = events * BYTES_PER_EVENT;
  if (bytes > traceBytesMax)
    throw new LimitError(
      'traceBytes',
      traceBytesMax,
      subject,
      `${rate} gives a trace of about ${group(bytes)} bytes`,
    );
}

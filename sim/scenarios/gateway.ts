import type { BuiltGateways } from '../../src/gateway/build.ts';
import { waitForReplicas } from '../../src/gateway/replica-wait.ts';
import { scheduleTimeline, type TimelineFault } from '../../src/harness/fault-timeline.ts';
import { RunHarness, type Stoppable } from '../../src/harness/run-harness.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { FaultAction, Faults } from '../../src/ports/faults.ts';
import type { Random } from '../../src/ports/random.ts';
import type { Topology } from '../../src/ports/topology.ts';
import type { TraceFields, TraceSink } from '../../src/ports/trace.ts';
import { whenSettled } from '../../src/settled.ts';
import { SimAbortController } from '../kernel/abort.ts';
import type { Simulation } from '../kernel/simulation.ts';
import { phasedArrivals } from '../workload/phases.ts';
import { RequestMix } from '../workload/requests.ts';
import { buildWorld } from '../world/world.ts';
import type { GatewayScenario } from './gateway-schema.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { nemesisWindow } from './nemesis.ts';

/** What a `kind: gateway` run reports: every layer's counts, by `family` then `kind`. */
export interface GatewayReport {
  readonly variant: 'article' | 'fixed';
  readonly instances: number;
  readonly requests: number;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
  readonly servedBy: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number };
  /** Events counted per family and kind over the whole run (every instance together). */
  readonly layers: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Requests still unanswered when the drain gave up. */
  readonly abandoned: number;
}

/** The explicit fault timeline of a scenario, in ms. */
export function timelineOf(scenario: GatewayScenario): TimelineFault[] {
  return (scenario.faults ?? []).map((f) => ({
    atMs: f.at,
    verb: f.do as TimelineFault['verb'],
    target: f.target,
    ...(f.for === undefined ? {} : { forMs: f.for }),
    ...(f.args === undefined ? {} : { args: f.args }),
  }));
}

/** When every fault is over: the scenario's `heal`, else the last fault's end, else undefined. */
export function healMsOf(scenario: GatewayScenario): number | undefined {
  if (scenario.heal !== undefined) return scenario.heal;
  // A nemesis that heals at its end: every schedule it draws is over by `until`.
  if (scenario.nemesis?.final === 'heal')
    return nemesisWindow(scenario.nemesis, gatewayDurationMs(scenario)).untilMs;
  const ends = timelineOf(scenario).map((f) => f.atMs + (f.forMs ?? 0));
  return ends.length === 0 ? undefined : Math.max(...ends);
}

/** Length of the arrival phases, ms. */
export function gatewayDurationMs(scenario: GatewayScenario): number {
  return scenario.workload.phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/**
 * Starts a `kind: gateway` scenario on `sim`: builds the world, then drives it (`driveGateway`) as
 * one simulated task. Returns the report reader.
 */
export function startGateway(
  sim: Simulation,
  scenario: GatewayScenario,
  options: { readonly variant: 'article' | 'fixed'; readonly trace: TraceSink },
): () => GatewayReport {
  const tally = new GatewayTally(options.variant, options.trace);
  const world = buildWorld(scenario, options.variant, {
    clock: sim.clock,
    random: sim.random,
    trace: tally.trace,
  });
  const drive = driveGateway(scenario, world, {
    clock: sim.clock,
    random: sim.random,
    trace: tally.trace,
    onFaultError: (error, action) => {
      throw new Error(`fault ${action.verb} ${action.target} failed: ${String(error)}`);
    },
  });
  sim.spawn(drive.run, { name: 'gateway-harness' });
  return () => tally.report(world.gateways.gateways.length, drive.abandoned());
}

/** What `driveGateway` drives: the gateway instances, the faults that reach the backends, the topology. */
export interface DrivenWorld extends Stoppable {
  readonly gateways: BuiltGateways;
  readonly faults: Faults;
  readonly topology: Topology;
}

/**
 * Counts a gateway run's events per family and kind, its outcomes and latencies, while passing
 * every event through to the run's trace: the report of a simulated and of a live run alike.
 */
export class GatewayTally {
  /** The sink the world writes to: `trace` plus the counting. */
  readonly trace: TraceSink;
  readonly #variant: 'article' | 'fixed';
  /** family → kind → its count (a cell, so an event bumps it without a second map write). */
  readonly #counts = new Map<string, Map<string, { n: number }>>();
  readonly #latency = new LatencyHistogram();
  readonly #servedBy = new Map<string, number>();
  readonly #outcome = { ok: 0, refused: 0, failed: 0 };

  constructor(variant: 'article' | 'fixed', trace: TraceSink) {
    this.#variant = variant;
    const counts = this.#counts;
    const latency = this.#latency;
    const servedBy = this.#servedBy;
    const outcome = this.#outcome;
    // Each component string (`cache/gw-1`) is mapped to its family's counts once: the family is
    // not cut out of the component again for every event.
    const familyCounts = new Map<
      string,
      { readonly family: string; readonly byKind: Map<string, { n: number }> }
    >();
    this.trace = {
      emit(component: string, kind: string, fields?: TraceFields) {
        trace.emit(component, kind, fields);
        let counted = familyCounts.get(component);
        if (counted === undefined) {
          const slash = component.indexOf('/');
          const family = slash < 0 ? component : component.slice(0, slash);
          let familyKinds = counts.get(family);
          if (familyKinds === undefined) {
            familyKinds = new Map();
            counts.set(family, familyKinds);
          }
          counted = { family, byKind: familyKinds };
          familyCounts.set(component, counted);
        }
        const { family, byKind } = counted;
        const cell = byKind.get(kind);
        if (cell === undefined) byKind.set(kind, { n: 1 });
        else cell.n++;
        if (family === 'gateway' && kind === 'response' && fields !== undefined) {
          latency.record(Number(fields.ms));
          const o = String(fields.outcome);
          if (o === 'ok') {
            outcome.ok++;
            const by = String(fields.servedBy);
            servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
          } else if (o === 'refused') outcome.refused++;
          else outcome.failed++;
        }
      },
    };
  }

  /** The report so far. */
  report(instances: number, abandoned: number): GatewayReport {
    const outcome = this.#outcome;
    const latency = this.#latency;
    return {
      variant: this.#variant,
      instances,
      requests: outcome.ok + outcome.refused + outcome.failed,
      ...outcome,
      servedBy: Object.fromEntries([...this.#servedBy].sort()),
      latencyMs: { p50: latency.quantile(0.5), p99: latency.quantile(0.99), max: latency.max },
      layers: Object.fromEntries(
        [...this.#counts]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([family, kinds]) => [
            family,
            Object.fromEntries([...kinds].map(([kind, cell]) => [kind, cell.n] as const).sort()),
          ]),
      ),
      abandoned,
    };
  }
}

/**
 * Drives a built gateway world through a `kind: gateway` scenario, on simulated or real time
 * alike: writes the topology event, then `run` creates the chat-history tables and runs the
 * workload (phases and bursts, round-robin over the instances, each request with the client's
 * timeout) and the fault timeline; after the drain it reads every history table on the primary
 * (`chat-history final`) and stops the background work. `onFaultError` decides what a failed
 * injection means (the simulation fails the run).
 */
export function driveGateway(
  scenario: GatewayScenario,
  world: DrivenWorld,
  ports: {
    readonly clock: Clock;
    readonly random: Random;
    readonly trace: TraceSink;
    readonly onFaultError: (error: unknown, action: FaultAction) => void;
  },
): { readonly run: () => Promise<void>; readonly abandoned: () => number } {
  const { clock, random, trace } = ports;
  trace.emit('run', 'topology', { topology: world.topology as unknown as TraceFields });
  const harness = new RunHarness({}, { clock });
  harness.own(world);
  const gateways = world.gateways.gateways;
  const mix = new RequestMix(
    {
      ...(scenario.workload.users === undefined ? {} : { users: scenario.workload.users }),
      ...(scenario.workload.prompts === undefined ? {} : { prompts: scenario.workload.prompts }),
      ...(scenario.workload.zipf === undefined ? {} : { zipf: scenario.workload.zipf }),
    },
    { random: random.fork('workload') },
  );
  const timeoutMs = scenario.workload.timeoutMs ?? 60_000;
  let nextId = 0;
  const send = (request: { readonly userId: string; readonly prompt: string }) => {
    const id = nextId++;
    const gateway = gateways[id % gateways.length];
    if (gateway === undefined) return;
    // The client's timeout on the run's clock: a SimAbortController (Node's costs microseconds each).
    const abort = new SimAbortController();
    const timer = clock.schedule(timeoutMs, () =>
      abort.abort(new Error(`client timeout after ${timeoutMs} ms`)),
    );
    void harness.track(
      // The request written out key by key, in the order the spread gave (userId, prompt, id,
      // signal): a spread of the mix's object costs a generic copy per request.
      whenSettled(
        gateway.handle({ userId: request.userId, prompt: request.prompt, id, signal: abort.signal }),
        () => timer.cancel(),
      ),
    );
  };
  let abandoned = 0;
  const run = async () => {
    const { history, primary, replicas } = world.gateways;
    if (history !== undefined) {
      await history.createTables();
      // The schema reaches every replica before the first request, as in a deployment in service.
      if (primary !== undefined)
        for (const replica of await waitForReplicas(primary, replicas))
          trace.emit('chat-history', 'schema-not-replicated', { replica });
    }
    const result = await harness.run(
      async () => {
        scheduleTimeline(harness, world.faults, timelineOf(scenario), ports.onFaultError);
        for (const burst of scenario.workload.bursts ?? []) {
          const spread = burst.withinMs ?? 0;
          for (let i = 0; i < burst.count; i++) {
            const at = burst.at + Math.floor((spread * i) / burst.count);
            harness.at(at, () => send({ userId: `user-burst-${i}`, prompt: burst.prompt ?? 'prompt-hot' }));
          }
        }
        await phasedArrivals(clock, random.fork('arrivals'), scenario.workload.phases, () =>
          send(mix.next()),
        );
      },
      async () => {
        const history = world.gateways.history;
        const primary = world.gateways.primary;
        if (history === undefined || primary === undefined) return;
        for (const table of history.tables) {
          const ids = await history.idRanges(table, primary).catch(() => undefined);
          if (ids !== undefined)
            trace.emit('chat-history', 'final', { table, ids: ids.map((r) => [r[0], r[1]]) });
        }
      },
    );
    abandoned = result.abandoned;
  };
  return { run, abandoned: () => abandoned };
}

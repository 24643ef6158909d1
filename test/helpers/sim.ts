// Simulations for tests: a fresh seeded Simulation, a body run as its only task, and a trace sink
// that keeps events in memory so a test can look them up by family and kind.
import { Simulation } from '#sim/kernel/simulation.ts';
import type { TraceFields, TraceSink } from '#src/ports/trace.ts';
import { checkTraceEvent, familyOf, type TraceFamily } from '#src/ports/trace-events.ts';

/** A Simulation for a test, seeded with the test's own seed (default options otherwise). */
export function newSim(seed: string): Simulation {
  return new Simulation({ seed });
}

/** Runs `body` as the only task of a fresh simulation, runs the simulation to idle, returns the result. */
export async function inSim<T>(seed: string, body: (sim: Simulation) => Promise<T>): Promise<T> {
  const sim = newSim(seed);
  const result = sim.spawn(() => body(sim), { name: 'test' });
  await sim.run();
  return result;
}

/** One recorded event: `t` clock ms, `c` component, `k` kind, `f` its fields. */
export interface RecordedEvent {
  readonly t: number;
  readonly c: string;
  readonly k: string;
  readonly f: TraceFields | undefined;
}

/** Options of {@link RecordingTrace}. */
export interface RecordingTraceOptions {
  /**
   * Refuse an event that src/ports/trace-events.ts does not declare (as `JsonlTrace` will), so a
   * test fails on an undeclared kind or field. @defaultValue false
   */
  readonly checkVocabulary?: boolean;
}

/** A {@link TraceSink} that keeps every event in memory, stamped with `now()`. */
export class RecordingTrace implements TraceSink {
  readonly events: RecordedEvent[] = [];
  readonly #now: () => number;
  readonly #check: boolean;

  /** @param now the clock reading stamped on each event, in ms (usually `() => sim.clock.now()`). */
  constructor(now: () => number, options: RecordingTraceOptions = {}) {
    this.#now = now;
    this.#check = options.checkVocabulary ?? false;
  }

  emit(component: string, kind: string, fields?: TraceFields): void {
    if (this.#check) checkTraceEvent(component, kind, fields);
    this.events.push({ t: this.#now(), c: component, k: kind, f: fields });
  }

  /** The kinds emitted by components of `family` (e.g. 'cache' matches 'cache' and 'cache/gw-1'), in order. */
  kinds(family: TraceFamily): string[] {
    return this.of(family).map((e) => e.k);
  }

  /** The events of `family`, optionally only those of one kind, in order. */
  of(family: TraceFamily, kind?: string): RecordedEvent[] {
    return this.events.filter((e) => familyOf(e.c) === family && (kind === undefined || e.k === kind));
  }
}

/** One event as `FlatRecorder` keeps it: `t`, `c`, `k` and the event's own fields side by side. */
export type FlatEvent = { readonly t: number; readonly c: string; readonly k: string } & TraceFields;

/**
 * A sink that keeps every event with its fields spread beside `t`, `c`, `k` (so a test can write
 * `e.model`), and fails on an event the vocabulary does not declare.
 */
export function flatRecorder(clock: { now(): number }): TraceSink & { readonly events: FlatEvent[] } {
  const events: FlatEvent[] = [];
  return {
    events,
    emit(c, k, fields) {
      checkTraceEvent(c, k, fields);
      events.push({ t: clock.now(), c, k, ...fields });
    },
  };
}

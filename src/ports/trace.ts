/**
 * Where components report what happened. A simulation streams events to a canonical JSONL file
 * with a rolling hash (src/adapters/jsonl-trace.ts); live runs may use the same sink or none.
 *
 * Event lines have a fixed key order: `t` (clock ms), `c` (component), `k` (kind), then the
 * event's own fields in the order the emitter wrote them. Field values must be JSON values;
 * keep them small and deterministic (no object keyed by numbers, no wall-clock values).
 */
export interface TraceSink {
  /** Records one event at the sink's current clock time. */
  emit(component: string, kind: string, fields?: TraceFields): void;
}

/** An event's own fields. Values are JSON values. */
export type TraceFields = Readonly<Record<string, TraceValue>>;
export type TraceValue =
  | string
  | number
  | boolean
  | null
  | readonly TraceValue[]
  | { readonly [k: string]: TraceValue };

/** A sink that drops everything: for live runs and for components used without tracing. */
export const nullTraceSink: TraceSink = {
  emit() {},
};

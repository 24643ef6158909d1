import type { Clock } from '../ports/clock.ts';
import type { TraceFields, TraceSink } from '../ports/trace.ts';
import type { Layer } from './layer.ts';

/** What every layer of one gateway instance shares: its name, clock and trace. */
export interface LayerContext {
  /** The gateway instance, e.g. `'gw-1'`; the trace's `c` is `<family>/<instance>`. */
  readonly instance: string;
  readonly clock: Clock;
  /** Emits `kind` under component `<family>/<instance>`. */
  emit(family: string, kind: string, fields?: TraceFields): void;
  /** Whether anything listens (so a layer can skip building event fields). */
  readonly tracing: boolean;
}

/** A layer to be built for one gateway instance. */
export type LayerFactory = (context: LayerContext) => Layer;

/** Builds the context of one instance; component names are cached, one string per family. */
export function layerContext(instance: string, clock: Clock, trace: TraceSink | undefined): LayerContext {
  const names = new Map<string, string>();
  const sink = trace;
  return {
    instance,
    clock,
    tracing: sink !== undefined,
    emit(family, kind, fields) {
      if (sink === undefined) return;
      let c = names.get(family);
      if (c === undefined) {
        c = `${family}/${instance}`;
        names.set(family, c);
      }
      sink.emit(c, kind, fields);
    },
  };
}

/**
 * A trace sink that files every event of a component under this instance: `executor` becomes
 * `executor/gw-1`. Components built for one gateway instance take this sink, so several
 * instances' executors and caches stay apart in the trace.
 */
export function scopedTrace(sink: TraceSink, instance: string): TraceSink {
  const names = new Map<string, string>();
  return {
    emit(component, kind, fields) {
      let c = names.get(component);
      if (c === undefined) {
        c = `${component}/${instance}`;
        names.set(component, c);
      }
      sink.emit(c, kind, fields);
    },
  };
}

import type { Clock } from '../../src/ports/clock.ts';
import type { TraceFields, TraceSink } from '../../src/ports/trace.ts';
import type { TraceEvent } from './expectations/metrics.ts';

/**
 * A trace sink that writes through to `sink` and hands the events of `families` to `observe` as
 * they are emitted, so expectations are judged in one pass without reading the trace back. The
 * family test is cached per component name: one map lookup per event.
 */
export function observedTrace(
  sink: TraceSink,
  clock: Clock,
  families: ReadonlySet<string>,
  observe: (e: TraceEvent) => void,
): TraceSink {
  const wanted = new Map<string, boolean>();
  return {
    emit(component: string, kind: string, fields?: TraceFields): void {
      sink.emit(component, kind, fields);
      let w = wanted.get(component);
      if (w === undefined) {
        const slash = component.indexOf('/');
        w = families.has(slash < 0 ? component : component.slice(0, slash));
        wanted.set(component, w);
      }
      if (w) observe({ ...fields, t: clock.now(), c: component, k: kind } as TraceEvent);
    },
  };
}

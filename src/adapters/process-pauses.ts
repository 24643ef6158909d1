// What held this Node process still while a live run measured its latencies: V8's garbage-
// collection pauses (perf_hooks 'gc' entries, one per pause, with its kind in `detail.kind`: Node
// API docs, "perf_hooks: Garbage Collection ('gc') Details") and the event loop's delay
// (perf_hooks.monitorEventLoopDelay: how late a timer sampling every `resolution` ms ran). A pause
// stops every request in flight, so a tail latency is read beside them: a p99 of 20 ms under
// 15 ms scavenges says more about the process than about the servers.
import {
  constants,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';

/** Pauses of one kind: how many, their sum and the longest, ms. */
export interface PauseTally {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** What `watchProcessPauses` saw between its start and `stop()`. */
export interface ProcessPauses {
  /** Young-generation collections (scavenges). */
  readonly gcMinor: PauseTally;
  /** Every other collection V8 reported (mark-compact, incremental marking steps, weak callbacks). */
  readonly gcOther: PauseTally;
  /** How late the event loop ran its 1 ms sampling timer, ms. */
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
}

/** Starts watching; `stop()` ends it and returns what was seen (the pending GC entries included). */
export function watchProcessPauses(): { stop(): ProcessPauses } {
  const gcMinor: PauseTally = { count: 0, totalMs: 0, maxMs: 0 };
  const gcOther: PauseTally = { count: 0, totalMs: 0, maxMs: 0 };
  const count = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      const tally = kind === constants.NODE_PERFORMANCE_GC_MINOR ? gcMinor : gcOther;
      tally.count++;
      tally.totalMs += entry.duration;
      tally.maxMs = Math.max(tally.maxMs, entry.duration);
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  return {
    stop() {
      // Entries not yet handed to the callback (it runs asynchronously) are counted too.
      count(observer.takeRecords());
      observer.disconnect();
      delay.disable();
      // A histogram that recorded nothing (a run shorter than one sample) reads 0, not NaN.
      const p99 = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
      const max = delay.count > 0 ? delay.max / 1e6 : 0;
      return { gcMinor, gcOther, eventLoopDelayMs: { p99, max } };
    },
  };
}

/** `12 scavenges (80 ms, max 9.1 ms), 1 other (3 ms, max 3.0 ms); event-loop delay p99 4.2 ms, max 11.0 ms` */
export function pausesText(p: ProcessPauses): string {
  const part = (name: string, t: PauseTally) =>
    `${t.count} ${name} (${t.totalMs.toFixed(0)} ms, max ${t.maxMs.toFixed(1)} ms)`;
  const scavenges = p.gcMinor.count === 1 ? 'scavenge' : 'scavenges';
  return `${part(scavenges, p.gcMinor)}, ${part('other', p.gcOther)}; event-loop delay p99 ${p.eventLoopDelayMs.p99.toFixed(1)} ms, max ${p.eventLoopDelayMs.max.toFixed(1)} ms`;
}

/**
 * The metrics expectations can name, each derived from trace events (never from the simulation),
 * so the same expectations judge a simulated and a live run. A metric has a k6 type:
 * - `trend`: one number per sample (latency); aggregations `avg min max med p(N) count`;
 * - `rate`: one yes/no per sample (errors); aggregations `rate` (fraction of yes) and `count` (of yes);
 * - `counter`: events; aggregations `count` and `rate` (per second of the window).
 * Tags come from the event's fields (and `instance`, the part of `c` after the family).
 */
export type MetricType = 'trend' | 'rate' | 'counter';

/** One parsed trace event line. */
export type TraceEvent = Readonly<Record<string, unknown>> & {
  readonly t: number;
  readonly c: string;
  readonly k: string;
};

export interface MetricDef {
  readonly type: MetricType;
  readonly description: string;
  /** The family of `c` and the kinds that produce a sample. */
  readonly family: string;
  readonly kinds: readonly string[];
  /** Tags a selector may filter on. */
  readonly tags: readonly string[];
  /** The sample: a number (trend), a boolean (rate), anything else for counters; undefined = none. */
  readonly sample: (e: TraceEvent) => number | boolean | undefined;
  /** Whether bounds are durations (so `5s` reads as 5000). */
  readonly unit?: 'ms';
}

const responseTags = ['instance', 'outcome', 'servedBy', 'model', 'by'] as const;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

export const METRICS: Readonly<Record<string, MetricDef>> = {
  'gateway.latency': {
    type: 'trend',
    description: 'time from a request entering the gateway to its answer or refusal, ms',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: (e) => num(e.ms),
    unit: 'ms',
  },
  'gateway.requests': {
    type: 'counter',
    description: 'requests answered (ok, refused or failed)',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: () => true,
  },
  'gateway.errors': {
    type: 'rate',
    description: 'fraction of requests that failed (no answer, no fallback)',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: (e) => e.outcome === 'failed',
  },
  'gateway.refused': {
    type: 'rate',
    description: 'fraction of requests refused by a limiter, a rule or the pool',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: (e) => e.outcome === 'refused',
  },
  'gateway.fallback': {
    type: 'rate',
    description: 'fraction of requests answered by a fallback',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: (e) => e.servedBy === 'fallback',
  },
  'gateway.ok': {
    type: 'rate',
    description: 'fraction of requests answered (by a cache, a provider or a fallback)',
    family: 'gateway',
    kinds: ['response'],
    tags: responseTags,
    sample: (e) => e.outcome === 'ok',
  },
};

/** The tag value of `name` on event `e`. */
export function tagOf(e: TraceEvent, name: string): string | undefined {
  if (name === 'instance') {
    const slash = e.c.indexOf('/');
    return slash < 0 ? undefined : e.c.slice(slash + 1);
  }
  const v = e[name];
  return v === undefined || v === null ? undefined : String(v);
}

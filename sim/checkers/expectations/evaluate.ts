import { formatDuration } from './duration.ts';
import { METRICS, type MetricDef, type TraceEvent, tagOf } from './metrics.ts';
import { compare, type MetricSelector, type Threshold } from './threshold.ts';

/** An expectation as the scenario file states it, parsed. */
export type Expectation =
  | {
      readonly kind: 'threshold';
      readonly text: string;
      readonly selector: MetricSelector;
      readonly threshold: Threshold;
      /** When set, the threshold must hold in every window of this many ms that has samples. */
      readonly windowMs?: number;
      /** A `sometimes:` check: reported, never part of the verdict. */
      readonly sometimes?: true;
    }
  | {
      readonly kind: 'eventually';
      readonly text: string;
      readonly selector: MetricSelector;
      readonly threshold: Threshold;
      /** From when, ms (the time of the last heal, or a fixed time). */
      readonly afterMs: number;
      readonly withinMs: number;
      readonly windowMs: number;
    }
  | {
      readonly kind: 'always';
      readonly text: string;
      readonly invariant: string;
      /** `violated:`: the run must break the invariant (the verdict is reversed). */
      readonly violated?: boolean;
    };

/** One expectation's verdict: what it measured and whether it held. */
export interface ExpectationResult {
  readonly text: string;
  readonly measured: string;
  readonly ok: boolean;
  /** A `sometimes:` check: `ok` says whether the run reached it; never part of the verdict. */
  readonly sometimes?: true;
}

/** An invariant checker: reads every event, then says whether the invariant held. */
export interface InvariantChecker {
  observe(e: TraceEvent): void;
  finish(): { readonly ok: boolean; readonly measured: string };
}

/** Named invariants for `always:`; each call makes a fresh checker. */
export type InvariantRegistry = Readonly<Record<string, () => InvariantChecker>>;

interface Samples {
  readonly def: MetricDef;
  readonly times: number[];
  readonly values: number[];
}

/**
 * Judges `expectations` while a run streams its events (`observe`), then at the end (`finish`).
 * Memory: one number pair per event that an expectation's metric selects; invariant checkers keep
 * what they need. Only events of `families` are worth building and passing in.
 */
export class ExpectationJudge {
  readonly #expectations: readonly Expectation[];
  readonly #samples = new Map<string, Samples>();
  readonly #wanted: { readonly selector: MetricSelector; readonly into: Samples }[] = [];
  readonly #checkers = new Map<string, InvariantChecker>();
  readonly #checkerList: InvariantChecker[];
  /** The trace families the expectations read (invariants read every event they are given). */
  readonly families: ReadonlySet<string>;

  constructor(expectations: readonly Expectation[], invariants: InvariantRegistry) {
    this.#expectations = expectations;
    const families = new Set<string>();
    for (const x of expectations) {
      if (x.kind === 'always') {
        const make = invariants[x.invariant];
        if (make !== undefined && !this.#checkers.has(x.invariant)) this.#checkers.set(x.invariant, make());
        continue;
      }
      if (this.#samples.has(x.selector.text)) continue;
      const def = METRICS[x.selector.metric];
      if (def === undefined) continue;
      families.add(def.family);
      const into: Samples = { def, times: [], values: [] };
      this.#samples.set(x.selector.text, into);
      this.#wanted.push({ selector: x.selector, into });
    }
    this.#checkerList = [...this.#checkers.values()];
    if (this.#checkerList.length > 0) for (const f of INVARIANT_FAMILIES) families.add(f);
    this.families = families;
  }

  /** Takes one event, in trace order. */
  observe(e: TraceEvent): void {
    for (const c of this.#checkerList) c.observe(e);
    for (const { selector, into } of this.#wanted) {
      const def = into.def;
      if (!def.kinds.includes(e.k) || familyOf(e.c) !== def.family) continue;
      if (!matchesTags(e, selector)) continue;
      const v = def.sample(e);
      if (v === undefined) continue;
      into.times.push(e.t);
      into.values.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    }
  }

  /** The verdicts, in the order the expectations were given; `endMs` is the end of the run. */
  finish(endMs: number): ExpectationResult[] {
    return this.#expectations.map((x) => {
      if (x.kind === 'always') {
        const c = this.#checkers.get(x.invariant);
        if (c === undefined) return { text: x.text, measured: 'unknown invariant', ok: false };
        const verdict = c.finish();
        return {
          text: x.text,
          measured: verdict.measured,
          ok: x.violated === true ? !verdict.ok : verdict.ok,
        };
      }
      const s = this.#samples.get(x.selector.text);
      if (s === undefined) return { text: x.text, measured: 'unknown metric', ok: false };
      if (x.kind !== 'threshold') return judgeEventually(x, s, endMs);
      const verdict = judgeThreshold(x, s, endMs);
      return x.sometimes === true ? { ...verdict, sometimes: true } : verdict;
    });
  }
}

/** The families invariant checkers read (see sim/checkers/invariants.ts). */
export const INVARIANT_FAMILIES: readonly string[] = ['run', 'chat-history', 'coalesce', 'redis-limiter'];

/** Judges `expectations` over a finished trace's events (`hasim check`, tests). */
export function evaluateExpectations(
  expectations: readonly Expectation[],
  events: Iterable<TraceEvent>,
  endMs: number,
  invariants: InvariantRegistry,
): ExpectationResult[] {
  const judge = new ExpectationJudge(expectations, invariants);
  for (const e of events) judge.observe(e);
  return judge.finish(endMs);
}

function familyOf(c: string): string {
  const slash = c.indexOf('/');
  return slash < 0 ? c : c.slice(0, slash);
}

function matchesTags(e: TraceEvent, selector: MetricSelector): boolean {
  for (const [k, v] of Object.entries(selector.tags)) if (tagOf(e, k) !== v) return false;
  return true;
}

/**
 * The aggregation of the samples in `[from, to)` — `[from, to]` for the window that ends the run
 * (`last`), so the events written at the run's last instant count — or undefined when there is
 * nothing to aggregate.
 */
export function aggregate(
  s: Samples,
  threshold: Threshold,
  fromMs: number,
  toMs: number,
  last = false,
): number | undefined {
  const vs: number[] = [];
  for (let i = 0; i < s.times.length; i++) {
    const t = s.times[i] ?? 0;
    if (t >= fromMs && (t < toMs || (last && t === toMs))) vs.push(s.values[i] ?? 0);
  }
  const a = threshold.aggregation;
  const type = s.def.type;
  if (a.kind === 'count') return type === 'rate' ? vs.filter((v) => v !== 0).length : vs.length;
  if (type === 'counter' && a.kind === 'rate')
    return toMs > fromMs ? (vs.length * 1000) / (toMs - fromMs) : undefined;
  if (vs.length === 0) return undefined;
  switch (a.kind) {
    case 'rate':
    case 'avg':
      return vs.reduce((x, y) => x + y, 0) / vs.length;
    case 'min':
      return Math.min(...vs);
    case 'max':
      return Math.max(...vs);
    case 'value':
      return vs[vs.length - 1];
    case 'med':
      return quantile(vs, 50);
    case 'p':
      return quantile(vs, a.q);
  }
}

// k6's percentile: nearest rank over the sorted samples (lib/metrics/sample.go, Trend.P).
function quantile(values: number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((q / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

function show(value: number, s: Samples): string {
  if (s.def.unit === 'ms') return `${Math.round(value * 10) / 10}ms`;
  if (Number.isInteger(value)) return String(value);
  return value.toPrecision(4).replace(/\.?0+$/, '');
}

function judgeThreshold(
  x: Extract<Expectation, { kind: 'threshold' }>,
  s: Samples,
  endMs: number,
): ExpectationResult {
  const { threshold } = x;
  if (x.windowMs === undefined) {
    const v = aggregate(s, threshold, 0, Math.max(endMs, 1), true);
    if (v === undefined) return { text: x.text, measured: 'no samples', ok: false };
    return { text: x.text, measured: show(v, s), ok: compare(v, threshold.op, threshold.bound) };
  }
  let worst: { v: number; from: number } | undefined;
  let windows = 0;
  for (let from = 0; from < endMs; from += x.windowMs) {
    const to = Math.min(from + x.windowMs, endMs);
    const v = aggregate(s, threshold, from, to, to === endMs);
    if (v === undefined) continue;
    windows++;
    if (!compare(v, threshold.op, threshold.bound)) {
      return {
        text: x.text,
        measured: `${show(v, s)} in the window from ${formatDuration(from)}`,
        ok: false,
      };
    }
    if (worst === undefined || Math.abs(v - threshold.bound) < Math.abs(worst.v - threshold.bound)) {
      worst = { v, from };
    }
  }
  if (worst === undefined) return { text: x.text, measured: 'no samples', ok: false };
  return {
    text: x.text,
    measured: `${show(worst.v, s)} at worst (window from ${formatDuration(worst.from)}, ${windows} windows)`,
    ok: true,
  };
}

// Holds when, from some window start no later than `after + within`, every window to the end of
// the run satisfies the threshold: the system recovered by the deadline and stayed recovered.
function judgeEventually(
  x: Extract<Expectation, { kind: 'eventually' }>,
  s: Samples,
  endMs: number,
): ExpectationResult {
  const starts: number[] = [];
  for (let from = x.afterMs; from < endMs; from += x.windowMs) starts.push(from);
  let recoveredAt: number | undefined;
  for (let i = starts.length - 1; i >= 0; i--) {
    const from = starts[i] ?? 0;
    const to = Math.min(from + x.windowMs, endMs);
    const v = aggregate(s, x.threshold, from, to, to === endMs);
    if (v !== undefined && !compare(v, x.threshold.op, x.threshold.bound)) break;
    recoveredAt = from;
  }
  if (recoveredAt === undefined) return { text: x.text, measured: 'never recovered', ok: false };
  const took = recoveredAt - x.afterMs;
  return { text: x.text, measured: `held from ${formatDuration(took)} after`, ok: took <= x.withinMs };
}

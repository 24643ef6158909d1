import type { Topology } from '../../src/ports/topology.ts';
import { familyOf } from '../../src/ports/trace-events.ts';

/**
 * The digest of one run: what the report draws, built in one pass over the trace with memory
 * bounded whatever the trace's size. Everything in it is plain JSON, in an order that depends only
 * on the trace, so the same trace gives the same digest and the same drawings, byte for byte.
 *
 * Bounds (each a named limit below): the time series has at most `BUCKETS_MAX` buckets; fault
 * marks, breaker changes and notable backend events are capped; request trails are kept only for
 * requests in flight (at most `TRAILS_IN_FLIGHT_MAX`) and `SAMPLES_MAX` sampled ones afterwards.
 */

/** One trace event as read back: `t` (ms), `c` (component), `k` (kind) and its fields. */
export interface DigestEvent {
  readonly t: number;
  readonly c: string;
  readonly k: string;
  readonly [field: string]: unknown;
}

/** A `fault inject` event. */
export interface FaultMark {
  readonly t: number;
  readonly verb: string;
  readonly target: string;
}

/** A fault active from `startMs` to `endMs` (`null`: still active at the end of the run). */
export interface FaultBand {
  /** The verb that started it (`crash`, `partition`, `outage`, ...): one band row per kind. */
  readonly kind: string;
  readonly target: string;
  readonly startMs: number;
  readonly endMs: number | null;
}

/** A `sentinel state` event: one breaker's transition. */
export interface BreakerChange {
  readonly t: number;
  readonly resource: string;
  readonly grade: string;
  readonly prev: string;
  readonly next: string;
}

/** A provider deployment out of rotation (LiteLLM-style cooldown), from `startMs` to `endMs`. */
export interface CooldownSpan {
  readonly model: string;
  readonly reason: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Per-bucket counts and latencies; every array has `buckets` entries, bucket i starting at i × bucketMs. */
export interface Series {
  readonly bucketMs: number;
  readonly buckets: number;
  /** Responses of every outcome. */
  readonly responses: number[];
  readonly ok: number[];
  /** Answered by the fallback (Sentinel's `fallback`, `servedBy: 'fallback'`). */
  readonly fallback: number[];
  /** Refused by the token bucket or the Redis limiter. */
  readonly limited: number[];
  /** Refused by a Sentinel flow or degrade rule. */
  readonly blocked: number[];
  /** Refused for another reason (the executor's pool). */
  readonly refused: number[];
  readonly failed: number[];
  /** Latency of the bucket's responses, ms; `null` for a bucket without responses. */
  readonly p50: (number | null)[];
  readonly p99: (number | null)[];
  /** Requests in flight at the end of the bucket. */
  readonly inflight: number[];
  /** Answers per tier that served them (`l1`, `l2`, `l3`, `upstream`, `fallback`). */
  readonly tiers: Record<string, number[]>;
}

/** The events of one sampled request, in trace order. */
export interface RequestTrail {
  readonly id: number;
  /** Why this request was sampled, e.g. `first ok (l1)`, `first refused (degrade-rule)`. */
  readonly why: string;
  readonly outcome: string;
  readonly ms: number;
  readonly events: readonly DigestEvent[];
}

/** What the run's header, footer and summary say about it. */
export interface RunInfo {
  readonly scenario: string;
  readonly kind: string;
  /** The scenario's `description`, if it has one. */
  readonly description: string;
  /** The scenario as the trace header records it, pretty-printed JSON. */
  readonly scenarioText: string;
  readonly seed: number;
  readonly source: string;
  readonly hasimVersion: string;
  readonly traceHash: string;
  readonly events: number;
  readonly simulatedMs: number;
  /** The footer's `end`: `ok` or `failed`. */
  readonly end: string;
  /** summary.json's `expectations`, when the scenario stated any. */
  readonly expectations: readonly {
    readonly text: string;
    readonly measured: string;
    readonly ok: boolean;
  }[];
  /** summary.json's `verdict`, when present. */
  readonly verdict: string | null;
}

export interface RunDigest {
  readonly run: RunInfo;
  readonly topology: Topology | null;
  readonly endMs: number;
  readonly series: Series;
  readonly faults: readonly FaultMark[];
  readonly bands: readonly FaultBand[];
  readonly breaker: readonly BreakerChange[];
  /** `upstream cooldown` spans, ended early by `cooldown-end` when it came first. */
  readonly cooldowns: readonly CooldownSpan[];
  /** Events per component and kind (components sorted, kinds sorted). */
  readonly counts: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Redis Cluster and MySQL events worth naming (failovers, promotions, thread stops), capped. */
  readonly notable: readonly DigestEvent[];
  readonly trails: readonly RequestTrail[];
}

/** Buckets of the time series at most; the bucket grows from 1 s in whole seconds to stay under it. */
export const BUCKETS_MAX = 1200;
/** Fault marks, breaker changes and notable events kept, each. */
export const MARKS_MAX = 5000;
/** Requests whose events are held while they are in flight. */
export const TRAILS_IN_FLIGHT_MAX = 4096;
/** Events kept per request trail. */
export const TRAIL_EVENTS_MAX = 64;
/** Sampled request trails kept. */
export const SAMPLES_MAX = 6;
/** Requests followed from the start as sample candidates (then only parsed events are kept). */
export const CANDIDATES_MAX = 2000;
/** Further candidates after each fault, so the first refusal after a fault can be sampled. */
export const CANDIDATES_PER_FAULT = 500;
/** Components counted (the rest are summed under `(other)`). */
export const COMPONENTS_MAX = 2000;

/** Which verb ends a fault another verb started; verbs absent here are instants (`failover`). */
const STOPPED_BY: Readonly<Record<string, readonly string[]>> = {
  crash: ['restart'],
  freeze: ['resume'],
  partition: ['repair'],
  slow: ['repair'],
  'stop-io-thread': ['start-io-thread'],
  'stop-sql-thread': ['start-sql-thread'],
  outage: ['heal'],
  slowdown: ['heal'],
  'rate-limit-storm': ['heal'],
  'fail-next': ['heal'],
};

/** The bucket width for a run of `simulatedMs`: 1 s, or whole seconds so that ≤ BUCKETS_MAX buckets. */
export function bucketMsFor(simulatedMs: number): number {
  return 1000 * Math.max(1, Math.ceil(simulatedMs / 1000 / BUCKETS_MAX));
}

/** `q`-quantile (nearest rank) of sorted values. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? null;
}

/**
 * Redis Cluster and MySQL kinds kept as notable events (sim/redis failover.ts and cluster.ts,
 * sim/mysql node.ts and replica-channel.ts): role changes, failure detection, process and thread
 * faults. Kinds not known here are still counted.
 */
const NOTABLE = new RegExp(
  [
    '^(promoted|promote|fail|replicaof|crash|restart|freeze|resume|partition|repair)$',
    '^(io-thread|sql-thread|io-error|sql-error|semisync-status)$',
    'failover|promot|demot|election',
  ].join('|'),
);

function increment(a: number[], i: number): void {
  a[i] = (a[i] ?? 0) + 1;
}

/** Builds a `RunDigest` from events given in trace order. */
export class DigestBuilder {
  readonly #series: Series;
  readonly #faults: FaultMark[] = [];
  readonly #bands: { kind: string; target: string; startMs: number; endMs: number | null }[] = [];
  readonly #breaker: BreakerChange[] = [];
  readonly #cooldowns: { model: string; reason: string; startMs: number; endMs: number }[] = [];
  readonly #counts = new Map<string, Map<string, number>>();
  readonly #notable: DigestEvent[] = [];
  readonly #inFlight = new Map<number, DigestEvent[]>();
  readonly #trails: RequestTrail[] = [];
  readonly #sampledWhy = new Set<string>();
  #topology: Topology | null = null;
  /** Requests that may still become samples: CANDIDATES_MAX, and CANDIDATES_PER_FAULT more per fault. */
  #candidates = CANDIDATES_MAX;
  #bucket = 0;
  #latencies: number[] = [];
  #inflight = 0;
  #lastT = 0;

  constructor(simulatedMs: number) {
    const bucketMs = bucketMsFor(simulatedMs);
    const buckets = Math.max(1, Math.ceil((simulatedMs + 1) / bucketMs));
    const zeros = () => new Array<number>(buckets).fill(0);
    this.#series = {
      bucketMs,
      buckets,
      responses: zeros(),
      ok: zeros(),
      fallback: zeros(),
      limited: zeros(),
      blocked: zeros(),
      refused: zeros(),
      failed: zeros(),
      p50: new Array<number | null>(buckets).fill(null),
      p99: new Array<number | null>(buckets).fill(null),
      inflight: zeros(),
      tiers: {},
    };
  }

  /**
   * Whether every event of this component and kind is worth parsing; the others are parsed only
   * while a sampled request is being followed (`following`), and otherwise only counted.
   */
  wants(c: string, k: string): boolean {
    const family = familyOf(c);
    return (
      family === 'run' ||
      family === 'fault' ||
      family === 'sentinel' ||
      family === 'gateway' ||
      family === 'client' ||
      (family === 'upstream' && k.startsWith('cooldown')) ||
      ((family === 'redis-cluster' || family === 'mysql') && NOTABLE.test(k))
    );
  }

  /** Whether requests are being followed as sample candidates: then every event is worth parsing. */
  get following(): boolean {
    return this.#inFlight.size > 0;
  }

  /**
   * Whether a request starting now would be followed as a sample candidate. When it would not,
   * `requestStarted` stands for observing its start event: only the in-flight count moves.
   */
  get followsNewRequests(): boolean {
    return (
      this.#candidates > 0 && this.#inFlight.size < TRAILS_IN_FLIGHT_MAX && this.#trails.length < SAMPLES_MAX
    );
  }

  /** A request's start event at `t` (ms), not followed (see `followsNewRequests`). */
  requestStarted(t: number): void {
    this.advanceTo(t);
    this.#inflight++;
  }

  /** Whether request `id` is being followed (its events are kept for a trail); see `following`. */
  follows(id: number): boolean {
    return this.#inFlight.has(id);
  }

  /** Counts `n` events of a component and kind (every event, parsed or not). */
  count(c: string, k: string, n = 1): void {
    // Past COMPONENTS_MAX components, new ones are summed under '(other)' (which always fits).
    const name = this.#counts.has(c) || this.#counts.size < COMPONENTS_MAX - 1 ? c : '(other)';
    let kinds = this.#counts.get(name);
    if (kinds === undefined) {
      kinds = new Map();
      this.#counts.set(name, kinds);
    }
    kinds.set(k, (kinds.get(k) ?? 0) + n);
  }

  /** Takes one parsed event, in trace order (`t` never decreases). */
  observe(e: DigestEvent): void {
    this.advanceTo(e.t);
    const family = familyOf(e.c);
    if (family === 'run' && e.k === 'topology' && this.#topology === null) {
      this.#topology = (e.topology ?? null) as Topology | null;
    } else if (family === 'fault' && e.k === 'inject') {
      this.#fault(e);
    } else if (family === 'sentinel' && e.k === 'state') {
      if (this.#breaker.length < MARKS_MAX) {
        const s = (v: unknown) => (typeof v === 'string' ? v : String(v));
        this.#breaker.push({
          t: e.t,
          resource: s(e.resource),
          grade: s(e.grade),
          prev: s(e.prev),
          next: s(e.next),
        });
      }
    } else if (family === 'upstream' && (e.k === 'cooldown' || e.k === 'cooldown-end')) {
      this.#cooldown(e);
    } else if ((family === 'redis-cluster' || family === 'mysql') && NOTABLE.test(e.k)) {
      if (this.#notable.length < MARKS_MAX) this.#notable.push(e);
    }
    if (typeof e.id === 'number') this.#trail(e, family);
  }

  #cooldown(e: DigestEvent): void {
    const model = String(e.model);
    if (e.k === 'cooldown') {
      const untilMs = typeof e.untilMs === 'number' ? e.untilMs : e.t;
      if (this.#cooldowns.length < MARKS_MAX)
        this.#cooldowns.push({ model, reason: String(e.reason ?? ''), startMs: e.t, endMs: untilMs });
      return;
    }
    for (let i = this.#cooldowns.length - 1; i >= 0; i--) {
      const span = this.#cooldowns[i];
      if (span === undefined || span.model !== model) continue;
      span.endMs = Math.min(span.endMs, e.t);
      break;
    }
  }

  #fault(e: DigestEvent): void {
    const verb = String(e.verb);
    const target = String(e.target);
    if (this.#faults.length < MARKS_MAX) this.#faults.push({ t: e.t, verb, target });
    this.#candidates += CANDIDATES_PER_FAULT;
    for (const band of this.#bands) {
      if (band.endMs !== null || band.target !== target) continue;
      const enders = STOPPED_BY[band.kind];
      if (enders?.includes(verb)) band.endMs = e.t;
    }
    if (STOPPED_BY[verb] !== undefined && this.#bands.length < MARKS_MAX) {
      this.#bands.push({ kind: verb, target, startMs: e.t, endMs: null });
    }
  }

  /** Request events: in-flight accounting, the series, and the trails of sampled requests. */
  #trail(e: DigestEvent, family: string): void {
    const id = e.id as number;
    const start = (family === 'gateway' && e.k === 'request') || (family === 'client' && e.k === 'invoke');
    const end =
      (family === 'gateway' && e.k === 'response') ||
      (family === 'client' && (e.k === 'ok' || e.k === 'fail'));
    if (start) {
      this.#inflight++;
      if (this.followsNewRequests) {
        this.#candidates--;
        this.#inFlight.set(id, []);
      }
    }
    const events = this.#inFlight.get(id);
    if (events !== undefined && events.length < TRAIL_EVENTS_MAX) events.push(e);
    if (!end) return;
    this.#inflight = Math.max(0, this.#inflight - 1);
    const { outcome, why } = this.#response(e, family);
    if (events === undefined) return;
    this.#inFlight.delete(id);
    if (this.#trails.length < SAMPLES_MAX && !this.#sampledWhy.has(why)) {
      this.#sampledWhy.add(why);
      const ms = typeof e.ms === 'number' ? e.ms : 0;
      this.#trails.push({ id, why: `first ${why}`, outcome, ms, events });
    }
  }

  /** Adds one response to the series; returns its outcome and its sampling class. */
  #response(e: DigestEvent, family: string): { outcome: string; why: string } {
    const s = this.#series;
    const b = this.#bucket;
    increment(s.responses, b);
    if (typeof e.ms === 'number') this.#latencies.push(e.ms);
    const outcome =
      family === 'client'
        ? e.k === 'ok'
          ? 'ok'
          : 'failed'
        : typeof e.outcome === 'string'
          ? e.outcome
          : '?';
    const servedBy =
      typeof e.servedBy === 'string' ? e.servedBy : family === 'client' && outcome === 'ok' ? 'upstream' : '';
    const by = typeof e.by === 'string' ? e.by : typeof e.error === 'string' ? e.error : '';
    if (outcome === 'ok') {
      if (servedBy === 'fallback') increment(s.fallback, b);
      else increment(s.ok, b);
      if (servedBy !== '') {
        let tier = s.tiers[servedBy];
        if (tier === undefined) {
          tier = new Array<number>(s.buckets).fill(0);
          s.tiers[servedBy] = tier;
        }
        increment(tier, b);
      }
      return { outcome, why: `ok (${servedBy || 'answered'})` };
    }
    if (outcome === 'refused') {
      if (by === 'token-bucket' || by === 'redis-limiter') increment(s.limited, b);
      else if (by === 'flow-rule' || by === 'degrade-rule') increment(s.blocked, b);
      else increment(s.refused, b);
      return { outcome, why: `refused (${by || 'unknown'})` };
    }
    increment(s.failed, b);
    return { outcome, why: `${outcome} (${by.split(':')[0] || 'error'})` };
  }

  /** Closes every bucket before the one holding `t` (ms). */
  advanceTo(t: number): void {
    this.#lastT = Math.max(this.#lastT, t);
    const target = Math.min(this.#series.buckets - 1, Math.floor(t / this.#series.bucketMs));
    while (this.#bucket < target) this.#closeBucket();
  }

  #closeBucket(): void {
    const s = this.#series;
    const b = this.#bucket;
    const sorted = this.#latencies.sort((x, y) => x - y);
    s.p50[b] = quantile(sorted, 0.5);
    s.p99[b] = quantile(sorted, 0.99);
    s.inflight[b] = this.#inflight;
    this.#latencies = [];
    this.#bucket++;
  }

  /** The digest; `run` comes from the header, footer and summary. */
  finish(run: RunInfo): RunDigest {
    const endMs = Math.max(run.simulatedMs, this.#lastT);
    this.#closeBucket();
    const counts: Record<string, Record<string, number>> = {};
    for (const c of [...this.#counts.keys()].sort()) {
      const kinds = this.#counts.get(c) ?? new Map<string, number>();
      counts[c] = Object.fromEntries([...kinds.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    const tiers: Record<string, number[]> = {};
    for (const k of Object.keys(this.#series.tiers).sort()) tiers[k] = this.#series.tiers[k] ?? [];
    return {
      run,
      topology: this.#topology,
      endMs,
      series: { ...this.#series, tiers },
      faults: this.#faults,
      bands: this.#bands.map((b) => ({ ...b })),
      breaker: this.#breaker,
      cooldowns: this.#cooldowns.map((c) => ({ ...c })),
      counts,
      notable: this.#notable,
      trails: this.#trails,
    };
  }
}

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TraceEvent } from '../../sim/checkers/expectations/metrics.ts';
import { INVARIANTS } from '../../sim/checkers/invariants.ts';

/**
 * The figures `hasim live --compare` puts side by side, each from one run's trace and report.
 * `null`: the run has nothing to measure it by (no Redis fault, no cache layer, ...).
 */
export interface CompareFigures {
  /**
   * Failover unavailability: from the first Redis error a gateway layer saw (limiter `error`, cache
   * `l2-error`) at or after the first Redis fault of the timeline to the last one, scenario ms.
   * 0 when the faults caused no error; null without a Redis fault.
   */
  readonly failoverUnavailableMs: number | null;
  /**
   * From the first Redis fault to the first `redis-cluster promoted` after it, scenario ms: how long
   * the cluster took to elect a replica (live: seen in CLUSTER NODES, up to 250 ms late). Null
   * without a Redis fault or a promotion.
   */
  readonly promotionMs: number | null;
  /** Redis errors the layers saw in that window; null without a Redis fault. */
  readonly redisErrors: number | null;
  /** Gateway responses that failed (not refused) in that window; null without a Redis fault. */
  readonly failedResponses: number | null;
  /** Acknowledged chat-history writes missing from the primary's final read (the `no-acked-write-lost` checker). */
  readonly ackedWritesLost: number | null;
  readonly ackedWrites: number | null;
  /** History reads that missed a write acknowledged before they started (`read-your-writes`). */
  readonly staleReads: number | null;
  /** Most admitted for one key in one window, minus the limit (`limiter-within-global-rate`); never below 0. */
  readonly limiterOverAdmission: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** L1 hits / (hits + misses). */
  readonly l1HitRate: number | null;
  /** L2 hits / (hits + misses). */
  readonly l2HitRate: number | null;
}

/** A run's report, as far as the comparison reads it. */
interface ReportView {
  readonly latencyMs?: { readonly p50: number | null; readonly p99: number | null };
  readonly layers?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const REDIS_FAULT_VERBS = new Set(['crash', 'freeze', 'failover', 'partition', 'slow']);

/**
 * Reads a run's `trace.jsonl` once (line by line: memory stays bounded) and measures the figures.
 * `report` is the run's summary report (latency, per-layer counts).
 */
export async function figuresOfTrace(tracePath: string, report: ReportView): Promise<CompareFigures> {
  const lost = INVARIANTS['no-acked-write-lost']?.();
  const stale = INVARIANTS['read-your-writes']?.();
  const limiter = INVARIANTS['limiter-within-global-rate']?.();
  let firstRedisFault: number | undefined;
  let promotedAt: number | undefined;
  let firstError: number | undefined;
  let lastError: number | undefined;
  let redisErrors = 0;
  let failedResponses = 0;
  let failedTimes: number[] = [];
  let hasHistory = false;
  let hasLimiter = false;
  const lines = createInterface({
    input: createReadStream(tracePath, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false; // the header line describes the run; events follow
      continue;
    }
    const e = JSON.parse(line) as TraceEvent & Record<string, unknown>;
    if (e.t === undefined || e.c === undefined) continue; // the footer
    lost?.observe(e);
    stale?.observe(e);
    limiter?.observe(e);
    const family = e.c.split('/')[0];
    if (e.c === 'run' && e.k === 'topology') {
      const layers = (e.topology as { layers?: string[] } | undefined)?.layers ?? [];
      hasHistory = layers.includes('chat-history');
      hasLimiter = layers.includes('redis-limiter');
    } else if (family === 'fault' && e.k === 'inject') {
      const target = String(e.target ?? '');
      if (target.startsWith('redis/') && REDIS_FAULT_VERBS.has(String(e.verb))) firstRedisFault ??= e.t;
    } else if (firstRedisFault !== undefined) {
      if (family === 'redis-cluster' && e.k === 'promoted') promotedAt ??= e.t;
      const redisError =
        (family === 'redis-limiter' && e.k === 'error') || (family === 'cache' && e.k === 'l2-error');
      if (redisError) {
        redisErrors++;
        firstError ??= e.t;
        lastError = e.t;
      } else if (family === 'gateway' && e.k === 'response' && e.outcome === 'failed') {
        failedTimes.push(e.t);
      }
    }
  }
  if (firstError !== undefined && lastError !== undefined) {
    const from = firstError;
    const to = lastError;
    failedTimes = failedTimes.filter((t) => t >= from && t <= to);
    failedResponses = failedTimes.length;
  }
  const cache = report.layers?.cache ?? {};
  const rate = (hit: string, miss: string) => {
    const h = cache[hit] ?? 0;
    const m = cache[miss] ?? 0;
    return h + m === 0 ? null : h / (h + m);
  };
  const lostMeasured = lost?.finish().measured ?? '';
  const lostMatch = /^(\d+) lost of (\d+) acked/.exec(lostMeasured);
  const staleMatch = /^(\d+) stale of/.exec(stale?.finish().measured ?? '');
  const limiterMatch = /^max (\d+) admitted in \d+ ms, limit (\d+)/.exec(limiter?.finish().measured ?? '');
  return {
    failoverUnavailableMs:
      firstRedisFault === undefined
        ? null
        : firstError === undefined
          ? 0
          : (lastError ?? firstError) - firstError,
    promotionMs:
      firstRedisFault === undefined || promotedAt === undefined ? null : promotedAt - firstRedisFault,
    redisErrors: firstRedisFault === undefined ? null : redisErrors,
    failedResponses: firstRedisFault === undefined ? null : failedResponses,
    ackedWritesLost: hasHistory && lostMatch ? Number(lostMatch[1]) : null,
    ackedWrites: hasHistory && lostMatch ? Number(lostMatch[2]) : null,
    staleReads: hasHistory && staleMatch ? Number(staleMatch[1]) : null,
    limiterOverAdmission:
      hasLimiter && limiterMatch ? Math.max(0, Number(limiterMatch[1]) - Number(limiterMatch[2])) : null,
    p50Ms: report.latencyMs?.p50 ?? null,
    p99Ms: report.latencyMs?.p99 ?? null,
    l1HitRate: rate('l1-hit', 'l1-miss'),
    l2HitRate: rate('l2-hit', 'l2-miss'),
  };
}

/** One row of the comparison: the metric, the simulated and the live figure, live minus simulated. */
export interface CompareRow {
  readonly metric: keyof CompareFigures;
  readonly simulated: number | null;
  readonly live: number | null;
  readonly difference: number | null;
}

/** The rows, in `CompareFigures` order, for the figures either run measured. */
export function compareRows(simulated: CompareFigures, live: CompareFigures): CompareRow[] {
  return (Object.keys(simulated) as (keyof CompareFigures)[])
    .map((metric) => {
      const s = simulated[metric];
      const l = live[metric];
      return { metric, simulated: s, live: l, difference: s === null || l === null ? null : l - s };
    })
    .filter((r) => r.simulated !== null || r.live !== null);
}

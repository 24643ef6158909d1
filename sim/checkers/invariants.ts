import type { InvariantChecker, InvariantRegistry } from './expectations/evaluate.ts';
import type { TraceEvent } from './expectations/metrics.ts';

/**
 * The invariants a scenario can name under `always:`, each judged over the finished trace (so the
 * same checkers judge a live run). Each reads only declared events (src/ports/trace-events.ts).
 */
export const INVARIANTS: InvariantRegistry = {
  'read-your-writes': readYourWrites,
  'no-acked-write-lost': noAckedWriteLost,
  'no-duplicate-upstream-call': noDuplicateUpstreamCall,
  'limiter-within-global-rate': limiterWithinGlobalRate,
};

const family = (c: string): string => {
  const slash = c.indexOf('/');
  return slash < 0 ? c : c.slice(0, slash);
};

/**
 * A history read that started after a write of the same user was acknowledged must see it
 * (read-your-writes, Terry et al. 1994). Every read of a lagging replica that misses a write acked
 * before the read began counts as a stale read.
 */
function readYourWrites(): InvariantChecker {
  const acks = new Map<string, { t: number[]; seq: number[] }>();
  let reads = 0;
  let stale = 0;
  let firstStale: string | undefined;
  return {
    observe(e: TraceEvent) {
      if (family(e.c) !== 'chat-history') return;
      const user = String(e.user);
      if (e.k === 'write-acked') {
        let a = acks.get(user);
        if (a === undefined) {
          a = { t: [], seq: [] };
          acks.set(user, a);
        }
        const last = a.seq[a.seq.length - 1] ?? 0;
        a.t.push(e.t);
        a.seq.push(Math.max(last, Number(e.seq)));
      } else if (e.k === 'read') {
        reads++;
        const a = acks.get(user);
        if (a === undefined) return;
        const before = lastIndexAtOrBefore(a.t, Number(e.startMs) - 1);
        const expected = before < 0 ? 0 : (a.seq[before] ?? 0);
        if (Number(e.seq) < expected) {
          stale++;
          firstStale ??= `request ${String(e.id)} at ${e.t} ms saw seq ${String(e.seq)} < ${expected}`;
        }
      }
    },
    finish() {
      const measured = `${stale} stale of ${reads} reads${firstStale === undefined ? '' : ` (first: ${firstStale})`}`;
      return { ok: stale === 0, measured };
    },
  };
}

function lastIndexAtOrBefore(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] ?? 0) <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Every chat-history write the gateway acknowledged is in the final dataset read from the primary
 * at the end of the run (`chat-history final`). Writes whose answer was lost (indeterminate) may
 * be either present or missing: they are counted, not judged. An id acknowledged twice in one
 * table means the first row was gone when the second insert got its id (a promoted replica's
 * AUTO_INCREMENT reuses the ids of the rows it never received), so every earlier ack of a reused
 * id is lost even though the id is in the final read.
 */
function noAckedWriteLost(): InvariantChecker {
  const acked = new Map<string, number[]>();
  const finals = new Map<string, readonly (readonly [number, number])[]>();
  let indeterminate = 0;
  return {
    observe(e: TraceEvent) {
      if (family(e.c) !== 'chat-history') return;
      if (e.k === 'write-acked') {
        const table = String(e.table);
        let list = acked.get(table);
        if (list === undefined) {
          list = [];
          acked.set(table, list);
        }
        list.push(Number(e.seq));
      } else if (e.k === 'write-indeterminate') {
        indeterminate++;
      } else if (e.k === 'final') {
        finals.set(String(e.table), e.ids as readonly (readonly [number, number])[]);
      }
    },
    finish() {
      let total = 0;
      let lost = 0;
      let unchecked = 0;
      for (const [table, seqs] of acked) {
        total += seqs.length;
        const ranges = finals.get(table);
        if (ranges === undefined) {
          unchecked += seqs.length;
          continue;
        }
        const seen = new Set<number>();
        for (const seq of seqs) {
          if (seen.has(seq)) lost++;
          else if (!inRanges(ranges, seq)) lost++;
          seen.add(seq);
        }
      }
      const parts = [`${lost} lost of ${total} acked`];
      if (indeterminate > 0) parts.push(`${indeterminate} indeterminate`);
      if (unchecked > 0) parts.push(`${unchecked} unchecked (no final read)`);
      return { ok: lost === 0 && unchecked === 0, measured: parts.join(', ') };
    },
  };
}

function inRanges(ranges: readonly (readonly [number, number])[], x: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (r === undefined) return false;
    if (x < r[0]) hi = mid - 1;
    else if (x > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Request merging promises one upstream call per key at a time within an instance: a `coalesce
 * call` for a key whose previous call (same component) has not settled is a duplicate.
 */
function noDuplicateUpstreamCall(): InvariantChecker {
  const open = new Map<string, number>();
  let calls = 0;
  let duplicates = 0;
  return {
    observe(e: TraceEvent) {
      if (family(e.c) !== 'coalesce') return;
      const id = `${e.c}\u0000${String(e.key)}`;
      if (e.k === 'call') {
        calls++;
        const n = open.get(id) ?? 0;
        if (n > 0) duplicates++;
        open.set(id, n + 1);
      } else if (e.k === 'settle') {
        const n = (open.get(id) ?? 1) - 1;
        if (n <= 0) open.delete(id);
        else open.set(id, n);
      }
    },
    finish() {
      return { ok: duplicates === 0, measured: `${duplicates} duplicate of ${calls} upstream calls` };
    },
  };
}

/**
 * The Redis limiter admits at most `limit` requests per key in any window of `windowMs` (sliding),
 * the global rate the article's configuration promises. The limit and window come from the run's
 * topology event (`topology.redisLimiter: {limit, windowMs}`). The article's fixed window admits up
 * to twice the limit across a window edge.
 */
function limiterWithinGlobalRate(): InvariantChecker {
  let limit: number | undefined;
  let windowMs: number | undefined;
  const admitted = new Map<string, number[]>();
  return {
    observe(e: TraceEvent) {
      if (e.c === 'run' && e.k === 'topology') {
        const t = e.topology as { redisLimiter?: { limit?: number; windowMs?: number } } | undefined;
        limit = t?.redisLimiter?.limit;
        windowMs = t?.redisLimiter?.windowMs;
      } else if (family(e.c) === 'redis-limiter' && e.k === 'admitted') {
        const key = String(e.key);
        let list = admitted.get(key);
        if (list === undefined) {
          list = [];
          admitted.set(key, list);
        }
        list.push(e.t);
      }
    },
    finish() {
      if (limit === undefined || windowMs === undefined) {
        return { ok: false, measured: 'no redisLimiter limit in the topology event' };
      }
      let worst = 0;
      let worstKey = '';
      let worstAt = 0;
      for (const [key, times] of admitted) {
        let lo = 0;
        for (let hi = 0; hi < times.length; hi++) {
          while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
          if (hi - lo + 1 > worst) {
            worst = hi - lo + 1;
            worstKey = key;
            worstAt = times[lo] ?? 0;
          }
        }
      }
      const where = worst === 0 ? '' : ` (key ${worstKey}, window from ${worstAt} ms)`;
      return {
        ok: worst <= limit,
        measured: `max ${worst} admitted in ${windowMs} ms, limit ${limit}${where}`,
      };
    },
  };
}

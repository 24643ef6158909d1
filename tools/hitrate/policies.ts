import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { LocalCache } from '../../src/cache/local-cache.ts';
import type { Clock } from '../../src/ports/clock.ts';

/** A policy the simulator can replay a trace through: returns the number of hits. */
export interface ReplayPolicy {
  /** Column name in the table. */
  readonly name: string;
  replay(keys: Int32Array, maximumSize: number): number;
}

/** Time never moves in a hit-rate replay: only size eviction is in play. */
const frozenClock: Clock = {
  now: () => 0,
  sleep: () => Promise.reject(new Error('hit-rate replay: no sleeping')),
  schedule: () => {
    throw new Error('hit-rate replay: no timers');
  },
};

/**
 * Replays through hasim's LocalCache the way Caffeine's simulator drives `product.Caffeine`:
 * `getIfPresent`, and on a miss `put`.
 */
export function localCachePolicy(policy: 'wtinylfu' | 'lru', seed = 'hit-rate'): ReplayPolicy {
  return {
    name: policy === 'wtinylfu' ? 'hasim W-TinyLFU' : 'hasim LRU',
    replay(keys, maximumSize) {
      const cache = new LocalCache<number, true>(
        { maximumSize, policy },
        { clock: frozenClock, random: new SeededRandom(seed) },
      );
      let hits = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (cache.getIfPresent(key) !== undefined) hits++;
        else cache.put(key, true);
      }
      return hits;
    },
  };
}

/**
 * Bélády's optimal bound (Caffeine simulator `opt.Clairvoyant`): knowing the future, on a miss
 * keep the `maximumSize` entries whose next use is nearest, the new one included (so a key never
 * used again, or used later than all cached ones, bypasses the cache).
 */
export const beladyPolicy: ReplayPolicy = {
  name: 'optimal (Bélády)',
  replay(keys, maximumSize) {
    const n = keys.length;
    // nextUse[i]: index of the next request for keys[i], or a unique index beyond the trace.
    const nextUse = new Float64Array(n);
    const seen = new Map<number, number>();
    for (let i = n - 1; i >= 0; i--) {
      const k = keys[i]!;
      nextUse[i] = seen.get(k) ?? n + i;
      seen.set(k, i);
    }
    // cached: key -> its next use; a max-heap of [nextUse, key] with lazy deletion of stale pairs.
    const cached = new Map<number, number>();
    const heap = new MaxHeap();
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const next = nextUse[i]!;
      const hit = cached.has(k);
      if (hit) hits++;
      cached.set(k, next);
      heap.push(next, k);
      if (!hit && cached.size > maximumSize) {
        for (;;) {
          const top = heap.pop();
          if (top === undefined) break;
          if (cached.get(top.key) === top.priority) {
            cached.delete(top.key);
            break;
          }
        }
      }
      if (heap.size > 4 * (maximumSize + 16)) heap.compact(cached);
    }
    return hits;
  },
};

class MaxHeap {
  #priorities: number[] = [];
  #keys: number[] = [];

  get size(): number {
    return this.#priorities.length;
  }

  push(priority: number, key: number): void {
    const p = this.#priorities;
    const k = this.#keys;
    let i = p.length;
    p.push(priority);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (p[parent]! >= priority) break;
      p[i] = p[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    p[i] = priority;
    k[i] = key;
  }

  pop(): { priority: number; key: number } | undefined {
    const p = this.#priorities;
    const k = this.#keys;
    if (p.length === 0) return undefined;
    const top = { priority: p[0]!, key: k[0]! };
    const lastP = p.pop()!;
    const lastK = k.pop()!;
    const n = p.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && p[child + 1]! > p[child]!) child++;
        if (p[child]! <= lastP) break;
        p[i] = p[child]!;
        k[i] = k[child]!;
        i = child;
      }
      p[i] = lastP;
      k[i] = lastK;
    }
    return top;
  }

  /** Drops stale pairs (keys no longer cached, or not at their current next use). */
  compact(current: Map<number, number>): void {
    const pairs: [number, number][] = [];
    for (let i = 0; i < this.#priorities.length; i++) {
      const key = this.#keys[i]!;
      if (current.get(key) === this.#priorities[i]) pairs.push([this.#priorities[i]!, key]);
    }
    this.#priorities = [];
    this.#keys = [];
    for (const [priority, key] of pairs) this.push(priority, key);
  }
}

/**
 * The columns of the simulator's table, in order: hasim's two policies and the optimal bound. (The
 * `lru-cache` peer is compared in the bench, bench/suites/hit-rate.ts: the tool depends on no
 * package a production install omits.)
 */
export function defaultPolicies(seed = 'hit-rate'): ReplayPolicy[] {
  return [localCachePolicy('wtinylfu', seed), localCachePolicy('lru', seed), beladyPolicy];
}

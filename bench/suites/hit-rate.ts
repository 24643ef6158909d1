import { LRUCache } from 'lru-cache';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import {
  type KeyTrace,
  localCachePolicy,
  type ReplayPolicy,
  readRealTrace,
  SYNTHETIC_TRACES,
} from '../../tools/hitrate/index.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// The hit-rate tool's LRU column next to `lru-cache`, the LRU a Node user would pick: the same
// trace replayed through both (`get`, and on a miss `set`) gives the same hits, and the case
// shows how fast each replays it. This peer lives here, not in tools/hitrate/, because lru-cache
// is a devDependency and `hasim hitrate` must run from a production install.

/** `lru-cache` driven the way the hit-rate tool drives its policies. */
const lruCachePolicy: ReplayPolicy = {
  name: 'lru-cache',
  replay(keys, maximumSize) {
    const cache = new LRUCache<number, true>({ max: maximumSize });
    let hits = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (cache.get(key) !== undefined) hits++;
      else cache.set(key, true);
    }
    return hits;
  },
};

const MAXIMUM_SIZE = 1_000;

function timed(policy: ReplayPolicy, trace: KeyTrace) {
  return async (): Promise<Measurement> => {
    const t0 = performance.now();
    policy.replay(trace.keys, MAXIMUM_SIZE);
    return { ops: trace.keys.length, ms: performance.now() - t0 };
  };
}

function benchCase(trace: KeyTrace): BenchCase {
  const ours = localCachePolicy('lru');
  // Hit counts are a property of the policy, not of the run: computed once, shown in the name.
  const hits = `${ours.replay(trace.keys, MAXIMUM_SIZE)} vs ${lruCachePolicy.replay(trace.keys, MAXIMUM_SIZE)}`;
  return {
    name: `hit-rate replay, ${trace.name} (${trace.keys.length.toLocaleString('en')} requests) at maximumSize ${MAXIMUM_SIZE}: LRU hits ${hits}`,
    unit: 'requests/s',
    ours: { label: 'hasim LocalCache (LRU)', run: timed(ours, trace) },
    peer: { label: 'lru-cache 11', run: timed(lruCachePolicy, trace) },
  };
}

export const cases: BenchCase[] = [
  benchCase(readRealTrace('web07')),
  benchCase(SYNTHETIC_TRACES.zipf(new SeededRandom('hit-rate'))),
];

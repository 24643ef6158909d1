import { LRUCache } from 'lru-cache';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { LocalCache } from '../../src/cache/local-cache.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { zipfTrace } from '../../tools/hitrate/traces.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// The same Zipf key stream on both caches: for each request `get`, and on a miss `put`/`set` (the
// read path of an L1 in front of a slower store). Counted: requests per second of wall time.
const REQUESTS = 500_000;
const DISTINCT = 100_000;
const MAXIMUM_SIZE = 10_000; // the article's L1: Caffeine maximumSize(10000)
const intKeys = zipfTrace(new SeededRandom('bench/local-cache'), {
  requests: REQUESTS,
  distinct: DISTINCT,
  exponent: 0.99,
}).keys;
// The gateway's L1 keys are strings (`llm:` + a prompt hash), a new string per request. Each replay
// (either cache) gets freshly built strings, before its clock starts: V8 caches a string's hash in
// the string the first time a Map hashes it, so replaying one shared array would let every round
// after the first use hashes an earlier round computed (a Map's; LocalCache computes its own).
const stringKeys = (): string[] =>
  Array.from(intKeys, (k) => `llm:${(k >>> 0).toString(16).padStart(8, '0')}`);

const clock: Clock = {
  now: () => 0,
  sleep: () => Promise.reject(new Error('bench: no sleeping')),
  schedule: () => {
    throw new Error('bench: no timers');
  },
};

interface Replay {
  readonly hits: number;
  readonly ms: number;
}

function replayLocalCache<K extends string | number>(keys: ArrayLike<K>): Replay {
  const cache = new LocalCache<K, number>(
    { maximumSize: MAXIMUM_SIZE },
    { clock, random: new SeededRandom('bench/local-cache/admission') },
  );
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.getIfPresent(k) !== undefined) hits++;
    else cache.put(k, i);
  }
  return { hits, ms: performance.now() - t0 };
}

function replayLruCache<K extends string | number>(keys: ArrayLike<K>): Replay {
  const cache = new LRUCache<K, number>({ max: MAXIMUM_SIZE });
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) !== undefined) hits++;
    else cache.set(k, i);
  }
  return { hits, ms: performance.now() - t0 };
}

const run = (replay: () => Replay) => async (): Promise<Measurement> => ({ ops: REQUESTS, ms: replay().ms });
const pct = (hits: number) => `${((100 * hits) / REQUESTS).toFixed(1)}%`;

function benchCase(label: string, keys: () => ArrayLike<string> | ArrayLike<number>): BenchCase {
  const ours = () => replayLocalCache<string | number>(keys());
  const peer = () => replayLruCache<string | number>(keys());
  // Hit rates are a property of the policy, not of the run: computed once, shown in the case name.
  const name =
    `L1 get (+ put on miss), ${label}: Zipf 0.99 over ${DISTINCT.toLocaleString('en')} keys, ` +
    `maximumSize ${MAXIMUM_SIZE.toLocaleString('en')}; hit rate W-TinyLFU ${pct(ours().hits)} vs lru-cache ${pct(peer().hits)}`;
  return {
    name,
    unit: 'requests/s',
    ours: { label: 'hasim LocalCache (W-TinyLFU)', run: run(ours) },
    peer: { label: 'lru-cache 11 (LRU)', run: run(peer) },
    // Issue 11: LocalCache at least as fast as lru-cache on this workload.
    targets: { minRatio: 1 },
  };
}

export const cases: BenchCase[] = [
  benchCase('string keys (llm:<hash>)', stringKeys),
  benchCase('int32 keys', () => intKeys),
];

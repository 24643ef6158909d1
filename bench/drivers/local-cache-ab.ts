/**
 * The int32-key case of bench/suites/local-cache.ts alone, for profiling and for A/B comparisons:
 * lru-cache and the LocalCache of one or more source trees (a checkout's root, e.g. this one and a
 * `git archive <commit> src | tar -x -C /tmp/old` copy), replayed in turn in one process, rates by
 * process CPU time (WALL=1: by wall time). Each tree gets its own compiled replay loop, as each bench
 * case has its own. STRINGS=1 first replays string keys through each loop, as the bench's string
 * case does before the int32 one. Prints each round's rate and the per-round ratios.
 *
 *   node --import tsx bench/drivers/local-cache-ab.ts 21 /tmp/old .
 *   node --cpu-prof --import tsx bench/drivers/local-cache-ab.ts 30 .
 */
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { zipfTrace } from '../../tools/hitrate/traces.ts';

type Loop = (cacheClass: unknown, keys: ArrayLike<unknown>, clock: unknown, random: unknown) => number;
interface Replay {
  hits: number;
  ms: number;
  cpuMs: number;
}

const rounds = Number(process.argv[2] ?? 9);
const trees = process.argv.slice(3).map((t) => path.resolve(t));
const REQUESTS = 500_000;
const keys = zipfTrace(new SeededRandom('bench/local-cache'), {
  requests: REQUESTS,
  distinct: 100_000,
  exponent: 0.99,
}).keys;
const stringKeys = () => Array.from(keys, (k) => `llm:${(k >>> 0).toString(16).padStart(8, '0')}`);
const clock = {
  now: () => 0,
  sleep: () => Promise.reject(new Error('no sleeping')),
  schedule: () => {
    throw new Error('no timers');
  },
};
const classes: unknown[] = [];
for (const tree of trees)
  classes.push((await import(path.join(tree, 'src/cache/local-cache.ts'))).LocalCache);
// One loop per tree, compiled from source of its own (its own type feedback).
const body = `const cache = new LC({ maximumSize: 10000 }, { clock, random: new SR('bench/local-cache/admission') });
let hits = 0;
for (let i = 0; i < ks.length; i++) { const k = ks[i]; if (cache.getIfPresent(k) !== undefined) hits++; else cache.put(k, i); }
return hits;`;
const loops = classes.map(() => new Function('LC', 'ks', 'clock', 'SR', body) as Loop);

function timed(replay: () => number): Replay {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const hits = replay();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { hits, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
function peer(ks: ArrayLike<number | string>): Replay {
  return timed(() => {
    const cache = new LRUCache<number | string, number>({ max: 10_000 });
    let hits = 0;
    for (let i = 0; i < ks.length; i++) {
      const k = ks[i]!;
      if (cache.get(k) !== undefined) hits++;
      else cache.set(k, i);
    }
    return hits;
  });
}
const ours = (j: number, ks: ArrayLike<number | string>) =>
  timed(() => loops[j]!(classes[j], ks, clock, SeededRandom));
const run = (j: number, ks: ArrayLike<number | string>) => (j === 0 ? peer(ks) : ours(j - 1, ks));
const rate = (r: Replay) => REQUESTS / (process.env.WALL ? r.ms : r.cpuMs) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

const names = ['lru-cache', ...trees];
if (process.env.STRINGS)
  for (let i = 0; i < 2; i++) for (let j = 0; j < names.length; j++) run(j, stringKeys());
const rates: number[][] = names.map(() => []);
const hits: number[] = names.map(() => 0);
for (let round = 0; round <= rounds; round++) {
  // Round 0 is a warm-up; odd rounds run in reverse order.
  const order = names.map((_, j) => j);
  if (round % 2) order.reverse();
  for (const j of order) {
    const r = run(j, keys);
    hits[j] = r.hits;
    if (round > 0) rates[j]!.push(rate(r));
  }
}
for (let j = 0; j < names.length; j++) {
  const r = rates[j]!;
  console.log(
    `${names[j]}: hits ${hits[j]}, median ${median(r).toFixed(2)} M/s | ${r.map((x) => x.toFixed(1)).join(' ')}`,
  );
}
for (let j = 1; j < names.length; j++) {
  const ratios = rates[j]!.map((x, i) => x / rates[j - 1]![i]!);
  console.log(
    `${names[j]} / ${names[j - 1]} per round: median ${median(ratios).toFixed(3)} | ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
  );
}

/**
 * How fast this machine reaches memory today, printed at the top of every bench run. The long
 * simulated runs are bound by memory latency more than by arithmetic (the gateway's SQLite
 * B-trees, Redis keyspace and heap do not fit in the cache), and a shared VM's latency moves from
 * day to day: the same build of gateway-300k took 20 s on one day and 60 s on another
 * (docs/benchmarks.md, sessions 10 and 11). With this figure beside a result, a slow day can be
 * told from a slower build.
 *
 * The probe: a chain of dependent loads over a random cyclic permutation of an Int32Array
 * (Sattolo's algorithm, a fixed LCG: the same chain every run), so each load waits for the
 * previous one and the hardware cannot prefetch. Nanoseconds per load, over each size.
 */
const SIZES_MIB = [1, 64] as const;
const LOADS = 4_000_000;

function nsPerLoad(mib: number): number {
  const n = mib * 262_144;
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[i] = i;
  let s = 1;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  let p = 0;
  const t0 = performance.now();
  for (let k = 0; k < LOADS; k++) p = next[p]!;
  const ms = performance.now() - t0;
  // p is used, so the loop is not optimised away.
  return p < 0 ? Number.NaN : (ms * 1e6) / LOADS;
}

/** `memory latency 15.6 ns over 1 MiB, 178 ns over 64 MiB (dependent loads)`. */
export function memoryLatencyLine(): string {
  const parts = SIZES_MIB.map((mib) => `${nsPerLoad(mib).toFixed(1)} ns over ${mib} MiB`);
  return `memory latency ${parts.join(', ')} (dependent loads; long simulated runs slow down with it)`;
}

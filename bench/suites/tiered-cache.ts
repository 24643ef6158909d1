// The tiered read path's cost per request inside a simulation (wall clock, no virtual latency):
// an L1 hit, an L2 hit (L1 miss, back-fill of L1), and a full miss (L1, L2 and L3 miss, the loader
// answers at once, then L3, L2 and L1 are written). Redis is the simulated redis-server
// (SimRedis, no latency) and L3 the simulated MariaDB primary (sim/mysql on better-sqlite3), so the figures are the
// cache's own work plus those stand-ins'. µs per request = 1e6 / (requests/s).
//
// Only the request loop is timed, from inside the run, so this Simulation runs with its tripwires
// off (performance.now() would trip them); nothing in the loop reads real time.

import { Simulation } from '../../sim/kernel/simulation.ts';
import { SimMysqlCluster } from '../../sim/mysql/index.ts';
import { SimRedis } from '../../sim/redis/node.ts';
import { LocalCache } from '../../src/cache/local-cache.ts';
import { MysqlL3 } from '../../src/cache/mysql-l3.ts';
import { RedisL2 } from '../../src/cache/redis-l2.ts';
import { TieredCache } from '../../src/cache/tiered-cache.ts';
import type { CacheEntry } from '../../src/cache/tiered-cache-types.ts';
import type { BenchCase, Measurement } from '../harness.ts';

const N = 20_000;

type Scenario = 'L1 hit' | 'L2 hit' | 'full miss';

async function readPath(scenario: Scenario): Promise<Measurement> {
  const sim = new Simulation({ seed: `bench/${scenario}`, tripwires: false });
  const random = sim.random.fork('cache');
  const l1 = new LocalCache<string, CacheEntry<string>>(
    { maximumSize: 10_000, expireAfterWriteMs: 60_000, recordStats: true },
    { clock: sim.clock, random: random.fork('l1') },
  );
  const l2 = new RedisL2<CacheEntry<string>>({}, { redis: new SimRedis({}, { clock: sim.clock }) });
  const l3 = new MysqlL3<string>(
    {},
    { sql: new SimMysqlCluster({ replicas: 0 }, sim).primary, clock: sim.clock },
  );
  const cache = new TieredCache<string>(
    { strategy: 'read-through', l1, l2, l3 },
    { clock: sim.clock, random },
  );
  const loader = async (prompt: string) => `answer to ${prompt}`;
  const prompts = Array.from({ length: N }, (_, i) => `prompt number ${i}`);
  const task = sim.spawn(async () => {
    await l3.createTable();
    if (scenario === 'L1 hit') await cache.fill('hot prompt', 'hot answer');
    if (scenario === 'L2 hit') {
      for (const p of prompts) {
        await l2.set(cache.hash(p), { value: `a ${p}`, writtenAtMs: 0, expiresAtMs: 3_600_000, deltaMs: 0 });
      }
    }
    const t0 = performance.now();
    for (let i = 0; i < N; i++)
      await cache.get(scenario === 'L1 hit' ? 'hot prompt' : (prompts[i] as string), loader);
    return performance.now() - t0;
  });
  await sim.run();
  const ms = await task;
  const s = cache.stats();
  const counted = scenario === 'L1 hit' ? s.l1Hits : scenario === 'L2 hit' ? s.l2Hits : s.loaderCalls;
  if (counted !== N) throw new Error(`bench ${scenario}: expected ${N} of them, counted ${counted}`);
  return { ops: N, ms };
}

export const cases: BenchCase[] = (['L1 hit', 'L2 hit', 'full miss'] as const).map((scenario) => ({
  name: `tiered cache: get() per request, ${scenario}, in a simulation (${N.toLocaleString('en')} requests; µs/request = 1e6 / rate)`,
  unit: 'requests/s',
  ours: { label: `TieredCache (${scenario})`, run: () => readPath(scenario) },
}));

import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { SeedPool } from '../../sim/swarm/pool.ts';
import { replayCommand } from '../../sim/swarm/run-seed.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Seeds per second of `hasim swarm`'s local worker threads on a short catalog scenario (the hung
// primary of sequential-fallback-timeouts: 90 s simulated, both variants per seed, ~2,000 events),
// with 2 threads beside 1: the ratio is the scaling from one core to two. Each pool is started and
// warmed once (one seed per thread, so thread start-up and the TypeScript loader are not counted),
// then every round runs the same seeds. The machine's other tenants share its two cores.
const SCENARIO = resolve(import.meta.dirname, '../../scenarios/incidents/sequential-fallback-timeouts.yaml');
const SEEDS = 12;
const pools = new Map<number, Promise<SeedPool>>();
/** Seeds/s of each round, by thread count, for the notes (the table rounds below 1,000 to integers). */
const rates = new Map<number, number[]>();

function pool(workers: number): Promise<SeedPool> {
  let p = pools.get(workers);
  if (p === undefined) {
    p = (async () => {
      const created = new SeedPool(workers, (i) => replayCommand(i.scenarioPath, i.seed));
      created.unrefIdle();
      await Promise.all(
        Array.from({ length: workers }, (_, i) => created.run({ scenarioPath: SCENARIO, seed: 1000 + i })),
      );
      return created;
    })();
    pools.set(workers, p);
  }
  return p;
}

async function sweep(workers: number): Promise<Measurement> {
  const threads = await pool(workers);
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: SEEDS }, (_, i) => threads.run({ scenarioPath: SCENARIO, seed: i + 1 })),
  );
  const ms = performance.now() - start;
  const errors = results.filter((r) => r.verdict === 'error');
  if (errors.length > 0) throw new Error(`swarm bench: seed ${errors[0]?.seed} failed: ${errors[0]?.error}`);
  rates.set(workers, [...(rates.get(workers) ?? []), (SEEDS * 1000) / ms]);
  return { ops: SEEDS, ms };
}

const shown = (workers: number) =>
  `${workers} thread${workers === 1 ? '' : 's'}: ${(rates.get(workers) ?? []).map((r) => r.toFixed(2)).join(', ')} seeds/s (the first round is the harness's warm-up)`;

export const cases: BenchCase[] = [
  {
    name: `swarm: seeds/s of sequential-fallback-timeouts (${SEEDS} seeds a round, both variants each), worker threads`,
    unit: 'seeds/s',
    ours: { label: '2 worker threads', run: () => sweep(2) },
    peer: { label: '1 worker thread', run: () => sweep(1) },
    rounds: 3,
    notes: () => [
      shown(2),
      shown(1),
      `ratio = scaling from 1 to 2 threads (2.00 would be perfect; load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`,
    ],
  },
];

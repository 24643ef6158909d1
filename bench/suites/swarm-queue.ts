import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { SeedPool } from '../../sim/swarm/pool.ts';
import { replayCommand } from '../../sim/swarm/run-seed.ts';
import type { SeedResult } from '../../sim/swarm/seed-result.ts';
import { BullmqSweepQueue } from '../../src/adapters/bullmq-sweep-queue.ts';
import { BullmqSweepWorker } from '../../src/adapters/bullmq-sweep-worker.ts';
import { probeTcp } from '../../src/adapters/live-backends.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Seeds per second of a sweep through the sweep queue (BullMQ on the standalone Redis of
// scripts/backends.sh, port 6390, database 2) with one `hasim worker` of 2 sandboxed threads,
// beside `hasim swarm`'s local pool of 2 threads, on the same seeds of a short scenario
// (flaky-provider: 10 s simulated, ~150 events a seed). The ratio is what the queue keeps of the
// local rate; the notes turn the difference into the queue's cost per seed. The worker runs in
// this process, so both sides have the same two threads and differ only in how seeds reach them.
// Both are warmed first (thread start-up and the TypeScript loader are not counted).
const SCENARIO_PATH = 'scenarios/sweeps/flaky-provider.yaml';
const SCENARIO_FILE = resolve(import.meta.dirname, '../..', SCENARIO_PATH);
const RUNNER = resolve(import.meta.dirname, '../../cli/sweep-task.ts');
const URL = 'redis://127.0.0.1:6390/2';
const SEEDS = 100;
const THREADS = 2;

const reachable = (await probeTcp({ host: '127.0.0.1', port: 6390 }, 1_000)) === undefined;
// Without the queue's Redis the suite says so and has no cases, as the live suite does for its
// servers: `npm run bench` on a fresh clone still ends with every other figure and exit code 0.
if (!reachable) {
  console.log(
    '[bench swarm-queue] skipping: the sweep queue Redis is not on 127.0.0.1:6390 (bash scripts/backends.sh up queue)',
  );
} else {
  // Database 2 is the bench's own: emptied so no sweep of an earlier run is found.
  const admin = new Redis(URL);
  await admin.flushdb();
  admin.disconnect();
}

const scenarioText = readFileSync(SCENARIO_FILE, 'utf8');
const rates = { queue: [] as number[], local: [] as number[] };
let rounds = 0;

interface Sides {
  readonly queue: BullmqSweepQueue<SeedResult>;
  readonly worker: BullmqSweepWorker;
  readonly pool: SeedPool;
}
let sides: Promise<Sides> | undefined;

async function start(): Promise<Sides> {
  const queue = await BullmqSweepQueue.open<SeedResult>({ url: URL, pollMs: 20 });
  const worker = await BullmqSweepWorker.start({ url: URL, concurrency: THREADS, runnerModule: RUNNER });
  await worker.ready;
  const pool = new SeedPool(THREADS, (i) => replayCommand(i.scenarioPath, i.seed));
  pool.unrefIdle();
  const warm = Array.from({ length: THREADS }, (_, i) => 10_000 + i);
  await queue.submit({
    sweepId: `bench-warm-${process.pid}`,
    scenarioPath: SCENARIO_PATH,
    scenarioText,
    seeds: warm,
  });
  await queue.collect(`bench-warm-${process.pid}`);
  await Promise.all(warm.map((seed) => pool.run({ scenarioPath: SCENARIO_FILE, seed })));
  return { queue, worker, pool };
}

const seedsOfRound = () => Array.from({ length: SEEDS }, (_, i) => 1 + i);

async function throughQueue(): Promise<Measurement> {
  sides ??= start();
  const { queue } = await sides;
  const sweepId = `bench-${process.pid}-${rounds++}`;
  const begin = performance.now();
  await queue.submit({ sweepId, scenarioPath: SCENARIO_PATH, scenarioText, seeds: seedsOfRound() });
  const swept = await queue.collect(sweepId);
  const ms = performance.now() - begin;
  if (swept.results.length !== SEEDS || swept.results.some((r) => r.verdict === 'error'))
    throw new Error(
      `swarm-queue bench: ${swept.results.length} results, ${swept.lost.length} lost (${swept.lost[0]?.reason})`,
    );
  await queue.forget(sweepId);
  rates.queue.push((SEEDS * 1000) / ms);
  return { ops: SEEDS, ms };
}

async function local(): Promise<Measurement> {
  sides ??= start();
  const { pool } = await sides;
  const begin = performance.now();
  const results = await Promise.all(
    seedsOfRound().map((seed) => pool.run({ scenarioPath: SCENARIO_FILE, seed })),
  );
  const ms = performance.now() - begin;
  if (results.some((r) => r.verdict === 'error'))
    throw new Error('swarm-queue bench: a local seed failed to run');
  rates.local.push((SEEDS * 1000) / ms);
  return { ops: SEEDS, ms };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/** The figures under the table; also closes the queue side so the bench can exit. */
function notes(): string[] {
  // The harness's warm-up round comes first: it is not a measurement.
  const measured = { queue: rates.queue.slice(1), local: rates.local.slice(1) };
  const queue = median(measured.queue);
  const pool = median(measured.local);
  // Each of the 2 threads spends THREADS / rate seconds per seed: the difference is the queue's cost.
  const overheadMs = ((THREADS / queue - THREADS / pool) * 1000).toFixed(1);
  void sides?.then(async ({ queue: q, worker }) => {
    await worker.close();
    await q.close();
  });
  return [
    `queue:  ${measured.queue.map((r) => r.toFixed(1)).join(', ')} seeds/s; local: ${measured.local.map((r) => r.toFixed(1)).join(', ')} seeds/s`,
    `the queue's cost per seed (submit, lock, sandbox hand-off, run record, result): ${overheadMs} ms of a thread's time (medians)`,
    `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`,
  ];
}

export const cases: BenchCase[] = !reachable
  ? []
  : [
      {
        name: `swarm-queue: seeds/s of flaky-provider (${SEEDS} seeds a round), through BullMQ vs the local pool, ${THREADS} threads each`,
        unit: 'seeds/s',
        ours: { label: `queue, 1 worker x ${THREADS} threads`, run: throughQueue },
        peer: { label: `local pool, ${THREADS} threads`, run: local },
        rounds: 3,
        notes,
      },
    ];

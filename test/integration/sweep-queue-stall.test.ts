// The stalled-job trap (docs/sweeps.md): a seed that computes for longer than its job's lock runs
// once, because `hasim worker` runs it in a sandboxed thread and its event loop keeps renewing the
// lock; and a sweep nobody works on ends at the named --idle-ms limit with one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeedResult } from '#sim/swarm/seed-result.ts';
import {
  BullmqSweepQueue,
  QUEUE_PREFIX,
  runKeys,
  SEEDS_QUEUE,
  seedJobId,
} from '#src/adapters/bullmq-sweep-queue.ts';
import { SweepQueueError } from '#src/ports/sweep-queue.ts';
import { scratch } from '#test/cli/in-process.ts';
import { emptyQueue, HasimProcess, queueGate, startWorker } from './sweep-queue-processes.ts';

const gate = await queueGate('sweep queue stalls');
const tmp = scratch('hasim-sweep-stall-');
const started: HasimProcess[] = [];
afterAll(() => {
  for (const p of started) p.signal('SIGKILL');
  tmp.dispose();
});

describe.skipIf(gate.skip)(gate.title, () => {
  it.runIf(gate.mustFail)('has the queue Redis that CI=true requires', () => gate.assertAvailable());

  it.runIf(gate.available)(
    'a seed longer than its lock runs once: no stall, no second run, while another worker watches for stalls',
    { timeout: 300_000 },
    async () => {
      // Arrange: two workers with the shortest lock (1 s, checked every 1 s); the built-in smoke
      // scenario stretched to ten simulated minutes (120,000 requests) keeps a thread busy for many
      // times the lock on any machine (one simulated minute took 0.75 s on a quiet one).
      const { url, redis } = await emptyQueue(5);
      const workers = await Promise.all(
        [1, 2].map(() => startWorker(url, ['--concurrency', '1', '--lock-ms', '1000'])),
      );
      for (const w of workers) started.push(w.process);
      const queue = await BullmqSweepQueue.open<SeedResult>({ url });
      const smoke = readFileSync('scenarios/smoke.yaml', 'utf8');
      const text = smoke.replace(/^durationMs: 60000\b/m, 'durationMs: 600000');
      expect(text).not.toBe(smoke);

      // Act
      await queue.submit({
        sweepId: 'long-seed',
        scenarioPath: 'scenarios/smoke.yaml',
        scenarioText: text,
        seeds: [7],
      });
      const swept = await queue.collect('long-seed');
      await queue.close();

      // Assert: one result, from one run; BullMQ never saw the job stall.
      expect(swept.results).toHaveLength(1);
      expect(swept.results[0]?.verdict).toBe('pass');
      expect(swept.results[0]?.wallMs).toBeGreaterThan(1_000); // longer than the lock: the trap was armed
      expect(swept.runs).toBe(1);
      expect(await redis.hget(runKeys('long-seed').runs, '7')).toBe('1');
      const seeds = new Queue(SEEDS_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
      const job = await seeds.getJob(seedJobId('long-seed', 7));
      expect(job?.attemptsStarted).toBe(1);
      expect(job?.stalledCounter).toBe(0);
      await seeds.close();
      for (const w of workers) w.process.signal('SIGTERM');
      for (const w of workers) expect(await w.process.exited).toBe(0);
      expect(workers.map((w) => w.process.stderr)).toEqual(['', '']);
      await redis.quit();
    },
  );

  it.runIf(gate.available)(
    'a sweep no worker takes ends at --idle-ms with one line; exit 1',
    { timeout: 120_000 },
    async () => {
      const { url, redis } = await emptyQueue(6);
      const queue = await BullmqSweepQueue.open<SeedResult>({ url });
      await queue.submit({
        sweepId: 'nobody',
        scenarioPath: 'x.yaml',
        scenarioText: 'kind: gateway',
        seeds: [1, 2],
      });
      await expect(queue.collect('nobody', { idleMs: 500 })).rejects.toThrow(
        new SweepQueueError(
          "no seed of sweep 'nobody' finished in 500 ms (0 of 2 done): is a hasim worker running? (limit --idle-ms)",
        ),
      );
      await queue.close();
      const run = new HasimProcess([
        'swarm',
        'scenarios/sweeps/flaky-provider.yaml',
        '--seeds',
        '2',
        '--out',
        join(tmp.dir, 'idle'),
        '--queue',
        url,
        '--idle-ms',
        '500',
      ]);
      started.push(run);
      expect(await run.exited).toBe(1);
      expect(run.stderrLines).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^hasim swarm: no seed of sweep 'flaky-provider-[0-9a-f]{16}' finished in 500 ms \(0 of 2 done\)/,
      );
      await redis.quit();
    },
  );
});

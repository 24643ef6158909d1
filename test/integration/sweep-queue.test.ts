// The sweep queue's smaller promises, against the queue's real Redis and a real `hasim worker`:
// submitting a sweep again adds nothing and runs nothing again; a scenario the workers cannot
// parse ends its seeds as errors with one line and leaves the worker serving, and the sweep ends
// with that line and exit 2; seeds that hit a limit are reported as the local sweep reports them;
// a seed whose runs disagree is nondeterminism, exit 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepIdOf } from '#cli/verbs/swarm-queue.ts';
import type { SeedResult } from '#sim/swarm/seed-result.ts';
import { recordRun } from '#src/adapters/bullmq-seed-job.ts';
import { BullmqSweepQueue, QUEUE_PREFIX, runKeys, SEEDS_QUEUE } from '#src/adapters/bullmq-sweep-queue.ts';
import { scratch } from '#test/cli/in-process.ts';
import { pollUntil } from './backends.ts';
import { emptyQueue, HasimProcess, queueGate, startWorker } from './sweep-queue-processes.ts';

const SCENARIO = 'scenarios/sweeps/flaky-provider.yaml';
const gate = await queueGate('sweep queue');
const tmp = scratch('hasim-sweep-queue-');
const lastLines = (p: HasimProcess, n: number) => p.stdout.trimEnd().split('\n').slice(-n);

describe.skipIf(gate.skip)(gate.title, () => {
  it.runIf(gate.mustFail)('has the queue Redis that CI=true requires', () => gate.assertAvailable());
  if (!gate.available) return;

  let queue: Awaited<ReturnType<typeof emptyQueue>>;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  beforeAll(async () => {
    queue = await emptyQueue(4);
    worker = await startWorker(queue.url, ['--concurrency', '2']);
  }, 90_000);
  afterAll(async () => {
    worker?.process.signal('SIGTERM');
    await worker?.process.exited;
    await queue?.redis.quit();
    tmp.dispose();
  });
  const swarm = async (out: string, seeds: number, ...extra: string[]) => {
    const run = new HasimProcess([
      'swarm',
      SCENARIO,
      '--seeds',
      String(seeds),
      '--out',
      join(tmp.dir, out),
      ...extra,
    ]);
    await run.exited;
    return run;
  };

  it('submitting the same sweep again adds no seed and runs none again', { timeout: 300_000 }, async () => {
    const first = await swarm('first', 30, '--queue', queue.url);
    expect(await first.exited, first.stderr).toBe(3);
    const sweepId = (first.stdout.match(/ sweep (\S+) /) as RegExpMatchArray)[1] as string;
    const runs = async () =>
      (await queue.redis.hvals(runKeys(sweepId).runs)).reduce((a, n) => a + Number(n), 0);
    expect(await runs()).toBe(30);

    const again = await swarm('again', 30, '--queue', queue.url);
    expect(await again.exited).toBe(3);
    expect(again.stdout).toContain(`sweep ${sweepId} (already queued: collecting)`);
    // The same report, bar the wall time and the directory.
    const report = (p: HasimProcess) => p.stdout.split('\n').filter((l) => !/ seeds in | sweep /.test(l));
    expect(report(again)).toEqual(report(first));
    expect(await runs()).toBe(30);
    const seeds = new Queue(SEEDS_QUEUE, { connection: queue.redis, prefix: QUEUE_PREFIX });
    expect(await seeds.getJobCounts('completed', 'wait', 'active')).toEqual({
      completed: 30,
      wait: 0,
      active: 0,
    });
    await seeds.close();

    const adapter = await BullmqSweepQueue.open<SeedResult>({ url: queue.url });
    const text = readFileSync(SCENARIO, 'utf8');
    const seedList = Array.from({ length: 30 }, (_, i) => i + 1);
    const receipt = await adapter.submit({
      sweepId,
      scenarioPath: SCENARIO,
      scenarioText: text,
      seeds: seedList,
    });
    expect(receipt).toEqual({ sweepId, seeds: 30, created: false });
    await adapter.close();
  });

  it('a scenario the workers cannot parse: every seed an error naming the file and line, one line from the worker, which goes on; one line and exit 2 from hasim swarm', {
    timeout: 300_000,
  }, async () => {
    // Another hasim (another version, another schema) submitted this sweep under the id this
    // hasim's `swarm --seeds 3 --first-seed 201` computes, with text this hasim cannot parse.
    const seeds = [201, 202, 203];
    const sweepId = sweepIdOf('flaky-provider', readFileSync(SCENARIO, 'utf8'), seeds, {});
    const adapter = await BullmqSweepQueue.open<SeedResult>({ url: queue.url });
    const scenarioText = 'kind: gateway\nname: [unclosed\n';
    const receipt = await adapter.submit({ sweepId, scenarioPath: 'mine/bad.yaml', scenarioText, seeds });
    expect(receipt.created).toBe(true);
    const swept = await adapter.collect(sweepId);
    await adapter.close();
    expect(swept.results.map((r) => r.verdict)).toEqual(['error', 'error', 'error']);
    for (const r of swept.results) {
      expect(r.error).toMatch(/^mine\/bad\.yaml:3:1: invalid YAML/);
      expect(r.replay).toBe(`hasim run mine/bad.yaml --seed ${r.seed}`);
    }
    expect(swept.runs).toBe(3); // an error is a result: not retried
    // The worker says so once BullMQ has completed the job, a moment after the results are in.
    const said = () => worker.process.stderrLines.filter((l) => l.includes(sweepId));
    await pollUntil(async () => (said().length > 0 ? true : undefined), 10_000);
    const lines = said();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^hasim worker: sweep \S+: seed 20\d could not run: mine\/bad\.yaml:3:1: invalid YAML/,
    );
    expect(worker.process.child.exitCode).toBeNull();

    const run = await swarm('unparsable', 3, '--queue', queue.url, '--first-seed', '201');
    expect(await run.exited).toBe(2);
    expect(run.stderrLines).toHaveLength(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^hasim swarm: the workers could not run any seed of ${SCENARIO}: mine/bad\\.yaml:3:1: invalid YAML`,
      ),
    );
  });

  it('seeds that hit a limit on the workers are reported as the local sweep reports them; exit 1', {
    timeout: 300_000,
  }, async () => {
    const queued = await swarm('limited', 30, '--queue', queue.url, '--max-events', '50');
    const local = await swarm('limited-local', 30, '--workers', '2', '--max-events', '50');
    expect(await local.exited).toBe(1);
    expect(await queued.exited).toBe(1);
    const report = (p: HasimProcess) =>
      p.stdout.split('\n').filter((l) => !/ seeds in | sweep |^hasim swarm /.test(l));
    expect(report(queued)).toEqual(report(local));
    expect(queued.stdout).toMatch(/error: .*over the limit of 50 events/);
  });

  it('a seed whose runs give different trace hashes is reported as nondeterminism; exit 1', {
    timeout: 300_000,
  }, async () => {
    // An earlier delivery of seed 2 recorded another hash: the sweep's own run of it must disagree.
    const seeds = Array.from({ length: 30 }, (_, i) => i + 101);
    const sweepId = sweepIdOf('flaky-provider', readFileSync(SCENARIO, 'utf8'), seeds, {});
    const earlier = 'deadbeef'.repeat(8);
    await recordRun(queue.redis, runKeys(sweepId), { seed: 102, verdict: 'pass', traceHash: earlier });
    const run = await swarm('nondeterministic', 30, '--queue', queue.url, '--first-seed', '101');
    expect(await run.exited, run.stderr).toBe(1);
    expect(run.stdout).toContain(`sweep ${sweepId} `);
    expect(run.stdout).toMatch(
      /nondeterminism: seed 102 gave trace hash deadbeefdeadbeef, then [0-9a-f]{60} on a second run/,
    );
    expect(lastLines(run, 1)[0]).toMatch(/^\d+ passed, \d+ failed$/);
  });
});

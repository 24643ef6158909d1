import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { wallNowMs } from '../../sim/kernel/wall-clock.ts';
import { LimitError, type LimitValues, limitValue } from '../../sim/limits.ts';
import { HASIM_VERSION } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { SeedPool } from '../../sim/swarm/pool.ts';
import { replayCommand } from '../../sim/swarm/run-seed.ts';
import type { SeedResult } from '../../sim/swarm/seed-result.ts';
import { type SweepSummary, summarizeSweep } from '../../sim/swarm/sweep.ts';
import { BullmqSweepQueue, queueName, SEED_ATTEMPTS } from '../../src/adapters/bullmq-sweep-queue.ts';
import { SWEEP_SEEDS_MAX, SweepQueueError, type SweepResults } from '../../src/ports/sweep-queue.ts';
import { type OptionSpec, type Parsed, parseAmount, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { group, out } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { createOutDir } from './run.ts';
import { swarm, sweepExitCode } from './swarm.ts';
import { sweepReport } from './swarm-report.ts';
import { amountValue, CONNECT_OPTION, queueUrl } from './worker.ts';

/**
 * `hasim swarm ... --queue URL`: the same sweep as `hasim swarm`, its seeds run by `hasim worker`
 * processes on any machines through the sweep queue (docs/sweeps.md), and reported the same way.
 * This file is the hook: `hasim swarm` without `--queue` is the local sweep, unchanged.
 */

/** The flags `--queue` adds to `hasim swarm`. */
export const SWARM_QUEUE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'queue',
    type: 'string',
    value: 'URL',
    help: 'run the seeds on hasim worker processes through this queue (redis://host:port) instead of here',
  },
  CONNECT_OPTION,
  {
    name: 'idle-ms',
    type: 'string',
    value: 'MS',
    help: 'with --queue: give up when no seed finishes for this long (default 600000); one line, exit 1',
  },
];

/** `hasim swarm`: through the queue when `--queue` is given, else the local sweep. */
export async function swarmOrQueue(parsed: Parsed): Promise<number> {
  const url = queueUrl('swarm', parsed, false);
  if (url === undefined) {
    for (const name of ['connect-timeout-ms', 'idle-ms'])
      if (parsed.values[name] !== undefined)
        throw new UsageError(`hasim swarm: --${name} goes with --queue URL`);
    return swarm(parsed);
  }
  for (const name of ['workers', 'fail-fast'])
    if (parsed.values[name] !== undefined)
      throw new UsageError(
        `hasim swarm: --${name} does not go with --queue (the workers are hasim worker processes)`,
      );
  return swarmThroughQueue(parsed, url);
}

/** A sweep's id: the scenario's name and a digest of everything that decides its results. */
export function sweepIdOf(name: string, text: string, seeds: readonly number[], limits: object): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([HASIM_VERSION, text, seeds[0], seeds.length, limits]))
    .digest('hex')
    .slice(0, 16);
  return `${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-${digest}`;
}

async function swarmThroughQueue(parsed: Parsed, url: string): Promise<number> {
  const { scenarioPath, outDir, seeds, limits } = queueSweepOptions(parsed);
  // Checked here, before anything is queued: a bad file is exit 2 on this machine, never on a worker.
  const scenario = loadScenarioFile(scenarioPath, limits);
  const scenarioText = readFileSync(scenarioPath, 'utf8');
  createOutDir('swarm', outDir);
  if (readdirSync(outDir).length > 0)
    throw new UsageError(
      `hasim swarm: --out ${outDir}: not empty (name a new directory, or remove this one)`,
    );
  const sweepId = sweepIdOf(scenario.name, scenarioText, seeds, limits);
  const start = wallNowMs();
  let swept: SweepResults<SeedResult>;
  try {
    const connectTimeoutMs = amountValue('swarm', parsed, 'connect-timeout-ms');
    const queue = await BullmqSweepQueue.open<SeedResult>({
      url,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    });
    try {
      const receipt = await queue.submit({ sweepId, scenarioPath, scenarioText, seeds, limits });
      out(
        `hasim swarm ${scenario.name}  seeds ${seeds[0]}..${seeds.at(-1)}  queue ${queueName(url)}, sweep ${sweepId}${receipt.created ? '' : ' (already queued: collecting)'}  (${scenarioPath})`,
      );
      const progress = new ProgressBar('swarm');
      const idleMs = amountValue('swarm', parsed, 'idle-ms');
      swept = await queue.collect(sweepId, {
        ...(idleMs === undefined ? {} : { idleMs }),
        onProgress: (p) =>
          progress.update(p.done / p.seeds, `${p.done}/${p.seeds} seeds, ${p.failing} failing (queue)`),
      });
      progress.clear();
    } finally {
      await queue.close();
    }
  } catch (error) {
    if (!(error instanceof SweepQueueError)) throw error;
    errorLine(`hasim swarm: ${error.message}`);
    return EXIT.failed;
  }
  const results = [...swept.results, ...swept.lost.map((l) => lostResult(scenarioPath, l.seed, l.reason))];
  const sameError = everySeedFailedAlike(results);
  if (sameError !== undefined) {
    errorLine(`hasim swarm: the workers could not run any seed of ${scenarioPath}: ${sameError}`);
    return EXIT.usage;
  }
  const summary = await summarize(results, swept, {
    scenario: scenario.name,
    scenarioPath,
    limits,
    outDir,
    seeds,
    ranOn: `the queue at ${queueName(url)}`,
    start,
  });
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const lines = sweepReport(summary, outDir);
  const reruns = swept.runs - swept.results.length;
  if (reruns > 0 && swept.nondeterministic.length === 0)
    lines.splice(
      -2,
      0,
      `  ${reruns} seed runs were repeats (at-least-once delivery): the same trace hash each`,
    );
  for (const line of lines) out(line);
  return sweepExitCode(summary);
}

/**
 * The local sweep's summary from the queue's results: failing seeds run a second time here (as
 * `hasim swarm` does), which also writes their full `seed-S/summary.json` for `hasim shrink`;
 * every other seed's summary is its result. Seeds whose queued runs disagreed join the
 * nondeterministic ones.
 */
async function summarize(
  results: readonly SeedResult[],
  swept: SweepResults<SeedResult>,
  meta: {
    scenario: string;
    scenarioPath: string;
    limits: LimitValues;
    outDir: string;
    seeds: readonly number[];
    ranOn: string;
    start: number;
  },
): Promise<SweepSummary> {
  const failing = results.filter((r) => r.verdict === 'fail');
  const again = new Map<string | number, SeedResult>();
  if (failing.length > 0) {
    const pool = new SeedPool(Math.min(availableParallelism(), failing.length), (input) =>
      replayCommand(input.scenarioPath, input.seed),
    );
    try {
      const seconds = await Promise.all(
        failing.map((r) =>
          pool.run({
            scenarioPath: meta.scenarioPath,
            seed: r.seed,
            outDir: join(meta.outDir, `seed-${r.seed}`),
            limits: meta.limits,
          }),
        ),
      );
      for (const second of seconds) again.set(second.seed, second);
    } finally {
      await pool.close();
    }
  }
  for (const r of results) {
    if (again.has(r.seed)) continue;
    const dir = join(meta.outDir, `seed-${r.seed}`);
    mkdirSync(dir, { recursive: true });
    const summary = {
      ...r,
      hasimVersion: HASIM_VERSION,
      scenarioPath: meta.scenarioPath,
      sweep: swept.sweepId,
    };
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }
  const summary = summarizeSweep(results, again, {
    scenario: meta.scenario,
    scenarioPath: meta.scenarioPath,
    firstSeed: meta.seeds[0] as number,
    seeds: meta.seeds.length,
    stoppedEarly: false,
    ranOn: meta.ranOn,
    wallMs: Math.round(wallNowMs() - meta.start),
  });
  const queued = swept.nondeterministic.map((n) => ({
    seed: n.seed,
    traceHash: n.traceHashes[0] ?? '',
    again: n.traceHashes.slice(1).join(', then '),
  }));
  return { ...summary, nondeterministic: [...summary.nondeterministic, ...queued] };
}

/** A seed the queue gave up on, as an `error` result (the sweep then exits 1). */
function lostResult(scenarioPath: string, seed: string | number, reason: string): SeedResult {
  return {
    seed,
    verdict: 'error',
    traceHash: '',
    virtualMs: 0,
    wallMs: 0,
    error: `no result after ${SEED_ATTEMPTS} attempts on the queue's workers: ${reason}`,
    replay: replayCommand(scenarioPath, seed),
  };
}

/** The one error of a sweep whose every seed could not run for the same reason. */
function everySeedFailedAlike(results: readonly SeedResult[]): string | undefined {
  const first = results[0]?.error;
  if (first === undefined) return undefined;
  return results.every((r) => r.verdict === 'error' && r.error === first) ? first : undefined;
}

/** The flags of a queued sweep (as `hasim swarm` reads them, without the local-only ones). */
function queueSweepOptions(parsed: Parsed) {
  if (parsed.positionals.length !== 1)
    throw new UsageError('hasim swarm: expected one scenario file (see hasim swarm --help)');
  const limits = limitValues('swarm', parsed);
  const seedsText = stringValue(parsed, 'seeds');
  if (seedsText === undefined)
    throw new UsageError('hasim swarm: --seeds N is required (how many seeds to run)');
  const count = parseAmount('swarm', '--seeds', seedsText);
  const seedsMax = limitValue(limits, 'swarmSeeds');
  if (count > seedsMax) throw new LimitError('swarmSeeds', seedsMax, 'hasim swarm --seeds', `${count} seeds`);
  if (count > SWEEP_SEEDS_MAX)
    throw new UsageError(
      `hasim swarm: --seeds: at most ${group(SWEEP_SEEDS_MAX)} seeds per queued sweep (got ${count})`,
    );
  const outDir = stringValue(parsed, 'out');
  if (outDir === undefined)
    throw new UsageError(
      'hasim swarm: --out DIR is required (where each seed writes DIR/seed-S/summary.json)',
    );
  const firstText = stringValue(parsed, 'first-seed') ?? '1';
  const firstSeed = Number(firstText);
  if (!/^-?\d+$/.test(firstText) || !Number.isSafeInteger(firstSeed + count))
    throw new UsageError(`hasim swarm: --first-seed: expected an integer, got '${firstText.slice(0, 40)}'`);
  const seeds = Array.from({ length: count }, (_, i) => firstSeed + i);
  return { scenarioPath: parsed.positionals[0] as string, outDir, seeds, limits };
}

import { readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { wallNowMs } from '../../sim/kernel/wall-clock.ts';
import { LimitError, limitValue } from '../../sim/limits.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { SeedPool, WORKERS_MAX } from '../../sim/swarm/pool.ts';
import { replayCommand } from '../../sim/swarm/run-seed.ts';
import type { SeedInput, SeedResult } from '../../sim/swarm/seed-result.ts';
import { type SweepSummary, summarizeSweep } from '../../sim/swarm/sweep.ts';
import { type Parsed, parseAmount, stringValue } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { out } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { createOutDir } from './run.ts';
import { sweepReport } from './swarm-report.ts';

/**
 * `hasim swarm <scenario.yaml> --seeds N --out DIR [--first-seed S] [--workers K] [--fail-fast K]`:
 * runs seeds S .. S+N-1 of one scenario on K worker threads (one seed per thread at a time), each
 * seed drawing its own fault schedule from the scenario's `nemesis:`, and reports the failing
 * seeds fastest first with the command that replays each. Failing seeds run a second time to
 * check their trace hash. Exit 0 when every seed passed, 3 when one broke an expectation, 1 when a
 * seed could not run or did not reproduce its trace, 2 for bad input.
 */
export async function swarm(parsed: Parsed): Promise<number> {
  const options = swarmOptions(parsed);
  const scenario = loadScenarioFile(options.scenarioPath, options.limits);
  prepareSweepDir(options.outDir);
  const { firstSeed, seeds, workers } = options;
  out(
    `hasim swarm ${scenario.name}  seeds ${firstSeed}..${firstSeed + seeds - 1}  ${workers} worker thread${workers === 1 ? '' : 's'}  (${options.scenarioPath})`,
  );
  const start = wallNowMs();
  const pool = new SeedPool(workers, (input) => replayCommand(input.scenarioPath, input.seed));
  const input = (seed: number, outDir?: string): SeedInput => ({
    scenarioPath: options.scenarioPath,
    seed,
    ...(outDir === undefined ? {} : { outDir }),
    limits: options.limits,
  });
  let results: SeedResult[];
  let stoppedEarly: boolean;
  const again = new Map<string | number, SeedResult>();
  try {
    ({ results, stoppedEarly } = await sweepSeeds(pool, options, (seed) =>
      input(seed, join(options.outDir, `seed-${seed}`)),
    ));
    // A failing seed is what a user will replay: run each a second time and compare trace hashes.
    const failing = results.filter((r) => r.verdict === 'fail');
    const seconds = await Promise.all(failing.map((r) => pool.run(input(r.seed as number))));
    for (const second of seconds) again.set(second.seed, second);
  } finally {
    await pool.close();
  }
  const summary: SweepSummary = summarizeSweep(results, again, {
    scenario: scenario.name,
    scenarioPath: options.scenarioPath,
    firstSeed,
    seeds,
    stoppedEarly,
    ranOn: `${workers} worker thread${workers === 1 ? '' : 's'}`,
    wallMs: Math.round(wallNowMs() - start),
  });
  writeFileSync(join(options.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  for (const line of sweepReport(summary, options.outDir)) out(line);
  return sweepExitCode(summary);
}

/** 1 when a seed could not run or did not reproduce, else 3 when one failed, else 0. */
export function sweepExitCode(summary: SweepSummary): number {
  if (summary.errors > 0 || summary.nondeterministic.length > 0) return EXIT.failed;
  return summary.failed > 0 ? EXIT.expectationFailed : EXIT.ok;
}

interface SwarmOptions {
  readonly scenarioPath: string;
  readonly outDir: string;
  readonly firstSeed: number;
  readonly seeds: number;
  readonly workers: number;
  readonly failFast: number | undefined;
  readonly limits: ReturnType<typeof limitValues>;
}

function swarmOptions(parsed: Parsed): SwarmOptions {
  if (parsed.positionals.length !== 1)
    throw new UsageError('hasim swarm: expected one scenario file (see hasim swarm --help)');
  const limits = limitValues('swarm', parsed);
  const seedsText = stringValue(parsed, 'seeds');
  if (seedsText === undefined)
    throw new UsageError('hasim swarm: --seeds N is required (how many seeds to run)');
  const seeds = parseAmount('swarm', '--seeds', seedsText);
  const seedsMax = limitValue(limits, 'swarmSeeds');
  if (seeds > seedsMax) throw new LimitError('swarmSeeds', seedsMax, 'hasim swarm --seeds', `${seeds} seeds`);
  const outDir = stringValue(parsed, 'out');
  if (outDir === undefined)
    throw new UsageError(
      'hasim swarm: --out DIR is required (where each seed writes DIR/seed-S/summary.json)',
    );
  const firstText = stringValue(parsed, 'first-seed') ?? '1';
  const firstSeed = Number(firstText);
  if (!/^-?\d+$/.test(firstText) || !Number.isSafeInteger(firstSeed + seeds))
    throw new UsageError(`hasim swarm: --first-seed: expected an integer, got '${firstText.slice(0, 40)}'`);
  const workersText = stringValue(parsed, 'workers');
  const workers =
    workersText === undefined ? availableParallelism() : parseAmount('swarm', '--workers', workersText);
  if (workers > WORKERS_MAX)
    throw new UsageError(`hasim swarm: --workers: expected at most ${WORKERS_MAX} threads, got ${workers}`);
  const failFastText = stringValue(parsed, 'fail-fast');
  const failFast = failFastText === undefined ? undefined : parseAmount('swarm', '--fail-fast', failFastText);
  return {
    scenarioPath: parsed.positionals[0] as string,
    outDir,
    firstSeed,
    seeds,
    workers: Math.min(workers, seeds),
    failFast,
    limits,
  };
}

/**
 * Runs the seeds in order, as many at a time as the pool has threads, until every seed ran or
 * `--fail-fast K` failures stopped it (seeds already running finish and are recorded; seeds not
 * started are not). A progress bar on a terminal shows seeds done, failing, and seeds/s.
 */
async function sweepSeeds(
  pool: SeedPool,
  options: SwarmOptions,
  input: (seed: number) => SeedInput,
): Promise<{ results: SeedResult[]; stoppedEarly: boolean }> {
  const results: SeedResult[] = [];
  const progress = new ProgressBar('swarm');
  const start = wallNowMs();
  let next = 0;
  let failing = 0;
  const stop = () => options.failFast !== undefined && failing >= options.failFast;
  await new Promise<void>((done) => {
    let running = 0;
    const pump = () => {
      while (running < pool.size && next < options.seeds && !stop()) {
        running++;
        const seed = options.firstSeed + next++;
        void pool.run(input(seed)).then((result) => {
          running--;
          results.push(result);
          if (result.verdict !== 'pass') failing++;
          const perSecond = (results.length * 1000) / Math.max(1, wallNowMs() - start);
          progress.update(
            results.length / options.seeds,
            `${results.length}/${options.seeds} seeds, ${failing} failing, ${perSecond.toFixed(1)} seeds/s`,
          );
          pump();
        });
      }
      if (running === 0) done();
    };
    pump();
  });
  progress.clear();
  return { results, stoppedEarly: results.length < options.seeds };
}

/** `--out DIR`: created if missing; an existing DIR must be empty, so no old seed is mistaken for new. */
function prepareSweepDir(outDir: string): void {
  createOutDir('swarm', outDir);
  if (readdirSync(outDir).length > 0)
    throw new UsageError(
      `hasim swarm: --out ${outDir}: not empty (name a new directory, or remove this one)`,
    );
}

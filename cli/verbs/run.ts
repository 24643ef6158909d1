import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunSummary, runScenario, summaryJson } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { kindOf, type Scenario, type Variant } from '../../sim/scenarios/registry.ts';
import { type Parsed, stringValue } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { out } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { expectationTable, summaryTable } from './run-tables.ts';

/** The built-in scenario `hasim run` runs without a file. */
const DEFAULT_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '../..', 'scenarios', 'smoke.yaml');

/** One run to do: a scenario file, one of its variants. */
interface Job {
  readonly file: string | undefined;
  readonly scenario: Scenario;
  readonly variant: Variant;
  readonly variants: number;
}

/**
 * `hasim run [scenario.yaml | dir ...] [--seed S] [--out DIR] [--quiet]`: runs each scenario (every
 * `.yaml` under a folder, sorted) in each of its variants, prints the expectation table of each,
 * and, when there is more than one run, ends with `N passed, N failed`. Exit 0 when every
 * expectation held, 3 when one did not, 1 when a simulation failed, 2 for bad input.
 */
export async function run({ values, positionals }: Parsed): Promise<number> {
  const seedText = stringValue({ values, positionals }, 'seed');
  const files = positionals.length === 0 ? [undefined] : positionals.flatMap(expand);
  // Every file is read and checked before anything runs: a bad file is exit 2, not a half-done batch.
  const jobs: Job[] = files.flatMap((file) => {
    const scenario = loadScenarioFile(file ?? DEFAULT_SCENARIO);
    const variants = kindOf(scenario).variants(scenario);
    return variants.map((variant) => ({ file, scenario, variant, variants: variants.length }));
  });
  const outOption = stringValue({ values, positionals }, 'out');
  if (outOption !== undefined && jobs.length > 1) {
    throw new UsageError(
      'hasim run: --out names one run directory; with several runs, leave it out (out/<scenario>-seed<S>[-<variant>])',
    );
  }
  const quiet = values.quiet === true;
  let passed = 0;
  let failed = 0;
  let crashed = 0;
  for (const job of jobs) {
    const seed = parseSeed(seedText, job.scenario);
    const suffix = job.variants > 1 ? `-${job.variant}` : '';
    const outDir = outOption ?? join('out', `${job.scenario.name}-seed${seed}${suffix}`);
    const summary = await runOne(job, seed, outDir, quiet);
    if (summary === undefined) crashed++;
    else if (summary.result.verdict === 'pass') passed++;
    else failed++;
  }
  if (jobs.length > 1) out(`${passed} passed, ${failed + crashed} failed`);
  if (crashed > 0) return EXIT.failed;
  return failed > 0 ? EXIT.expectationFailed : EXIT.ok;
}

async function runOne(
  job: Job,
  seed: number | string,
  outDir: string,
  quiet: boolean,
): Promise<RunSummary | undefined> {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new UsageError(
      `hasim run: --out ${outDir}: cannot create the directory (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const { scenario, variant, file } = job;
  const label = job.variants > 1 ? `${scenario.name} [${variant}]` : scenario.name;
  if (!quiet) out(`hasim run ${label}  seed ${seed}  (${file ?? 'built-in scenarios/smoke.yaml'})`);
  const progress = quiet ? undefined : new ProgressBar(label);
  let summary: RunSummary;
  try {
    summary = await runScenario(scenario, {
      seed,
      variant,
      outDir,
      source: file ?? 'scenarios/smoke.yaml',
      ...(progress ? { onProgress: (f: number) => progress.update(f) } : {}),
    });
  } catch (error) {
    progress?.clear();
    process.stderr.write(
      `hasim run: the simulation failed (${label}, seed ${seed}): ${(error as Error).message}\n`,
    );
    return undefined;
  }
  progress?.clear();
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summaryJson(summary), null, 2)}\n`);
  if (quiet) {
    out(`${summary.result.traceHash}  ${summary.result.verdict}  ${label}`);
  } else {
    out(summaryTable(summary, outDir));
    if (summary.result.expectations.length > 0) out(expectationTable(summary));
  }
  return summary;
}

/** A file, or every `.yaml` file under a folder (recursively, sorted). */
function expand(path: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return [path]; // the loader says why it cannot be read
  }
  if (!stat.isDirectory()) return [path];
  const found: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (statSync(child).isDirectory()) found.push(...expand(child));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) found.push(child);
  }
  if (found.length === 0) throw new UsageError(`hasim run: ${path}: no .yaml scenario files in this folder`);
  return found;
}

/** `--seed`: an integer or a name; without it, the scenario's own seed, else 1. */
function parseSeed(text: string | undefined, scenario: Scenario): number | string {
  if (text === undefined) return 'seed' in scenario && scenario.seed !== undefined ? scenario.seed : 1;
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new UsageError(`hasim run: --seed: ${text} is not a safe integer`);
    return n;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(text)) {
    throw new UsageError(
      `hasim run: --seed: expected an integer or a name (letters, digits, . _ -), got '${text}'`,
    );
  }
  return text;
}

import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LimitValues } from '../../sim/limits.ts';
import { LimitError } from '../../sim/limits.ts';
import { estimateEvents, type RunSummary, runScenario, summaryJson } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { kindOf, type Scenario, type Variant } from '../../sim/scenarios/registry.ts';
import { type Parsed, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { group, out } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { expectationTable, summaryTable } from './run-tables.ts';

/** The built-in scenario `hasim run` runs without a file. */
const DEFAULT_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '../..', 'scenarios', 'smoke.yaml');

/** Estimated events above which `run` says how large the trace will be before it starts. */
const LARGE_RUN_EVENTS = 1_000_000;

/** One run to do: a scenario file, one of its variants. */
interface Job {
  readonly file: string | undefined;
  readonly scenario: Scenario;
  readonly variant: Variant;
  readonly variants: number;
}

/**
 * `hasim run [scenario.yaml | dir ...] [--seed S] [--out DIR] [--quiet] [limits]`: runs each
 * scenario (every `.yaml` under a folder, sorted; names starting with `_` are parts other files
 * extend, skipped) in each of its variants, prints the expectation
 * table of each, and, when there is more than one run, ends with `N passed, N failed`. Exit 0 when
 * every expectation held, 3 when one did not, 1 when a simulation failed, 2 for bad input.
 */
export async function run(parsed: Parsed): Promise<number> {
  const { values, positionals } = parsed;
  const seedText = stringValue(parsed, 'seed');
  if (seedText !== undefined) parseSeed('run', seedText);
  const limits = limitValues('run', parsed);
  const files = positionals.length === 0 ? [undefined] : positionals.flatMap(expand);
  // Every file is read and checked before anything runs: a bad file is exit 2, not a half-done batch.
  const jobs: Job[] = files.flatMap((file) => {
    const scenario = loadScenarioFile(file ?? DEFAULT_SCENARIO, limits);
    const variants = kindOf(scenario).variants(scenario);
    return variants.map((variant) => ({ file, scenario, variant, variants: variants.length }));
  });
  const outOption = stringValue(parsed, 'out');
  if (outOption !== undefined && jobs.length > 1) {
    throw new UsageError(
      'hasim run: --out names one run directory; with several runs, leave it out (out/<scenario>-seed<S>[-<variant>])',
    );
  }
  const quiet = values.quiet === true;
  const results: (RunSummary | undefined)[] = [];
  const written: string[] = [];
  for (const job of jobs) {
    const seed = seedText !== undefined ? parseSeed('run', seedText) : scenarioSeed(job.scenario);
    const suffix = job.variants > 1 ? `-${job.variant}` : '';
    // The scenario's name is the file's to choose: keep it to one plain path segment.
    const outDir =
      outOption ??
      join('out', `${job.scenario.name}-seed${seed}${suffix}`.replace(/[^A-Za-z0-9._-]|^\.+/g, '_'));
    // One turn of the real event loop between runs, outside any simulation: a stdout whose reader
    // went away (`| head`) reports it here, and bin/hasim.mjs ends the process quietly.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const summary = await runOne(job, seed, outDir, quiet && jobs.length === 1, quiet, limits);
    results.push(summary);
    if (summary !== undefined) written.push(outDir);
  }
  const crashed = results.filter((r) => r === undefined).length;
  const failed = results.filter((r) => r?.result.verdict === 'fail').length;
  if (jobs.length > 1) out(`${jobs.length - failed - crashed} passed, ${failed + crashed} failed`);
  // Reports are drawn after every run is over: the renderer's DOM (jsdom) keeps real-time work of
  // its own, which must never run inside a simulation. Their paths come last, so the last line of
  // `npm start` is the path of a report to open.
  if (values.report === true) {
    // The renderer (d3, the diagrams) is loaded only when a report is asked for.
    const { writeReport } = await import('../../sim/render/report.ts');
    for (const dir of written) out(`report  ${writeReport(dir)}`);
  }
  if (crashed > 0) return EXIT.failed;
  return failed > 0 ? EXIT.expectationFailed : EXIT.ok;
}

async function runOne(
  job: Job,
  seed: number | string,
  outDir: string,
  hashOnly: boolean,
  quiet: boolean,
  limits: LimitValues,
): Promise<RunSummary | undefined> {
  prepareOutDir(outDir);
  const { scenario, variant, file } = job;
  const label = job.variants > 1 ? `${scenario.name} [${variant}]` : scenario.name;
  if (!quiet) out(`hasim run ${label}  seed ${seed}  (${file ?? 'built-in scenarios/smoke.yaml'})`);
  // A part pinned to one form runs it whatever the variant says: the reader must not take this
  // run's figures for the variant's alone.
  const pinned = scenario.kind === 'gateway' ? Object.entries(scenario.topology.variants ?? {}) : [];
  if (!quiet && pinned.length > 0)
    out(
      `  pinned          ${pinned.map(([part, form]) => `${part} ${form}`).join(', ')} (topology.variants)`,
    );
  const events = estimateEvents(scenario);
  if (!quiet && events !== undefined && events > LARGE_RUN_EVENTS) {
    out(
      `  note: about ${group(events)} events, a trace of about ${group(Math.round((events * 64) / 2 ** 20))} MiB (limits: docs/limits.md)`,
    );
  }
  const progress = quiet ? undefined : new ProgressBar(label);
  let summary: RunSummary;
  try {
    summary = await runScenario(scenario, {
      seed,
      variant,
      outDir,
      limits,
      source: file ?? 'scenarios/smoke.yaml',
      ...(progress ? { onProgress: (f: number) => progress.update(f) } : {}),
    });
  } catch (error) {
    progress?.clear();
    if (error instanceof LimitError) throw error;
    errorLine(`hasim run: the simulation failed (${label}, seed ${seed}): ${(error as Error).message}`);
    return undefined;
  }
  progress?.clear();
  const summaryPath = join(outDir, 'summary.json');
  try {
    writeFileSync(summaryPath, `${JSON.stringify(summaryJson(summary), null, 2)}\n`);
  } catch (error) {
    throw new UsageError(
      `hasim run: ${summaryPath}: cannot write it (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  if (hashOnly) out(summary.result.traceHash);
  else if (quiet) out(`${summary.result.traceHash}  ${summary.result.verdict}  ${label}`);
  else {
    out(summaryTable(summary, outDir));
    if (summary.result.expectations.length > 0) out(expectationTable(summary));
  }
  return summary;
}

/** A file, or every `.yaml` file under a folder (recursively, sorted, `_` names left out). */
function expand(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isDirectory()) return [path]; // the loader says why it cannot be read
  const found: string[] = [];
  for (const name of readdirSync(path).sort()) {
    // `_base.yaml`, `_shared/`: parts other files extend (docs/scenarios.md), not scenarios to run.
    if (name.startsWith('_')) continue;
    const child = join(path, name);
    if (statSync(child).isDirectory()) found.push(...expand(child));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) found.push(child);
  }
  if (found.length === 0) throw new UsageError(`hasim run: ${path}: no .yaml scenario files in this folder`);
  return found;
}

/** The seed a scenario names for itself, else 1. */
function scenarioSeed(scenario: Scenario): number | string {
  return 'seed' in scenario && scenario.seed !== undefined ? scenario.seed : 1;
}

/**
 * `--seed`: an integer (`42`, `-1`) or a name (`stampede`: letters, digits, `.`, `_`, `-`, at most
 * 64), as the incident tests name their seeds.
 */
export function parseSeed(verb: string, text: string): number | string {
  if (/^-?\d+$/.test(text)) {
    if (Number.isSafeInteger(Number(text))) return Number(text);
  } else if (/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(text)) {
    return text;
  }
  throw new UsageError(
    `hasim ${verb}: --seed: expected an integer or a name (a letter, then letters, digits, '.', '_' or '-'), got '${text.slice(0, 40)}'`,
  );
}

/**
 * Creates `--out` one level at a time (Node's recursive mkdir spins forever under /proc) and
 * checks that trace.jsonl and summary.json can be written there: every problem is a `UsageError`.
 */
function prepareOutDir(outDir: string): void {
  createOutDir('run', outDir);
  for (const name of ['trace.jsonl', 'summary.json']) {
    const path = join(outDir, name);
    try {
      closeSync(openSync(path, 'a'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `hasim run: ${path}: cannot write it (${code === 'EISDIR' ? 'is a directory' : code})`,
      );
    }
  }
}

/**
 * Creates `--out DIR` of `hasim <verb>` one level at a time (Node's recursive mkdir spins forever
 * under /proc); every problem is a `UsageError`.
 */
export function createOutDir(verb: string, outDir: string): void {
  const missing: string[] = [];
  let dir = resolve(outDir);
  for (;;) {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat?.isDirectory()) break;
    if (stat !== undefined) throw new UsageError(`hasim ${verb}: --out ${outDir}: ${dir} is not a directory`);
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      throw new UsageError(
        `hasim ${verb}: --out ${outDir}: cannot create the directory (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
}

import { closeSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LimitError } from '../../sim/limits.ts';
import { estimateEvents, type RunSummary, runScenario, summaryJson } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { type Parsed, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { group, out } from '../output.ts';
import { ProgressBar } from '../progress.ts';

/** The built-in scenario `hasim run` runs without a file. */
const DEFAULT_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '../..', 'scenarios', 'smoke.yaml');

/** Estimated events above which `run` says how large the trace will be before it starts. */
const LARGE_RUN_EVENTS = 1_000_000;

/** `hasim run [scenario.yaml] [--seed N] [--out DIR] [--quiet]`. */
export async function run(parsed: Parsed): Promise<number> {
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw new UsageError(`hasim run: expected one scenario file, got ${positionals.length}`);
  const seed = parseSeed('run', stringValue(parsed, 'seed'));
  const limits = limitValues('run', parsed);
  const file = positionals[0];
  const scenario = loadScenarioFile(file ?? DEFAULT_SCENARIO, limits);
  // The scenario's name is the file's to choose: keep it to one plain path segment.
  const outDir =
    stringValue(parsed, 'out') ??
    join('out', `${scenario.name}-seed${seed}`.replace(/[^A-Za-z0-9._-]|^\.+/g, '_'));
  const quiet = values.quiet === true;
  prepareOutDir(outDir);
  if (!quiet) out(`hasim run ${scenario.name}  seed ${seed}  (${file ?? 'built-in scenarios/smoke.yaml'})`);
  const events = estimateEvents(scenario);
  if (!quiet && events !== undefined && events > LARGE_RUN_EVENTS) {
    out(
      `  note: about ${group(events)} events, a trace of about ${group(Math.round((events * 64) / 2 ** 20))} MiB (limits: docs/limits.md)`,
    );
  }

  const progress = quiet ? undefined : new ProgressBar(scenario.name);
  let summary: RunSummary;
  try {
    summary = await runScenario(scenario, {
      seed,
      limits,
      outDir,
      source: file ?? 'scenarios/smoke.yaml',
      ...(progress ? { onProgress: (f: number) => progress.update(f) } : {}),
    });
  } catch (error) {
    progress?.clear();
    if (error instanceof LimitError) throw error;
    errorLine(`hasim run: the simulation failed (seed ${seed}): ${(error as Error).message}`);
    return EXIT.failed;
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
  out(quiet ? summary.result.traceHash : summaryTable(summary, outDir));
  return EXIT.ok;
}

/**
 * `--seed`: an integer (`42`, `-1`) or a name (`stampede`: letters, digits, `.`, `_`, `-`, at most
 * 64), as the incident tests name their seeds. Default 1.
 */
export function parseSeed(verb: string, text: string | undefined): number | string {
  if (text === undefined) return 1;
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
  const missing: string[] = [];
  let dir = resolve(outDir);
  for (;;) {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat?.isDirectory()) break;
    if (stat !== undefined) throw new UsageError(`hasim run: --out ${outDir}: ${dir} is not a directory`);
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      throw new UsageError(
        `hasim run: --out ${outDir}: cannot create the directory (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
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

/** The table `hasim run` prints at the end: what was simulated, what it cost, the report's counts. */
function summaryTable({ result, cost }: RunSummary, outDir: string): string {
  const r = result.report as Record<string, unknown> & { latencyMs?: Record<string, number | null> };
  const n = (v: unknown) => (typeof v === 'number' ? group(v) : String(v));
  const pct = (v: unknown) =>
    typeof v === 'number' && typeof r.requests === 'number' && r.requests > 0
      ? ` ${((100 * v) / r.requests).toFixed(1).padStart(5)}%`
      : '';
  const speed = cost.wallMs > 0 ? `${group(Math.round(result.simulatedMs / cost.wallMs))}× real time` : '';
  const rows: Array<[string, string]> = [
    [
      'simulated',
      `${(result.simulatedMs / 1000).toFixed(1)} s    wall ${(cost.wallMs / 1000).toFixed(2)} s   ${speed}`,
    ],
    ['events', `${n(result.events)}    peak RSS ${cost.peakRssMb} MB`],
    ['trace hash', result.traceHash.slice(0, 16)],
  ];
  for (const key of ['requests', 'ok', 'timeout', 'rateLimited', 'serverError']) {
    if (key in r)
      rows.push([
        key === 'requests' ? 'requests' : `  ${key}`,
        `${n(r[key]).padStart(9)}${key === 'requests' ? '' : pct(r[key])}`,
      ]);
  }
  const l = r.latencyMs;
  if (l)
    rows.push([
      'latency ok',
      `p50 ${n(l.p50)} ms   p95 ${n(l.p95)} ms   p99 ${n(l.p99)} ms   max ${n(l.max)} ms`,
    ]);
  rows.push(['written', `${join(outDir, 'trace.jsonl')}  ${join(outDir, 'summary.json')}`]);
  return rows.map(([k, v]) => `  ${k.padEnd(14)}${v}`).join('\n');
}

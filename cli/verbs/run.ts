import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunSummary, runScenario, summaryJson } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { type Parsed, stringValue } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { group, out } from '../output.ts';
import { ProgressBar } from '../progress.ts';

/** The built-in scenario `hasim run` runs without a file. */
const DEFAULT_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '../..', 'scenarios', 'smoke.yaml');

/** `hasim run [scenario.yaml] [--seed N] [--out DIR] [--quiet]`. */
export async function run({ values, positionals }: Parsed): Promise<number> {
  if (positionals.length > 1)
    throw new UsageError(`hasim run: expected one scenario file, got ${positionals.length}`);
  const seed = parseSeed(stringValue({ values, positionals }, 'seed'));
  const file = positionals[0];
  const scenario = loadScenarioFile(file ?? DEFAULT_SCENARIO);
  const outDir = stringValue({ values, positionals }, 'out') ?? join('out', `${scenario.name}-seed${seed}`);
  const quiet = values.quiet === true;
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new UsageError(
      `hasim run: --out ${outDir}: cannot create the directory (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  if (!quiet) out(`hasim run ${scenario.name}  seed ${seed}  (${file ?? 'built-in scenarios/smoke.yaml'})`);

  const progress = quiet ? undefined : new ProgressBar(scenario.name);
  let summary: RunSummary;
  try {
    summary = await runScenario(scenario, {
      seed,
      outDir,
      source: file ?? 'scenarios/smoke.yaml',
      ...(progress ? { onProgress: (f: number) => progress.update(f) } : {}),
    });
  } catch (error) {
    progress?.clear();
    process.stderr.write(`hasim run: the simulation failed (seed ${seed}): ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  progress?.clear();
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summaryJson(summary), null, 2)}\n`);
  out(quiet ? summary.result.traceHash : summaryTable(summary, outDir));
  return EXIT.ok;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`hasim run: --seed: expected an integer, got '${text}'`);
  }
  return Number(text);
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

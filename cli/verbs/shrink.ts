import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { limitValue } from '../../sim/limits.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { resolveNemesis } from '../../sim/scenarios/nemesis.ts';
import { kindOf, type Variant } from '../../sim/scenarios/registry.ts';
import { minimalScenarioYaml, timeText } from '../../sim/swarm/minimal-yaml.ts';
import { type ScheduledFault, shrinkSchedule } from '../../sim/swarm/shrink.ts';
import type { Parsed } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { out } from '../output.ts';
import { ProgressBar } from '../progress.ts';

/** What `hasim shrink` reads from a seed's summary.json (as runSeed writes it). */
interface FailingSeed {
  readonly seed: number | string;
  readonly scenarioFile: string;
  readonly expectation: string;
  readonly faults: readonly ScheduledFault[];
}

/**
 * `hasim shrink <DIR/seed-S>`: cuts a failing seed's explicit fault schedule (and its run length)
 * with fast-check to a smallest one that still breaks the same expectation, and writes it as
 * `DIR/seed-S/minimal.yaml`, a scenario with explicit `faults:` that `hasim run` replays. Exit 0
 * when the file is written, 1 when the schedule no longer breaks the expectation (nondeterminism,
 * or the scenario or hasim changed since), 2 for bad input.
 */
export async function shrink(parsed: Parsed): Promise<number> {
  const dir = parsed.positionals[0];
  if (dir === undefined || parsed.positionals.length !== 1)
    throw new UsageError(
      'hasim shrink: expected one seed directory, e.g. out/sweep/seed-17 (see hasim shrink --help)',
    );
  const limits = limitValues('shrink', parsed);
  const failing = readFailingSeed(dir);
  const sourceText = readSource(failing.scenarioFile);
  const file = loadScenarioFile(failing.scenarioFile, limits);
  if (file.kind !== 'gateway')
    throw new UsageError(
      `hasim shrink: ${failing.scenarioFile}: a ${file.kind} scenario has no fault schedule to shrink`,
    );
  const resolved = resolveNemesis(file, failing.seed, limits);
  if (resolved.kind !== 'gateway') throw new Error('resolveNemesis keeps the kind');
  const variants = kindOf(resolved).variants(resolved);
  const prefix = /^\[(article|fixed)\] /.exec(failing.expectation);
  const variant = (prefix?.[1] as Variant | undefined) ?? (variants[0] as Variant);
  const expectation = prefix === null ? failing.expectation : failing.expectation.slice(prefix[0].length);
  out(`hasim shrink ${resolved.name}  seed ${failing.seed}: breaks '${failing.expectation}'  (${dir})`);
  const runsMax = limitValue(limits, 'shrinkRuns');
  const progress = new ProgressBar('shrink');
  const result = await shrinkSchedule({
    scenario: { ...resolved, faults: [...failing.faults] },
    seed: failing.seed,
    variant,
    expectation,
    limits,
    onRun: (runs, faults) => progress.update(runs / runsMax, `${runs} runs, ${faults} faults still failing`),
  });
  progress.clear();
  if (!result.reproduced) {
    errorLine(
      `hasim shrink: seed ${failing.seed} with the schedule in ${join(dir, 'summary.json')} no longer breaks '${failing.expectation}' (nondeterminism, or ${failing.scenarioFile} or hasim changed since the sweep)`,
    );
    return EXIT.failed;
  }
  const minimal = join(dir, 'minimal.yaml');
  const yaml = minimalScenarioYaml(
    {
      sourceText,
      sourcePath: failing.scenarioFile,
      minimalPath: minimal,
      seed: failing.seed,
      variant: variants.length > 1 ? variant : undefined,
      expectation,
    },
    result,
  );
  try {
    writeFileSync(minimal, yaml);
  } catch (error) {
    throw new UsageError(
      `hasim shrink: ${minimal}: cannot write it (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const length =
    result.after.durationMs === result.before.durationMs
      ? ''
      : `, arrivals ${timeText(result.before.durationMs)} → ${timeText(result.after.durationMs)}`;
  const budget = result.budgetHit
    ? ` (stopped at --max-shrink-runs ${runsMax}: the smallest found so far)`
    : '';
  out(
    `  ${result.runs} runs: ${result.before.faults.length} faults → ${result.after.faults.length}${length}${budget}`,
  );
  for (const f of result.after.faults) {
    const lasting = f.for === undefined ? '' : ` for ${timeText(f.for)}`;
    out(`    at ${timeText(f.at)}  ${f.do} ${f.target}${lasting}`);
  }
  out(`  wrote ${minimal}`);
  out(`  replay: hasim run ${minimal}`);
  return EXIT.ok;
}

/** The failing seed a directory's summary.json describes; every problem is a `UsageError`. */
function readFailingSeed(dir: string): FailingSeed {
  const path = join(dir, 'summary.json');
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file (a seed directory of hasim swarm --out)' : (code ?? 'not JSON');
    throw new UsageError(`hasim shrink: ${path}: ${why}`);
  }
  if (summary === null || typeof summary !== 'object' || typeof summary.scenarioFile !== 'string')
    throw new UsageError(`hasim shrink: ${path}: not the summary of a swarm seed (no scenarioFile)`);
  if (summary.verdict !== 'fail')
    throw new UsageError(
      `hasim shrink: ${path}: seed ${String(summary.seed)} did not fail (verdict ${String(summary.verdict)}); only a failing seed shrinks`,
    );
  const broken = summary.broken as { expectation?: unknown }[] | undefined;
  const expectation = broken?.[0]?.expectation;
  const seed = summary.seed;
  if (
    typeof expectation !== 'string' ||
    !(typeof seed === 'number' || typeof seed === 'string') ||
    !Array.isArray(summary.faults)
  )
    throw new UsageError(`hasim shrink: ${path}: not the summary of a swarm seed (seed, broken, faults)`);
  return {
    seed,
    scenarioFile: summary.scenarioFile,
    expectation,
    faults: summary.faults as ScheduledFault[],
  };
}

function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `hasim shrink: ${path}: cannot read the seed's scenario file (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

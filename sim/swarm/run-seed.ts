import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExpectationResult } from '../checkers/expectations/evaluate.ts';
import { wallNowMs } from '../kernel/wall-clock.ts';
import { HASIM_VERSION, runScenario } from '../run.ts';
import { loadScenarioFile } from '../scenarios/load.ts';
import { resolveNemesis } from '../scenarios/nemesis.ts';
import { kindOf, type Scenario, type Variant } from '../scenarios/registry.ts';
import type { BrokenExpectation, SeedInput, SeedResult } from './seed-result.ts';

/**
 * One seed of a sweep, as `hasim swarm` runs it in a worker thread and a queue worker runs it on
 * another machine: read the scenario file, run every variant it names with the seed (as
 * `hasim run <file> --seed S` does), judge the expectations, and give back a `SeedResult`. Never
 * throws for a problem of the seed's own (a file that cannot be read, a simulation that fails, a
 * limit that is hit): that is `verdict: 'error'` with one line in `error`.
 */
export async function runSeed(input: SeedInput): Promise<SeedResult> {
  const wallStart = wallNowMs();
  const replay = replayCommand(input.scenarioPath, input.seed);
  let detail: SeedDetail;
  try {
    detail = await runVariants(loadScenarioFile(input.scenarioPath, input.limits), input);
  } catch (error) {
    const result: SeedResult = {
      seed: input.seed,
      verdict: 'error',
      traceHash: '',
      virtualMs: 0,
      wallMs: Math.round(wallNowMs() - wallStart),
      error: oneLine(error),
      replay,
    };
    if (input.outDir !== undefined) writeSummary(input.outDir, result, undefined, input);
    return result;
  }
  const broken: BrokenExpectation[] = detail.expectations
    .filter((x) => !x.ok && x.sometimes !== true)
    .map((x) => ({ expectation: x.text, detail: x.measured }));
  const sometimes = detail.expectations.filter((x) => x.sometimes === true);
  const result: SeedResult = {
    seed: input.seed,
    verdict: broken.length === 0 ? 'pass' : 'fail',
    traceHash: detail.traceHash,
    ...(broken.length === 0 ? {} : { broken }),
    ...(sometimes.length === 0
      ? {}
      : { sometimes: Object.fromEntries(sometimes.map((x) => [x.text, x.ok])) }),
    virtualMs: detail.virtualMs,
    events: detail.events,
    wallMs: Math.round(wallNowMs() - wallStart),
    replay,
  };
  if (input.outDir !== undefined) writeSummary(input.outDir, result, detail, input);
  return result;
}

/** What the runs of one seed determined, beyond the `SeedResult`: written to its summary.json. */
interface SeedDetail {
  readonly scenario: Scenario;
  readonly variants: readonly Variant[];
  readonly traceHash: string;
  readonly virtualMs: number;
  readonly events: number;
  /** Every expectation of every variant, texts prefixed `[variant] ` when there are two. */
  readonly expectations: readonly ExpectationResult[];
}

async function runVariants(file: Scenario, input: SeedInput): Promise<SeedDetail> {
  // The explicit schedule this seed draws (runScenario draws the same one again from the seed).
  const scenario = resolveNemesis(file, input.seed, input.limits);
  const variants = kindOf(scenario).variants(scenario);
  const hashes: string[] = [];
  const expectations: ExpectationResult[] = [];
  let virtualMs = 0;
  let events = 0;
  for (const variant of variants) {
    const { result } = await runScenario(scenario, {
      seed: input.seed,
      variant,
      source: input.scenarioPath,
      ...(input.limits === undefined ? {} : { limits: input.limits }),
    });
    hashes.push(result.traceHash);
    virtualMs = Math.max(virtualMs, result.simulatedMs);
    events += result.events;
    const prefix = variants.length > 1 ? `[${variant}] ` : '';
    for (const x of result.expectations) expectations.push({ ...x, text: `${prefix}${x.text}` });
  }
  // One variant: its own hash, as `hasim run --quiet` prints it. Several: a hash of their hashes.
  const traceHash =
    hashes.length === 1
      ? (hashes[0] as string)
      : createHash('sha256').update(hashes.join('\n')).digest('hex');
  return { scenario, variants, traceHash, virtualMs, events, expectations };
}

/**
 * `DIR/summary.json` of one seed: the `SeedResult`, then what replaying or shrinking it needs (the
 * scenario file's absolute path, the variants, the explicit fault schedule the run used) and every
 * expectation with what it measured.
 */
function writeSummary(
  outDir: string,
  result: SeedResult,
  detail: SeedDetail | undefined,
  input: SeedInput,
): void {
  mkdirSync(outDir, { recursive: true });
  const summary = {
    ...result,
    hasimVersion: HASIM_VERSION,
    scenarioPath: input.scenarioPath,
    scenarioFile: resolve(input.scenarioPath),
    ...(detail === undefined
      ? {}
      : {
          scenario: detail.scenario.name,
          kind: detail.scenario.kind,
          variants: detail.variants,
          durationMs: kindOf(detail.scenario).durationMs(detail.scenario),
          ...('heal' in detail.scenario && detail.scenario.heal !== undefined
            ? { heal: detail.scenario.heal }
            : {}),
          faults: 'faults' in detail.scenario ? (detail.scenario.faults ?? []) : [],
          expectations: detail.expectations,
        }),
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

/** `hasim run <file> --seed S`, the path quoted for a POSIX shell when it needs quoting. */
export function replayCommand(scenarioPath: string, seed: string | number): string {
  const path = /^[A-Za-z0-9_./:@%+=,-]+$/.test(scenarioPath)
    ? scenarioPath
    : `'${scenarioPath.replace(/'/g, `'\\''`)}'`;
  return `hasim run ${path} --seed ${seed}`;
}

/** An error's message as one line (a seed's error is printed in a listing, one line per seed). */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

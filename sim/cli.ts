import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

import {
  defaultPolicies,
  distinctKeys,
  formatHitRateTable,
  HIT_RATE_SEED,
  loadTrace,
  REAL_TRACES,
  SYNTHETIC_TRACES,
  simulateHitRates,
} from './cache/index.ts';
import { wallNowMs } from './kernel/wall-clock.ts';
import { HASIM_VERSION, type RunSummary, runScenario, TRACE_FORMAT, type TraceHeader } from './run.ts';
import { loadScenarioFile, type Scenario, ScenarioError, scenarioSchema } from './scenarios/schema.ts';
import { firstAndLastLine, firstDifference, hashEventLines } from './trace-file.ts';

/** A mistake in how hasim was called or in its input: one line on stderr, exit code 2. */
class UsageError extends Error {}

const DEFAULT_SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'smoke.yaml');

const HELP: Record<string, string> = {
  main: `hasim ${HASIM_VERSION} — deterministic simulator of a high-availability LLM API gateway

Usage: hasim <command> [options]

Commands:
  run [scenario.yaml]   run a scenario on virtual time (default: the built-in smoke scenario)
  replay <trace.jsonl>  re-run a recorded trace's scenario and seed; check the hash matches
  hitrate [trace]       replay a cache key trace through W-TinyLFU, LRU, lru-cache and Belady
  help [command]        show help for a command

Exit codes: 0 ok, 1 the run or the replay failed, 2 a usage or input error.
Run 'hasim <command> --help' for a command's options.`,
  run: `Usage: hasim run [scenario.yaml] [--seed N] [--out DIR] [--quiet]

Runs a scenario on virtual time. The same scenario, seed and hasim version give the same trace,
byte for byte. Without a file, runs the built-in scenario (scenarios/smoke.yaml).

Options:
  --seed N     root seed, an integer (default 1); printed first so a run can be repeated
  --out DIR    where to write trace.jsonl and summary.json (default out/<scenario>-seed<N>)
  --quiet      print only the summary's trace hash
  -h, --help   show this help`,
  hitrate: `Usage: hasim hitrate [trace] [--sizes N,N,...]

Replays a key trace through each cache policy at several maximum sizes and prints the hit rates
side by side, in the manner of Caffeine's simulator: hasim's W-TinyLFU (the Caffeine-faithful L1),
hasim's LRU, lru-cache (npm), and the optimal offline bound (Belady).

  trace        web07 or web12 (the real CC BY 4.0 traces in ../shared/data/traces), zipf, loop,
               scan-zipf (seeded synthetic traces), a file of big-endian int32 keys, or all
               (default: all)

Options:
  --sizes N,N  maximum sizes to simulate (default: per trace)
  -h, --help   show this help`,
  replay: `Usage: hasim replay <trace.jsonl>

Re-runs the scenario and seed recorded in a trace's header and compares the new trace hash with
the recorded one. On a mismatch, prints the first event that differs. Exit 0 when they match,
1 when they differ.

Options:
  -h, --help   show this help`,
};

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [verb, ...rest] = argv;
    switch (verb) {
      case undefined:
      case '-h':
      case '--help':
        out(HELP.main!);
        return 0;
      case '--version':
        out(HASIM_VERSION);
        return 0;
      case 'help': {
        const topic = rest[0] ?? 'main';
        if (!(topic in HELP))
          throw new UsageError(`hasim help: unknown command '${topic}' (commands: run, replay, hitrate)`);
        out(HELP[topic]!);
        return 0;
      }
      case 'run':
        return await runVerb(rest);
      case 'replay':
        return await replayVerb(rest);
      case 'hitrate':
        return hitRateVerb(rest);
      default:
        throw new UsageError(
          `hasim: unknown command '${verb}' (commands: run, replay, hitrate, help; see hasim --help)`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ScenarioError) {
      process.stderr.write(`${error instanceof UsageError ? '' : 'hasim: '}${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

function parse(verb: string, args: readonly string[], options: ParseArgsOptionsConfig): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.split('. ')[0];
    throw new UsageError(`hasim ${verb}: ${message} (see hasim ${verb} --help)`);
  }
}

async function runVerb(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse('run', args, {
    seed: { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (values.help) {
    out(HELP.run!);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`hasim run: expected one scenario file, got ${positionals.length}`);
  const seed = parseSeed(values.seed as string | undefined);
  const source = positionals[0] ?? DEFAULT_SCENARIO;
  const scenario = loadScenarioFile(source);
  const outDir = (values.out as string | undefined) ?? join('out', `${scenario.name}-seed${seed}`);
  const quiet = values.quiet === true;
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new UsageError(
      `hasim run: --out ${outDir}: cannot create the directory (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  if (!quiet)
    out(`hasim run ${scenario.name}  seed ${seed}  (${positionals[0] ?? 'built-in scenarios/smoke.yaml'})`);

  const progress = quiet ? undefined : new ProgressBar(scenario.name);
  let summary: RunSummary;
  try {
    summary = await runScenario(scenario, {
      seed,
      outDir,
      source: positionals[0] ?? 'scenarios/smoke.yaml',
      ...(progress ? { onProgress: (f: number) => progress.update(f) } : {}),
    });
  } catch (error) {
    progress?.clear();
    process.stderr.write(`hasim run: the simulation failed (seed ${seed}): ${(error as Error).message}\n`);
    return 1;
  }
  progress?.clear();
  writeSummary(outDir, summary);
  if (quiet) out(summary.traceHash);
  else out(summaryTable(summary, outDir));
  return 0;
}

async function replayVerb(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse('replay', args, {});
  if (values.help) {
    out(HELP.replay!);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError('hasim replay: expected one trace file (see hasim replay --help)');
  const path = positionals[0]!;
  const { header, footer } = readTraceEnds(path);
  const tmp = await mkdtemp(join(tmpdir(), 'hasim-replay-'));
  try {
    out(`hasim replay ${path}  scenario ${header.scenario.name}  seed ${header.seed}`);
    let summary: RunSummary;
    try {
      summary = await runScenario(header.scenario, { seed: header.seed, outDir: tmp, source: header.source });
    } catch (error) {
      process.stderr.write(
        `hasim replay: the re-run failed (seed ${header.seed}): ${(error as Error).message}\n`,
      );
      return 1;
    }
    const recorded = footer.traceHash;
    const fileHash = hashEventLines(path);
    if (fileHash !== recorded) {
      out(
        `  note: the file's event lines hash to ${fileHash.slice(0, 16)}, not the recorded ${recorded.slice(0, 16)}: it was modified or truncated`,
      );
    }
    if (summary.traceHash === recorded && fileHash === recorded && summary.events === footer.events) {
      out(`  match: ${summary.events} events, hash ${summary.traceHash.slice(0, 16)}`);
      return 0;
    }
    out(`  MISMATCH: recorded ${footer.events} events, hash ${recorded.slice(0, 16)}`);
    out(`            replayed ${summary.events} events, hash ${summary.traceHash.slice(0, 16)}`);
    const diff = firstDifference(path, join(tmp, 'trace.jsonl'));
    if (diff) {
      out(`  first difference at event ${diff.event}:`);
      out(`    recorded: ${diff.recorded}`);
      out(`    replayed: ${diff.replayed}`);
    }
    if (header.hasimVersion !== HASIM_VERSION) {
      out(`  note: the trace was written by hasim ${header.hasimVersion}, this is ${HASIM_VERSION}`);
    }
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface TraceFooter {
  readonly end: string;
  readonly events: number;
  readonly traceHash: string;
}

function readTraceEnds(path: string): { header: TraceHeader; footer: TraceFooter } {
  let ends: { first: string; last: string };
  try {
    ends = firstAndLastLine(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such trace file'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot read it (${code})`;
    throw new UsageError(`hasim replay: ${path}: ${why}`);
  }
  if (ends.first === ends.last || ends.first === '')
    throw new UsageError(
      `hasim replay: ${path}: not a hasim trace (expected a header, events and a footer line)`,
    );
  const header = parseJsonLine(path, 1, ends.first) as Partial<TraceHeader>;
  if (header.hasim !== 'trace')
    throw new UsageError(`hasim replay: ${path}:1: not a hasim trace header (missing "hasim": "trace")`);
  if (header.format !== TRACE_FORMAT) {
    throw new UsageError(
      `hasim replay: ${path}:1: trace format ${String(header.format)} is not supported (this hasim reads format ${TRACE_FORMAT})`,
    );
  }
  if (typeof header.seed !== 'number' || !Number.isSafeInteger(header.seed))
    throw new UsageError(`hasim replay: ${path}:1: header.seed: expected an integer`);
  const checked = scenarioSchema.safeParse(header.scenario);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UsageError(
      `hasim replay: ${path}:1: header.scenario.${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const footer = parseJsonLine(path, -1, ends.last) as Partial<TraceFooter>;
  if (
    typeof footer.end !== 'string' ||
    typeof footer.traceHash !== 'string' ||
    typeof footer.events !== 'number'
  ) {
    throw new UsageError(
      `hasim replay: ${path}: the last line is not a trace footer (was the run interrupted?)`,
    );
  }
  if (footer.end !== 'ok') out(`  note: the recorded run ended '${footer.end}'`);
  return {
    header: { ...(header as TraceHeader), scenario: checked.data as Scenario },
    footer: footer as TraceFooter,
  };
}

function parseJsonLine(path: string, line: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`hasim replay: ${path}:${line < 0 ? 'last line' : line}: not valid JSON`);
  }
}

function hitRateVerb(args: readonly string[]): number {
  const { values, positionals } = parse('hitrate', args, { sizes: { type: 'string' } });
  if (values.help) {
    out(HELP.hitrate!);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`hasim hitrate: expected one trace, got ${positionals.length}`);
  const traceArg = positionals[0] ?? 'all';
  const sizesText = values.sizes as string | undefined;
  let sizes: number[] | undefined;
  if (sizesText !== undefined) {
    sizes = sizesText.split(',').map((v) => Number(v.trim()));
    if (sizes.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
      throw new UsageError(
        `hasim hitrate: --sizes: expected positive integers separated by commas, got '${sizesText}'`,
      );
    }
  }
  const names = traceArg === 'all' ? [...REAL_TRACES, ...Object.keys(SYNTHETIC_TRACES)] : [traceArg];
  const policies = defaultPolicies(HIT_RATE_SEED);
  out(`hasim hitrate  seed '${HIT_RATE_SEED}' (synthetic traces and W-TinyLFU admission draws)`);
  for (const name of names) {
    let loaded: ReturnType<typeof loadTrace>;
    try {
      loaded = loadTrace(name);
    } catch (error) {
      throw new UsageError(`hasim hitrate: ${(error as Error).message}`);
    }
    if ('skipped' in loaded) {
      out(`\nskipped ${loaded.skipped}`);
      continue;
    }
    const { trace, defaultSizes } = loaded;
    out(`\n${trace.name}: ${group(trace.keys.length)} requests, ${group(distinctKeys(trace))} distinct keys`);
    out(formatHitRateTable(simulateHitRates(trace, sizes ?? defaultSizes, policies), policies));
  }
  return 0;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`hasim run: --seed: expected an integer, got '${text}'`);
  }
  return Number(text);
}

function writeSummary(outDir: string, summary: RunSummary): void {
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

function summaryTable(s: RunSummary, outDir: string): string {
  const r = s.report as Record<string, unknown> & { latencyMs?: Record<string, number | null> };
  const n = (v: unknown) => (typeof v === 'number' ? group(v) : String(v));
  const pct = (v: unknown) =>
    typeof v === 'number' && typeof r.requests === 'number' && r.requests > 0
      ? ` ${((100 * v) / r.requests).toFixed(1).padStart(5)}%`
      : '';
  const speed = s.wallMs > 0 ? `${group(Math.round(s.simulatedMs / s.wallMs))}× real time` : '';
  const rows: Array<[string, string]> = [
    [
      'simulated',
      `${(s.simulatedMs / 1000).toFixed(1)} s    wall ${(s.wallMs / 1000).toFixed(2)} s   ${speed}`,
    ],
    ['events', `${n(s.events)}    peak RSS ${s.peakRssMb} MB`],
    ['trace hash', s.traceHash.slice(0, 16)],
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

/** Thousands separated with a thin comma, independent of locale. */
function group(v: number): string {
  return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A one-line progress bar on stderr, shown only on a terminal and only after one second. */
class ProgressBar {
  readonly #start = wallNowMs();
  #lastDraw = 0;
  #shown = false;
  constructor(readonly label: string) {}

  update(fraction: number): void {
    if (!process.stderr.isTTY) return;
    const now = wallNowMs();
    if (now - this.#start < 1000 || now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#shown = true;
    const width = 30;
    const done = Math.round(Math.min(1, fraction) * width);
    const elapsed = (now - this.#start) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : 0;
    process.stderr.write(
      `\r  ${this.label} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${elapsed.toFixed(1)} s, ~${eta.toFixed(0)} s left `,
    );
  }

  clear(): void {
    if (this.#shown) process.stderr.write('\r\x1b[2K');
  }
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

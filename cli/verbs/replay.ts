import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HASIM_VERSION,
  type RunSummary,
  runScenario,
  TRACE_FORMAT,
  type TraceHeader,
} from '../../sim/run.ts';
import { type Scenario, scenarioSchema } from '../../sim/scenarios/registry.ts';
import { firstAndLastLine, firstDifference, hashEventLines } from '../../sim/trace-file.ts';
import type { Parsed } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { out } from '../output.ts';

/** The last line of a trace file. */
interface TraceFooter {
  readonly end: string;
  readonly events: number;
  readonly traceHash: string;
}

/** `hasim replay <trace.jsonl>`: exit 0 when the re-run reproduces the trace, 1 when it does not. */
export async function replay({ positionals }: Parsed): Promise<number> {
  const path = positionals[0];
  if (path === undefined || positionals.length !== 1)
    throw new UsageError('hasim replay: expected one trace file (see hasim replay --help)');
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
      return EXIT.failed;
    }
    return compare(path, header, footer, summary, join(tmp, 'trace.jsonl'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Compares the recorded trace with the replayed one and says how they differ, if they do. */
function compare(
  path: string,
  header: TraceHeader,
  footer: TraceFooter,
  { result }: RunSummary,
  replayedPath: string,
): number {
  const recorded = footer.traceHash;
  const fileHash = hashEventLines(path);
  if (fileHash !== recorded) {
    out(
      `  note: the file's event lines hash to ${fileHash.slice(0, 16)}, not the recorded ${recorded.slice(0, 16)}: it was modified or truncated`,
    );
  }
  if (result.traceHash === recorded && fileHash === recorded && result.events === footer.events) {
    out(`  match: ${result.events} events, hash ${result.traceHash.slice(0, 16)}`);
    return EXIT.ok;
  }
  out(`  MISMATCH: recorded ${footer.events} events, hash ${recorded.slice(0, 16)}`);
  out(`            replayed ${result.events} events, hash ${result.traceHash.slice(0, 16)}`);
  const diff = firstDifference(path, replayedPath);
  if (diff) {
    out(`  first difference at event ${diff.event}:`);
    out(`    recorded: ${diff.recorded}`);
    out(`    replayed: ${diff.replayed}`);
  }
  if (header.hasimVersion !== HASIM_VERSION) {
    out(`  note: the trace was written by hasim ${header.hasimVersion}, this is ${HASIM_VERSION}`);
  }
  return EXIT.failed;
}

/** Reads and checks a trace's header and footer; every problem is a `UsageError` naming the line. */
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
  const header = checkHeader(path, parseJsonLine(path, 1, ends.first) as Partial<TraceHeader>);
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
  return { header, footer: footer as TraceFooter };
}

/** Checks the header line's fields, its scenario against the scenario schemas. */
function checkHeader(path: string, header: Partial<TraceHeader>): TraceHeader {
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
    const issue = checked.error.issues[0];
    throw new UsageError(
      `hasim replay: ${path}:1: header.scenario.${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return { ...(header as TraceHeader), scenario: checked.data as Scenario };
}

function parseJsonLine(path: string, line: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`hasim replay: ${path}:${line < 0 ? 'last line' : line}: not valid JSON`);
  }
}

import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimitError, type LimitValues, limitValue } from '../../sim/limits.ts';
import {
  HASIM_VERSION,
  type RunSummary,
  runScenario,
  TRACE_FORMAT,
  type TraceHeader,
} from '../../sim/run.ts';
import { type Scenario, scenarioSchema } from '../../sim/scenarios/registry.ts';
import { firstDifference, scanTrace, type TraceDifference, type TraceScan } from '../../sim/trace-file.ts';
import type { Parsed } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { limitValues } from '../limits.ts';
import { out } from '../output.ts';
import { parseSeed } from './run.ts';

/** The last line of a trace file. */
interface TraceFooter {
  readonly end: string;
  readonly events: number;
  readonly traceHash: string;
}

/** Characters of a trace line or field value printed in a difference. */
const SHOWN_CHARS = 160;

/**
 * `hasim replay <trace.jsonl>`: exit 0 when the re-run reproduces the trace; 1 when it does not
 * (nondeterminism, or another hasim version); 2 when the file itself is not what hasim wrote (not
 * a trace, cut, copied with CRLF line endings, or edited after it was written).
 */
export async function replay(parsed: Parsed): Promise<number> {
  const { positionals } = parsed;
  const path = positionals[0];
  if (path === undefined || positionals.length !== 1)
    throw new UsageError('hasim replay: expected one trace file (see hasim replay --help)');
  const limits = limitValues('replay', parsed);
  const maxLine = limitValue(limits, 'traceLineBytes');
  const scan = scanFile(path, maxLine);
  const header = checkHeader(path, parseJsonLine(path, 'line 1', scan.first));
  const footer = checkFooter(path, scan);
  const intact = scan.eventHash === footer.traceHash && scan.eventLines === footer.events;
  const tmp = await mkdtemp(join(tmpdir(), 'hasim-replay-'));
  try {
    out(`hasim replay ${path}  scenario ${header.scenario.name}  seed ${header.seed}`);
    let summary: RunSummary;
    try {
      summary = await rerun(header, limits, tmp);
    } catch (error) {
      if (error instanceof LimitError) throw error;
      errorLine(`hasim replay: the re-run failed (seed ${header.seed}): ${(error as Error).message}`);
      return EXIT.failed;
    }
    const diff = firstDifference(path, join(tmp, 'trace.jsonl'), maxLine);
    if (!intact) throw new UsageError(modifiedMessage(path, scan, footer, summary, diff));
    return compare(header, footer, summary, diff);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function rerun(header: TraceHeader, limits: LimitValues, outDir: string): Promise<RunSummary> {
  // The variant the trace was written with (traces from before variants existed ran the default).
  const variant =
    header.variant === 'article' || header.variant === 'fixed' ? { variant: header.variant } : {};
  return runScenario(header.scenario, {
    seed: header.seed,
    limits,
    outDir,
    source: header.source,
    ...variant,
  });
}

/** The trace is intact: the re-run either reproduces it (0) or diverges from it (1). */
function compare(
  header: TraceHeader,
  footer: TraceFooter,
  { result }: RunSummary,
  diff: TraceDifference | undefined,
): number {
  if (result.traceHash === footer.traceHash && result.events === footer.events && diff === undefined) {
    out(`  match: ${result.events} events, hash ${result.traceHash.slice(0, 16)}`);
    return EXIT.ok;
  }
  out(`  MISMATCH: recorded ${footer.events} events, hash ${footer.traceHash.slice(0, 16)}`);
  out(`            replayed ${result.events} events, hash ${result.traceHash.slice(0, 16)}`);
  if (diff) printDifference(diff);
  const version =
    header.hasimVersion === HASIM_VERSION
      ? ''
      : ` (the trace was written by hasim ${header.hasimVersion}, this is ${HASIM_VERSION})`;
  errorLine(
    `hasim replay: the re-run diverges from the recorded trace at event ${diff?.event ?? '?'}${version}`,
  );
  return EXIT.failed;
}

/**
 * The one line for a trace whose lines no longer hash to its own footer: it was changed after it
 * was written. The re-run (when it reproduces the footer) says which lines.
 */
function modifiedMessage(
  path: string,
  scan: TraceScan,
  footer: TraceFooter,
  { result }: RunSummary,
  diff: TraceDifference | undefined,
): string {
  const prefix = `hasim replay: ${path}: the trace was modified after it was written`;
  let what: string;
  if (scan.eventLines !== footer.events) {
    const n = Math.abs(footer.events - scan.eventLines);
    what = `its footer records ${footer.events} events but it has ${scan.eventLines} event lines (${n} ${scan.eventLines < footer.events ? 'removed' : 'added'})`;
  } else if (result.traceHash !== footer.traceHash || diff === undefined) {
    what = 'its event lines no longer hash to the hash in its footer';
  } else if (diff.recorded === diff.replayedNext && diff.recordedNext === diff.replayed) {
    what = `event lines ${diff.event} and ${diff.event + 1} are swapped`;
  } else {
    what = `event line ${diff.event} (file line ${diff.event + 1}) was edited`;
  }
  if (diff !== undefined) printDifference(diff);
  return `${prefix}: ${what}`;
}

/** The first differing event, field by field, the recorded value beside the re-run's. */
function printDifference(diff: TraceDifference): void {
  out(`  first difference at event ${diff.event} (file line ${diff.event + 1}):`);
  const recorded = parseObject(diff.recorded);
  const replayed = parseObject(diff.replayed);
  if (recorded === undefined || replayed === undefined) {
    out(`    recorded: ${cut(diff.recorded ?? '(end of file)', SHOWN_CHARS)}`);
    out(`    replayed: ${cut(diff.replayed ?? '(end of file)', SHOWN_CHARS)}`);
    return;
  }
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(replayed)])].slice(0, 20);
  const show = (o: Record<string, unknown>, k: string) => (k in o ? cut(JSON.stringify(o[k]), 40) : '-');
  const width = Math.max(5, ...keys.map((k) => cut(k, 20).length)) + 2;
  const column = Math.max(10, ...keys.map((k) => show(recorded, k).length)) + 2;
  out(`    ${'field'.padEnd(width)}${'recorded'.padEnd(column)}replayed`);
  for (const k of keys) {
    const a = show(recorded, k);
    const b = show(replayed, k);
    out(`    ${cut(k, 20).padEnd(width)}${a.padEnd(column)}${b}${a === b ? '' : '   <- differs'}`);
  }
}

function parseObject(line: string | undefined): Record<string, unknown> | undefined {
  if (line === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}… (${text.length - chars} more characters)` : text;
}

/** One pass over the file; a file that cannot be read, or was copied with CRLF, is refused. */
function scanFile(path: string, maxLine: number): TraceScan {
  let scan: TraceScan;
  try {
    scan = scanTrace(path, maxLine);
  } catch (error) {
    if (error instanceof LimitError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such trace file'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot read it (${code})`;
    throw new UsageError(`hasim replay: ${path}: ${why}`);
  }
  if (scan.first === undefined || scan.first === '')
    throw new UsageError(
      `hasim replay: ${path}: not a hasim trace (the file is empty or starts with a blank line)`,
    );
  if (scan.crLine !== undefined) {
    throw new UsageError(
      `hasim replay: ${path}:${scan.crLine}: the trace has Windows (CRLF) line endings: it was copied as text; convert it back (dos2unix) to replay it`,
    );
  }
  return scan;
}

/** The footer, or the line that says the file was cut (no footer, or a last line without its newline). */
function checkFooter(path: string, scan: TraceScan): TraceFooter {
  const truncated = `hasim replay: ${path}: the trace ends without its footer line after ${scan.eventLines + 1} lines: the file was truncated, or the run that wrote it was interrupted`;
  if (scan.last === undefined || !scan.endsWithNewline) throw new UsageError(truncated);
  let footer: unknown;
  try {
    footer = JSON.parse(scan.last);
  } catch {
    throw new UsageError(truncated);
  }
  const f = (footer !== null && typeof footer === 'object' ? footer : {}) as Partial<TraceFooter>;
  if (typeof f.end !== 'string' || typeof f.traceHash !== 'string' || typeof f.events !== 'number')
    throw new UsageError(
      `hasim replay: ${path}: the last line is not a trace footer (expected "end", "events" and "traceHash")`,
    );
  if (f.end !== 'ok') out(`  note: the recorded run ended '${cut(f.end, 40)}'`);
  return f as TraceFooter;
}

/** Checks the header line's fields, its scenario against the scenario schemas. */
function checkHeader(path: string, value: unknown): TraceHeader {
  const notHeader = `hasim replay: ${path}:1: not a hasim trace header (missing "hasim": "trace")`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(notHeader);
  const header = value as Partial<TraceHeader>;
  if (header.hasim !== 'trace') throw new UsageError(notHeader);
  if ((value as { mode?: unknown }).mode === 'live') {
    throw new UsageError(
      `hasim replay: ${path}: a live run's trace (hasim live): real servers do not replay; run its scenario with hasim run, or hasim live --compare`,
    );
  }
  if (header.format !== TRACE_FORMAT) {
    throw new UsageError(
      `hasim replay: ${path}:1: trace format ${cut(String(header.format), 20)} is not supported (this hasim reads format ${TRACE_FORMAT})`,
    );
  }
  if (!(typeof header.seed === 'number' && Number.isSafeInteger(header.seed))) {
    if (typeof header.seed !== 'string')
      throw new UsageError(`hasim replay: ${path}:1: header.seed: expected an integer or a name`);
    try {
      parseSeed('replay', header.seed);
    } catch {
      throw new UsageError(`hasim replay: ${path}:1: header.seed: expected an integer or a name`);
    }
  }
  const checked = scenarioSchema.safeParse(header.scenario);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(
      `hasim replay: ${path}:1: header.scenario.${cut(issue?.path.join('.') ?? '', 60)}: ${issue?.message}`,
    );
  }
  const source = typeof header.source === 'string' ? header.source : '(unknown)';
  const hasimVersion = typeof header.hasimVersion === 'string' ? header.hasimVersion : '(unknown)';
  return { ...(header as TraceHeader), source, hasimVersion, scenario: checked.data as Scenario };
}

function parseJsonLine(path: string, where: string, text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new UsageError(`hasim replay: ${path}:${where === 'line 1' ? 1 : where}: not valid JSON`);
  }
}

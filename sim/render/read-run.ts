import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HASIM_VERSION, TRACE_FORMAT } from '../run.ts';
import { firstAndLastLine, readLines } from '../trace-file.ts';
import { DigestBuilder, type DigestEvent, type RunDigest, type RunInfo } from './digest.ts';

/**
 * Reads a run directory (`trace.jsonl` and `summary.json`, as `hasim run` writes them) into a
 * `RunDigest` in one streaming pass: the trace is read in chunks (sim/trace-file.ts) and only the
 * events the digest uses are parsed, so memory stays bounded whatever the trace's size.
 */

/** A run directory that is missing, incomplete or written by another hasim version. */
export class RunDirError extends Error {
  override readonly name = 'RunDirError';
}

/** The event line's prefix as `JsonlTrace` writes it: `{"t":<ms>,"c":"<component>","k":"<kind>"`. */
const PREFIX = /^\{"t":(-?[\d.e+-]+),"c":"((?:[^"\\]|\\.)*)","k":"((?:[^"\\]|\\.)*)"/;

/** Reads and digests `<dir>/trace.jsonl` and `<dir>/summary.json`; throws `RunDirError` with one line. */
export function readRun(dir: string): RunDigest {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new RunDirError(`${dir}: no such run directory`);
  const tracePath = join(dir, 'trace.jsonl');
  const summaryPath = join(dir, 'summary.json');
  if (!existsSync(tracePath))
    throw new RunDirError(`${dir}: no trace.jsonl (is this a hasim run directory?)`);
  if (!existsSync(summaryPath)) throw new RunDirError(`${dir}: no summary.json (the run did not finish)`);
  const { first, last } = firstAndLastLine(tracePath);
  const header = parseObject(first, `${tracePath}:1`);
  if (header.hasim !== 'trace') throw new RunDirError(`${tracePath}:1: not a hasim trace header`);
  if (header.format !== TRACE_FORMAT || header.hasimVersion !== HASIM_VERSION) {
    throw new RunDirError(
      `${dir}: written by hasim ${String(header.hasimVersion)} (trace format ${String(header.format)}); this is hasim ${HASIM_VERSION} (format ${TRACE_FORMAT}): run the scenario again`,
    );
  }
  const footer = first === last ? {} : parseObject(last, `${tracePath}: last line`);
  if (typeof footer.end !== 'string' || typeof footer.traceHash !== 'string')
    throw new RunDirError(`${tracePath}: no footer line (the run was interrupted)`);
  const summary = parseObject(readFileSync(summaryPath, 'utf8'), summaryPath);
  if (summary.traceHash !== footer.traceHash)
    throw new RunDirError(
      `${dir}: summary.json and trace.jsonl are from different runs (their trace hashes differ)`,
    );
  const simulatedMs = typeof footer.simulatedMs === 'number' ? footer.simulatedMs : num(summary.simulatedMs);
  const builder = new DigestBuilder(simulatedMs);
  streamEvents(tracePath, builder);
  return builder.finish(runInfo(header, footer, summary, simulatedMs));
}

/** Feeds every event line (not the header, not the footer) to the builder. */
function streamEvents(tracePath: string, builder: DigestBuilder): void {
  let index = 0;
  let pending: string | undefined;
  for (const line of readLines(tracePath)) {
    // The line before this one is an event unless it was the header; the last line is the footer.
    if (pending !== undefined && index > 1) takeLine(pending, index - 1, tracePath, builder);
    pending = line;
    index++;
  }
}

function takeLine(line: string, lineNo: number, path: string, builder: DigestBuilder): void {
  const m = PREFIX.exec(line);
  if (m === null) throw new RunDirError(`${path}:${lineNo}: not a trace event line`);
  const jsonString = (s: string) => (s.includes('\\') ? (JSON.parse(`"${s}"`) as string) : s);
  const c = jsonString(m[2] ?? '');
  const k = jsonString(m[3] ?? '');
  builder.count(c, k);
  if (!builder.wants(c, k)) {
    // Events that are only counted still move the series' buckets on.
    builder.advanceTo(Number(m[1]));
    return;
  }
  let e: DigestEvent;
  try {
    e = JSON.parse(line) as DigestEvent;
  } catch {
    throw new RunDirError(`${path}:${lineNo}: not valid JSON`);
  }
  builder.observe(e);
}

function runInfo(
  header: Record<string, unknown>,
  footer: Record<string, unknown>,
  summary: Record<string, unknown>,
  simulatedMs: number,
): RunInfo {
  const scenario = (header.scenario ?? {}) as Record<string, unknown>;
  const expectations = Array.isArray(summary.expectations)
    ? (summary.expectations as unknown[]).map((x) => {
        const o = (x ?? {}) as Record<string, unknown>;
        return { text: String(o.text ?? ''), measured: String(o.measured ?? ''), ok: o.ok === true };
      })
    : [];
  return {
    scenario: String(summary.scenario ?? scenario.name ?? '?'),
    kind: String(summary.kind ?? scenario.kind ?? '?'),
    description: typeof scenario.description === 'string' ? scenario.description : '',
    scenarioText: JSON.stringify(scenario, null, 2),
    seed: num(header.seed),
    source: String(header.source ?? '(built-in)'),
    hasimVersion: String(header.hasimVersion),
    traceHash: String(footer.traceHash),
    events: num(footer.events),
    simulatedMs,
    end: String(footer.end),
    expectations,
    verdict: typeof summary.verdict === 'string' ? summary.verdict : null,
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function parseObject(text: string, where: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RunDirError(`${where}: not valid JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new RunDirError(`${where}: not a JSON object`);
  return v as Record<string, unknown>;
}

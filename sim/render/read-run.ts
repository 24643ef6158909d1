import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HASIM_VERSION, TRACE_FORMAT } from '../run.ts';
import { readLines, scanTrace } from '../trace-file.ts';
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
  const scan = scanTrace(tracePath);
  const first = scan.first ?? '';
  const last = scan.last ?? first;
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

/** What the reader knows about one (component, kind): its names, its count, whether to parse it. */
interface KindEntry {
  readonly c: string;
  readonly k: string;
  readonly wanted: boolean;
  n: number;
}

/** Feeds every event line (not the header, not the footer) to the builder, then the counts. */
function streamEvents(tracePath: string, builder: DigestBuilder): void {
  const kinds = new Map<string, KindEntry>();
  let index = 0;
  let pending: string | undefined;
  for (const line of readLines(tracePath)) {
    // The line before this one is an event unless it was the header; the last line is the footer.
    if (pending !== undefined && index > 1) takeLine(pending, index - 1, tracePath, builder, kinds);
    pending = line;
    index++;
  }
  for (const e of kinds.values()) builder.count(e.c, e.k, e.n);
}

const T_AT = '{"t":'.length;
const C_KEY = ',"c":"';
const K_KEY = '","k":"';

/**
 * One event line. Its prefix (`{"t":…,"c":"…","k":"…"`, JsonlTrace's fixed key order) is cut with
 * indexOf, and the (component, kind) looked up once per distinct pair: most lines are only counted,
 * and a 300,000-request run has millions of them. A name with an escape goes through PREFIX.
 */
function takeLine(
  line: string,
  lineNo: number,
  path: string,
  builder: DigestBuilder,
  kinds: Map<string, KindEntry>,
): void {
  const ci = line.startsWith('{"t":') ? line.indexOf(C_KEY, T_AT) : -1;
  const ki = ci < 0 ? -1 : line.indexOf(K_KEY, ci + C_KEY.length);
  const ke = ki < 0 ? -1 : line.indexOf('"', ki + K_KEY.length);
  if (ke < 0) throw new RunDirError(`${path}:${lineNo}: not a trace event line`);
  const key = line.slice(ci + C_KEY.length, ke);
  let entry = kinds.get(key);
  if (entry === undefined) {
    entry = newEntry(line, lineNo, path, builder);
    kinds.set(key, entry);
  }
  entry.n++;
  if (!entry.wanted && !builder.following) {
    // Events that are only counted still move the series' buckets on.
    builder.advanceTo(Number(line.slice(T_AT, ci)));
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

function newEntry(line: string, lineNo: number, path: string, builder: DigestBuilder): KindEntry {
  const m = PREFIX.exec(line);
  if (m === null) throw new RunDirError(`${path}:${lineNo}: not a trace event line`);
  const c = jsonString(m[2] ?? '');
  const k = jsonString(m[3] ?? '');
  return { c, k, wanted: builder.wants(c, k), n: 0 };
}

/** A JSON string's body, unescaped only when it has an escape (component and kind names rarely do). */
function jsonString(s: string): string {
  return s.includes('\\') ? (JSON.parse(`"${s}"`) as string) : s;
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

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { familyOf } from '../../src/ports/trace-events.ts';
import { LIMITS } from '../limits.ts';
import { HASIM_VERSION, TRACE_FORMAT } from '../run.ts';
import { DigestBuilder, type DigestEvent, type RunDigest, type RunInfo } from './digest.ts';
import { eachLine, type TraceEnds, traceEnds } from './trace-bytes.ts';

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
  // The header and the footer are read from the file's two ends: the events are read once, below.
  const ends = traceEnds(tracePath, LIMITS.traceLineBytes.defaultValue);
  const { first, last } = ends;
  if (first.trim() === '') throw new RunDirError(`${tracePath}: empty (the run wrote nothing)`);
  const header = parseObject(first, `${tracePath}:1`);
  if (header.hasim !== 'trace') throw new RunDirError(`${tracePath}:1: not a hasim trace header`);
  if (header.format !== TRACE_FORMAT || header.hasimVersion !== HASIM_VERSION) {
    throw new RunDirError(
      `${dir}: written by hasim ${String(header.hasimVersion)} (trace format ${String(header.format)}); this is hasim ${HASIM_VERSION} (format ${TRACE_FORMAT}): run the scenario again`,
    );
  }
  // A trace cut mid-line ends in half an event: as much a missing footer as a whole last event.
  let footer: Record<string, unknown> = {};
  try {
    if (first !== last) footer = parseObject(last, `${tracePath}: last line`);
  } catch {}
  if (typeof footer.end !== 'string' || typeof footer.traceHash !== 'string')
    throw new RunDirError(`${tracePath}: no footer line (the run was interrupted)`);
  const summary = parseObject(readFileSync(summaryPath, 'utf8'), summaryPath);
  if (summary.traceHash !== footer.traceHash)
    throw new RunDirError(
      `${dir}: summary.json and trace.jsonl are from different runs (their trace hashes differ)`,
    );
  const simulatedMs = typeof footer.simulatedMs === 'number' ? footer.simulatedMs : num(summary.simulatedMs);
  const builder = new DigestBuilder(simulatedMs);
  streamEvents(tracePath, ends, builder);
  return builder.finish(runInfo(header, footer, summary, simulatedMs));
}

/** What the reader knows about one (component, kind): its names, its count, whether to parse it. */
interface KindEntry {
  /** The line's bytes from the component's first character to the kind's last. */
  readonly key: Buffer;
  readonly c: string;
  readonly k: string;
  readonly wanted: boolean;
  /** A request's first event (`gateway request`): mostly only counted in flight. */
  readonly requestStart: boolean;
  n: number;
  /** The next entry with the same hash. */
  next: KindEntry | undefined;
}

const OPEN = Buffer.from('{"t":');
const C_KEY = Buffer.from(',"c":"');
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;

/**
 * Feeds every event line (between the header and the footer) to the builder, then the counts.
 * Each line's prefix (`{"t":…,"c":"…","k":"…"`, JsonlTrace's fixed key order) is read in place,
 * byte by byte: the (component, kind) is hashed there and looked up among the distinct pairs seen,
 * and the time is read as digits. Only lines the digest wants become a string and go through
 * JSON.parse; most lines of a large run are only counted.
 */
function streamEvents(tracePath: string, ends: TraceEnds, builder: DigestBuilder): void {
  const table = new Map<number, KindEntry>();
  const entries: KindEntry[] = [];
  const notEvent = (lineNo: number) => new RunDirError(`${tracePath}:${lineNo}: not a trace event line`);
  const visit = (b: Buffer, start: number, end: number, lineNo: number) => {
    if (!startsWith(b, start, end, OPEN)) throw notEvent(lineNo);
    // The time: digits up to the comma (a fraction or exponent goes through Number()).
    let i = start + OPEN.length;
    let t = 0;
    let plain = true;
    for (; i < end; i++) {
      const ch = b[i] as number;
      if (ch === COMMA) break;
      if (ch >= 0x30 && ch <= 0x39) t = t * 10 + (ch - 0x30);
      else plain = false;
    }
    if (!plain) t = Number(b.toString('latin1', start + OPEN.length, i));
    if (!startsWith(b, i, end, C_KEY)) throw notEvent(lineNo);
    // The component and the kind, hashed as one run of bytes (`gateway/gw-1","k":"request`).
    const keyStart = i + C_KEY.length;
    let quotes = 0;
    let hash = 0;
    let j = keyStart;
    for (; j < end; j++) {
      const ch = b[j] as number;
      if (ch === BACKSLASH) j++;
      else if (ch === QUOTE && ++quotes === 5) break;
      hash = (Math.imul(hash, 31) + ch) | 0;
    }
    if (j >= end) throw notEvent(lineNo);
    let entry = table.get(hash);
    while (entry !== undefined && !sameBytes(b, keyStart, j, entry.key)) entry = entry.next;
    if (entry === undefined) {
      entry = newEntry(b.toString('utf8', start, end), lineNo, tracePath, builder, b.subarray(keyStart, j));
      entry.next = table.get(hash);
      table.set(hash, entry);
      entries.push(entry);
    }
    entry.n++;
    // Events that are only counted still move the series' buckets on. While requests are being
    // followed, an event the digest does not want matters only if it is one of theirs: its `id`,
    // read in place (see notFollowed).
    if (!entry.wanted && (!builder.following || notFollowed(b, j + 1, end, builder))) {
      builder.advanceTo(t);
      return;
    }
    if (entry.requestStart && !builder.followsNewRequests) {
      builder.requestStarted(t);
      return;
    }
    let e: DigestEvent;
    try {
      e = JSON.parse(b.toString('utf8', start, end)) as DigestEvent;
    } catch {
      throw new RunDirError(`${tracePath}:${lineNo}: not valid JSON`);
    }
    builder.observe(e);
  };
  eachLine(
    tracePath,
    { from: ends.eventsFrom, to: ends.eventsTo, firstLineNo: 2 },
    LIMITS.traceLineBytes.defaultValue,
    visit,
    (lineNo) =>
      new RunDirError(`${tracePath}:${lineNo}: longer than ${LIMITS.traceLineBytes.defaultValue} bytes`),
  );
  for (const e of entries) builder.count(e.c, e.k, e.n);
}

const ID_KEY = Buffer.from(',"id":');

/**
 * Whether the event at `b[at, end)` (just past its kind) belongs to no followed request: it has no
 * `"id":` field holding the id of one. Every top-level field follows a comma, and a string that
 * holds `,"id":` holds it escaped, so a match is a field (top-level or nested: either way a nested
 * one only costs a parse).
 */
function notFollowed(b: Uint8Array, at: number, end: number, builder: DigestBuilder): boolean {
  const last = end - ID_KEY.length;
  for (let i = at; i <= last; i++) {
    if (b[i] !== COMMA || !startsWith(b, i, end, ID_KEY)) continue;
    let id = 0;
    let j = i + ID_KEY.length;
    for (; j < end; j++) {
      const ch = b[j] as number;
      if (ch < 0x30 || ch > 0x39) break;
      id = id * 10 + (ch - 0x30);
    }
    if (j === i + ID_KEY.length || builder.follows(id)) return false; // not a plain integer, or followed
  }
  return true;
}

/** Whether `b[at, end)` begins with `prefix` (a loop: Buffer.compare costs more per call than this). */
function startsWith(b: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

/** Whether `b[from, to)` holds exactly the bytes of `key`. */
function sameBytes(b: Uint8Array, from: number, to: number, key: Uint8Array): boolean {
  if (to - from !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[from + i] !== key[i]) return false;
  return true;
}

function newEntry(
  line: string,
  lineNo: number,
  path: string,
  builder: DigestBuilder,
  key: Buffer,
): KindEntry {
  const m = PREFIX.exec(line);
  if (m === null) throw new RunDirError(`${path}:${lineNo}: not a trace event line`);
  const c = jsonString(m[2] ?? '');
  const k = jsonString(m[3] ?? '');
  const requestStart = familyOf(c) === 'gateway' && k === 'request';
  return { key: Buffer.from(key), c, k, wanted: builder.wants(c, k), requestStart, n: 0, next: undefined };
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

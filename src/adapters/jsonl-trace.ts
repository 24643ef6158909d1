import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Clock } from '../ports/clock.ts';
import type { TraceFields, TraceSink } from '../ports/trace.ts';
import { checkTraceEvent } from '../ports/trace-events.ts';
import { asciiBytes, type KeyMemo, writeAsciiLine } from './jsonl-ascii.ts';
import { fieldsJson } from './jsonl-fields.ts';
import { WriterThread } from './jsonl-writer-thread.ts';

/** Options of `JsonlTrace`. */
export interface JsonlTraceOptions {
  /** File to stream the trace to; none keeps only the hash and counters. */
  readonly path?: string;
  /** First line of the file: what the trace is of (scenario, seed, version). Not hashed. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Keep up to this many event lines in memory (`lines`), for tests. @defaultValue 0 */
  readonly keepLines?: number;
  /** Bytes buffered before a write to the file. @defaultValue 256 KiB */
  readonly flushBytes?: number;
  /**
   * Hash and write the chunks on a second thread (WriterThread): for long runs, whose trace is
   * hundreds of MB. The file and the hash are the same either way. @defaultValue false
   */
  readonly thread?: boolean;
  /**
   * Which events are checked against the vocabulary: the first of each (component, kind), every
   * one (tests: catches a field of the wrong type on any event), or none (tests of the trace
   * mechanism itself, which emit made-up events). @defaultValue 'first'
   */
  readonly check?: 'first' | 'every' | 'off';
  /**
   * Called once, at the emit that takes the trace past `eventsMax` events or `charsMax` characters
   * of event lines (the kernel's trace budgets: it fails the run at its next step, so a run costs
   * nothing per step for them). @defaultValue no budget
   */
  readonly budget?: {
    readonly eventsMax: number;
    readonly charsMax: number;
    readonly onExceeded: () => void;
  };
}

/**
 * `Buffer.prototype.utf8Write(string, offset)`: what `buf.write(string, offset, 'utf8')` calls
 * after checking its arguments (lib/buffer.js), without that check's cost on every line (1.9% of a
 * gateway run); the offset is always in range here and room for the line was checked.
 */
type Utf8Writable = Buffer & { utf8Write(text: string, offset: number): number };

/** An event kind's `,"c":…,"k":…` text, and its bytes when it is ASCII. */
interface Prefix {
  readonly text: string;
  readonly bytes: Uint8Array | undefined;
  /** The keys its events had (see KeyMemo). */
  readonly keys: KeyMemo;
}

/** Room past `flushBytes` in the chunk, so a line that takes it past the flush size still fits. */
const CHUNK_SLACK_BYTES = 64 * 1024;

/**
 * The canonical trace: one JSON event per line, keys in a fixed order (`t`, `c`, `k`, then the
 * event's fields as the emitter wrote them), streamed to disk in synchronous chunks (no streams:
 * they queue `process.nextTick`, which is a tripwire during a run) with a rolling SHA-256 over the
 * event lines, here or on a second thread (`thread`). Memory stays bounded however long the run:
 * one chunk is held, or the writer thread's ring of them.
 */
export class JsonlTrace implements TraceSink {
  readonly #clock: Clock;
  readonly #hash: Hash = createHash('sha256');
  readonly #fd: number | undefined;
  readonly #flushBytes: number;
  readonly #keepLines: number;
  readonly #kept: string[] = [];
  /** component → kind → the line's `,"c":…,"k":…` text, and its bytes when it is ASCII. */
  readonly #kinds = new Map<string, Map<string, Prefix>>();
  readonly #checkEvery: boolean;
  readonly #checkFirst: boolean;
  #budget: JsonlTraceOptions['budget'];
  /**
   * The chunk being filled: event lines encoded as UTF-8 as they are emitted (no string of the
   * whole chunk is built, and none is encoded again at the flush). `#used` bytes are filled.
   */
  #chunk: Buffer;
  #used = 0;
  /** The thread that hashes and writes the chunks, if the trace has one (then `#hash` is unused). */
  readonly #writer: WriterThread | undefined;
  #events = 0;
  /** UTF-16 code units of every event line so far. */
  #chars = 0;
  #closed = false;

  constructor(clock: Clock, options: JsonlTraceOptions = {}) {
    this.#clock = clock;
    this.#flushBytes = options.flushBytes ?? 256 * 1024;
    const chunkBytes = this.#flushBytes + CHUNK_SLACK_BYTES;
    this.#keepLines = options.keepLines ?? 0;
    this.#checkEvery = options.check === 'every';
    this.#checkFirst = (options.check ?? 'first') === 'first';
    this.#budget = options.budget;
    const header = options.header ? `${JSON.stringify(options.header)}\n` : undefined;
    if (options.thread === true) {
      // Opened here, so a path that cannot be written is refused at once; emptied on the thread.
      if (options.path !== undefined)
        this.#fd = openSync(options.path, constants.O_WRONLY | constants.O_CREAT);
      this.#writer = new WriterThread(this.#fd, header, chunkBytes);
      this.#chunk = this.#writer.chunk;
      return;
    }
    this.#chunk = Buffer.allocUnsafe(chunkBytes);
    if (options.path !== undefined) {
      this.#fd = openSync(options.path, 'w');
      if (header !== undefined) writeSync(this.#fd, header);
    }
  }

  emit(component: string, kind: string, fields?: TraceFields): void {
    if (this.#closed) throw new Error(`trace: emit(${component}, ${kind}) after close`);
    // Looked up by component, then kind: both are usually the same string objects every time,
    // so neither lookup hashes a new string.
    let byKind = this.#kinds.get(component);
    if (byKind === undefined) {
      byKind = new Map();
      this.#kinds.set(component, byKind);
    }
    let known = byKind.get(kind);
    if (known === undefined) {
      // The first event of each (component, kind) is checked against the vocabulary
      // (src/ports/trace-events.ts): an undeclared kind or field fails the run where it is emitted.
      if (this.#checkFirst) checkTraceEvent(component, kind, fields);
      const text = `,"c":${JSON.stringify(component)},"k":${JSON.stringify(kind)}`;
      known = { text, bytes: asciiBytes(text), keys: { keys: [], bytes: [] } };
      byKind.set(kind, known);
    }
    const prefix = known.text;
    if (this.#checkEvery) checkTraceEvent(component, kind, fields);
    this.#events++;
    const t = this.#clock.now();
    // The line is written straight into the chunk when it is ASCII and fits (writeAsciiLine); else,
    // and for a line kept in memory, it is built as a string and encoded. The bytes are the same.
    const start = this.#used;
    const end =
      this.#kept.length < this.#keepLines || known.bytes === undefined
        ? -1
        : writeAsciiLine(this.#chunk, start, t, known.bytes, fields, known.keys);
    let chars: number;
    if (end >= 0) {
      this.#used = end;
      chars = end - start;
    } else {
      const line =
        fields === undefined ? `{"t":${t}${prefix}}\n` : `{"t":${t}${prefix}${fieldsJson(fields)}}\n`;
      if (this.#kept.length < this.#keepLines) this.#kept.push(line.slice(0, -1));
      chars = line.length;
      this.#writeLine(line);
    }
    const budget = this.#budget;
    if (budget !== undefined && (this.#events > budget.eventsMax || this.#chars + chars > budget.charsMax)) {
      this.#budget = undefined;
      budget.onExceeded();
    }
    this.#chars += chars;
    if (this.#used >= this.#flushBytes) this.#flush();
  }

  // Encodes a line into the chunk, flushing first if it might not fit.
  #writeLine(line: string): void {
    // At most 3 UTF-8 bytes per UTF-16 code unit (a surrogate pair is 4 bytes for 2 units).
    const most = line.length * 3;
    if (this.#used + most > this.#chunk.length) {
      this.#flush();
      if (most > this.#chunk.length) {
        this.#write(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.#used += (this.#chunk as Utf8Writable).utf8Write(line, this.#used);
  }

  /** Events emitted so far. */
  get events(): number {
    return this.#events;
  }

  /**
   * Size of the event lines so far, in characters (bytes for ASCII, which JSON escapes make of
   * nearly every trace): what the kernel's trace size budget counts.
   */
  get chars(): number {
    return this.#chars;
  }

  /** Hex SHA-256 of every event line so far (header and footer excluded). */
  get hash(): string {
    if (this.#writer !== undefined) return this.#writer.digest(this.#used);
    const h = this.#hash.copy();
    h.update(this.#chunk.subarray(0, this.#used));
    return h.digest('hex');
  }

  /** The first `keepLines` event lines, without their newline. */
  get lines(): readonly string[] {
    return this.#kept;
  }

  /** Flushes, writes `footer` as the last line (not hashed), and closes the file. Idempotent. */
  close(footer?: Readonly<Record<string, unknown>>): void {
    if (this.#closed) return;
    try {
      this.#flush();
      this.#writer?.finish();
    } catch (error) {
      this.#closed = true;
      if (this.#fd !== undefined) closeSync(this.#fd);
      throw error;
    }
    this.#closed = true;
    if (this.#fd !== undefined) {
      if (footer) writeSync(this.#fd, `${JSON.stringify(footer)}\n`);
      closeSync(this.#fd);
    }
  }

  #flush(): void {
    if (this.#used === 0) return;
    if (this.#writer !== undefined) {
      this.#writer.publish(this.#used);
      this.#chunk = this.#writer.chunk;
    } else this.#write(this.#chunk.subarray(0, this.#used));
    this.#used = 0;
  }

  // Hashes and writes encoded event lines.
  #write(bytes: Buffer): void {
    if (this.#writer !== undefined) {
      // Through the ring, a chunk's worth at a time (a line longer than a chunk; the chunk is empty).
      for (let at = 0; at < bytes.length; ) {
        const n = Math.min(this.#chunk.length, bytes.length - at);
        bytes.copy(this.#chunk, 0, at, at + n);
        this.#used = n;
        this.#flush();
        at += n;
      }
      return;
    }
    this.#hash.update(bytes);
    if (this.#fd !== undefined) writeSync(this.#fd, bytes);
  }
}

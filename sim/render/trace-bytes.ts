import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reading a trace file as bytes, for the report: a 300,000-request run writes about 4 million
 * lines (400 MB), and most of them the report only counts. Decoding every line into a string costs
 * more than everything else the report does, so lines are handed over as byte ranges of a reused
 * buffer, and only the lines the digest parses become strings. The header and the footer are read
 * from the file's two ends without a pass over the rest.
 */

/** Bytes read per chunk, and the smallest buffer a line is assembled in. */
const CHUNK_BYTES = 1 << 20;

/** The first and the last line of a trace, and where the lines between them lie (bytes). */
export interface TraceEnds {
  /** The first line, without its newline. */
  readonly first: string;
  /** The last line (equal to `first` for a file of one line). */
  readonly last: string;
  /** Offset just after the first line's newline: where the event lines begin. */
  readonly eventsFrom: number;
  /** Offset where the last line begins (the footer): where the event lines end. */
  readonly eventsTo: number;
}

/**
 * The two ends of a file of lines. A line longer than `maxLineBytes` is cut there (the caller's
 * JSON parse then fails with one clear line).
 */
export function traceEnds(path: string, maxLineBytes: number): TraceEnds {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const read = (at: number, n: number) => {
      const b = Buffer.allocUnsafe(n);
      return b.subarray(0, readSync(fd, b, 0, n, at));
    };
    // The first line: forward from 0 until a newline.
    const head: Buffer[] = [];
    let headEnd = -1;
    for (let at = 0; at < size && at < maxLineBytes; at += CHUNK_BYTES) {
      const chunk = read(at, Math.min(CHUNK_BYTES, size - at));
      const nl = chunk.indexOf(10);
      head.push(nl < 0 ? chunk : chunk.subarray(0, nl));
      if (nl >= 0) {
        headEnd = at + nl;
        break;
      }
    }
    const first = Buffer.concat(head).toString('utf8');
    if (headEnd < 0) return { first, last: first, eventsFrom: size, eventsTo: size };
    // The last line: backward from the end (past one final newline) until a newline.
    const end = read(size - 1, 1)[0] === 10 ? size - 1 : size;
    const tail: Buffer[] = [];
    let start = end;
    while (start > headEnd + 1 && end - start < maxLineBytes) {
      const from = Math.max(headEnd + 1, start - CHUNK_BYTES);
      const chunk = read(from, start - from);
      const nl = chunk.lastIndexOf(10);
      tail.unshift(nl < 0 ? chunk : chunk.subarray(nl + 1));
      start = nl < 0 ? from : from + nl + 1;
      if (nl >= 0) break;
    }
    if (end <= headEnd + 1) return { first, last: first, eventsFrom: size, eventsTo: size };
    return { first, last: Buffer.concat(tail).toString('utf8'), eventsFrom: headEnd + 1, eventsTo: start };
  } finally {
    closeSync(fd);
  }
}

/** Called with each line as `buffer[start, end)` (no newline) and its 1-based number in the file. */
export type LineVisitor = (buffer: Buffer, start: number, end: number, lineNo: number) => void;

/**
 * Visits every line of `path` between byte offsets `from` and `to` (both at line starts), in order.
 * The buffer is reused: a visitor copies what it keeps. A line longer than `maxLineBytes` throws
 * `tooLong(lineNo)`.
 */
export function eachLine(
  path: string,
  range: { readonly from: number; readonly to: number; readonly firstLineNo: number },
  maxLineBytes: number,
  visit: LineVisitor,
  tooLong: (lineNo: number) => Error,
): void {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let kept = 0; // bytes of an unfinished line carried to the buffer's start
    let at = range.from;
    let lineNo = range.firstLineNo;
    while (at < range.to) {
      if (kept === buffer.length) {
        if (buffer.length >= maxLineBytes) throw tooLong(lineNo);
        const bigger = Buffer.allocUnsafe(Math.min(maxLineBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, kept, Math.min(buffer.length - kept, range.to - at), at);
      if (n === 0) break;
      at += n;
      const filled = kept + n;
      let start = 0;
      for (let nl = buffer.indexOf(10, 0); nl >= 0 && nl < filled; nl = buffer.indexOf(10, start)) {
        if (nl - start > maxLineBytes) throw tooLong(lineNo);
        visit(buffer, start, nl, lineNo++);
        start = nl + 1;
      }
      kept = filled - start;
      if (kept > maxLineBytes) throw tooLong(lineNo);
      buffer.copy(buffer, 0, start, filled);
    }
    // `to` is a line start, so nothing is left over unless the file changed underneath.
    if (kept > 0) visit(buffer, 0, kept, lineNo);
  } finally {
    closeSync(fd);
  }
}

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LIMITS, LimitError } from './limits.ts';

/**
 * Reading trace files back (for `hasim replay`) in bounded memory: a one-hour trace is ~90 MB,
 * so nothing here holds a whole file. Lines are read in 1 MiB chunks, decoded as UTF-8 across
 * chunk boundaries; a line longer than the line limit is a `LimitError`, so memory stays bounded
 * by that limit whatever the file holds, and each character is scanned for a newline once.
 */

const CHUNK_BYTES = 1 << 20;

/**
 * Every line of a file, without its newline; a final empty segment (after the last \n) is not a
 * line. @param maxLineChars longest line accepted. @defaultValue LIMITS.traceLineBytes
 */
export function* readLines(
  path: string,
  maxLineChars: number = LIMITS.traceLineBytes.defaultValue,
): Generator<string, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let line = 0;
    const tooLong = () =>
      new LimitError('traceLineBytes', maxLineChars, `${path}:${line + 1}`, 'the line is longer');
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      // Only the new text can hold a newline: `pending` was scanned before.
      let scanFrom = pending.length;
      pending += decoder.write(buffer.subarray(0, n));
      let start = 0;
      for (let nl = pending.indexOf('\n', scanFrom); nl >= 0; nl = pending.indexOf('\n', start)) {
        if (nl - start > maxLineChars) throw tooLong();
        yield pending.slice(start, nl);
        line++;
        start = nl + 1;
      }
      scanFrom = 0;
      pending = pending.slice(start);
      if (pending.length > maxLineChars) throw tooLong();
    }
    pending += decoder.end();
    if (pending.length > 0) yield pending;
  } finally {
    closeSync(fd);
  }
}

/** What one pass over a trace file finds, before anything is re-run. */
export interface TraceScan {
  /** The first line (the header), if any. */
  readonly first: string | undefined;
  /** The last line (the footer, unless the file was cut), if there are two lines or more. */
  readonly last: string | undefined;
  /** Lines between the first and the last. */
  readonly eventLines: number;
  /** SHA-256 of those lines with their newlines: what the footer's `traceHash` records. */
  readonly eventHash: string;
  /** The 1-based number of the first line ending in a carriage return (a CRLF copy), if any. */
  readonly crLine: number | undefined;
  /** Whether the file ends with a newline (a file cut mid-line does not). */
  readonly endsWithNewline: boolean;
}

/** Reads a trace file once: its ends, its event lines' count and hash, and how its lines end. */
export function scanTrace(path: string, maxLineChars?: number): TraceScan {
  const hash = createHash('sha256');
  let first: string | undefined;
  let previous: string | undefined;
  let index = 0;
  let crLine: number | undefined;
  for (const line of readLines(path, maxLineChars)) {
    // The line before this one was not the footer; hash it unless it was the header.
    if (previous !== undefined && index > 1) hash.update(`${previous}\n`);
    if (index === 0) first = line;
    if (crLine === undefined && line.endsWith('\r')) crLine = index + 1;
    previous = line;
    index++;
  }
  return {
    first,
    last: index >= 2 ? previous : undefined,
    eventLines: Math.max(0, index - 2),
    eventHash: hash.digest('hex'),
    crLine,
    endsWithNewline: endsWithNewline(path),
  };
}

function endsWithNewline(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return false;
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Where two trace files first differ, with the line after it in each (to recognise a swap). */
export interface TraceDifference {
  /** 1-based event number (the header is event 0). */
  readonly event: number;
  readonly recorded: string | undefined;
  readonly replayed: string | undefined;
  readonly recordedNext: string | undefined;
  readonly replayedNext: string | undefined;
}

/** The first event line (1-based, header excluded) where two trace files differ, if any. */
export function firstDifference(
  recordedPath: string,
  replayedPath: string,
  maxLineChars?: number,
): TraceDifference | undefined {
  const a = readLines(recordedPath, maxLineChars);
  const b = readLines(replayedPath, maxLineChars);
  for (let i = 0; ; i++) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) return undefined;
    if (i === 0) continue; // headers may differ in their source path
    if (x.value !== y.value) {
      const xn = x.done ? undefined : a.next();
      const yn = y.done ? undefined : b.next();
      return {
        event: i,
        recorded: x.done ? undefined : x.value,
        replayed: y.done ? undefined : y.value,
        recordedNext: xn === undefined || xn.done ? undefined : xn.value,
        replayedNext: yn === undefined || yn.done ? undefined : yn.value,
      };
    }
  }
}

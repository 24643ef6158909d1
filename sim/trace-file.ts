import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reading trace files back (for `hasim replay`) in bounded memory: a one-hour trace is ~90 MB,
 * so nothing here holds a whole file. Lines are read in 1 MiB chunks, decoded as UTF-8 across
 * chunk boundaries.
 */

const CHUNK_BYTES = 1 << 20;

/** Every line of a file, without its newline; a final empty segment (after the last \n) is not a line. */
export function* readLines(path: string): Generator<string, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      pending += decoder.write(buffer.subarray(0, n));
      let start = 0;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', start)) {
        yield pending.slice(start, nl);
        start = nl + 1;
      }
      pending = pending.slice(start);
    }
    pending += decoder.end();
    if (pending.length > 0) yield pending;
  } finally {
    closeSync(fd);
  }
}

/** The first line and the last non-empty line of a file (at most `tailBytes` long). */
export function firstAndLastLine(path: string, tailBytes = 64 * 1024): { first: string; last: string } {
  let first = '';
  for (const line of readLines(path)) {
    first = line;
    break;
  }
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const tail = buffer.toString('utf8').trimEnd();
    return { first, last: tail.slice(tail.lastIndexOf('\n') + 1) };
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a trace file's event lines (all but the header and the footer), with their newlines. */
export function hashEventLines(path: string): string {
  const hash = createHash('sha256');
  let index = 0;
  let previous: string | undefined;
  for (const line of readLines(path)) {
    // The line before this one was not the footer; hash it unless it was the header.
    if (previous !== undefined && index > 1) hash.update(`${previous}\n`);
    previous = line;
    index++;
  }
  return hash.digest('hex');
}

/** The first event line (1-based, header excluded) where two trace files differ, if any. */
export function firstDifference(
  recordedPath: string,
  replayedPath: string,
): { event: number; recorded: string; replayed: string } | undefined {
  const a = readLines(recordedPath);
  const b = readLines(replayedPath);
  for (let i = 0; ; i++) {
    const x = a.next();
    const y = b.next();
    if (x.done && y.done) return undefined;
    if (i === 0) continue; // headers may differ in their source path
    if (x.value !== y.value) {
      return { event: i, recorded: x.done ? '(end)' : x.value, replayed: y.done ? '(end)' : y.value };
    }
  }
}

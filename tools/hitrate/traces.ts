import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMITS, LimitError } from '../../sim/limits.ts';
import type { Random } from '../../src/ports/random.ts';

/** A key trace: one int32 key per request. */
export interface KeyTrace {
  /** Short name printed in tables, e.g. 'web07' or 'zipf(0.99)'. */
  readonly name: string;
  readonly keys: Int32Array;
}

/** The repository root (two levels above this file). */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where the real traces live: `data/traces/` in the repository (cache2k's web07 and web12,
 * © headissue GmbH / Jens Wilke, CC BY 4.0; see data/traces/README.md for the attribution).
 */
export const REAL_TRACES_DIR = path.resolve(REPO_ROOT, 'data/traces');

/** The real traces the simulator knows, by name. */
export const REAL_TRACES = ['web07', 'web12'] as const;
export type RealTraceName = (typeof REAL_TRACES)[number];

/** Decodes a flat sequence of big-endian signed 32-bit keys (the format of `web07.bin`). */
export function decodeInt32BigEndian(bytes: Uint8Array): Int32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new RangeError(`trace: length ${bytes.byteLength} is not a multiple of 4 (int32 keys expected)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keys = new Int32Array(bytes.byteLength / 4);
  for (let i = 0; i < keys.length; i++) keys[i] = view.getInt32(i * 4, false);
  return keys;
}

/** The path of a real trace in `dir`. */
export function realTracePath(name: RealTraceName, dir = REAL_TRACES_DIR): string {
  return path.join(dir, `${name}.bin`);
}

/** Reads a real trace (throws with the path when it is missing). */
export function readRealTrace(name: RealTraceName, dir = REAL_TRACES_DIR): KeyTrace {
  const file = realTracePath(name, dir);
  if (!existsSync(file)) throw new Error(`trace ${name}: ${file} not found`);
  return { name, keys: decodeInt32BigEndian(readFileSync(file)) };
}

/**
 * Reads any file of big-endian int32 keys, at most `maxKeys` of them (a `LimitError` beyond): no
 * more than that is read, so a huge file, a FIFO or /dev/zero costs no more than a file at the limit.
 */
export function readTraceFile(file: string, maxKeys: number = LIMITS.keyTraceKeys.defaultValue): KeyTrace {
  const maxBytes = maxKeys * 4;
  const fd = openSync(file, 'r');
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new RangeError(`trace: ${file} is a directory`);
    // A regular file's size is known: refuse it before reading (a device or FIFO is read up to the limit).
    if (stat.isFile() && stat.size > maxBytes)
      throw new LimitError('keyTraceKeys', maxKeys, file, 'the file holds more keys');
    const chunk = Buffer.alloc(1 << 16);
    const chunks: Buffer[] = [];
    let total = 0;
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > maxBytes) throw new LimitError('keyTraceKeys', maxKeys, file, 'the file holds more keys');
    }
    bytes = Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
  return { name: path.basename(file).replace(/\.bin$/, ''), keys: decodeInt32BigEndian(bytes) };
}

// Scatters ranks over the int32 space so that popular keys are not neighbours (as the YCSB
// "scrambled zipfian" of Caffeine's simulator does); a bijection, so distinct ranks stay distinct.
function scramble(rank: number): number {
  return Math.imul(rank + 1, 0x9e37_79b1) | 0;
}

/**
 * Zipf-distributed requests over `distinct` keys: rank r (1-based) has probability ∝ 1/r^exponent.
 * Drawn by inverse CDF with the injected random (deterministic for a seed).
 */
export function zipfTrace(
  random: Random,
  options: { requests: number; distinct: number; exponent: number },
): KeyTrace {
  const { requests, distinct, exponent } = options;
  if (!(Number.isSafeInteger(requests) && requests > 0))
    throw new RangeError('zipfTrace: requests must be > 0');
  if (!(Number.isSafeInteger(distinct) && distinct > 0))
    throw new RangeError('zipfTrace: distinct must be > 0');
  if (!(exponent > 0)) throw new RangeError('zipfTrace: exponent must be > 0');
  const cdf = zipfCdf(distinct, exponent);
  const keys = new Int32Array(requests);
  for (let i = 0; i < requests; i++) keys[i] = scramble(sampleCdf(cdf, random.next()));
  return { name: `zipf(${exponent})`, keys };
}

/** `cycles` passes over the same `distinct` keys in order: LRU's worst case when distinct > size. */
export function loopTrace(options: { distinct: number; cycles: number }): KeyTrace {
  const { distinct, cycles } = options;
  const keys = new Int32Array(distinct * cycles);
  for (let i = 0; i < keys.length; i++) keys[i] = scramble(i % distinct);
  return { name: `loop(${distinct})`, keys };
}

/**
 * Zipf requests mixed with a sequential scan of keys never seen again (a batch job or crawler
 * sweeping the key space): each request is the next scan key with probability `scanShare`.
 */
export function scanZipfTrace(
  random: Random,
  options: { requests: number; distinct: number; exponent: number; scanShare: number },
): KeyTrace {
  const { requests, distinct, exponent, scanShare } = options;
  if (!(scanShare >= 0 && scanShare <= 1)) throw new RangeError('scanZipfTrace: scanShare must be in [0, 1]');
  const cdf = zipfCdf(distinct, exponent);
  const keys = new Int32Array(requests);
  let scan = distinct;
  for (let i = 0; i < requests; i++) {
    keys[i] = random.next() < scanShare ? scramble(scan++) : scramble(sampleCdf(cdf, random.next()));
  }
  return { name: `scan+zipf(${scanShare})`, keys };
}

function zipfCdf(distinct: number, exponent: number): Float64Array {
  const cdf = new Float64Array(distinct);
  let sum = 0;
  for (let r = 1; r <= distinct; r++) {
    sum += 1 / r ** exponent;
    cdf[r - 1] = sum;
  }
  for (let i = 0; i < distinct; i++) cdf[i]! /= sum;
  return cdf;
}

// The smallest index whose cumulative probability exceeds u (binary search).
function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The number of distinct keys in a trace. */
export function distinctKeys(trace: KeyTrace): number {
  return new Set(trace.keys).size;
}

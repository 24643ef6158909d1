// Redis strings are byte strings; the simulated node holds JavaScript strings. The two meet where
// a Lua script builds bytes that are not UTF-8 (`string.sub` of a multi-byte character,
// `struct.pack`, `cmsgpack.pack`): such bytes must survive a round trip through the keyspace and
// come back out byte for byte, as they do on redis-server.
//
// The mapping is the "surrogateescape" of Python's PEP 383: bytes that form valid UTF-8 decode as
// usual; every byte of an invalid sequence becomes the lone surrogate U+DC80 + (byte - 0x80)
// (U+DC80..U+DCFF), which valid UTF-8 never produces. Encoding reverses it, so decode(bytes) is a
// canonical string for any byte string and encode(decode(bytes)) === bytes. A client string that
// holds such a lone surrogate itself is read as that byte (ioredis would send U+FFFD's three bytes):
// a documented gap.
import { isUtf8 } from 'node:buffer';

/** First UTF-16 unit of an escaped byte (0x80 -> U+DC80, 0xFF -> U+DCFF). */
const ESCAPE_BASE = 0xdc00;

/** A lone low surrogate in U+DC80..U+DCFF: an escaped byte. */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** True when `s` holds an escaped byte. */
export function hasEscapedBytes(s: string): boolean {
  return ESCAPED_BYTE.test(s);
}

/** Length of `s` in bytes (what STRLEN, APPEND and the replication offset count). */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLow(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1;
    else n += 3;
  }
  return n;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Writes the bytes of `s` into `out` from `at` (room for 3 bytes per UTF-16 unit is enough);
 * returns the position after them.
 */
export function encodeInto(s: string, out: Uint8Array, at: number): number {
  let p = at;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && isLow(s.charCodeAt(i + 1))) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[p++] = 0xf0 | (cp >> 18);
      out[p++] = 0x80 | ((cp >> 12) & 0x3f);
      out[p++] = 0x80 | ((cp >> 6) & 0x3f);
      out[p++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xdc80 && c <= 0xdcff) out[p++] = c - ESCAPE_BASE;
    else {
      // Other lone surrogates are written as U+FFFD, as Buffer.from (and so ioredis) writes them.
      const cp = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      out[p++] = 0xe0 | (cp >> 12);
      out[p++] = 0x80 | ((cp >> 6) & 0x3f);
      out[p++] = 0x80 | (cp & 0x3f);
    }
  }
  return p;
}

/** The bytes of `s`. */
export function encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3);
  return out.subarray(0, encodeInto(s, out, 0));
}

/** Strings up to this many bytes are decoded in JavaScript; longer ones natively. */
const SHORT_BYTES = 48;

/** The canonical string of bytes[start, end). */
export function decode(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_BYTES) {
    let ascii = '';
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      if (b >= 0x80) return ascii + decodeEscaped(bytes, i, end);
      ascii += String.fromCharCode(b);
    }
    return ascii;
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  return isUtf8(view) ? view.toString('utf8') : decodeEscaped(bytes, start, end);
}

/** Length of the valid UTF-8 sequence at bytes[i] (2..4), or 0 (RFC 3629: no overlongs, no surrogates). */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i] as number;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = i + k < end ? (bytes[i + k] as number) : -1;
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function decodeEscaped(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  for (let i = start; i < end; ) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      units.push(b);
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i, end);
    if (n === 0) {
      units.push(ESCAPE_BASE + b);
      i++;
      continue;
    }
    let cp = b & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) cp = (cp << 6) | ((bytes[i + k] as number) & 0x3f);
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    i += n;
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

/**
 * The canonical form of a string that may join escaped bytes (APPEND of two halves of a UTF-8
 * character): the same bytes, decoded again.
 */
export function canonical(s: string): string {
  if (!hasEscapedBytes(s)) return s;
  const bytes = encode(s);
  return decode(bytes, 0, bytes.length);
}

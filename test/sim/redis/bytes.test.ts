import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLength, canonical, decode, encode, hasEscapedBytes } from '#sim/redis/bytes.ts';

describe('byte strings as JavaScript strings (surrogateescape)', () => {
  it('round-trips any bytes, short and long (seed 12)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = decode(bytes, 0, bytes.length);
        expect(encode(s)).toEqual(bytes);
        expect(byteLength(s)).toBe(bytes.length);
        expect(canonical(s)).toBe(s);
      }),
      { seed: 12, numRuns: 2000 },
    );
  });

  it('decodes valid UTF-8 as Buffer does, and escapes only the invalid bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const bytes = new Uint8Array(Buffer.from(text));
        expect(decode(bytes, 0, bytes.length)).toBe(Buffer.from(bytes).toString('utf8'));
        expect(hasEscapedBytes(text)).toBe(false);
      }),
      { seed: 12, numRuns: 1000 },
    );
    const cut = new Uint8Array(Buffer.from('日本')).subarray(0, 4); // e6 97 a5 e6
    expect(decode(cut, 0, cut.length)).toBe('日\uDCE6');
    // Overlong, surrogate and beyond-U+10FFFF encodings are not UTF-8.
    for (const bad of [
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      const bytes = new Uint8Array(bad);
      expect(decode(bytes, 0, bytes.length)).toBe(String.fromCharCode(...bad.map((b) => 0xdc00 + b)));
    }
  });

  it('joins two halves of a character into the canonical string (APPEND)', () => {
    const halves = ['\uDCE6\uDC97', '\uDCA5'];
    expect(canonical(halves.join(''))).toBe('日');
    expect(canonical('😀')).toBe('😀'); // a surrogate pair is not an escaped byte
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiBytes, type KeyMemo, writeAsciiLine } from '#src/adapters/jsonl-ascii.ts';
import { fieldKey, fieldValue, viaStringify } from '../../helpers/trace-fields.ts';

// The line the trace wrote before writeAsciiLine: JSON.stringify's members after t, c and k.
function reference(t: number, prefix: string, fields: object | undefined): string {
  return `{"t":${t}${prefix}${fields === undefined ? '' : viaStringify(fields)}}\n`;
}

const prefix = ',"c":"gateway/gw-1","k":"response"';
const prefixBytes = asciiBytes(prefix)!;
/** A fresh key memo, as the trace keeps one per kind of event. */
const memo = (): KeyMemo => ({ keys: [], bytes: [] });

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const cases: ReadonlyArray<readonly [string, number, object | undefined]> = [
  ['no fields', 0, undefined],
  ['empty fields', 5, {}],
  ['flat values', 123456, { id: 7, user: 'user-1', ok: true, no: false, none: null, skip: undefined }],
  ['numbers', 1, { a: 0, b: -0, c: -5, d: 3.25, e: 1e21, f: 2 ** 31, g: -(2 ** 31), h: 0.1, i: 1e-7 }],
  ['non-finite numbers', 1, { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: -Infinity }],
  ['escapes', 2, { q: 'say "hi"', b: 'back\\slash', nl: 'a\nb', ctl: '\u0001', empty: '' }],
  ['nested objects', 3, { topology: { nodes: [{ id: 'a', up: true }], n: 2 }, list: [1, 'two', null] }],
  ['a Date (toJSON)', 4, { at: new Date(0) }],
  ['a class instance as fields', 5, new Point(1, 2)],
  ['a class instance as a value', 5, { p: new Point(1, 2) }],
  ['a function member', 6, { f: () => 1, x: 1 }],
  ['integer-like keys', 7, { b: 1, 2: 'two', 1: 0 }],
  ['a key that needs escaping', 8, { 'a"b': 1, 'c\\d': 'e' }],
  ['a long value', 9, { text: 'x'.repeat(5000) }],
];

describe('writeAsciiLine', () => {
  for (const [name, t, fields] of cases) {
    it(`writes the bytes of the string line: ${name}`, () => {
      const buf = Buffer.alloc(16_384, 0xff);
      const end = writeAsciiLine(buf, 3, t, prefixBytes, fields, memo());
      expect(end).toBeGreaterThan(3);
      expect(buf.subarray(3, end).toString('latin1')).toBe(reference(t, prefix, fields));
      expect(buf[end]).toBe(0xff);
    });
  }

  it('writes the same line through a shared key memo and a byte prefix, whatever keys each event has (fast-check seed 20261205)', () => {
    // JsonlTrace passes each kind's prefix as bytes and one KeyMemo for all its events: a memo
    // learnt from one event's keys must not change the line of an event with other keys or order.
    const shared = memo();
    const keys = fc.constantFrom('id', 'user', 'key', 'n', 'table', 'seq', 'a"b');
    fc.assert(
      fc.property(fc.nat(), fc.dictionary(keys, fieldValue), (t, fields) => {
        const line = reference(t, prefix, fields);
        const buf = Buffer.alloc(line.length * 3 + 16);
        const end = writeAsciiLine(buf, 0, t, prefixBytes, fields, shared);
        if (/[^\n\x20-\x7f]/.test(line)) expect(end).toBe(-1);
        else expect(buf.subarray(0, end).toString('latin1')).toBe(line);
      }),
      { seed: 20261205, numRuns: 2000 },
    );
    expect(shared.keys.length).toBeGreaterThan(0);
  });

  it('writes the string line, or leaves it to the string path, for any JSON-like fields (fast-check seed 20261203)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.dictionary(fieldKey, fieldValue), (t, fields) => {
        const line = reference(t, prefix, fields);
        const buf = Buffer.alloc(line.length * 3 + 16);
        const end = writeAsciiLine(buf, 0, t, prefixBytes, fields, memo());
        // The string path is taken exactly for a line with a character from U+0080 up.
        if (/[^\n\x20-\x7f]/.test(line)) expect(end).toBe(-1);
        else expect(buf.subarray(0, end).toString('latin1')).toBe(line);
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('leaves a line with a character from U+0080 up to the string path', () => {
    const buf = Buffer.alloc(1024);
    expect(writeAsciiLine(buf, 0, 1, prefixBytes, { user: 'Zoë' }, memo())).toBe(-1);
    expect(writeAsciiLine(buf, 0, 1, prefixBytes, { lone: '\ud800' }, memo())).toBe(-1);
    expect(writeAsciiLine(buf, 0, 1, prefixBytes, { nested: { name: '日本' } }, memo())).toBe(-1);
    expect(asciiBytes(',"c":"é","k":"x"')).toBeUndefined();
    expect(writeAsciiLine(buf, 0, 1, prefixBytes, { ké: 1 }, memo())).toBe(-1);
  });

  it('leaves a line that does not fit to the string path', () => {
    const fields = { id: 12345, user: 'user-12345' };
    const size = reference(9, prefix, fields).length;
    for (let room = 0; room < size; room++) {
      expect(writeAsciiLine(Buffer.alloc(room), 0, 9, prefixBytes, fields, memo())).toBe(-1);
    }
    expect(writeAsciiLine(Buffer.alloc(size), 0, 9, prefixBytes, fields, memo())).toBe(size);
  });

  it("throws JSON.stringify's TypeError for a bigint", () => {
    expect(() => writeAsciiLine(Buffer.alloc(64), 0, 1, prefixBytes, { n: 1n }, memo())).toThrow(TypeError);
  });
});

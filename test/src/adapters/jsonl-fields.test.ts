import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldsJson } from '#src/adapters/jsonl-fields.ts';
import { fieldKey, fieldValue, viaStringify } from '../../helpers/trace-fields.ts';

// What the trace wrote before fieldsJson: JSON.stringify's members (viaStringify).

describe('fieldsJson', () => {
  it('writes what JSON.stringify writes for any JSON-like fields (fast-check seed 20261203)', () => {
    fc.assert(
      fc.property(fc.dictionary(fieldKey, fieldValue), (fields) => {
        expect(fieldsJson(fields)).toBe(viaStringify(fields));
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('keeps JSON.stringify order and omissions: integer keys first, undefined/function/symbol members left out', () => {
    const fields = {
      b: 1,
      2: 'two',
      a: undefined,
      f: () => 1,
      s: Symbol('x'),
      1: -0,
      n: Number.NaN,
      i: -Infinity,
    };
    expect(fieldsJson(fields)).toBe(viaStringify(fields));
    expect(fieldsJson(fields)).toBe(',"1":0,"2":"two","b":1,"n":null,"i":null');
  });

  it('escapes what JSON escapes: quotes, backslashes, controls, lone surrogates', () => {
    const fields = {
      q: 'a"b',
      bs: 'a\\b',
      nl: 'a\nb',
      nul: '\u0000',
      lone: '\ud800x',
      pair: '😀',
      'k"ey': 1,
    };
    expect(fieldsJson(fields)).toBe(viaStringify(fields));
  });

  it('hands toJSON (on a member or on the fields), class instances and BigInt to JSON.stringify', () => {
    const date = new Date(0);
    expect(fieldsJson({ at: date })).toBe(viaStringify({ at: date }));
    const keyed = { v: { toJSON: (key: string) => `key=${key}` } };
    expect(fieldsJson(keyed)).toBe(',"v":"key=v"');
    const own = { a: 1, toJSON: () => ({ b: 2 }) };
    expect(fieldsJson(own)).toBe(',"b":2');
    class Point {
      x = 1;
    }
    expect(fieldsJson(new Point())).toBe(',"x":1');
    expect(() => fieldsJson({ big: 1n })).toThrow(TypeError);
    expect(fieldsJson({})).toBe('');
  });
});

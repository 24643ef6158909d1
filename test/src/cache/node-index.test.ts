import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheNode } from '#src/cache/policy/node.ts';
import { NodeIndex } from '#src/cache/policy/node-index.ts';
import { spread } from '#src/cache/wtinylfu/frequency-sketch.ts';
import { keyHash } from '#src/cache/wtinylfu/key-hash.ts';

const node = (key: string | number, hash: number) => new CacheNode<string | number, number>(key, hash, 0, 0);

describe('NodeIndex (the key → node table LocalCache looks keys up in)', () => {
  it('finds exactly what a Map finds, through adds, removes and growth, with colliding hashes', () => {
    const key = fc.oneof(
      fc.integer({ min: -20, max: 20 }),
      fc.constantFrom('a', 'b', 'c', '1', ''),
      fc.constant(Number.NaN),
      fc.constant(-0),
    );
    const op = fc.tuple(fc.constantFrom('put', 'remove', 'get'), key, fc.integer({ min: 0, max: 7 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.boolean(), (ops, realHash) => {
        const index = new NodeIndex<string | number, number>(1);
        const map = new Map<string | number, CacheNode<string | number, number>>();
        // Either the real hash or a 3-bit one that forces long probe runs and wrap-around.
        const hashOf = (k: string | number, salt: number) =>
          realHash ? spread(keyHash(k)) : (salt & 7) | (typeof k === 'number' ? 0 : 8);
        const salts = new Map<string | number, number>();
        for (const [what, k, salt] of ops) {
          if (!salts.has(k)) salts.set(k, salt);
          const h = hashOf(k, salts.get(k)!);
          const present = map.get(k);
          expect(index.get(k, h)).toBe(present);
          if (what === 'put' && present === undefined) {
            const n = node(k, h);
            index.add(n);
            map.set(k, n);
          } else if (what === 'remove' && present !== undefined) {
            index.remove(present);
            map.delete(k);
          }
          expect(index.size).toBe(map.size);
        }
        for (const [k, n] of map) expect(index.get(k, hashOf(k, salts.get(k)!))).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('treats NaN as NaN and 0 as -0, as Map does (SameValueZero)', () => {
    const index = new NodeIndex<number, number>(1);
    const nan = node(Number.NaN, spread(keyHash(Number.NaN))) as unknown as CacheNode<number, number>;
    const zero = node(0, spread(keyHash(0))) as unknown as CacheNode<number, number>;
    index.add(nan);
    index.add(zero);
    expect(index.get(Number.NaN, spread(keyHash(Number.NaN)))).toBe(nan);
    expect(index.get(-0, spread(keyHash(-0)))).toBe(zero);
  });
});

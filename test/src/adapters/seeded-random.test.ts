import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { nextExponential, nextInt } from '#src/ports/random.ts';

const draw = (r: { next(): number }, n: number) => Array.from({ length: n }, () => r.next());

describe('SeededRandom', () => {
  it('the same seed gives the same stream; another seed another one', () => {
    expect(draw(new SeededRandom(42), 5)).toEqual(draw(new SeededRandom(42), 5));
    expect(draw(new SeededRandom(43), 5)).not.toEqual(draw(new SeededRandom(42), 5));
  });

  it('a fork depends only on the seed path, not on how much the parent has drawn', () => {
    const fresh = new SeededRandom(7);
    const used = new SeededRandom(7);
    draw(used, 1_000);
    expect(draw(used.fork('llm'), 5)).toEqual(draw(fresh.fork('llm'), 5));
    expect(used.fork('llm').seedPath).toBe('7/llm');
    expect(draw(fresh.fork('llm'), 5)).not.toEqual(draw(fresh.fork('client'), 5));
    expect(fresh.fork('a').fork('b').seedPath).toBe('7/a/b');
  });

  it('draws lie in [0, 1) with a uniform mean', () => {
    const values = draw(new SeededRandom('u'), 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.495);
    expect(mean).toBeLessThan(0.505);
  });

  it('nextInt and nextExponential', () => {
    const r = new SeededRandom(1);
    const ints = Array.from({ length: 10_000 }, () => nextInt(r, 6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const gaps = Array.from({ length: 100_000 }, () => nextExponential(r, 5));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(4.9);
    expect(mean).toBeLessThan(5.1);
    expect(() => nextInt(r, 0)).toThrow(/positive integer/);
    expect(() => r.fork('')).toThrow(/non-empty/);
  });
});

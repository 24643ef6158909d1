import { describe, expect, it } from 'vitest';
import { checkSweepRequest, SWEEP_SEEDS_MAX, type SweepRequest, seedKey } from '#src/ports/sweep-queue.ts';

const request = (overrides: Partial<SweepRequest>): SweepRequest => ({
  sweepId: 'flaky-1',
  scenarioPath: 'scenarios/x.yaml',
  scenarioText: 'kind: gateway',
  seeds: [1, 2, 3],
  ...overrides,
});

describe('SweepQueue port: the rules every engine relies on', () => {
  it('keeps seed keys free of ":" and apart for a number and the same digits as a name', () => {
    expect(seedKey(7)).toBe('7');
    expect(seedKey('7')).toBe('s7');
    expect(seedKey(-3)).toBe('-3');
    expect(seedKey('a:b')).toBe('sa%3ab');
    // '%' itself is encoded, so an encoded-looking name cannot collide with another name.
    expect(seedKey('a%3ab')).toBe('sa%253ab');
    for (const seed of ['a:b', 'x y', 'ü', '%', '']) expect(seedKey(seed)).toMatch(/^s[A-Za-z0-9._%-]*$/);
  });

  it('accepts a plain request and refuses a bad id, no seeds, too many seeds or a seed listed twice', () => {
    expect(() => checkSweepRequest(request({}))).not.toThrow();
    expect(() => checkSweepRequest(request({ sweepId: 'a:b' }))).toThrow(/SweepRequest\.sweepId/);
    expect(() => checkSweepRequest(request({ sweepId: '' }))).toThrow(/SweepRequest\.sweepId/);
    expect(() => checkSweepRequest(request({ sweepId: 'x'.repeat(101) }))).toThrow(/SweepRequest\.sweepId/);
    expect(() => checkSweepRequest(request({ seeds: [] }))).toThrow(/expected 1 to 100000 seeds \(got 0\)/);
    const many = Array.from({ length: SWEEP_SEEDS_MAX + 1 }, (_, i) => i);
    expect(() => checkSweepRequest(request({ seeds: many }))).toThrow(/got 100001/);
    expect(() => checkSweepRequest(request({ seeds: [1, 2, 1] }))).toThrow(/seed 1 is listed twice/);
    expect(() => checkSweepRequest(request({ seeds: [1, '1'] }))).not.toThrow();
  });
});

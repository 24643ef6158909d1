import { describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { CACHE_PREFIX, hashPrompt } from '#src/cache/prompt-key.ts';
import { RedisL2 } from '#src/cache/redis-l2.ts';
import { promptMergeKey } from '#src/coalesce/coalescer.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

describe('hashPrompt (the article key)', () => {
  // Expected values computed outside Node: `printf %s "$p" | openssl dgst -sha256 -binary | base64 | cut -c1-16`.
  it.each([
    ['hello', 'LPJNul+wow4m6Dsq'],
    ['你好，世界', 'RpMvHm6lIW539YsZ'],
  ])('article scheme: Base64(SHA-256(%s)) cut to 16 chars', (prompt, expected) => {
    expect(hashPrompt(prompt)).toBe(expected);
  });

  it('the corrected scheme is the full hex digest (sha256("hello"))', () => {
    expect(hashPrompt('hello', 'sha256-hex')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
  });

  it('gives the same key on every call: remembered short prompts, long ones, and past the memo bound', () => {
    const fresh = (p: string) => promptMergeKey(p);
    const long = 'x'.repeat(300);
    for (let round = 0; round < 2; round++) {
      expect(hashPrompt('hello')).toBe('LPJNul+wow4m6Dsq');
      expect(hashPrompt(long)).toBe(fresh(long));
      expect(hashPrompt('hello', 'sha256-hex')).toBe(
        '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      );
    }
    // More distinct prompts than the memo keeps: it starts over, keys stay what they were.
    for (let i = 0; i < 40_000; i++) hashPrompt(`prompt-${i}`);
    for (const i of [0, 12_345, 39_999]) expect(hashPrompt(`prompt-${i}`)).toBe(fresh(`prompt-${i}`));
    expect(hashPrompt('hello')).toBe('LPJNul+wow4m6Dsq');
  });

  it('the L2 key is llm: + hash', () => {
    const l2 = new RedisL2({}, { redis: new SimRedis({}, { clock: new ManualClock() }) });
    expect(CACHE_PREFIX).toBe('llm:');
    expect(l2.key(hashPrompt('hello'))).toBe('llm:LPJNul+wow4m6Dsq');
  });
});

describe('RedisL2 options', () => {
  const redis = new SimRedis({}, { clock: new ManualClock() });
  it.each([
    [{ ttlMs: 0 }, /ttlMs must be a positive integer/],
    [{ ttlMs: 1.5 }, /ttlMs must be a positive integer/],
    [{ ttlJitterRatio: 1 }, /ttlJitterRatio must be in \[0, 1\)/],
    [{ ttlJitterRatio: 0.1 }, /needs ports.random/],
  ])('rejects %o', (bad, message) => {
    expect(() => new RedisL2(bad, { redis })).toThrow(message);
  });

  it('TTL jitter (seed "jitter") draws every TTL within ±ratio and spreads them', () => {
    const l2 = new RedisL2({ ttlJitterRatio: 0.1 }, { redis, random: new SeededRandom('jitter') });
    const ttls = Array.from({ length: 1_000 }, () => l2.drawTtlMs());
    // Pinned for seed 'jitter' (a change in how the TTL is drawn shows here):
    expect([Math.min(...ttls), Math.max(...ttls)]).toEqual([3_240_582, 3_959_586]);
    // Sanity, any seed:
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(3_240_000);
    expect(Math.max(...ttls)).toBeLessThan(3_960_000);
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(700_000);
  });
});

describe('hashPrompt and the merge key', () => {
  it('are one function: the cache key of a prompt is its merge key, JVM-identical for lone surrogates', () => {
    // 'ag1NlSYyQnpRm3Np' is what OpenJDK 17 prints for this prompt (test/src/coalesce/coalescer.test.ts).
    expect(hashPrompt('lone \uD800 high')).toBe(promptMergeKey('lone \uD800 high'));
    expect(hashPrompt('lone \uD800 high')).toBe('ag1NlSYyQnpRm3Np');
  });
});

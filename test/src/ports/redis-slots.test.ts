import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot } from '#src/ports/redis-slots.ts';

describe('keyHashSlot', () => {
  // Each expected slot was read from a real redis-server 7.0.15 with `CLUSTER KEYSLOT <key>` on
  // 127.0.0.1:7000; the rule each row exercises is from redis/redis src/cluster.c keyHashSlot().
  it.each([
    ['123456789', 12739, 'CRC16/XMODEM check value 0x31C3 & 0x3FFF (cluster-spec "Key distribution model")'],
    ['', 0, 'empty key'],
    ['foo{}{bar}', 8363, 'empty first tag: whole key, the later {bar} is not considered'],
    ['foo{{bar}}zap', 4015, 'tag is `{bar` (first `{`, first `}` after it)'],
    ['foo{bar}{zap}', 5061, 'only the first tag counts: `bar`'],
    ['{}', 15257, 'empty tag at start: whole key'],
    ['{', 4092, 'lone `{`: whole key'],
    ['}', 12090, 'lone `}`: whole key'],
    ['bar}', 6624, '`}` without `{`: whole key'],
    ['a{b', 13340, 'no `}` after `{`: whole key'],
    ['{user1000}.following', 3443, 'cluster-spec hash tag example'],
    ['héllo{ü}', 9552, 'non-ASCII: the UTF-8 bytes of the tag are hashed'],
  ])('%j -> %i (%s)', (key, slot) => {
    expect(keyHashSlot(key)).toBe(slot);
  });

  it('computes the CRC16/XMODEM check value', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x31c3);
  });

  it('hashes a tagged key as its tag (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), (before, tag, after) => {
        fc.pre(!before.includes('{') && !tag.includes('}') && !tag.includes('{'));
        expect(keyHashSlot(`${before}{${tag}}${after}`)).toBe(keyHashSlot(tag));
      }),
      { seed: 4, numRuns: 500 },
    );
  });

  it('accepts bytes and strings alike', () => {
    expect(keyHashSlot(new TextEncoder().encode('héllo{ü}'))).toBe(keyHashSlot('héllo{ü}'));
  });

  it('gives a string the slot of its UTF-8 bytes, ASCII or not, tags included (property)', () => {
    const braces = fc.constantFrom('{', '}', 'a', 'é', '😀', 'z');
    const key = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.array(braces).map((c) => c.join('')),
    );
    fc.assert(
      fc.property(key, (k) => {
        expect(keyHashSlot(k)).toBe(keyHashSlot(new TextEncoder().encode(k)));
      }),
      { seed: 7000, numRuns: 2000 },
    );
  });
});

// ZREMRANGEBYSCORE against a model: whatever order the scores arrived in (appended in time order
// as a sliding-window log does, out of order, or rewritten in place by ZADD / ZINCRBY), it removes
// exactly the members whose score is in the range (src/t_zset.c zremrangeGenericCommand), and
// the set reads back in Redis order (by score, then member) afterwards.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimRedis } from '#sim/redis/node.ts';

function node(): SimRedis {
  return new SimRedis(
    {},
    { clock: { now: () => 0, sleep: async () => {}, schedule: () => ({ cancel() {} }) } },
  );
}

/** A bound as ZREMRANGEBYSCORE takes it: a score, `(score` (exclusive) or an infinity. */
const bound = fc.oneof(
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.integer({ min: -3, max: 12 }).map((n) => `(${n}`),
  fc.constantFrom('-inf', '+inf'),
);

type Op =
  | { readonly kind: 'add'; readonly member: string; readonly score: number }
  | { readonly kind: 'incr'; readonly member: string; readonly by: number }
  | { readonly kind: 'remove'; readonly min: string; readonly max: string };

const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), member, score: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ kind: fc.constant('incr' as const), member, by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('remove' as const), min: bound, max: bound }),
);

function inRange(score: number, min: string, max: string): boolean {
  const value = (b: string) =>
    Number(b.replace('(', '').replace('+inf', 'Infinity').replace('-inf', '-Infinity'));
  const lo = value(min);
  const hi = value(max);
  return (min.startsWith('(') ? score > lo : score >= lo) && (max.startsWith('(') ? score < hi : score <= hi);
}

describe('ZREMRANGEBYSCORE (src/t_zset.c zremrangeGenericCommand) against a model', () => {
  it('removes exactly the scores in range, in order or not (property, seed 7)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const n = node();
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'add') {
            n.execute(['ZADD', 'z', String(o.score), o.member]);
            model.set(o.member, o.score);
          } else if (o.kind === 'incr') {
            n.execute(['ZINCRBY', 'z', String(o.by), o.member]);
            model.set(o.member, (model.get(o.member) ?? 0) + o.by);
          } else {
            let removed = 0;
            for (const [m, s] of model) {
              if (inRange(s, o.min, o.max)) {
                model.delete(m);
                removed++;
              }
            }
            expect(n.execute(['ZREMRANGEBYSCORE', 'z', o.min, o.max])).toBe(removed);
          }
          const expected = [...model]
            .sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : 1))
            .flatMap(([m, s]) => [m, String(s)]);
          expect(n.execute(['ZRANGE', 'z', '0', '-1', 'WITHSCORES'])).toEqual(expected);
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('walks a time-ordered log only up to the first score past the range', () => {
    const n = node();
    for (let t = 1; t <= 5; t++) n.execute(['ZADD', 'log', String(t * 10), `m${t}`]);
    expect(n.execute(['ZREMRANGEBYSCORE', 'log', '-inf', '25'])).toBe(2);
    n.execute(['ZADD', 'log', '5', 'late']); // out of order from here on
    expect(n.execute(['ZREMRANGEBYSCORE', 'log', '-inf', '30'])).toBe(2);
    expect(n.execute(['ZRANGE', 'log', '0', '-1'])).toEqual(['m4', 'm5']);
    n.execute(['ZADD', 'log', '60', 'm6']);
    expect(n.execute(['ZREMRANGEBYSCORE', 'log', '(40', '55'])).toBe(1);
    expect(n.execute(['ZRANGE', 'log', '0', '-1', 'WITHSCORES'])).toEqual(['m4', '40', 'm6', '60']);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotTable } from '#sim/redis/slot-table.ts';
import { CLUSTER_SLOTS } from '#src/ports/redis-slots.ts';

/** The obvious model: a plain array of owners, every question answered by a full scan. */
function rangesOf(owners: readonly number[], owner: number): [number, number][] {
  const ranges: [number, number][] = [];
  owners.forEach((o, slot) => {
    if (o !== owner) return;
    const last = ranges.at(-1);
    if (last && last[1] === slot - 1) last[1] = slot;
    else ranges.push([slot, slot]);
  });
  return ranges;
}

const NODES = 6;
const owner = fc.integer({ min: -1, max: NODES - 1 });
const slot = fc.integer({ min: 0, max: CLUSTER_SLOTS - 1 });
const command = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), slot, owner }),
  fc.record({ kind: fc.constant('fill' as const), a: slot, b: slot, owner }),
);

describe('SlotTable (model-based, seed 7)', () => {
  it('answers every range question as a full scan of the owners would, after any change', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (commands) => {
        const table = new SlotTable();
        const model: number[] = new Array(CLUSTER_SLOTS).fill(-1);
        for (const c of commands) {
          if (c.kind === 'set') {
            table.set(c.slot, c.owner);
            model[c.slot] = c.owner;
          } else {
            const [low, high] = c.a <= c.b ? [c.a, c.b] : [c.b, c.a];
            table.fill(c.owner, low, high);
            model.fill(c.owner, low, high + 1);
          }
          const masters = [...new Set(model.filter((o) => o >= 0))];
          expect(table.masters()).toEqual(masters);
          expect(table.hasUnbound()).toBe(model.includes(-1));
          for (let n = 0; n < NODES; n++) {
            const ranges = rangesOf(model, n);
            expect(table.rangesOf(n)).toEqual(ranges);
            expect(table.owns(n)).toBe(ranges.length > 0);
            expect(table.ownsAll(n, ranges)).toBe(true);
          }
          expect(table.ownerOf(c.kind === 'set' ? c.slot : c.a)).toBe(model[c.kind === 'set' ? c.slot : c.a]);
        }
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('ownsAll is false when one slot of a claimed range belongs to another node', () => {
    const table = new SlotTable();
    table.fill(0, 0, 99);
    table.set(50, 1);
    expect(table.ownsAll(0, [[0, 49]])).toBe(true);
    expect(table.ownsAll(0, [[0, 99]])).toBe(false);
    expect(
      table.ownsAll(0, [
        [51, 99],
        [0, 10],
      ]),
    ).toBe(true);
    expect(table.ownsAll(2, [[0, 0]])).toBe(false);
    expect(table.ownsAll(2, [])).toBe(true);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Timer, TimerHeap } from '#sim/kernel/timer-heap.ts';

// Model-based test: random pushes, cancels and pops against a plain sorted array.
describe('TimerHeap', () => {
  // Short delays stay in the ring's window; long ones (past its 32,768 ms) go to the heap, and
  // an instant first pushed beyond the window is pushed to again once the window reaches it.
  // The kernel's clock only makes whole milliseconds; a fractional instant (a test setting the
  // clock by hand) is kept in the heap and must neither be lost nor stall the ring's cursor.
  it.each([
    ['within the ring', [0, 20], false],
    ['across the ring and the heap', [0, 100_000], false],
    ['on instants shared by the ring and the heap', [32_760, 32_780], false],
    ['with fractional instants among whole ones', [0, 40_000], true],
  ] as const)(
    'pops in (at, seq) order and skips cancelled timers, like a sorted list (%s)',
    (_name, [min, max], fractional) => {
      type Command = { op: 'push'; delay: number } | { op: 'cancel'; pick: number } | { op: 'pop' };
      const command = fc.oneof(
        fc.record({
          op: fc.constant('push' as const),
          delay: fc.oneof(
            fc.integer({ min, max }),
            fc.integer({ min: 0, max: 3 }),
            fc.integer({ min: 0, max: fractional ? max : 0 }).map((d) => (fractional ? d + 0.25 : d)),
          ),
        }),
        fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('pop' as const) }),
      );
      fc.assert(
        fc.property(fc.array(command, { maxLength: 300 }), (commands: Command[]) => {
          const heap = new TimerHeap();
          let model: Timer[] = [];
          let seq = 0;
          let now = 0;
          for (const c of commands) {
            if (c.op === 'push') {
              const timer: Timer = { at: now + c.delay, seq: seq++, fn: () => {} };
              heap.push(timer);
              model.push(timer);
            } else if (c.op === 'cancel') {
              if (model.length === 0) continue;
              const victim = model[c.pick % model.length]!;
              heap.cancel(victim);
              model = model.filter((t) => t !== victim);
            } else {
              model.sort((a, b) => a.at - b.at || a.seq - b.seq);
              const expected = model.shift();
              const got = heap.peek();
              expect(got).toBe(expected);
              if (got) {
                heap.pop();
                got.fn = null;
                now = got.at;
              }
            }
            expect(heap.live).toBe(model.length);
          }
        }),
        { seed: 20261127, numRuns: 300 },
      );
    },
  );
});

// Model-based checks (fast-check): random command sequences against a TieredCache and a plain Map
// model, failing on the first disagreement.
// - write-through: after every write, every level holds the last value written (the article's
//   "strong" row), whatever reads, L1 expiries and time steps come in between;
// - write-behind: after a flush L3 equals the model; after a crash L3 holds what had been flushed
//   and `lostWrites` equals the distinct keys still queued at the crash.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inSim, makeNode, sharedBackends } from './helpers/stack.ts';

const keys = ['k0', 'k1', 'k2', 'k3'];
type Command =
  | { op: 'write'; key: string; value: number }
  | { op: 'get'; key: string }
  | { op: 'sleep'; ms: number }
  | { op: 'flush' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('write' as const), key: fc.constantFrom(...keys), value: fc.nat(1_000) }),
  fc.record({ op: fc.constant('get' as const), key: fc.constantFrom(...keys) }),
  fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 1, max: 90_000 }) }),
  fc.record({ op: fc.constant('flush' as const) }),
);

describe('TieredCache against a Map model (fast-check, seed 606)', () => {
  it('write-through: reads return the last write; L2 and L3 agree with the model after every write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        await inSim('model/write-through', async (sim) => {
          const shared = await sharedBackends(sim);
          const { cache, l2, l3 } = makeNode<number>(sim, shared, { strategy: 'write-through' });
          const model = new Map<string, number>();
          for (const c of commands) {
            if (c.op === 'write') {
              await cache.write(c.key, c.value);
              model.set(c.key, c.value);
              expect(await l3?.get(cache.hash(c.key))).toBe(c.value);
              expect((await l2.get(cache.hash(c.key)))?.value).toBe(c.value);
            } else if (c.op === 'get') {
              const got = (await cache.get(c.key)).value;
              // L2 entries expire after 1 h; L3 then answers. Either way the value is the model's.
              expect(got).toBe(model.get(c.key));
            } else if (c.op === 'sleep') {
              await sim.clock.sleep(c.ms);
            }
          }
        });
      }),
      { seed: 606, numRuns: 40 },
    );
  });

  it('write-behind: flush makes L3 equal the model; a crash loses exactly the queued keys, counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        await inSim('model/write-behind', async (sim) => {
          const shared = await sharedBackends(sim);
          const { cache, l3 } = makeNode<number>(sim, shared, {
            strategy: 'write-behind',
            writeBehind: { flushIntervalMs: 5_000, capacity: 3 },
          });
          const model = new Map<string, number>();
          for (const c of commands) {
            if (c.op === 'write') {
              await cache.write(c.key, c.value);
              model.set(c.key, c.value);
            } else if (c.op === 'get') {
              expect((await cache.get(c.key)).value).toBe(model.get(c.key));
            } else if (c.op === 'sleep') {
              await sim.clock.sleep(c.ms);
            } else {
              await cache.flush();
              for (const [key, value] of model) expect(await l3?.get(cache.hash(key))).toBe(value);
            }
          }
          const queued = cache.queuedWrites;
          expect(queued).toBeLessThanOrEqual(3);
          const lost = cache.crash();
          expect(lost).toBe(queued);
          expect(cache.stats().lostWrites).toBe(queued);
          let behind = 0;
          for (const [key, value] of model) if ((await l3?.get(cache.hash(key))) !== value) behind++;
          expect(behind).toBeLessThanOrEqual(lost);
          const s = cache.stats();
          expect(s.flushedWrites + s.callerRunsWrites + s.lostWrites).toBeLessThanOrEqual(
            s.queuedWrites + s.callerRunsWrites,
          );
        });
      }),
      { seed: 606, numRuns: 40 },
    );
  });
});

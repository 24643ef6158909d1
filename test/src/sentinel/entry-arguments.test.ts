// Sentinel.entry / Sentinel.run refuse bad arguments with a RangeError. In Java `SphU.entry(String
// name, EntryType type, int batchCount)` cannot receive NaN or a fraction; here a NaN or negative
// count once wrote NaN into the pass statistics, after which a 2-QPS rule admitted everything
// (regression for review finding A5).
import { describe, expect, it } from 'vitest';
import { Sentinel } from '#src/sentinel/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const R = 'llmApi';

function twoQps() {
  const s = new Sentinel({}, { clock: new ManualClock(5000) });
  s.loadFlowRules([{ resource: R, count: 2 }]);
  return s;
}

async function admittedOf(s: Sentinel, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const e = await s.entry(R).catch(() => undefined);
    if (e) {
      ok++;
      e.exit();
    }
  }
  return ok;
}

describe('Sentinel.entry argument checks', () => {
  const badCounts: [string, number, RegExp][] = [
    ['NaN', Number.NaN, /Sentinel\.entry: acquireCount must be a positive safe integer, got NaN/],
    ['negative', -100, /acquireCount .* got -100$/],
    ['zero', 0, /acquireCount .* got 0$/],
    ['a fraction', 1.5, /acquireCount .* got 1\.5$/],
    ['Infinity', Number.POSITIVE_INFINITY, /acquireCount .* got Infinity$/],
    ['above 2^53 - 1', 2 ** 53, /acquireCount .* got 9007199254740992$/],
  ];
  for (const [name, count, message] of badCounts) {
    it(`acquireCount ${name} rejects with a RangeError, and the 2-QPS rule still admits 2 of 50`, async () => {
      const s = twoQps();
      const err = await s.entry(R, count).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(message);
      expect(await admittedOf(s, 50)).toBe(2);
      expect(s.node(R)?.passQps()).toBe(2);
    });
  }

  const badResources: [string, unknown, string][] = [
    ['empty', '', 'got ""'],
    ['blank', '  ', 'got "  "'],
    ['undefined', undefined, 'got undefined'],
    ['a number', 42, 'got 42'],
  ];
  for (const [name, resource, got] of badResources) {
    it(`resource ${name} rejects with a RangeError naming the argument and the value`, async () => {
      const s = twoQps();
      await expect(s.entry(resource as string)).rejects.toThrow(RangeError);
      await expect(s.entry(resource as string)).rejects.toThrow(
        `Sentinel.entry: resource must be a non-blank string, ${got}`,
      );
      // Checked even right after a valid entry (the remembered-resource fast path).
      (await s.entry(R)).exit();
      await expect(s.entry(resource as string)).rejects.toThrow(RangeError);
    });
  }

  it('a Sentinel with no rules and no entries yet checks too', async () => {
    const s = new Sentinel({}, { clock: new ManualClock() });
    await expect(s.entry(undefined as unknown as string)).rejects.toThrow(RangeError);
    await expect(s.run(undefined as unknown as string, () => 1)).rejects.toThrow(RangeError);
  });

  it('a valid batch count still charges the flow rule', async () => {
    const s = twoQps();
    (await s.entry(R, 2)).exit();
    expect(await admittedOf(s, 5)).toBe(0);
  });
});

describe('Sentinel.run argument checks', () => {
  for (const resource of ['', ' ', undefined]) {
    it(`resource ${JSON.stringify(resource)} rejects with a RangeError; fn and fallback never run`, async () => {
      const s = twoQps();
      let ran = 0;
      const err = await s
        .run(
          resource as string,
          () => {
            ran++;
            return 'ok';
          },
          () => {
            ran++;
            return 'fallback';
          },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(/^Sentinel\.run: resource must be a non-blank string, got /);
      expect(ran).toBe(0);
    });
  }
});

// Sentinel.attempt: the same slot chain as entry/run, reported as one Outcome (src/outcome.ts).
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/index.ts';
import { Sentinel } from '#src/sentinel/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../helpers/sentinel-rules.ts';

const R = 'chatCompletion';
const openOnFirstError = { resource: R, grade: 2, count: 0, minRequestAmount: 1, timeWindow: 10 } as const;

function setup() {
  const clock = new ManualClock();
  return { clock, s: new Sentinel({}, { clock }) };
}

describe('Sentinel.attempt', () => {
  it('admits a plain value and an async value, and exits the entry each time', async () => {
    const { s } = setup();
    expect(await s.attempt(R, () => 42)).toEqual({ kind: 'admitted', value: 42 });
    expect(await s.attempt(R, async () => 'a')).toEqual({ kind: 'admitted', value: 'a' });
    expect(s.node(R)?.curThreadNum()).toBe(0);
  });

  it('a business error is recorded on the entry (the exception breaker opens) and comes back failed', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const boom = new Error('upstream 500');
    expect(await s.attempt(R, () => Promise.reject(boom))).toEqual({ kind: 'failed', error: boom });
    expect(s.circuitBreakers(R)[0]?.state).toBe('OPEN');
    expect(s.node(R)?.curThreadNum()).toBe(0);
  });

  it('a synchronous throw is failed too, and counted the same way', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    const boom = new Error('sync');
    const out = await s.attempt(R, () => {
      throw boom;
    });
    expect(out).toEqual({ kind: 'failed', error: boom });
    expect(s.circuitBreakers(R)[0]?.state).toBe('OPEN');
  });

  it('an open breaker refuses by degrade-rule with its grade, without running fn', async () => {
    const { s } = setup();
    s.loadDegradeRules(sentinelDegradeRules([openOnFirstError]));
    await s.attempt(R, () => Promise.reject(new Error('x')));
    let ran = false;
    const out = await s.attempt(R, () => {
      ran = true;
    });
    expect(out).toEqual({
      kind: 'refused',
      reason: { by: 'degrade-rule', resource: R, grade: 'EXCEPTION_COUNT' },
    });
    expect(ran).toBe(false);
  });

  it('a flow rule refuses by flow-rule with its grade; acquireCount is what it charges', async () => {
    const { s } = setup();
    s.loadFlowRules([{ resource: R, count: 3 }]);
    expect((await s.attempt(R, () => 1, 2)).kind).toBe('admitted');
    expect(await s.attempt(R, () => 1, 2)).toEqual({
      kind: 'refused',
      reason: { by: 'flow-rule', resource: R, grade: 'QPS' },
    });
    expect((await s.attempt(R, () => 1, 1)).kind).toBe('admitted');
  });

  it('a pacing flow rule admits after the wait, slept on the clock', async () => {
    const sim = new Simulation({ seed: 'sentinel-attempt-pacing' });
    const s = new Sentinel({}, { clock: sim.clock });
    s.loadFlowRules([{ resource: R, count: 10, controlBehavior: 2, maxQueueingTimeMs: 500 }]);
    const both = sim.spawn(async () => {
      const first = await s.attempt(R, () => sim.clock.now());
      const second = await s.attempt(R, () => sim.clock.now());
      return [first, second];
    });
    await sim.run();
    expect(await both).toEqual([
      { kind: 'admitted', value: 0 },
      { kind: 'admitted', value: 100 },
    ]);
  });

  it('rejects a blank resource and a bad acquireCount with a RangeError', async () => {
    const { s } = setup();
    await expect(s.attempt(' ', () => 1)).rejects.toThrow(RangeError);
    await expect(s.attempt(R, () => 1, 0)).rejects.toThrow(/acquireCount must be a positive safe integer/);
  });
});

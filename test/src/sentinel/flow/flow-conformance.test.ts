// Conformance of the flow controllers with Sentinel 1.8.x. Controller rows reproduce Sentinel's
// tests under sentinel-core/src/test/java/com/alibaba/csp/sentinel/slots/block/flow/controller/
// (their mocked Node becomes a stub node here); the Sentinel-level rows reproduce rules read in
// sentinel-core/src/main/java/com/alibaba/csp/sentinel/... and run on the simulation's virtual clock.

import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/index.ts';
import {
  BLOCK,
  DefaultController,
  type Entry,
  FlowException,
  type FlowNode,
  flowRule,
  flowRuleFromSentinel,
  flowRuleProblem,
  InvalidRuleError,
  RateLimiterController,
  Sentinel,
  type SentinelFlowRuleConfig,
  WarmUpController,
  WarmUpRateLimiterController,
} from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { sentinelDegradeRules, sentinelFlowRules } from '../../../helpers/sentinel-rules.ts';

/** Sentinel's tests stub `Node` with Mockito; this is the same stub. */
function stubNode(v: { passQps?: number; previousPassQps?: number; threads?: number }): FlowNode {
  return {
    passQps: () => v.passQps ?? 0,
    previousPassQps: () => v.previousPassQps ?? 0,
    curThreadNum: () => v.threads ?? 0,
  };
}

describe('flow controllers (Sentinel controller tests)', () => {
  it('DefaultControllerTest.testCanPassForQps: passQps 9 passes, 10 refuses (threshold 10)', () => {
    const c = new DefaultController({ count: 10, grade: 1 });
    expect(c.canPass(stubNode({ passQps: 9 }), 1)).toBe(0);
    expect(c.canPass(stubNode({ passQps: 10 }), 1)).toBe(BLOCK);
  });

  it('DefaultControllerTest.testCanPassForThreadCount: 7 in flight passes, 8 refuses (threshold 8)', () => {
    const c = new DefaultController({ count: 8, grade: 0 });
    expect(c.canPass(stubNode({ threads: 7 }), 1)).toBe(0);
    expect(c.canPass(stubNode({ threads: 8 }), 1)).toBe(BLOCK);
  });

  it('DefaultController.avgUsedTokens casts passQps to int: 9.9 counts as 9', () => {
    expect(new DefaultController({ count: 10, grade: 1 }).canPass(stubNode({ passQps: 9.9 }), 1)).toBe(0);
  });

  it('WarmUpController construction: count 10, 10 s, cold factor 3 → warning 50, max 100, slope 0.004', () => {
    // WarmUpController.construct; the same numbers as the Guava-derived comment in the source.
    const c = new WarmUpController(
      { count: 10, warmUpPeriodMs: 10_000, coldFactor: 3 },
      { clock: new ManualClock() },
    );
    expect([c.warningToken, c.maxToken]).toEqual([50, 100]);
    expect(c.slope).toBeCloseTo(0.004, 12);
  });

  it('WarmUpControllerTest.testWarmUp', () => {
    const clock = new ManualClock(1_700_000_000_123); // setCurrentMillis(System.currentTimeMillis())
    const c = new WarmUpController({ count: 10, warmUpPeriodMs: 10_000, coldFactor: 3 }, { clock });
    const v = { passQps: 8, previousPassQps: 1 };
    const node = stubNode(v);
    expect(c.canPass(node, 1)).toBe(BLOCK); // cold: the ceiling is ~count / coldFactor
    v.passQps = 1;
    expect(c.canPass(node, 1)).toBe(0);
    v.previousPassQps = 10;
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      c.canPass(node, 1);
    }
    v.passQps = 8;
    expect(c.canPass(node, 1)).toBe(0);
    v.passQps = 10;
    expect(c.canPass(node, 1)).toBe(BLOCK);
  });

  it('WarmUpController at full cold admits passQps + 1 <= nextUp(count / coldFactor) = 3.33…', () => {
    const c = new WarmUpController(
      { count: 10, warmUpPeriodMs: 10_000, coldFactor: 3 },
      { clock: new ManualClock(1_700_000_000_000) },
    );
    expect(c.canPass(stubNode({ passQps: 2 }), 1)).toBe(0);
    expect(c.tokens).toBe(100);
    expect(c.canPass(stubNode({ passQps: 3 }), 1)).toBe(BLOCK);
  });

  it('ThrottlingControllerTest.testThrottlingControllerZeroThreshold: count 0 refuses, acquireCount 0 passes', () => {
    const c = new RateLimiterController({ maxQueueingTimeMs: 500, count: 0 }, { clock: new ManualClock() });
    for (let i = 0; i < 2; i++) {
      expect(c.canPass(stubNode({}), 1)).toBe(BLOCK);
      expect(c.canPass(stubNode({}), 0)).toBe(0);
    }
  });

  it('ThrottlingControllerTest.testThrottlingControllerQueueTimeout: 10 simultaneous at 10 QPS / 500 ms → waits 0..500, 4 refused', () => {
    const c = new RateLimiterController(
      { maxQueueingTimeMs: 500, count: 10 },
      { clock: new ManualClock(1_700_000_000_000) },
    );
    const waits = Array.from({ length: 10 }, () => c.canPass(stubNode({}), 1));
    expect(waits).toEqual([0, 100, 200, 300, 400, 500, BLOCK, BLOCK, BLOCK, BLOCK]);
  });

  it('RateLimiterController: an idle gap grants no burst credit (latestPassedTime jumps to now)', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const c = new RateLimiterController({ maxQueueingTimeMs: 500, count: 10 }, { clock });
    c.canPass(stubNode({}), 1);
    clock.advance(10_000);
    expect([c.canPass(stubNode({}), 1), c.canPass(stubNode({}), 1)]).toEqual([0, 100]);
  });

  it('RateLimiterController (1.8.6, ms only): count 3 paces at round(333.3) = 333 ms', () => {
    const c = new RateLimiterController(
      { maxQueueingTimeMs: 1000, count: 3 },
      { clock: new ManualClock(1_700_000_000_000) },
    );
    expect([0, 1, 2, 3].map(() => c.canPass(stubNode({}), 1))).toEqual([0, 333, 666, 999]);
  });

  it('WarmUpRateLimiterControllerTest.testPaceCanNotPass: timeout 10 ms refuses the second', () => {
    const c = new WarmUpRateLimiterController(
      { count: 10, warmUpPeriodMs: 10_000, maxQueueingTimeMs: 10, coldFactor: 3 },
      { clock: new ManualClock(1_700_000_000_000) },
    );
    const node = stubNode({ passQps: 100, previousPassQps: 100 });
    expect(c.canPass(node, 1)).toBe(0);
    expect(c.canPass(node, 1)).toBe(BLOCK);
  });

  it('WarmUpRateLimiterControllerTest.testPace: after the drain the interval is 1 / count = 100 ms', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const c = new WarmUpRateLimiterController(
      { count: 10, warmUpPeriodMs: 10_000, maxQueueingTimeMs: 1000, coldFactor: 3 },
      { clock },
    );
    const node = stubNode({ passQps: 100, previousPassQps: 100 });
    expect(c.canPass(node, 1)).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const w = c.canPass(node, 1);
      waits.push(w);
      clock.advance(w); // the caller sleeps before the next request
    }
    expect(waits).toEqual(Array.from({ length: 10 }, () => 100));
  });
});

describe('flow rules through Sentinel (StatisticNode windows, FlowSlot order, pacing as virtual sleeps)', () => {
  const R = 'llm';

  it('QPS DEFAULT: the pass window is 2 × 500 ms buckets: passes at t=0 count until t=999, not at t=1000', async () => {
    // StatisticNode.rollingCounterInSecond = ArrayMetric(2, 1000); LeapArray.values drops t - start > 1000.
    const clock = new ManualClock();
    const s = new Sentinel({}, { clock });
    s.loadFlowRules(sentinelFlowRules([{ resource: R, count: 5 }]));
    const outcomes: string[] = [];
    const tryAt = async (t: number) => {
      clock.nowMs = t;
      outcomes.push(
        await s.entry(R).then(
          (e) => {
            e.exit();
            return `${t}:pass`;
          },
          (e: unknown) => `${t}:${(e as Error).name}`,
        ),
      );
    };
    for (let i = 0; i < 6; i++) await tryAt(0);
    await tryAt(999);
    await tryAt(1000);
    expect(outcomes).toEqual([
      '0:pass',
      '0:pass',
      '0:pass',
      '0:pass',
      '0:pass',
      '0:FlowException',
      '999:FlowException',
      '1000:pass',
    ]);
  });

  it('THREAD grade counts entries in flight, released by exit()', async () => {
    const s = new Sentinel({}, { clock: new ManualClock() });
    s.loadFlowRules(sentinelFlowRules([{ resource: R, grade: 0, count: 2 }]));
    const a = await s.entry(R);
    await s.entry(R);
    const err = await s.entry(R).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowException);
    expect((err as FlowException).rule.grade).toBe(0);
    a.exit();
    await expect(s.entry(R)).resolves.toBeDefined();
  });

  it('several flow rules are checked in order; the first refusal throws with its rule', async () => {
    // FlowRuleChecker.checkFlow.
    const s = new Sentinel({}, { clock: new ManualClock() });
    s.loadFlowRules(
      sentinelFlowRules([
        { resource: R, count: 3 },
        { resource: R, count: 1 },
      ]),
    );
    await s.entry(R);
    const err = (await s.entry(R).catch((e: unknown) => e)) as FlowException;
    expect(err.rule.count).toBe(1);
  });

  it('RATE_LIMITER: 10 callers at once, 10 QPS, 500 ms queue → 6 pass at 0,100,…,500 ms (virtual sleeps), 4 refused', async () => {
    const sim = new Sentinel_sim();
    sim.s.loadFlowRules(
      sentinelFlowRules([{ resource: R, count: 10, controlBehavior: 2, maxQueueingTimeMs: 500 }]),
    );
    const results = Array.from({ length: 10 }, () =>
      sim.sim.spawn(() =>
        sim.s.entry(R).then(
          (e) => {
            e.exit();
            return sim.sim.clock.now();
          },
          () => -1,
        ),
      ),
    );
    await sim.sim.run();
    expect(await Promise.all(results)).toEqual([0, 100, 200, 300, 400, 500, -1, -1, -1, -1]);
  });

  it('ThrottlingControllerTest.testThrottlingControllerNormal: 6 sequential entries take 500 ms (> 400)', async () => {
    const sim = new Sentinel_sim();
    sim.s.loadFlowRules(sentinelFlowRules([{ resource: R, count: 10, controlBehavior: 2 }]));
    const done = sim.sim.spawn(async () => {
      for (let i = 0; i < 6; i++) (await sim.s.entry(R)).exit();
      return sim.sim.clock.now();
    });
    await sim.sim.run();
    expect(await done).toBe(500);
  });

  it('RATE_LIMITER: the first request ever passes at once on a virtual clock from 0 (latestPassedTime "never")', async () => {
    // RateLimiterController starts latestPassedTime at -1, "long ago" for Unix ms; modelled as -Infinity.
    const sim = new Sentinel_sim();
    sim.s.loadFlowRules(sentinelFlowRules([{ resource: R, count: 10, controlBehavior: 2 }]));
    const done = sim.sim.spawn(async () => {
      (await sim.s.entry(R)).exit();
      return sim.sim.clock.now();
    });
    await sim.sim.run();
    expect(await done).toBe(0);
  });

  it('a paced wait is part of the response time (Entry.createTimestamp precedes the slot chain): the RT breaker sees it', async () => {
    const sim = new Sentinel_sim();
    sim.s.loadFlowRules(
      sentinelFlowRules([{ resource: R, count: 10, controlBehavior: 2, maxQueueingTimeMs: 1000 }]),
    );
    sim.s.loadDegradeRules(
      sentinelDegradeRules([
        { resource: R, grade: 0, count: 250, minRequestAmount: 5, slowRatioThreshold: 0.5, timeWindow: 10 },
      ]),
    );
    const snapshots: (number | null)[] = [];
    sim.s.onStateChange((_p, _n, _r, snap) => snapshots.push(snap));
    const done = Array.from({ length: 7 }, () => sim.sim.spawn(async () => (await sim.s.entry(R)).exit()));
    await sim.sim.run();
    await Promise.all(done);
    // Paced waits 0, 100, …, 600 ms, each exiting at once, so rt = wait. 6th completion: 3 slow
    // (300, 400, 500 > 250) of 6 = 0.5, not > 0.5; 7th: 4/7 → OPEN. Without the wait in rt nothing is slow.
    expect(sim.s.circuitBreakers(R)[0]!.state).toBe('OPEN');
    expect(snapshots).toEqual([4 / 7]);
  });

  it('WARM_UP on a virtual clock from 0 starts cold (count / 3 in the first second), and is cold again after idling', async () => {
    // WarmUpController's first syncToken fills the bucket to maxToken ("never filled" = long ago).
    const sim = new Sentinel_sim();
    sim.s.loadFlowRules(
      sentinelFlowRules([{ resource: R, count: 10, controlBehavior: 1, warmUpPeriodSec: 10 }]),
    );
    const burst = (n: number) =>
      sim.sim.spawn(async () => {
        let passed = 0;
        for (let i = 0; i < n; i++) {
          const e: Entry | undefined = await sim.s.entry(R).catch(() => undefined);
          if (e) {
            passed++;
            e.exit();
          }
        }
        return passed;
      });
    const first = burst(12);
    await sim.sim.run();
    expect(await first).toBe(3);
    await sim.sim.advanceBy(20_000);
    const cold = burst(12);
    await sim.sim.run();
    expect(await cold).toBe(3);
  });

  const invalid: { cite: string; rule: SentinelFlowRuleConfig; field: string | undefined }[] = [
    { cite: 'FlowRuleUtil.isValidRule count < 0', rule: { resource: R, count: -1 }, field: 'count' },
    { cite: 'FlowRuleUtil.isValidRule grade', rule: { resource: R, grade: 2 as 1 }, field: 'grade' },
    {
      cite: 'checkControlBehaviorField WARM_UP',
      rule: { resource: R, controlBehavior: 1, warmUpPeriodSec: 0 },
      field: 'warmUpPeriodMs',
    },
    {
      cite: 'checkControlBehaviorField RATE_LIMITER',
      rule: { resource: R, controlBehavior: 2, maxQueueingTimeMs: 0 },
      field: 'maxQueueingTimeMs',
    },
    {
      cite: 'checkControlBehaviorField WARM_UP_RATE_LIMITER',
      rule: { resource: R, controlBehavior: 3, maxQueueingTimeMs: 0 },
      field: 'maxQueueingTimeMs',
    },
    {
      cite: 'THREAD grade ignores controlBehavior (generateRater)',
      rule: { resource: R, grade: 0, controlBehavior: 2, maxQueueingTimeMs: 0 },
      field: undefined,
    },
    { cite: 'strategy RELATE not modelled', rule: { resource: R, strategy: 1 as 0 }, field: 'strategy' },
    { cite: 'limitApp origins not modelled', rule: { resource: R, limitApp: 'appA' }, field: 'limitApp' },
    { cite: 'defaults valid (count 0 refuses everything)', rule: { resource: R }, field: undefined },
  ];
  for (const row of invalid) {
    it(`FlowRule validation: ${row.cite} → ${row.field ?? 'valid'}`, () => {
      expect(flowRuleProblem(flowRule(flowRuleFromSentinel(row.rule)))?.field).toBe(row.field);
    });
  }

  it('FlowRule defaults and loadFlowRules errors', () => {
    expect(flowRule({ resource: R })).toEqual({
      resource: R,
      grade: 1,
      count: 0,
      strategy: 0,
      controlBehavior: 0,
      warmUpPeriodMs: 10_000,
      maxQueueingTimeMs: 500,
      limitApp: 'default',
      clusterMode: false,
    });
    const s = new Sentinel({}, { clock: new ManualClock() });
    expect(() => s.loadFlowRules(sentinelFlowRules([{ resource: R, count: -2 }]))).toThrow(InvalidRuleError);
    expect(() => s.loadFlowRules(sentinelFlowRules([{ resource: R, count: -2 }]))).toThrow(/FlowRule\.count/);
  });
});

/** A Simulation and a Sentinel on its clock. */
class Sentinel_sim {
  readonly sim = new Simulation({ seed: 1 });
  readonly s = new Sentinel({}, { clock: this.sim.clock });
}

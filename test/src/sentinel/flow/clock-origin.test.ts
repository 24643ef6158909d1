// The pacing and warm-up controllers must not depend on where the clock starts. Sentinel 1.8.x
// initialises "never" as small literals (RateLimiterController / WarmUpRateLimiterController:
// `latestPassedTime = -1`; WarmUpController: `lastFilledTime = 0`, `storedTokens = 0`), which mean
// "long ago" only because TimeUtil.currentTimeMillis() reads Unix ms (~1.7e12). The model uses
// -Infinity instead, so a Simulation (virtual clock from 0) makes the admissions a production JVM
// makes: the first paced request passes at once, and WARM_UP starts cold (about count / coldFactor).
// Regression for review finding A4 (first paced wait was 99 ms; WARM_UP started warm at 10/s).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/index.ts';
import type { Clock } from '#src/ports/clock.ts';
import {
  type FlowNode,
  RateLimiterController,
  Sentinel,
  type TrafficShapingController,
  WarmUpController,
  WarmUpRateLimiterController,
} from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { sentinelFlowRules } from '../../../helpers/sentinel-rules.ts';

/** A Unix-ms instant like the one a JVM reads (a whole second, so the 1 s windows line up). */
const UNIX_MS = 1_700_000_000_000;
const SEED = 20_260_401;

/** The simulation's clock read `originMs` later: the same run, but the clock says Unix time. */
function shiftedClock(sim: Simulation, originMs: number): Clock {
  return {
    now: () => originMs + sim.clock.now(),
    sleep: (ms, signal) => sim.clock.sleep(ms, signal),
    schedule: (delayMs, callback) => sim.clock.schedule(delayMs, callback),
  };
}

interface Admissions {
  /** RATE_LIMITER 10 QPS, 500 ms queue: ms after the start at which each of 8 simultaneous callers passed (-1 refused). */
  readonly pacedMs: number[];
  /** WARM_UP 10 QPS, 10 s, cold factor 3: admissions of a burst of 15 at the start of each of 14 seconds. */
  readonly warmPerSecond: number[];
  /** WARM_UP_RATE_LIMITER 10 QPS, 10 s, 1000 ms queue: ms after the start at which 5 sequential callers passed. */
  readonly warmPacedMs: number[];
}

/** The same traffic on a Sentinel whose clock reads `originMs` at the simulation's t = 0. */
async function admissions(originMs: number): Promise<Admissions> {
  const sim = new Simulation({ seed: SEED });
  const clock = originMs === 0 ? sim.clock : shiftedClock(sim, originMs);
  const s = new Sentinel({}, { clock });
  s.loadFlowRules(
    sentinelFlowRules([
      { resource: 'paced', count: 10, controlBehavior: 2, maxQueueingTimeMs: 500 },
      { resource: 'warm', count: 10, controlBehavior: 1, warmUpPeriodSec: 10 },
      { resource: 'warmPaced', count: 10, controlBehavior: 3, warmUpPeriodSec: 10, maxQueueingTimeMs: 1000 },
    ]),
  );
  const since = () => clock.now() - originMs;
  const paced = Array.from({ length: 8 }, () =>
    sim.spawn(() =>
      s.entry('paced').then(
        (e) => {
          e.exit();
          return since();
        },
        () => -1,
      ),
    ),
  );
  const warm = sim.spawn(async () => {
    const perSecond: number[] = [];
    for (let sec = 0; sec < 14; sec++) {
      await clock.sleep(sec * 1000 - since());
      let passed = 0;
      for (let i = 0; i < 15; i++) {
        const e = await s.entry('warm').catch(() => undefined);
        if (e) {
          passed++;
          e.exit();
        }
      }
      perSecond.push(passed);
    }
    return perSecond;
  });
  const warmPaced = sim.spawn(async () => {
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      (await s.entry('warmPaced')).exit();
      at.push(since());
    }
    return at;
  });
  await sim.run();
  return { pacedMs: await Promise.all(paced), warmPerSecond: await warm, warmPacedMs: await warmPaced };
}

describe('flow controllers do not depend on the clock origin', () => {
  it('a Simulation (virtual clock from 0) and a clock at 1.7e12 (Unix ms) admit the same requests', async () => {
    const fromZero = await admissions(0);
    const unix = await admissions(UNIX_MS);
    expect(fromZero).toEqual(unix);
    // What a production JVM does: the first paced caller passes at once, then one every 100 ms up
    // to the 500 ms queue limit.
    expect(fromZero.pacedMs).toEqual([0, 100, 200, 300, 400, 500, -1, -1]);
    // WARM_UP starts cold: passQps + 1 <= nextUp(10 / 3) admits 3 in the first second, then warms up.
    expect(fromZero.warmPerSecond[0]).toBe(3);
    expect(fromZero.warmPerSecond.at(-1)).toBe(10);
    // Cold pacing interval: round(1000 / nextUp(10 / 3)) = 300 ms, the first one at once.
    expect(fromZero.warmPacedMs.slice(0, 2)).toEqual([0, 300]);
  });

  it('the first syncToken fills the warm-up bucket to maxToken on a clock from 0 and at 1.7e12', () => {
    const node: FlowNode = { passQps: () => 0, previousPassQps: () => 0, curThreadNum: () => 0 };
    for (const startMs of [0, UNIX_MS]) {
      const c = new WarmUpController(
        { count: 10, warmUpPeriodMs: 10_000, coldFactor: 3 },
        { clock: new ManualClock(startMs) },
      );
      c.canPass(node, 1);
      expect({ startMs, tokens: c.tokens }).toEqual({ startMs, tokens: c.maxToken });
    }
  });

  it('RateLimiterController: latestPassedTime is -Infinity ("never") until the first pass', () => {
    const clock = new ManualClock(0);
    const c = new RateLimiterController({ maxQueueingTimeMs: 500, count: 10 }, { clock });
    const node: FlowNode = { passQps: () => 0, previousPassQps: () => 0, curThreadNum: () => 0 };
    expect(c.latestPassedTime).toBe(Number.NEGATIVE_INFINITY);
    expect(c.canPass(node, 1)).toBe(0);
    expect(c.latestPassedTime).toBe(0);
  });

  // Property: any sequence of calls gives the same waits at origin 0 and at origin k·1000 ms
  // (whole seconds, since Sentinel aligns syncToken and its windows to the second).
  const step = fc.record({
    dtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 900, max: 25_000 })),
    passQps: fc.nat(25),
    previousPassQps: fc.nat(25),
    acquire: fc.integer({ min: 1, max: 3 }),
  });
  const kinds = ['WarmUp', 'RateLimiter', 'WarmUpRateLimiter'] as const;
  const make = (kind: (typeof kinds)[number], clock: ManualClock): TrafficShapingController =>
    kind === 'WarmUp'
      ? new WarmUpController({ count: 10, warmUpPeriodMs: 10_000, coldFactor: 3 }, { clock })
      : kind === 'RateLimiter'
        ? new RateLimiterController({ maxQueueingTimeMs: 500, count: 10 }, { clock })
        : new WarmUpRateLimiterController(
            { count: 10, warmUpPeriodMs: 10_000, maxQueueingTimeMs: 1000, coldFactor: 3 },
            { clock },
          );

  it('property (seed 20260401): canPass results are the same at origin 0 and at origin k·1000 ms', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.oneof(fc.constant(UNIX_MS / 1000), fc.integer({ min: 1, max: 2_000_000_000 })),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        (kind, originSec, steps) => {
          const run = (originMs: number) => {
            const clock = new ManualClock(originMs);
            const c = make(kind, clock);
            return steps.map((st) => {
              clock.advance(st.dtMs);
              const node: FlowNode = {
                passQps: () => st.passQps,
                previousPassQps: () => st.previousPassQps,
                curThreadNum: () => 0,
              };
              return c.canPass(node, st.acquire);
            });
          };
          expect(run(0)).toEqual(run(originSec * 1000));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// Properties of the breakers over random runs (fast-check, named seeds):
// 1. model-based: one breaker against a plain model of Sentinel 1.8.x's rules (AbstractCircuitBreaker,
//    ResponseTimeCircuitBreaker, ExceptionCircuitBreaker), command by command;
// 2. a breaker never admits a request while OPEN except the one probe: an admission with any breaker
//    OPEN before the deadline or HALF_OPEN is a failure, and each OPEN period yields at most one probe.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CircuitBreakerState,
  type Entry,
  Sentinel,
  type SentinelDegradeRuleConfig,
} from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../../helpers/sentinel-rules.ts';

type Cmd =
  | { readonly kind: 'enter' }
  | { readonly kind: 'complete'; readonly pick: number; readonly error: boolean }
  | { readonly kind: 'advance'; readonly ms: number }
  // Jump to a retry deadline plus delta (-1, 0 or +1 ms), if a breaker is OPEN with one ahead: the
  // inclusive `>=` boundary is otherwise almost never hit by random steps.
  | { readonly kind: 'toRetry'; readonly delta: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'enter' } as const) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat(50), error: fc.boolean() }),
  },
  // Short steps make fast calls and keep windows alive; long ones reach deadlines and roll windows.
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3500 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('toRetry' as const), delta: fc.integer({ min: -1, max: 1 }) }),
  },
);

const ruleArb: fc.Arbitrary<Omit<SentinelDegradeRuleConfig, 'resource'>> = fc.oneof(
  fc.record({
    grade: fc.constant(0 as const),
    count: fc.integer({ min: 0, max: 120 }),
    slowRatioThreshold: fc.constantFrom(0, 0.25, 0.5, 1),
    minRequestAmount: fc.integer({ min: 1, max: 5 }),
    statIntervalMs: fc.constantFrom(100, 1000, 60_000),
    timeWindow: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    grade: fc.constant(1 as const),
    count: fc.constantFrom(0, 0.3, 0.5, 1),
    minRequestAmount: fc.integer({ min: 1, max: 5 }),
    statIntervalMs: fc.constantFrom(100, 1000, 60_000),
    timeWindow: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    grade: fc.constant(2 as const),
    count: fc.integer({ min: 0, max: 4 }),
    minRequestAmount: fc.integer({ min: 1, max: 5 }),
    statIntervalMs: fc.constantFrom(100, 1000, 60_000),
    timeWindow: fc.integer({ min: 1, max: 3 }),
  }),
);

/** The plain model: Sentinel's rules written out once more, with no shared code. */
class Model {
  state: CircuitBreakerState = 'CLOSED';
  retryAt = 0;
  windowStart = -1;
  bad = 0;
  total = 0;
  constructor(readonly r: Required<Omit<SentinelDegradeRuleConfig, 'resource' | 'limitApp'>>) {}
  tryPass(now: number): boolean {
    if (this.state === 'CLOSED') return true;
    if (this.state === 'OPEN' && now >= this.retryAt) {
      this.state = 'HALF_OPEN';
      return true;
    }
    return false;
  }
  complete(now: number, rt: number, error: boolean): void {
    const ws = now - (now % this.r.statIntervalMs);
    if (ws !== this.windowStart) {
      this.windowStart = ws;
      this.bad = 0;
      this.total = 0;
    }
    const isBad = this.r.grade === 0 ? rt > Math.round(this.r.count) : error;
    if (isBad) this.bad++;
    this.total++;
    if (this.state === 'OPEN') return;
    if (this.state === 'HALF_OPEN') {
      if (isBad) {
        this.state = 'OPEN';
        this.retryAt = now + this.r.timeWindow * 1000;
      } else {
        this.state = 'CLOSED';
        this.bad = 0;
        this.total = 0;
      }
      return;
    }
    if (this.total < this.r.minRequestAmount) return;
    let trip: boolean;
    if (this.r.grade === 0) {
      const ratio = this.bad / this.total;
      trip = ratio > this.r.slowRatioThreshold || (ratio === 1 && this.r.slowRatioThreshold === 1);
    } else if (this.r.grade === 1) {
      trip = this.bad / this.total > this.r.count;
    } else {
      trip = this.bad > this.r.count;
    }
    if (trip) {
      this.state = 'OPEN';
      this.retryAt = now + this.r.timeWindow * 1000;
    }
  }
}

describe('breaker properties', () => {
  it('model-based: a single breaker agrees with the plain model on every admission and state (seed 0x5e77)', async () => {
    await fc.assert(
      fc.asyncProperty(
        ruleArb,
        fc.array(cmdArb, { minLength: 10, maxLength: 200, size: 'max' }),
        async (rule, cmds) => {
          const clock = new ManualClock(1_000_000);
          const s = new Sentinel({}, { clock });
          s.loadDegradeRules(sentinelDegradeRules([{ resource: 'r', ...rule }]));
          const cb = s.circuitBreakers('r')[0]!;
          const model = new Model({ slowRatioThreshold: 1, ...rule } as Model['r']);
          const inflight: Entry[] = [];
          for (const c of cmds) {
            if (c.kind === 'advance') clock.advance(c.ms);
            else if (c.kind === 'toRetry') {
              if (model.state === 'OPEN' && model.retryAt + c.delta > clock.now())
                clock.nowMs = model.retryAt + c.delta;
            } else if (c.kind === 'enter') {
              const expected = model.tryPass(clock.now());
              const e = await s.entry('r').catch(() => undefined);
              expect(e !== undefined).toBe(expected);
              if (e) inflight.push(e);
            } else if (inflight.length > 0) {
              const [e] = inflight.splice(c.pick % inflight.length, 1);
              if (c.error) e!.setError(new Error('x'));
              e!.exit();
              model.complete(clock.now(), clock.now() - e!.createTimestampMs, c.error);
            }
            expect(cb.state).toBe(model.state);
          }
        },
      ),
      { seed: 0x5e77, numRuns: 300 },
    );
  });

  it('never admits while OPEN except the one probe, with several rules on one resource (seed 0x0be2)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
        fc.array(cmdArb, { minLength: 10, maxLength: 200, size: 'max' }),
        async (rules, cmds) => {
          const clock = new ManualClock(1_000_000);
          const s = new Sentinel({}, { clock });
          s.loadDegradeRules(sentinelDegradeRules(rules.map((r) => ({ resource: 'r', ...r }))));
          const breakers = s.circuitBreakers('r');
          // Probes admitted per breaker since it last entered OPEN.
          const probes = breakers.map(() => 0);
          s.onStateChange((_prev, next, rule) => {
            const i = breakers.findIndex((b) => b.rule === rule);
            if (next === 'OPEN') probes[i] = 0;
          });
          const inflight: Entry[] = [];
          for (const c of cmds) {
            if (c.kind === 'advance') clock.advance(c.ms);
            else if (c.kind === 'toRetry') {
              const open = breakers.map((b) => b.phase).find((p) => p.state === 'OPEN');
              if (open?.state === 'OPEN' && open.nextRetryTimestampMs + c.delta > clock.now()) {
                clock.nowMs = open.nextRetryTimestampMs + c.delta;
              }
            } else if (c.kind === 'enter') {
              const before = breakers.map((b) => b.phase);
              const e = await s.entry('r').catch(() => undefined);
              if (e === undefined) continue;
              inflight.push(e);
              before.forEach((p, i) => {
                expect(p.state).not.toBe('HALF_OPEN');
                if (p.state === 'OPEN') {
                  expect(clock.now()).toBeGreaterThanOrEqual(p.nextRetryTimestampMs);
                  expect(breakers[i]!.state).toBe('HALF_OPEN');
                  probes[i]!++;
                  expect(probes[i]).toBe(1);
                }
              });
            } else if (inflight.length > 0) {
              const [e] = inflight.splice(c.pick % inflight.length, 1);
              if (c.error) e!.setError(new Error('x'));
              e!.exit();
            }
          }
        },
      ),
      { seed: 0x0be2, numRuns: 300 },
    );
  });
});

// Conformance of the breakers with Sentinel 1.8.x. Each row reproduces a Sentinel test
// (sentinel-core/src/test/java/com/alibaba/csp/sentinel/slots/block/degrade/...) or a rule read in
// its source (sentinel-core/src/main/java/com/alibaba/csp/sentinel/slots/block/degrade/...), cited
// in `cite`. Times: Sentinel's tests run on a mocked TimeUtil; ours on a hand-moved clock. Where a
// Sentinel test draws a random duration (ThreadLocalRandom.nextInt(a, b)) the row uses a fixed value
// in the same range, named in the row.

import { describe, expect, it } from 'vitest';
import {
  ARTICLE_RT_DEGRADE_RULE,
  type CircuitBreakerState,
  DegradeException,
  type DegradeRuleConfig,
  degradeRuleFromSentinel,
  type Entry,
  FlowException,
  Sentinel,
  type SentinelDegradeRuleConfig,
} from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../../helpers/sentinel-rules.ts';

type Step =
  | readonly ['pass', number] // entry must pass; lasts n ms; exits
  | readonly ['fail', number] // entry must pass; lasts n ms; records an error; exits
  | readonly ['block'] // entry must be refused with a DegradeException
  | readonly ['sleep', number]
  | readonly ['hold', string] // entry must pass; kept open under a name
  | readonly ['exit', string] // exits a held entry
  | readonly ['exitErr', string] // records an error on a held entry, then exits it
  | readonly ['state', ...CircuitBreakerState[]]; // breakers' states, in rule order

interface Row {
  readonly name: string;
  readonly cite: string;
  readonly startMs?: number;
  readonly rules: readonly Omit<SentinelDegradeRuleConfig, 'resource'>[];
  readonly steps: readonly Step[];
  /** Observer calls as `t prev>next snapshot` (rule index prefixed when there are several rules). */
  readonly events?: readonly string[];
}

const R = 'res';

/** A rule's fields without its resource name, for a row (play() sets `resource: R`). */
function withoutResource(rule: DegradeRuleConfig): Omit<DegradeRuleConfig, 'resource'> {
  const { resource: _resource, ...fields } = rule;
  return fields;
}
const CB = 'sentinel-core/.../slots/block/degrade/circuitbreaker/';

async function play(row: Row): Promise<string[]> {
  const clock = new ManualClock(row.startMs ?? 0);
  const s = new Sentinel({}, { clock });
  s.loadDegradeRules(sentinelDegradeRules(row.rules.map((r) => ({ resource: R, ...r }))));
  const events: string[] = [];
  const rules = s.circuitBreakers(R).map((cb) => cb.rule);
  s.onStateChange((prev, next, rule, snap) => {
    const who = rules.length > 1 ? `#${rules.indexOf(rule)} ` : '';
    events.push(`${clock.now() - (row.startMs ?? 0)} ${who}${prev}>${next} ${snap}`);
  });
  const held = new Map<string, Entry>();
  for (const [i, step] of row.steps.entries()) {
    const at = `step ${i} ${JSON.stringify(step)} at t=${clock.now() - (row.startMs ?? 0)}`;
    switch (step[0]) {
      case 'pass':
      case 'fail': {
        const e = await s.entry(R).catch((err: unknown) => err);
        expect(e, at).not.toBeInstanceOf(Error);
        clock.advance(step[1]);
        if (step[0] === 'fail') (e as Entry).setError(new Error('boom'));
        (e as Entry).exit();
        break;
      }
      case 'block':
        await expect(s.entry(R), at).rejects.toBeInstanceOf(DegradeException);
        break;
      case 'sleep':
        clock.advance(step[1]);
        break;
      case 'hold':
        held.set(step[1], await s.entry(R));
        break;
      case 'exit':
      case 'exitErr': {
        const e = held.get(step[1])!;
        if (step[0] === 'exitErr') e.setError(new Error('boom'));
        e.exit();
        break;
      }
      case 'state':
        expect(
          s.circuitBreakers(R).map((cb) => cb.state),
          at,
        ).toEqual(step.slice(1));
        break;
    }
  }
  return events;
}

const rows: Row[] = [
  {
    name: 'slow ratio 1.0 trips at exactly 100 % slow (#1779), probe passes at the inclusive deadline',
    cite: 'ResponseTimeCircuitBreakerTest.testMaxSlowRatioThreshold',
    rules: [
      {
        count: 10,
        grade: 0,
        minRequestAmount: 3,
        slowRatioThreshold: 1,
        statIntervalMs: 5000,
        timeWindow: 5,
      },
    ],
    steps: [
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['block'],
      ['sleep', 1000],
      ['block'],
      ['sleep', 4000],
      ['pass', 20],
    ],
    events: ['60 CLOSED>OPEN 1', '5060 OPEN>HALF_OPEN null', '5080 HALF_OPEN>OPEN 1'],
  },
  {
    name: 'exception ratio: open, failed probe reopens, good probe closes and resets the window',
    cite: 'ExceptionCircuitBreakerTest.testRecordErrorOrSuccess (nextInt(5, 10) → 7 ms)',
    rules: [{ count: 0.2, grade: 1, statIntervalMs: 20_000, timeWindow: 10, minRequestAmount: 1 }],
    steps: [
      ['pass', 10],
      ['fail', 7],
      ['block'],
      ['block'],
      ['sleep', 5000],
      ['block'],
      ['sleep', 5000],
      ['fail', 7],
      ['block'],
      ['block'],
      ['sleep', 10_000],
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
      ['fail', 7],
      ['pass', 100],
      ['state', 'CLOSED'],
    ],
  },
  {
    name: 'slow ratio 0.8 over 20 s: 70 % does not trip, the 16th completion (13/16) does',
    cite: 'CircuitBreakingIntegrationTest.testSlowRequestMode (nextInt(10, 20) → 15 ms)',
    startMs: 1_700_000_000_000,
    rules: [
      {
        timeWindow: 5,
        count: 50,
        statIntervalMs: 20_000,
        minRequestAmount: 10,
        slowRatioThreshold: 0.8,
        grade: 0,
      },
    ],
    steps: [
      ...Array.from({ length: 7 }, () => ['pass', 65] as const),
      ...Array.from({ length: 3 }, () => ['pass', 35] as const),
      ...Array.from({ length: 5 }, () => ['pass', 65] as const),
      ['state', 'CLOSED'],
      ['pass', 65],
      ['state', 'OPEN'],
      ['block'],
      ['sleep', 1000],
      ['block'],
      ['sleep', 5000],
      ['pass', 65],
      ['state', 'OPEN'],
      ['sleep', 6000],
      ['pass', 35],
      ['state', 'CLOSED'],
      ['pass', 65],
    ],
    events: [
      '950 CLOSED>OPEN 0.8125',
      '6950 OPEN>HALF_OPEN null',
      '7015 HALF_OPEN>OPEN 1',
      '13015 OPEN>HALF_OPEN null',
      '13050 HALF_OPEN>CLOSED null',
    ],
  },
  {
    name: 'exception ratio 0.5 over 25 s: 7/10 errors trips',
    cite: 'CircuitBreakingIntegrationTest.testExceptionRatioMode (nextInt(5, 10) → 7 ms)',
    startMs: 1_700_000_000_000,
    rules: [{ timeWindow: 5, count: 0.5, statIntervalMs: 25_000, minRequestAmount: 10, grade: 1 }],
    steps: [
      ...Array.from({ length: 6 }, () => ['fail', 7] as const),
      ...Array.from({ length: 3 }, () => ['pass', 7] as const),
      ['fail', 7],
      ['state', 'OPEN'],
      ['block'],
      ['sleep', 2000],
      ['block'],
      ['sleep', 5000],
      ['fail', 7],
      ['state', 'OPEN'],
      ['sleep', 6000],
      ['pass', 7],
      ['state', 'CLOSED'],
      ['fail', 7],
      ['state', 'CLOSED'],
    ],
    events: [
      '70 CLOSED>OPEN 0.7',
      '7070 OPEN>HALF_OPEN null',
      '7077 HALF_OPEN>OPEN 1',
      '13077 OPEN>HALF_OPEN null',
      '13084 HALF_OPEN>CLOSED null',
    ],
  },
  {
    name: 'two rules: a probe refused by the later rule sends the first back to OPEN, deadline unchanged (#1638)',
    cite: 'CircuitBreakingIntegrationTest.testMultipleHalfOpenedBreakers; AbstractCircuitBreaker.fromOpenToHalfOpen hook',
    startMs: 1_700_000_000_000,
    rules: [
      {
        timeWindow: 2,
        count: 50,
        statIntervalMs: 20_000,
        minRequestAmount: 1,
        slowRatioThreshold: 0.8,
        grade: 0,
      },
      {
        timeWindow: 4,
        count: 50,
        statIntervalMs: 20_000,
        minRequestAmount: 1,
        slowRatioThreshold: 0.8,
        grade: 0,
      },
    ],
    steps: [
      ['pass', 100],
      ['state', 'OPEN', 'OPEN'],
      ['sleep', 3000],
      ['block'],
      ['block'],
      ['state', 'OPEN', 'OPEN'],
      ['sleep', 3000],
      ['pass', 1],
      ['pass', 1],
      ['state', 'CLOSED', 'CLOSED'],
    ],
    events: [
      '100 #0 CLOSED>OPEN 1',
      '100 #1 CLOSED>OPEN 1',
      '3100 #0 OPEN>HALF_OPEN null',
      '3100 #0 HALF_OPEN>OPEN 1',
      '3100 #0 OPEN>HALF_OPEN null',
      '3100 #0 HALF_OPEN>OPEN 1',
      '6100 #0 OPEN>HALF_OPEN null',
      '6100 #1 OPEN>HALF_OPEN null',
      '6101 #0 HALF_OPEN>CLOSED null',
      '6101 #1 HALF_OPEN>CLOSED null',
    ],
  },
  {
    name: 'rt equal to count is not slow; one ms more is',
    cite: `${CB}ResponseTimeCircuitBreaker.java (rt > maxAllowedRt)`,
    rules: [{ grade: 0, count: 100, minRequestAmount: 1, slowRatioThreshold: 0, timeWindow: 1 }],
    steps: [
      ['pass', 100],
      ['state', 'CLOSED'],
      ['pass', 101],
      ['state', 'OPEN'],
    ],
    events: ['201 CLOSED>OPEN 0.5'],
  },
  {
    name: 'count is rounded half up to whole ms (Math.round): 100.5 allows 101 ms',
    cite: `${CB}ResponseTimeCircuitBreaker.java (maxAllowedRt = Math.round(count))`,
    rules: [{ grade: 0, count: 100.5, minRequestAmount: 1, slowRatioThreshold: 0, timeWindow: 1 }],
    steps: [
      ['pass', 101],
      ['state', 'CLOSED'],
      ['pass', 102],
      ['state', 'OPEN'],
    ],
  },
  {
    name: 'the article RT rule: 3 slow of 6 is exactly 0.5 (strict, stays closed); 4 of 7 opens',
    cite: `${CB}ResponseTimeCircuitBreaker.java (currentRatio > maxSlowRequestRatio)`,
    rules: [withoutResource(ARTICLE_RT_DEGRADE_RULE)],
    steps: [
      ['pass', 2001],
      ['pass', 2001],
      ['pass', 100],
      ['pass', 100],
      ['pass', 2000],
      ['state', 'CLOSED'],
      ['pass', 2500],
      ['state', 'CLOSED'],
      ['pass', 3000],
      ['state', 'OPEN'],
    ],
    events: ['11702 CLOSED>OPEN 0.5714285714285714'],
  },
  {
    name: 'minRequestAmount counts completions in the window: 4 slow of 4 stays closed, the 5th trips',
    cite: `${CB}ResponseTimeCircuitBreaker.java (totalCount < minRequestAmount)`,
    rules: [
      {
        grade: 0,
        count: 10,
        slowRatioThreshold: 0.5,
        minRequestAmount: 5,
        statIntervalMs: 60_000,
        timeWindow: 1,
      },
    ],
    steps: [
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['state', 'CLOSED'],
      ['pass', 20],
      ['state', 'OPEN'],
    ],
  },
  {
    name: 'the window is one epoch-aligned tumbling bucket: slow calls either side of t=60 s do not add up',
    cite: 'sentinel-core/.../slots/statistic/base/LeapArray.java (windowStart = t - t % windowLength); alibaba/Sentinel#3130',
    rules: [
      {
        grade: 0,
        count: 10,
        slowRatioThreshold: 0.5,
        minRequestAmount: 5,
        statIntervalMs: 60_000,
        timeWindow: 1,
      },
    ],
    steps: [
      ['sleep', 59_900],
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['state', 'CLOSED'],
      ['pass', 20], // completes at 60 000: first call of the new window
      ['pass', 20],
      ['pass', 20],
      ['pass', 20],
      ['state', 'CLOSED'],
      ['pass', 20],
      ['state', 'OPEN'],
    ],
  },
  {
    name: 'exception ratio threshold 1.0 can never trip (strict >, alibaba/Sentinel#2155)',
    cite: `${CB}ExceptionCircuitBreaker.java (curCount > threshold)`,
    rules: [{ grade: 1, count: 1.0, minRequestAmount: 1, timeWindow: 1 }],
    steps: [
      ['fail', 1],
      ['fail', 1],
      ['fail', 1],
      ['state', 'CLOSED'],
    ],
  },
  {
    name: 'exception count 5 trips on the 6th error in the window',
    cite: `${CB}ExceptionCircuitBreaker.java (errCount > threshold)`,
    rules: [{ grade: 2, count: 5, minRequestAmount: 5, timeWindow: 1, statIntervalMs: 10_000 }],
    steps: [
      ...Array.from({ length: 5 }, () => ['fail', 1] as const),
      ['state', 'CLOSED'],
      ['fail', 1],
      ['state', 'OPEN'],
    ],
    events: ['6 CLOSED>OPEN 6'],
  },
  {
    name: 'retry deadline is inclusive: refused 1 ms before, probe at the deadline',
    cite: `${CB}AbstractCircuitBreaker.java (retryTimeoutArrived: now >= nextRetryTimestamp)`,
    rules: [{ grade: 2, count: 0, minRequestAmount: 1, timeWindow: 3 }],
    steps: [['fail', 0], ['sleep', 2999], ['block'], ['sleep', 1], ['hold', 'probe'], ['state', 'HALF_OPEN']],
  },
  {
    name: 'exactly one probe: HALF_OPEN refuses everything until the probe completes',
    cite: `${CB}AbstractCircuitBreaker.java (tryPass: HALF_OPEN → false; CAS OPEN→HALF_OPEN)`,
    rules: [{ grade: 2, count: 0, minRequestAmount: 1, timeWindow: 1 }],
    steps: [
      ['fail', 0],
      ['sleep', 1000],
      ['hold', 'probe'],
      ['block'],
      ['sleep', 60_000],
      ['block'],
      ['state', 'HALF_OPEN'],
      ['exit', 'probe'],
      ['state', 'CLOSED'],
      ['pass', 0],
    ],
  },
  {
    name: 'a straggler admitted while CLOSED that completes during HALF_OPEN decides instead of the probe',
    cite: `${CB}ResponseTimeCircuitBreaker.java (HALF_OPEN branch decides on any completion)`,
    rules: [
      {
        grade: 0,
        count: 100,
        minRequestAmount: 1,
        slowRatioThreshold: 0.5,
        timeWindow: 1,
        statIntervalMs: 60_000,
      },
    ],
    steps: [
      ['hold', 'straggler'],
      ['pass', 500], // slow: 1/1 > 0.5 → OPEN at 500
      ['state', 'OPEN'],
      ['sleep', 1000],
      ['hold', 'probe'], // t=1500
      ['state', 'HALF_OPEN'],
      ['sleep', 50],
      ['exit', 'straggler'], // rt 1550 > 100, slow → HALF_OPEN → OPEN, deadline 2550
      ['state', 'OPEN'],
      ['sleep', 1000],
      ['exit', 'probe'], // fast would have closed it; in OPEN it only counts
      ['state', 'OPEN'],
    ],
    events: ['500 CLOSED>OPEN 1', '1500 OPEN>HALF_OPEN null', '1550 HALF_OPEN>OPEN 1'],
  },
  {
    name: 'closing resets the window (the probe too); reopening does not',
    cite: `${CB}AbstractCircuitBreaker.java (fromHalfOpenToClose → resetStat; fromHalfOpenToOpen keeps counts)`,
    rules: [
      {
        grade: 0,
        count: 100,
        minRequestAmount: 3,
        slowRatioThreshold: 0.5,
        timeWindow: 1,
        statIntervalMs: 60_000,
      },
    ],
    steps: [
      ['pass', 200],
      ['pass', 200],
      ['pass', 200], // 3/3 → OPEN at 600
      ['sleep', 1000],
      ['pass', 200], // probe slow → OPEN again; window now 4 slow / 4
      ['sleep', 1000],
      ['pass', 10], // probe fast → CLOSED, window zeroed
      ['pass', 200],
      ['pass', 200], // 2/2 but total < 3: stays closed (without the reset it would be 7/7)
      ['state', 'CLOSED'],
      ['pass', 10], // 2/3 > 0.5 → OPEN
      ['state', 'OPEN'],
    ],
  },
  {
    name: 'counts accrue while OPEN from earlier entries, but decide nothing until CLOSED',
    cite: `${CB}ResponseTimeCircuitBreaker.java (counters added before the OPEN return)`,
    rules: [
      {
        grade: 0,
        count: 100,
        minRequestAmount: 1,
        slowRatioThreshold: 0.5,
        timeWindow: 10,
        statIntervalMs: 60_000,
      },
    ],
    steps: [
      ['hold', 'a'],
      ['hold', 'b'],
      ['pass', 500],
      ['state', 'OPEN'],
      ['exit', 'a'],
      ['exitErr', 'b'],
      ['state', 'OPEN'],
    ],
    events: ['500 CLOSED>OPEN 1'],
  },
];

describe('Sentinel 1.8.x circuit breakers: conformance table', () => {
  for (const row of rows) {
    it(`${row.name} [${row.cite}]`, async () => {
      const events = await play(row);
      if (row.events) expect(events).toEqual(row.events);
    });
  }
});

describe('Sentinel 1.8.x breakers: window counts and slot order', () => {
  it('counts from entries admitted earlier still land in the window while OPEN', async () => {
    // ResponseTimeCircuitBreaker.onRequestComplete adds to the bucket before the OPEN early return.
    const clock = new ManualClock();
    const s = new Sentinel({}, { clock });
    s.loadDegradeRules(
      sentinelDegradeRules([
        {
          resource: R,
          grade: 0,
          count: 100,
          minRequestAmount: 1,
          slowRatioThreshold: 0.5,
          timeWindow: 10,
          statIntervalMs: 60_000,
        },
      ]),
    );
    const a = await s.entry(R);
    const b = await s.entry(R);
    const c = await s.entry(R);
    clock.advance(500);
    c.exit();
    a.exit();
    b.exit();
    const cb = s.circuitBreakers(R)[0] as unknown as { windowCounts(): { slow: number; total: number } };
    expect(cb.windowCounts()).toEqual({ slow: 3, total: 3 });
    expect(s.circuitBreakers(R)[0]!.state).toBe('OPEN');
  });

  it('flow rules run before breakers (FlowSlot -2000 before DegradeSlot -1000): a flow refusal never probes', async () => {
    // Constants.ORDER_FLOW_SLOT / ORDER_DEGRADE_SLOT; DegradeSlot.exit skips blocked entries.
    const clock = new ManualClock();
    const s = new Sentinel({}, { clock });
    s.loadDegradeRules(
      sentinelDegradeRules([{ resource: R, grade: 2, count: 0, minRequestAmount: 1, timeWindow: 1 }]),
    );
    const e = await s.entry(R);
    e.setError(new Error('x'));
    e.exit();
    expect(s.circuitBreakers(R)[0]!.state).toBe('OPEN');
    clock.advance(1000);
    s.loadFlowRules([{ resource: R, count: 0 }]);
    await expect(s.entry(R)).rejects.toBeInstanceOf(FlowException);
    expect(s.circuitBreakers(R)[0]!.state).toBe('OPEN');
    s.loadFlowRules([]);
    const probe = await s.entry(R);
    expect(s.circuitBreakers(R)[0]!.state).toBe('HALF_OPEN');
    probe.exit();
    expect(s.circuitBreakers(R)[0]!.state).toBe('CLOSED');
  });

  it('reloading an equal rule keeps its breaker and state; a changed rule gets a fresh CLOSED one', () => {
    // DegradeRuleManagerTest.loadSameRuleUseSameCircuitBreaker; DegradeRuleManager.getExistingSameCbOrNew.
    const s = new Sentinel({}, { clock: new ManualClock() });
    const rule = {
      resource: R,
      count: 100,
      slowRatioThreshold: 0.9,
      timeWindow: 20,
      statIntervalMs: 20_000,
    } as const;
    s.loadDegradeRules(sentinelDegradeRules([rule]));
    const cb = s.circuitBreakers(R)[0];
    s.loadDegradeRules(
      [rule, { resource: 'abc', timeWindow: 20, count: 20, slowRatioThreshold: 0.8 }].map(
        degradeRuleFromSentinel,
      ),
    );
    expect(s.circuitBreakers(R)[0]).toBe(cb);
    s.loadDegradeRules(sentinelDegradeRules([{ ...rule, minRequestAmount: 6 }]));
    expect(s.circuitBreakers(R)[0]).not.toBe(cb);
    expect(s.circuitBreakers('abc')).toEqual([]);
  });

  it('a DegradeException carries the refusing rule and is a BlockException', async () => {
    const clock = new ManualClock();
    const s = new Sentinel({}, { clock });
    s.loadDegradeRules(
      sentinelDegradeRules([
        { resource: R, grade: 2, count: 100, timeWindow: 5 },
        { resource: R, grade: 2, count: 0, minRequestAmount: 1, timeWindow: 7 },
      ]),
    );
    const e = await s.entry(R);
    e.setError(new Error('x'));
    e.exit();
    const err = await s.entry(R).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DegradeException);
    expect((err as DegradeException).rule.timeWindowMs).toBe(7000);
    expect((err as DegradeException).ruleLimitApp).toBe('default');
  });
});

import { describe, expect, it } from 'vitest';
import { parseDuration } from '#sim/checkers/expectations/duration.ts';
import { evaluateExpectations, type InvariantRegistry } from '#sim/checkers/expectations/evaluate.ts';
import type { TraceEvent } from '#sim/checkers/expectations/metrics.ts';
import { expectSchema, toExpectations } from '#sim/checkers/expectations/schema.ts';
import { parseThreshold } from '#sim/checkers/expectations/threshold.ts';

const noInvariants: InvariantRegistry = {};

// 100 responses, one every 100 ms over 10 s: latency = 10·i ms, failed from t = 5 s to 7 s.
function responses(): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const t = i * 100;
    const failed = t >= 5_000 && t < 7_000;
    out.push({
      t,
      c: i % 2 === 0 ? 'gateway/gw-1' : 'gateway/gw-2',
      k: 'response',
      id: i,
      ms: 10 * i,
      outcome: failed ? 'failed' : 'ok',
      servedBy: failed ? undefined : 'upstream',
    } as TraceEvent);
  }
  return out;
}

function judge(block: unknown, events = responses(), endMs = 10_000, healMs?: number) {
  const parsed = expectSchema.parse(block);
  const xs = toExpectations(parsed, { healMs, invariants: noInvariants });
  if (!Array.isArray(xs)) throw new Error(xs.message);
  return evaluateExpectations(xs, events, endMs, noInvariants);
}

describe('threshold expressions', () => {
  it('parse k6 syntax with durations and refuse what has no operator or bound', () => {
    expect(parseThreshold('p(99)<5s')).toMatchObject({
      aggregation: { kind: 'p', q: 99 },
      op: '<',
      bound: 5_000,
    });
    expect(parseThreshold('rate <= 0.01')).toMatchObject({
      aggregation: { kind: 'rate' },
      op: '<=',
      bound: 0.01,
    });
    expect(parseThreshold('p(99)')).toMatch(/expected 'aggregation operator bound'/);
    expect(parseThreshold('avg<fast')).toMatch(/bound must be a number or a duration/);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('evaluateExpectations', () => {
  it('measures whole-run thresholds with tag filters (nearest-rank percentiles, as k6)', () => {
    const results = judge({
      thresholds: {
        'gateway.latency': ['p(99)<1s', 'max<=990', 'avg<400ms'],
        'gateway.latency{instance:gw-2}': ['min==10'],
        'gateway.errors': ['rate<0.25'],
        'gateway.requests': ['count==100'],
      },
    });
    expect(results.map((r) => [r.measured, r.ok])).toEqual([
      ['980ms', true],
      ['990ms', true],
      ['495ms', false],
      ['10ms', true],
      ['0.2', true],
      ['100', true],
    ]);
  });

  it('a windowed threshold fails on the first window that breaks it, naming the window', () => {
    const [r] = judge({ thresholds: { 'gateway.errors': [{ threshold: 'rate<0.5', window: '1s' }] } });
    expect(r).toEqual({
      text: 'gateway.errors: rate<0.5 in every 1000 ms window',
      measured: '1 in the window from 5s',
      ok: false,
    });
  });

  it('the whole-run rate hides what the window shows (k6 #2379)', () => {
    const [whole] = judge({ thresholds: { 'gateway.errors': ['rate<0.25'] } });
    expect(whole?.ok).toBe(true);
  });

  it('eventually: recovered by the deadline after heal, and stayed recovered', () => {
    const [ok] = judge(
      { eventually: [{ after: 'heal', within: '2s', check: 'gateway.errors rate<0.01', window: '1s' }] },
      responses(),
      10_000,
      5_000,
    );
    expect(ok).toMatchObject({ measured: 'held from 2s after', ok: true });
    const [late] = judge(
      { eventually: [{ after: 'heal', within: '1s', check: 'gateway.errors rate<0.01', window: '1s' }] },
      responses(),
      10_000,
      5_000,
    );
    expect(late?.ok).toBe(false);
  });

  it('invariants run over every event', () => {
    const invariants: InvariantRegistry = {
      'no-failures': () => {
        let failed = 0;
        return {
          observe: (e) => {
            if (e.outcome === 'failed') failed++;
          },
          finish: () => ({ ok: failed === 0, measured: `${failed} failed` }),
        };
      },
    };
    const xs = toExpectations(expectSchema.parse({ always: ['no-failures'] }), {
      healMs: undefined,
      invariants,
    });
    if (!Array.isArray(xs)) throw new Error('unexpected');
    expect(evaluateExpectations(xs, responses(), 10_000, invariants)).toEqual([
      { text: 'always no-failures', measured: '20 failed', ok: false },
    ]);
  });

  it('violated: the same checker with the verdict reversed (the article shows the incident)', () => {
    const invariants: InvariantRegistry = {
      'no-failures': () => {
        let failed = 0;
        return {
          observe: (e) => {
            if (e.outcome === 'failed') failed++;
          },
          finish: () => ({ ok: failed === 0, measured: `${failed} failed` }),
        };
      },
    };
    const xs = toExpectations(expectSchema.parse({ always: ['no-failures'], violated: ['no-failures'] }), {
      healMs: undefined,
      invariants,
    });
    if (!Array.isArray(xs)) throw new Error('unexpected');
    expect(evaluateExpectations(xs, responses(), 10_000, invariants)).toEqual([
      { text: 'always no-failures', measured: '20 failed', ok: false },
      { text: 'violated no-failures', measured: '20 failed', ok: true },
    ]);
    const ok = responses().filter((e) => e.outcome === 'ok');
    expect(evaluateExpectations(xs, ok, 10_000, invariants).map((r) => r.ok)).toEqual([true, false]);
  });
});

describe('toExpectations refuses', () => {
  const problem = (block: unknown, healMs?: number) => {
    const r = toExpectations(expectSchema.parse(block), { healMs, invariants: noInvariants });
    return Array.isArray(r) ? undefined : `${r.path.join('.')}: ${r.message}`;
  };
  it('an unknown metric, an unknown tag, a threshold without a bound, a wrong aggregation', () => {
    expect(problem({ thresholds: { 'gateway.latncy': ['p(99)<1s'] } })).toMatch(
      /^expect.thresholds.gateway.latncy: unknown metric/,
    );
    expect(problem({ thresholds: { 'gateway.latency{zone:a}': ['p(99)<1s'] } })).toMatch(/has no tag 'zone'/);
    expect(problem({ thresholds: { 'gateway.latency': ['p(99)'] } })).toMatch(
      /^expect.thresholds.gateway.latency.0: expected 'aggregation/,
    );
    expect(problem({ thresholds: { 'gateway.errors': ['p(99)<1'] } })).toMatch(
      /is a rate: aggregations rate, count/,
    );
    expect(problem({ always: ['no-such-thing'] })).toMatch(/unknown invariant 'no-such-thing'/);
    expect(problem({ violated: ['no-such-thing'] })).toMatch(
      /^expect.violated.0: unknown invariant 'no-such-thing'/,
    );
    expect(
      problem({ eventually: [{ after: 'heal', within: '5s', check: 'gateway.errors rate<0.1' }] }),
    ).toMatch(/'heal' needs a fault timeline/);
  });
});

describe('the end of the run', () => {
  it('an event at the run’s last instant counts (the last window includes its end)', () => {
    const events = [
      { t: 0, c: 'gateway/gw-1', k: 'response', id: 1, ms: 5, outcome: 'ok' },
      { t: 1_000, c: 'gateway/gw-1', k: 'response', id: 2, ms: 5, outcome: 'failed' },
    ] as TraceEvent[];
    const [count, windowed] = judge(
      {
        thresholds: {
          'gateway.requests': ['count==2'],
          'gateway.errors': [{ threshold: 'rate<0.5', window: '1s' }],
        },
      },
      events,
      1_000,
    );
    expect(count).toMatchObject({ measured: '2', ok: true });
    expect(windowed?.ok).toBe(false);
  });
});

// The article's exception rule (ha-architecture-article §1.3: grade EXCEPTION_RATIO, count 0.3,
// minRequestAmount 5, timeWindow 60) sets no statIntervalMs, so Sentinel's default 1000 ms applies
// (DegradeRule.java). ExceptionCircuitBreaker counts completions in one epoch-aligned window of that
// length and decides only once it holds minRequestAmount of them (ExceptionCircuitBreaker.
// handleStateChangeWhenThresholdExceeded: `totalCount < minRequestAmount` returns). So whether the
// rule can trip depends on throughput, at least 5 completions within one calendar second, and not
// on how long each call takes: below 5 completions/s it never trips however badly the calls fail,
// at 5/s or more it trips, for 100 ms calls and 30 s calls alike. The same rule with a 60 s window
// trips at the 5th failed completion even at 0.5 calls/s. (The model is deterministic: no seed.)
import { describe, expect, it } from 'vitest';
import { ARTICLE_EXCEPTION_DEGRADE_RULE, type Entry, Sentinel } from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';

const ARTICLE_RULE = ARTICLE_EXCEPTION_DEGRADE_RULE;

interface Traffic {
  /** Arrivals per second, evenly spaced from t = 0 (1000 / rate must be whole ms). */
  readonly ratePerSec: number;
  /** Time from entry to exit of every call, in ms. */
  readonly callMs: number;
  /** Every call fails (a 500 from the provider, traced on the entry). */
  readonly calls: number;
  /** Overrides the rule's window. @defaultValue the article's (none, so 1000 ms) */
  readonly statIntervalMs?: number;
}

/** The completion (1-based) that opened the breaker, and its clock ms. */
interface Opened {
  readonly completion: number;
  readonly atMs: number;
}

/**
 * Calls arriving at a fixed rate, overlapping when `callMs` exceeds the spacing, all failing.
 * Returns the final state and, if the breaker opened, the completion that opened it.
 */
async function failingTraffic(t: Traffic): Promise<{ state: string; opened: Opened | null }> {
  const clock = new ManualClock();
  const s = new Sentinel({}, { clock });
  s.loadDegradeRules([
    { ...ARTICLE_RULE, ...(t.statIntervalMs ? { statIntervalMs: t.statIntervalMs } : {}) },
  ]);
  const spacingMs = 1000 / t.ratePerSec;
  expect(Number.isInteger(spacingMs)).toBe(true);
  let completed = 0;
  let opened = null as Opened | null;
  s.onStateChange((_p, next) => {
    if (next === 'OPEN' && opened === null) opened = { completion: completed, atMs: clock.nowMs };
  });
  // Completions happen in arrival order (every call takes callMs); at equal times they come first.
  const inFlight: { entry: Entry; doneMs: number }[] = [];
  const complete = () => {
    const call = inFlight.shift()!;
    clock.nowMs = call.doneMs;
    call.entry.setError(new Error('LLM 500'));
    completed++; // before exit(): the observer runs inside it
    call.entry.exit();
  };
  for (let i = 0; i < t.calls; i++) {
    const arriveMs = i * spacingMs;
    while (inFlight.length > 0 && inFlight[0]!.doneMs <= arriveMs) complete();
    clock.nowMs = arriveMs;
    const entry = await s.entry('llmApiException').catch(() => undefined);
    if (entry) inFlight.push({ entry, doneMs: arriveMs + t.callMs });
  }
  while (inFlight.length > 0) complete();
  return { state: s.circuitBreakers('llmApiException')[0]!.state, opened };
}

describe("the article's exception-ratio rule (1 s window): tripping depends on throughput, not call duration", () => {
  const rows: { name: string; traffic: Traffic; expected: { state: string; opened: Opened | null } }[] = [
    {
      name: '0.5 calls/s of 1.5 s calls (one instance, sequential LLM calls): never opens',
      traffic: { ratePerSec: 0.5, callMs: 1500, calls: 100 },
      expected: { state: 'CLOSED', opened: null },
    },
    {
      name: '0.5 calls/s of 100 ms calls: never opens either (short calls do not help)',
      traffic: { ratePerSec: 0.5, callMs: 100, calls: 100 },
      expected: { state: 'CLOSED', opened: null },
    },
    {
      name: '4 calls/s of 2 s calls: 4 completions per second, one short of minRequestAmount: never opens',
      traffic: { ratePerSec: 4, callMs: 2000, calls: 200 },
      expected: { state: 'CLOSED', opened: null },
    },
    {
      name: '5 calls/s of 2 s calls: the 5th completion in [2000, 3000) opens it',
      traffic: { ratePerSec: 5, callMs: 2000, calls: 50 },
      expected: { state: 'OPEN', opened: { completion: 5, atMs: 2800 } },
    },
    {
      name: '10 calls/s of 2 s calls (the reviewer’s case): opens at the 5th completion, t = 2.4 s',
      traffic: { ratePerSec: 10, callMs: 2000, calls: 50 },
      expected: { state: 'OPEN', opened: { completion: 5, atMs: 2400 } },
    },
    {
      name: '10 calls/s of 30 s calls: long calls trip it just the same, at the 5th completion',
      traffic: { ratePerSec: 10, callMs: 30_000, calls: 400 },
      expected: { state: 'OPEN', opened: { completion: 5, atMs: 30_400 } },
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      expect(await failingTraffic(row.traffic)).toEqual(row.expected);
    });
  }

  it('corrected (statIntervalMs 60000): at 0.5 calls/s the 5th failed completion opens it', async () => {
    const r = await failingTraffic({ ratePerSec: 0.5, callMs: 1500, calls: 100, statIntervalMs: 60_000 });
    expect(r).toEqual({ state: 'OPEN', opened: { completion: 5, atMs: 9500 } });
  });
});

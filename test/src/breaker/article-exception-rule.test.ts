// The article's exception rule (ha-architecture-article §1.3: grade EXCEPTION_RATIO, count 0.3,
// minRequestAmount 5, timeWindow 60) sets no statIntervalMs, so Sentinel's default 1000 ms applies
// (DegradeRule.java). With LLM calls taking seconds, no 1-second window ever holds 5 completions:
// the rule cannot trip even when every call fails. The same rule with a 60 s window trips at the
// 5th failed completion. (Seed variant vs corrected; the model is deterministic, no seed needed.)
import { describe, expect, it } from 'vitest';
import { Sentinel } from '../../../src/breaker/index.ts';
import { ManualClock } from './manual-clock.ts';

const ARTICLE_RULE = {
  resource: 'llmApiException',
  grade: 1,
  count: 0.3,
  minRequestAmount: 5,
  timeWindow: 60,
} as const;

/** One call every 2 s, each failing after 1.5 s (a 500 from the provider), traced on the entry. */
async function failingTraffic(statIntervalMs: number | undefined, calls: number) {
  const clock = new ManualClock();
  const s = new Sentinel({ clock });
  s.loadDegradeRules([{ ...ARTICLE_RULE, ...(statIntervalMs ? { statIntervalMs } : {}) }]);
  let openedAtCall = -1;
  s.onStateChange((_p, next) => {
    if (next === 'OPEN' && openedAtCall < 0) openedAtCall = completed;
  });
  let completed = 0;
  for (let i = 0; i < calls; i++) {
    clock.t = i * 2000;
    const e = await s.entry('llmApiException').catch(() => undefined);
    if (!e) continue;
    clock.t += 1500;
    e.setError(new Error('LLM 500'));
    completed++; // before exit(): the observer runs inside it
    e.exit();
  }
  return { state: s.circuitBreakers('llmApiException')[0]!.state, openedAtCall };
}

describe("the article's exception-ratio rule", () => {
  it('as written (statIntervalMs defaults to 1000 ms): 100 failed calls, one every 2 s, never open it', async () => {
    const r = await failingTraffic(undefined, 100);
    expect(r).toEqual({ state: 'CLOSED', openedAtCall: -1 });
  });

  it('corrected (statIntervalMs 60000): the 5th failed completion opens it', async () => {
    const r = await failingTraffic(60_000, 100);
    expect(r).toEqual({ state: 'OPEN', openedAtCall: 5 });
  });
});

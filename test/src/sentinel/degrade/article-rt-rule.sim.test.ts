// The article's RT rule (ha-architecture-article §1.3: grade RT, count 2000 ms, slowRatioThreshold
// 0.5, minRequestAmount 5, statIntervalMs 60000, timeWindow 30 s) guarding a slow upstream, on the
// simulation's virtual clock. Seed 42. One request every 2 s through `sentinel.run` with a fallback,
// as the article's @SentinelResource does; the upstream's time to first token is lognormal with a
// 2.5 s median (σ 0.2) until t = 120 s, then 400 ms (recovered). Every assertion is about what the
// run did: when the breaker opened and why, that nothing was admitted while OPEN, that exactly one
// probe went out per recovery attempt 30 s after the last opening, and that the probe decided.
import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, Simulation } from '#sim/index.ts';
import {
  ARTICLE_RT_DEGRADE_RULE,
  type CircuitBreakerState,
  degradeRule,
  Sentinel,
} from '#src/sentinel/index.ts';

const RULE = degradeRule(ARTICLE_RT_DEGRADE_RULE);
const SPACING_MS = 2000;
const REQUESTS = 100;
const RECOVERY_AT_MS = 120_000;

interface Rec {
  id: number;
  startMs: number;
  admitted: boolean;
  endMs: number;
}
interface Transition {
  t: number;
  prev: CircuitBreakerState;
  next: CircuitBreakerState;
  snapshot: number | null;
}

async function scenario(seed: number) {
  const sim = new Simulation({ seed });
  const sentinel = new Sentinel({}, { clock: sim.clock, trace: sim.trace });
  sentinel.loadDegradeRules([RULE]);
  const slow = new SimLlmUpstream(
    { model: 'slow', ttftMedianMs: 2500 },
    { clock: sim.clock, random: sim.random.fork('llm-slow') },
  );
  const fast = new SimLlmUpstream(
    { model: 'fast', ttftMedianMs: 400 },
    { clock: sim.clock, random: sim.random.fork('llm-fast') },
  );
  const transitions: Transition[] = [];
  sentinel.onStateChange((prev, next, _rule, snapshot) =>
    transitions.push({ t: sim.clock.now(), prev, next, snapshot }),
  );
  const recs: Rec[] = [];
  for (let id = 0; id < REQUESTS; id++) {
    sim.spawn(async () => {
      await sim.clock.sleep(id * SPACING_MS);
      const rec: Rec = { id, startMs: sim.clock.now(), admitted: false, endMs: -1 };
      recs.push(rec);
      const upstream = rec.startMs < RECOVERY_AT_MS ? slow : fast;
      await sentinel.run(
        RULE.resource,
        async () => {
          rec.admitted = true;
          const r = await upstream.complete({ id, prompt: 'hi', maxTokens: 1 });
          rec.endMs = sim.clock.now();
          return r.text;
        },
        () => 'service_degraded',
      );
    });
  }
  await sim.run();
  return { recs, transitions, hash: sim.trace.hash, cb: sentinel.circuitBreakers(RULE.resource)[0]! };
}

describe("the article's RT rule on a slow upstream (seed 42)", () => {
  it('opens on slow calls, admits nothing while OPEN, and sends exactly one probe 30 s after each opening', async () => {
    const { recs, transitions, cb } = await scenario(42);
    const admitted = recs.filter((r) => r.admitted);

    // 1. It opened from CLOSED, on a completion, with more than half of >= 5 completions slow.
    const first = transitions[0]!;
    expect([first.prev, first.next]).toEqual(['CLOSED', 'OPEN']);
    expect(first.snapshot!).toBeGreaterThan(0.5);
    const doneBefore = admitted.filter((r) => r.endMs >= 0 && r.endMs <= first.t);
    expect(doneBefore.length).toBeGreaterThanOrEqual(5);
    expect(admitted.some((r) => r.endMs === first.t)).toBe(true);

    // 2. Walk the transitions: each OPEN lasts until the first arrival at or after openedAt + 30 s;
    //    that arrival (and only it) is admitted as the probe; its own completion decides.
    let probes = 0;
    for (let i = 0; i < transitions.length; i++) {
      const tr = transitions[i]!;
      if (tr.next !== 'OPEN') continue;
      const retryAt = tr.t + RULE.timeWindowMs;
      const half = transitions[i + 1];
      const arrivalsInOpen = recs.filter(
        (r) => r.startMs >= tr.t && r.startMs < (half?.t ?? Number.POSITIVE_INFINITY),
      );
      // Nothing started while OPEN was admitted (the completion that opened it had started earlier).
      expect(arrivalsInOpen.filter((r) => r.admitted && r.startMs < retryAt)).toEqual([]);
      if (half === undefined) break;
      expect([half.prev, half.next, half.snapshot]).toEqual(['OPEN', 'HALF_OPEN', null]);
      const probe = recs.find((r) => r.startMs >= retryAt)!;
      expect(half.t).toBe(probe.startMs); // lazily, on the first arrival at/after the deadline
      expect(probe.admitted).toBe(true);
      probes++;
      const decided = transitions[i + 2]!;
      expect(decided.t).toBe(probe.endMs); // the probe's completion decides
      const probeRt = probe.endMs - probe.startMs;
      if (probeRt > RULE.count) expect([decided.next, decided.snapshot]).toEqual(['OPEN', 1]);
      else expect([decided.next, decided.snapshot]).toEqual(['CLOSED', null]);
      // While HALF_OPEN, every other arrival was refused.
      const duringHalfOpen = recs.filter((r) => r.startMs > half.t && r.startMs < decided.t);
      expect(duringHalfOpen.every((r) => !r.admitted)).toBe(true);
    }
    expect(probes).toBeGreaterThanOrEqual(2);
    // After the upstream recovers, a probe closes the breaker and traffic flows again.
    expect(transitions.at(-1)!.next).toBe('CLOSED');
    expect(cb.state).toBe('CLOSED');
    expect(recs.filter((r) => r.startMs > transitions.at(-1)!.t).every((r) => r.admitted)).toBe(true);
  });

  it('seed 42, observed: the exact transition timeline (regression) and the same trace hash on a rerun', async () => {
    const a = await scenario(42);
    const b = await scenario(42);
    expect(b.hash).toBe(a.hash);
    expect(b.transitions).toEqual(a.transitions);
    expect(a.transitions.map((t) => `${t.t} ${t.prev}>${t.next}`)).toMatchInlineSnapshot(`
      [
        "10109 CLOSED>OPEN",
        "42000 OPEN>HALF_OPEN",
        "44871 HALF_OPEN>OPEN",
        "76000 OPEN>HALF_OPEN",
        "78640 HALF_OPEN>OPEN",
        "110000 OPEN>HALF_OPEN",
        "112522 HALF_OPEN>OPEN",
        "144000 OPEN>HALF_OPEN",
        "144478 HALF_OPEN>CLOSED",
      ]
    `);
  });
});

import { describe, expect, it } from 'vitest';
import { pausesText, watchProcessPauses } from '#src/adapters/process-pauses.ts';

describe('watchProcessPauses', () => {
  it('sees a blocked event loop and the scavenges of short-lived garbage', async () => {
    const watch = watchProcessPauses();
    // Short-lived garbage, many young-generation collections' worth: each object is stored where
    // it outlives the statement (so no optimizer can drop the allocation), then overwritten.
    const ring: object[] = new Array(1024);
    let keep = 0;
    for (let i = 0; i < 2_000_000; i++) {
      ring[i & 1023] = { i, items: [i] };
      keep++;
    }
    // The loop blocked for 40 ms: the 1 ms sampling timer runs at least that late.
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        const until = performance.now() + 40;
        while (performance.now() < until) keep++;
        setTimeout(resolve, 5);
      }, 5),
    );
    const seen = watch.stop();
    expect(keep).toBeGreaterThan(0);
    expect(seen.gcMinor.count).toBeGreaterThan(0);
    expect(seen.gcMinor.totalMs).toBeGreaterThan(0);
    expect(seen.gcMinor.maxMs).toBeLessThanOrEqual(seen.gcMinor.totalMs);
    expect(seen.eventLoopDelayMs.max).toBeGreaterThanOrEqual(30);
    expect(seen.eventLoopDelayMs.p99).toBeLessThanOrEqual(seen.eventLoopDelayMs.max);
  });

  it('answers zeros, not NaN, for a watch stopped before any sample', () => {
    const seen = watchProcessPauses().stop();
    expect(seen.eventLoopDelayMs).toEqual({ p99: 0, max: 0 });
    expect(pausesText(seen)).toMatch(
      /^\d+ scavenges? \(\d+ ms, max [\d.]+ ms\), \d+ other \(\d+ ms, max [\d.]+ ms\); event-loop delay p99 0\.0 ms, max 0\.0 ms$/,
    );
  });
});

// Incident: cache avalanche. Every answer is written at deploy time with the same 1 h TTL, so they
// all expire in the same instant and the LLM (or L3) takes the whole key set's misses at once
// (the article's fixed `set(key, value, 1, HOURS)` for every key). Fix: TTL jitter (uniform ±10 % → spread over 720 s).
//
// Workload: 300 prompts warmed at t = 0 (the article's cacheResponse); from t = 3,200 s to 4,000 s
// every prompt is read once per 10 s (30 reads at each whole second, prompts in a fixed rotation). L1 is left out:
// the avalanche is on the shared L2, and the per-node L1 would only delay it by up to 60 s.
import { describe, expect, it } from 'vitest';
import { makeNode, newSim, report, sharedBackends } from '../helpers/stack.ts';

const KEYS = 300;
const LLM_MS = 2_000;
const WINDOW_MS = 10_000;

async function deployThenRead(seed: string, ttlJitterRatio: number, fromS: number, untilS: number) {
  const sim = newSim(seed);
  const loaderAtMs: number[] = [];
  const main = sim.spawn(async () => {
    const shared = await sharedBackends(sim);
    const llm = async (prompt: string) => {
      loaderAtMs.push(sim.clock.now());
      await sim.clock.sleep(LLM_MS);
      return `answer to ${prompt}`;
    };
    const { cache, get } = makeNode<string>(sim, shared, {
      strategy: 'read-through',
      loader: llm,
      l1: false,
      l3: false,
      l2Options: { ttlJitterRatio },
      l2Random: sim.random.fork('jitter'),
    });
    // Deploy: the warm-up job caches every answer at t = 0.
    for (let i = 0; i < KEYS; i++) await cache.fill(`prompt ${i}`, `answer to prompt ${i}`);
    await sim.clock.sleep(fromS * 1_000);
    for (let second = fromS; second < untilS; second++) {
      for (let j = 0; j < KEYS / 10; j++) {
        const prompt = `prompt ${(second % 10) * (KEYS / 10) + j}`;
        sim.spawn(async () => {
          await get(prompt);
        });
      }
      await sim.clock.sleep(1_000);
    }
  });
  await sim.run();
  await main;
  // Peak over any 10 s window [t, t + 10 s) starting at a load.
  let peak = 0;
  for (let i = 0, j = 0; i < loaderAtMs.length; i++) {
    while (j < loaderAtMs.length && (loaderAtMs[j] as number) < (loaderAtMs[i] as number) + WINDOW_MS) j++;
    peak = Math.max(peak, j - i);
  }
  return {
    loads: loaderAtMs.length,
    peakPer10s: peak,
    spreadMs: (loaderAtMs.at(-1) as number) - (loaderAtMs[0] as number),
    firstMs: loaderAtMs[0] as number,
  };
}

describe('incident: avalanche of same-TTL entries (seed "avalanche")', () => {
  it('article design (TTL exactly 1 h): all 300 reloads fall in one 10 s window at t = 3,600 s', async () => {
    const o = await deployThenRead('avalanche', 0, 3_550, 3_650);
    report('avalanche', 'same TTL', o);
    expect(o.loads).toBe(KEYS);
    expect(o.peakPer10s).toBe(KEYS);
    // Pinned for seed 'avalanche': the first reload at 3,601 s, the last 9 s later.
    expect(o.firstMs).toBe(3_601_000);
    expect(o.spreadMs).toBe(9_000);
    // Sanity, any seed:
    expect(o.firstMs).toBeGreaterThan(3_600_000); // SET EX 3600 at t = 0: present through t = 3,600,000 ms
    expect(o.spreadMs).toBeLessThan(WINDOW_MS);
  });

  it('fix: TTL jitter ±10 %: the same 300 reloads spread over ~720 s, a few per 10 s', async () => {
    const o = await deployThenRead('avalanche', 0.1, 3_200, 4_000);
    report('avalanche', 'jitter ±10%', o);
    expect(o.loads).toBe(KEYS);
    // Pinned for seed 'avalanche': spread over 721 s from t = 3,242 s, at most 11 in any 10 s.
    expect(o.spreadMs).toBe(721_000);
    expect(o.firstMs).toBe(3_242_000);
    expect(o.peakPer10s).toBe(11);
    // Sanity, any seed: TTLs uniform in [3,240 s, 3,960 s) read every 10 s.
    expect(o.spreadMs).toBeGreaterThan(680_000);
    expect(o.spreadMs).toBeLessThan(730_000);
    // 300 over 72 windows of 10 s is 4.2 per window on average; the peak stays far from 300.
    expect(o.peakPer10s).toBeLessThan(20);
  });
});

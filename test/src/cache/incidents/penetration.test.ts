// Incident: cache penetration. Requests for keys the store of record does not have miss every
// level, so each one reaches L3 (nothing is cached for a key with no value). Fix: negative
// caching (as DNS resolvers do, RFC 2308) — remember "no value" in L2 and L1 for a short TTL.
//
// Workload: read-through to L3 (no loader), 50 absent keys and 50 present ones, 2,000 requests
// over 100 s in a seeded random order. We count SELECTs on L3.
//
// No Bloom filter: for an LLM gateway the "missing keys" are new prompts, which are open-ended and
// become present as soon as they are answered, so a filter of present keys would have to be kept in
// step with every write on every node; negative caching bounds L3 load to one SELECT per absent key
// per negativeTtlMs with no shared state, which is the better trade here.
import { describe, expect, it } from 'vitest';
import { nextInt } from '#src/ports/random.ts';
import { makeNode, newSim, report, sharedBackends } from '../helpers/stack.ts';

async function penetrate(seed: string, negativeTtlMs: number | undefined) {
  const sim = newSim(seed);
  const main = sim.spawn(async () => {
    const shared = await sharedBackends(sim);
    const { cache, l3 } = makeNode<string>(sim, shared, { strategy: 'read-through', negativeTtlMs });
    for (let i = 0; i < 50; i++) await l3?.put(cache.hash(`present ${i}`), `stored ${i}`);
    const selectsBefore = shared.sql.count('SELECT');
    const pick = sim.random.fork('requests');
    let absentAnswers = 0;
    let presentAnswers = 0;
    for (let r = 0; r < 2_000; r++) {
      await sim.clock.sleep(50);
      const absent = nextInt(pick, 2) === 0;
      const { value } = await cache.get(`${absent ? 'absent' : 'present'} ${nextInt(pick, 50)}`);
      if (absent && value === undefined) absentAnswers++;
      if (!absent && value !== undefined) presentAnswers++;
    }
    return {
      selects: shared.sql.count('SELECT') - selectsBefore,
      absentAnswers,
      presentAnswers,
      stats: cache.stats(),
    };
  });
  await sim.run();
  return main;
}

describe('incident: penetration by keys that do not exist (seed "penetration")', () => {
  it('article design: every request for an absent key is a SELECT on L3', async () => {
    const o = await penetrate('penetration', undefined);
    report('penetration', 'no negative cache', {
      selects: o.selects,
      absentRequests: o.absentAnswers,
      presentAnswers: o.presentAnswers,
    });
    // Pinned for seed 'penetration': 1,068 SELECTs = the 1,018 absent-key requests + 50 first reads.
    expect(o.selects).toBe(1_068);
    expect(o.absentAnswers).toBe(1_018);
    expect(o.presentAnswers).toBe(982);
    // Sanity, any seed:
    expect(o.selects).toBeGreaterThan(o.absentAnswers); // + the 50 present keys' first reads
    expect(o.absentAnswers).toBeGreaterThan(900);
    expect(o.selects).toBe(o.absentAnswers + 50);
  });

  it('fix: negative caching for 60 s: at most 2 SELECTs per absent key over 100 s', async () => {
    const o = await penetrate('penetration', 60_000);
    report('penetration', 'negative cache 60 s', {
      selects: o.selects,
      absentRequests: o.absentAnswers,
      negativeHits: o.stats.negativeHits,
      presentAnswers: o.presentAnswers,
    });
    // Pinned for seed 'penetration': 150 SELECTs (2 per absent key), 918 negative hits, and the
    // same request stream as without the fix (1,018 absent, 982 present, all answered as before).
    expect(o.selects).toBe(150);
    expect(o.stats.negativeHits).toBe(918);
    expect(o.absentAnswers).toBe(1_018);
    expect(o.presentAnswers).toBe(982);
    // Sanity, any seed:
    expect(o.absentAnswers).toBeGreaterThan(900); // absent keys still answer "no value"
    expect(o.presentAnswers).toBeGreaterThan(900); // present keys are unaffected
    expect(o.selects).toBeLessThanOrEqual(50 + 2 * 50);
    expect(o.stats.negativeHits).toBe(o.absentAnswers - (o.selects - 50));
  });
});

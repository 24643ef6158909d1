// Incident: the cache-aside stale set (Nishtala et al., NSDI 2013 §3.2.1). A reader misses, reads the old
// row from L3; meanwhile a writer updates L3 and deletes the L2 key; then the reader's late SET puts
// the old value back into L2 — where it stays for the whole 1 h TTL.
//
//   t = 0      R: GET L2 → miss; SELECT → v1 (executed now, reply 500 ms later: a slow replica)
//   t = 100    W: REPLACE → v2 (reply at 110), then DEL L2
//   t = 500    R: SET L2 = v1, TTL 1 h              ⇒ every node reads v1 from L2 until t ≈ 3,600.5 s
//
// Fix: memcache leases (Nishtala et al., NSDI 2013 §3.2.1). R's miss takes a lease token stored in
// the key itself; W's DEL removes it, so R's SET-with-token at t = 500 is refused and the next
// reader loads v2. The scripts run unchanged on real Redis (test/contract/cache-l2.contract.ts).
import { describe, expect, it } from 'vitest';
import type { Simulation } from '#sim/kernel/simulation.ts';
import { makeNode, newSim, report, type SharedBackends, sharedBackends } from '../helpers/stack.ts';

const PROMPT = 'summarise the refund policy';

async function race(seed: string, leases: boolean) {
  const sim: Simulation = newSim(seed);
  const main = sim.spawn(async () => {
    const shared: SharedBackends = await sharedBackends(sim);
    shared.sql.latencyMs = (sql) => (sql.startsWith('SELECT') ? 500 : 10);
    const opts = {
      strategy: 'cache-aside' as const,
      leases: leases ? { waitMs: 10, maxWaits: 5 } : undefined,
    };
    const reader = makeNode<string>(sim, shared, { ...opts, name: 'reader' });
    const writer = makeNode<string>(sim, shared, { ...opts, name: 'writer' });
    const later = makeNode<string>(sim, shared, { ...opts, name: 'later', l1: false });
    await reader.l3?.put(reader.cache.hash(PROMPT), 'v1');

    const readerSaw = sim.spawn(async () => (await reader.cache.get(PROMPT)).value, { name: 'reader' });
    await sim.clock.sleep(100);
    await writer.cache.write(PROMPT, 'v2');
    const readerGot = await readerSaw;

    const seen: { atS: number; value: string | undefined }[] = [];
    for (const atS of [1, 600, 3_599, 3_601]) {
      await sim.clock.sleep(atS * 1_000 - sim.clock.now());
      seen.push({ atS, value: (await later.cache.get(PROMPT)).value });
    }
    return {
      readerGot,
      seen,
      l3: await later.l3?.get(later.cache.hash(PROMPT)),
      stats: reader.cache.stats(),
    };
  });
  await sim.run();
  return main;
}

describe('incident: cache-aside stale set (seed "stale-set")', () => {
  it('article design: the late SET leaves v1 in L2 for the whole TTL while L3 holds v2', async () => {
    const o = await race('stale-set', false);
    report('stale-set', 'no leases', { seen: o.seen, l3: o.l3 });
    expect(o.readerGot).toBe('v1'); // concurrent with the write: legal
    expect(o.l3).toBe('v2');
    expect(o.seen).toEqual([
      { atS: 1, value: 'v1' },
      { atS: 600, value: 'v1' },
      { atS: 3_599, value: 'v1' },
      { atS: 3_601, value: 'v2' }, // the stale copy expired at 0.5 s + 3,600 s; L3 answers
    ]);
  });

  it('fix: lease tokens: the DEL revokes the lease, the late SET is refused, readers get v2 at once', async () => {
    const o = await race('stale-set', true);
    report('stale-set', 'leases', { seen: o.seen, staleSetsRefused: o.stats.staleSetsRefused });
    expect(o.readerGot).toBe('v1');
    expect(o.stats.staleSetsRefused).toBe(1);
    expect(o.seen.map((s) => s.value)).toEqual(['v2', 'v2', 'v2', 'v2']);
  });
});

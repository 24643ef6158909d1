// Boundaries of the fixes inside TieredCache: refresh-ahead (Caffeine's strict `>`), single-flight
// (Go singleflight: failures reach every waiter, the key is forgotten on completion), the XFetch
// inequality with a fixed draw, and lease herd control across two nodes.
import { describe, expect, it } from 'vitest';
import { TieredCache } from '#src/cache/tiered-cache.ts';
import type { TieredRead } from '#src/cache/tiered-cache-types.ts';
import type { Random } from '#src/ports/random.ts';
import { inSim, makeNode, sharedBackends } from './helpers/stack.ts';

const SEED = 'tiered-cache-fixes';

describe('refresh-ahead (refreshAfterWriteMs)', () => {
  it('fires strictly after the duration, serves the old value meanwhile, and a failed reload keeps it', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      let fail = false;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(100);
        if (fail) throw new Error('LLM down');
        return `v${calls}`;
      };
      const { cache, get } = makeNode<string>(sim, shared, {
        strategy: 'read-through',
        loader,
        refreshAfterWriteMs: 1_000,
        l1: false,
      });
      const log: unknown[] = [];
      log.push((await get('p')).value); // load: written at t = 100
      await sim.clock.sleep(1_000); // t = 1 100: exactly refreshAfterWrite after the write
      log.push((await get('p')).value, calls);
      await sim.clock.sleep(1); // t = 1 101: strictly after → reload starts, old value served
      log.push((await get('p')).value, calls);
      await sim.clock.sleep(100);
      log.push((await get('p')).value); // reloaded
      fail = true;
      await sim.clock.sleep(1_001);
      log.push((await get('p')).value); // starts a reload that fails
      await sim.clock.sleep(200);
      log.push((await get('p')).value, cache.stats().loaderFailures, cache.stats().refreshes);
      return log;
    });
    expect(o).toEqual(['v1', 'v1', 1, 'v1', 2, 'v2', 'v2', 'v2', 1, 3]);
  });
});

describe('single-flight', () => {
  it('concurrent misses share one call; a failure reaches every waiter; the next miss calls again', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(100);
        if (calls === 1) throw new Error('first call fails');
        return 'ok';
      };
      const { cache, get } = makeNode<string>(sim, shared, {
        strategy: 'read-through',
        loader,
        singleFlight: true,
      });
      const settle = (p: Promise<TieredRead<string>>) =>
        p.then(
          (v) => `value ${v.value} from ${v.tier}`,
          (e: Error) => `error ${e.message}`,
        );
      const first = await Promise.all([settle(get('p')), settle(get('p')), settle(get('p'))]);
      const second = await Promise.all([settle(get('p')), settle(get('p'))]);
      return { first, second, calls, stats: cache.stats() };
    });
    expect(o.first).toEqual(['error first call fails', 'error first call fails', 'error first call fails']);
    expect(o.second).toEqual(['value ok from loader', 'value ok from joined']);
    expect(o.calls).toBe(2);
    expect(o.stats).toMatchObject({ loaderCalls: 2, loaderFailures: 1, sharedLoads: 3 });
  });
});

describe('XFetch inequality: now − Δ·β·ln(rand) ≥ expiry', () => {
  // rand = 1 − next() = e^-1, so −Δ·β·ln(rand) = Δ·β: recompute from expiry − Δ·β on.
  const fixed: Random = { next: () => 1 - Math.exp(-1), fork: () => fixed, seedPath: 'fixed' };
  it.each([
    [1, 2_001, false],
    [1, 2_000, true],
    [2, 4_001, false],
    [2, 4_000, true],
  ])('β = %d, %d ms before expiry (Δ = 2 s) → early recompute %s', async (beta, beforeExpiryMs, fires) => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(2_000);
        return `v${calls}`;
      };
      // The node's L2 only; its cache draws from the fixed Random for the decision under test.
      const node = makeNode<string>(sim, shared, { strategy: 'read-through', loader, l1: false });
      const cache = new TieredCache<string>(
        {
          strategy: 'read-through',
          xfetch: { beta },
          l2: node.l2,
        },
        { clock: sim.clock, random: fixed },
      );
      await cache.get('p', loader); // computed in Δ = 2 s, written at t = 2 000, expires at 3 602 000
      await sim.clock.sleep(3_602_000 - beforeExpiryMs - sim.clock.now());
      await cache.get('p', loader);
      return { calls, early: cache.stats().earlyRefreshes };
    });
    expect(o).toEqual({ calls: fires ? 2 : 1, early: fires ? 1 : 0 });
  });
});

describe('XFetch when the early recompute fails', () => {
  it('serves the still-valid old value and counts the failure', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(2_000);
        if (calls > 1) throw new Error('LLM down');
        return 'v1';
      };
      const always: Random = { next: () => 0.999_999, fork: () => always, seedPath: 'always' };
      const node = makeNode<string>(sim, shared, { strategy: 'read-through', loader, l1: false });
      const cache = new TieredCache<string>(
        {
          strategy: 'read-through',
          xfetch: {},
          l2: node.l2,
        },
        // rand = 1e-6: −Δ·ln(rand) ≈ 27.6 s, so a read 10 s before expiry recomputes
        { clock: sim.clock, random: always },
      );
      await cache.get('p', loader);
      await sim.clock.sleep(3_592_000);
      const value = (await cache.get('p', loader)).value;
      return { value, calls, stats: cache.stats() };
    });
    expect(o).toMatchObject({ value: 'v1', calls: 2, stats: { earlyRefreshes: 1, loaderFailures: 1 } });
  });
});

describe('negative caching', () => {
  it('a negative entry lasts negativeTtlMs in L1 too, though the L1 keeps entries for 60 s', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache, get } = makeNode<string>(sim, shared, {
        strategy: 'read-through',
        negativeTtlMs: 10_000,
      });
      const selects = () => shared.sql.count('SELECT');
      const seen: number[] = [];
      await get('absent'); // SELECT, negative entry in L2 (PX 10 s) and L1
      seen.push(selects());
      await sim.clock.sleep(9_999);
      await get('absent'); // still negative (L1)
      seen.push(selects());
      await sim.clock.sleep(1);
      await get('absent'); // 10 s: L1 copy dropped; L2 still holds it through 10 000 ms (PX, expiry strict)
      seen.push(selects());
      await sim.clock.sleep(1);
      await get('absent'); // 10 001 ms: gone from L2 too → SELECT again
      seen.push(selects());
      return { seen, negativeHits: cache.stats().negativeHits };
    });
    expect(o).toEqual({ seen: [1, 1, 1, 2], negativeHits: 2 });
  });
});

describe('a crashed node', () => {
  it('refuses writes instead of half-applying them', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      const { cache } = makeNode<string>(sim, shared, { strategy: 'write-behind' });
      cache.crash();
      try {
        await cache.write('p', 'v');
        return 'accepted';
      } catch (e) {
        return `${(e as Error).message} / L2 ${await shared.redis.exists(`llm:${cache.hash('p')}`)}`;
      }
    });
    expect(o).toBe('TieredCache: this node has crashed; create a new one / L2 0');
  });
});

describe('leases as herd control across nodes', () => {
  it('node B meets node A lease, waits, and reads A value: one loader call for two nodes', async () => {
    const o = await inSim(SEED, async (sim) => {
      const shared = await sharedBackends(sim);
      let calls = 0;
      const loader = async () => {
        calls++;
        await sim.clock.sleep(2_000);
        return 'answer';
      };
      const leases = { waitMs: 50, maxWaits: 100 };
      const a = makeNode<string>(sim, shared, { name: 'a', strategy: 'read-through', loader, leases });
      const b = makeNode<string>(sim, shared, { name: 'b', strategy: 'read-through', loader, leases });
      const fromA = a.get('p').then((r) => r.value);
      await sim.clock.sleep(10);
      const fromB = (await b.get('p')).value;
      return {
        fromA: await fromA,
        fromB,
        calls,
        bWaits: b.cache.stats().leaseWaits,
        doneAt: sim.clock.now(),
      };
    });
    expect(o).toMatchObject({ fromA: 'answer', fromB: 'answer', calls: 1 });
    expect(o.bWaits).toBe(40); // 10 ms + 40 × 50 ms = 2 010 ms ≥ A's set at 2 000 ms
    expect(o.doneAt).toBe(2_010);
  });
});

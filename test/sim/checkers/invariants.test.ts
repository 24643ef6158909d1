import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '#sim/checkers/expectations/metrics.ts';
import { INVARIANTS } from '#sim/checkers/invariants.ts';

function run(name: string, events: Record<string, unknown>[]) {
  const make = INVARIANTS[name];
  if (make === undefined) throw new Error(name);
  const c = make();
  for (const e of events) c.observe(e as TraceEvent);
  return c.finish();
}

const ev = (t: number, c: string, k: string, fields: Record<string, unknown> = {}) => ({
  t,
  c,
  k,
  ...fields,
});

describe('invariants', () => {
  it('read-your-writes: a read that began after an ack and misses it is stale; one that began before is not', () => {
    const events = [
      ev(10, 'chat-history/gw-1', 'write-acked', { id: 1, user: 'u', table: 't0', seq: 5 }),
      ev(12, 'chat-history/gw-2', 'read', { id: 2, user: 'u', table: 't0', seq: 4, startMs: 9 }),
      ev(20, 'chat-history/gw-2', 'read', { id: 3, user: 'u', table: 't0', seq: 4, startMs: 15 }),
      ev(21, 'chat-history/gw-1', 'read', { id: 4, user: 'v', table: 't0', seq: 0, startMs: 21 }),
    ];
    expect(run('read-your-writes', events)).toEqual({
      ok: false,
      measured: '1 stale of 3 reads (first: request 3 at 20 ms saw seq 4 < 5)',
    });
  });

  it('no-acked-write-lost: acked ids missing from the final read are lost; indeterminate ones are only counted', () => {
    const events = [
      ev(1, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 1 }),
      ev(2, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 2 }),
      ev(3, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 5 }),
      ev(4, 'chat-history/gw-1', 'write-indeterminate', { user: 'u', table: 't0', error: 'lost' }),
      ev(9, 'chat-history', 'final', { table: 't0', ids: [[1, 2]] }),
    ];
    expect(run('no-acked-write-lost', events)).toEqual({
      ok: false,
      measured: '1 lost of 3 acked, 1 indeterminate',
    });
    expect(run('no-acked-write-lost', events.slice(0, 2))).toEqual({
      ok: false,
      measured: '0 lost of 2 acked, 2 unchecked (no final read)',
    });
  });

  it('no-acked-write-lost: an id acknowledged again after a failover reused it means the first row is lost', () => {
    const events = [
      ev(1, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 1 }),
      ev(2, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 2 }),
      ev(3, 'chat-history/gw-1', 'write-acked', { user: 'u', table: 't0', seq: 3 }),
      // The primary crashed; the promoted replica had only id 1 and gives out 2 and 3 again.
      ev(4, 'chat-history/gw-1', 'write-acked', { user: 'v', table: 't0', seq: 2 }),
      ev(5, 'chat-history/gw-1', 'write-acked', { user: 'v', table: 't1', seq: 3 }),
      ev(9, 'chat-history', 'final', { table: 't0', ids: [[1, 2]] }),
      ev(9, 'chat-history', 'final', { table: 't1', ids: [[1, 3]] }),
    ];
    expect(run('no-acked-write-lost', events)).toEqual({ ok: false, measured: '2 lost of 5 acked' });
  });

  it('no-duplicate-upstream-call counts overlapping calls per key within one instance only', () => {
    const events = [
      ev(1, 'coalesce/gw-1', 'call', { key: 'k', callers: 1 }),
      ev(2, 'coalesce/gw-2', 'call', { key: 'k', callers: 1 }),
      ev(3, 'coalesce/gw-1', 'call', { key: 'k', callers: 1 }),
      ev(4, 'coalesce/gw-1', 'settle', { key: 'k', ok: true, callers: 1 }),
      ev(5, 'coalesce/gw-1', 'settle', { key: 'k', ok: true, callers: 1 }),
      ev(6, 'coalesce/gw-1', 'call', { key: 'k', callers: 1 }),
    ];
    expect(run('no-duplicate-upstream-call', events)).toEqual({
      ok: false,
      measured: '1 duplicate of 4 upstream calls',
    });
  });

  it('limiter-within-global-rate finds the worst sliding window (2x the limit across a fixed-window edge)', () => {
    const topology = ev(0, 'run', 'topology', { topology: { redisLimiter: { limit: 3, windowMs: 1000 } } });
    const admits = [700, 800, 900, 1000, 1100, 1200].map((t) =>
      ev(t, 'redis-limiter/gw-1', 'admitted', { key: 'u' }),
    );
    expect(run('limiter-within-global-rate', [topology, ...admits])).toEqual({
      ok: false,
      measured: 'max 6 admitted in 1000 ms, limit 3 (key u, window from 700 ms)',
    });
    expect(run('limiter-within-global-rate', admits).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { TickClock } from '#src/adapters/tick-clock.ts';

// Live time: the assertions hold on any machine (the tick is never ahead of Date.now(), and never
// further behind it than the stale bound after which it hands over to Date.now()).
describe('TickClock (Sentinel TimeUtil: a millisecond refreshed by a ticking thread)', () => {
  it('reads a wall-clock millisecond that never runs ahead of Date.now() nor goes backwards', async () => {
    const clock = new TickClock();
    let previous = clock.now();
    for (let i = 0; i < 200; i++) {
      const before = Date.now();
      const now = clock.now();
      const after = Date.now();
      expect(Number.isInteger(now)).toBe(true);
      expect(now).toBeLessThanOrEqual(after);
      expect(now).toBeGreaterThan(before - 1_000);
      expect(now).toBeGreaterThanOrEqual(previous);
      previous = now;
      if (i % 20 === 0) await clock.sleep(1);
    }
  });

  it('schedules and cancels with Node timers, and a sleep rejects when its signal aborts', async () => {
    const clock = new TickClock();
    const fired: string[] = [];
    clock.schedule(0, () => fired.push('kept'));
    clock.schedule(0, () => fired.push('cancelled')).cancel();
    await clock.sleep(5);
    expect(fired).toEqual(['kept']);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(() => clock.schedule(Number.NaN, () => {})).toThrow(RangeError);
  });
});

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../src/adapters/scaled-clock.ts';

describe('ScaledClock', () => {
  it('starts at 0 and runs scenario time timeScale times as fast: a 2 s sleep at 1000x is over once now() has passed 2 s', async () => {
    const clock = new ScaledClock({ timeScale: 1000 });
    expect(clock.now()).toBeLessThan(2000);
    await clock.sleep(2000);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
  });

  it('runs scheduled callbacks in scenario-time order and cancels on request', async () => {
    const clock = new ScaledClock({ timeScale: 500 });
    const ran: string[] = [];
    clock.schedule(1000, () => ran.push('b'));
    clock.schedule(10, () => ran.push('a'));
    clock.schedule(20, () => ran.push('never')).cancel();
    await clock.sleep(1500);
    expect(ran).toEqual(['a', 'b']);
  });

  it('runs everything that is due at once in scenario-time order, then the sleep that waited for it', async () => {
    const clock = new ScaledClock({ timeScale: 500 });
    const ran: string[] = [];
    clock.schedule(1000, () => ran.push('b'));
    clock.schedule(10, () => {
      ran.push('a');
      clock.schedule(0, () => ran.push('a+0'));
    });
    clock.schedule(1000, () => ran.push('b2'));
    const sleeping = clock.sleep(1500).then(() => ran.push('woke'));
    // Hold the event loop for 20 real ms (10 scenario seconds): every timer is due together.
    const until = performance.now() + 20;
    while (performance.now() < until);
    await sleeping;
    // 'a' ran 10 s of scenario time late: what it scheduled 0 ms ahead is due after everything else.
    expect(ran).toEqual(['a', 'b', 'b2', 'woke']);
    await clock.sleep(1);
    expect(ran).toEqual(['a', 'b', 'b2', 'woke', 'a+0']);
  });

  it('rejects a sleep whose signal aborts', async () => {
    const clock = new ScaledClock({ timeScale: 1 });
    const abort = new AbortController();
    const sleeping = clock.sleep(60_000, abort.signal);
    abort.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });

  it('refuses a time scale that is not > 0 or past the maximum', () => {
    expect(() => new ScaledClock({ timeScale: 0 })).toThrow(RangeError);
    expect(() => new ScaledClock({ timeScale: 1e6 })).toThrow(RangeError);
  });
});

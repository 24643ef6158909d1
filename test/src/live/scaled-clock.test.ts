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

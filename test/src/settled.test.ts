import { describe, expect, it } from 'vitest';
import { whenSettled } from '#src/settled.ts';

describe('whenSettled', () => {
  it('runs the clean-up, then passes the value on', async () => {
    const order: string[] = [];
    const value = await whenSettled(Promise.resolve(7), () => order.push('clean-up')).then((v) => {
      order.push('value');
      return v;
    });
    expect(value).toBe(7);
    expect(order).toEqual(['clean-up', 'value']);
  });

  it('runs the clean-up, then passes the same reason on', async () => {
    const reason = new Error('boom');
    let cleaned = 0;
    await expect(whenSettled(Promise.reject(reason), () => cleaned++)).rejects.toBe(reason);
    expect(cleaned).toBe(1);
  });

  it('rejects with the clean-up error when the clean-up throws, as finally does', async () => {
    const failure = new Error('clean-up failed');
    const fail = () => {
      throw failure;
    };
    await expect(whenSettled(Promise.resolve(1), fail)).rejects.toBe(failure);
    await expect(Promise.resolve(1).finally(fail)).rejects.toBe(failure);
  });
});

// IoredisSubscriber on the real 6379: a subscription on its own connection receives PUBLISHed
// messages until it is ended.
import { describe, expect, it } from 'vitest';
import { createIoredisPort, IoredisSubscriber } from '#src/adapters/ioredis.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'redis subscriber (real 6379)',
  ports: [6379],
  hint: MACHINE_SERVICE_HINT,
});

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  it('delivers messages to a dedicated subscriber connection, then stops', { timeout: 30_000 }, async () => {
    const redis = createIoredisPort();
    const channel = uniqueName('hasim:invalidate');
    try {
      const received: string[] = [];
      let resolveFirst: () => void = () => {};
      const first = new Promise<void>((resolve) => {
        resolveFirst = resolve;
      });
      const unsubscribe = await new IoredisSubscriber(redis).subscribe(channel, (message) => {
        received.push(message);
        resolveFirst();
      });
      expect(await redis.publish(channel, 'llm:abc')).toBe(1);
      await first;
      await unsubscribe();
      expect(await redis.publish(channel, 'llm:def')).toBe(0);
      expect(received).toEqual(['llm:abc']);
    } finally {
      await redis.quit();
    }
  });
});

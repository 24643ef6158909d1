import { describe, expect, it } from 'vitest';
import { SimAbortController } from '#sim/kernel/abort.ts';
import { Simulation } from '#sim/kernel/simulation.ts';

// One script, two implementations: Node's AbortController and SimAbortController must log the same.
type Make = () => { readonly signal: AbortSignal; abort(reason?: unknown): void };
const IMPLEMENTATIONS: [string, Make][] = [
  ['node AbortController', () => new AbortController()],
  ['SimAbortController', () => new SimAbortController()],
];

function script(make: Make): string[] {
  const log: string[] = [];
  const controller = make();
  const { signal } = controller;
  const a = () => log.push('a');
  const b = () => {
    log.push('b');
    signal.removeEventListener('abort', c); // removed during the dispatch: does not run
    signal.addEventListener('abort', () => log.push('late')); // added during it: runs (Node)
  };
  const c = () => log.push('c');
  const d = { handleEvent: (e: Event) => log.push(`d:${e.type}`) };
  signal.addEventListener('abort', a);
  signal.addEventListener('abort', a); // a duplicate is added once
  signal.addEventListener('abort', a, { capture: true }); // another capture flag is another listener
  signal.onabort = () => log.push('onabort'); // an event handler runs where it was first set
  signal.addEventListener('abort', b, { once: true });
  signal.addEventListener('abort', c);
  signal.addEventListener('abort', d);
  signal.addEventListener('other', () => log.push('other'));
  log.push(`before: ${signal.aborted} ${String(signal.reason)}`);
  controller.abort('why');
  log.push(`after: ${signal.aborted} ${String(signal.reason)}`);
  controller.abort('again'); // a second abort does nothing
  log.push(`reason: ${String(signal.reason)}`);
  try {
    signal.throwIfAborted();
  } catch (error) {
    log.push(`threw ${String(error)}`);
  }
  const fresh = make();
  fresh.abort();
  const reason = fresh.signal.reason as DOMException;
  log.push(`default reason: ${reason.name} ${reason.message}`);
  return log;
}

describe('SimAbortController', () => {
  it('behaves as Node’s AbortController on the same script', () => {
    const [[, node], [, sim]] = IMPLEMENTATIONS as [[string, Make], [string, Make]];
    expect(script(sim)).toEqual(script(node));
    expect(script(sim)).toEqual([
      'before: false undefined',
      'a',
      'a',
      'onabort',
      'b',
      'd:abort',
      'late', // Node walks its live list: a listener added during the dispatch runs in it
      'after: true why',
      'reason: why',
      'threw why',
      'default reason: AbortError This operation was aborted',
    ]);
  });

  it.each(IMPLEMENTATIONS)('%s aborts a virtual sleep, which then leaves the timer heap', async (_, make) => {
    const sim = new Simulation({ seed: 'abort' });
    const controller = make();
    const outcome = sim.spawn(async () => {
      try {
        await sim.clock.sleep(1_000, controller.signal);
        return 'slept';
      } catch (error) {
        return `aborted at ${sim.clock.now()}: ${String(error)}`;
      }
    });
    sim.clock.schedule(10, () => controller.abort('timeout'));
    await sim.run();
    await expect(outcome).resolves.toBe('aborted at 10: timeout');
    expect(sim.clock.now()).toBe(10);
  });
});

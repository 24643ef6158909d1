import { describe, expect, it } from 'vitest';
import type { BackendGate } from '../integration/backends.ts';
import { describeWithBackend } from './backend.ts';
import { inSim, RecordingTrace } from './sim.ts';

describe('test helpers', () => {
  it('inSim runs the body on virtual time and returns its result', async () => {
    const at = await inSim('helpers', async (sim) => {
      await sim.clock.sleep(1_500);
      return sim.clock.now();
    });
    expect(at).toBe(1_500);
  });

  it('RecordingTrace keeps events by family, stamped with the clock', () => {
    let now = 0;
    const trace = new RecordingTrace(() => now);
    trace.emit('coalesce/gw-1', 'call', { key: 'k', callers: 1 });
    now = 5;
    trace.emit('coalesce', 'settle', { key: 'k', ok: true, callers: 1 });
    trace.emit('executor', 'caller-runs');
    expect(trace.kinds('coalesce')).toEqual(['call', 'settle']);
    expect(trace.of('coalesce', 'settle')).toEqual([
      { t: 5, c: 'coalesce', k: 'settle', f: { key: 'k', ok: true, callers: 1 } },
    ]);
  });

  it('RecordingTrace with checkVocabulary refuses an undeclared kind', () => {
    const trace = new RecordingTrace(() => 0, { checkVocabulary: true });
    expect(() => trace.emit('coalesce', 'no-such-kind')).toThrow(/not declared/);
    expect(trace.events).toEqual([]);
  });
});

// The gate's other branches (skipped, failing under CI) are the integration suites' own.
const present: BackendGate = {
  available: true,
  skip: false,
  mustFail: false,
  title: 'helpers gate',
  reason: undefined,
  assertAvailable() {},
};
describeWithBackend(present, 'describeWithBackend with its backend', () => {
  it('declares the body under the given title', ({ task }) => {
    expect(task.suite?.name).toBe('describeWithBackend with its backend');
  });
});

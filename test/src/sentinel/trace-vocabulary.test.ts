// Every event the slot chain emits fits its declaration in src/ports/trace-events.ts.
import { describe, expect, it } from 'vitest';
import { traceEventProblem } from '#src/ports/trace-events.ts';
import { Sentinel } from '#src/sentinel/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../helpers/sentinel-rules.ts';

describe('sentinel trace events fit the vocabulary', () => {
  it('state (every transition, snapshot number or null) and block (flow and degrade)', async () => {
    const clock = new ManualClock();
    const events: [string, string, Readonly<Record<string, unknown>> | undefined][] = [];
    const s = new Sentinel({}, { clock, trace: { emit: (c, k, f) => events.push([c, k, f]) } });
    s.loadDegradeRules(
      sentinelDegradeRules([{ resource: 'r', grade: 2, count: 0, minRequestAmount: 1, timeWindow: 1 }]),
    );
    s.loadFlowRules([{ resource: 'q', count: 0 }]);
    await s.attempt('r', () => Promise.reject(new Error('x')));
    await s.attempt('r', () => 1);
    clock.advance(1000);
    await s.attempt('r', () => 1);
    await s.attempt('q', () => 1);
    expect(events.map(([, k, f]) => `${k}:${String(f?.next ?? f?.by)}`)).toEqual([
      'state:OPEN',
      'block:degrade',
      'state:HALF_OPEN',
      'state:CLOSED',
      'block:flow',
    ]);
    expect(events.map(([c, k, f]) => traceEventProblem(c, k, f))).toEqual(events.map(() => undefined));
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '#sim/run.ts';
import { parseScenario } from '#sim/scenarios/load.ts';
import { JsonlTrace } from '#src/adapters/jsonl-trace.ts';
import { UndeclaredTraceEventError } from '#src/ports/trace-events.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

// The article's scenario, shortened, exercises every layer, both Redis and MySQL twins, the
// providers and the fault timeline: every event it writes, in both variants, must fit the one
// vocabulary in src/ports/trace-events.ts (checked event by event, not only each kind's first).
const ARTICLE = readFileSync(join(import.meta.dirname, '../../scenarios/article.yaml'), 'utf8');

describe('the trace vocabulary', () => {
  for (const variant of ['article', 'fixed'] as const) {
    it(`every event of a gateway run (${variant}) is declared, with declared fields of the declared types`, async () => {
      const short = ARTICLE.replace(
        /durationMs: 30s, arrivalRate: 2, rampTo: 20/,
        'durationMs: 2s, arrivalRate: 20',
      )
        .replace(/durationMs: 270s/, 'durationMs: 18s')
        .replace(/at: 60s, (.*) for: 30s/, 'at: 2s, $1 for: 4s')
        .replace(/at: 120s, (.*) for: 60s/, 'at: 4s, $1 for: 2s')
        .replace(/at: 200s, (.*) for: 40s/, 'at: 8s, $1 for: 6s');
      const scenario = parseScenario(short, 'article (short)');
      const { result } = await runScenario(scenario, { seed: 1, variant, checkEveryEvent: true });
      expect(result.events).toBeGreaterThan(500);
      expect(result.verdict === 'pass' || result.verdict === 'fail').toBe(true);
    }, 60_000);
  }

  it('an undeclared kind, an undeclared field and a wrong type each fail the run where they are emitted', () => {
    const trace = new JsonlTrace(new ManualClock(), { check: 'every' });
    expect(() => trace.emit('gateway/gw-1', 'teleported', { id: 1 })).toThrow(UndeclaredTraceEventError);
    expect(() => trace.emit('gateway/gw-1', 'request', { id: 1, user: 'u', colour: 'red' })).toThrow(
      /'colour' is not declared/,
    );
    expect(() => trace.emit('gateway/gw-1', 'request', { id: '1', user: 'u' })).toThrow(/must be number/);
    expect(() => trace.emit('nobody', 'request', {})).toThrow(/no declared family/);
    trace.emit('gateway/gw-1', 'request', { id: 1, user: 'u' });
    expect(trace.events).toBe(1);
  });
});

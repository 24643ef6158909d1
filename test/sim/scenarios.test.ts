import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, runScenario } from '#sim/index.ts';
import { ROOT } from '../helpers/cli.ts';

describe('the built-in smoke scenario', () => {
  it('is valid and exercises every outcome path of the client', async () => {
    const scenario = loadScenarioFile(join(ROOT, 'scenarios/smoke.yaml'));
    expect(scenario).toMatchObject({ kind: 'llm-smoke', name: 'smoke', durationMs: 60_000 });
    const { result: summary } = await runScenario(scenario, { seed: 1 });
    const r = summary.report as { requests: number; ok: number; timeout: number; serverError: number };
    // ~200 req/s for 60 s: the Poisson count lies within a few standard deviations (sqrt(12000) ≈ 110).
    expect(r.requests).toBeGreaterThan(11_500);
    expect(r.requests).toBeLessThan(12_500);
    expect(r.ok).toBeGreaterThan(0.9 * r.requests);
    expect(r.timeout).toBeGreaterThan(0); // the long-output tail exceeds the 10 s timeout
    expect(r.serverError).toBeGreaterThan(0); // errorRate 1%
    expect(summary.events).toBe(2 * r.requests); // one invoke and one completion each
    expect(summary.simulatedMs).toBeGreaterThanOrEqual(60_000);
    expect(summary.simulatedMs).toBeLessThanOrEqual(70_000); // drained within one timeout
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '#sim/run.ts';
import { loadScenarioFile } from '#sim/scenarios/load.ts';
import { kindOf } from '#sim/scenarios/registry.ts';

// Every catalog incident, in every variant, with its own seed: its expectations hold (the article's
// code shows the incident, the fix does not), and two runs give the same trace hash.
const DIR = join(import.meta.dirname, '../../scenarios/incidents');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('the incident catalog (scenarios/incidents)', () => {
  it('has at least the fourteen system-level incidents', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  for (const file of files) {
    const scenario = loadScenarioFile(join(DIR, file));
    for (const variant of kindOf(scenario).variants(scenario)) {
      it(`${file} [${variant}]: expectations hold and the trace hash repeats`, async () => {
        const seed = 'seed' in scenario && scenario.seed !== undefined ? scenario.seed : 1;
        const first = await runScenario(scenario, { seed, variant });
        const failing = first.result.expectations.filter((x) => !x.ok).map((x) => `${x.text}: ${x.measured}`);
        expect(failing).toEqual([]);
        expect(first.result.expectations.length).toBeGreaterThan(0);
        const second = await runScenario(scenario, { seed, variant });
        expect(second.result.traceHash).toBe(first.result.traceHash);
      });
    }
  }
});

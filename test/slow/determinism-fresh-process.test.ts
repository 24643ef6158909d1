import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, runScenario } from '#sim/index.ts';
import { hasim, ROOT } from '../helpers/cli.ts';

// Same scenario + same seed + same code → the same trace in a fresh process (through the CLI) as
// in this one: nothing the first process did (module state, warm caches) leaks into a result.
const smoke = loadScenarioFile(join(ROOT, 'scenarios/smoke.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'hasim-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('determinism across processes', () => {
  it('a fresh process gives the same hash as this one', async () => {
    const { result: here } = await runScenario(smoke, { seed: 7 });
    const fresh = hasim(['run', '--seed', '7', '--quiet', '--out', join(dir, 'fresh')]);
    expect(fresh.stderr).toBe('');
    expect(fresh.status).toBe(0);
    expect(fresh.stdout.trim()).toBe(here.traceHash);
    const summary = JSON.parse(readFileSync(join(dir, 'fresh', 'summary.json'), 'utf8'));
    // The whole deterministic result matches, report included; only the cost may differ.
    expect(summary).toMatchObject({ ...here, seed: 7 });
    expect(summary.wallMs).toBeTypeOf('number');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, runScenario } from '#sim/index.ts';
import { ROOT } from '../helpers/cli.ts';

// Same scenario + same seed + same code → the same trace, byte for byte, twice in this process.
// test/slow/determinism-fresh-process.test.ts runs it once more in a fresh process through the CLI.
const smoke = loadScenarioFile(join(ROOT, 'scenarios/smoke.yaml'));
const short = { ...smoke, durationMs: 5_000 };
const dir = mkdtempSync(join(tmpdir(), 'hasim-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('determinism', () => {
  it('the same seed gives the same trace hash and bytes twice in one process', async () => {
    const { result: a } = await runScenario(short, { seed: 42, outDir: join(dir, 'a') });
    const { result: b } = await runScenario(short, { seed: 42, outDir: join(dir, 'b') });
    expect(a.events).toBeGreaterThan(1_000);
    expect(b).toEqual(a);
    expect(readFileSync(join(dir, 'b', 'trace.jsonl'))).toEqual(readFileSync(join(dir, 'a', 'trace.jsonl')));
  });

  it('a different seed gives a different trace', async () => {
    const { result: a } = await runScenario(short, { seed: 42 });
    const { result: c } = await runScenario(short, { seed: 43 });
    expect(c.traceHash).not.toBe(a.traceHash);
  });
});

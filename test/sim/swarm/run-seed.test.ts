import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayCommand, runSeed } from '#sim/swarm/run-seed.ts';
import { cli, scratch } from '#test/cli/in-process.ts';
import { OUTAGE_SCENARIO } from './fixtures.ts';

const tmp = scratch('hasim-run-seed-');
afterAll(() => tmp.dispose());
const scenario = tmp.file('small-outage.yaml', OUTAGE_SCENARIO);

describe('runSeed: one seed of a sweep, as plain JSON', () => {
  it('judges the expectations, names the broken one and the command that replays it', async () => {
    const outDir = join(tmp.dir, 'sweep', 'seed-3');
    const result = await runSeed({ scenarioPath: scenario, seed: 3, outDir });
    expect(result.verdict).toBe('fail');
    expect(result.broken).toEqual([{ expectation: 'gateway.errors: rate<0.05', detail: expect.any(String) }]);
    expect(result.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.virtualMs).toBeGreaterThanOrEqual(20_000);
    expect(result.replay).toBe(`hasim run ${scenario} --seed 3`);
    // Plain data: a JSON round trip changes nothing, so a queue can carry it.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ seed: 3, verdict: 'fail', traceHash: result.traceHash });
    expect(summary.faults).toEqual([{ at: 5000, do: 'outage', target: 'upstream/primary', for: 5000 }]);
  });

  it('gives the hash `hasim run --quiet` prints for the same seed, and the replay fails the same way', async () => {
    const result = await runSeed({ scenarioPath: scenario, seed: 'abc' });
    const run = await cli(['run', scenario, '--seed', 'abc', '--quiet', '--out', join(tmp.dir, 'replay')]);
    expect(run.code).toBe(3);
    expect(run.stdout.trim()).toBe(result.traceHash);
    expect((await runSeed({ scenarioPath: scenario, seed: 'abc' })).traceHash).toBe(result.traceHash);
  });

  it('passes when no expectation breaks; a different seed gives a different trace', async () => {
    const lenient = tmp.file('lenient.yaml', OUTAGE_SCENARIO.replace('rate<0.05', 'rate<0.9'));
    const [a, b] = [
      await runSeed({ scenarioPath: lenient, seed: 1 }),
      await runSeed({ scenarioPath: lenient, seed: 2 }),
    ];
    expect(a.verdict).toBe('pass');
    expect(a.broken).toBeUndefined();
    expect(a.traceHash).not.toBe(b.traceHash);
  });

  it('a file it cannot read or a limit it hits is an error verdict with one line, never a throw', async () => {
    const missing = await runSeed({ scenarioPath: join(tmp.dir, 'nope.yaml'), seed: 1 });
    expect(missing).toMatchObject({ verdict: 'error', traceHash: '', virtualMs: 0 });
    expect(missing.error).toMatch(/nope\.yaml: cannot read scenario file \(no such file\)$/);
    const limited = await runSeed({ scenarioPath: scenario, seed: 1, limits: { events: 50 } });
    expect(limited.verdict).toBe('error');
    expect(limited.error).toMatch(/over the limit of 50 events per run \(raise it with --max-events\)/);
    expect(limited.error).not.toMatch(/\n/);
  });

  it('quotes a path with spaces or quotes for a POSIX shell', () => {
    expect(replayCommand('scenarios/a.yaml', -1)).toBe('hasim run scenarios/a.yaml --seed -1');
    expect(replayCommand("my dir/it's.yaml", 'x')).toBe(`hasim run 'my dir/it'\\''s.yaml' --seed x`);
  });
});

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSeed } from '#sim/swarm/run-seed.ts';
import { cutPhases } from '#sim/swarm/shrink.ts';
import { cli, scratch, stderrLines } from '#test/cli/in-process.ts';
import { DENSE_SCENARIO, NEMESIS_SCENARIO } from './fixtures.ts';

const tmp = scratch('hasim-shrink-');
afterAll(() => tmp.dispose());

describe('hasim shrink: the faults that matter', () => {
  it('cuts seed 1 of the dense nemesis from 20+ faults to at most 3; minimal.yaml replays the failure', async () => {
    const scenario = tmp.file('dense.yaml', DENSE_SCENARIO);
    const dir = join(tmp.dir, 'sweep', 'seed-1');
    const seed = await runSeed({ scenarioPath: scenario, seed: 1, outDir: dir });
    expect(seed.verdict).toBe('fail');
    const drawn = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).faults;
    expect(drawn.length).toBeGreaterThanOrEqual(20);

    const run = await cli(['shrink', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, counts] = run.stdout.split('\n');
    const m = /^ {2}(\d+) runs: (\d+) faults → (\d+)/.exec(counts ?? '');
    expect(m, run.stdout).not.toBeNull();
    expect(Number(m?.[2])).toBe(drawn.length);
    expect(Number(m?.[3])).toBeLessThanOrEqual(3);
    expect(Number(m?.[3])).toBeGreaterThanOrEqual(2); // one provider's outage alone is ridden out

    const minimal = join(dir, 'minimal.yaml');
    const text = readFileSync(minimal, 'utf8');
    expect(text).not.toContain('nemesis');
    expect(text).toMatch(/^seed: 1$/m);
    expect(text.match(/^ {2}- \{ at: /gm)?.length).toBe(Number(m?.[3]));
    // The written scenario replays the failure with no fast-check: hasim run exits 3.
    const replay = await cli(['run', minimal, '--out', join(tmp.dir, 'replay')]);
    expect(replay.code).toBe(3);
    expect(replay.stdout).toMatch(/FAIL {2}gateway\.errors: count<1/);
  });

  it('shrinks a scenario that extends another: minimal.yaml keeps the base, from its own folder', async () => {
    mkdirSync(join(tmp.dir, 'bases'), { recursive: true });
    mkdirSync(join(tmp.dir, 'mine'), { recursive: true });
    tmp.file('bases/dense.yaml', DENSE_SCENARIO);
    const scenario = tmp.file('mine/dense-child.yaml', 'extends: ../bases/dense.yaml\nname: dense-child\n');
    const dir = join(tmp.dir, 'child-sweep', 'deeper', 'seed-1');
    expect((await runSeed({ scenarioPath: scenario, seed: 1, outDir: dir })).verdict).toBe('fail');
    const run = await cli(['shrink', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const minimal = join(dir, 'minimal.yaml');
    const text = readFileSync(minimal, 'utf8');
    // The path is rewritten for minimal.yaml's folder; the inherited nemesis is removed by a null.
    expect(text).toMatch(/^extends: \.\.\/\.\.\/\.\.\/bases\/dense\.yaml$/m);
    expect(text).toMatch(/^nemesis: null$/m);
    const replay = await cli(['run', minimal, '--out', join(tmp.dir, 'child-replay')]);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(3);
    expect(replay.stdout).toMatch(/FAIL {2}gateway\.errors: count<1/);
  });

  it('refuses a directory that is not a failing seed, with one line', async () => {
    const passing = tmp.file('lenient.yaml', NEMESIS_SCENARIO.replace('rate<0.5', 'rate<0.99'));
    const dir = join(tmp.dir, 'pass', 'seed-2');
    expect((await runSeed({ scenarioPath: passing, seed: 2, outDir: dir })).verdict).toBe('pass');
    for (const [args, expected] of [
      [
        ['shrink', join(tmp.dir, 'none')],
        /summary\.json: no such file \(a seed directory of hasim swarm --out\)$/,
      ],
      [['shrink', dir], /seed 2 did not fail \(verdict pass\); only a failing seed shrinks$/],
      [['shrink'], /^hasim shrink: expected one seed directory/],
    ] as const) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(stderrLines(run)).toHaveLength(1);
      expect(stderrLines(run)[0]).toMatch(expected);
    }
  });
});

describe('cutPhases', () => {
  it('cuts the phases to a length, a ramp keeping its slope', () => {
    const phases = [
      { durationMs: 10_000, arrivalRate: 1 },
      { durationMs: 20_000, arrivalRate: 2, rampTo: 6 },
      { durationMs: 5_000, arrivalRate: 9 },
    ];
    expect(cutPhases(phases, 35_000)).toEqual(phases);
    expect(cutPhases(phases, 20_000)).toEqual([phases[0], { durationMs: 10_000, arrivalRate: 2, rampTo: 4 }]);
    expect(cutPhases(phases, 4_000)).toEqual([{ durationMs: 4_000, arrivalRate: 1 }]);
  });
});
